"""Say in each failing Softmax check's message which known mistake matched, and on which line.

The assignment has two course files: a mistake names its ``file``
(``softmax.py`` or ``linear_classifier.py``, beside the graded module), its
function or method and a pattern for the line. The student's files are
only read (never run) in the parent, by indentation rather than ``ast``:
numpy parses ``.npy`` headers with ``ast`` and in CPython 3.11 two threads
converting ASTs at once can fail.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from ...explain import DEF, find_line, function_body
from ...results import CheckResult
from ...rubric import Rubric
from .modules import CLASSIFIER_FILE, LOSS_FILE

if TYPE_CHECKING:
    from .mutants import Mutants

_MAX_BYTES = 1 << 20
"""A course file larger than this is not searched (it was read by the child already)."""

CHECK_LINES: dict[str, tuple[str, str, str]] = {
    "loss_naive": (LOSS_FILE, "softmax_loss_naive", r"\bloss\s*[-+]?=(?!=)(?!\s*0(\.0*)?$)"),
    "grad_naive": (LOSS_FILE, "softmax_loss_naive", r"\bdW\b.*[-+]="),
    "loss_vectorized": (LOSS_FILE, "softmax_loss_vectorized",
                        r"\bloss\s*[-+]?=(?!=)(?!\s*0(\.0*)?$)"),
    "grad_vectorized": (LOSS_FILE, "softmax_loss_vectorized", r"\bdW\s*[-+]?=(?!=)(?!\s*np\.zeros)"),
    "stability": (LOSS_FILE, "softmax_loss_vectorized", r"exp\("),
    "train": (CLASSIFIER_FILE, "train", r"self\.loss\("),
    "predict": (CLASSIFIER_FILE, "predict", r"argmax|\.dot\(|@"),
}
"""Per check, when no mistake is named: the file, function and line most likely at fault."""

Lines = dict[str, list[tuple[int, str]]]


def explain(results: tuple[CheckResult, ...], mutants: Mutants | None, rubric: Rubric,
            module: Path | None) -> tuple[CheckResult, ...]:
    """Failing checks' messages with the named mistake and the student's line added."""
    files: dict[str, Lines] = {}

    def functions(name: str) -> Lines:
        if name not in files:
            files[name] = read_functions(module.parent / name) if module is not None else {}
        return files[name]

    out = []
    for result in results:
        if result.status not in ("fail", "error"):
            out.append(result)
            continue
        mistake = mutants.by_id(result.mistake) if mutants and result.mistake else None
        message = result.message
        if mistake is not None:
            message += f" Likely cause: {mistake.explanation}"
        if mistake is not None and mistake.line:
            where: tuple[str, str, str] | None = (mistake.file or rubric.module, mistake.method,
                                                  mistake.line)
        else:  # an exception names its own line; so does a mistake without a pattern
            where = CHECK_LINES.get(result.id) if result.status == "fail" and not mistake else None
        line = find_line(functions(where[0]), where[1], where[2]) if where else None
        metrics = dict(result.metrics)
        if where is not None and line is not None:
            message += f" (your line {line[0]}: `{line[1]}` in {where[0]})"
            metrics["line"] = {"file": where[0], "lineno": line[0], "text": line[1]}
        out.append(replace(result, message=message, metrics=metrics))
    return tuple(out)


def read_functions(path: Path) -> Lines:
    """Code lines (no blanks, comments, signature continuations or docstrings) of every
    function and method of a file, by name (the first definition of a name wins)."""
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > _MAX_BYTES:
            return {}
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return {}
    out: Lines = {}
    for i, text in enumerate(lines):
        match = DEF.match(text)
        if match:
            out.setdefault(match.group(2), function_body(lines, i)[0])
    return out
