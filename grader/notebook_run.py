"""Notebook submissions, on the parent's side: check, prepare, run, read back.

The notebook runs in its own sandboxed child (``grader.child.kernel``) on a
copy of the submission, with the course's support files put back in place and
the data set where the template notebook loads it (:mod:`grader.notebook_layout`,
as the assignment's pack declares). What it leaves behind is
read here: how far it ran, the student's tuned network, the figures, and the
accuracies it printed. Module checks then run on the student's module (or on
a module built from the notebook's own class definition) in a clean child.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

from . import hostile
from .errors import UnsafeOutput
from .limits import Limits
from .checkdef import NotebookDef
from .notebook_layout import extraction, lay_out, make_way, notebook_def
from .privileges import RunAs
from .resources import DEFAULT_ASSIGNMENT
from .syntax import parse
from .sandbox import Child, ChildConfig, ProbeRequest

# IPython's own rewriting of a cell turns every shell form (``!cmd``, ``x = !cmd``,
# ``%sx``, ``%system``, ``%%bash``, ``%%script sh`` ...) into one of these calls.
_SHELL = re.compile(r"get_ipython\(\)\.(system|getoutput)\(|"
                    r"run_line_magic\(['\"](sx|system|sc)['\"]|"
                    r"run_cell_magic\(['\"](bash|sh|script|system|sx|perl|ruby|zsh|sudo)['\"]")
MAX_REPORT = 1 * 2**20
"""Bytes of the extraction's findings (``extract.json``)."""
MAX_EXECUTED = 32 * 2**20
"""Bytes of the executed notebook read back for printed accuracies."""
_CLAIM = re.compile(r"\b(val(?:idation)?|test)[ _]*acc(?:uracy)?\b[^0-9\n]{0,20}?([01](?:\.\d+)?)",
                    re.IGNORECASE)


@dataclass(frozen=True)
class NotebookSettings:
    """The rubric's ``[notebook]`` table, with defaults."""

    cell_timeout: float = 120.0
    total_seconds: float = 900.0
    variable: str = "best_net"
    memory_mb: int = 3072
    assignment: str = DEFAULT_ASSIGNMENT
    """The pack whose :class:`~grader.checkdef.NotebookDef` says how the notebook is run."""

    @classmethod
    def from_rubric(cls, table: Mapping[str, Any]) -> NotebookSettings:
        return cls(**{k: table[k] for k in ("cell_timeout", "total_seconds", "variable",
                                             "memory_mb", "assignment") if k in table})

    @property
    def layout(self) -> NotebookDef:
        """How the notebook is run: its pack's declaration."""
        return notebook_def(self.assignment)


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
    """Cells that use shell escapes (run as written, inside the sandbox)."""
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
    weights: Mapping[str, Any] | None = None
    """The arrays of ``best_net.npz`` (the tuned network's params), if it was written."""
    predictions: Any = None
    """The tuned network's own ``predict`` on the evaluation inputs, if it ran."""
    problems: tuple[str, ...] = ()
    """Files the run left that were refused (links, FIFOs, too big, malformed)."""


def read_notebook(path: Path) -> tuple[Any, str | None]:
    """The parsed notebook, or None and a message saying what is wrong with it."""
    import nbformat

    try:
        raw = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        return None, f"{path.name} is not valid notebook JSON ({str(exc)[:200]})"
    version = raw.get("nbformat") if isinstance(raw, dict) else None
    if not isinstance(version, int) or version < 4:
        return None, (f"{path.name} is in notebook format {version}, too old to run: open "
                      "and save it with a current Jupyter (format 4)")
    problem = _structure_problem(raw)
    if problem:
        return None, f"{path.name} is not a valid notebook: {problem}"
    metadata = raw.get("metadata", {})
    spec = metadata.get("kernelspec") or {}
    language = str(spec.get("language") or (metadata.get("language_info") or {}).get("name")
                   or "python")
    if "python" not in language.lower():
        return None, (f"{path.name} uses the kernel {str(spec.get('name'))[:80]!r} "
                      f"({language[:80]}); this assignment must be a Python 3 notebook")
    try:
        return nbformat.reads(json.dumps(raw), as_version=4), None
    except Exception as exc:  # nbformat's own validation of a malformed notebook
        return None, f"{path.name} is not a valid notebook ({str(exc)[:300]})"


