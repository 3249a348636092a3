"""What every probe needs: the student's class, the reference, inputs and output.

The same for every assignment; what a pack knows of its own classes (parameter
names, how to build a net holding given weights) is in the pack's child-side files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Callable, Mapping

import numpy as np

from .capture import student_error
from .convert import NotAnArray, as_array, describe


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

