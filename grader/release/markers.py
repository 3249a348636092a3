"""Solution markers: split a marked reference into the starter and the solution.

In a module (any text file), a solution is a block of lines between two
marker lines, and what the student sees instead is an optional block right
after it whose lines are commented out with ``# ``::

        ### BEGIN SOLUTION
        y_pred = np.argmax(self.scores(X), axis=1)
        ### END SOLUTION
        ### BEGIN STUDENT
        # raise NotImplementedError("predict: not implemented yet")
        ### END STUDENT

The reference runs as it is (the markers and the student's lines are
comments). The starter keeps every line outside the blocks, drops each
SOLUTION block with its markers, and keeps each STUDENT block without its
markers and with one ``# `` removed after the indentation (a line holding
only ``#`` becomes blank).

In a notebook, a cell is a solution cell when its metadata holds
``{"grader": {"student": "<source the student sees>"}}``: the starter gets
that source, the tag ``solution`` becomes ``todo``, and the ``grader`` key is
dropped. Markers inside code cells work as in a module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ReleaseError

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_STUDENT = "### BEGIN STUDENT"
END_STUDENT = "### END STUDENT"

# marker -> (state it is allowed in, state it leads to)
_TRANSITIONS = {
    BEGIN_SOLUTION: ("shared", "solution"),
    END_SOLUTION: ("solution", "shared"),
    BEGIN_STUDENT: ("shared", "student"),
    END_STUDENT: ("student", "shared"),
}


@dataclass(frozen=True)
class Split:
    """A marked source, split."""

    starter: str
    """What the student gets."""
    solution: tuple[str, ...]
    """Every line inside a solution block (newline removed), in order."""


def split_source(text: str, name: str = "<source>") -> Split:
    """The starter and the solution lines of a marked source."""
    state, starter, solution = "shared", [], []
    for number, line in enumerate(text.splitlines(keepends=True), 1):
        marker = line.strip()
        if marker in _TRANSITIONS:
            allowed, state_after = _TRANSITIONS[marker]
            if state != allowed:
                raise ReleaseError(f"{name}: line {number}: {marker} inside a {state} block")
            state = state_after
        elif state == "solution":
            solution.append(line.rstrip("\r\n"))
        elif state == "student":
            starter.append(_uncomment(line, name, number))
        else:
            starter.append(line)
    if state != "shared":
        raise ReleaseError(f"{name}: a {state} block is never closed")
    return Split("".join(starter), tuple(solution))


def _uncomment(line: str, name: str, number: int) -> str:
    body = line.lstrip(" \t")
    indent = line[:len(line) - len(body)]
    if body.rstrip("\r\n") == "#":
        return body[1:]
    if not body.startswith("# "):
        raise ReleaseError(f"{name}: line {number}: a line of a STUDENT block must start "
                           "with '# ' (it is a comment in the reference)")
    return indent + body[2:]


def split_notebook(text: str, name: str = "<notebook>") -> Split:
    """The starter notebook (JSON text) and the solution lines of a marked notebook."""
    import nbformat

    nb = nbformat.reads(text, as_version=4)
    solution: list[str] = []
    for cell in nb.cells:
        solution += _split_cell(cell, f"{name}: cell {cell.get('id', '?')}")
    out: str = nbformat.writes(nb, version=4)
    return Split(out if out.endswith("\n") else out + "\n", tuple(solution))


def _split_cell(cell: Any, name: str) -> list[str]:
    meta = cell.metadata
    student = meta.get("grader", {}).get("student")
    if student is not None:
        solution = list(cell.source.splitlines())
        cell.source = student
        del meta["grader"]
        if "tags" in meta:
            meta["tags"] = ["todo" if t == "solution" else t for t in meta["tags"]]
        return solution
    if cell.cell_type == "code" and BEGIN_SOLUTION in cell.source:
        split = split_source(cell.source, name)
        cell.source = split.starter
        return list(split.solution)
    return []
