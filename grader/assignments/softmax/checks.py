"""The Softmax classifier's probes and checks, each declared once (see :mod:`grader.checkdef`).

The child side of every probe is in :mod:`.sandboxed`, the argument
builders and judges in :mod:`.wiring`; both are thin adapters around
:mod:`.cases`, :mod:`.probes` and :mod:`.judges`. ``HOOKS`` replace the
core's two-layer-net defaults: the reference is two files loaded as one
package, the train probe's stand-in is the reference's vectorized loss, and
the inputs are drawn in the child from the rubric seed (no plan arrays).
"""

from __future__ import annotations

from ...checkdef import CheckDef, Number, Option, ProbeDef
from .outputs import OUTPUTS

_WIRING = "grader.assignments.softmax.wiring"
_CHILD = "grader.assignments.softmax.sandboxed"
_REPLAY = "grader.assignments.softmax.replay"


def _probe(kind: str, reference_stands_in: bool = False) -> ProbeDef:
    return ProbeDef(f"softmax_{kind}", f"{_WIRING}:{kind}_args", f"{_CHILD}:run_{kind}",
                    reference_stands_in, OUTPUTS[f"softmax_{kind}"])


PROBES = (
    _probe("naive"), _probe("vectorized"), _probe("stability"), _probe("predict"),
    _probe("accuracy"),
    # the reference's softmax_loss_vectorized stands in for the student's while train runs
    _probe("train", reference_stands_in=True),
)


def _tolerance(default: float) -> Option:
    return Option(Number, default, low=0.0)


def _loss_options() -> dict[str, Option]:
    return {"tolerance": _tolerance(1e-10), "hidden_cases": Option((int,), 2, low=1, high=10),
            "regs": Option((list,), [0.05, 0.0])}


def _check(check_id: str, probe: str, options: dict[str, Option] | None = None,
           needs_data: bool = False) -> CheckDef:
    return CheckDef(check_id, f"{_WIRING}:judge_{check_id}", f"softmax_{probe}",
                    options or {}, needs_data=needs_data)


CHECKS = (
    _check("loss_naive", "naive", _loss_options()),
    _check("grad_naive", "naive", {"tolerance": _tolerance(1e-8)}),
    _check("loss_vectorized", "vectorized", _loss_options()),
    _check("grad_vectorized", "vectorized", {"tolerance": _tolerance(1e-8)}),
    _check("consistency", "vectorized", {"tolerance": _tolerance(1e-8)}),
    _check("stability", "stability", {"shift": Option(Number, 1000.0, low=0.0),
                                      "tolerance": _tolerance(1e-8)}),
    _check("train", "train", {"learning_rate": Option(Number, 0.05, low=0.0),
                              "reg": Option(Number, 1e-3, low=0.0),
                              "num_iters": Option((int,), 30, low=1, high=1000),
                              "batch_size": Option((int,), 20, low=1, high=1000)}),
    _check("predict", "predict", {"hidden_cases": Option((int,), 3, low=1, high=20)}),
    _check("accuracy", "accuracy", needs_data=True),
    CheckDef("notebook_runs", "grader.checks.notebook:judge_runs", notebook=True),
    CheckDef("best_softmax", f"{_WIRING}:judge_best_softmax", notebook=True, needs_data=True),
)

HOOKS = {
    "load_reference": f"{_WIRING}:load_reference",
    "stand_in_source": f"{_WIRING}:stand_in_source",
    "plan_cases": f"{_WIRING}:plan_cases",
    "diagnose": "grader.assignments.softmax.diagnosis:diagnose",
    # the student build: the reference's answers recorded at release time (see .replay)
    "record": f"{_REPLAY}:record",
    "load_recorded": f"{_REPLAY}:load_recorded",
    "recorded_stand_in": f"{_REPLAY}:recorded_stand_in",
}

DATASET_REQUIRED = ("threshold", "learning_rate", "num_iters", "batch_size")
"""A linear classifier has no hidden layer: no ``hidden_size``."""

CHILD_FILES = ("outputs.py", "sandboxed.py", "cases.py", "probes.py")
"""What the sandboxed child imports of this pack: the probes and the inputs they draw."""

from .notebook_setup import NOTEBOOK as NOTEBOOK  # the notebook's course files and extraction
