"""Everything a sandboxed notebook leaves behind is hostile, and costs only its own checks.

The hostile notebooks (``tests/fixtures/hostile_notebooks.py``, generated at
test time) are graded in ONE batch; each test then looks at one student. For
every one: the batch completes, nothing outside the sandbox and the results
folder is created or changed, no byte of the reference reaches the results,
the size bounds hold, the module checks are graded, and the message says what
happened.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import nbformat
import numpy as np
import pytest

from grader import hostile
from grader.artifacts import MAX_EXECUTED, MAX_FIGURE, MAX_FIGURES, MAX_FIGURES_TOTAL
from grader.batch import grade_batch
from grader.errors import UnsafeOutput
from grader.limits import Limits
from grader.notebook_run import NotebookSettings, read_notebook
from grader.needs import probe_of
from grader.results import (MAX_MESSAGE, MAX_RESULT_BYTES, MAX_TRACEBACK, CheckResult,
                            SubmissionResult)
from grader.rubric import load_rubric
from grader.sandbox import MAX_TASKS, tmp_bytes
from grader.session import Session

from .conftest import REFERENCE, ROOT, write_rubric
from .fixtures import hostile_notebooks as fixtures

MAX_REPORT_BYTES = 5_000_000
"""A submission's report.html, whatever the student does."""
EMBEDS_REFERENCE = {"link_at_module_destination", "deep_expression"}
"""Notebooks that hold the reference's class in a cell of their own."""
MARKER = "SHOULD_NOT_EXIST_nb"


@dataclass(frozen=True)
class Batch:
    results: dict[str, SubmissionResult]
    out: Path
    marker: Path
    strays: list[Path]
    """Files named :data:`MARKER` found anywhere in the session's folder after grading."""
    submissions_before: dict[str, str]
    submissions_after: dict[str, str]
    notebook_limits: Limits


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Batch]:
    tmp = tmp_path_factory.mktemp("hostile_notebooks")
    submissions = tmp / "submissions"
    outside = tmp / "outside"
    outside.mkdir()
    marker = outside / "SHOULD_NOT_EXIST_module"
    fixtures.run_fixtures(submissions, marker)
    fixtures.malformed_fixtures(submissions)
    rubric = load_rubric(write_rubric(tmp, replace={"cell_timeout = 120.0": "cell_timeout = 20.0"}))
    before = digest(submissions)
    out = tmp / "out"
    with Session(rubric, isolation="bwrap") as session:
        results = grade_batch(submissions, out, session, jobs=2)
        strays = sorted(session.tmp.rglob(MARKER + "*"))
    strays += [p for p in (ROOT / MARKER, Path("/") / MARKER, tmp / MARKER) if p.exists()]
    settings = NotebookSettings.from_rubric(rubric.notebook)
    yield Batch({r.submission: r for r in results}, out, marker, strays, before,
                digest(submissions), Limits(memory_mb=settings.memory_mb))


ALL = sorted(fixtures.MALFORMED) + [
    "deep_expression", "fifos_at_outputs", "figure_flood", "file_named_like_a_folder",
    "forged_report", "fork_bomb", "garbage_outputs", "huge_error", "huge_figure",
    "kernel_named_cs231n", "link_at_module_destination", "links_at_outputs", "tmp_filler"]


def module_checks(result: SubmissionResult) -> list[CheckResult]:
    return [c for c in result.checks if probe_of(load_rubric(), c.id) is not None]


def printed(batch: Batch, name: str) -> str:
    """What the executed notebook (as kept with the results) printed."""
    nb = nbformat.read(batch.out / name / "executed.ipynb", as_version=4)
    return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))


def test_the_batch_completes_with_every_class_file(batch: Batch) -> None:
    assert sorted(batch.results) == sorted(ALL)
    for name in ("results.json", "grades.csv", "index.html", "junit.xml"):
        assert (batch.out / name).is_file(), name
    assert len(json.loads((batch.out / "results.json").read_text())) == len(ALL)


@pytest.mark.parametrize("name", ALL)
def test_module_checks_are_graded(batch: Batch, name: str) -> None:
    result = batch.results[name]
    assert result.status == "graded", result.error
    checks = module_checks(result)
    assert checks and all(c.status == "pass" for c in checks), \
        [(c.id, c.message) for c in checks if c.status != "pass"]


