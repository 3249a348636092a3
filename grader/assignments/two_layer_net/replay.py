"""The two-layer net's recorded reference: its questions, answers and train stand-in.

The checks ask the reference for a network initialised under a seed, then
scores, loss and gradients, and labels, each for given parameters and
inputs. :func:`record` (the pack's ``record`` hook) wraps the real reference
so that each answer is stored under a digest of its question;
:func:`load_recorded` (``load_recorded``) answers the same questions from
that table (see :mod:`grader.replay`).

The ``train`` check needs a ``loss`` and ``predict`` that run *inside* the
sandbox; the student build sends :data:`STAND_IN_SOURCE`
(``recorded_stand_in``), a quadratic bowl that says nothing about the
assignment's network.
"""

from __future__ import annotations

import types
from typing import Any, Mapping

import numpy as np

from ...reference import call_with_rng
from ...replay import answer, digest, module
from .outputs import PARAMS

STAND_IN_SOURCE = '''"""Stand-in for the self-check's train probe: a quadratic bowl, not the network.

Its loss is the sum over all parameters of (p - 0.1)**2, whatever the data,
and its gradient 2 * (p - 0.1); it predicts class 0 for every row. Under
plain SGD the loss falls towards 0, so a training loop can be watched (rows
sampled, reg passed, step taken, learning-rate schedule) without the
assignment's loss.
"""

import numpy as np

CENTRE = 0.1


class TwoLayerNet:
    def loss(self, X, y=None, reg=0.0):
        rows = np.asarray(X).shape[0]
        if y is None:
            return np.zeros((rows, np.shape(self.params["b2"])[0]))
        offsets = {k: np.asarray(v, dtype=float) - CENTRE for k, v in self.params.items()}
        value = float(sum(np.sum(d * d) for d in offsets.values()))
        return value, {k: 2.0 * d for k, d in offsets.items()}

    def predict(self, X):
        return np.zeros(np.asarray(X).shape[0], dtype=np.int64)
'''


def recorded_stand_in() -> str:
    """The pack's ``recorded_stand_in`` hook: the quadratic bowl."""
    return STAND_IN_SOURCE


def instructor_only() -> tuple[str, ...]:
    """The pack's ``instructor_only`` hook: ``best_net`` evaluates the student's tuned
    weights with the reference forward pass, which would have to ship."""
    return ("best_net",)


def init_key(D: int, H: int, C: int, std: float, random: Any = None) -> str:
    """The question "a network of this size, under this generator's state".

    ``random`` is the ``np.random`` the caller sees: numpy's global state, or
    the private generator the parent's checks run the reference with
    (:func:`grader.reference.call_seeded`).
    """
    _, keys, pos, *_ = (np.random if random is None else random).get_state()
    return digest("init", int(D), int(H), int(C), float(std), keys, int(pos))


def loss_key(params: Any, X: Any, y: Any, reg: float) -> str:
    return digest("loss", *(params[k] for k in PARAMS), X, y, float(reg))


def predict_key(params: Any, X: Any) -> str:
    return digest("predict", *(params[k] for k in PARAMS), X)


def record(real: Any, table: dict[str, np.ndarray]) -> types.ModuleType:
    """The pack's ``record`` hook: ``real`` (the reference module) answering the checks,
    each answer stored in ``table``."""
    Real = real.TwoLayerNet

    class TwoLayerNet:
        params: dict[str, Any]

        def __init__(self, input_size: int, hidden_size: int, output_size: int,
                     std: float = 1e-4) -> None:
            # ``np.random`` here is the caller's generator (see init_key); the
            # real reference must draw from that same one.
            key = init_key(input_size, hidden_size, output_size, std, np.random)
            real_net = Real.__new__(Real)
            call_with_rng(Real.__init__, np.random, real_net, input_size, hidden_size,
                          output_size, std=std)
            self.params = real_net.params
            for k in PARAMS:
                table[f"init.{key}.{k}"] = np.array(self.params[k])

        def loss(self, X: Any, y: Any = None, reg: float = 0.0) -> Any:
            key = loss_key(self.params, X, y, reg)
            out = Real.loss(self, X, y, reg=reg)
            if y is None:
                table[f"scores.{key}"] = np.array(out)
            else:
                table[f"loss.{key}"] = np.array(float(out[0]))
                for k in PARAMS:
                    table[f"grads.{key}.{k}"] = np.array(out[1][k])
            return out

        def predict(self, X: Any) -> Any:
            out = Real.predict(self, X)
            table[f"predict.{predict_key(self.params, X)}"] = np.array(out)
            return out

    return module("_grader_recording_reference", TwoLayerNet=TwoLayerNet)


def load_recorded(table: Mapping[str, np.ndarray]) -> types.ModuleType:
    """The pack's ``load_recorded`` hook: a reference module answering from ``table``."""

    class TwoLayerNet:
        params: dict[str, Any]

        def __init__(self, input_size: int, hidden_size: int, output_size: int,
                     std: float = 1e-4) -> None:
            key = init_key(input_size, hidden_size, output_size, std, np.random)
            self.params = {k: answer(table, f"init.{key}.{k}") for k in PARAMS}

        def loss(self, X: Any, y: Any = None, reg: float = 0.0) -> Any:
            key = loss_key(self.params, X, y, reg)
            if y is None:
                return answer(table, f"scores.{key}")
            return (float(answer(table, f"loss.{key}")),
                    {k: answer(table, f"grads.{key}.{k}") for k in PARAMS})

        def predict(self, X: Any) -> Any:
            return answer(table, f"predict.{predict_key(self.params, X)}")

    return module("_grader_recorded_reference", TwoLayerNet=TwoLayerNet)
