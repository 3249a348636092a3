"""Which probes a set of checks needs, and each probe's limits.

Kept free of numpy on purpose: the sandboxed child is started from this
before the parent imports numpy, so the two imports overlap.
"""

from __future__ import annotations

from .checkdef import ProbeDef, pack
from .limits import Limits
from .rubric import DatasetSettings, Rubric

def probe_of(rubric: Rubric, check_id: str) -> str | None:
    """The probe whose output ``check_id`` judges (None: a notebook check)."""
    return pack(rubric.kind).probe_of(check_id)


def module_checks(rubric: Rubric, check_ids: tuple[str, ...]) -> tuple[str, ...]:
    """The checks of ``check_ids`` judged on a probe of the student's module."""
    return tuple(c for c in check_ids if probe_of(rubric, c) is not None)


def notebook_checks(rubric: Rubric, check_ids: tuple[str, ...]) -> tuple[str, ...]:
    """The checks of ``check_ids`` judged on the run of the student's notebook."""
    declared = pack(rubric.kind).checks
    return tuple(c for c in check_ids if c in declared and declared[c].notebook)


def needs_data(rubric: Rubric, check_ids: tuple[str, ...]) -> bool:
    """Whether one of ``check_ids`` needs the data set."""
    declared = pack(rubric.kind).checks
    return any(declared[c].needs_data for c in check_ids if c in declared)


def probe_defs(rubric: Rubric, check_ids: tuple[str, ...]) -> list[ProbeDef]:
    """The probes needed by the module checks of ``check_ids``, in order."""
    declared = pack(rubric.kind)
    kinds = dict.fromkeys(declared.probe_of(c) for c in module_checks(rubric, check_ids))
    return [declared.probes[k] for k in kinds if k is not None]


def probe_limits(rubric: Rubric, check_ids: tuple[str, ...],
                 accuracy: DatasetSettings | None) -> list[tuple[str, Limits]]:
    """The probes needed by ``check_ids``, in order, with the looser limits of the checks each serves.

    A check that needs the data set runs under the data set's limits.
    """
    out: dict[str, Limits] = {}
    declared = pack(rubric.kind).checks
    for check_id in module_checks(rubric, check_ids):
        kind = declared[check_id].probe
        assert kind is not None
        limits = rubric.check(check_id).limits
        if declared[check_id].needs_data and accuracy is not None:
            limits = accuracy.limits
        out[kind] = out[kind].merge(limits) if kind in out else limits
    return list(out.items())
