"""What every check sees, what it returns, and the failures common to all.

A check is a function ``judge(spec, evidence) -> Verdict``. It never runs
student code: it reads what the child brought back (:class:`ProbeData`) and
compares it with values the parent computed from the reference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Mapping

import numpy as np

from ..datasets import Dataset
from ..plan import Plan
from ..results import CheckResult, StudentError
from ..rubric import CheckSpec, DatasetSettings, Rubric
from ..sandbox import ProbeOutcome


@dataclass(frozen=True)
class ProbeData:
    """One probe's outcome and the data it wrote (empty when it did not finish)."""

    outcome: ProbeOutcome
    arrays: Mapping[str, np.ndarray]
    info: Mapping[str, Any]

    def case(self, name: str) -> Mapping[str, Any]:
        value = self.info.get(name, {})
        return value if isinstance(value, Mapping) else {}

    def error(self, name: str) -> StudentError | None:
        raw = self.case(name).get("error")
        return StudentError.from_json(raw) if isinstance(raw, Mapping) else None

    def returned(self, case: str, name: str) -> Mapping[str, Any]:
        returned = self.case(case).get("returned", {})
        value = returned.get(name, {}) if isinstance(returned, Mapping) else {}
        return value if isinstance(value, Mapping) else {}


@dataclass(frozen=True)
class Evidence:
    """Everything the checks may look at for one submission."""

    rubric: Rubric
    plan: Plan
    reference: Any
    """The trusted reference module, loaded in the parent."""
    probes: Mapping[str, ProbeData]
    dataset: Dataset | None = None
    accuracy: DatasetSettings | None = None
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)
    """Reference values shared by several checks (the loss and the four gradients)."""


@dataclass(frozen=True)
class Verdict:
    """A check's finding, before points are attached."""

    status: Literal["pass", "fail", "error"]
    message: str
    metrics: Mapping[str, Any] = field(default_factory=dict)
    error: StudentError | None = None


Judge = Callable[[CheckSpec, ProbeData, Evidence], Verdict]


def passed(message: str, metrics: Mapping[str, Any]) -> Verdict:
    return Verdict("pass", message, metrics)


def failed(message: str, metrics: Mapping[str, Any]) -> Verdict:
    return Verdict("fail", message, metrics)


def errored(message: str, error: StudentError | None,
            metrics: Mapping[str, Any] | None = None) -> Verdict:
    if error is not None:
        message = f"{message}: {error.summary()}"
        if error.type == "NotImplementedError":
            message = f"Not implemented yet: {error.message or error.summary()}"
    return Verdict("error", message, metrics or {}, error)


def probe_failure(data: ProbeData) -> Verdict | None:
    """The verdict when the probe itself did not finish, else None."""
    outcome = data.outcome
    if outcome.state == "timeout":
        return errored(f"Your code did not finish: it was {outcome.detail}. "
                       "Look for an endless loop or far too much work.", None,
                       {"output": outcome.output[-2000:]})
    if outcome.state == "crashed":
        return errored("Your code crashed the Python process: " + outcome.detail, None,
                       {"output": outcome.output[-2000:]})
    if outcome.state == "refused":
        return errored("The files your code's run left behind were refused, so this check "
                       f"could not be judged: {outcome.detail}", None)
    if outcome.state == "disk":
        return errored(f"Your code was stopped: it {outcome.detail}. Write less to disk (files "
                       "you do not need, or smaller ones).", None,
                       {"output": outcome.output[-2000:]})
    if outcome.state == "not_run":
        return errored("Not run: " + (outcome.detail or "an earlier problem stopped grading "
                                      "before this check."), None)
    raw = data.info.get("probe_error")
    if isinstance(raw, Mapping):
        return errored("Your code raised an exception", StudentError.from_json(raw))
    return None


def to_result(spec: CheckSpec, verdict: Verdict) -> CheckResult:
    score = spec.points if verdict.status == "pass" else 0.0
    return CheckResult(id=spec.id, title=spec.title, status=verdict.status, score=score,
                       max_score=spec.points, visible=spec.visible, message=verdict.message,
                       metrics=dict(verdict.metrics), error=verdict.error)


def case_label(name: str, shape: tuple[int, ...] | None = None) -> str:
    """How a case is named in messages: the toy problem, or hidden input k.

    Messages reach students, so a hidden input is never described further
    (its shape stays in the metrics, which the student view filters).
    """
    base = name.split("@")[0]
    if base == "toy":
        return "the toy problem"
    if base.startswith("hidden"):
        return f"hidden input {base.removeprefix('hidden')}"
    return f"the small hidden input '{base}'"
