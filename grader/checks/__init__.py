"""The checks: one judge per check id (declared by the assignment pack), each reading one
probe's output."""

from __future__ import annotations

from ..results import CheckResult
from ..rubric import CheckSpec
from ..checkdef import pack
from .base import Evidence, ProbeData, errored, probe_failure, to_result

__all__ = ["Evidence", "ProbeData", "run_check"]


def run_check(spec: CheckSpec, data: ProbeData, evidence: Evidence) -> CheckResult:
    """Judge one check, turning a probe that did not finish into an error result."""
    verdict = probe_failure(data)
    if verdict is None:
        try:
            judge = pack(evidence.rubric.kind).check(spec.id).judge_function()
            verdict = judge(spec, data, evidence)
        except (KeyError, ValueError, IndexError, TypeError) as exc:
            # Output of an unexpected shape or kind: the student's code returned
            # something no judge anticipated. Never crash the whole submission.
            verdict = errored(f"Could not judge what your code returned ({type(exc).__name__}: "
                              f"{exc})", None)
    return to_result(spec, verdict)
