"""The two-layer net's probe inputs: the toy problem, hidden cases, and each probe's arguments.

All inputs are drawn from the rubric's seed, so grading twice asks the same
questions. Hidden cases use random shapes with N, D, H and C all different
(so a transposed or broadcast mistake cannot pass by accident) and nonzero
biases (so bugs that only touch the biases show). No expected value is part
of the plan: the child sees only what the student's code is called with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from ...reference import load_reference
from ...rubric import Rubric
from .reference_net import net_class, seeded_net

TOY_SHAPE = (4, 10, 3)
SCHEDULE_RUN: dict[str, Any] = {"N": 64, "D": 6, "H": 9, "C": 3, "batch_size": 8, "num_iters": 40,
                "learning_rate": 0.05, "learning_rate_decay": 0.8, "reg": 0.01}
"""A training run long enough to see the per-epoch learning-rate decay (8 epochs of 8 steps)."""


@dataclass(frozen=True)
class Case:
    """One set of inputs: parameters, X and y."""

    name: str
    params: Mapping[str, np.ndarray]
    X: np.ndarray
    y: np.ndarray
    hidden: bool

    @property
    def shape(self) -> tuple[int, int, int, int]:
        D, H = self.params["W1"].shape
        return self.X.shape[0], D, H, self.params["W2"].shape[1]

    def arrays(self) -> dict[str, np.ndarray]:
        """The case's arrays as the child reads them (``NAME.X``, ``NAME.y``, ``NAME.W1``, ...)."""
        out = {f"{self.name}.X": self.X, f"{self.name}.y": self.y}
        out.update({f"{self.name}.{k}": v for k, v in self.params.items()})
        return out


def toy_case(network: Any) -> Case:
    """The assignment's toy problem: params from the reference ``__init__`` under seed 0."""
    net = seeded_net(network, 0, *TOY_SHAPE, std=1e-1)
    X = 10 * np.random.RandomState(1).randn(5, 4)
    return Case("toy", dict(net.params), X, np.array([0, 1, 2, 2, 1]), hidden=False)


def hidden_case(name: str, seed: int, lacks_a_class: bool = False) -> Case:
    """Random shapes (all distinct), weights of unit scale, nonzero biases."""
    rng = np.random.RandomState(seed)
    while True:
        N, D, H, C = rng.randint(4, 13), rng.randint(3, 16), rng.randint(5, 21), rng.randint(2, 8)
        if len({N, D, H, C}) == 4:
            break
    params = {
        "W1": rng.randn(D, H) / np.sqrt(D), "b1": 0.5 * rng.randn(H),
        "W2": rng.randn(H, C) / np.sqrt(H), "b2": 0.5 * rng.randn(C),
    }
    X, y = rng.randn(N, D), rng.randint(C, size=N)
    if lacks_a_class:
        # Whatever the seed, one case lacks a class: code that assumes every class
        # shows up in a batch (np.bincount(y) of length C) must fail in every build.
        y[y == C - 1] = 0
    return Case(name, params, X, y, hidden=True)


def numeric_case(seed: int) -> Case:
    """Small (about 50 parameters, nonzero biases): for a numerical gradient of the student's loss."""
    rng = np.random.RandomState(seed)
    N, D, H, C = 4, 3, 6, 5
    params = {"W1": rng.randn(D, H) / np.sqrt(D), "b1": 0.5 * rng.randn(H),
              "W2": rng.randn(H, C) / np.sqrt(H), "b2": 0.5 * rng.randn(C)}
    return Case("numeric", params, rng.randn(N, D), rng.randint(C, size=N), hidden=True)


def schedule_case(seed: int) -> Case:
    s = SCHEDULE_RUN
    rng = np.random.RandomState(seed)
    params = {"W1": 0.1 * rng.randn(s["D"], s["H"]), "b1": 0.1 * rng.randn(s["H"]),
              "W2": 0.1 * rng.randn(s["H"], s["C"]), "b2": 0.1 * rng.randn(s["C"])}
    return Case("schedule", params, rng.randn(s["N"], s["D"]),
                rng.randint(s["C"], size=s["N"]), hidden=True)


