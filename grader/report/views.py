"""Who sees what: the student view of a result, derived from the instructor's.

The instructor view is the stored result itself. The student view keeps only
the checks students may see, and for every case computed on a hidden input
keeps whether it passed and by how much it missed, never the input's values,
the expected or measured arrays, or their shapes. Every reporter that renders
for students goes through :func:`student_view`, so the rule lives here only.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping

from ..results import CheckResult, SubmissionResult

HIDDEN_CASE_KEYS = frozenset({"case", "hidden", "ok", "error", "tolerance", "measure", "reg"})
"""What a student may learn about a case on a hidden input."""


def student_view(result: SubmissionResult) -> SubmissionResult:
    """``result`` as its student may see it: visible checks, hidden inputs' values removed."""
    visible = result.for_students()
    return replace(visible, checks=tuple(_scrub_check(c) for c in visible.checks))


def view_of(result: SubmissionResult, student: bool) -> SubmissionResult:
    """The student view when ``student``, else the result unchanged."""
    return student_view(result) if student else result


def _scrub_check(check: CheckResult) -> CheckResult:
    cases = check.metrics.get("cases")
    if not isinstance(cases, (list, tuple)):
        return check
    metrics = dict(check.metrics)
    metrics["cases"] = [scrub_case(c) if isinstance(c, Mapping) else c for c in cases]
    return replace(check, metrics=metrics)


def scrub_case(case: Mapping[str, Any]) -> Mapping[str, Any]:
    """A case as students see it: unchanged unless it was computed on a hidden input."""
    if not case.get("hidden"):
        return case
    kept = {k: v for k, v in case.items() if k in HIDDEN_CASE_KEYS}
    if "ok" not in kept and "wrong" in case:
        kept["ok"] = case["wrong"] == 0
    return kept
