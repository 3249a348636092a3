"""A check's metrics as tables: its cases, the arrays that missed, and plain facts.

The templates only lay out what this module prepares. Which cases exist and
what they hold is read from the metrics generically, so a new check shows up
with its numbers without a template change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from ..results import CheckResult

SEQUENCES = (list, tuple)
"""Arrays in metrics: lists once stored as JSON, lists or tuples fresh from a check."""
MAX_MATRICES = 3
"""Arrays shown per check; the remaining cases that missed are only counted."""
_PLOTTED = {"loss_history", "train_acc_history", "val_acc_history", "learning_rates"}
_LABELS = {
    "own_loss_rel_error": "Relative error against a numerical gradient of your own loss",
    "val_accuracy": "Validation accuracy",
    "test_accuracy": "Test accuracy",
    "threshold": "Accuracy needed",
    "reference_forward_accuracy": "Accuracy of your trained weights with a correct forward pass",
    "own_predict_val_accuracy": "Validation accuracy with your own predict()",
    "dataset": "Data set",
    "hyperparameters": "Hyperparameters",
    "loss": "Loss",
    "shifted_loss": "Loss with every score shifted",
    "shift": "Shift",
    "tolerance": "Tolerance",
    "final_loss": "final loss",
    "loss_calls": "calls to self.loss",
    "num_iters": "iterations",
    "output": "Output of your code",
    "excerpt": "The failing cell",
}


@dataclass(frozen=True)
class Cell:
    text: str
    bad: bool = False
    """Out of tolerance: highlighted."""


@dataclass(frozen=True)
class Grid:
    """One array as a table: column numbers across, row numbers down."""

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[Cell, ...]], ...]


@dataclass(frozen=True)
class ArrayPair:
    """What the student's code returned next to what was expected, for one case."""

    title: str
    measured: Grid
    expected: Grid
    bad: int
    """How many elements are out of tolerance."""
    total: int


@dataclass(frozen=True)
class CaseRow:
    label: str
    param: str
    reg: str
    passed: bool | None
    error: str
    tolerance: str
    note: str


@dataclass(frozen=True)
class Fact:
    label: str
    value: str
    block: bool = False
    """Several lines: shown preformatted."""


@dataclass(frozen=True)
class CheckView:
    """Everything the report shows about one check."""

    check: CheckResult
    cases: tuple[CaseRow, ...]
    arrays: tuple[ArrayPair, ...]
    arrays_left_out: int
    facts: tuple[Fact, ...]
    has_param: bool
    has_reg: bool
    error_label: str
    """What the error column holds: relative error or absolute difference."""

    @property
    def anchor(self) -> str:
        return "check-" + re.sub(r"[^A-Za-z0-9_-]", "-", self.check.id)


def check_view(check: CheckResult, student: bool) -> CheckView:
    """The tables of one check (already filtered for the view)."""
    listed = check.metrics.get("cases", [])
    # a check's "cases" is a list of per-case tables, or (an added check's) anything else
    cases = [c for c in listed if isinstance(c, Mapping)] if isinstance(listed, list) else []
    rows = tuple(case_row(c, student) for c in cases)
    missed = [c for c in cases if c.get("ok") is False and "measured" in c and "expected" in c
              and isinstance(c["expected"], SEQUENCES)]
    arrays = tuple(array_pair(c) for c in missed[:MAX_MATRICES])
    facts = tuple(flatten_facts({k: v for k, v in check.metrics.items()
                                 if k != "cases" or not isinstance(v, list)}))
    relative = any(c.get("measure") == "rel_error" for c in cases)
    return CheckView(check, rows, arrays, len(missed) - len(arrays), facts,
                     any(r.param for r in rows), any(r.reg for r in rows),
                     "Relative error" if relative else "Largest |difference|")


def case_label(case: Mapping[str, Any], student: bool) -> str:
    """"the toy problem", "hidden input 2", with its sizes in the instructor view."""
    name = str(case.get("case", "?"))
    base = name.split("@")[0]
    if base == "toy":
        return "toy problem"
    label = f"hidden input {base.removeprefix('hidden')}" if base.startswith("hidden") else base
    shape = case.get("shape")
    if not student and isinstance(shape, SEQUENCES) and len(shape) == 4:
        label += " (N={}, D={}, H={}, C={})".format(*shape)
    return label


