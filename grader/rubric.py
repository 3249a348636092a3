"""Read a rubric file into a frozen, validated :class:`Rubric`.

The rubric says what is checked, for how many points, with which tolerance,
whether students see it, how long it may run, and the data-set specific
settings of the accuracy check. ``docs/rubrics.md`` documents the format.
A malformed rubric raises :class:`~grader.errors.RubricError` naming the file,
the key and the reason.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from .checkdef import CheckDef, Number, Option, Pack, pack
from .errors import RubricError
from .limits import Limits
from .resources import DEFAULT_ASSIGNMENT, RUBRIC_FILE, pack_dir, rubric_path

_Number = Number

_NOTEBOOK_KEYS: dict[str, tuple[type, ...]] = {
    "name": (str,), "cell_timeout": _Number, "total_seconds": _Number, "variable": (str,),
    "memory_mb": (int,), "required": (bool,),
}
_COMMON_CHECK_KEYS = {"title", "points", "visible", "wall_seconds", "cpu_seconds", "memory_mb"}
_DATASET_KEYS: dict[str, tuple[type, ...]] = {
    "threshold": _Number, "hidden_size": (int,), "std": _Number, "learning_rate": _Number,
    "learning_rate_decay": _Number, "reg": _Number, "num_iters": (int,),
    "batch_size": (int,), "wall_seconds": _Number, "cpu_seconds": _Number,
    "memory_mb": (int,),
}
_DATASET_REQUIRED = ("threshold", "hidden_size", "learning_rate", "num_iters", "batch_size")


@dataclass(frozen=True)
class CheckSpec:
    """One check of the rubric."""

    id: str
    """A check declared by the rubric's assignment pack (:mod:`grader.checkdef`)."""
    title: str
    """What the check is called in reports."""
    points: float
    """Points for passing it."""
    visible: bool
    """Whether students see it (``grader check``, student reports)."""
    limits: Limits
    """Resources its probe of student code may use."""
    options: Mapping[str, Any] = field(default_factory=dict)
    """Check-specific settings (tolerances, hyperparameters), defaults filled in."""


@dataclass(frozen=True)
class DatasetSettings:
    """How the accuracy check trains on one data set, and what it must reach."""

    name: str
    """``digits`` (the embedded data) or ``cifar10``."""
    threshold: float
    """The validation accuracy the student's net must reach."""
    hyperparameters: Mapping[str, Any]
    """``hidden_size``, ``std`` and the keyword arguments passed to ``train``."""
    limits: Limits
    """Resources the accuracy probe may use on this data set."""


@dataclass(frozen=True)
class Rubric:
    """What is graded and how; read from a TOML file by :func:`load_rubric`."""

    path: Path
    """The file it was read from."""
    name: str
    """The assignment's name."""
    kind: str
    """The assignment pack whose check declarations grade it (``grader/assignments/KIND``)."""
    module: str
    """The file name of the student's module, searched for in submissions."""
    class_name: str
    """The class the student implements."""
    modules: tuple[str, ...]
    """The course files imported together as one package, when the class's module
    imports its siblings (empty: ``module`` alone is imported)."""
    reference: Path
    """The reference solution module (absolute)."""
    reg_scale: float
    """1.0 for ``reg * sum(W**2)``, 0.5 for the older ``0.5 * reg * sum(W**2)``."""
    seed: int
    """Seeds every hidden input, so grading twice gives the same result."""
    checks: tuple[CheckSpec, ...]
    """The checks, in rubric order."""
    datasets: Mapping[str, DatasetSettings]
    """Accuracy-check settings per data set name."""
    notebook: Mapping[str, Any] = field(default_factory=dict)
    """Settings for notebook submissions (file name, time limits, variable names), and
    ``assignment``: the pack that says how the notebook is run."""

    @property
    def max_score(self) -> float:
        return sum(c.points for c in self.checks)

    def check(self, check_id: str) -> CheckSpec:
        for spec in self.checks:
            if spec.id == check_id:
                return spec
        raise KeyError(check_id)

    def has(self, check_id: str) -> bool:
        return any(c.id == check_id for c in self.checks)


DEFAULT_RUBRIC = rubric_path()
"""The rubric of the default assignment pack (see :mod:`grader.resources`)."""