def test_nothing_outside_the_sandbox_and_results_is_created_or_changed(batch: Batch) -> None:
    assert batch.strays == []
    assert not batch.marker.exists() and not Path(f"{batch.marker}2").exists()
    assert list(batch.marker.parent.iterdir()) == []
    assert batch.submissions_after == batch.submissions_before


@pytest.mark.parametrize("name", ALL)
def test_no_byte_of_the_reference_and_bounded_sizes(batch: Batch, name: str) -> None:
    folder = batch.out / name
    needles = [line.encode() for line in REFERENCE.read_text().splitlines()
               if len(line.strip()) > 40][:5]
    assert needles
    total = 0
    for path in folder.rglob("*"):
        mode = path.lstat().st_mode
        assert stat.S_ISREG(mode) or stat.S_ISDIR(mode), path  # no link, FIFO, device
        if stat.S_ISREG(mode):
            total += path.stat().st_size
            if name not in EMBEDS_REFERENCE:
                data = path.read_bytes()
                assert not any(n in data for n in needles), path
    assert (folder / "result.json").stat().st_size < MAX_RESULT_BYTES
    assert (folder / "report.html").stat().st_size < MAX_REPORT_BYTES
    figures = list((folder / "figures").glob("*")) if (folder / "figures").exists() else []
    assert len(figures) <= MAX_FIGURES
    assert sum(p.stat().st_size for p in figures) <= MAX_FIGURES_TOTAL
    assert total < MAX_EXECUTED + MAX_FIGURES_TOTAL + MAX_RESULT_BYTES + MAX_REPORT_BYTES * 2


@pytest.mark.parametrize("name", ALL)
def test_stored_results_are_strict_json(batch: Batch, name: str) -> None:
    def refuse(token: str) -> float:
        raise AssertionError(f"{token} in {name}/result.json")

    json.loads((batch.out / name / "result.json").read_text(), parse_constant=refuse)


def test_links_at_output_paths_are_refused(batch: Batch) -> None:
    result = batch.results["links_at_outputs"]
    runs, best = result.check("notebook_runs"), result.check("best_net")
    assert runs.status == "pass"
    for name in ("best_net.npz", "best_net_predict.npy", "figures/evil.png",
                 "figures/root.png"):
        assert f"out/{name}: not a regular file" in runs.message or name in runs.message, name
    assert best.status == "fail" and "weights file was refused" in best.message
    assert not (batch.out / "links_at_outputs" / "figures").exists()


def test_link_at_the_module_destination_writes_nothing_through_it(batch: Batch) -> None:
    result = batch.results["link_at_module_destination"]
    assert "class defined in the notebook" in result.info["module"]
    assert "planted module links" in printed(batch, "link_at_module_destination")
    assert not batch.marker.exists()


def test_fifos_at_output_paths_never_block(batch: Batch) -> None:
    result = batch.results["fifos_at_outputs"]
    runs = result.check("notebook_runs")
    # the grader's own files replace the FIFOs; the ones left are refused
    assert runs.status == "pass", runs.message
    for name in ("extract.json", "best_net.npz", "best_net_predict.npy", "figures/planted.png"):
        assert f"out/{name}: not a regular file" in runs.message, name
    assert "weights file was refused" in result.check("best_net").message


def test_forged_report_is_not_believed(batch: Batch) -> None:
    result = batch.results["forged_report"]
    runs = result.check("notebook_runs")
    assert runs.status == "error" and "last cell fails" in runs.message
    assert runs.metrics["seconds"] != fixtures.FORGED_REPORT["seconds"]
    text = printed(batch, "forged_report")
    assert "mkdir refused: OSError" in text and "made" not in text
    assert "WROTE" not in text and text.count("write refused:") == 5
    assert re.search(r"opened 0 of the child's [1-9]\d* descriptors", text)


