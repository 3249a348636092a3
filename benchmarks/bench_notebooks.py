#!/usr/bin/env python
# mypy: disallow-untyped-calls=False
"""Grading a batch of notebooks: grader against nbgrader and otter-grader.

    python benchmarks/bench_notebooks.py [--n 20] [--keep] [--venvs DIR] [--repeat R]
                                         [--json PATH]

In one run, in a temporary folder (see benchmarks/NOTEBOOKS.md):

1. The same small notebook (numpy arithmetic, one function the student
   writes, one cell of tests) is written N times in each tool's format:
   grader submission folders holding ``two_layer_net.ipynb``, an nbgrader
   course (``source/``, ``release/`` and ``submitted/<student>/ps1/``) and
   otter-grader submissions made from ``otter assign``'s student notebook.
2. Two throwaway venvs are created and ``nbgrader`` and ``otter-grader`` are
   installed into them with pip, each timed on its own (not compared).
3. The batch is graded, each through its command line, and timed:
   ``grader grade --jobs 1`` and ``--jobs 2`` (with a copy of the rubric that
   keeps only the ``notebook_runs`` check), ``nbgrader autograde ps1``, and a
   loop of ``otter run`` (one submission per call: it takes one). Every
   notebook must get full marks from every tool, or the run says so.
4. Where the grader's time per notebook goes: a traced run of a few
   submissions (the parent's steps and the child's status lines), and the
   same cells run directly with nbclient and with IPython in one process.

Prints a table (wall seconds, seconds and CPU seconds per notebook, the load
others put on the machine just before each run, ratios to grader) and the
breakdown. ``--repeat R`` runs each timed batch R times and keeps the fastest.
``--venvs DIR`` keeps the two venvs in DIR and reuses them on the next run
(installs then count as reused, not timed). Nothing is written into the
repository.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from itertools import pairwise
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RUBRIC = ROOT / "grader" / "assignments" / "two_layer_net" / "rubric.toml"
NOTEBOOK = "two_layer_net.ipynb"

NBGRADER_TARGET = 5.0
"""nbgrader's batch time over grader's, at least (issue #3)."""
OTTER_TARGET = 8.0
"""otter-grader's batch time over grader's, at least (issue #3)."""

# The notebook every tool grades: a setup cell, the student's answer, the tests.
SETUP = "import numpy as np\nx = np.arange(12.0).reshape(3, 4)\nprint(x.sum())"
ANSWER = "def square(v):\n    return v * v"
TESTS = "assert square(3) == 9\nassert np.allclose(square(x), x ** 2)"
TITLE = "# Squares\n\nWrite `square(v)`, which squares `v` element by element."
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}

TOOL_PACKAGES = {"nbgrader": ["nbgrader", "numpy", "ipykernel"],
                 "otter": ["otter-grader", "numpy", "ipykernel"]}
"""pip installs for each throwaway venv: the tool, and what the notebook's kernel needs."""


# --------------------------------------------------------------------------- #
# helpers
# --------------------------------------------------------------------------- #

def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def grader_command() -> list[str]:
    """The installed console script next to this Python, else ``python -m grader``."""
    script = Path(sys.executable).parent / "grader"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "grader"]


def machine_busy() -> float:
    """CPU seconds the whole machine has spent so far (all cores, steal left out)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return float("nan")
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in fields[:7])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def other_load(seconds: float = 1.5) -> float:
    """Cores kept busy by others while this benchmark waits (the machine may be shared)."""
    before = machine_busy()
    time.sleep(seconds)
    return round((machine_busy() - before) / seconds, 2)


def become_subreaper() -> bool:
    """Adopt orphaned descendants (a killed sandbox leaves its kernel's processes to
    init otherwise), so that reaping them adds their CPU time to RUSAGE_CHILDREN."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(36, 1, 0, 0, 0)) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def reap_orphans(grace: float = 3.0) -> None:
    deadline = time.monotonic() + grace
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            if time.monotonic() > deadline:
                return
            time.sleep(0.05)


