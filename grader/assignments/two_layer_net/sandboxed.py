"""Child side of the two-layer net's probes: call student code on given inputs, record
what comes back.

Runs in the sandboxed child (listed in the pack's ``CHILD_FILES``). Each probe
takes the :class:`~grader.child.context.Context` and its arguments from the
plan and returns a :class:`~grader.child.context.ProbeOutput`. Case names and
array keys are declared in :mod:`.outputs`; the parent builds the plan and
reads the output.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np

from ...child.capture import recover_local
from ...child.context import Context, ProbeOutput
from ...child.convert import NotAnArray, as_scalar, describe
from .network import PARAM_NAMES, net_with, params_of
from .recorder import TrainRecorder

Args = Mapping[str, Any]


def probe_init(ctx: Context, args: Args) -> ProbeOutput:
    out = ProbeOutput()
    for case in args["cases"]:
        name = case["name"]

        def build(case: Mapping[str, Any] = case) -> Any:
            np.random.seed(case["seed"])
            return ctx.student_class(case["D"], case["H"], case["C"], std=case["std"])

        net = ctx.attempt(out, name, build)
        if net is None:
            continue
        params = getattr(net, "params", None)
        if not isinstance(params, Mapping):
            out.info.setdefault(name, {})["problem"] = (
                f"self.params is {describe(params)['type']}, not a dict")
            continue
        for param in PARAM_NAMES:
            if param in params:
                ctx.store(out, f"{name}.{param}", params[param])
    return out


def probe_forward(ctx: Context, args: Args) -> ProbeOutput:
    out = ProbeOutput()
    for name in args["cases"]:
        net = net_with(ctx, params_of(ctx, name))
        scores = ctx.attempt(out, name, lambda: net.loss(ctx.array(f"{name}.X")))
        if scores is not None or name not in out.info:
            ctx.store(out, f"{name}.scores", scores)
    return out


def probe_loss(ctx: Context, args: Args) -> ProbeOutput:
    out = ProbeOutput()
    for case in args["cases"]:
        _loss_case(ctx, out, case)
    return out


def _loss_case(ctx: Context, out: ProbeOutput, case: Mapping[str, Any]) -> None:
    name, data, reg = case["name"], case["data"], case["reg"]
    net = net_with(ctx, params_of(ctx, data))
    X, y = ctx.array(f"{data}.X"), ctx.array(f"{data}.y").astype(np.int64)
    try:
        returned = net.loss(X, y, reg=reg)
    except Exception as exc:
        out.info.setdefault(name, {})["error"] = ctx.error(exc)
        local = recover_local(exc.__traceback__, _code_of(type(net).loss), "loss")
        if local is not None:
            out.info[name]["loss_recovered"] = ctx.store(out, f"{name}.loss", local)
        return
    if not isinstance(returned, (tuple, list)) or len(returned) != 2:
        out.info.setdefault(name, {})["problem"] = (
            f"loss(X, y) returned {describe(returned)['type']}, not a pair (loss, grads)")
        return
    loss, grads = returned
    ctx.store(out, f"{name}.loss", loss)
    if not isinstance(grads, Mapping):
        out.info[name]["grads_problem"] = f"grads is {describe(grads)['type']}, not a dict"
        return
    for param in PARAM_NAMES:
        if param in grads:
            ctx.store(out, f"{name}.d{param}", grads[param])
    if case.get("numeric"):
        _numeric_gradient(ctx, out, name, net, X, y, reg)


def _numeric_gradient(ctx: Context, out: ProbeOutput, name: str, net: Any,
                      X: np.ndarray, y: np.ndarray, reg: float) -> None:
    """Centered differences of the student's OWN loss, to judge their backprop."""
    h = 1e-5

    def own_loss() -> float:
        return as_scalar(net.loss(X, y, reg=reg)[0])

    try:
        for param in PARAM_NAMES:
            values = net.params[param]
            grad = np.zeros(np.shape(values))
            for index in np.ndindex(grad.shape):
                old = values[index]
                values[index] = old + h
                plus = own_loss()
                values[index] = old - h
                minus = own_loss()
                values[index] = old
                grad[index] = (plus - minus) / (2 * h)
            out.arrays[f"{name}.numeric_d{param}"] = grad
    except (Exception, NotAnArray) as exc:
        out.info.setdefault(name, {})["numeric_error"] = ctx.error(exc)


