"""Entry point of the sandboxed child: load the student's module, run the probes.

Started by the parent as ``python -s -P -c "<bootstrap>" WORKDIR FIRST_PROBE``.
It applies its resource limits, reports ``begin import`` / ``end import`` on
the status pipe (file descriptor ``GRADER_STATUS_FD``), then waits for the
parent's ``go`` line on stdin: the parent builds the inputs while the child
imports numpy and the student's module, so neither waits for the other.
For each probe of ``WORKDIR/plan.json`` from index ``FIRST_PROBE`` on it
writes ``out/<probe>.npz`` and ``out/<probe>.json`` between ``begin <probe>``
and ``end <probe>`` lines.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import resource
import sys
import types
from typing import IO, Any

import numpy as np

from .capture import student_error
from .context import Context


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    workdir, first = argv[0], int(argv[1])
    boot = _read_json(os.path.join(workdir, "boot.json"))
    _apply_limits(boot["limits"])
    status = os.fdopen(int(os.environ["GRADER_STATUS_FD"]), "w", buffering=1)
    go = _detach_stdin()
    out_dir = os.path.join(workdir, "out")
    student_class = _import_student(boot, out_dir, status) if first == 0 else _quiet_import(boot)
    if student_class is None or go.readline().strip() != "go":
        return 0
    plan = _read_json(os.path.join(workdir, "plan.json"))
    inputs = dict(np.load(plan["inputs"], allow_pickle=False))
    ctx = Context(student_class, None, inputs, boot["root"], plan.get("data_dir"))
    for probe in plan["probes"][first:]:
        if probe.get("needs_reference") and ctx.reference is None:
            ctx.reference = _receive_reference(status, go, boot["reg_scale"])
        _run_probe(ctx, probe, out_dir, status)
    return 0


def _receive_reference(status: IO[str], go: IO[str], reg_scale: float) -> types.ModuleType | None:
    """Ask the parent for the reference's source, sent only once every earlier
    probe's output is safely in the parent's hands; it is never on disk here."""
    status.write("ask reference\n")
    header = go.readline().split()
    if len(header) != 2 or header[0] != "reference" or not header[1].isdigit():
        return None
    source = go.read(int(header[1]))
    module = types.ModuleType("_grader_reference_net")
    exec(compile(source, "<reference>", "exec"), module.__dict__)  # the grader's own code
    module.REG_SCALE = reg_scale  # type: ignore[attr-defined]
    return module


def _read_json(path: str) -> Any:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _detach_stdin() -> IO[str]:
    """Keep the parent's pipe for ourselves; student code gets an empty stdin."""
    go = os.fdopen(os.dup(0), "r")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    return go


def _apply_limits(limits: dict[str, Any]) -> None:
    """Lower the hard limits before any student code runs; they cannot be raised again."""
    if limits.get("memory_bytes"):
        size = int(limits["memory_bytes"])
        resource.setrlimit(resource.RLIMIT_AS, (size, size))
    if limits.get("cpu_seconds"):
        total = int(limits["cpu_seconds"]) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (total, total))
    if limits.get("file_bytes"):
        size = int(limits["file_bytes"])
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    if limits.get("tasks"):  # counts only for a non-root user (see grader.sandbox)
        resource.setrlimit(resource.RLIMIT_NPROC, (int(limits["tasks"]), int(limits["tasks"])))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _import_student(boot: dict[str, Any], out_dir: str, status: IO[str]) -> type | None:
    """Import the student's class, reporting a failure as the ``import`` probe."""
    status.write("begin import\n")
    try:
        student_class = _quiet_import(boot, raise_errors=True)
        _write(out_dir, "import", {}, {})
    except BaseException as exc:  # SystemExit and KeyboardInterrupt at import count too
        _write(out_dir, "import", {}, {"error": student_error(exc, boot["root"])})
        student_class = None
    status.write("end import\n")
    return student_class


def _quiet_import(boot: dict[str, Any], raise_errors: bool = False) -> type | None:
    try:
        _install_compat_modules()
        if boot.get("package"):
            return _load_package(boot["module"], boot["root"], boot["package"],
                                 boot["class_name"])
        module = _load_student(boot["module"], boot["root"])
        return getattr(module, boot["class_name"])  # type: ignore[no-any-return]
    except BaseException:
        if raise_errors:
            raise
        return None


