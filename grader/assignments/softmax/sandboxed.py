"""Child side of the Softmax probes: rebuild the inputs from the seed, call :mod:`.probes`.

Runs in the sandboxed child, on the student's course files imported as one
package (``grader.child.main`` loads them). Each ``run_*`` turns a probe's
plain dict into a :class:`~grader.child.context.ProbeOutput`: floats and
arrays become float64 arrays ``GROUP.KEY`` (declared in :mod:`.outputs`),
the rest (counts, lists of row indices, the returned history) goes to JSON.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Mapping

import numpy as np

from ...child.context import Context, ProbeOutput
from ...child.main import student_module
from . import cases as C
from . import probes as P

Args = Mapping[str, Any]


def _encode(out: ProbeOutput, group: str, found: Mapping[str, Any]) -> None:
    info: dict[str, Any] = {}
    for key, value in found.items():
        if isinstance(value, (np.ndarray, float)):
            try:
                out.arrays[f"{group}.{key}"] = np.asarray(value, dtype=np.float64)
            except (TypeError, ValueError) as exc:  # e.g. labels that are not numbers
                info["error"] = f"{type(exc).__name__}: {key} is not an array of numbers"
        else:
            info[key] = value
    out.info[group] = info


def _function(name: str) -> Any:
    """The student's loss function ``name`` (a missing one fails like a call that raises)."""
    module = student_module("softmax")

    def call(*args: Any) -> Any:
        return getattr(module, name)(*args)
    return call


def run_naive(ctx: Context, args: Args) -> ProbeOutput:
    out = ProbeOutput()
    _encode(out, "out", P.probe_loss(_function("softmax_loss_naive"), C.cases_for(args)))
    return out


def run_vectorized(ctx: Context, args: Args) -> ProbeOutput:
    out = ProbeOutput()
    _encode(out, "out", P.probe_loss(_function("softmax_loss_vectorized"), C.cases_for(args)))
    return out


def run_stability(ctx: Context, args: Args) -> ProbeOutput:
    out = ProbeOutput()
    cases = C.stability_case(int(args["seed"]), float(args["shift"]))
    for group in ("naive", "vectorized"):
        _encode(out, group, P.probe_loss(_function(f"softmax_loss_{group}"), cases))
    return out


def _factory(ctx: Context) -> Callable[[], Any]:
    def make() -> Any:
        return ctx.student_class()
    return make


def run_predict(ctx: Context, args: Args) -> ProbeOutput:
    out = ProbeOutput()
    cases = C.predict_cases(int(args["seed"]), int(args["count"]))
    _encode(out, "out", P.probe_predict(_factory(ctx), cases))
    return out


def run_train(ctx: Context, args: Args) -> ProbeOutput:
    if ctx.reference is None:
        raise RuntimeError("the train probe needs the reference loss")
    case = C.train_case(int(args["seed"]), float(args["learning_rate"]), float(args["reg"]),
                        int(args["num_iters"]), int(args["batch_size"]))
    out = ProbeOutput()
    _encode(out, "out", P.probe_train(_factory(ctx), ctx.reference.softmax_loss_vectorized,
                                      case))
    return out


def with_bias(X: Any) -> Any:
    """``X`` with a column of ones appended (the bias trick of the assignment)."""
    return np.hstack([X, np.ones((X.shape[0], 1))])


def run_accuracy(ctx: Context, args: Args) -> ProbeOutput:
    """Train the student's whole classifier; the labels on the evaluation rows go back
    (their true labels stay with the parent)."""
    if ctx.data_dir is None:
        raise RuntimeError("the accuracy probe needs a data folder")
    data = {k: np.load(os.path.join(ctx.data_dir, f"{k}.npy"), allow_pickle=False)
            for k in ("X_train", "y_train", "X_eval")}
    X_train, X_eval = with_bias(data["X_train"]), with_bias(data["X_eval"])
    out = ProbeOutput()
    found: dict[str, Any]
    try:
        np.random.seed(int(args["seed"]))
        model = ctx.student_class()
        model.train(X_train, np.array(data["y_train"]), **dict(args["settings"]))
        found = {"labels": np.asarray(model.predict(X_eval)),
                 "W": np.asarray(model.W, dtype=np.float64)}
    except Exception as exc:  # student code: any failure is an answer
        found = {"error": f"{type(exc).__name__}: {exc}"}
    if "labels" in found and np.ndim(found["labels"]) != 1:  # e.g. the scores
        found["predict_shape"] = list(np.shape(found.pop("labels")))
    _encode(out, "out", found)
    return out