def tree_cpu() -> float:
    """CPU seconds of every reaped descendant of this process."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Failed(Exception):
    """A step of one tool failed; the message says exactly how."""


def run(cmd: list[str], *, cwd: Path, env: dict[str, str] | None = None, log_to: Path,
        ok: tuple[int, ...] = (0,), timeout: float = 900) -> float:
    """Run ``cmd`` with its output in ``log_to``; its wall seconds. Raises Failed."""
    started = time.perf_counter()
    with open(log_to, "ab") as out:
        out.write(f"$ {' '.join(cmd)}\n".encode())
        out.flush()
        try:
            proc = subprocess.run(cmd, check=False, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise Failed(f"{' '.join(cmd[:3])} ran past {timeout:g} s (log: {log_to})") from exc
        except OSError as exc:
            raise Failed(f"cannot run {cmd[0]}: {exc}") from exc
    seconds = time.perf_counter() - started
    if proc.returncode not in ok:
        tail = log_to.read_text("utf-8", "replace").strip().splitlines()[-15:]
        raise Failed(f"{' '.join(cmd[:3])} exited with {proc.returncode}; last lines of "
                     f"{log_to}:\n    " + "\n    ".join(tail))
    return seconds


REPEAT = 1
"""Runs of each timed batch; the fastest counts (``--repeat``)."""


def timed_batch(count: int, step: Callable[[], object],
                reset: Callable[[], object] | None = None) -> dict[str, Any]:
    """Wall seconds of ``step`` (the fastest of REPEAT runs, ``reset`` between runs) and
    the CPU seconds of the processes it started, in total and per notebook, with the
    load others put on the machine just before each run."""
    runs = []
    for attempt in range(REPEAT):
        if attempt and reset is not None:
            reset()
        load = other_load()
        reap_orphans(0.0)
        cpu0, wall0 = tree_cpu(), time.perf_counter()
        step()
        wall = time.perf_counter() - wall0
        reap_orphans()
        runs.append((wall, tree_cpu() - cpu0, load))
    wall, cpu, load = min(runs)
    return {"wall": round(wall, 3), "per_notebook": round(wall / count, 3),
            "cpu": round(cpu, 2), "cpu_per_notebook": round(cpu / count, 3),
            "other_load": load, "walls": [round(r[0], 2) for r in runs]}


def tool_env(venv: Path | None, home: Path) -> dict[str, str]:
    """The environment of a tool's commands: its venv first on PATH (nbgrader runs
    ``alembic`` from PATH), Jupyter's folders in the work folder, not in $HOME."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    if venv is not None:
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}"
    for var, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                     ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython"),
                     ("MPLCONFIGDIR", "matplotlib")):
        (home / sub).mkdir(parents=True, exist_ok=True)
        env[var] = str(home / sub)
    return env


def new_notebook(cells: list[Any]) -> Any:
    import nbformat

    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    return nb


# --------------------------------------------------------------------------- #
# grader
# --------------------------------------------------------------------------- #

def notebook_only_rubric(dest: Path) -> Path:
    """A copy of the course rubric keeping only ``[checks.notebook_runs]`` of the
    checks, with the reference path made absolute (the copy lives elsewhere)."""
    kept: list[str] = []
    keep = True
    for line in RUBRIC.read_text(encoding="utf-8").splitlines():
        header = re.match(r"^\s*\[([^\]]+)\]", line)
        if header:
            name = header.group(1).strip()
            keep = not name.startswith("checks.") or name == "checks.notebook_runs"
        if keep:
            kept.append(line)
    text = "\n".join(kept) + "\n"
    reference = (RUBRIC.parent / re.search(r'^reference\s*=\s*"([^"]+)"', text,
                                           re.MULTILINE).group(1)).resolve()  # type: ignore[union-attr]
    text = re.sub(r'^reference\s*=\s*"[^"]+"', f'reference = "{reference.as_posix()}"', text,
                  count=1, flags=re.MULTILINE)
    dest.write_text(text, encoding="utf-8")
    return dest


def grader_notebook() -> Any:
    from nbformat import v4

    return new_notebook([v4.new_markdown_cell(TITLE), v4.new_code_cell(SETUP),
                         v4.new_code_cell(ANSWER), v4.new_code_cell(TESTS)])


def check_grader_results(out: Path, count: int) -> dict[str, Any]:
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    bad = []
    for r in results:
        ids = [c["id"] for c in r["checks"]]
        if ids != ["notebook_runs"] or r["checks"][0]["status"] != "pass" \
                or r["score"] != r["max_score"]:
            bad.append(f"{r['submission']}: {r['status']} {r['score']}/{r['max_score']} {ids}")
    if len(results) != count or bad:
        raise Failed(f"grader: {len(results)} results for {count} notebooks; not full marks: "
                     + "; ".join(bad[:5]))
    timing = [r.get("timing", {}) for r in results]
    return {"mean_notebook": round(statistics.mean(t.get("notebook", 0.0) for t in timing), 3),
            "mean_total": round(statistics.mean(t.get("total", 0.0) for t in timing), 3)}