def _structure_problem(raw: dict[str, Any]) -> str | None:
    """What the grader relies on: typed metadata, and cells with a type and a source."""
    metadata = raw.get("metadata", {})
    if not isinstance(metadata, dict):
        return "its metadata is not a JSON object"
    for key in ("kernelspec", "language_info"):
        if not isinstance(metadata.get(key) or {}, dict):
            return f"its metadata's {key} is not a JSON object"
    cells = raw.get("cells")
    if not isinstance(cells, list):
        return "it has no list of cells"
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            return f"cell {index} is not a code, markdown or raw cell"
        source = cell.get("source")
        if not (isinstance(source, str) or (isinstance(source, list) and
                                            all(isinstance(s, str) for s in source))):
            return f"cell {index} has no source text"
    return None


def shell_cells(nb: Any) -> tuple[int, ...]:
    """The code cells that use a shell escape, in any of IPython's forms.

    They are run as written: the sandbox (no network, a read-only system, only
    the notebook's folder writable) is what contains them, as it contains
    ``os.system`` and ``subprocess``, which no rewriting of the source could find.
    """
    from IPython.core.inputtransformer2 import TransformerManager

    manager = TransformerManager()
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        try:
            code = manager.transform_cell(cell.source)
        except Exception:  # IPython could not rewrite it: the kernel will report it
            code = cell.source
        if _SHELL.search(code):
            found.append(index)
    return tuple(found)


def run_notebook(notebook: Path, module: Path | None, workdir: Path, *, settings: NotebookSettings,
                 data_spec: str | None, eval_inputs: Path | None, isolation: Any,
                 read_only: tuple[Path, ...], run_as: RunAs = RunAs()) -> NotebookRun:
    """Check, prepare and run the notebook in its own sandboxed child."""
    import nbformat

    nb, problem = read_notebook(notebook)
    if nb is None:
        return NotebookRun(problem=problem)
    shell = shell_cells(nb)
    nb_root = workdir / "nb"
    shutil.copytree(notebook.parent, nb_root, symlinks=False)
    copy = nb_root / notebook.name
    lay_out(nb_root, copy, module, data_spec, settings.assignment)
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
                              run_as=run_as,
                              entry="kernel"),
                  [ProbeRequest("notebook", limits)])
    source, function = extraction(settings.layout)
    try:
        outcomes = child.run({"notebook": str(copy), "cwd": str(copy.parent),
                              "cell_timeout": settings.cell_timeout,
                              "variable": settings.variable, "out": str(run_dir / "out"),
                              "runtime": str(run_dir), "eval_inputs": str(eval_inputs or ""),
                              "extract_source": source, "extract_function": function},
                             {"notebook": {}})
    finally:
        child.kill()
    return _read_run(run_dir, outcomes["notebook"], nb, shell, child.reports.get("notebook"))


def _read_run(run_dir: Path, outcome: Any, nb: Any, shell: tuple[int, ...],
              report_text: str | None) -> NotebookRun:
    """The run's report (sent on the status pipe) and what the notebook left in
    ``run_dir/out``, each file read as hostile (see grader.hostile)."""
    problems: list[str] = []

    def read(reader: Any, name: str, *args: Any) -> Any:
        try:
            return reader(run_dir, f"out/{name}", *args)
        except FileNotFoundError:
            return None
        except UnsafeOutput as exc:
            problems.append(str(exc))
            return None

    report = None
    if outcome.state == "done" and report_text is not None:
        try:
            report = hostile.parse_json(report_text.encode("utf-8"), "the run's report")
        except UnsafeOutput as exc:
            problems.append(str(exc))
    failure = _failure(report, outcome, problems)
    extract = read(hostile.read_json, "extract.json", dict, MAX_REPORT) or {}
    weights = read(hostile.read_npz, "best_net.npz")
    seconds = report.get("seconds") if isinstance(report, dict) else None
    executed = read(hostile.read_bytes, "executed.ipynb", MAX_EXECUTED)
    return NotebookRun(failure=failure, cells=tuple(c.source for c in nb.cells),
                       shell_cells=shell, extract=extract, out=run_dir / "out",
                       claims=_claims(executed) if executed is not None else {},
                       seconds=float(seconds) if isinstance(seconds, (int, float)) and
                       0 <= seconds < 1e7 else outcome.seconds,
                       output=outcome.output, weights=weights,
                       predictions=read(hostile.read_npy, "best_net_predict.npy"),
                       problems=tuple(problems))


