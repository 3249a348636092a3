"""Known mistakes as named transformations of the reference source.

A mistake is the reference with one small change: a few exact-text patches
of code lines (each old text must occur exactly once, and never in a comment,
so comment lines added around the code do not matter) or an AST transform.
Each assignment pack lists its mistakes in ``mistakes.py``; the same list
builds the test fixtures (reference + one mistake) and, loaded as modules in
the parent, names the mistake whose outputs match a failing submission's.
"""

from __future__ import annotations

import ast
import importlib
import logging
import threading
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Callable, Generic, Literal, Sequence, TypeVar

from .errors import MistakeError
from .rubric import Rubric
from .syntax import parse

Transform = Callable[[ast.Module], ast.Module]
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mistake:
    """One known mistake of an assignment."""

    id: str
    """Stable id, stored per failed check in result.json."""
    checks: tuple[str, ...]
    """The checks it fails (or errors) when it is the only mistake."""
    explanation: str
    """What is wrong, for the student: "b1 and b2 are never updated in train()".

    For a mistake that stops the import, ``{lineno}`` stands for the student's line."""
    patches: tuple[tuple[str, str], ...] = ()
    """(old, new): ``old`` is part of one code line and occurs exactly once."""
    transform: Transform | None = None
    """An AST transform, for changes a text patch says badly."""
    method: str = ""
    """The method the mistake lives in, to point at the student's line."""
    line: str = ""
    """A regular expression matching the student's line in :attr:`method`."""
    status: Literal["graded", "error"] = "graded"
    """``error`` when the mutated module cannot even be imported."""
    diagnose: tuple[str, ...] | None = None
    """Checks whose outputs are compared (default: :attr:`checks`)."""
    file: str | None = None
    """The course file the mistake changes, for an assignment of several files
    (None: the rubric's ``module``)."""

    def apply(self, source: str) -> str:
        """The reference source with this mistake made."""
        for old, new in self.patches:
            source = _patched(self.id, source, old, new)
        if self.transform is not None:
            source = ast.unparse(self.transform(parse(source)))
        return source

    @property
    def compared(self) -> tuple[str, ...]:
        return self.checks if self.diagnose is None else self.diagnose


def _patched(mistake: str, source: str, old: str, new: str) -> str:
    """``source`` with ``old`` replaced by ``new`` on the one code line that holds it.

    Occurrences inside comments (the assignment's TODO text quotes code) are
    neither counted nor changed.
    """
    if "\n" in old or old.lstrip().startswith("#"):
        raise MistakeError(f"{mistake}: a patch must change part of one code line: {old!r}")
    lines = source.splitlines(keepends=True)
    hits = [i for i, line in enumerate(lines) if old in line and "#" not in line.split(old)[0]]
    if len(hits) != 1:
        where = " (only inside comments)" if not hits and old in source else ""
        raise MistakeError(f"{mistake}: {old!r} occurs {len(hits)} times in the reference's "
                           f"code{where}")
    lines[hits[0]] = lines[hits[0]].replace(old, new, 1)
    return "".join(lines)


def method_raises(name: str, exception: str = "NotImplementedError") -> Transform:
    """An AST transform: method ``name`` only raises ``exception``."""
    def transform(tree: ast.Module) -> ast.Module:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name == name:
                node.body = [ast.Raise(exc=ast.Name(exception, ast.Load()), cause=None)]
        return ast.fix_missing_locations(tree)
    return transform


Loaded = TypeVar("Loaded")


@dataclass(frozen=True)
class Library(Generic[Loaded]):
    """The mistakes of one assignment, with their mutants loaded."""

    mistakes: tuple[Mistake, ...]
    modules: dict[str, Loaded] = field(default_factory=dict)
    """Mutants by mistake id (importable mistakes only): modules, or what the pack's
    ``load_mutant`` makes of its course files."""

    def by_id(self, mistake_id: str) -> Mistake | None:
        return next((m for m in self.mistakes if m.id == mistake_id), None)


LoadMutant = Callable[[dict[str, str], float, str], Any]
"""A pack's ``load_mutant(sources, reg_scale, name)`` (in its ``mistakes.py``): the mutant
made of the course files' sources (file name -> text), for an assignment of several files.
Without it the reference's one file is run as the module ``name``."""

