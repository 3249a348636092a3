"""The Softmax classifier's recorded reference: its questions, answers and train stand-in.

The parent asks the reference (:mod:`.wiring`) for both losses with their
gradients, ``softmax_loss_*(W, X, y, reg)``, on the loss cases and on the
points of the numerical gradient around them, and for the labels of
``Softmax().predict(X)`` with a given ``W``. :func:`record` (the pack's
``record`` hook) wraps the real reference so that each answer is stored under
a digest of its question; :func:`load_recorded` (``load_recorded``) answers
the same questions from that table (see :mod:`grader.replay`).

The ``train`` probe lets the reference's ``softmax_loss_vectorized`` stand
in for the student's inside the sandbox; the student build sends
:data:`STAND_IN_SOURCE` (``recorded_stand_in``) instead, a quadratic bowl
that says nothing about the softmax. The train judge looks at what the loop
does with the loss it is given (initialisation, rows sampled, reg passed,
step, history), never at the loss values, so its verdict does not change.
"""

from __future__ import annotations

import types
from typing import Any, Callable, Mapping

import numpy as np

from ...replay import answer, digest, module

LOSSES = {"naive": "softmax_loss_naive", "vectorized": "softmax_loss_vectorized"}
"""Question kind -> the reference function it asks."""

STAND_IN_SOURCE = '''"""Stand-in for the self-check's train probe: a quadratic bowl, not the softmax loss.

Its loss is sum((W - 0.1)**2), whatever the data and reg, and its gradient
2 * (W - 0.1). A training loop can be watched with it (initialisation, rows
sampled, reg passed, the step taken, the returned history) without the
assignment's loss.
"""

import numpy as np

CENTRE = 0.1


def softmax_loss_vectorized(W, X, y, reg):
    offset = np.asarray(W, dtype=float) - CENTRE
    return float(np.sum(offset * offset)), 2.0 * offset
'''


def recorded_stand_in() -> str:
    """The pack's ``recorded_stand_in`` hook: the quadratic bowl."""
    return STAND_IN_SOURCE


def loss_key(kind: str, W: Any, X: Any, y: Any, reg: float) -> str:
    return digest(kind, W, X, y, float(reg))


def predict_key(W: Any, X: Any) -> str:
    return digest("predict", W, X)


def record(real: Any, table: dict[str, np.ndarray]) -> types.ModuleType:
    """The pack's ``record`` hook: ``real`` (the reference's two modules, as loaded by
    :func:`.wiring.load_reference`) answering the checks, each answer stored in ``table``."""

    def recording(kind: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def loss(W: Any, X: Any, y: Any, reg: float) -> Any:
            key = loss_key(kind, W, X, y, reg)
            value, dW = function(W, X, y, reg)
            table[f"{kind}.{key}.loss"] = np.array(float(value))
            table[f"{kind}.{key}.dW"] = np.array(dW)
            return value, dW
        return loss

    class Softmax(real.linear_classifier.Softmax):  # type: ignore[misc]
        def predict(self, X: Any) -> Any:
            out = super().predict(X)
            table[f"predict.{predict_key(self.W, X)}"] = np.array(out)
            return out

    losses = {name: recording(kind, getattr(real.softmax, name)) for kind, name in LOSSES.items()}
    return _namespace("_grader_recording_softmax", losses, Softmax)


def load_recorded(table: Mapping[str, np.ndarray]) -> types.ModuleType:
    """The pack's ``load_recorded`` hook: the reference's two modules answering from ``table``."""

    def replaying(kind: str) -> Callable[..., Any]:
        def loss(W: Any, X: Any, y: Any, reg: float) -> Any:
            key = loss_key(kind, W, X, y, reg)
            return float(answer(table, f"{kind}.{key}.loss")), answer(table, f"{kind}.{key}.dW")
        return loss

    class Softmax:
        W: Any = None

        def predict(self, X: Any) -> Any:
            return answer(table, f"predict.{predict_key(self.W, X)}")

    losses = {name: replaying(kind) for kind, name in LOSSES.items()}
    return _namespace("_grader_recorded_softmax", losses, Softmax)


def _namespace(name: str, losses: dict[str, Callable[..., Any]], classifier: type
               ) -> types.ModuleType:
    """What :func:`.wiring.load_reference` returns: ``softmax`` and ``linear_classifier``."""
    return module(name, softmax=module(f"{name}.softmax", **losses),
                  linear_classifier=module(f"{name}.linear_classifier", Softmax=classifier))
