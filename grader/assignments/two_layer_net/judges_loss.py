"""Checks of the loss value and of each parameter's gradient.

Both read the same probe: ``loss(X, y, reg)`` on the toy problem and hidden
inputs, with reg > 0 and reg = 0. A failure is diagnosed against the usual
mistakes (computed here from the reference), and each gradient is also
compared with a numerical gradient of the student's *own* loss, which tells a
wrong backward pass from a right backward pass of a wrong loss.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np

from ...checks.base import Evidence, ProbeData, Verdict, case_label, errored, failed, passed
from ...compare import compare, json_number, rel_error, wants_detail
from ...rubric import CheckSpec
from .judges_forward import holding

_OWN_LOSS_TOLERANCE = 1e-6


def _loss_cases(ev: Evidence) -> list[Mapping[str, Any]]:
    for probe in ev.plan.probes:
        if probe.kind == "loss":
            return list(probe.args["cases"])
    return []


def _parts(ev: Evidence, data_name: str, reg: float) -> dict[str, Any]:
    """The reference's loss split into its parts, for diagnosing a wrong loss.

    Computed once per case: the loss check and the four gradient checks all read it.
    """
    key = ("loss_parts", data_name, reg)
    if key not in ev.memo:
        ev.memo[key] = _compute_parts(ev, data_name, reg)
    parts: dict[str, Any] = ev.memo[key]
    return parts


def _compute_parts(ev: Evidence, data_name: str, reg: float) -> dict[str, Any]:
    case = ev.plan.cases[data_name]
    net = holding(ev, case.params)
    loss, grads = net.loss(case.X, case.y, reg=reg)
    p = case.params
    scale = ev.rubric.reg_scale
    weights = float(np.sum(p["W1"] ** 2) + np.sum(p["W2"] ** 2))
    data_loss = loss - scale * reg * weights
    return {"loss": loss, "grads": grads, "data": data_loss, "weights": weights,
            "biases": float(np.sum(p["b1"] ** 2) + np.sum(p["b2"] ** 2)),
            "product": float(np.sum(p["W1"] ** 2) * np.sum(p["W2"] ** 2)),
            "N": case.X.shape[0], "reg": reg, "scale": scale}


_LOSS_MISTAKES: dict[str, Callable[[Mapping[str, Any]], float]] = {
    "the data loss is summed over the N examples instead of averaged":
        lambda q: q["data"] * q["N"] + q["scale"] * q["reg"] * q["weights"],
    "the regularization uses 0.5 * reg where this assignment uses reg":
        lambda q: q["data"] + 0.5 * q["reg"] * q["weights"],
    "the regularization uses reg where this assignment uses 0.5 * reg":
        lambda q: q["data"] + q["reg"] * q["weights"],
    "the biases are regularized too (only W1 and W2 should be)":
        lambda q: q["data"] + q["scale"] * q["reg"] * (q["weights"] + q["biases"]),
    "the regularization multiplies sum(W1**2) by sum(W2**2) instead of adding them":
        lambda q: q["data"] + q["scale"] * q["reg"] * q["product"],
    "the regularization term is missing":
        lambda q: q["data"],
}


def judge_loss(spec: CheckSpec, data: ProbeData, ev: Evidence) -> Verdict:
    cases: list[dict[str, Any]] = []
    failures: list[tuple[str, float, dict[str, Any]]] = []
    for case in _loss_cases(ev):
        name = case["name"]
        if f"{name}.loss" not in data.arrays:
            return _no_loss(data, name, cases)
        measured = float(data.arrays[f"{name}.loss"])
        parts = _parts(ev, case["data"], case["reg"])
        err = abs(measured - parts["loss"])
        ok = bool(err <= spec.options["tolerance"])
        entry = {"case": name, "reg": case["reg"], "hidden": ev.plan.cases[case["data"]].hidden,
                 "measured": json_number(measured), "expected": parts["loss"],
                 "error": json_number(err), "tolerance": spec.options["tolerance"], "ok": ok}
        if data.case(name).get("loss_recovered"):
            entry["recovered_after_error"] = True
        cases.append(entry)
        if not ok:
            failures.append((name, measured, parts))
    if failures:
        return failed(_loss_message(failures, ev), {"cases": cases})
    note = _recovered_note(cases)
    return passed(f"The loss matches on {len(cases)} cases (with and without "
                  f"regularization, nonzero biases).{note}", {"cases": cases})


def _recovered_note(cases: list[dict[str, Any]]) -> str:
    if any(c.get("recovered_after_error") for c in cases):
        return (" Your loss() raised after computing the loss; the value was read from "
                "its local variable `loss` (the error counts against the gradients).")
    return ""


def _no_loss(data: ProbeData, name: str, cases: list[dict[str, Any]]) -> Verdict:
    error = data.error(name)
    if error:
        return errored(f"loss(X, y, reg) raised on {case_label(name)}", error, {"cases": cases})
    problem = data.case(name).get("problem") or data.returned(name, "loss").get("unreadable")
    return failed(f"loss(X, y, reg): {problem or 'no loss value came back'}.", {"cases": cases})


def _loss_message(failures: list[tuple[str, float, dict[str, Any]]], ev: Evidence) -> str:
    where = ", ".join(f"{case_label(n)} with reg={q['reg']:g}" for n, _, q in failures[:3])
    text = f"The loss differs from the expected value on {where}."
    for mistake, formula in _LOSS_MISTAKES.items():
        if all(abs(formula(q) - m) <= 1e-9 * max(1.0, abs(m)) for _, m, q in failures):
            return f"{text} It matches what you get when {mistake}."
    if all(q["reg"] > 0 for _, _, q in failures):
        return f"{text} It is right without regularization: look at the regularization term."
    return text


def _own_consistency(data: ProbeData, name: str, param: str) -> float | None:
    numeric = data.arrays.get(f"{name}.numeric_d{param}")
    analytic = data.arrays.get(f"{name}.d{param}")
    if numeric is None or analytic is None or numeric.shape != analytic.shape:
        return None
    return rel_error(analytic, numeric)


def judge_gradient(param: str) -> Callable[[CheckSpec, ProbeData, Evidence], Verdict]:
    def judge(spec: CheckSpec, data: ProbeData, ev: Evidence) -> Verdict:
        return _judge_gradient(param, spec, data, ev)
    judge.__name__ = f"judge_grad_{param}"
    return judge


def _judge_gradient(param: str, spec: CheckSpec, data: ProbeData, ev: Evidence) -> Verdict:
    cases: list[dict[str, Any]] = []
    own: float | None = None
    failures: list[tuple[str, float, float]] = []
    for case in _loss_cases(ev):
        name = case["name"]
        own = _own_consistency(data, name, param) if case.get("numeric") else own
        problem = _gradient_problem(data, name, param)
        if problem:
            error = data.error(name)
            if error:
                return errored(f"loss(X, y, reg) raised on {case_label(name)}", error,
                               {"cases": cases})
            return failed(f"grads['{param}'] {problem}", {"cases": cases})
        expected = _parts(ev, case["data"], case["reg"])["grads"][param]
        measured = data.arrays[f"{name}.d{param}"]
        if measured.shape != expected.shape:
            return failed(f"grads['{param}'] has shape {measured.shape}; it must have the shape "
                          f"of {param}, {expected.shape}.", {"cases": cases})
        result = compare(measured, expected, spec.options["tolerance"], "rel_error")
        hidden = ev.plan.cases[case["data"]].hidden
        cases.append({"case": name, "reg": case["reg"], **result.metrics(
            measured, expected, hidden,
            detail=wants_detail(result.ok, hidden, len(failures)))})
        if not result.ok:
            failures.append((name, case["reg"], result.error))
    if failures:
        return failed(_gradient_message(param, failures, own), _with_own(cases, own))
    return passed(f"grads['{param}'] matches on {len(cases)} cases (relative error at most "
                  f"{max((c['error'] for c in cases), default=0):.1e}).", _with_own(cases, own))


def _with_own(cases: list[dict[str, Any]], own: float | None) -> dict[str, Any]:
    out: dict[str, Any] = {"cases": cases}
    if own is not None:
        out["own_loss_rel_error"] = json_number(own)
    return out


def _gradient_problem(data: ProbeData, name: str, param: str) -> str | None:
    if data.error(name) or data.case(name).get("problem"):
        return "could not be read: loss(X, y, reg) did not return (loss, grads)."
    if data.case(name).get("grads_problem"):
        return str(data.case(name)["grads_problem"]) + "."
    returned = data.returned(name, f"d{param}")
    if not returned:
        return "is missing from the grads dict."
    if returned.get("type") == "numpy.matrix":
        return (f"is an np.matrix of shape {tuple(returned.get('shape', ()))}; return a plain "
                "ndarray with the parameter's shape.")
    if "unreadable" in returned:
        return f"is not an array: {returned['unreadable']}."
    return None


def _gradient_message(param: str, failures: list[tuple[str, float, float]],
                      own: float | None) -> str:
    name, reg, error = failures[0]
    text = (f"grads['{param}'] is wrong on {case_label(name)} with reg={reg:g} "
            f"(relative error {error:.2e}), and on {len(failures) - 1} more case(s).")
    if own is not None and own <= _OWN_LOSS_TOLERANCE:
        text += (" It does match a numerical gradient of your own loss, so your backward "
                 "pass is right for the loss you compute: fix the loss (see the loss check).")
    elif own is not None:
        text += (f" It does not match a numerical gradient of your own loss either "
                 f"(relative error {own:.1e}), so the backward pass itself is wrong.")
    if all(r > 0 for _, r, _ in failures):
        text += " It is right without regularization: " + (
            "the gradient of the regularization term is wrong." if param.startswith("W")
            else "biases are not regularized, so their gradient has no reg term.")
    return text


judge_grad_W1 = judge_gradient("W1")
judge_grad_b1 = judge_gradient("b1")
judge_grad_W2 = judge_gradient("W2")
judge_grad_b2 = judge_gradient("b2")
