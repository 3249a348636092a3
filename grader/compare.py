"""Numerical comparison of measured against expected values, with tolerances.

Every comparison returns a :class:`Comparison`: whether it is within
tolerance, the error measured, and (for reports) both arrays with the
elements that are out of tolerance marked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

Measure = Literal["max_abs", "rel_error"]
_MAX_REPORTED = 400
"""Arrays with more elements than this are summarized, not listed, in metrics."""


def rel_error(x: np.ndarray, y: np.ndarray) -> float:
    """The assignment's relative error: max(|x-y| / max(1e-8, |x|+|y|))."""
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))
    return float(np.max(err)) if err.size else 0.0


def json_number(value: float) -> float | str:
    """A float JSON can hold: non-finite values become ``"nan"``, ``"inf"``, ``"-inf"``."""
    return value if math.isfinite(value) else str(value)


def json_array(array: np.ndarray) -> Any:
    """Nested lists of JSON numbers, for small arrays in metrics."""
    if array.ndim == 0:
        return json_number(float(array))
    return [json_array(a) for a in array] if array.ndim > 1 else [
        json_number(float(v)) for v in array]


@dataclass(frozen=True)
class Comparison:
    """The outcome of comparing one measured array with its expected value."""

    ok: bool
    error: float
    tolerance: float
    measure: Measure
    problem: str = ""
    """Set when no numerical comparison was possible (wrong shape or type)."""
    bad: np.ndarray | None = None
    """Boolean mask of out-of-tolerance elements."""

    def metrics(self, measured: np.ndarray | None, expected: np.ndarray,
                hidden: bool, detail: bool = True) -> dict[str, Any]:
        """JSON metrics; the arrays themselves only with ``detail`` (keeps results small)."""
        out: dict[str, Any] = {
            "ok": self.ok, "error": json_number(self.error), "tolerance": self.tolerance,
            "measure": self.measure, "hidden": hidden,
            "expected_shape": list(expected.shape),
        }
        if self.problem:
            out["problem"] = self.problem
        if detail and expected.size <= _MAX_REPORTED:
            out["expected"] = json_array(expected)
            if measured is not None and measured.size <= _MAX_REPORTED:
                out["measured"] = json_array(measured)
            if self.bad is not None:
                out["out_of_tolerance"] = json_array(self.bad.astype(float))
        return out


def wants_detail(ok: bool, hidden: bool, failures_so_far: int) -> bool:
    """Arrays are kept for the toy problem and the first two failing cases of a check."""
    return not hidden or (not ok and failures_so_far < 2)


def compare(measured: np.ndarray, expected: np.ndarray, tolerance: float,
            measure: Measure = "max_abs") -> Comparison:
    """Compare two arrays of the same shape under ``measure``."""
    if measured.shape != expected.shape:
        return Comparison(False, math.inf, tolerance, measure,
                          f"shape {tuple(measured.shape)}, expected {tuple(expected.shape)}")
    with np.errstate(invalid="ignore", over="ignore"):
        if measure == "rel_error":
            err = np.abs(measured - expected) / np.maximum(
                1e-8, np.abs(measured) + np.abs(expected))
        else:
            err = np.abs(measured - expected)
    err = np.where(np.isnan(err), np.inf, err)
    worst = float(np.max(err)) if err.size else 0.0
    return Comparison(worst <= tolerance, worst, tolerance, measure, bad=err > tolerance)