def _failure(report: Any, outcome: Any, problems: list[str]) -> Mapping[str, Any] | None:
    """The first failing cell as the run reported it, checked field by field."""
    if report is None and outcome.state == "done":
        return {"kind": "refused", "index": None, "ename": "", "evalue":
                "its run left no readable report" + (f" ({problems[0]})" if problems else "")}
    if report is None:
        if outcome.state == "timeout":
            why = "ran past the notebook's total time limit"
        else:
            why = f"stopped: {outcome.detail}"
        return {"kind": "timeout" if outcome.state == "timeout" else "dead",
                "index": None, "ename": "", "evalue": f"the notebook {why}"}
    raw = report.get("failure")
    if raw is None:
        return None
    raw = raw if isinstance(raw, dict) else {}
    index = raw.get("index")
    traceback = raw.get("traceback")
    return {"kind": str(raw.get("kind", "dead")),
            "index": index if isinstance(index, int) and not isinstance(index, bool) else None,
            "ename": str(raw.get("ename", "")), "evalue": str(raw.get("evalue", "")),
            "traceback": [str(t) for t in traceback[:200]] if isinstance(traceback, list) else []}


def _claims(executed: bytes) -> dict[str, float]:
    """The last validation and test accuracies the notebook printed."""
    try:
        nb = hostile.parse_json(executed, "executed.ipynb")
    except UnsafeOutput:
        return {}
    claims: dict[str, float] = {}
    cells = nb.get("cells")
    for cell in cells if isinstance(cells, list) else []:
        outputs = cell.get("outputs") if isinstance(cell, dict) else None
        for output in outputs if isinstance(outputs, list) else []:
            if not isinstance(output, dict):
                continue
            data = output.get("data")
            text = output.get("text", "") if output.get("output_type") == "stream" else \
                data.get("text/plain", "") if isinstance(data, dict) else ""
            text = "".join(map(str, text)) if isinstance(text, list) else str(text)
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


def module_from_notebook(nb_cells: tuple[str, ...], class_name: str, dest: Path,
                         assignment: str = DEFAULT_ASSIGNMENT) -> Path | None:
    """A module holding the notebook's imports and top-level definitions, if it defines the class.

    ``dest``'s folder must be the grader's own (see :func:`build_module`). Imports from
    the student's module (the first of the pack's ``student_files``) are left out: the
    notebook's own class replaces the module's.
    """
    student_files = notebook_def(assignment).student_files
    replaced = Path(student_files[0]).stem if student_files else None
    keep: list[str] = []
    defines = False
    for source in nb_cells:
        code = "\n".join(line for line in source.splitlines()
                         if not line.lstrip().startswith(("%", "!")))
        try:
            tree = parse(code)
            kept = [node for node in tree.body if _is_definition(node)]
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue  # nested too deep for the parser, or not Python: nothing to keep
        for node in kept:
            if isinstance(node, ast.ClassDef) and node.name == class_name:
                defines = True
            if (isinstance(node, ast.ImportFrom) and node.module and replaced
                    and replaced in node.module):
                continue
            keep.append(ast.get_source_segment(code, node) or "")
    if not defines:
        return None
    dest.parent.mkdir(parents=True, exist_ok=True)
    future = [s for s in keep if s.startswith("from __future__")]
    rest = [s for s in keep if not s.startswith("from __future__")]
    text = "\n\n".join(dict.fromkeys(future + rest)) + "\n"
    return hostile.write_new(dest.parent, dest.name, text.encode("utf-8"))


def build_module(cells: tuple[str, ...], notebook: Path, class_name: str, module_name: str,
                 workdir: Path, assignment: str = DEFAULT_ASSIGNMENT) -> Path | None:
    """The module a notebook defines, in a folder the grader creates fresh for it.

    Beside it: the notebook's own folder as submitted (the grader's copy, which no
    sandbox wrote) and the course's support files, so that its imports resolve.
    """
    folder = Path(tempfile.mkdtemp(prefix="from-notebook-", dir=workdir))
    shutil.copytree(notebook.parent, folder, symlinks=False, dirs_exist_ok=True)
    lay_out(folder, folder / notebook.name, None, None, assignment)
    make_way(folder / module_name, keep_dirs=False)
    return module_from_notebook(cells, class_name, folder / module_name, assignment)
