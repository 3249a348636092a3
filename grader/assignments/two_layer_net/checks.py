"""The two-layer net's probes and checks, each declared once (see :mod:`grader.checkdef`).

The rubric's ``[checks.ID]`` tables are validated against these option
schemas; the probe plan, the child's probes, the judges, the reference
stand-in and the data set loading are all derived from them.
"""

from __future__ import annotations

from ...checkdef import CheckDef, NotebookDef, Number, Option, ProbeDef
from .outputs import OUTPUTS

_HERE = "grader.assignments.two_layer_net"
_PLAN = f"{_HERE}.plan"
_CHILD = f"{_HERE}.sandboxed"


FIRST_LAYER = "first_layer.npz"
"""The trained network's first-layer weights, kept beside a result for its report."""


def _probe(kind: str, reference_stands_in: bool = False, keep: str | None = None,
           kept: tuple[str, ...] = ()) -> ProbeDef:
    return ProbeDef(kind, f"{_PLAN}:_{kind}_args", f"{_CHILD}:probe_{kind}",
                    reference_stands_in, OUTPUTS[kind], keep, kept)


PROBES = (
    _probe("init"), _probe("forward"), _probe("loss"), _probe("stability"),
    # the reference's loss and predict stand in for the student's while train runs
    _probe("train", reference_stands_in=True),
    _probe("predict"),
    _probe("accuracy", keep=f"{_HERE}.artifacts:save_first_layer", kept=(FIRST_LAYER,)),
)


def _hidden(default: int) -> Option:
    return Option((int,), default, low=0, high=20)


def _tolerance(default: float) -> Option:
    return Option(Number, default, low=0.0)


def _gradient(param: str) -> CheckDef:
    return CheckDef(f"grad_{param}", f"{_HERE}.judges_loss:judge_grad_{param}", "loss",
                    {"tolerance": _tolerance(1e-8)})


CHECKS = (
    CheckDef("init", f"{_HERE}.judges_forward:judge_init", "init",
             {"hidden_cases": _hidden(1), "tolerance": _tolerance(1e-12)}),
    CheckDef("scores", f"{_HERE}.judges_forward:judge_scores", "forward",
             {"hidden_cases": _hidden(3), "tolerance": _tolerance(1e-7)}),
    CheckDef("loss", f"{_HERE}.judges_loss:judge_loss", "loss",
             {"hidden_cases": _hidden(3), "tolerance": _tolerance(1e-12),
              "regs": Option((list,), [0.05, 0.0])}),
    _gradient("W1"), _gradient("b1"), _gradient("W2"), _gradient("b2"),
    CheckDef("stability", f"{_HERE}.judges_forward:judge_stability", "stability",
             {"shift": Option(Number, 1000.0, low=0.0), "tolerance": _tolerance(1e-6)}),
    CheckDef("train", f"{_HERE}.judges_train:judge_train", "train",
             {"learning_rate": Option(Number, 0.1, low=0.0), "reg": Option(Number, 5e-6, low=0.0),
              "num_iters": Option((int,), 100, low=1, high=100000),
              "final_loss_below": Option(Number, 0.02, low=0.0)},
             figures=("loss_curve",)),
    CheckDef("predict", f"{_HERE}.judges_forward:judge_predict", "predict",
             {"hidden_cases": _hidden(3)}),
    CheckDef("accuracy", f"{_HERE}.judges_accuracy:judge_accuracy", "accuracy",
             {"reference_tolerance": Option(Number, 0.02, low=0.0, high=1.0)},
             needs_data=True, figures=("first_layer", "confusion")),
    CheckDef("notebook_runs", "grader.checks.notebook:judge_runs", notebook=True),
    CheckDef("best_net", f"{_HERE}.judges_notebook:judge_tuned", notebook=True,
             needs_data=True),
)

CHILD_FILES = ("outputs.py", "sandboxed.py", "network.py", "recorder.py")
"""What the sandboxed child imports of this pack: the probes, the parameter names."""

HOOKS = {
    "plan_cases": f"{_PLAN}:plan_cases",
    "stand_in_source": f"{_HERE}.reference_net:stand_in_source",
    "diagnose": f"{_HERE}.diagnosis:diagnose",
    "record": f"{_HERE}.replay:record", "load_recorded": f"{_HERE}.replay:load_recorded",
    "recorded_stand_in": f"{_HERE}.replay:recorded_stand_in",
    "instructor_only": f"{_HERE}.replay:instructor_only",
}
"""The pack's input cases, the cut-down reference the train probe gets, the names of its
known mistakes, and its recorded reference for the student build (see :mod:`.plan`,
:mod:`.reference_net`, :mod:`.diagnosis`, :mod:`.replay`)."""

NOTEBOOK = NotebookDef(
    "two_layer_net.ipynb", extract=f"{_HERE}.tuned:tuned_network",
    course="cs231n", student_files=("cs231n/classifiers/neural_net.py",), data="cs231n/datasets")
"""The notebook: the course's support files beside it, and what is read of ``best_net``."""

FIGURES = (f"{_HERE}.figures:gradient_errors", f"{_HERE}.figures:first_layer")
"""The report's charts of the network's gradients and first-layer weights."""
