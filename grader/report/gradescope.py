"""One submission's result in Gradescope's autograder format (``results.json``).

Top level: ``score``, ``execution_time``, ``output``, ``visibility``,
``stdout_visibility`` and ``tests``; per test: ``score``, ``max_score``,
``name``, ``number``, ``output``, ``visibility`` and ``status``. Checks
hidden from students become tests with visibility ``hidden``: they count
towards the score, and Gradescope shows them to instructors only. Checks
skipped for 0 points (the notebook checks of a module-only submission) are
left out.
"""

from __future__ import annotations

import math
from typing import Any

from ..results import CheckResult, SubmissionResult

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
"""The visibility values Gradescope accepts."""


def gradescope_json(result: SubmissionResult) -> dict[str, Any]:
    """The Gradescope results document of ``result`` (all checks, instructor data only in
    messages students may read)."""
    checks = [c for c in result.checks if not (c.status == "skipped" and c.max_score == 0)]
    tests = [_test(number, check) for number, check in enumerate(checks, start=1)]
    seconds = result.timing.get("total")
    return {
        "score": round(sum(t["score"] for t in tests), 6),
        "execution_time": math.ceil(seconds) if isinstance(seconds, (int, float)) else 0,
        "output": _output(result, checks),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def _test(number: int, check: CheckResult) -> dict[str, Any]:
    output = check.message
    if check.error is not None and check.error.traceback:
        output += "\n\nYour code's traceback:\n" + check.error.traceback.rstrip()
    return {
        "score": check.score,
        "max_score": check.max_score,
        "name": f"{check.title} ({check.id})" if check.title else check.id,
        "number": str(number),
        "output": output,
        "visibility": "visible" if check.visible else "hidden",
        "status": "passed" if check.status == "pass" else "failed",
    }


def _output(result: SubmissionResult, checks: list[CheckResult]) -> str:
    passed = sum(1 for c in checks if c.status == "pass")
    text = (f"{result.score:g} / {result.max_score:g} points: {passed} of {len(checks)} "
            "checks passed.")
    if result.status != "graded":
        text += f"\n\nThis submission could not be graded: {result.error}"
    return text