def bench_grader(work: Path, count: int) -> dict[str, Any]:
    import nbformat

    work.mkdir(parents=True)
    rubric = notebook_only_rubric(work / "rubric.toml")
    subs = work / "submissions"
    nb = grader_notebook()
    for i in range(count):
        (subs / f"s{i:02d}").mkdir(parents=True)
        nbformat.write(nb, subs / f"s{i:02d}" / NOTEBOOK)
    env = tool_env(None, work / "jupyter")
    base = grader_command() + ["grade", "--rubric", str(rubric)]
    # Does the trimmed rubric work? One submission, which also warms the caches.
    verify = work / "verify"
    (verify / "s00").mkdir(parents=True)
    shutil.copyfile(subs / "s00" / NOTEBOOK, verify / "s00" / NOTEBOOK)
    run(base + [str(verify), "--out", str(work / "out-verify")], cwd=work, env=env,
        log_to=work / "grader.log")
    check_grader_results(work / "out-verify", 1)
    out: dict[str, Any] = {"rubric": str(rubric), "checks": ["notebook_runs"]}
    for jobs in (1, 2):
        dest = work / f"out-jobs{jobs}"
        command = [*base, str(subs), "--out", str(dest), "--jobs", str(jobs)]
        result = timed_batch(
            count, partial(run, command, cwd=work, env=env, log_to=work / "grader.log"),
            reset=partial(shutil.rmtree, dest))
        result.update(check_grader_results(dest, count))
        out[f"jobs{jobs}"] = result
        log(f"  grader --jobs {jobs}: {result['wall']:.1f} s")
    return out


# --------------------------------------------------------------------------- #
# throwaway venvs
# --------------------------------------------------------------------------- #

def make_venv(folder: Path, tool: str) -> dict[str, Any]:
    """Create ``folder`` and pip-install the tool; reuse it if it already works."""
    python = folder / "bin" / "python"
    probe = {"nbgrader": "import nbgrader, numpy, ipykernel",
             "otter": "import otter, numpy, ipykernel"}[tool]
    if python.exists() and subprocess.run([str(python), "-c", probe], check=False,
                                          capture_output=True).returncode == 0:
        return {"reused": True, "seconds": None, "version": tool_version(folder, tool)}
    folder.parent.mkdir(parents=True, exist_ok=True)
    logfile = folder.parent / f"install-{tool}.log"
    logfile.unlink(missing_ok=True)
    started = time.perf_counter()
    venv_seconds = run([sys.executable, "-m", "venv", "--clear", str(folder)], cwd=folder.parent,
                       log_to=logfile, timeout=300)
    pip_seconds = run([str(python), "-m", "pip", "install", "--disable-pip-version-check",
                       *TOOL_PACKAGES[tool]], cwd=folder.parent, log_to=logfile, timeout=1200)
    return {"reused": False, "seconds": round(time.perf_counter() - started, 1),
            "venv_seconds": round(venv_seconds, 1), "pip_seconds": round(pip_seconds, 1),
            "packages": TOOL_PACKAGES[tool], "version": tool_version(folder, tool)}


def tool_version(folder: Path, tool: str) -> str:
    dist = {"nbgrader": "nbgrader", "otter": "otter-grader"}[tool]
    code = f"import importlib.metadata as m; print(m.version({dist!r}))"
    proc = subprocess.run([str(folder / "bin" / "python"), "-c", code], check=False,
                          capture_output=True, text=True)
    return proc.stdout.strip() or "?"


# --------------------------------------------------------------------------- #
# nbgrader
# --------------------------------------------------------------------------- #

def nbgrader_source() -> Any:
    from nbformat import v4

    def meta(grade_id: str, **kw: Any) -> dict[str, Any]:
        cell = {"grade": False, "grade_id": grade_id, "locked": False, "schema_version": 3,
                "solution": False, "task": False}
        cell.update(kw)
        return {"nbgrader": cell}

    answer = ANSWER.replace("    return", "    ### BEGIN SOLUTION\n    return") + \
        "\n    ### END SOLUTION"
    return new_notebook([
        v4.new_markdown_cell(TITLE),
        v4.new_code_cell(SETUP),
        v4.new_code_cell(answer, metadata=meta("square", solution=True)),
        v4.new_code_cell(TESTS, metadata=meta("test_square", grade=True, locked=True,
                                              points=1)),
    ])


