"""A recorded reference: expected values stand in where the reference may not ship.

The checks ask the reference questions (for the two-layer net: a network
initialised under a seed, scores, loss and gradients, labels; for the
Softmax classifier: both losses with their gradients, labels), each for
given inputs. At release time (:func:`recording_module`) the real reference
answers and every answer is stored under a digest of the question
(:func:`digest`); in the student build (:func:`replay_module`) the same
questions are answered from that table (an ``.npz`` read with
``allow_pickle=False``). A question that was never recorded raises
:class:`NotRecorded`, a ``ValueError``, which the checks already treat as
"no reference value for this".

Which questions there are is the assignment pack's business: its hooks
(:attr:`grader.checkdef.Pack.hooks`) ``record`` and ``load_recorded`` build
the recording and the replaying reference, ``recorded_stand_in`` gives the
source that stands in for the reference inside the sandbox (the train
probe) when the reference does not ship, and ``instructor_only`` names the
visible checks the student build must leave out. This module reads and
writes the table and knows no assignment.
"""

from __future__ import annotations

import hashlib
import types
from typing import TYPE_CHECKING, Any, Callable, Mapping

from .checkdef import pack
from .errors import DataError, ReleaseError
from .rubric import Rubric
from .syntax import one_at_a_time

if TYPE_CHECKING:
    import numpy as np

RECORDING_HOOKS = ("record", "load_recorded")
"""The hooks a pack needs to be released (the student build answers from a table)."""


class NotRecorded(DataError):
    """The self-check bundle holds no expected value for these inputs."""


def digest(kind: str, *parts: Any) -> str:
    """The key of one question: its kind and the exact dtype, shape and bytes of each part
    (``None`` counts as a part of its own)."""
    import numpy as np

    h = hashlib.sha256(kind.encode())
    for part in parts:
        if part is None:
            h.update(b"|none")
            continue
        array = np.ascontiguousarray(np.asarray(part))
        h.update(f"|{array.dtype.str}{array.shape}".encode())
        h.update(array.tobytes())
    return h.hexdigest()[:24]


def can_record(rubric: Rubric) -> bool:
    """Whether the rubric's pack declares how to record and replay its reference."""
    hooks = pack(rubric.kind).hooks
    return all(name in hooks for name in RECORDING_HOOKS)


def _hook(rubric: Rubric, name: str) -> Callable[..., Any]:
    function = pack(rubric.kind).hook(name)
    if function is None:
        raise ReleaseError(f"the assignment {rubric.kind!r} declares no {name!r} hook: "
                           "its reference cannot be recorded for a student build")
    return function


def recording_module(rubric: Rubric, real: types.ModuleType,
                     table: dict[str, np.ndarray]) -> types.ModuleType:
    """``real`` (the reference) answering the checks, each answer stored in ``table``."""
    module: types.ModuleType = _hook(rubric, "record")(real, table)
    return module


def replay_module(rubric: Rubric) -> types.ModuleType:
    """A reference answering from the table recorded in the rubric's ``reference``."""
    loader = pack(rubric.kind).hook("load_recorded")
    if loader is None:
        raise DataError(f"{rubric.reference}: the assignment {rubric.kind!r} cannot answer "
                        "from a recorded table")
    module: types.ModuleType = loader(read_table(rubric.reference))
    return module


def read_table(path: Any) -> dict[str, np.ndarray]:
    """Every array of a self-check bundle, read without pickles."""
    import numpy as np

    try:
        with one_at_a_time(), np.load(path, allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: not a readable self-check bundle ({exc})") from None


def answer(table: Mapping[str, np.ndarray], key: str) -> np.ndarray:
    """The recorded answer ``key``, a copy; :class:`NotRecorded` if there is none."""
    import numpy as np

    if key not in table:
        raise NotRecorded("the self-check bundle holds no expected value for these inputs")
    return np.array(table[key], copy=True)


def recorded_stand_in(rubric: Rubric) -> str:
    """The source sent to the child where the reference stands in, in the student build."""
    source: str = _hook(rubric, "recorded_stand_in")()
    return source


def instructor_only(rubric: Rubric) -> tuple[str, ...]:
    """Visible checks the student build leaves out (they need the reference on inputs
    only the student's code decides)."""
    function = pack(rubric.kind).hook("instructor_only")
    return () if function is None else tuple(function())


def module(name: str, **attributes: Any) -> types.ModuleType:
    """A module ``name`` holding ``attributes`` (classes defined here are renamed into it)."""
    made = types.ModuleType(name)
    for key, value in attributes.items():
        if isinstance(value, type):
            value.__module__ = name
        setattr(made, key, value)
    return made