def test_huge_strings_are_capped(batch: Batch) -> None:
    result = batch.results["huge_error"]
    runs, best = result.check("notebook_runs"), result.check("best_net")
    assert runs.status == "error" and runs.error is not None
    assert runs.error.type == "ValueError"
    assert len(runs.message) <= MAX_MESSAGE + 40 and "more characters)" in runs.message
    assert len(runs.error.traceback) <= MAX_TRACEBACK + 40
    assert "Its own predict() failed (ValueError: PPP" in best.message
    assert len(best.message) <= MAX_MESSAGE + 40


def test_huge_figure_is_left_out(batch: Batch) -> None:
    runs = batch.results["huge_figure"].check("notebook_runs")
    assert f"over the limit of {MAX_FIGURE}" in runs.message
    assert all(p.stat().st_size <= MAX_FIGURE
               for p in (batch.out / "huge_figure" / "figures").glob("*"))


def test_figure_flood_is_capped(batch: Batch) -> None:
    runs = batch.results["figure_flood"].check("notebook_runs")
    assert f"only the first {MAX_FIGURES} are kept" in runs.message
    kept = list((batch.out / "figure_flood" / "figures").glob("*.png"))
    assert len(kept) == MAX_FIGURES
    assert all(p.stat().st_size <= MAX_FIGURE for p in kept)


def test_garbage_outputs_are_refused_with_reasons(batch: Batch) -> None:
    result = batch.results["garbage_outputs"]
    assert result.check("notebook_runs").status == "pass"
    runs = result.check("notebook_runs").message
    assert "best_net.npz: not a readable .npz file" in runs
    assert "best_net_predict.npy: not a readable .npy file" in runs
    assert "weights file was refused" in result.check("best_net").message


def test_python_kernel_under_another_name_runs(batch: Batch) -> None:
    result = batch.results["kernel_named_cs231n"]
    assert result.score == result.max_score


def test_fork_bomb_stops_at_the_process_limit(batch: Batch) -> None:
    result = batch.results["fork_bomb"]
    found = re.search(r"fork refused after (\d+) processes", printed(batch, "fork_bomb"))
    assert found is not None and int(found.group(1)) < MAX_TASKS
    assert result.check("best_net").status == "pass"


def test_tmp_is_small_and_part_of_the_memory_budget(batch: Batch) -> None:
    result = batch.results["tmp_filler"]
    found = re.search(r"tmp full after (\d+) bytes", printed(batch, "tmp_filler"))
    assert found is not None and int(found.group(1)) <= tmp_bytes(batch.notebook_limits)
    assert tmp_bytes(batch.notebook_limits) < (batch.notebook_limits.memory_mb or 0) * 2**20
    assert result.check("best_net").status == "pass"


def test_deep_expression_costs_only_the_notebook(batch: Batch) -> None:
    result = batch.results["deep_expression"]
    assert "class defined in the notebook" in result.info["module"]
    assert result.check("notebook_runs").status == "error"
    assert result.check("best_net").status == "pass"


def test_file_where_a_folder_is_needed(batch: Batch) -> None:
    result = batch.results["file_named_like_a_folder"]
    assert result.score == result.max_score, result.check("notebook_runs").message


@pytest.mark.parametrize(("name", "words"), sorted(fixtures.MALFORMED.items()))
def test_malformed_notebook_is_explained(batch: Batch, name: str, words: str) -> None:
    runs = batch.results[name].check("notebook_runs")
    assert runs.status == "fail" and words in runs.message
    assert "No notebook" not in runs.message


def test_a_report_drawn_while_a_grading_thread_imports_ipython(tmp_path: Path) -> None:
    """The first reports of a batch are drawn while grading threads import what they need
    on first use: a notebook's grading imports IPython, which matplotlib's first canvas
    looks up in ``sys.modules`` half-initialized (the first submissions' reports went
    missing). Deterministic: the import is held until the report is stored."""
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-W", "error", "-m", "tests.half_imported", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "could not render" not in proc.stderr, proc.stderr
    assert "<img" in (out / "drawn" / "report.html").read_text(encoding="utf-8")
    assert (out / "notebook" / "report.html").is_file()


# --------------------------------------------------------------- the reader itself


