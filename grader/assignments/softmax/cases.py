"""Hidden inputs of the Softmax checks, drawn from the rubric's seed.

Every case comes from a private ``RandomState`` seeded from the rubric seed
and the check, so the same rubric asks the same questions every run and no
draw disturbs the global numpy state a student's code may rely on. Shapes
vary from one case to the next and N, D, C are always all different, so a
transposed or mis-indexed array cannot pass by accident.

A loss case is named by its number and its reg (:data:`Spec`) and drawn
from those alone: the naive and the vectorized probe each answer their own
check's ``hidden_cases`` and ``regs``, and a case both are asked is the same
case, so the consistency check compares their answers on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_SALT = {"loss": 1, "stability": 2, "predict": 3, "train": 4}


Spec = tuple[int, float]
"""A loss case's name: its number (0 .. hidden_cases - 1) and its reg."""


@dataclass(frozen=True)
class LossCase:
    """Arguments of ``softmax_loss_*(W, X, y, reg)``."""

    W: FloatArray
    """Weights (D, C)."""
    X: FloatArray
    """Inputs (N, D)."""
    y: IntArray
    """Labels (N,), every class present when N >= C."""
    reg: float
    """Regularization strength."""
    index: int = 0
    """The case's number: it fixes the coordinates of the numerical gradient."""


@dataclass(frozen=True)
class PredictCase:
    """Weights and inputs of ``predict``."""

    W: FloatArray
    X: FloatArray


@dataclass(frozen=True)
class TrainCase:
    """A small training problem and the settings ``train`` is called with."""

    X: FloatArray
    """Training rows (N, D), all distinct so each sampled row can be traced back."""
    y: IntArray
    W0: FloatArray
    """Weights set before the second call of ``train`` (it must continue from them)."""
    learning_rate: float
    reg: float
    num_iters: int
    batch_size: int
    seed: int
    """Seed of the global numpy state before ``train`` (initialisation and sampling)."""


def _rng(seed: int, check: str) -> np.random.RandomState:
    return np.random.RandomState([seed, _SALT[check]])


def _shape(rng: np.random.RandomState) -> tuple[int, int, int]:
    """N, D, C, all different."""
    C = int(rng.randint(3, 8))
    D = int(rng.randint(C + 2, 30))
    N = int(rng.randint(D + 1, 60))
    return N, D, C


def _case(rng: np.random.RandomState, reg: float, scale: float = 0.1,
          index: int = 0) -> LossCase:
    N, D, C = _shape(rng)
    W = scale * rng.randn(D, C)
    X = rng.randn(N, D)
    y = np.concatenate([np.arange(C), rng.randint(0, C, N - C)]).astype(np.int64)
    return LossCase(W, X, rng.permutation(y).astype(np.int64), reg, index)


def loss_specs(count: int, regs: Sequence[float]) -> list[Spec]:
    """A loss check's cases: ``count`` per regularization strength (give a reg > 0 and 0)."""
    return [(j, float(reg) + 0.0) for reg in regs for j in range(count)]  # + 0.0: no -0.0


def with_common(own: Sequence[Spec], other: Sequence[Spec]) -> list[Spec]:
    """``own`` cases, then those of ``other`` not among them (answered for a comparison)."""
    return [*own, *(s for s in other if s not in own)]


def loss_case(seed: int, spec: Spec) -> LossCase:
    """The case ``spec``, drawn from the seed, its number and the bits of its reg."""
    index, reg = spec
    words = np.array([reg], dtype=np.float64).view(np.uint32)
    rng = np.random.RandomState([seed, _SALT["loss"], index, *map(int, words)])
    return _case(rng, reg, index=index)


def cases_of(seed: int, specs: Sequence[Sequence[Any]]) -> tuple[LossCase, ...]:
    return tuple(loss_case(seed, (int(j), float(reg))) for j, reg in specs)


def loss_cases(seed: int, count: int, regs: Sequence[float]) -> tuple[LossCase, ...]:
    """``count`` cases per regularization strength (:func:`loss_specs`)."""
    return cases_of(seed, loss_specs(count, regs))


def specs_of(args: Mapping[str, Any]) -> list[Spec]:
    """The cases a loss probe's arguments ask for, in order."""
    return [(int(j), float(reg)) for j, reg in args["cases"]]


def cases_for(args: Mapping[str, Any]) -> tuple[LossCase, ...]:
    """The cases of a loss probe's arguments ``{"seed", "cases": [[j, reg], ...]}`` (the
    child, the judges and the mutants all read them through this)."""
    return cases_of(int(args["seed"]), specs_of(args))


def stability_case(seed: int, shift: float) -> tuple[LossCase, LossCase]:
    """A case and the same case with every score raised by ``shift``.

    The second has a column of ones in X and a row of ``shift`` in W: the same
    softmax mathematically, but ``exp`` overflows unless each row's maximum
    score is subtracted first. Comparing the two judges stability alone,
    whatever else the loss gets wrong.
    """
    rng = _rng(seed, "stability")
    case = _case(rng, 0.0)
    X = np.hstack([case.X, np.ones((case.X.shape[0], 1))])
    W = np.vstack([case.W, np.full((1, case.W.shape[1]), shift)])
    return case, LossCase(W, X, case.y, 0.0, 1)


def predict_cases(seed: int, count: int) -> tuple[PredictCase, ...]:
    rng = _rng(seed, "predict")
    out = []
    for _ in range(count):
        N, D, C = _shape(rng)
        out.append(PredictCase(rng.randn(D, C), rng.randn(N, D)))
    return tuple(out)


def train_case(seed: int, learning_rate: float, reg: float, num_iters: int,
               batch_size: int) -> TrainCase:
    """A separable-ish problem with more rows than ``batch_size`` and distinct rows."""
    rng = _rng(seed, "train")
    N, D, C = 4 * batch_size + 7, 11, 4
    centres = 2.0 * rng.randn(C, D)
    y = rng.randint(0, C, N).astype(np.int64)
    X = centres[y] + rng.randn(N, D)
    W0 = 0.01 * rng.randn(D, C)
    return TrainCase(X, y, W0, learning_rate, reg, num_iters, batch_size, int(rng.randint(2**31)))
