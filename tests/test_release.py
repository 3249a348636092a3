"""``grader release``: the starter is the checked-in template, the student build holds no
solution, no hidden input and no hidden check, and it reaches the instructor's verdicts."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from pathlib import Path
from typing import Iterator

import pytest

from grader.api import grade
from grader.errors import ReleaseError
from grader.plan import build_plan
from grader.reference import load_reference
from grader.release import Release, release
from grader.release.bundle import INSTRUCTOR_ONLY
from grader.release.markers import split_source
from grader.release.starter import solution_lines
from grader.needs import probe_of
from grader.rubric import Rubric

from .conftest import (PACK, REFERENCE, REFERENCE_NOTEBOOK, ROOT, SUBMISSIONS, TEMPLATE,
                       write_rubric)
from .venvs import installed_package

MIN_LINE = 8
"""Solution lines shorter than this (``\"\"\"``, ``else:``) say nothing of the solution."""


def test_markers_split_solution_from_starter() -> None:
    text = ("def f(x):\n    ### BEGIN SOLUTION\n    y = x * 2\n    ### END SOLUTION\n"
            "    ### BEGIN STUDENT\n    # y = None  # TODO\n    #\n    ### END STUDENT\n"
            "    return y\n")
    split = split_source(text)
    assert split.starter == "def f(x):\n    y = None  # TODO\n\n    return y\n"
    assert split.solution == ("    y = x * 2",)
    namespace: dict[str, object] = {}
    exec(text, namespace)  # the marked reference still runs
    assert namespace["f"](3) == 6  # type: ignore[operator]


@pytest.mark.parametrize("text", [
    "### BEGIN SOLUTION\nx = 1\n",                              # never closed
    "### END SOLUTION\n",                                        # closed, never opened
    "### BEGIN STUDENT\nx = None\n### END STUDENT\n",            # student line not commented
    "### BEGIN SOLUTION\n### BEGIN STUDENT\n",                   # nested
])
def test_malformed_markers_are_reported(text: str) -> None:
    with pytest.raises(ReleaseError):
        split_source(text, "bad.py")


def test_reference_notebook_is_built_from_its_cells() -> None:
    script = ROOT / "notebooks" / "build_notebooks.py"
    proc = subprocess.run([sys.executable, str(script), "--check"], capture_output=True,
                          text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_release_refuses_a_reference_that_fails_its_checks(tmp_path: Path) -> None:
    pack = tmp_path / "two_layer_net"
    shutil.copytree(PACK, pack, ignore=shutil.ignore_patterns("__pycache__", "examples"))
    reference = pack / "reference" / "neural_net.py"
    text = reference.read_text(encoding="utf-8")
    assert "dscores /= N\n" in text
    reference.write_text(text.replace("dscores /= N\n", "dscores /= 2 * N\n"), encoding="utf-8")
    with pytest.raises(ReleaseError, match=r"fails its own visible checks \(train\)"):
        release(tmp_path / "out", rubric=pack / "rubric.toml")
    with pytest.raises(ReleaseError, match="not the rubric of an assignment pack"):
        release(tmp_path / "out2", rubric=write_rubric(tmp_path))


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


def test_starter_is_the_checked_in_template(released: Release) -> None:
    starter, template = _tree(released.starter), _tree(TEMPLATE)
    assert sorted(starter) == sorted(template)
    differing = [name for name in starter if starter[name] != template[name]]
    assert differing == [], "student_template/ is stale: run notebooks/build_notebooks.py"


def _files(folder: Path) -> Iterator[tuple[str, bytes]]:
    """Every file under ``folder``, every member of the zips among them (wheels, .npz), and
    the cell sources of every notebook (JSON escapes quotes)."""
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            yield from _contents(str(path), path.read_bytes())


def _contents(name: str, data: bytes) -> Iterator[tuple[str, bytes]]:
    yield name, data
    if name.endswith(".ipynb"):
        yield f"{name} (cells)", _cell_sources(data).encode()
    if zipfile.is_zipfile(BytesIO(data)):
        with zipfile.ZipFile(BytesIO(data)) as archive:
            for member in archive.namelist():
                yield from _contents(f"{name}:{member}", archive.read(member))


def _cell_sources(data: bytes) -> str:
    cells = json.loads(data)["cells"]
    return "\n".join("".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                     for c in cells)


def _hidden_inputs(rubric: Rubric) -> list[bytes]:
    """The bytes of every hidden input array instructor grading uses."""
    ids = tuple(c.id for c in rubric.checks if probe_of(rubric, c.id) is not None and c.id != "accuracy")
    plan = build_plan(rubric, load_reference(rubric), ids)
    hidden = [case for case in plan.cases.values() if case.hidden]
    assert hidden
    return [array.tobytes() for case in hidden for array in (case.X, case.params["W1"])]


def _leaks(name: str, data: bytes, lines: set[str], hidden: list[bytes],
           seed: re.Pattern[bytes]) -> list[tuple[str, str]]:
    text = data.decode("utf-8", "replace")
    found = [(name, line) for line in lines if line in text]
    found += [(name, "a hidden input") for array in hidden if array in data]
    if "\ufffd" not in text and seed.search(data):
        found.append((name, "the hidden seed"))
    return found


def _given_anyway(released: Release) -> set[str]:
    """Lines students are meant to have: those of the reference notebook's shared cells
    (setup lines a solution cell repeats), and the released rubric's (its settings)."""
    cells = json.loads(REFERENCE_NOTEBOOK.read_bytes())["cells"]
    shared = "\n".join("".join(c["source"]) for c in cells if "grader" not in c["metadata"])
    rubric = (released.bundle / "rubric.toml").read_text(encoding="utf-8")
    return {line.strip() for line in (shared + "\n" + rubric).splitlines()}


def test_student_build_holds_no_solution(released: Release, student_bin: Path,
                                         rubric: Rubric) -> None:
    lines = {line.strip() for line in solution_lines(PACK) if len(line.strip()) >= MIN_LINE}
    lines -= _given_anyway(released)
    assert len(lines) > 30
    reference = REFERENCE.read_text("utf-8") + _cell_sources(REFERENCE_NOTEBOOK.read_bytes())
    assert all(line in reference for line in lines)  # the scan does find what is there
    hidden = _hidden_inputs(rubric)
    seed = re.compile(rb"(?<![0-9])%d(?![0-9])" % rubric.seed)
    package = installed_package(student_bin)
    scanned = [released.starter.parent, package, *package.parent.glob("grader-*.dist-info")]
    leaks = [leak for folder in scanned for name, data in _files(folder)
             for leak in _leaks(name, data, lines, hidden, seed)]
    assert leaks == []
    assert not list(package.rglob("reference")) and not list(package.glob("assignments/*/mistakes*.py"))
    assert not list(package.rglob("examples"))


def test_student_rubric_holds_visible_checks_only(released: Release, student_bin: Path,
                                                  rubric: Rubric) -> None:
    installed = installed_package(student_bin) / "assignments" / "two_layer_net"
    text = (installed / "rubric.toml").read_text(encoding="utf-8")
    assert text == (released.bundle / "rubric.toml").read_text(encoding="utf-8")
    student = tomllib.loads(text)
    visible = {c.id for c in rubric.checks if c.visible} - set(INSTRUCTOR_ONLY)
    assert set(student["checks"]) == visible
    assert student["assignment"]["seed"] != rubric.seed
    for hidden in (c.id for c in rubric.checks if not c.visible):
        assert hidden not in text


def _student_check(bin_dir: Path, entry: Path, cwd: Path) -> dict[str, str]:
    proc = subprocess.run([str(bin_dir / "grader"), "check", "--json", str(entry)],
                          capture_output=True, text=True, cwd=cwd)
    assert proc.returncode in (0, 1), proc.stderr
    return {c["id"]: c["status"] for c in json.loads(proc.stdout)["checks"]}


def test_student_check_reaches_the_instructor_verdicts(student_bin: Path, rubric: Rubric,
                                                       tmp_path: Path) -> None:
    entries = sorted(p for p in SUBMISSIONS.iterdir() if p.is_dir())
    instructor = {r.submission: {c.id: c.status for c in r.checks if c.visible}
                  for r in grade(entries, tmp_path / "graded", jobs=2)}
    with ThreadPoolExecutor(2) as pool:
        student = dict(zip((e.name for e in entries),
                           pool.map(lambda e: _student_check(student_bin, e, tmp_path), entries)))
    visible = {c.id for c in rubric.checks if c.visible} - set(INSTRUCTOR_ONLY)
    differing = {}
    for name, statuses in student.items():
        assert set(statuses) == visible, name
        expected = {check: instructor[name][check] for check in statuses}
        if statuses != expected:
            differing[name] = (statuses, expected)
    assert differing == {}
    assert {s for statuses in student.values() for s in statuses.values()} >= {"pass", "fail"}
