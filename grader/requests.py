"""Which probes a set of checks needs, and each probe's limits.

Kept free of numpy on purpose: the sandboxed child is started from this
before the parent imports numpy, so the two imports overlap.
"""

from __future__ import annotations

from .limits import Limits
from .rubric import DatasetSettings, Rubric

PROBE_OF_CHECK = {
    "init": "init", "scores": "forward", "loss": "loss", "grad_W1": "loss",
    "grad_b1": "loss", "grad_W2": "loss", "grad_b2": "loss", "stability": "stability",
    "train": "train", "predict": "predict", "accuracy": "accuracy",
}
"""Which probe's output each check judges."""


def probe_limits(rubric: Rubric, check_ids: tuple[str, ...],
                 accuracy: DatasetSettings | None) -> list[tuple[str, Limits]]:
    """The probes needed by ``check_ids``, in order, with the looser limits of the checks each serves."""
    out: dict[str, Limits] = {}
    for check_id in check_ids:
        kind = PROBE_OF_CHECK[check_id]
        limits = rubric.check(check_id).limits
        if kind == "accuracy" and accuracy is not None:
            limits = accuracy.limits
        out[kind] = out[kind].merge(limits) if kind in out else limits
    return list(out.items())