def bench_nbgrader(work: Path, venv: Path, count: int) -> dict[str, Any]:
    import nbformat

    course = work / "course"
    (course / "source" / "ps1").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(
        'c = get_config()\nc.CourseDirectory.course_id = "bench"\n'
        f'c.CourseDirectory.root = {str(course)!r}\n', encoding="utf-8")
    nbformat.write(nbgrader_source(), course / "source" / "ps1" / NOTEBOOK)
    env = tool_env(venv, work / "jupyter")
    nbgrader = str(venv / "bin" / "nbgrader")
    logfile = work / "nbgrader.log"
    generate = run([nbgrader, "generate_assignment", "ps1"], cwd=course, env=env,
                   log_to=logfile)
    # Each student hands in the released notebook with the answer filled in.
    released = nbformat.read(course / "release" / "ps1" / NOTEBOOK, as_version=4)
    for cell in released.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = ANSWER
    for i in range(count):
        folder = course / "submitted" / f"s{i:02d}" / "ps1"
        folder.mkdir(parents=True)
        nbformat.write(released, folder / NOTEBOOK)
    result = timed_batch(count, lambda: run([nbgrader, "autograde", "ps1"], cwd=course,
                                            env=env, log_to=logfile),
                         reset=lambda: shutil.rmtree(course / "autograded"))
    run([nbgrader, "export"], cwd=course, env=env, log_to=logfile)
    rows = (course / "grades.csv").read_text(encoding="utf-8").splitlines()[1:]
    full = [r for r in rows if r.split(",")[-2:] == ["1.0", "1.0"]]
    if len(full) != count:
        raise Failed(f"nbgrader: {len(full)} of {count} notebooks got full marks "
                     f"(see {course / 'grades.csv'})")
    result["setup"] = {"generate_assignment": round(generate, 2)}
    log(f"  nbgrader autograde: {result['wall']:.1f} s")
    return result


# --------------------------------------------------------------------------- #
# otter-grader
# --------------------------------------------------------------------------- #

def otter_master() -> Any:
    from nbformat import v4

    config = ("# ASSIGNMENT CONFIG\nname: squares\ninit_cell: true\ncheck_all_cell: false\n"
              "export_cell: false\nrun_tests: true\n")
    answer = ANSWER + "  # SOLUTION"
    return new_notebook([
        v4.new_raw_cell(config),
        v4.new_markdown_cell(TITLE),
        v4.new_code_cell(SETUP),
        v4.new_raw_cell("# BEGIN QUESTION\nname: q1\npoints: 1"),
        v4.new_markdown_cell("Write `square`."),
        v4.new_raw_cell("# BEGIN SOLUTION"),
        v4.new_code_cell(answer),
        v4.new_raw_cell("# END SOLUTION"),
        v4.new_raw_cell("# BEGIN TESTS"),
        *[v4.new_code_cell(line) for line in TESTS.splitlines()],
        v4.new_raw_cell("# END TESTS"),
        v4.new_raw_cell("# END QUESTION"),
    ])


def bench_otter(work: Path, venv: Path, count: int) -> dict[str, Any]:
    import nbformat

    master = work / "master" / NOTEBOOK
    master.parent.mkdir(parents=True)
    nbformat.write(otter_master(), master)
    env = tool_env(venv, work / "jupyter")
    otter = str(venv / "bin" / "otter")
    logfile = work / "otter.log"
    dist = work / "dist"
    assign = run([otter, "assign", str(master), str(dist)], cwd=work, env=env, log_to=logfile)
    zips = sorted((dist / "autograder").glob("*.zip"))
    if not zips:
        raise Failed(f"otter assign wrote no autograder zip in {dist / 'autograder'}")
    student = nbformat.read(dist / "student" / NOTEBOOK, as_version=4)
    answered = 0
    for cell in student.cells:
        if "otter_answer_cell" in cell.metadata.get("tags", []):
            cell.source = ANSWER
            answered += 1
    if answered != 1:
        raise Failed(f"otter assign's student notebook has {answered} answer cells, not 1")
    subs, results = work / "submissions", work / "results"
    subs.mkdir()
    for i in range(count):
        nbformat.write(student, subs / f"s{i:02d}.ipynb")
        (results / f"s{i:02d}").mkdir(parents=True)

    def loop() -> None:
        for i in range(count):
            run([otter, "run", "--no-logo", "-a", str(zips[0]), "-o", str(results / f"s{i:02d}"),
                 str(subs / f"s{i:02d}.ipynb")], cwd=work, env=env, log_to=logfile)

    result = timed_batch(count, loop)
    full = 0
    for i in range(count):
        tests = json.loads((results / f"s{i:02d}" / "results.json").read_text("utf-8"))["tests"]
        scored = [t for t in tests if "max_score" in t and t.get("max_score")]
        full += bool(scored) and all(t.get("score") == t["max_score"] for t in scored)
    if full != count:
        raise Failed(f"otter: {full} of {count} notebooks got full marks (see {results})")
    result["setup"] = {"assign": round(assign, 2)}
    log(f"  otter run loop: {result['wall']:.1f} s")
    return result