def case_row(case: Mapping[str, Any], student: bool) -> CaseRow:
    passed = case.get("ok")
    if passed is None and "wrong" in case:
        passed = case["wrong"] == 0
    notes = []
    if case.get("problem"):
        notes.append(str(case["problem"]))
    if "wrong" in case and "total" in case:
        notes.append(f"{case['wrong']} of {case['total']} labels wrong")
    if not isinstance(case.get("expected"), SEQUENCES) and "expected" in case:
        notes.append(f"got {fmt(case.get('measured'))}, expected {fmt(case['expected'])}")
    if case.get("recovered_after_error"):
        notes.append("read after your code raised")
    reg = case.get("reg")
    return CaseRow(case_label(case, student), str(case.get("param", "")),
                   "" if reg is None else f"{reg:g}", passed if isinstance(passed, bool) else None,
                   sci(case.get("error")), sci(case.get("tolerance"), digits=0), "; ".join(notes))


def fmt(value: Any, digits: int = 6) -> str:
    """A number for people: ``digits`` significant digits; strings and others as text."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return "" if value is None else str(value)


def sci(value: Any, digits: int = 2) -> str:
    """An error or tolerance in scientific notation; 0 as ``0``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return fmt(value)
    if value == 0:
        return "0"
    return f"{value:.{digits}e}"


def array_pair(case: Mapping[str, Any]) -> ArrayPair:
    measured, expected = _matrix(case["measured"]), _matrix(case["expected"])
    mask = _matrix(case.get("out_of_tolerance", []))
    bad = [[bool(v) for v in row] for row in mask] if _same_shape(mask, expected) else [
        [False] * len(row) for row in expected]
    digits = _digits(measured, expected, bad)
    what = " ".join(x for x in (str(case.get("param", "")), case_label(case, False)) if x)
    reg = f", reg={case['reg']:g}" if isinstance(case.get("reg"), (int, float)) else ""
    total = sum(len(row) for row in expected)
    return ArrayPair(f"{what}{reg}", _grid("Your result", measured, bad, digits),
                     _grid("Expected", expected, bad, digits), sum(map(sum, bad)), total)


def _matrix(value: Any) -> list[list[Any]]:
    if not isinstance(value, SEQUENCES):
        return [[value]]
    if value and all(isinstance(v, SEQUENCES) for v in value):
        return [list(v) if all(not isinstance(x, SEQUENCES) for x in v) else [str(x) for x in v]
                for v in value]
    return [list(value)]


def _same_shape(a: Sequence[Sequence[Any]], b: Sequence[Sequence[Any]]) -> bool:
    return len(a) == len(b) and all(len(x) == len(y) for x, y in zip(a, b))


def _digits(measured: list[list[Any]], expected: list[list[Any]],
            bad: list[list[bool]]) -> int:
    """Enough significant digits that every highlighted value visibly differs."""
    if not _same_shape(measured, expected):
        return 4
    pairs = [(m, e) for mr, er, br in zip(measured, expected, bad)
             for m, e, b in zip(mr, er, br) if b]
    for digits in range(4, 13):
        if all(fmt(m, digits) != fmt(e, digits) for m, e in pairs):
            return digits
    return 12


def _grid(caption: str, matrix: list[list[Any]], bad: list[list[bool]], digits: int) -> Grid:
    width = max((len(row) for row in matrix), default=0)
    rows = []
    for i, row in enumerate(matrix):
        flags = bad[i] if i < len(bad) else []
        rows.append((str(i), tuple(Cell(fmt(v, digits), j < len(flags) and flags[j])
                                   for j, v in enumerate(row))))
    return Grid(caption, tuple(str(j) for j in range(width)), tuple(rows))


def flatten_facts(metrics: Mapping[str, Any], prefix: str = "") -> list[Fact]:
    """Scalar metrics as label/value pairs; nested runs get their name as prefix."""
    facts: list[Fact] = []
    for key, value in metrics.items():
        if key in _PLOTTED or key.endswith("_step"):
            continue
        label = prefix + _LABELS.get(key, key.replace("_", " "))
        if isinstance(value, Mapping) and key != "hyperparameters":
            facts += flatten_facts(value, f"{prefix}{key} run: " if not prefix else label + ", ")
        elif isinstance(value, Mapping):
            facts.append(Fact(label, ", ".join(f"{k}={fmt(v)}" for k, v in value.items())))
        elif isinstance(value, SEQUENCES):
            facts += _list_fact(label, value)
        else:
            text = fmt(value)
            if text:
                facts.append(Fact(label, text, "\n" in text))
    return facts


def _list_fact(label: str, values: Sequence[Any]) -> list[Fact]:
    if not values:
        return []
    if all(isinstance(v, Mapping) for v in values):
        return [Fact(f"{label} {i + 1}", ", ".join(f"{k}={fmt(x)}" for k, x in v.items()))
                for i, v in enumerate(values[:10])]
    shown = ", ".join(fmt(v) for v in values[:10])
    return [Fact(label, shown + (f", ... ({len(values)} values)" if len(values) > 10 else ""))]
