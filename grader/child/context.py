"""What every probe needs: the student's class, the reference, inputs and output."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Callable, Mapping

import numpy as np

from ..assignments.two_layer_net.outputs import PARAMS
from .capture import student_error
from .convert import NotAnArray, as_array, describe

PARAM_NAMES = PARAMS


@dataclass
class ProbeOutput:
    """What one probe found: arrays for the ``.npz`` file, the rest for JSON."""

    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    """The child's view of one grading run."""

    student_class: type
    reference: ModuleType | None
    inputs: Mapping[str, np.ndarray]
    root: str
    """The submission folder, to tell student frames from others."""
    data_dir: str | None

    def array(self, key: str) -> np.ndarray:
        return np.array(self.inputs[key], copy=True)

    def params(self, prefix: str) -> dict[str, np.ndarray]:
        return {name: self.array(f"{prefix}.{name}") for name in PARAM_NAMES}

    def net_with(self, params: Mapping[str, np.ndarray]) -> Any:
        """A student net holding exactly ``params``, whatever its __init__ does.

        The student's __init__ runs first (their methods may rely on attributes
        it sets); if it raises, the object is created without it.
        """
        D, H = params["W1"].shape
        C = params["W2"].shape[1]
        state = np.random.get_state()
        try:
            net = self.student_class(D, H, C)
        except Exception:
            net = object.__new__(self.student_class)
        finally:
            np.random.set_state(state)
        net.params = {k: np.array(v, copy=True) for k, v in params.items()}
        return net

    def error(self, exc: BaseException) -> dict[str, Any]:
        return student_error(exc, self.root)

    def attempt(self, out: ProbeOutput, case: str, fn: Callable[[], Any]) -> Any:
        """Run ``fn``; on an exception record it under ``case`` and return None."""
        try:
            return fn()
        except Exception as exc:
            out.info.setdefault(case, {})["error"] = self.error(exc)
            return None

    def store(self, out: ProbeOutput, key: str, value: object,
              dtype: type = np.float64) -> bool:
        """Record ``value`` as array ``key`` with its description; False if unreadable."""
        case, _, name = key.rpartition(".")
        entry = out.info.setdefault(case, {}).setdefault("returned", {})
        entry[name] = describe(value)
        try:
            out.arrays[key] = as_array(value, dtype)
        except NotAnArray as exc:
            entry[name]["unreadable"] = str(exc)
            return False
        return True


def reference_method(ctx: Context, name: str) -> Callable[..., Any]:
    """The reference class's method ``name`` (a plain function, called with the student's net)."""
    if ctx.reference is None:
        raise RuntimeError("this probe needs the reference, which this child does not have")
    function: Callable[..., Any] = getattr(ctx.reference.TwoLayerNet, name)
    return function
