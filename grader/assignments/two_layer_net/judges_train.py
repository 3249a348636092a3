"""The ``train`` check: the student's training loop, with the reference loss.

The child recorded every call the loop made to ``self.loss`` (which rows,
which reg) and the learning rate each step applied. Here those records are
judged against the rules of minibatch SGD with a per-epoch decay.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ...checks.base import Evidence, ProbeData, Verdict, errored, failed, passed
from ...compare import json_number
from ...rubric import CheckSpec
from .outputs import PARAMS

_RATE_TOLERANCE = 1e-6


def judge_train(spec: CheckSpec, data: ProbeData, ev: Evidence) -> Verdict:
    runs = next(p for p in ev.plan.probes if p.kind == "train").args["runs"]
    metrics: dict[str, Any] = {}
    for run in runs:
        name = run["name"]
        error = data.error(name)
        if error:
            hint = _error_hint(error.message)
            return errored(f"train() raised during the {name} run{hint}", error, metrics)
        problem = _run_problem(data, name, run, ev, metrics)
        if problem:
            return failed(problem, metrics)
    final = metrics["toy"]["final_loss"]
    if not final <= spec.options["final_loss_below"]:
        return failed(f"On the toy problem training ends at loss {final:.4g}; it should end "
                      f"below {spec.options['final_loss_below']:g}.", metrics)
    return passed(f"Minibatch SGD with per-epoch decay is right; the toy run ends at loss "
                  f"{final:.4g}.", metrics)


def _error_hint(message: str) -> str:
    if "larger sample than population" in message:
        return (" (N may be smaller than batch_size: sample WITH replacement, or take "
                "min(batch_size, N) rows without)")
    return ""


def _run_problem(data: ProbeData, name: str, run: Mapping[str, Any], ev: Evidence,
                 metrics: dict[str, Any]) -> str | None:
    kwargs = run["kwargs"]
    arrays = {k.split(".", 1)[1]: v for k, v in data.arrays.items() if k.startswith(name + ".")}
    calls = int(data.case(name).get("loss_calls", 0))
    n = ev.plan.cases[run["data"]].X.shape[0]
    info: dict[str, Any] = {"loss_calls": calls, "num_iters": kwargs["num_iters"]}
    ignored = data.case(name).get("ignored_loss_kwargs")
    if isinstance(ignored, list) and ignored:
        info["ignored_loss_kwargs"] = [str(k)[:40] for k in ignored[:10]]
    metrics[name] = info
    if calls != kwargs["num_iters"]:
        return (f"train() called self.loss(X_batch, y=y_batch, reg=reg) {calls} times for "
                f"num_iters={kwargs['num_iters']}; it should call it once per iteration.")
    info["final_loss"] = float(arrays["losses"][-1])
    info["loss_history"] = [json_number(float(v)) for v in arrays["losses"]]
    return (_batch_problem(arrays, kwargs, n) or _update_problem(arrays, kwargs, n, info)
            or _stats_problem(data, name, arrays, kwargs, n))


def _batch_problem(arrays: Mapping[str, np.ndarray], kwargs: Mapping[str, Any],
                   n: int) -> str | None:
    sizes, rows = arrays["batch_sizes"], arrays["rows"]
    # With replacement a batch always has batch_size rows; without, a training
    # set smaller than batch_size gives all of its N rows. Both meet the spec.
    allowed = {kwargs["batch_size"], min(kwargs["batch_size"], n)}
    if not all(int(s) in allowed for s in sizes):
        wrong = next(int(s) for s in sizes if int(s) not in allowed)
        return (f"Minibatches have {wrong} rows; they should have batch_size = "
                f"{kwargs['batch_size']} (or all N = {n} rows when N is smaller).")
    if np.any(rows < 0):
        return "X_batch contains rows that are not rows of X."
    if not np.all(arrays["labels_match"]):
        return "y_batch does not hold the labels of the rows in X_batch."
    if len(np.unique(rows)) < min(n, rows.size) // 2:
        return ("The minibatches do not sample the training set at random (few distinct "
                "rows were ever used): use np.random.choice(num_train, batch_size).")
    if not np.allclose(arrays["regs"], kwargs["reg"]):
        return f"self.loss was called with reg={arrays['regs'][0]:g}, not the reg={kwargs['reg']:g} passed to train()."
    return None


def _update_problem(arrays: Mapping[str, np.ndarray], kwargs: Mapping[str, Any], n: int,
                    info: dict[str, Any]) -> str | None:
    rates, residual = arrays["rates"], arrays["residual"]
    if not np.all(np.isfinite(rates)) or np.any(residual > 1e-6):
        return ("The parameters are not updated by plain SGD, params -= learning_rate * "
                "grads, for all of W1, b1, W2 and b2.")
    if np.ptp(rates, axis=1).max() > _RATE_TOLERANCE * rates.max():
        step = int(np.argmax(np.ptp(rates, axis=1)))
        measured = ", ".join(f"{k} {r + 0.0:.3g}" for k, r in zip(PARAMS,
                                                             rates[step]))
        return (f"Not every parameter is updated with the same learning rate (step {step + 1} "
                f"applied {measured}; expected {kwargs['learning_rate']:g} times a power of "
                "learning_rate_decay for all four).")
    lr0, decay = kwargs["learning_rate"], kwargs["learning_rate_decay"]
    steps = np.log(rates[:, 0] / lr0) / np.log(decay)
    info["learning_rates"] = [float(r) for r in rates[:, 0]]
    if np.any(np.abs(steps - np.round(steps)) > 1e-6) or abs(steps[0]) > 1e-6:
        return (f"The first step should use learning_rate={lr0:g}, and later steps that "
                "rate times a power of learning_rate_decay.")
    return _schedule_problem(np.round(steps).astype(int), kwargs, n)


def _schedule_problem(steps: np.ndarray, kwargs: Mapping[str, Any], n: int) -> str | None:
    per_epoch = max(n // kwargs["batch_size"], 1)
    if per_epoch == 1:
        return None
    changes = np.flatnonzero(np.diff(steps))
    expected = kwargs["num_iters"] // per_epoch
    if np.any(np.diff(steps) < 0) or np.any(np.diff(steps) > 1):
        return "The learning rate must only decay, one factor at a time."
    if len(changes) > expected + 1:
        return (f"The learning rate decayed {len(changes)} times in {kwargs['num_iters']} "
                f"iterations; it should decay once per epoch ({per_epoch} iterations here), "
                f"about {expected} times.")
    if len(changes) < expected - 1 or np.any(np.diff(changes) != per_epoch):
        return (f"The learning rate decayed at iterations {list(changes + 1)}; it should "
                f"decay once per epoch, every {per_epoch} iterations.")
    return None


def _stats_problem(data: ProbeData, name: str, arrays: Mapping[str, np.ndarray],
                   kwargs: Mapping[str, Any], n: int) -> str | None:
    stats = data.case(name).get("stats", {})
    keys = set(stats.get("keys", []))
    wanted = {"loss_history", "train_acc_history", "val_acc_history"}
    if not wanted <= keys:
        return (f"train() returned {stats.get('type', 'nothing')} without "
                f"{', '.join(sorted(wanted - keys))}; it must return a dict with "
                "loss_history, train_acc_history and val_acc_history.")
    history = arrays.get("loss_history")
    # floats, numpy scalars or one-element arrays per iteration are all fine
    if history is None or history.size != kwargs["num_iters"]:
        return "loss_history must hold one loss per iteration."
    per_epoch = max(n // kwargs["batch_size"], 1)
    epochs = -(-kwargs["num_iters"] // per_epoch)
    for key in ("train_acc_history", "val_acc_history"):
        acc = arrays.get(key)
        acc = None if acc is None else acc.reshape(-1)
        if acc is None or abs(acc.size - epochs) > 1:
            return f"{key} must hold one accuracy per epoch ({epochs} here)."
        if np.any((acc < 0) | (acc > 1)):
            return f"{key} holds values outside [0, 1]; accuracies are fractions."
    return None
