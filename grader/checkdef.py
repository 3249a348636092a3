"""Declare a check once; every registry of the grader is derived from the declarations.

An assignment pack (``grader/assignments/NAME/checks.py``) lists its probes
(:class:`ProbeDef`: how the parent builds the probe's arguments, which child
function runs it) and its checks (:class:`CheckDef`: the option schema the
rubric is validated against, the probe whose output is judged, the judge,
whether the reference stands in for student code, whether the data set is
needed). The rubric's ``[assignment] kind`` selects the pack.

Functions are named by ``"module:attribute"`` strings and imported on first
use: reading a rubric must not import numpy (the sandboxed child is started
before the parent imports it, so that the two start-ups overlap).

:func:`register_check` adds a check to a pack at run time (the public
extension point); the rubric then names it like any shipped check.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from .contract import Output
from .errors import RubricError

Number = (int, float)


@dataclass(frozen=True)
class Option:
    """One rubric option of a check: its types, default (None: required) and allowed values."""

    types: tuple[type, ...]
    default: Any = None
    low: float | None = None
    """Smallest allowed value (numbers), inclusive."""
    high: float | None = None
    """Largest allowed value (numbers), inclusive."""
    choices: tuple[Any, ...] | None = None

    def problem(self, value: Any) -> str | None:
        """Why ``value`` (already of an allowed type) is not allowed, or None."""
        if self.choices is not None and value not in self.choices:
            return f"must be one of: {', '.join(map(repr, self.choices))}"
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if self.low is not None and value < self.low:
                return f"must be at least {self.low}"
            if self.high is not None and value > self.high:
                return f"must be at most {self.high}"
        return None


def resolve(ref: str | Callable[..., Any]) -> Any:
    """The object named by ``"module:attribute"`` (a callable is returned as is)."""
    if not isinstance(ref, str):
        return ref
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class ProbeDef:
    """One probe: arguments built in the parent, run on student code in the sandboxed child."""

    kind: str
    build: str | Callable[..., Any]
    """``build(rubric, served_check_ids, cases, accuracy_args) -> args`` (parent side)."""
    run: str
    """``"module:function"`` of ``run(ctx, args) -> ProbeOutput`` (child side)."""
    reference_stands_in: bool = False
    """The reference's source is sent to the child for this probe (it runs last)."""
    output: Output | None = None
    """What the probe sends back (:mod:`grader.contract`), checked when the parent reads it."""
    keep: str | None = None
    """``"module:function"`` of ``keep(folder, arrays, dataset)``: saves files of the probe's
    output for the reports (called when grading with an artifacts folder)."""
    kept: tuple[str, ...] = ()
    """The names of the files ``keep`` writes in the folder (removed before the submission
    is graded again, copied for a submission of the same content)."""


@dataclass(frozen=True)
class CheckDef:
    """Everything the grader knows about one check."""

    id: str
    judge: str | Callable[..., Any]
    """Module checks: ``judge(spec, probe_data, evidence) -> Verdict``; notebook checks:
    ``judge(spec, notebook_evidence) -> Verdict``."""
    probe: str | None = None
    """The probe whose output is judged; None for a notebook check."""
    options: Mapping[str, Option] = field(default_factory=dict)
    needs_data: bool = False
    """The data set is loaded (and written for the children) when this check runs."""
    notebook: bool = False
    """Judged on the run of the submission's notebook rather than on a probe."""
    figures: tuple[str, ...] = ()
    """Names of the report figures this check's metrics feed (documentation only)."""

    def judge_function(self) -> Callable[..., Any]:
        function: Callable[..., Any] = resolve(self.judge)
        return function


@dataclass(frozen=True)
class NotebookDef:
    """How an assignment's notebook is run (a pack's ``NOTEBOOK``, read by
    :mod:`grader.notebook_layout`)."""

    name: str
    """The notebook searched for in a submission (the rubric's ``[notebook] name`` overrides it)."""
    extract: str
    """``"module:function"`` of ``extract(namespace, model) -> (info, weights)``, run inside the
    student's kernel once the notebook has run. ``model`` is the rubric's ``[notebook] variable``
    (None when it is not defined), ``namespace`` the notebook's globals; ``info`` (JSON) joins
    what the core found (``extract.json``), ``weights`` (name to array, or None) become
    ``best_net.npz``. Only its module's source crosses into the kernel: it imports nothing of the
    grader, and may raise (the extraction then reports the error and writes nothing)."""
    course: str = ""
    """The folder of the pack's ``student_template`` laid out beside the notebook (its ``.py``
    files: the course's support code)."""
    student_files: tuple[str, ...] = ()
    """Where the student's files go, relative to the notebook (``cs231n/classifiers/x.py``):
    never taken from the template; the submission's file of that name beside its module
    (the module itself first of all) is put there."""
    data: str = ""
    """The folder, relative to the notebook, where the data set is put as the template loads it."""