def load_rubric(path: str | Path | None = None) -> Rubric:
    """Read and validate a rubric: a file, or a shipped assignment's name (None: the default)."""
    path = rubric_path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RubricError(str(path), "-", "file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise RubricError(str(path), "-", f"not valid TOML ({exc})") from None
    return _Reader(path).rubric(raw)


def _shipped_assignment(kind: str) -> Mapping[str, Any]:
    """The ``[assignment]`` table of the pack's own rubric: what a rubric of that kind
    leaves out (the student's module, the class) is the pack's (empty when unreadable)."""
    try:
        raw = tomllib.loads((pack_dir(kind) / RUBRIC_FILE).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    meta = raw.get("assignment")
    return {k: v for k, v in meta.items() if isinstance(v, str)} if isinstance(meta, dict) else {}


class _Reader:
    """Validates one rubric file's parsed TOML, naming the key on every error."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.declared: Mapping[str, CheckDef] = {}
        self.dataset_required: tuple[str, ...] = _DATASET_REQUIRED

    def fail(self, key: str, reason: str) -> RubricError:
        return RubricError(str(self.path), key, reason)

    def table(self, raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        value = raw.get(key.rsplit(".", 1)[-1], {})
        if not isinstance(value, dict):
            raise self.fail(key, "must be a table")
        return value

    def value(self, table: Mapping[str, Any], key: str, name: str,
              types: tuple[type, ...], default: Any = None) -> Any:
        if name not in table:
            if default is None:
                raise self.fail(f"{key}.{name}", "is required")
            return default
        value = table[name]
        if isinstance(value, bool) and bool not in types or not isinstance(value, types):
            wanted = " or ".join(t.__name__ for t in types)
            raise self.fail(f"{key}.{name}", f"must be {wanted}, not {type(value).__name__}")
        return value

    def option(self, table: Mapping[str, Any], key: str, name: str, option: Option) -> Any:
        value = self.value(table, key, name, option.types, option.default)
        problem = option.problem(value) if name in table else None
        if problem is not None:
            raise self.fail(f"{key}.{name}", problem)
        return value

    def unknown(self, table: Mapping[str, Any], key: str, allowed: set[str]) -> None:
        for name in table:
            if name not in allowed:
                raise self.fail(f"{key}.{name}", f"unknown key (expected one of: {', '.join(sorted(allowed))})")

    def rubric(self, raw: Mapping[str, Any]) -> Rubric:
        self.unknown(raw, "(top level)", {"assignment", "limits", "checks", "data", "notebook"})
        meta = self.table(raw, "assignment")
        self.unknown(meta, "assignment", {"name", "kind", "module", "modules", "class_name",
                                          "reference", "reg_convention", "seed"})
        limits_table = self.table(raw, "limits")
        self.unknown(limits_table, "limits", {"wall_seconds", "cpu_seconds", "memory_mb", "output_kb",
                                              "disk_mb"})
        defaults = self.limits(limits_table, "limits", Limits())
        convention = self.value(meta, "assignment", "reg_convention", (str,), "reg")
        if convention not in ("reg", "half_reg"):
            raise self.fail("assignment.reg_convention", "must be 'reg' or 'half_reg'")
        reference = self.path.parent / self.value(meta, "assignment", "reference", (str,))
        if not reference.is_file():
            raise self.fail("assignment.reference", f"no such file: {reference}")
        # a renamed copy of a rubric (another course's name) keeps the shipped pack's checks
        kind = self.value(meta, "assignment", "kind", (str,), DEFAULT_ASSIGNMENT)
        try:
            declared = pack(kind)
        except RubricError as exc:
            raise self.fail("assignment.kind", exc.reason) from None
        shipped = _shipped_assignment(kind)
        name = self.value(meta, "assignment", "name", (str,), kind)
        self.declared = declared.checks
        if declared.dataset_required is not None:
            self.dataset_required = declared.dataset_required
        modules = self.value(meta, "assignment", "modules", (list,), [])
        if not all(isinstance(m, str) and m and "/" not in m for m in modules):
            raise self.fail("assignment.modules", "must be a list of file names")
        checks = self.checks(self.table(raw, "checks"), defaults)
        return Rubric(
            path=self.path.resolve(),
            name=name,
            kind=kind,
            module=self.value(meta, "assignment", "module", (str,), shipped.get("module")),
            class_name=self.value(meta, "assignment", "class_name", (str,),
                                  shipped.get("class_name")),
            modules=tuple(modules),
            reference=reference.resolve(),
            reg_scale=1.0 if convention == "reg" else 0.5,
            seed=self.value(meta, "assignment", "seed", (int,), 0),
            checks=checks,
            datasets=MappingProxyType(self.datasets(self.table(raw, "data"), defaults)),
            notebook=MappingProxyType(self.notebook(self.table(raw, "notebook"), declared)),
        )

    def notebook(self, table: Mapping[str, Any], declared: Pack) -> dict[str, Any]:
        """The ``[notebook]`` table; its name defaults to the pack's notebook, and
        ``assignment`` names the pack that says how the notebook is run."""
        self.unknown(table, "notebook", set(_NOTEBOOK_KEYS))
        found = {name: self.value(table, "notebook", name, types)
                 for name, types in _NOTEBOOK_KEYS.items() if name in table}
        if declared.notebook is not None:
            found.setdefault("name", declared.notebook.name)
        return {**found, "assignment": declared.name}

    def limits(self, table: Mapping[str, Any], key: str, base: Limits) -> Limits:
        mem = self.value(table, key, "memory_mb", (int,), base.memory_mb or 0)
        limits = Limits(
            wall_seconds=float(self.value(table, key, "wall_seconds", _Number, base.wall_seconds or 0)),
            cpu_seconds=float(self.value(table, key, "cpu_seconds", _Number, base.cpu_seconds or 0)),
            memory_mb=mem or None,
            output_kb=self.value(table, key, "output_kb", (int,), base.output_kb),
            disk_mb=self.value(table, key, "disk_mb", (int,), base.disk_mb or 0) or None,
        )
        for name in ("wall_seconds", "cpu_seconds", "memory_mb", "disk_mb"):
            value = getattr(limits, name)
            if value is not None and value <= 0:
                raise self.fail(f"{key}.{name}", "must be positive")
        return limits

    def checks(self, table: Mapping[str, Any], defaults: Limits) -> tuple[CheckSpec, ...]:
        if not table:
            raise self.fail("checks", "the rubric defines no checks")
        return tuple(self.check(check_id, body, defaults) for check_id, body in table.items())

    def check(self, check_id: str, body: Any, defaults: Limits) -> CheckSpec:
        key = f"checks.{check_id}"
        if check_id not in self.declared:
            raise self.fail(key, f"unknown check (known: {', '.join(self.declared)})")
        if not isinstance(body, dict):
            raise self.fail(key, "must be a table")
        schema = self.declared[check_id].options
        self.unknown(body, key, _COMMON_CHECK_KEYS | set(schema))
        points = float(self.value(body, key, "points", _Number))
        if points < 0:
            raise self.fail(f"{key}.points", "must not be negative")
        options = {name: self.option(body, key, name, option) for name, option in schema.items()}
        return CheckSpec(
            id=check_id,
            title=self.value(body, key, "title", (str,), check_id),
            points=points,
            visible=self.value(body, key, "visible", (bool,), True),
            limits=self.limits(body, key, defaults),
            options=MappingProxyType(options),
        )

    def datasets(self, table: Mapping[str, Any], defaults: Limits) -> dict[str, DatasetSettings]:
        out = {}
        for name, body in table.items():
            key = f"data.{name}"
            if name not in ("digits", "cifar10"):
                raise self.fail(key, "unknown data set (known: digits, cifar10)")
            if not isinstance(body, dict):
                raise self.fail(key, "must be a table")
            self.unknown(body, key, set(_DATASET_KEYS))
            for required in self.dataset_required:
                self.value(body, key, required, _DATASET_KEYS[required])
            hyper = {k: self.value(body, key, k, _DATASET_KEYS[k]) for k in body
                     if k not in ("threshold", "wall_seconds", "cpu_seconds", "memory_mb")}
            hyper.setdefault("std", 1e-4)
            out[name] = DatasetSettings(
                name=name,
                threshold=float(body["threshold"]),
                hyperparameters=MappingProxyType(hyper),
                limits=self.limits(body, key, defaults),
            )
        return out
