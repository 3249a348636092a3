"""Load the trusted reference solution in the parent, once per rubric.

The reference is a module (instructor build) or a recorded table of its
answers, ``.npz`` (student build, see :mod:`grader.replay`).
"""

from __future__ import annotations

import importlib.util
import threading
import types
from contextlib import contextmanager
from types import ModuleType
from typing import TYPE_CHECKING, Any, Callable, Iterator

from .checkdef import pack
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
    in the yielded table (by the pack's ``record`` hook, see :mod:`grader.replay`)."""
    from .replay import recording_module

    real = load_reference(rubric)
    key = (str(rubric.reference), rubric.reg_scale)
    table: dict[str, np.ndarray] = {}
    with _lock:
        _cache[key] = recording_module(rubric, real, table)
    try:
        yield table
    finally:
        with _lock:
            _cache[key] = real


def _load(rubric: Rubric, name: str) -> ModuleType:
    if is_recorded(rubric):
        from .replay import replay_module

        return replay_module(rubric)
    loader = pack(rubric.kind).hook("load_reference")
    if loader is not None:
        loaded: ModuleType = loader(rubric)
        return loaded
    spec = importlib.util.spec_from_file_location(name, rubric.reference)
    if spec is None or spec.loader is None:
        raise RubricError(str(rubric.path), "assignment.reference", "cannot be imported")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not hasattr(module, rubric.class_name):
        raise RubricError(str(rubric.path), "assignment.reference",
                          f"defines no {rubric.class_name}")
    module.REG_SCALE = rubric.reg_scale  # type: ignore[attr-defined]
    return module


def stand_in_source(rubric: Rubric) -> str:
    """What of the reference the child receives for the probes it stands in for.

    The pack's ``stand_in_source(source)`` hook cuts the reference's source
    down (the two-layer net keeps its class's ``loss`` and ``predict``: a
    student's ``train`` can call the reference loss but finds no reference
    ``train`` to call instead of writing its own). A pack with such probes
    must have the hook: the whole reference never reaches student code. In
    the student build, where the reference does not ship, a quadratic bowl
    stands in instead. Computed once per process.
    """
    if is_recorded(rubric):
        from .replay import recorded_stand_in

        return recorded_stand_in(rubric)
    source = rubric.reference.read_text(encoding="utf-8")
    cut_down = pack(rubric.kind).hook("stand_in_source")
    if cut_down is None:
        raise RubricError(str(rubric.path), "assignment.kind", f"the {rubric.kind} pack has a "
                          "probe the reference stands in for, but no stand_in_source hook")
    with _lock:
        if (rubric.kind, source) not in _stand_ins:
            _stand_ins[rubric.kind, source] = cut_down(source)
        return _stand_ins[rubric.kind, source]


_stand_ins: dict[tuple[str, str], str] = {}


class _SeededNumpy:
    """numpy, except that ``random`` is a private generator.

    The reference's methods draw from ``np.random``; run with this in place of
    ``np`` they draw from their own ``RandomState``, which gives the very numbers
    ``np.random.seed(seed)`` would, without touching numpy's global state
    (several grading threads share it).
    """

    def __init__(self, rng: Any) -> None:
        self.random = rng

    def __getattr__(self, name: str) -> Any:
        import numpy

        return getattr(numpy, name)


def call_seeded(function: Callable[..., Any], seed: int, *args: Any, **kwargs: Any) -> Any:
    """Call a function of the grader's own code with ``np.random`` seeded privately."""
    import numpy

    return call_with_rng(function, numpy.random.RandomState(seed), *args, **kwargs)


def call_with_rng(function: Callable[..., Any], rng: Any, *args: Any, **kwargs: Any) -> Any:
    """Call a function of the grader's own code with ``rng`` as its ``np.random``."""
    scope = dict(function.__globals__)
    scope["np"] = _SeededNumpy(rng)
    private = types.FunctionType(function.__code__, scope, function.__name__,
                                 function.__defaults__, function.__closure__)
    private.__kwdefaults__ = function.__kwdefaults__
    return private(*args, **kwargs)
