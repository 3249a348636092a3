"""Run the reference with one known mistake on a probe's inputs, in the parent, as the child would.

A mutant is the grader's own code: the reference's two course files with one
entry of :mod:`.mistakes` made in its file, loaded as one package
(:mod:`.modules`). Each probe kind is answered by the same functions of
:mod:`.probes` the child calls, on the cases drawn from the same arguments,
so a mutant's answers and a student's can be compared key by key. Training
draws from a private generator, never numpy's global state (other grading
threads share it).
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np

from ...mistakes import Library, library_for
from ...rubric import Rubric
from . import cases as C
from . import probes as P
from .modules import CourseModules

Answers = dict[str, dict[str, Any]]
"""Group -> what the probe returned for it (``out``; ``naive`` and ``vectorized``)."""

Mutants = Library[CourseModules]
"""The pack's mistakes, each loaded as the reference with that mistake made in its file
(:func:`grader.mistakes.library_for`, through the pack's ``load_mutant``)."""


def mutants_for(rubric: Rubric) -> Mutants | None:
    """The rubric's mutants, loaded once per process; None without the reference's files
    (or the mistake library: the student build ships none)."""
    mutants: Mutants | None = library_for(rubric)
    return mutants


class _PrivateNumpy:
    """numpy, except that ``random`` is a private generator."""

    def __init__(self, rng: np.random.RandomState) -> None:
        self.random = rng

    def __getattr__(self, name: str) -> Any:
        return getattr(np, name)


def _seeded(mods: CourseModules) -> Callable[[int], None]:
    """What ``np.random.seed`` is to the child: here the mutant's module gets its own
    generator, seeded alike (``RandomState(seed)`` draws what the global state would)."""
    def reseed(seed: int) -> None:
        mods.linear_classifier.np = _PrivateNumpy(  # type: ignore[attr-defined]
            np.random.RandomState(seed))
    return reseed


def _loss(mods: CourseModules, args: Mapping[str, Any], name: str) -> Answers:
    fn = getattr(mods.softmax, f"softmax_loss_{name}")
    return {"out": P.probe_loss(fn, C.cases_for(args))}


def _stability(mods: CourseModules, args: Mapping[str, Any], reference: Any) -> Answers:
    cases = C.stability_case(int(args["seed"]), float(args["shift"]))
    return {group: P.probe_loss(getattr(mods.softmax, f"softmax_loss_{group}"), cases)
            for group in ("naive", "vectorized")}


def _predict(mods: CourseModules, args: Mapping[str, Any], reference: Any) -> Answers:
    cases = C.predict_cases(int(args["seed"]), int(args["count"]))
    return {"out": P.probe_predict(mods.linear_classifier.Softmax, cases)}


def _train(mods: CourseModules, args: Mapping[str, Any], reference: Any) -> Answers:
    case = C.train_case(int(args["seed"]), float(args["learning_rate"]), float(args["reg"]),
                        int(args["num_iters"]), int(args["batch_size"]))
    # the reference's vectorized loss stands in, as in the child
    return {"out": P.probe_train(mods.linear_classifier.Softmax,
                                 reference.softmax.softmax_loss_vectorized, case, _seeded(mods))}


RUNNERS: dict[str, Callable[[CourseModules, Mapping[str, Any], Any], Answers]] = {
    "softmax_naive": lambda mods, args, ref: _loss(mods, args, "naive"),
    "softmax_vectorized": lambda mods, args, ref: _loss(mods, args, "vectorized"),
    "softmax_stability": _stability,
    "softmax_predict": _predict,
    "softmax_train": _train,
}
"""Per probe kind that diagnosis compares: run a mutant on that probe's arguments.
(The accuracy probe trains on the whole data set: too slow to repeat per mutant.)"""


def run_mutant(mods: CourseModules, kind: str, args: Mapping[str, Any],
               reference: Any) -> Answers:
    """A mutant's answers to probe ``kind`` with the plan's ``args``."""
    return RUNNERS[kind](mods, args, reference)
