"""Notebook submissions, on the parent's side: check, prepare, run, read back.

The notebook runs in its own sandboxed child (``grader.child.notebook``) on a
copy of the submission, with the course's support files put back in place and
the data set where the template notebook loads it. What it leaves behind is
read here: how far it ran, the student's tuned network, the figures, and the
accuracies it printed. Module checks then run on the student's module (or on
a module built from the notebook's own class definition) in a clean child.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

from .limits import Limits
from .resources import student_template
from .sandbox import Child, ChildConfig, ProbeRequest

COURSE_FILES = student_template() / "cs231n"
EMBEDDED_DATA = Path(__file__).resolve().parent / "data" / "digits.npz"
_SHELL = re.compile(r"^\s*(!|%%?(sx|system|bash|sh|script|sudo)\b)|get_ipython\(\)\.system")
_CLAIM = re.compile(r"\b(val(?:idation)?|test)[ _]*acc(?:uracy)?\b[^0-9\n]{0,20}?([01](?:\.\d+)?)",
                    re.IGNORECASE)


@dataclass(frozen=True)
class NotebookSettings:
    """The rubric's ``[notebook]`` table, with defaults."""

    cell_timeout: float = 120.0
    total_seconds: float = 900.0
    variable: str = "best_net"
    memory_mb: int = 3072

    @classmethod
    def from_rubric(cls, table: Mapping[str, Any]) -> NotebookSettings:
        return cls(**{k: table[k] for k in ("cell_timeout", "total_seconds", "variable",
                                             "memory_mb") if k in table})


@dataclass(frozen=True)
class NotebookRun:
    """What running a notebook produced (or why it could not run)."""

    problem: str | None = None
    """Why the notebook could not be run at all (bad JSON, old format, other language)."""
    failure: Mapping[str, Any] | None = None
    """The first cell that failed: index, kind, error name and value, traceback."""
    cells: tuple[str, ...] = ()
    """The source of each cell, for excerpts."""
    shell_cells: tuple[int, ...] = ()
    """Cells whose shell escapes were removed before running."""
    extract: Mapping[str, Any] = field(default_factory=dict)
    """What the extraction cell found (best_net's type, predict errors, the class's module)."""
    out: Path | None = None
    """The folder holding ``executed.ipynb``, ``figures/``, ``best_net.npz``."""
    folder: Path | None = None
    """The folder the notebook ran in, with the course's support files laid out."""
    claims: Mapping[str, float] = field(default_factory=dict)
    """Accuracies the notebook printed: ``validation`` and ``test``, last one printed."""
    seconds: float = 0.0
    output: str = ""


def read_notebook(path: Path) -> tuple[Any, str | None]:
    """The parsed notebook, or None and a message saying what is wrong with it."""
    import nbformat

    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, f"{path.name} is not valid notebook JSON ({exc})"
    version = raw.get("nbformat") if isinstance(raw, dict) else None
    if not isinstance(version, int) or version < 4:
        return None, (f"{path.name} is in notebook format {version}, too old to run: open "
                      "and save it with a current Jupyter (format 4)")
    spec = raw.get("metadata", {}).get("kernelspec", {}) or {}
    language = str(spec.get("language") or raw.get("metadata", {}).get(
        "language_info", {}).get("name") or "python")
    if "python" not in language.lower() or not str(spec.get("name", "python")).startswith(
            ("python", "conda", "venv")):
        return None, (f"{path.name} uses the kernel {spec.get('name')!r} ({language}); this "
                      "assignment must be a Python 3 notebook")
    try:
        return nbformat.reads(json.dumps(raw), as_version=4), None
    except Exception as exc:  # nbformat's own validation of a malformed notebook
        return None, f"{path.name} is not a valid notebook ({exc})"


def remove_shell_escapes(nb: Any) -> tuple[int, ...]:
    """Replace shell commands (``!cmd``, ``%%bash``, ``%system``) by comments."""
    touched = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        lines = cell.source.splitlines()
        if lines and re.match(r"^\s*%%(bash|sh|script|system)\b", lines[0]):
            lines = ["# (shell cell not run by the grader)"]
        cleaned = [f"pass  # (shell command not run by the grader): {line.strip()[:60]}"
                   if _SHELL.search(line) else line for line in lines]
        if cleaned != cell.source.splitlines():
            cell.source = "\n".join(cleaned)
            touched.append(index)
    return tuple(touched)


def lay_out(nb_root: Path, notebook: Path, module: Path | None, data_spec: str | None) -> None:
    """Put the course's support files, the student's module and the data next to the notebook."""
    folder = notebook.parent / "cs231n"
    for source in COURSE_FILES.rglob("*.py"):
        rel = source.relative_to(COURSE_FILES)
        if rel.as_posix() == "classifiers/neural_net.py":
            continue
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, folder / rel)
    target = folder / "classifiers" / "neural_net.py"
    if module is not None and module.resolve() != target.resolve():
        shutil.copyfile(module, target)
    datasets = folder / "datasets"
    if datasets.exists():
        shutil.rmtree(datasets)
    datasets.mkdir()
    if data_spec and data_spec.startswith("cifar10:"):
        source = Path(data_spec.split(":", 1)[1]).expanduser().resolve()
        batches = source if (source / "data_batch_1").exists() else source / "cifar-10-batches-py"
        (datasets / "cifar-10-batches-py").symlink_to(batches)
    else:
        shutil.copyfile(EMBEDDED_DATA, datasets / "digits.npz")