# --------------------------------------------------------------------------- #
# where the grader's time goes
# --------------------------------------------------------------------------- #

_TRACER = r'''
import json, sys, threading, time
T0 = time.monotonic()
marks = []
def mark(label):
    marks.append((time.monotonic() - T0, label))
import grader.cli
from grader import pipeline, sandbox
def wrap(owner, name, label):
    fn = getattr(owner, name)
    def wrapped(*a, **k):
        mark(label + " start")
        try:
            return fn(*a, **k)
        finally:
            mark(label + " end")
    setattr(owner, name, wrapped)
run_cls = sandbox._Run
spawn, status = run_cls._spawn, run_cls._status
def timed_spawn(self):
    mark("spawn")
    return spawn(self)
def timed_status(self, data):
    for line in data.split(b"\n")[:-1]:
        mark("child " + line.decode("utf-8", "replace"))
    return status(self, data)
run_cls._spawn, run_cls._status = timed_spawn, timed_status
wrap(run_cls, "finish", "finish")
wrap(pipeline, "_notebook_part", "notebook_part")
import grader.batch
wrap(grader.batch, "grade_submission", "submission")
wrap(grader.batch, "write_result", "write_result")
wrap(grader.batch, "write_summary", "write_summary")
sys.argv = ["grader"] + sys.argv[2:]
try:
    grader.cli.main()
except SystemExit:
    pass
mark("exit")
with open(OUT, "w") as f:
    json.dump(marks, f)
'''


def trace_grader(work: Path, rubric: Path, count: int) -> dict[str, Any]:
    """Run ``grader grade --jobs 1`` on ``count`` submissions with the parent's
    steps and the child's status lines time-stamped; the steady-state median
    of each step (the first submission, which pays the imports, apart)."""
    import nbformat

    subs = work / "traced"
    for i in range(count):
        (subs / f"t{i:02d}").mkdir(parents=True)
        nbformat.write(grader_notebook(), subs / f"t{i:02d}" / NOTEBOOK)
    marks_file = work / "trace.json"
    code = _TRACER.replace("OUT", repr(str(marks_file)))
    run([sys.executable, "-c", code, "-", "grade", str(subs), "--out", str(work / "out-trace"),
         "--jobs", "1", "--rubric", str(rubric)], cwd=work, env=tool_env(None, work / "jupyter"),
        log_to=work / "trace.log")
    marks: list[tuple[float, str]] = json.loads(marks_file.read_text("utf-8"))
    per: list[dict[str, float]] = []
    current: dict[str, float] = {}
    for t, label in marks:
        if label == "submission start":
            current = {"submission start": t}
            per.append(current)
        elif current:
            current.setdefault(label, t)
    steps = {
        "prepare (copy, course files, data, write notebook)": ("notebook_part start", "spawn"),
        "sandbox + Python start-up, child imports": ("spawn", "child begin import"),
        "notebook run in the child (nbclient import, kernel, cells, save)":
            ("child begin notebook", "child end notebook"),
        "child exit and reaping": ("child end notebook", "finish end"),
        "judging, artifacts, clean-up": ("finish end", "submission end"),
    }
    rows: dict[str, Any] = {}
    for name, (a, b) in steps.items():
        values = [p[b] - p[a] for p in per if a in p and b in p]
        if values:
            rows[name] = {"first": round(values[0], 3),
                          "steady": round(statistics.median(values[1:] or values), 3)}
    writes = [t for t, label in marks if label.startswith("write_result")]
    durations = [b - a for a, b in zip(writes[::2], writes[1::2])]
    if durations:
        rows["write_result (report.html, result.json, gradescope.json)"] = {
            "first": round(durations[0], 3), "steady": round(statistics.median(durations[1:] or
                                                                                durations), 3)}
    starts = [p["submission start"] for p in per]
    ends = [p.get("submission end", 0.0) for p in per]
    first_start = starts[0] if starts else 0.0
    summary = [t for t, label in marks if label.startswith("write_summary")]
    return {"submissions": count, "steps": rows,
            "cli_start": round(first_start, 3),
            "write_summary": round(summary[1] - summary[0], 3) if len(summary) == 2 else None,
            "per_submission_steady": round(statistics.median(
                b - a for a, b in pairwise(starts[1:])), 3) if len(starts) > 2 else None,
            "last_end": round(max(ends or [0.0]), 3)}


