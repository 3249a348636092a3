"""Load the trusted reference solution in the parent, once per rubric.

The reference is a module (instructor build) or a recorded table of its
answers, ``.npz`` (student build, see :mod:`grader.replay`).
"""

from __future__ import annotations

import ast
import importlib.util
import threading
from contextlib import contextmanager
from types import ModuleType
from typing import TYPE_CHECKING, Iterator

from .errors import RubricError
from .rubric import Rubric

if TYPE_CHECKING:
    import numpy as np

_cache: dict[tuple[str, float], ModuleType] = {}
_lock = threading.Lock()


def load_reference(rubric: Rubric) -> ModuleType:
    """The reference module named by the rubric, with its regularization convention."""
    key = (str(rubric.reference), rubric.reg_scale)
    with _lock:
        if key not in _cache:
            _cache[key] = _load(rubric, f"_grader_reference_{len(_cache)}")
        return _cache[key]


def is_recorded(rubric: Rubric) -> bool:
    """Whether the rubric's reference is a recorded table (the student build)."""
    return rubric.reference.suffix == ".npz"


@contextmanager
def recording(rubric: Rubric) -> Iterator[dict[str, np.ndarray]]:
    """While open, the checks' questions to the reference and its answers are stored
    in the yielded table (see :func:`grader.replay.recording_module`)."""
    from .replay import recording_module

    real = load_reference(rubric)
    key = (str(rubric.reference), rubric.reg_scale)
    table: dict[str, np.ndarray] = {}
    with _lock:
        _cache[key] = recording_module(real, table)
    try:
        yield table
    finally:
        with _lock:
            _cache[key] = real


def _load(rubric: Rubric, name: str) -> ModuleType:
    if is_recorded(rubric):
        from .replay import replay_module

        return replay_module(rubric.reference)
    spec = importlib.util.spec_from_file_location(name, rubric.reference)
    if spec is None or spec.loader is None:
        raise RubricError(str(rubric.path), "assignment.reference", "cannot be imported")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not hasattr(module, "TwoLayerNet"):
        raise RubricError(str(rubric.path), "assignment.reference", "defines no TwoLayerNet")
    module.REG_SCALE = rubric.reg_scale  # type: ignore[attr-defined]
    return module


STAND_IN_METHODS = ("loss", "predict")
"""What of the reference stands in for student code (in the train probe)."""


_PARSE_LOCK = threading.Lock()


def parse_python(source: str) -> ast.Module:
    """``ast.parse``, one thread at a time: CPython 3.11 before 3.11.8 keeps the AST
    builder's depth counter per interpreter, and two threads building trees at
    once fail with "SystemError: AST constructor recursion depth mismatch"
    (CPython gh-106905); a batch grades submissions in threads."""
    with _PARSE_LOCK:
        return ast.parse(source)


def stand_in_source(rubric: Rubric) -> str:
    """The reference module's source with its class cut down to ``loss`` and ``predict``.

    This is all the train probe's child receives: a student's ``train`` can
    call the reference loss (that is the point) but finds no reference
    ``train`` to call instead of writing its own. In the student build, where
    the reference does not ship, a quadratic bowl stands in instead.
    """
    if is_recorded(rubric):
        from .replay import STAND_IN_SOURCE

        return STAND_IN_SOURCE
    tree = parse_python(rubric.reference.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "TwoLayerNet":
            node.body = [item for item in node.body
                         if not isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
                         or item.name in STAND_IN_METHODS] or [ast.Pass()]
    return ast.unparse(tree)
