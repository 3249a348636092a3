"""The ``accuracy`` check: the student's whole network, trained as the rubric says.

The child trained the student's class with its own loss, train and predict,
and brought back its predictions on validation and test inputs whose labels
it never saw; the accuracy is computed here. The reference forward pass is
also run on the student's final weights, which tells a broken ``predict``
from a badly trained network. The grader trains the reference with the same
seed, hyperparameters and data (once per process): the check passes above the
data set's absolute threshold, or within the rubric's ``reference_tolerance``
of the reference's accuracy.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from ...checks.base import Evidence, ProbeData, Verdict, errored, failed, passed
from ...compare import json_number
from ...reference import call_with_rng
from ...rubric import CheckSpec
from .judges_forward import holding
from .reference_net import net_class
from .outputs import PARAMS

_MAX_HISTORY = 500
_reference_cache: dict[tuple[Any, ...], float | None] = {}
_reference_lock = threading.Lock()


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
    reference = reference_accuracy(ev)
    tolerance = float(spec.options.get("reference_tolerance", 0.02))
    metrics.update(reference_accuracy=reference, reference_tolerance=tolerance)
    reference_text = (f"; the reference, trained the same way, reaches {reference:.3f}"
                      if reference is not None else "")
    floor = f" or {reference - tolerance:.3f}" if reference is not None else ""
    if accuracy >= settings.threshold or (reference is not None
                                          and accuracy >= reference - tolerance):
        return passed(f"Validation accuracy {accuracy:.3f} on {dataset.name}{reference_text} "
                      f"(needs {settings.threshold:.2f}{floor}).", metrics)
    hint = ""
    ref = metrics["reference_forward_accuracy"]
    if isinstance(ref, float) and ref >= settings.threshold:
        hint = (f" Your trained weights do reach {ref:.3f} with a correct forward pass, "
                "so predict() is what loses accuracy.")
    return failed(f"Validation accuracy {accuracy:.3f} on {dataset.name}{reference_text}; "
                  f"it needs {settings.threshold:.2f}{floor} (within {tolerance:g} of the "
                  f"reference).{hint}", metrics)


def reference_accuracy(ev: Evidence) -> float | None:
    """The reference's validation accuracy, trained exactly as the student's network was.

    Same seed (one generator for ``__init__`` and ``train``, as the child's
    ``np.random.seed`` gives), hyperparameters and data; once per process per
    rubric and data set. None when the reference cannot be trained.
    """
    assert ev.dataset is not None and ev.accuracy is not None
    settings, data = ev.accuracy, ev.dataset
    key = (str(ev.rubric.reference), ev.rubric.reg_scale, ev.rubric.seed, data.name,
           data.X_train.shape, tuple(sorted(settings.hyperparameters.items())))
    with _reference_lock:
        if key not in _reference_cache:
            _reference_cache[key] = _train_reference(ev)
        return _reference_cache[key]


def _train_reference(ev: Evidence) -> float | None:
    assert ev.dataset is not None and ev.accuracy is not None
    data = ev.dataset
    hyper = dict(ev.accuracy.hyperparameters)
    hidden_size, std = hyper.pop("hidden_size"), hyper.pop("std")
    cls = net_class(ev.reference, ev.rubric)
    if not callable(getattr(cls, "train", None)):
        return None  # a recorded reference (student build) cannot train: threshold only
    rng = np.random.RandomState(ev.rubric.seed)
    net = cls.__new__(cls)
    try:
        with np.errstate(all="ignore"):
            call_with_rng(cls.__init__, rng, net, data.X_train.shape[1], hidden_size,
                          len(data.class_names), std=std)
            call_with_rng(cls.train, rng, net, data.X_train, data.y_train, data.X_train[-10:],
                          data.y_train[-10:], verbose=False, **hyper)
            labels = net.predict(data.X_val)
    except (ValueError, TypeError, ArithmeticError):
        return None
    return float(np.mean(labels == data.y_val))


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
    params = {k: data.arrays.get(f"run.{k}") for k in PARAMS}
    if any(v is None for v in params.values()):
        return None
    try:
        labels = holding(ev, params).predict(ev.dataset.X_val)
    except (ValueError, TypeError):
        return None  # weights of the wrong shape: nothing to measure
    return float(np.mean(labels == ev.dataset.y_val))
