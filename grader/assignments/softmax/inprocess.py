"""Run the pack's checks on one variant of the course modules, in this process.

The glue between :mod:`.cases`, :mod:`.probes` and :mod:`.judges` for code
the grader trusts: the reference, the reference with a known mistake, the
untouched template. Student submissions go through the core's sandbox
instead, with the same probes in the child and the same judges in the
parent; this module is what that wiring reproduces check by check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from . import cases as C
from . import judges_train as JT
from .judges import Verdict, judge_consistency, judge_grad, judge_loss, judge_predict
from .judges import judge_stability, select
from .modules import CourseModules
from .probes import Output, probe_accuracy, probe_best, probe_loss, probe_predict, probe_train

SETTING_KEYS = ("learning_rate", "reg", "num_iters", "batch_size")


@dataclass(frozen=True)
class Data:
    """A data set ready for the classifier: bias column appended."""

    X_train: Any
    y_train: Any
    X_val: Any
    y_val: Any


def with_bias(X: Any) -> Any:
    """``X`` with a column of ones appended (the bias trick of the assignment)."""
    return np.hstack([X, np.ones((X.shape[0], 1))])


def _options(rubric: Mapping[str, Any], check: str) -> Mapping[str, Any]:
    table: Mapping[str, Any] = rubric["checks"][check]
    return table


def _specs(rubric: Mapping[str, Any], check: str) -> list[C.Spec]:
    options = _options(rubric, check)
    return C.loss_specs(int(options["hidden_cases"]), [float(r) for r in options["regs"]])


class Runner:
    """Every check of the rubric that needs no notebook, for one student variant."""

    def __init__(self, rubric: Mapping[str, Any], reference: CourseModules, data: Data,
                 data_settings: Mapping[str, Any], reg_scale: float = 1.0) -> None:
        self.rubric, self.ref, self.data = rubric, reference, data
        self.settings, self.reg_scale = data_settings, reg_scale
        self.seed = int(rubric["assignment"]["seed"])
        # each loss probe answers its own check's cases; the vectorized one also the naive
        # cases it lacks, so that consistency compares the two on the same cases
        self.naive_specs = _specs(rubric, "loss_naive")
        self.vectorized_specs = C.with_common(_specs(rubric, "loss_vectorized"),
                                              self.naive_specs)
        self.stable = C.stability_case(self.seed, float(_options(rubric, "stability")["shift"]))
        train = _options(rubric, "train")
        self.train_case = C.train_case(self.seed, float(train["learning_rate"]),
                                       float(train["reg"]), int(train["num_iters"]),
                                       int(train["batch_size"]))
        self.predict_cases = C.predict_cases(self.seed, int(_options(rubric, "predict")["hidden_cases"]))
        self._reference = self._outputs(reference)

    def _outputs(self, mods: CourseModules) -> dict[str, Output]:
        naive, vec = mods.softmax.softmax_loss_naive, mods.softmax.softmax_loss_vectorized
        return {
            "naive": probe_loss(naive, C.cases_of(self.seed, self.naive_specs)),
            "vectorized": probe_loss(vec, C.cases_of(self.seed, self.vectorized_specs)),
            "stable_naive": probe_loss(naive, self.stable),
            "stable_vectorized": probe_loss(vec, self.stable),
            "predict": probe_predict(mods.linear_classifier.Softmax, self.predict_cases),
        }

    def run(self, student: CourseModules) -> dict[str, Verdict]:
        """Check id -> verdict, for every check but the notebook's."""
        out, ref = self._outputs(student), self._reference
        def tol(check: str) -> float:
            return float(_options(self.rubric, check)["tolerance"])

        ref_loss = self.ref.softmax.softmax_loss_vectorized
        stand_in = _stand_in(student.linear_classifier.LinearClassifier)
        naive_cases = C.cases_of(self.seed, self.naive_specs)
        own = _specs(self.rubric, "loss_vectorized")
        vectorized = select(out["vectorized"], self.vectorized_specs, own)
        ref_vectorized = select(ref["vectorized"], self.vectorized_specs, own)
        vectorized_cases = C.cases_of(self.seed, own)
        verdicts = {
            "loss_naive": judge_loss(out["naive"], ref["naive"], naive_cases,
                                     tol("loss_naive"), self.reg_scale),
            "grad_naive": judge_grad(out["naive"], ref["naive"], naive_cases,
                                     tol("grad_naive"), self.reg_scale),
            "loss_vectorized": judge_loss(vectorized, ref_vectorized, vectorized_cases,
                                          tol("loss_vectorized"), self.reg_scale),
            "grad_vectorized": judge_grad(vectorized, ref_vectorized, vectorized_cases,
                                          tol("grad_vectorized"), self.reg_scale),
            "consistency": judge_consistency(
                out["naive"], select(out["vectorized"], self.vectorized_specs, self.naive_specs),
                naive_cases, tol("consistency")),
            "stability": judge_stability(out["stable_naive"], out["stable_vectorized"],
                                         tol("stability")),
            "train": JT.judge_train(probe_train(stand_in, ref_loss, self.train_case),
                                    self.train_case),
            "predict": judge_predict(out["predict"], ref["predict"], len(self.predict_cases)),
        }
        verdicts["accuracy"] = JT.judge_accuracy(self.accuracy_output(student),
                                                 float(self.settings["threshold"]))
        return verdicts

    def accuracy_output(self, mods: CourseModules) -> Output:
        """The probe of the accuracy check: the whole classifier trained on the data set."""
        settings = {k: self.settings[k] for k in SETTING_KEYS}
        d = self.data
        return probe_accuracy(mods.linear_classifier.Softmax, d.X_train, d.y_train, d.X_val,
                              d.y_val, settings, self.seed)

    def best(self, model: Any) -> Verdict:
        """The ``best_softmax`` check on a trained classifier object."""
        return JT.judge_best(probe_best(model), self.data.X_val, self.data.y_val,
                             float(self.settings["threshold"]))


def _stand_in(cls: Any) -> Callable[[], Any]:
    # The student's class; its loss is replaced per instance by the probe's recorder.
    def make() -> Any:
        return cls()
    return make