_DIRECT = r'''
import json, os, statistics, sys, tempfile, time
t0 = time.monotonic()
import nbformat
from nbclient import NotebookClient
imported = time.monotonic() - t0
nb = nbformat.read(sys.argv[1], as_version=4)
rows = []
for rep in range(int(sys.argv[2])):
    tmp = tempfile.mkdtemp()
    client = NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": tmp}})
    client.km = client.create_kernel_manager()
    client.km.transport = "ipc"
    client.km.ip = os.path.join(tmp, "kernel")
    a = time.monotonic()
    ctx = client.setup_kernel()
    ctx.__enter__()
    b = time.monotonic()
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            client.execute_cell(cell, i)
    c = time.monotonic()
    ctx.__exit__(None, None, None)
    d = time.monotonic()
    rows.append((b - a, c - b, d - c))
med = [statistics.median(r[i] for r in rows) for i in range(3)]
print(json.dumps({"import_nbclient": imported, "kernel_start": med[0], "cells": med[1],
                  "kernel_shutdown": med[2]}))
'''

_IPYTHON = r'''
import json, sys, time
t0 = time.monotonic()
from IPython.core.interactiveshell import InteractiveShell
import nbformat
t1 = time.monotonic()
shell = InteractiveShell.instance()
t2 = time.monotonic()
for cell in nbformat.read(sys.argv[1], as_version=4).cells:
    if cell.cell_type == "code":
        assert shell.run_cell(cell.source).success
t3 = time.monotonic()
print(json.dumps({"import": t1 - t0, "shell": t2 - t1, "cells": t3 - t2}))
'''


def bwrap_command() -> list[str]:
    """A bubblewrap prefix like the grader's: read-only system, nothing else."""
    args = ["bwrap", "--unshare-all", "--unshare-user", "--uid", "1000", "--gid", "1000",
            "--die-with-parent", "--new-session", "--proc", "/proc", "--dev", "/dev",
            "--tmpfs", "/tmp"]
    paths = {Path(p) for p in ("/usr", "/lib", "/lib64", "/bin", "/etc")}
    for prefix in (sys.prefix, sys.base_prefix):
        paths.add(Path(prefix).resolve())
    paths.add(Path(sys.executable).resolve().parent)
    for path in sorted(paths):
        if path.exists():
            args += ["--ro-bind", str(path), str(path)]
    return args + ["--"]


def last_json(text: str) -> dict[str, float]:
    """The JSON object on the last line of a script's output (the cells print too)."""
    data: dict[str, float] = json.loads(text.strip().splitlines()[-1])
    return data


def wall_of(cmd: list[str], reps: int, cwd: Path) -> float:
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 3)


def breakdown(work: Path, rubric: Path) -> dict[str, Any]:
    work.mkdir(parents=True)
    out: dict[str, Any] = {}
    try:
        out["trace"] = trace_grader(work, rubric, 6)
    except (Failed, KeyError, AttributeError, ValueError, OSError) as exc:
        out["trace"] = {"error": f"not traced: {exc}"}
    nb = work / NOTEBOOK
    import nbformat

    nbformat.write(grader_notebook(), nb)
    env = tool_env(None, work / "jupyter")
    proc = subprocess.run([sys.executable, "-c", _DIRECT, str(nb), "5"], check=False,
                          cwd=work, env=env, capture_output=True, text=True)
    out["nbclient"] = ({k: round(v, 3) for k, v in last_json(proc.stdout).items()}
                       if proc.returncode == 0 else {"error": proc.stderr[-500:]})
    times = []
    for _ in range(3):
        proc = subprocess.run([sys.executable, "-I", "-c", _IPYTHON, str(nb)], check=False,
                              cwd=work, env=env, capture_output=True, text=True)
        if proc.returncode == 0:
            times.append(last_json(proc.stdout))
    if times:
        out["ipython_in_process"] = {k: round(statistics.median(t[k] for t in times), 3)
                                     for k in times[0]}
        out["ipython_in_process"]["whole_process"] = wall_of(
            [sys.executable, "-I", "-c", _IPYTHON, str(nb)], 3, work)
    python = [sys.executable, "-I", "-c", "pass"]
    out["python_pass"] = wall_of(python, 5, work)
    out["python_import_numpy"] = wall_of([sys.executable, "-I", "-c", "import numpy"], 5, work)
    out["python_import_nbclient"] = wall_of(
        [sys.executable, "-I", "-c", "import nbformat, nbclient"], 5, work)
    out["python_import_ipykernel"] = wall_of(
        [sys.executable, "-I", "-c", "import ipykernel.kernelapp"], 5, work)
    if shutil.which("bwrap"):
        try:
            out["bwrap_python_pass"] = wall_of(bwrap_command() + python, 5, work)
        except subprocess.CalledProcessError as exc:
            out["bwrap_python_pass"] = f"bwrap failed ({exc.returncode})"
    return out


