"""The probe contract: what a probe may send back, declared once, checked when the parent reads it.

A probe's output is an ``.npz`` of arrays named ``CASE.FIELD``. Its
:class:`Output` lists every field with the dtype kinds and number of
dimensions it may have. The child writes only declared fields; the parent
(:func:`grader.hostile.read_npz`) refuses a file holding anything else, so a
judge only ever sees what the contract names. Shapes of values the student's
code returned are not fixed here: a wrong shape is the student's mistake,
which the judge reports.

Kept free of numpy: the pack declarations that use it are read before numpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

FLOAT = "f"
"""What the child stores a student's value as (float64, see ``Context.store``)."""
NUMBER = "biuf"
"""Bool, integer or float."""


@dataclass(frozen=True)
class Field:
    """One kind of array of a probe's output."""

    name: str
    kinds: str = FLOAT
    """numpy dtype kinds allowed (``dtype.kind``)."""
    ndim: int | None = None
    """Number of dimensions when the child fixes it (None: whatever the student returned)."""


@dataclass(frozen=True)
class Output:
    """Every field a probe may send back."""

    fields: tuple[Field, ...]

    def field(self, key: str) -> Field | None:
        """The field of array ``CASE.FIELD`` (None: undeclared)."""
        name = key.rpartition(".")[2]
        return next((f for f in self.fields if f.name == name), None)

    def problem(self, key: str, array: Any) -> str | None:
        """Why ``array`` stored as ``key`` breaks the contract, or None."""
        field = self.field(key)
        if field is None:
            return f"{key!r} is not an output of this probe"
        if array.dtype.kind not in field.kinds:
            return f"{key!r} is of type {array.dtype}, not one of the declared kinds {field.kinds!r}"
        if field.ndim is not None and array.ndim != field.ndim:
            return f"{key!r} has {array.ndim} dimensions, not {field.ndim}"
        return None

    def check(self, arrays: Mapping[str, Any]) -> str | None:
        """The first broken term of the contract in ``arrays``, or None."""
        for key, array in arrays.items():
            problem = self.problem(key, array)
            if problem is not None:
                return problem
        return None
