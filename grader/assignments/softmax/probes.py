"""Child-side probes: call the student's functions and class, return plain data.

Each probe takes the student's callables (and, for ``train``, the reference
loss that stands in) and the inputs of :mod:`.cases`, and returns a dict of
numpy arrays and JSON-able values; nothing of the student's crosses back but
that. A student exception becomes ``{"error": "Type: message"}``.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any, Callable, Sequence, TypeVar

import numpy as np

from .cases import LossCase, PredictCase, TrainCase

LossFn = Callable[[Any, Any, Any, float], Any]
Output = dict[str, Any]
NUMERIC_COORDS = 6
"""Coordinates of W at which the student's own loss is differentiated numerically."""


F = TypeVar("F", bound=Callable[..., Output])


def quiet(probe: F) -> F:
    """Run a probe with numpy's warnings silenced: an overflow is judged by its result
    (inf, nan), the same whatever warning filters the process has."""
    @functools.wraps(probe)
    def run(*args: Any, **kwargs: Any) -> Output:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return probe(*args, **kwargs)
    return run  # type: ignore[return-value]


def _error(exc: BaseException) -> Output:
    return {"error": f"{type(exc).__name__}: {exc}"}


def _copy(case: LossCase) -> tuple[Any, Any, Any]:
    # The student's function gets its own copies: writing into W must not change the next case.
    return np.array(case.W, copy=True), np.array(case.X, copy=True), np.array(case.y, copy=True)


def _numeric(fn: LossFn, case: LossCase, coords: Sequence[tuple[int, int]],
             h: float = 1e-5) -> list[float]:
    out = []
    for i, j in coords:
        W, X, y = _copy(case)
        W[i, j] += h
        plus = float(fn(W, X, y, case.reg)[0])
        W[i, j] -= 2 * h
        minus = float(fn(W, X, y, case.reg)[0])
        out.append((plus - minus) / (2 * h))
    return out


def coords_of(case: LossCase) -> list[tuple[int, int]]:
    """Fixed coordinates of W (from the case's number) for the numerical gradient."""
    rng = np.random.RandomState(case.index)
    D, C = case.W.shape
    return [(int(rng.randint(D)), int(rng.randint(C))) for _ in range(NUMERIC_COORDS)]


@quiet
def probe_loss(fn: LossFn, cases: Sequence[LossCase]) -> Output:
    """``loss_k``, ``dW_k`` for every case, and ``numeric_k``: the student's own loss
    differentiated numerically at :func:`coords_of` (to tell a wrong loss from a
    wrong gradient)."""
    out: Output = {}
    try:
        for k, case in enumerate(cases):
            loss, dW = fn(*_copy(case), case.reg)
            out[f"loss_{k}"] = float(loss)
            out[f"dW_{k}"] = np.asarray(dW, dtype=np.float64)
            out[f"numeric_{k}"] = np.array(_numeric(fn, case, coords_of(case)))
    except Exception as exc:  # student code: any failure is an answer
        return _error(exc)
    return out


@quiet
def probe_predict(classifier: Callable[[], Any], cases: Sequence[PredictCase]) -> Output:
    """``labels_k``: ``predict(X)`` of a fresh classifier whose ``W`` is set to the case's."""
    out: Output = {}
    try:
        for k, case in enumerate(cases):
            model = classifier()
            model.W = np.array(case.W, copy=True)
            out[f"labels_{k}"] = np.asarray(model.predict(np.array(case.X, copy=True)))
    except Exception as exc:
        return _error(exc)
    return out


class _Recorder:
    """Stands in for ``loss``: answers with the reference and records each call."""

    def __init__(self, model: Any, loss: LossFn, X: Any) -> None:
        self.model, self.reference = model, loss
        self.rows = {X[i].tobytes(): i for i in range(X.shape[0])}
        self.batches: list[Any] = []
        self.regs: list[float] = []
        self.before: list[Any] = []
        self.grads: list[Any] = []
        self.losses: list[float] = []

    def __call__(self, X_batch: Any, y_batch: Any, reg: float) -> Any:
        X_batch = np.asarray(X_batch)
        self.batches.append(np.array([self.rows.get(r.tobytes(), -1) for r in X_batch]))
        self.regs.append(float(reg))
        self.before.append(np.array(self.model.W, dtype=np.float64, copy=True))
        loss, grad = self.reference(self.model.W, X_batch, np.asarray(y_batch), reg)
        self.grads.append(np.array(grad, copy=True))
        self.losses.append(float(loss))
        return loss, grad


def _run(classifier: Callable[[], Any], loss: LossFn, case: TrainCase,
         W: Any, prefix: str, reseed: Callable[[int], None]) -> Output:
    model = classifier()
    if W is not None:
        model.W = np.array(W, copy=True)
    recorder = _Recorder(model, loss, case.X)
    model.loss = recorder  # an instance attribute: the student's own loss is bypassed
    reseed(case.seed)
    history = model.train(np.array(case.X, copy=True), np.array(case.y, copy=True),
                          learning_rate=case.learning_rate, reg=case.reg,
                          num_iters=case.num_iters, batch_size=case.batch_size)
    calls = len(recorder.losses)
    return {
        f"{prefix}calls": calls,
        f"{prefix}batches": [b.tolist() for b in recorder.batches],
        f"{prefix}regs": recorder.regs,
        f"{prefix}losses": recorder.losses,
        f"{prefix}history": None if history is None else [float(v) for v in history],
        f"{prefix}W_before": np.array(recorder.before) if calls else np.zeros((0,)),
        f"{prefix}grads": np.array(recorder.grads) if calls else np.zeros((0,)),
        f"{prefix}W_final": np.asarray(model.W, dtype=np.float64),
    }


@quiet
def probe_train(classifier: Callable[[], Any], loss: LossFn, case: TrainCase,
                reseed: Callable[[int], None] = np.random.seed) -> Output:
    """Two runs of the student's ``train`` with ``loss`` standing in: from ``W = None``
    (prefix ``fresh_``) and from the case's ``W0`` (prefix ``preset_``).

    ``reseed(case.seed)`` runs before each: numpy's global seed in the child; the
    parent, running the grader's own variants beside other grading threads, gives
    them a private generator instead."""
    try:
        out = _run(classifier, loss, case, None, "fresh_", reseed)
        out.update(_run(classifier, loss, case, case.W0, "preset_", reseed))
    except Exception as exc:
        return _error(exc)
    return out


@quiet
def probe_accuracy(classifier: Callable[[], Any], X_train: Any, y_train: Any, X_val: Any,
                   y_val: Any, settings: dict[str, Any], seed: int) -> Output:
    """The student's whole classifier trained with fixed settings: ``accuracy`` and ``W``."""
    try:
        np.random.seed(seed)
        model = classifier()
        model.train(X_train, y_train, **settings)
        labels = np.asarray(model.predict(X_val))
        W = np.asarray(model.W, dtype=np.float64)
    except Exception as exc:
        return _error(exc)
    if labels.shape != np.shape(y_val):
        return {"accuracy": 0.0, "W": W, "predict_shape": list(labels.shape)}
    return {"accuracy": float(np.mean(labels == y_val)), "W": W}


def probe_best(best: Any) -> Output:
    """The weights of the notebook's tuned classifier (evaluated by the parent)."""
    W = getattr(best, "W", None)
    if W is None:
        return {"error": "best_softmax has no weights W (was it trained?)"}
    return {"W": np.asarray(W, dtype=np.float64)}
