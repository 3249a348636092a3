"""The ``best_net`` check: the notebook's tuned network, evaluated by the grader.

The kernel saved the weights of the notebook's ``best_net`` (and its own
predictions); here the reference forward pass runs on those weights over the
data set's validation and test splits, and the accuracies the notebook
printed are checked against the recomputed ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...checks.base import Verdict, errored, failed, passed
from ...checks.notebook import NotebookEvidence
from ...datasets import Dataset
from ...notebook_run import NotebookRun
from ...rubric import CheckSpec, DatasetSettings
from .reference_net import net_class, reference_net
from .outputs import PARAMS

_CLAIM_SLACK = 0.02
"""How far a printed accuracy may be from the recomputed one before it is flagged."""


def judge_tuned(spec: CheckSpec, ev: NotebookEvidence) -> Verdict:
    """The notebook's tuned network, evaluated by the grader on the data set."""
    from ...reference import load_reference

    if ev.data is None:
        return errored("The grader has no data set to evaluate the tuned network on.", None)
    network = net_class(load_reference(ev.rubric), ev.rubric)
    return judge_best_net(spec, ev.run, ev.data.dataset, ev.data.settings, network, ev.variable)


def judge_best_net(spec: CheckSpec, run: NotebookRun, dataset: Dataset,
                   settings: DatasetSettings, network: Any, variable: str) -> Verdict:
    metrics: dict[str, Any] = {"dataset": dataset.name, "threshold": settings.threshold,
                               "claims": []}
    if run.problem:
        return failed(f"The notebook could not be run, so {variable} could not be evaluated.",
                      metrics)
    params = _weights(run)
    if params is None:
        return failed(f"Your tuned network could not be evaluated: {_missing(run, variable)}.",
                      metrics)
    try:
        net = reference_net(network, params)
        val = float(np.mean(net.predict(dataset.X_val) == dataset.y_val))
        test = float(np.mean(net.predict(dataset.X_test) == dataset.y_test))
    except (ValueError, TypeError) as exc:
        return failed(f"{variable}'s weights do not fit this data set ({exc}).", metrics)
    metrics.update(val_accuracy=val, test_accuracy=test)
    own = _own_predict_accuracy(run, dataset)
    metrics["own_predict_val_accuracy"] = own
    claims = _check_claims(run, val, test, metrics)
    note = _predict_note(own, val, run) + claims
    if val >= settings.threshold:
        return passed(f"{variable} reaches {val:.3f} validation and {test:.3f} test accuracy "
                      f"(needs {settings.threshold:.2f}).{note}", metrics)
    return failed(f"{variable} reaches {val:.3f} validation accuracy; it needs "
                  f"{settings.threshold:.2f}. Tune the hyperparameters.{note}", metrics)


def _missing(run: NotebookRun, variable: str) -> str:
    """Why the tuned network's weights are not there."""
    failure = run.failure or {}
    refused = [p for p in run.problems if "best_net" in p]
    if refused:
        return f"its weights file was refused ({refused[0]})"
    if failure.get("kind") in ("dead", "kernel") and not run.extract:
        return f"the Python kernel died before {variable} could be read"
    if failure.get("kind") == "timeout" and not run.extract:
        return f"the notebook ran out of time before {variable} could be read"
    found = run.extract.get("best_net", "missing")
    if found in ("missing", None):
        return f"no variable named {variable} was defined"
    return f"{variable} has no params dict with {', '.join(PARAMS)}"


def _weights(run: NotebookRun) -> dict[str, np.ndarray] | None:
    params = dict(run.weights or {})
    return params if set(params) == set(PARAMS) else None


def _own_predict_accuracy(run: NotebookRun, dataset: Dataset) -> float | None:
    labels = run.predictions
    if labels is None or labels.shape != dataset.y_val.shape:
        return None
    return float(np.mean(labels == dataset.y_val))


def _predict_note(own: float | None, val: float, run: NotebookRun) -> str:
    if own is None:
        error = run.extract.get("predict_error")
        return f" Its own predict() failed ({error})." if error else ""
    if abs(own - val) > 1e-9:
        return (f" Its own predict() gives {own:.3f} on the same weights: predict is not "
                "the argmax of the scores (see the predict check).")
    return ""


def _check_claims(run: NotebookRun, val: float, test: float, metrics: dict[str, Any]) -> str:
    flagged = []
    for kind, recomputed in (("validation", val), ("test", test)):
        if kind not in run.claims:
            continue
        claimed = run.claims[kind]
        supported = abs(claimed - recomputed) <= _CLAIM_SLACK
        metrics["claims"].append({"kind": kind, "claimed": claimed, "recomputed": recomputed,
                                  "supported": supported})
        if not supported:
            flagged.append(f"the notebook printed {kind} accuracy {claimed:g}, but recomputing "
                           f"gives {recomputed:.3f}")
    return (" Flagged: " + "; ".join(flagged) + ".") if flagged else ""
