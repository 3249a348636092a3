"""The two-layer net as the sandboxed child handles it: its parameters, a student net
holding given ones, and the reference's methods standing in for the student's."""

from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np

from ...child.context import Context
from .outputs import PARAMS

PARAM_NAMES = PARAMS


def params_of(ctx: Context, prefix: str) -> dict[str, np.ndarray]:
    """The parameters the plan sent as inputs ``PREFIX.W1`` ... (fresh copies)."""
    return {name: ctx.array(f"{prefix}.{name}") for name in PARAM_NAMES}


def net_with(ctx: Context, values: Mapping[str, np.ndarray]) -> Any:
    """A student net holding exactly ``values``, whatever its __init__ does.

    The student's __init__ runs first (their methods may rely on attributes
    it sets); if it raises, the object is created without it.
    """
    D, H = values["W1"].shape
    C = values["W2"].shape[1]
    state = np.random.get_state()
    try:
        net = ctx.student_class(D, H, C)
    except Exception:
        net = object.__new__(ctx.student_class)
    finally:
        np.random.set_state(state)
    net.params = {k: np.array(v, copy=True) for k, v in values.items()}
    return net


def reference_method(ctx: Context, name: str) -> Callable[..., Any]:
    """The reference class's method ``name`` (a plain function, called with the student's net)."""
    if ctx.reference is None:
        raise RuntimeError("this probe needs the reference, which this child does not have")
    function: Callable[..., Any] = getattr(ctx.reference.TwoLayerNet, name)
    return function