def _run_probe(ctx: Context, probe: dict[str, Any], out_dir: str, status: IO[str]) -> None:
    name = probe["id"]
    _limit_cpu(probe.get("cpu_seconds"))
    status.write(f"begin {name}\n")
    try:
        result = _probe_function(probe)(ctx, probe["args"])
        _write(out_dir, name, result.arrays, result.info)
    except Exception as exc:
        _write(out_dir, name, {}, {"probe_error": student_error(exc, ctx.root)})
    status.write(f"end {name}\n")


def _probe_function(probe: dict[str, Any]) -> Any:
    """The function the pack declared for this probe (``"module:function"`` of the grader)."""
    run = probe.get("run") or ""
    module, _, name = run.partition(":")
    if not module.startswith("grader.") or not name:
        raise ValueError(f"probe {probe.get('kind')!r}: no child function of the grader "
                         f"declared (run = {run!r})")
    return getattr(importlib.import_module(module), name)


def _limit_cpu(seconds: float | None) -> None:
    """Allow the next probe ``seconds`` of CPU on top of what was used so far."""
    if seconds is None:
        return
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    wanted = int(usage.ru_utime + usage.ru_stime + seconds) + 1
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (wanted, hard))


def _write(out_dir: str, name: str, arrays: dict[str, np.ndarray], info: dict[str, Any]) -> None:
    # numpy's stub cannot tell that no key is "allow_pickle"
    np.savez(os.path.join(out_dir, f"{name}.npz"), **arrays)  # type: ignore[arg-type]
    with open(os.path.join(out_dir, f"{name}.json"), "w", encoding="utf-8") as f:
        json.dump(info, f, default=str)


def _load_module(name: str, path: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _load_student(path: str, root: str) -> types.ModuleType:
    """Import the student's file under its own name, with its folders on sys.path."""
    for folder in (root, os.path.dirname(path)):
        if folder not in sys.path:
            sys.path.insert(0, folder)
    return _load_module(student_module_name(path), path)


STUDENT_MODULE = "_student_module"
"""The module name of a student's file whose own name is taken (``numpy.py``) or none."""


def student_module_name(path: str) -> str:
    """The file's name without ``.py`` (what messages and type names then say), unless
    that would shadow a module imported or of the standard library."""
    name = os.path.basename(path).removesuffix(".py")
    taken = name in sys.modules or name in sys.stdlib_module_names
    return name if name.isidentifier() and not taken else STUDENT_MODULE


STUDENT_PACKAGE = "_student_course"
"""The package the course files are imported into (``_student_course.softmax``, ...)."""


def _load_package(path: str, root: str, files: list[str], class_name: str) -> type:
    """Import the course files beside ``path`` as modules of one package (their relative
    imports work), and return ``class_name`` from the last one that defines it."""
    folder = os.path.dirname(path)
    for entry in (root, folder):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    package = types.ModuleType(STUDENT_PACKAGE)
    package.__path__ = [folder]
    sys.modules[STUDENT_PACKAGE] = package
    found = None
    for name in files:
        module = importlib.import_module(f"{STUDENT_PACKAGE}.{name.removesuffix('.py')}")
        found = getattr(module, class_name, found)
    if found is None:
        raise AttributeError(f"no {class_name} in {', '.join(files)}")
    return found  # type: ignore[no-any-return]


def student_module(name: str) -> types.ModuleType:
    """One course file imported by :func:`_load_package` (``name`` without ``.py``)."""
    return sys.modules[f"{STUDENT_PACKAGE}.{name}"]


def _install_compat_modules() -> None:
    """Give Python-2-era course code its ``past.builtins`` import if it is missing."""
    try:
        importlib.import_module("past.builtins")
    except ImportError:
        past = types.ModuleType("past")
        builtins = types.ModuleType("past.builtins")
        builtins.xrange = range  # type: ignore[attr-defined]
        builtins.basestring = str  # type: ignore[attr-defined]
        past.builtins = builtins  # type: ignore[attr-defined]
        sys.modules.setdefault("past", past)
        sys.modules.setdefault("past.builtins", builtins)