@dataclass
class Pack:
    """One assignment's probes and checks, in declaration order."""

    name: str
    probes: dict[str, ProbeDef]
    checks: dict[str, CheckDef]
    hooks: Mapping[str, str] = field(default_factory=dict)
    """What the pack supplies to the core, by name (``"module:function"``):
    ``load_reference(rubric)`` (no hook: the ``reference`` file imported as a module),
    ``stand_in_source(source)`` (required by a probe the reference stands in for),
    ``plan_cases(rubric)`` (no hook: no input arrays);
    ``diagnose(results, evidence, module) -> results`` names the known mistake behind failing
    checks (no hook: no diagnosis).

    The student build (``grader release``, :mod:`grader.replay`) needs the pack to record its
    reference: ``record(reference, table) -> module`` returns a reference that answers like
    ``reference`` and stores each answer in ``table`` (a dict of arrays) under a digest of
    the question; ``load_recorded(table) -> module`` answers the same questions from the
    table (:class:`grader.replay.NotRecorded` for any other); ``recorded_stand_in() -> str``
    is the source sent to the child in place of the reference's where it stands in for
    student code; ``instructor_only() -> tuple[str, ...]`` names the visible checks the
    student build leaves out (no hook: none). A pack without ``record`` and
    ``load_recorded`` cannot be released."""
    dataset_required: tuple[str, ...] | None = None
    """The keys every ``[data.NAME]`` table must have (None: the core's default)."""
    child_files: tuple[str, ...] = ()
    """The pack's files the sandboxed child imports (the rest of the pack, its reference
    and examples above all, stays hidden from student code)."""
    notebook: NotebookDef | None = None
    """How the assignment's notebook is run (None: the pack grades no notebook)."""
    figures: tuple[str, ...] = ()
    """``"module:function"`` of each report figure of the pack, ``figure(result, folder) ->
    Image | None`` (None: nothing to draw), shown after the core's charts."""

    def hook(self, name: str) -> Callable[..., Any] | None:
        """The function the pack supplies for ``name``, or None (the core's default)."""
        ref = self.hooks.get(name)
        return None if ref is None else resolve(ref)

    def check(self, check_id: str) -> CheckDef:
        return self.checks[check_id]

    def probe_of(self, check_id: str) -> str | None:
        definition = self.checks.get(check_id)
        return definition.probe if definition else None


_PACKS: dict[str, Pack] = {}


def pack(kind: str) -> Pack:
    """The declarations of the assignment ``kind`` (``grader.assignments.KIND.checks``)."""
    if kind not in _PACKS:
        if not kind.isidentifier():
            raise RubricError(kind, "assignment.kind", "not an assignment name")
        try:
            module = importlib.import_module(f"grader.assignments.{kind}.checks")
        except ModuleNotFoundError as exc:
            if exc.name is None or not f"grader.assignments.{kind}".startswith(exc.name):
                raise
            raise RubricError(kind, "assignment.kind", "no such assignment pack "
                              "(or it declares no checks)") from None
        _PACKS[kind] = Pack(kind, {p.kind: p for p in module.PROBES},
                            {c.id: c for c in module.CHECKS}, getattr(module, "HOOKS", {}),
                            getattr(module, "DATASET_REQUIRED", None),
                            tuple(getattr(module, "CHILD_FILES", ())),
                            getattr(module, "NOTEBOOK", None),
                            tuple(getattr(module, "FIGURES", ())))
    return _PACKS[kind]


def child_files(kinds: tuple[str, ...]) -> tuple[Path, ...]:
    """The files of the packs ``kinds`` that the sandboxed child may import."""
    root = Path(__file__).resolve().parent / "assignments"
    files = [root / "__init__.py"]
    for kind in kinds:
        files += [root / kind / name for name in ("__init__.py", *pack(kind).child_files)]
    return tuple(dict.fromkeys(f for f in files if f.is_file()))


def register_check(check: CheckDef, assignment: str, probe: ProbeDef | None = None) -> None:
    """Add ``check`` (and the probe it needs, when new) to an assignment pack.

    The rubric then accepts ``[checks.ID]`` with the declared options; the
    check is graded, stored and reported like a shipped one. A new probe's
    ``run`` function must be importable inside the sandboxed child.
    """
    target = pack(assignment)
    if probe is not None:
        target.probes[probe.kind] = probe
    if check.probe is not None and check.probe not in target.probes:
        raise ValueError(f"check {check.id}: no probe {check.probe!r} in {assignment}")
    target.checks[check.id] = check


def unregister_check(check_id: str, assignment: str) -> None:
    """Remove a check added by :func:`register_check`."""
    pack(assignment).checks.pop(check_id, None)
