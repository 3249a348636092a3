"""The ``accuracy`` check: the student's whole network, trained as the rubric says.

The child trained the student's class with its own loss, train and predict,
and brought back its predictions on validation and test inputs whose labels
it never saw; the accuracy is computed here. The reference forward pass is
also run on the student's final weights, which tells a broken ``predict``
from a badly trained network.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..compare import json_number
from ..rubric import CheckSpec
from .base import Evidence, ProbeData, Verdict, errored, failed, passed
from .forward import reference_net

_MAX_HISTORY = 500


def judge_accuracy(spec: CheckSpec, data: ProbeData, ev: Evidence) -> Verdict:
    assert ev.dataset is not None and ev.accuracy is not None
    settings, dataset = ev.accuracy, ev.dataset
    error = data.error("run") or data.error("predict")
    metrics: dict[str, Any] = {"dataset": dataset.name, "threshold": settings.threshold,
                               "hyperparameters": dict(settings.hyperparameters)}
    metrics.update(_histories(data))
    metrics["reference_forward_accuracy"] = _reference_forward(data, ev)
    if error:
        return errored("Training or predicting with your network raised", error, metrics)
    labels = data.arrays.get("predict.labels")
    if labels is None or labels.shape != dataset.y_val.shape:
        return failed("predict(X_val) did not return one label per row.", metrics)
    accuracy = float(np.mean(labels == dataset.y_val))
    metrics["val_accuracy"] = accuracy
    if accuracy >= settings.threshold:
        return passed(f"Validation accuracy {accuracy:.3f} on {dataset.name} "
                      f"(needs {settings.threshold:.2f}).", metrics)
    hint = ""
    ref = metrics["reference_forward_accuracy"]
    if isinstance(ref, float) and ref >= settings.threshold:
        hint = (f" Your trained weights do reach {ref:.3f} with a correct forward pass, "
                "so predict() is what loses accuracy.")
    return failed(f"Validation accuracy {accuracy:.3f} on {dataset.name}; it needs "
                  f"{settings.threshold:.2f}.{hint}", metrics)


def _histories(data: ProbeData) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("loss_history", "train_acc_history", "val_acc_history"):
        values = data.arrays.get(f"run.{key}")
        if values is not None and values.ndim == 1:
            step = max(1, -(-values.size // _MAX_HISTORY))
            out[key] = [json_number(float(v)) for v in values[::step]]
            out[f"{key}_step"] = step
    return out


def _reference_forward(data: ProbeData, ev: Evidence) -> float | None:
    assert ev.dataset is not None
    params = {k: data.arrays.get(f"run.{k}") for k in ("W1", "b1", "W2", "b2")}
    if any(v is None for v in params.values()):
        return None
    try:
        labels = reference_net(ev.reference, params).predict(ev.dataset.X_val)
    except (ValueError, TypeError):
        return None  # weights of the wrong shape: nothing to measure
    return float(np.mean(labels == ev.dataset.y_val))
