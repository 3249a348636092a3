"""A recorded reference: expected values stand in where the reference may not ship.

The checks ask the reference for a few things: a network initialised under a
seed, scores, loss and gradients, labels, each for given parameters and
inputs. At release time (:func:`recording_module`) the real reference answers
and every answer is stored under a digest of the question; in the student
build (:func:`replay_module`) the same questions are answered from that table
(an ``.npz`` read with ``allow_pickle=False``). A question that was never
recorded raises :class:`NotRecorded`, a ``ValueError``, which the checks
already treat as "no reference value for this" (e.g. the accuracy check's
hint about the student's own trained weights).

The ``train`` check needs a ``loss`` and ``predict`` that run *inside* the
sandbox; the student build sends :data:`STAND_IN_SOURCE`, a quadratic bowl
that says nothing about the assignment's network.
"""

from __future__ import annotations

import hashlib
import types
from pathlib import Path
from typing import Any

import numpy as np

from .assignments.two_layer_net.outputs import PARAMS
from .errors import DataError
from .reference import call_with_rng
from .syntax import one_at_a_time


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


class NotRecorded(DataError):
    """The self-check bundle holds no expected value for these inputs."""


def _digest(kind: str, *parts: Any) -> str:
    h = hashlib.sha256(kind.encode())
    for part in parts:
        if part is None:
            h.update(b"|none")
            continue
        array = np.ascontiguousarray(np.asarray(part))
        h.update(f"|{array.dtype.str}{array.shape}".encode())
        h.update(array.tobytes())
    return h.hexdigest()[:24]


def init_key(D: int, H: int, C: int, std: float, random: Any = None) -> str:
    """The question "a network of this size, under this generator's state".

    ``random`` is the ``np.random`` the caller sees: numpy's global state, or
    the private generator the parent's checks run the reference with
    (:func:`grader.reference.call_seeded`).
    """
    _, keys, pos, *_ = (np.random if random is None else random).get_state()
    return _digest("init", int(D), int(H), int(C), float(std), keys, int(pos))


def loss_key(params: Any, X: Any, y: Any, reg: float) -> str:
    return _digest("loss", *(params[k] for k in PARAMS), X, y, float(reg))


def predict_key(params: Any, X: Any) -> str:
    return _digest("predict", *(params[k] for k in PARAMS), X)


def recording_module(real: Any, table: dict[str, np.ndarray]) -> types.ModuleType:
    """``real`` (the reference module) answering the checks, each answer stored in ``table``."""
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

    return _module("_grader_recording_reference", TwoLayerNet)


def replay_module(path: Path) -> types.ModuleType:
    """A reference module answering from the table recorded in ``path``."""
    try:
        with one_at_a_time(), np.load(path, allow_pickle=False) as npz:
            table = {k: npz[k] for k in npz.files}
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: not a readable self-check bundle ({exc})") from None

    def get(key: str) -> np.ndarray:
        if key not in table:
            raise NotRecorded("the self-check bundle holds no expected value for these inputs")
        return np.array(table[key], copy=True)

    class TwoLayerNet:
        params: dict[str, Any]

        def __init__(self, input_size: int, hidden_size: int, output_size: int,
                     std: float = 1e-4) -> None:
            key = init_key(input_size, hidden_size, output_size, std, np.random)
            self.params = {k: get(f"init.{key}.{k}") for k in PARAMS}

        def loss(self, X: Any, y: Any = None, reg: float = 0.0) -> Any:
            key = loss_key(self.params, X, y, reg)
            if y is None:
                return get(f"scores.{key}")
            return float(get(f"loss.{key}")), {k: get(f"grads.{key}.{k}") for k in PARAMS}

        def predict(self, X: Any) -> Any:
            return get(f"predict.{predict_key(self.params, X)}")

    return _module("_grader_recorded_reference", TwoLayerNet)


def _module(name: str, cls: type) -> types.ModuleType:
    module = types.ModuleType(name)
    cls.__module__ = name
    module.TwoLayerNet = cls  # type: ignore[attr-defined]
    return module
