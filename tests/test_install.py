"""The built wheel works anywhere: installed in a fresh venv and run from an unrelated folder,
with nothing of the source checkout in reach."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

from grader.cli import AS_ROOT, NO_BWRAP
from grader.privileges import RunAs, readable_by

from .conftest import ROOT, SUBMISSIONS
from .venvs import build_instructor_wheel, installed_package


def run(bin_dir: Path, *args: str, cwd: Path, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(bin_dir / "grader"), *args], capture_output=True, text=True,
                          cwd=cwd, env=env)


def test_wheel_ships_every_pack_file_and_no_cache(instructor_wheel: Path) -> None:
    names = set(zipfile.ZipFile(instructor_wheel).namelist())
    pack = ROOT / "grader" / "assignments" / "two_layer_net"
    shipped = {f"grader/{p.relative_to(ROOT / 'grader').as_posix()}" for p in pack.rglob("*")
               if p.is_file() and "__pycache__" not in p.parts}
    assert shipped <= names
    assert "grader/py.typed" in names and "grader/data/digits.npz" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_sdist_builds_the_same_wheel(instructor_wheel: Path, tmp_path: Path) -> None:
    sdist = subprocess.run(
        [sys.executable, "-c", "import sys; from setuptools import build_meta; "
         "print(build_meta.build_sdist(sys.argv[1]))", str(tmp_path / "sdist")],
        capture_output=True, text=True, cwd=ROOT, check=True).stdout.split()[-1]
    shutil.rmtree(ROOT / "grader.egg-info", ignore_errors=True)
    with tarfile.open(tmp_path / "sdist" / sdist) as archive:
        archive.extractall(tmp_path / "src", filter="data")
    (source,) = (tmp_path / "src").iterdir()
    from_sdist = build_instructor_wheel(source, tmp_path)

    def contents(wheel: Path) -> set[str]:
        return {n for n in zipfile.ZipFile(wheel).namelist() if ".dist-info/" not in n}
    assert contents(from_sdist) == contents(instructor_wheel)


def test_installed_grader_checks_grades_and_demos_from_any_folder(
        instructor_bin: Path, tmp_path: Path) -> None:
    package = installed_package(instructor_bin)
    assert package.is_relative_to(instructor_bin.parent) and not package.is_relative_to(ROOT)
    work = tmp_path / "elsewhere"
    work.mkdir()
    shutil.copytree(SUBMISSIONS / "correct", work / "mine")
    checked = run(instructor_bin, "check", "--rubric", "two_layer_net", "mine", cwd=work)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    as_module = subprocess.run([str(instructor_bin / "python"), "-m", "grader", "check",
                                "--check", "loss", "mine"], capture_output=True, text=True,
                               cwd=work)
    assert as_module.returncode == 0, as_module.stderr
    graded = run(instructor_bin, "grade", ".", "--out", str(tmp_path / "graded"), cwd=work)
    assert graded.returncode == 0, graded.stderr
    with open(tmp_path / "graded" / "grades.csv", newline="") as f:
        (row,) = list(csv.DictReader(f))
    assert row["status"] == "graded" and float(row["score"]) == float(row["max_score"]) > 0
    demo = run(instructor_bin, "demo", "--out", "demo-out", cwd=work)
    assert demo.returncode == 0, demo.stderr
    examples = package / "assignments" / "two_layer_net" / "examples"
    shipped = [p for p in examples.iterdir() if p.name != "__pycache__"]  # pip compiles .py
    assert len(list((work / "demo-out").glob("*/report.html"))) == len(shipped) > 0


def test_installed_grader_releases_from_any_folder(instructor_bin: Path, tmp_path: Path) -> None:
    done = run(instructor_bin, "release", "--out", "rel", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "rel" / "starter" / "two_layer_net.ipynb").is_file()
    assert (tmp_path / "rel" / "selfcheck" / "selfcheck.npz").is_file()
    assert len(list((tmp_path / "rel").glob("grader-*+selfcheck-py3-none-any.whl"))) == 1


def test_student_wheel_self_checks_offline(student_bin: Path, tmp_path: Path) -> None:
    shutil.copytree(SUBMISSIONS / "correct", tmp_path / "mine")
    checked = run(student_bin, "check", "mine", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # the notebook's self_check() goes through grader.check(), installed in the same venv
    notebook = subprocess.run(
        [str(student_bin / "python"), "-c", "import grader; r = grader.check('mine', "
         "checks=['scores']); print(r.passed, [c.id for c in r.checks])"],
        capture_output=True, text=True, cwd=tmp_path)
    assert notebook.stdout.split() == ["True", "['scores']"], notebook.stderr
    refused = run(student_bin, "release", "--out", "rel", cwd=tmp_path)
    assert refused.returncode == 2 and "no reference to release from" in refused.stderr


def test_grading_without_bubblewrap_says_so_once(tmp_path: Path) -> None:
    entries = tmp_path / "in"
    entries.mkdir()
    shutil.copytree(SUBMISSIONS / "correct", entries / "mine")
    # A PATH without bubblewrap; the grader starts its children with its own interpreter.
    env = dict(os.environ, PATH=str(tmp_path))
    grader = [sys.executable, "-m", "grader"]
    # as root with a Python nobody may read, student code runs as nobody; with one only
    # root may read (tests/test_privileges.py), only the opt-out grades, as root
    as_root = os.geteuid() == 0 and not readable_by(Path(sys.executable).resolve(), RunAs())
    proc = subprocess.run([*grader, "grade", str(entries), "--out", str(tmp_path / "o"),
                           "--jobs", "1", *(["--allow-root-student-code"] if as_root else [])],
                          capture_output=True, text=True, cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    assert [line for line in proc.stderr.splitlines() if NO_BWRAP in line] != []
    assert proc.stderr.count(NO_BWRAP) == 1
    # unisolated student code running as root owns the machine: the line says so
    assert (AS_ROOT in proc.stderr) == as_root, proc.stderr
    quiet = subprocess.run([*grader, "grade", str(entries), "--out", str(tmp_path / "p")],
                           capture_output=True, text=True, cwd=tmp_path)
    assert quiet.returncode == 0 and NO_BWRAP not in quiet.stderr
