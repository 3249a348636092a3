"""The checks: one judge per check id, each reading one probe's output."""

from __future__ import annotations

from ..results import CheckResult
from ..rubric import CheckSpec
from .accuracy import judge_accuracy
from .base import Evidence, Judge, ProbeData, errored, probe_failure, to_result
from .forward import judge_init, judge_predict, judge_scores, judge_stability
from .gradients import judge_gradient, judge_loss
from .training import judge_train

JUDGES: dict[str, Judge] = {
    "init": judge_init,
    "scores": judge_scores,
    "loss": judge_loss,
    "grad_W1": judge_gradient("W1"),
    "grad_b1": judge_gradient("b1"),
    "grad_W2": judge_gradient("W2"),
    "grad_b2": judge_gradient("b2"),
    "stability": judge_stability,
    "train": judge_train,
    "predict": judge_predict,
    "accuracy": judge_accuracy,
}

__all__ = ["JUDGES", "Evidence", "ProbeData", "run_check"]


def run_check(spec: CheckSpec, data: ProbeData, evidence: Evidence) -> CheckResult:
    """Judge one check, turning a probe that did not finish into an error result."""
    verdict = probe_failure(data)
    if verdict is None:
        try:
            verdict = JUDGES[spec.id](spec, data, evidence)
        except (KeyError, ValueError, IndexError, TypeError) as exc:
            # Output of an unexpected shape or kind: the student's code returned
            # something no judge anticipated. Never crash the whole submission.
            verdict = errored(f"Could not judge what your code returned ({type(exc).__name__}: "
                              f"{exc})", None)
    return to_result(spec, verdict)
