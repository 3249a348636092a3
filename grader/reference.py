"""Load the trusted reference solution in the parent, once per rubric."""

from __future__ import annotations

import importlib.util
import threading
from types import ModuleType

from .errors import RubricError
from .rubric import Rubric

_cache: dict[tuple[str, float], ModuleType] = {}
_lock = threading.Lock()


def load_reference(rubric: Rubric) -> ModuleType:
    """The reference module named by the rubric, with its regularization convention."""
    key = (str(rubric.reference), rubric.reg_scale)
    with _lock:
        if key not in _cache:
            _cache[key] = _load(rubric, f"_grader_reference_{len(_cache)}")
        return _cache[key]


def _load(rubric: Rubric, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, rubric.reference)
    if spec is None or spec.loader is None:
        raise RubricError(str(rubric.path), "assignment.reference", "cannot be imported")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not hasattr(module, "TwoLayerNet"):
        raise RubricError(str(rubric.path), "assignment.reference", "defines no TwoLayerNet")
    module.REG_SCALE = rubric.reg_scale  # type: ignore[attr-defined]
    return module
