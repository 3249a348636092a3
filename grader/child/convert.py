"""Convert whatever student code returned into plain arrays plus a description."""

from __future__ import annotations

from typing import Any

import numpy as np


class NotAnArray(Exception):
    """A student's return value cannot be read as numbers."""


def type_name(value: object) -> str:
    cls = type(value)
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


def describe(value: object) -> dict[str, Any]:
    """What the value is: its type, and shape and dtype when it has them."""
    info: dict[str, Any] = {"type": type_name(value)}
    shape = getattr(value, "shape", None)
    if isinstance(shape, tuple) and all(isinstance(n, int) for n in shape):
        info["shape"] = list(shape)
    dtype = getattr(value, "dtype", None)
    if dtype is not None:
        info["dtype"] = str(dtype)
    return info


def as_array(value: object, dtype: type = np.float64) -> np.ndarray:
    """A fresh, plain ndarray copy of ``value``, or :class:`NotAnArray`."""
    if value is None:
        raise NotAnArray("None is not an array (a missing return statement?)")
    try:
        array: np.ndarray = np.array(np.asarray(value), dtype=dtype, copy=True, order="C")
    except (TypeError, ValueError, OverflowError) as exc:
        raise NotAnArray(f"{type_name(value)} cannot be read as numbers ({exc})") from None
    return array


def as_scalar(value: object) -> float:
    """A float from a Python or numpy number, or a one-element array."""
    array = as_array(value)
    if array.size != 1:
        raise NotAnArray(f"expected a single number, got an array of shape {array.shape}")
    return float(array.reshape(()))
