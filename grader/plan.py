"""Plan the probes of a rubric: the inputs given to student code, per check.

The assignment pack draws its input cases (its ``plan_cases`` hook; a pack
without it has none, its children draw their inputs from the rubric seed) and
builds each probe's arguments (its :class:`~grader.checkdef.ProbeDef`
``build``). No expected value is part of the plan: the child sees only what
the student's code is called with. The cases' arrays are written to the
child's ``inputs.npz``, named ``CASE.ARRAY``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping, Protocol

from .checkdef import pack, resolve
from .needs import probe_defs, probe_of
from .rubric import Rubric

if TYPE_CHECKING:
    import numpy as np


class Inputs(Protocol):
    """One case of a plan, as the core sees it: the arrays it hands to the child."""

    def arrays(self) -> Mapping[str, np.ndarray]:
        """The case's arrays, each named ``CASE.ARRAY`` as the child looks them up."""
        ...


@dataclass(frozen=True)
class ProbeArgs:
    """One probe of the plan: which kind, with which arguments."""

    kind: str
    args: Mapping[str, Any]


@dataclass(frozen=True)
class Plan:
    """The probes to run, and every input array they use."""

    probes: tuple[ProbeArgs, ...]
    cases: Mapping[str, Any]
    """The pack's input cases by name (each an :class:`Inputs`); the judges read them."""
    data_dir: str | None = None
    probe_of: Mapping[str, str] = field(default_factory=dict)
    """Check id -> the probe whose output it judges, for the module checks planned."""

    def arrays(self) -> dict[str, np.ndarray]:
        """Every case's arrays, for the child's ``inputs.npz``."""
        out: dict[str, np.ndarray] = {}
        for case in self.cases.values():
            out.update(case.arrays())
        return out


def build_plan(rubric: Rubric, reference: Any, check_ids: tuple[str, ...],
               accuracy: Mapping[str, Any] | None = None) -> Plan:
    """The probes needed by ``check_ids`` with their inputs and limits.

    ``reference`` is the module the checks compare with; the pack's cases are
    drawn from the same one (its ``plan_cases`` loads it through
    :func:`grader.reference.load_reference`, which caches it).
    """
    # Over the whole rubric, not just the selected checks: the gradient checks
    # read the loss probe, whose cases follow the loss check's settings.
    own_cases = pack(rubric.kind).hook("plan_cases")
    cases: Mapping[str, Inputs] = own_cases(rubric) if own_cases is not None else {}
    probes = []
    for probe in probe_defs(rubric, check_ids):
        served = [c for c in check_ids if probe_of(rubric, c) == probe.kind]
        args = resolve(probe.build)(rubric, served, cases, accuracy or {})
        probes.append(ProbeArgs(probe.kind, args))
    data_dir = accuracy.get("data_dir") if accuracy else None
    judged = {c: kind for c in check_ids if (kind := probe_of(rubric, c)) is not None}
    return Plan(tuple(probes), cases, data_dir=data_dir, probe_of=judged)