# --------------------------------------------------------------------------- #
# report
# --------------------------------------------------------------------------- #

def ratio(a: dict[str, Any] | None, b: dict[str, Any] | None) -> float | None:
    if not a or not b or "wall" not in a or "wall" not in b:
        return None
    return round(float(a["wall"]) / float(b["wall"]), 2)


def print_report(res: dict[str, Any]) -> None:
    n = res["n"]
    print(f"\nGrading {n} copies of one small notebook ({res['machine']['cpus']} CPUs, "
          f"{res['machine']['python']}, grader isolation: {res['machine']['isolation']})\n")
    installs = res.get("installs", {})
    for tool, info in installs.items():
        if "error" in info:
            print(f"install {tool}: FAILED: {info['error']}")
        elif info.get("reused"):
            print(f"install {tool}: reused the venv ({info.get('version')})")
        else:
            print(f"install {tool}: {info['seconds']:.1f} s (venv {info['venv_seconds']:.1f} s, "
                  f"pip install {' '.join(info['packages'])}: {info['pip_seconds']:.1f} s), "
                  f"version {info.get('version')}")
    print()
    rows = [("grader --jobs 1", res.get("grader", {}).get("jobs1")),
            ("grader --jobs 2", res.get("grader", {}).get("jobs2")),
            ("nbgrader autograde", res.get("nbgrader")),
            ("otter run (loop)", res.get("otter"))]
    print(f"{'tool':<20} {'wall s':>8} {'s/notebook':>11} {'CPU s/notebook':>15} "
          f"{'other load':>11}")
    for name, r in rows:
        if r and "wall" in r:
            print(f"{name:<20} {r['wall']:>8.1f} {r['per_notebook']:>11.2f} "
                  f"{r['cpu_per_notebook']:>15.2f} {r['other_load']:>11.2f}")
        else:
            why = (r or {}).get("error", "not run")
            print(f"{name:<20} {'n/a':>8}   ({why.splitlines()[0][:90]})")
    print("(wall: the fastest of --repeat runs; CPU: all processes the tool started"
          + ("" if res["machine"].get("cpu_of_orphans_counted") else
             ", orphans NOT counted (no PR_SET_CHILD_SUBREAPER)")
          + "; other load: cores busy with other work just before the run)\n")
    for jobs in (1, 2):
        g = res.get("grader", {}).get(f"jobs{jobs}")
        nbg, ott = ratio(res.get("nbgrader"), g), ratio(res.get("otter"), g)
        verdict = []
        if nbg is not None:
            verdict.append(f"nbgrader/grader = {nbg:.2f} (target >= {NBGRADER_TARGET:g}: "
                           f"{'met' if nbg >= NBGRADER_TARGET else 'NOT met'})")
        if ott is not None:
            verdict.append(f"otter/grader = {ott:.2f} (target >= {OTTER_TARGET:g}: "
                           f"{'met' if ott >= OTTER_TARGET else 'NOT met'})")
        print(f"grader --jobs {jobs}: " + ("; ".join(verdict) or "no ratio (a tool did not run)"))
    g1 = res.get("grader", {}).get("jobs1", {})
    if "mean_total" in g1:
        print(f"grader's own timing (result.json, --jobs 1, mean): {g1['mean_total']:.2f} s per "
              f"submission, of which {g1['mean_notebook']:.2f} s kernel start to kernel shutdown")
    b = res.get("breakdown", {})
    trace = b.get("trace", {})
    if trace.get("steps"):
        print(f"\nWhere grader spends a notebook (traced --jobs 1 run of {trace['submissions']}; "
              "first submission / median of the others, seconds):")
        for name, v in trace["steps"].items():
            print(f"  {name:<66} {v['first']:>6.2f} {v['steady']:>6.2f}")
        print(f"  CLI start-up before the first submission: {trace['cli_start']:.2f} s; "
              f"write_summary at the end: {trace['write_summary']} s; "
              f"steady time per submission: {trace['per_submission_steady']} s")
    elif trace:
        print(f"\ntrace: {trace.get('error')}")
    nbc = b.get("nbclient", {})
    if "kernel_start" in nbc:
        print(f"\nThe same notebook with nbclient directly (no sandbox, ipc transport, median "
              f"of 5): import nbformat+nbclient {nbc['import_nbclient']:.2f} s, kernel start "
              f"{nbc['kernel_start']:.2f} s, cells {nbc['cells']:.3f} s, kernel shutdown "
              f"{nbc['kernel_shutdown']:.2f} s")
    ipy = b.get("ipython_in_process")
    if ipy:
        print(f"The same cells in one process with IPython's InteractiveShell, no kernel: "
              f"import {ipy['import']:.2f} s, shell {ipy['shell']:.3f} s, cells "
              f"{ipy['cells']:.3f} s; whole process {ipy['whole_process']:.2f} s")
    floor = [f"python -I -c pass {b['python_pass']:.3f} s"] if "python_pass" in b else []
    for key, label in (("bwrap_python_pass", "the same in bwrap"),
                       ("python_import_numpy", "import numpy"),
                       ("python_import_nbclient", "import nbformat, nbclient"),
                       ("python_import_ipykernel", "import ipykernel.kernelapp")):
        if isinstance(b.get(key), float):
            floor.append(f"{label} {b[key]:.3f} s")
    if floor:
        print("Process start-up (whole process, median): " + "; ".join(floor))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20, help="notebooks in the batch (20)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--venvs", type=Path, default=None,
                        help="create (or reuse) the nbgrader and otter venvs here")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of each timed batch, the fastest counts (1)")
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    args = parser.parse_args()
    if args.n < 3 or args.repeat < 1:
        parser.error("--n must be at least 3 and --repeat at least 1")
    global REPEAT
    REPEAT = args.repeat
    subreaper = become_subreaper()
    tmp = Path(tempfile.mkdtemp(prefix="bench-notebooks-"))
    venvs = (args.venvs.resolve() if args.venvs else tmp / "venvs")
    res: dict[str, Any] = {
        "n": args.n, "date": time.strftime("%Y-%m-%d"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(),
                    "isolation": "bwrap" if shutil.which("bwrap") else "none (no bwrap)",
                    "cpu_of_orphans_counted": subreaper},
        "repeat": args.repeat,
    }
    log(f"work folder: {tmp}")
    started = time.perf_counter()
    try:
        log("grader ...")
        try:
            res["grader"] = bench_grader(tmp / "grader", args.n)
        except Failed as exc:
            res["grader"] = {"error": str(exc)}
        res["installs"] = {}
        for tool in ("nbgrader", "otter"):
            log(f"installing {tool} into a throwaway venv ...")
            try:
                res["installs"][tool] = make_venv(venvs / tool, tool)
            except Failed as exc:
                res["installs"][tool] = {"error": str(exc)}
        for tool, bench in (("nbgrader", bench_nbgrader), ("otter", bench_otter)):
            if "error" in res["installs"][tool]:
                res[tool] = {"error": "not installed"}
                continue
            log(f"{tool} ...")
            try:
                res[tool] = bench(tmp / tool, venvs / tool, args.n)
            except Failed as exc:
                res[tool] = {"error": str(exc)}
        if "rubric" in res["grader"]:
            log("breakdown of grader's time ...")
            res["breakdown"] = breakdown(tmp / "breakdown", Path(res["grader"]["rubric"]))
        res["ratios"] = {f"jobs{j}": {"nbgrader": ratio(res.get("nbgrader"),
                                                        res["grader"].get(f"jobs{j}")),
                                      "otter": ratio(res.get("otter"),
                                                     res["grader"].get(f"jobs{j}"))}
                         for j in (1, 2)}
        res["seconds"] = round(time.perf_counter() - started, 1)
        print_report(res)
        print(f"\n(whole benchmark: {res['seconds']:.0f} s)")
        if args.json:
            args.json.write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    finally:
        if args.keep:
            log(f"kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    failed = [k for k in ("grader", "nbgrader", "otter") if "error" in res.get(k, {})]
    for k in failed:
        log(f"{k}: {res[k]['error']}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