def plan_cases(rubric: Rubric) -> dict[str, Case]:
    """The pack's ``plan_cases`` hook: the toy problem, hidden inputs, the schedule run's data
    and the small case of the numerical gradient."""
    n_hidden = max((c.options.get("hidden_cases", 0) for c in rubric.checks), default=0)
    cases = {"toy": toy_case(net_class(load_reference(rubric), rubric))}
    last = max(n_hidden, 1)
    for k in range(1, last + 1):
        # the last case, not hidden1: the stability check shifts hidden1's scores
        cases[f"hidden{k}"] = hidden_case(f"hidden{k}", rubric.seed + 1000 * k,
                                          lacks_a_class=k == last and k > 1)
    cases["schedule"] = schedule_case(rubric.seed + 7)
    cases["numeric"] = numeric_case(rubric.seed + 11)
    return cases


def _hidden_names(rubric: Rubric, check: str) -> list[str]:
    return [f"hidden{k}" for k in range(1, rubric.check(check).options["hidden_cases"] + 1)]


def _init_args(rubric: Rubric, served: list[str], cases: Mapping[str, Case],
               acc: Mapping[str, Any]) -> dict[str, Any]:
    init_cases = [{"name": "toy", "D": 4, "H": 10, "C": 3, "std": 0.1, "seed": 0}]
    for name in _hidden_names(rubric, "init"):
        _, D, H, C = cases[name].shape
        init_cases.append({"name": name, "D": D, "H": H, "C": C, "std": 0.37,
                           "seed": rubric.seed % 10000 + len(init_cases)})
    return {"cases": init_cases}


def _forward_args(rubric: Rubric, served: list[str], cases: Mapping[str, Case],
                  acc: Mapping[str, Any]) -> dict[str, Any]:
    return {"cases": ["toy", *_hidden_names(rubric, "scores")]}


def _loss_args(rubric: Rubric, served: list[str], cases: Mapping[str, Case],
               acc: Mapping[str, Any]) -> dict[str, Any]:
    spec = rubric.check("loss") if rubric.has("loss") else None
    regs = list(spec.options["regs"]) if spec else [0.05, 0.0]
    hidden = _hidden_names(rubric, "loss") if spec else ["hidden1"]
    out = []
    for data in ["toy", *hidden]:
        for j, reg in enumerate(regs):
            out.append({"name": f"{data}@{j}", "data": data, "reg": float(reg)})
    # Not a verdict of its own: it tells "wrong backprop" from "right backprop of a
    # wrong loss" in the gradient checks' messages (nonzero biases, reg > 0).
    out.append({"name": "numeric@0", "data": "numeric", "reg": float(max(regs, default=0.05)),
                "numeric": True})
    return {"cases": out}


def _stability_args(rubric: Rubric, served: list[str], cases: Mapping[str, Case],
                    acc: Mapping[str, Any]) -> dict[str, Any]:
    return {"data": "hidden1", "shift": float(rubric.check("stability").options["shift"])}


def _train_args(rubric: Rubric, served: list[str], cases: Mapping[str, Case],
                acc: Mapping[str, Any]) -> dict[str, Any]:
    opts = rubric.check("train").options
    s = SCHEDULE_RUN
    toy = {"learning_rate": float(opts["learning_rate"]), "reg": float(opts["reg"]),
           "num_iters": int(opts["num_iters"]), "batch_size": 200,
           "learning_rate_decay": 0.95, "verbose": False}
    schedule = {k: s[k] for k in ("learning_rate", "learning_rate_decay", "reg",
                                  "num_iters", "batch_size")}
    return {"runs": [
        {"name": "toy", "data": "toy", "seed": rubric.seed, "kwargs": toy},
        {"name": "schedule", "data": "schedule", "seed": rubric.seed + 1,
         "kwargs": dict(schedule, verbose=False)},
    ]}


def _predict_args(rubric: Rubric, served: list[str], cases: Mapping[str, Case],
                  acc: Mapping[str, Any]) -> dict[str, Any]:
    return {"cases": ["toy", *_hidden_names(rubric, "predict")]}


def _accuracy_args(rubric: Rubric, served: list[str], cases: Mapping[str, Case],
                   acc: Mapping[str, Any]) -> dict[str, Any]:
    return {"seed": rubric.seed, "num_classes": acc["num_classes"],
            "hyperparameters": dict(acc["hyperparameters"])}
