"""Checks of the forward direction: ``__init__``, scores, predict, stability."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...checks.base import Evidence, ProbeData, Verdict, case_label, errored, failed, passed
from ...compare import compare, json_number, wants_detail
from ...rubric import CheckSpec
from .reference_net import net_class, reference_net, seeded_net
from .outputs import PARAMS


def judge_init(spec: CheckSpec, data: ProbeData, ev: Evidence) -> Verdict:
    cases: list[dict[str, Any]] = []
    for case in ev.plan.probes[_index(ev, "init")].args["cases"]:
        name = case["name"]
        error = data.error(name)
        if error:
            return errored(f"__init__ raised on {case_label(name)}", error)
        expected = _reference_init(ev, case)
        for param in PARAMS:
            verdict = _init_param(spec, data, name, param, expected[param], cases)
            if verdict:
                return verdict
    return passed("Parameters are initialised as specified: W = std * randn, biases zero.",
                  {"cases": cases})


def _init_param(spec: CheckSpec, data: ProbeData, name: str, param: str,
                expected: np.ndarray, cases: list[dict[str, Any]]) -> Verdict | None:
    key = f"{name}.{param}"
    problem = data.case(name).get("problem")
    if problem:
        return failed(f"__init__: {problem}.", {"cases": cases})
    if key not in data.arrays:
        return failed(f"__init__ did not set self.params['{param}'].", {"cases": cases})
    measured = data.arrays[key]
    result = compare(measured, expected, spec.options["tolerance"])
    cases.append({"case": name, "param": param, **result.metrics(
        measured, expected, hidden=name != "toy",
        detail=wants_detail(result.ok, name != "toy", 0))})
    if result.ok:
        return None
    return failed(f"__init__: self.params['{param}'] is wrong ({case_label(name)}): "
                  + _init_hint(param, measured, expected, result.problem), {"cases": cases})


def _init_hint(param: str, measured: np.ndarray, expected: np.ndarray, problem: str) -> str:
    if problem:
        return problem + "."
    if param.startswith("b"):
        return "biases must start at exactly zero."
    ratio = float(np.std(measured) / max(np.std(expected), 1e-300))
    if abs(ratio - 1) > 1e-3:
        return (f"its spread is {ratio:.3g} times the expected one: scale the weights by "
                "the std argument.")
    return "draw W1 then W2 with np.random.randn, in that order, scaled by std."


def _reference_init(ev: Evidence, case: dict[str, Any]) -> dict[str, np.ndarray]:
    net = seeded_net(net_class(ev.reference, ev.rubric), case["seed"], case["D"], case["H"],
                     case["C"], std=case["std"])
    return dict(net.params)


def _index(ev: Evidence, kind: str) -> int:
    return [p.kind for p in ev.plan.probes].index(kind)


def holding(ev: Evidence, params: Any) -> Any:
    """A reference network holding ``params`` (copied)."""
    return reference_net(net_class(ev.reference, ev.rubric), params)


def judge_scores(spec: CheckSpec, data: ProbeData, ev: Evidence) -> Verdict:
    cases: list[dict[str, Any]] = []
    failures: list[str] = []
    for name in ev.plan.probes[_index(ev, "forward")].args["cases"]:
        case = ev.plan.cases[name]
        error = data.error(name)
        if error:
            return errored(f"loss(X) raised on {case_label(name)}", error, {"cases": cases})
        expected = holding(ev, case.params).loss(case.X)
        measured = data.arrays.get(f"{name}.scores")
        if measured is None:
            what = data.returned(name, "scores").get("type", "nothing")
            return failed(f"loss(X) with y=None returned {what}, not the (N, C) scores.",
                          {"cases": cases})
        result = compare(measured, expected, spec.options["tolerance"])
        cases.append({"case": name, "shape": case.shape, **result.metrics(
            measured, expected, case.hidden,
            detail=wants_detail(result.ok, case.hidden, len(failures)))})
        if not result.ok:
            failures.append(case_label(name, case.shape))
    if failures:
        hint = (" The toy problem has zero biases; the hidden inputs do not: check that "
                "b1 and b2 are both added." if "toy" not in failures[0] else "")
        return failed(f"Scores differ from the expected ones on {', '.join(failures)}.{hint}",
                      {"cases": cases})
    return passed(f"Scores match on the toy problem and {len(cases) - 1} hidden inputs.",
                  {"cases": cases})


def judge_predict(spec: CheckSpec, data: ProbeData, ev: Evidence) -> Verdict:
    cases: list[dict[str, Any]] = []
    for name in ev.plan.probes[_index(ev, "predict")].args["cases"]:
        case = ev.plan.cases[name]
        error = data.error(name)
        if error:
            return errored(f"predict raised on {case_label(name)}", error, {"cases": cases})
        expected = holding(ev, case.params).predict(case.X)
        problem = _label_problem(data, name, case.X.shape[0])
        if problem:
            return failed(f"predict(X) {problem}", {"cases": cases})
        measured = data.arrays[f"{name}.labels"]
        wrong = int(np.sum(measured != expected))
        cases.append({"case": name, "hidden": case.hidden, "wrong": wrong,
                      "total": int(expected.size)})
        if wrong:
            return failed(f"predict(X) gives {wrong} of {expected.size} labels different from "
                          f"the argmax of the scores on {case_label(name, case.shape)}.",
                          {"cases": cases})
    return passed("Predictions match the highest-scoring class exactly.", {"cases": cases})


def _label_problem(data: ProbeData, name: str, n: int) -> str | None:
    returned = data.returned(name, "labels")
    if f"{name}.labels" not in data.arrays:
        return f"returned {returned.get('type', 'nothing')}, which is not an array of labels."
    shape = tuple(returned.get("shape", data.arrays[f"{name}.labels"].shape))
    if shape != (n,):
        single = " a single value" if shape == () else ""
        return f"returned{single} shape {shape}; it must return one label per row, shape ({n},)."
    dtype = str(returned.get("dtype", ""))
    if dtype and not (dtype.startswith("int") or dtype.startswith("uint")):
        return f"returned labels of dtype {dtype}; labels must be integers."
    return None


def judge_stability(spec: CheckSpec, data: ProbeData, ev: Evidence) -> Verdict:
    shift = spec.options["shift"]
    for name in ("plain", "shifted"):
        error = data.error(name)
        if error:
            when = f"with scores shifted by {shift:g}" if name == "shifted" else "on plain inputs"
            return errored(f"loss raised {when}", error)
        if f"{name}.loss" not in data.arrays:
            return failed("loss(X, y) did not return a number.", {})
    plain = float(data.arrays["plain.loss"])
    shifted = float(data.arrays["shifted.loss"])
    metrics = {"loss": json_number(plain), "shifted_loss": json_number(shifted), "shift": shift,
               "tolerance": spec.options["tolerance"]}
    if not np.isfinite(plain):
        return failed(f"The loss is {plain} even before any shift: look at the loss itself "
                      "(see the loss check).", metrics)
    if not np.isfinite(shifted):
        return failed(f"With every score shifted by {shift:g} the loss becomes {shifted}: "
                      "exp() overflows. Subtract each row's maximum score before "
                      "exponentiating (it does not change the softmax).", metrics)
    if abs(shifted - plain) > spec.options["tolerance"] * max(1.0, abs(plain)):
        return failed(f"Shifting every score by {shift:g} changed the loss from {plain:.6g} "
                      f"to {shifted:.6g}; softmax is shift-invariant.", metrics)
    return passed(f"The loss stays finite and unchanged when scores shift by {shift:g}.",
                  metrics)
