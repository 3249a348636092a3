"""Run a mutated reference on a plan's inputs, in the parent, as the child would.

The output has the form of a probe's (:class:`ProbeData`): the same array
keys and per-case info, so one signature function reads a student's probe
and a mutant's run alike (:mod:`grader.diagnosis` compares them). Mutants
are the grader's own code; they draw random numbers from private
generators, never numpy's global state.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np

from ...checks.base import Evidence, ProbeData
from ...child.context import Context, ProbeOutput
from ...child.convert import NotAnArray, as_array, describe
from ...plan import Plan
from ...reference import call_seeded
from ...sandbox import ProbeOutcome
from .outputs import PARAMS
from .recorder import TrainRecorder
from .reference_net import net_class, reference_net, seeded_net

_DONE = ProbeOutcome("mutant", "done", 0.0, "", "")


def _error(exc: BaseException) -> dict[str, Any]:
    return {"type": type(exc).__name__, "message": str(exc)[:200], "traceback": ""}


def _store(out: ProbeOutput, key: str, value: object) -> None:
    case, _, name = key.rpartition(".")
    out.info.setdefault(case, {}).setdefault("returned", {})[name] = describe(value)
    try:
        out.arrays[key] = as_array(value)
    except NotAnArray:
        pass


def _args(plan: Plan, kind: str) -> Mapping[str, Any]:
    return next(p.args for p in plan.probes if p.kind == kind)


def run_init(module: Any, ev: Evidence) -> ProbeOutput:
    out, plan, cls = ProbeOutput(), ev.plan, net_class(module, ev.rubric)
    for case in _args(plan, "init")["cases"]:
        try:
            built = seeded_net(cls, case["seed"], case["D"], case["H"], case["C"],
                               std=case["std"])
        except Exception as exc:
            out.info.setdefault(case["name"], {})["error"] = _error(exc)
            continue
        for param in PARAMS:
            _store(out, f"{case['name']}.{param}", built.params[param])
    return out


def run_forward(module: Any, ev: Evidence) -> ProbeOutput:
    out, plan, cls = ProbeOutput(), ev.plan, net_class(module, ev.rubric)
    for name in _args(plan, "forward")["cases"]:
        case = plan.cases[name]
        try:
            _store(out, f"{name}.scores", reference_net(cls, case.params).loss(case.X))
        except Exception as exc:
            out.info.setdefault(name, {})["error"] = _error(exc)
    return out


def run_loss(module: Any, ev: Evidence) -> ProbeOutput:
    out, plan, cls = ProbeOutput(), ev.plan, net_class(module, ev.rubric)
    for spec in _args(plan, "loss")["cases"]:
        if spec.get("numeric"):
            continue
        name, case = spec["name"], plan.cases[spec["data"]]
        try:
            with np.errstate(all="ignore"):
                loss, grads = reference_net(cls, case.params).loss(case.X, case.y,
                                                                   reg=spec["reg"])
        except Exception as exc:
            out.info.setdefault(name, {})["error"] = _error(exc)
            continue
        _store(out, f"{name}.loss", loss)
        for param in PARAMS:
            if param in grads:
                _store(out, f"{name}.d{param}", grads[param])
    return out


def run_stability(module: Any, ev: Evidence) -> ProbeOutput:
    out, plan, cls = ProbeOutput(), ev.plan, net_class(module, ev.rubric)
    args = _args(plan, "stability")
    case = plan.cases[args["data"]]
    for name, shift in (("plain", 0.0), ("shifted", float(args["shift"]))):
        params = dict(case.params)
        params["b2"] = params["b2"] + shift
        try:
            with np.errstate(all="ignore"):
                loss = reference_net(cls, params).loss(case.X, case.y, reg=0.0)[0]
        except Exception as exc:
            out.info.setdefault(name, {})["error"] = _error(exc)
            continue
        _store(out, f"{name}.loss", loss)
    return out


def run_predict(module: Any, ev: Evidence) -> ProbeOutput:
    out, plan, cls = ProbeOutput(), ev.plan, net_class(module, ev.rubric)
    for name in _args(plan, "predict")["cases"]:
        case = plan.cases[name]
        try:
            _store(out, f"{name}.labels", reference_net(cls, case.params).predict(case.X))
        except Exception as exc:
            out.info.setdefault(name, {})["error"] = _error(exc)
    return out


def run_train(module: Any, ev: Evidence, only: str | None = None) -> ProbeOutput:
    """The mutant's ``train`` with the reference loss and predict standing in, as in the child.

    With ``only``, just that run of the plan."""
    out, plan, cls = ProbeOutput(), ev.plan, net_class(module, ev.rubric)
    ctx = Context(cls, ev.reference, {}, "", None)
    for run in _args(plan, "train")["runs"]:
        if only is not None and run["name"] != only:
            continue
        name, case = run["name"], plan.cases[run["data"]]
        net = reference_net(cls, case.params)
        recorder = TrainRecorder(ctx, net, case.X, case.y)
        stats = None
        try:
            stats = call_seeded(type(net).train, run["seed"], net, case.X, case.y, case.X,
                                case.y, **run["kwargs"])
        except Exception as exc:
            out.info.setdefault(name, {})["error"] = _error(exc)
        recorder.finish(out, name)
        info = out.info.setdefault(name, {})
        info["stats"] = describe(stats)
        if isinstance(stats, Mapping):
            info["stats"]["keys"] = sorted(str(k) for k in stats)
    return out


RUNNERS: dict[str, Callable[[Any, Evidence], ProbeOutput]] = {
    "init": run_init, "forward": run_forward, "loss": run_loss, "stability": run_stability,
    "predict": run_predict, "train": run_train,
}
"""Per probe kind: run a mutant module on the plan's inputs for that probe."""


def run_mutant(kind: str, module: Any, ev: Evidence) -> ProbeData:
    """The mutant's outputs for probe ``kind``, shaped as the child's would be.

    ``train:NAME`` runs only the train probe's run NAME."""
    kind, _, only = kind.partition(":")
    if only:
        out = run_train(module, ev, only)
    else:
        out = RUNNERS[kind](module, ev)
    return ProbeData(_DONE, out.arrays, out.info)