@pytest.mark.parametrize("kind", ["link", "fifo", "socket", "folder", "big", "link_folder"])
def test_reader_refuses_anything_but_a_small_regular_file(tmp_path: Path, kind: str) -> None:
    import socket

    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "x.json"
    if kind == "link":
        target.symlink_to(REFERENCE)
    elif kind == "fifo":
        os.mkfifo(target)
    elif kind == "socket":
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(target))
        sock.close()
    elif kind == "folder":
        target.mkdir()
    elif kind == "big":
        target.write_text("[" + "1," * 1000 + "1]")
    else:
        (tmp_path / "out").rmdir()
        (tmp_path / "out").symlink_to(REFERENCE.parent)
        target = tmp_path / "out" / REFERENCE.name
    with pytest.raises(UnsafeOutput):
        hostile.read_bytes(tmp_path, f"out/{target.name}", 1000)


def test_reader_parses_strictly(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('{"seconds": NaN}')
    (tmp_path / "b.json").write_text("[1, 2]")
    np.save(tmp_path / "c.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    (tmp_path / "d.npz").write_bytes(b"PK\x03\x04 not really a zip")
    np.savez(tmp_path / "e.npz", W1=np.array(["text"]))
    for name, reader in (("a.json", hostile.read_json), ("b.json", hostile.read_json),
                         ("c.npy", hostile.read_npy), ("d.npz", hostile.read_npz),
                         ("e.npz", hostile.read_npz)):
        with pytest.raises(UnsafeOutput):
            reader(tmp_path, name)
    np.savez(tmp_path / "f.npz", W1=np.ones((2, 3)))
    assert hostile.read_npz(tmp_path, "f.npz")["W1"].shape == (2, 3)
    with pytest.raises(FileNotFoundError):
        hostile.read_json(tmp_path, "missing.json")


def test_writer_never_writes_through_a_link(tmp_path: Path) -> None:
    (tmp_path / "victim").write_text("untouched")
    (tmp_path / "dest").mkdir()
    (tmp_path / "dest" / "m.py").symlink_to(tmp_path / "victim")
    with pytest.raises(FileExistsError):
        hostile.write_new(tmp_path / "dest", "m.py", b"x")
    assert (tmp_path / "victim").read_text() == "untouched"


def test_files_handed_to_a_running_child_replace_what_it_put_there(tmp_path: Path) -> None:
    (tmp_path / "victim").write_text("untouched")
    work = tmp_path / "work"
    work.mkdir()
    (work / "plan.json").symlink_to(tmp_path / "victim")
    os.mkfifo(work / "inputs.npz")
    hostile.write_into_sandbox(work, "plan.json", b"{}")
    hostile.write_into_sandbox(work, "inputs.npz", b"PK")
    assert (tmp_path / "victim").read_text() == "untouched"
    assert (work / "plan.json").read_bytes() == b"{}" and not (work / "plan.json").is_symlink()
    assert (work / "inputs.npz").read_bytes() == b"PK"


def test_results_with_non_finite_numbers_and_huge_strings_serialise() -> None:
    check = CheckResult(id="loss", status="fail", score=0.0, max_score=1.0, visible=True,
                        message="m" * 10_000_000, metrics={"err": math.nan, "big": [1.0] * 10_000,
                                                           "inf": -math.inf})
    result = SubmissionResult("s", "graded", (check,) * 13)
    text = result.dumps()
    assert len(text.encode()) < MAX_RESULT_BYTES
    stored = json.loads(text)["checks"][0]
    assert stored["metrics"]["err"] == "nan" and stored["metrics"]["inf"] == "-inf"
    assert stored["message"].endswith(f"({10_000_000 - MAX_MESSAGE} more characters)")


@pytest.mark.parametrize("spec", [
    {"name": "cs231n", "display_name": "Python (cs231n)", "language": "python"},
    {"name": "conda-env-cs231n-py", "display_name": "Python [conda env:cs231n]"},
    {"name": "python2", "language": "python"},
])
def test_any_python_kernelspec_is_accepted(tmp_path: Path, spec: dict[str, str]) -> None:
    nb = fixtures.notebook("print(1)")
    nb.metadata["kernelspec"] = spec
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    parsed, problem = read_notebook(path)
    assert problem is None and parsed is not None