_cache: dict[tuple[str, str, float], Library[Any] | None] = {}
_lock = threading.Lock()


def library_for(rubric: Rubric) -> Library[Any] | None:
    """The rubric's mistake library with mutants loaded, once per process; None if absent."""
    key = (rubric.kind, str(rubric.reference), rubric.reg_scale)
    with _lock:
        if key not in _cache:
            _cache[key] = _load_library(rubric)
        return _cache[key]


def _pack_mistakes(assignment: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"grader.assignments.{assignment}.mistakes")
    except ImportError:
        return None  # also the student build, which ships no mistake library


def mistakes_of(assignment: str) -> tuple[Mistake, ...] | None:
    """The declared mistakes of an assignment pack, or None when it has none."""
    pack = _pack_mistakes(assignment)
    if pack is None:
        return None
    mistakes: Sequence[Mistake] = getattr(pack, "MISTAKES", ())
    return tuple(mistakes)


def reference_sources(rubric: Rubric) -> dict[str, str] | None:
    """The reference's course files (file name -> text): the rubric's ``modules`` beside
    its reference, or the reference alone; None when they cannot be read."""
    folder = rubric.reference.parent
    try:
        return {name: (folder / name).read_text(encoding="utf-8")
                for name in rubric.modules or (rubric.reference.name,)}
    except (OSError, ValueError):
        return None  # a build without the reference: no diagnosis


def with_mistake(sources: dict[str, str], mistake: Mistake, default: str) -> dict[str, str]:
    """The course files with ``mistake`` made in its ``file`` (None: ``default``)."""
    name = mistake.file or default
    if name not in sources:
        raise MistakeError(f"{mistake.id}: no course file {name} (have: {', '.join(sources)})")
    return {**sources, name: mistake.apply(sources[name])}


def _load_library(rubric: Rubric) -> Library[Any] | None:
    pack = _pack_mistakes(rubric.kind)
    mistakes = mistakes_of(rubric.kind)
    sources = reference_sources(rubric) if mistakes else None
    if pack is None or not mistakes or sources is None:
        return None
    load: LoadMutant = getattr(pack, "load_mutant", _run_module)
    modules = {}
    for k, mistake in enumerate(mistakes):
        if mistake.status != "graded":
            continue
        try:
            mutated = with_mistake(sources, mistake, rubric.reference.name)
        except MistakeError as exc:  # the tests catch this; grading goes on without it
            logger.warning("%s", exc)
            continue
        try:
            modules[mistake.id] = load(mutated, rubric.reg_scale,
                                       f"_grader_mistake_{k}_{mistake.id}")
        except Exception:  # the grader's own variant failed to load: no diagnosis by it
            logger.exception("mistake %s: the mutated reference does not load", mistake.id)
    return Library(mistakes, modules)


def _run_module(sources: dict[str, str], reg_scale: float, name: str) -> ModuleType:
    """The one course file, run as module ``name`` (the grader's own code: the reference
    with one known change, run in the parent)."""
    (source,) = sources.values()
    module = ModuleType(name)
    exec(compile(source, f"<mistake {name}>", "exec"), module.__dict__)
    module.REG_SCALE = reg_scale  # type: ignore[attr-defined]
    return module


_compiled: dict[tuple[str, str], str | None] = {}


def import_mistake(rubric: Rubric, error_type: str, message: str) -> Mistake | None:
    """The known mistake whose mutant fails to import with the same error, if any."""
    mistakes = mistakes_of(rubric.kind)
    if error_type != "SyntaxError" or not mistakes:
        return None  # also the student build: no library, a recorded reference
    sources = reference_sources(rubric)
    if sources is None:
        return None
    for mistake in mistakes:
        if mistake.status != "error":
            continue
        key = (str(rubric.reference), mistake.id)
        with _lock:
            if key not in _compiled:
                _compiled[key] = _syntax_message(mistake, sources, rubric.reference.name)
            found = _compiled[key]
        if found is not None and found == message:
            return mistake
    return None


def _syntax_message(mistake: Mistake, sources: dict[str, str], default: str) -> str | None:
    """The syntax error of the file the mistake changes, or None."""
    try:
        source = with_mistake(sources, mistake, default)[mistake.file or default]
        compile(source, "<mistake>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        return exc.msg
    except (MistakeError, ValueError):
        return None
    return None