def _code_of(function: Callable[..., Any]) -> object:
    return getattr(function, "__code__", None)


def probe_stability(ctx: Context, args: Args) -> ProbeOutput:
    out = ProbeOutput()
    data = args["data"]
    X, y = ctx.array(f"{data}.X"), ctx.array(f"{data}.y").astype(np.int64)
    for name, shift in (("plain", 0.0), ("shifted", float(args["shift"]))):
        values = params_of(ctx, data)
        values["b2"] = values["b2"] + shift
        net = net_with(ctx, values)
        with np.errstate(all="ignore"):
            returned = ctx.attempt(out, name, lambda: net.loss(X, y, reg=0.0))
        if returned is not None:
            loss = returned[0] if isinstance(returned, (tuple, list)) else returned
            ctx.store(out, f"{name}.loss", loss)
    return out


def probe_train(ctx: Context, args: Args) -> ProbeOutput:
    out = ProbeOutput()
    for run in args["runs"]:
        _train_run(ctx, out, run)
    return out


def _train_run(ctx: Context, out: ProbeOutput, run: Mapping[str, Any]) -> None:
    name, data = run["name"], run["data"]
    X, y = ctx.array(f"{data}.X"), ctx.array(f"{data}.y").astype(np.int64)
    net = net_with(ctx, params_of(ctx, data))
    recorder = TrainRecorder(ctx, net, X, y)
    np.random.seed(run["seed"])
    stats = ctx.attempt(out, name, lambda: net.train(X, y, X, y, **run["kwargs"]))
    recorder.finish(out, name)
    if stats is not None or "error" not in out.info.get(name, {}):
        _record_stats(ctx, out, name, stats)


def _record_stats(ctx: Context, out: ProbeOutput, name: str, stats: object) -> None:
    info = out.info.setdefault(name, {})
    info["stats"] = describe(stats)
    if not isinstance(stats, Mapping):
        return
    info["stats"]["keys"] = sorted(str(k) for k in stats)
    for key in ("loss_history", "train_acc_history", "val_acc_history"):
        if key in stats:
            ctx.store(out, f"{name}.{key}", stats[key])


def probe_predict(ctx: Context, args: Args) -> ProbeOutput:
    out = ProbeOutput()
    for name in args["cases"]:
        net = net_with(ctx, params_of(ctx, name))
        labels = ctx.attempt(out, name, lambda: net.predict(ctx.array(f"{name}.X")))
        if name not in out.info:
            ctx.store(out, f"{name}.labels", labels)
    return out


def probe_accuracy(ctx: Context, args: Args) -> ProbeOutput:
    out = ProbeOutput()
    if ctx.data_dir is None:
        raise RuntimeError("the accuracy probe needs a data folder")
    data = {k: np.load(f"{ctx.data_dir}/{k}.npy", mmap_mode="r", allow_pickle=False)
            for k in ("X_train", "y_train", "X_monitor", "y_monitor", "X_eval")}
    hyper = dict(args["hyperparameters"])
    hidden_size, std = hyper.pop("hidden_size"), hyper.pop("std")
    D, C = data["X_train"].shape[1], int(args["num_classes"])

    def run() -> Any:
        np.random.seed(args["seed"])
        net = ctx.student_class(D, hidden_size, C, std=std)
        stats = net.train(data["X_train"], data["y_train"], data["X_monitor"],
                          data["y_monitor"], verbose=False, **hyper)
        return net, stats

    trained = ctx.attempt(out, "run", run)
    if trained is None:
        return out
    net, stats = trained
    _record_stats(ctx, out, "run", stats)
    for param in PARAM_NAMES:
        if isinstance(net.params, Mapping) and param in net.params:
            ctx.store(out, f"run.{param}", net.params[param])
    labels = ctx.attempt(out, "predict", lambda: net.predict(np.asarray(data["X_eval"])))
    if "predict" not in out.info:
        ctx.store(out, "predict.labels", labels)
    return out


PROBES: dict[str, Callable[[Context, Args], ProbeOutput]] = {
    "init": probe_init,
    "forward": probe_forward,
    "loss": probe_loss,
    "stability": probe_stability,
    "train": probe_train,
    "predict": probe_predict,
    "accuracy": probe_accuracy,
}