def run_notebook(notebook: Path, module: Path | None, workdir: Path, *, settings: NotebookSettings,
                 data_spec: str | None, eval_inputs: Path | None, isolation: Any,
                 read_only: tuple[Path, ...]) -> NotebookRun:
    """Check, prepare and run the notebook in its own sandboxed child."""
    import nbformat

    nb, problem = read_notebook(notebook)
    if nb is None:
        return NotebookRun(problem=problem)
    shell = remove_shell_escapes(nb)
    nb_root = workdir / "nb"
    shutil.copytree(notebook.parent, nb_root, symlinks=False)
    copy = nb_root / notebook.name
    lay_out(nb_root, copy, module, data_spec)
    nbformat.write(nb, copy)
    run_dir = workdir / "nbrun"
    (run_dir / "out").mkdir(parents=True)
    limits = Limits(wall_seconds=settings.total_seconds, cpu_seconds=settings.total_seconds,
                    memory_mb=settings.memory_mb, output_kb=64)
    extra_ro = read_only + ((Path(data_spec.split(":", 1)[1]).expanduser().resolve(),)
                            if data_spec and data_spec.startswith("cifar10:") else ())
    child = Child(ChildConfig(workdir=run_dir, module=copy, root=nb_root, class_name="",
                              reference=None, reg_scale=1.0, limits=limits,
                              read_only=extra_ro, writable=(nb_root,), isolation=isolation,
                              entry="notebook"),
                  [ProbeRequest("notebook", limits)])
    try:
        outcomes = child.run({"notebook": str(copy), "cwd": str(copy.parent),
                              "cell_timeout": settings.cell_timeout,
                              "variable": settings.variable, "out": str(run_dir / "out"),
                              "runtime": str(run_dir), "eval_inputs": str(eval_inputs or "")},
                             {"notebook": {}})
    finally:
        child.kill()
    return replace(_read_run(run_dir / "out", outcomes["notebook"], nb, shell),
                   folder=copy.parent)


def _read_run(out: Path, outcome: Any, nb: Any, shell: tuple[int, ...]) -> NotebookRun:
    cells = tuple(c.source for c in nb.cells)
    report: dict[str, Any] = {}
    if outcome.state == "done" and (out / "notebook.json").exists():
        report = json.loads((out / "notebook.json").read_text("utf-8"))
    else:
        why = "ran past the notebook's total time limit" if outcome.state == "timeout" \
            else f"stopped: {outcome.detail}"
        report = {"failure": {"kind": "timeout" if outcome.state == "timeout" else "dead",
                              "index": None, "ename": "", "evalue": f"the notebook {why}"}}
    extract: dict[str, Any] = {}
    if (out / "extract.json").exists():
        extract = json.loads((out / "extract.json").read_text("utf-8"))
    return NotebookRun(failure=report.get("failure"), cells=cells, shell_cells=shell,
                       extract=extract, out=out, claims=_claims(out / "executed.ipynb"),
                       seconds=float(report.get("seconds", outcome.seconds)),
                       output=outcome.output)


def _claims(executed: Path) -> dict[str, float]:
    """The last validation and test accuracies the notebook printed."""
    if not executed.exists():
        return {}
    nb = json.loads(executed.read_text("utf-8"))
    claims: dict[str, float] = {}
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []):
            text = output.get("text", "") if output.get("output_type") == "stream" else \
                output.get("data", {}).get("text/plain", "")
            text = "".join(text) if isinstance(text, list) else str(text)
            for kind, value in _CLAIM.findall(text):
                claims["test" if kind.lower() == "test" else "validation"] = float(value)
    return claims


def _is_definition(node: ast.stmt) -> bool:
    """Imports, functions, classes, and constants assigned a literal (no computation)."""
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)):
        return True
    if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
        try:
            ast.literal_eval(node.value)
        except ValueError:
            return False
        return True
    return False


def module_from_notebook(nb_cells: tuple[str, ...], class_name: str, dest: Path) -> Path | None:
    """A module holding the notebook's imports and top-level definitions, if it defines the class."""
    keep: list[str] = []
    defines = False
    for source in nb_cells:
        code = "\n".join(line for line in source.splitlines()
                         if not line.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(code)
        except SyntaxError:
            continue
        for node in tree.body:
            if _is_definition(node):
                if isinstance(node, ast.ClassDef) and node.name == class_name:
                    defines = True
                if isinstance(node, ast.ImportFrom) and node.module and "neural_net" in node.module:
                    continue  # the notebook's own class replaces the module's
                keep.append(ast.get_source_segment(code, node) or "")
    if not defines:
        return None
    dest.parent.mkdir(parents=True, exist_ok=True)
    future = [s for s in keep if s.startswith("from __future__")]
    rest = [s for s in keep if not s.startswith("from __future__")]
    dest.write_text("\n\n".join(dict.fromkeys(future + rest)) + "\n", encoding="utf-8")
    return dest
