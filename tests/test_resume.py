"""Resumable batches: a run killed at any moment, then run again, ends as an uninterrupted one."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader import api
from grader.tempdirs import PREFIX, remove_stale_temp_dirs

from .batch_outputs import CHECKS, NAMES, comparable, make_class


def grade_command(subs: Path, out: Path, *extra: str) -> list[str]:
    checks = [arg for c in CHECKS for arg in ("--check", c)]
    return [sys.executable, "-m", "grader", "grade", str(subs), "--out", str(out), "--jobs", "1",
            *checks, *extra]


def run_env(tmp: Path) -> dict[str, str]:
    """Temporary folders of the run under ``tmp``, where the test can see what is left."""
    tmp.mkdir(exist_ok=True)
    return {**os.environ, "TMPDIR": str(tmp)}


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A class and its uninterrupted run."""
    base = tmp_path_factory.mktemp("resume")
    subs = make_class(base / "subs")
    out = base / "reference"
    subprocess.run(grade_command(subs, out), check=True, capture_output=True,
                   env=run_env(base / "tmp"))
    return subs, out


def stored_results(out: Path) -> int:
    return len(list(out.glob("*/result.json")))


@pytest.mark.parametrize("seed", [2, 7, 9, 5])
def test_killed_run_resumed_matches_uninterrupted(reference: tuple[Path, Path], tmp_path: Path,
                                                  seed: int) -> None:
    subs, expected = reference
    out, tmp = tmp_path / "out", tmp_path / "tmp"
    rng = random.Random(seed)
    # Killed once this many results are stored (0: while starting), a moment later.
    stored, delay = rng.randrange(5), rng.uniform(0, 0.1)
    run = subprocess.Popen(grade_command(subs, out), stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, env=run_env(tmp), start_new_session=True)
    while stored_results(out) < stored and run.poll() is None:
        time.sleep(0.005)
    time.sleep(delay)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    assert run.returncode == -signal.SIGKILL, "the run ended before it was killed"
    subprocess.run(grade_command(subs, out), check=True, capture_output=True, env=run_env(tmp))
    assert comparable(out) == comparable(expected), (seed, stored)
    assert not [p for p in tmp.iterdir() if p.name.startswith(f"{PREFIX}{run.pid}-")]


def test_complete_batch_is_not_graded_again(reference: tuple[Path, Path], tmp_path: Path) -> None:
    subs, expected = reference
    out = tmp_path / "out"
    subprocess.run(grade_command(subs, out), check=True, capture_output=True,
                   env=run_env(tmp_path / "tmp"))
    before = {p: p.read_text() for p in out.glob("*/result.json")}
    (out / "grades.csv").unlink()
    subprocess.run(grade_command(subs, out), check=True, capture_output=True,
                   env=run_env(tmp_path / "tmp"))
    # Timing included: the stored results were kept, not produced again.
    assert {p: p.read_text() for p in out.glob("*/result.json")} == before
    assert comparable(out) == comparable(expected)
    subprocess.run(grade_command(subs, out, "--force"), check=True, capture_output=True,
                   env=run_env(tmp_path / "tmp"))
    after = {p: json.loads(p.read_text())["timing"] for p in out.glob("*/result.json")}
    assert after != {p: json.loads(t)["timing"] for p, t in before.items()}
    assert comparable(out) == comparable(expected)


def test_changed_or_damaged_results_are_graded_again(tmp_path: Path) -> None:
    subs = make_class(tmp_path / "subs", NAMES[:3])
    out = tmp_path / "out"
    api.grade(subs, out, checks=CHECKS, jobs=1)
    stored = {p.parent.name: p.read_text() for p in out.glob("*/result.json")}
    changed, damaged = NAMES[1], NAMES[2]
    with open(subs / changed / "neural_net.py", "a", encoding="utf-8") as f:
        f.write("# resubmitted\n")
    (out / damaged / "result.json").write_text(stored[damaged][: len(stored[damaged]) // 2])
    api.grade(subs, out, checks=CHECKS, jobs=1)
    now = {p.parent.name: p.read_text() for p in out.glob("*/result.json")}
    regraded = {name for name in stored if now[name] != stored[name]}
    assert regraded == {changed, damaged}
    assert json.loads(now[damaged])["timing"] != json.loads(stored[damaged])["timing"]
    fingerprints = {n: json.loads(t)["info"]["fingerprint"] for n, t in now.items()}
    old = json.loads(stored[changed])["info"]["fingerprint"]
    assert fingerprints[changed]["submission"] != old["submission"]
    assert {k: v for k, v in fingerprints[changed].items() if k != "submission"} == \
        {k: v for k, v in old.items() if k != "submission"}


def test_identical_submissions_are_graded_once(reference: tuple[Path, Path]) -> None:
    _, out = reference
    first = json.loads((out / NAMES[0] / "result.json").read_text())
    again = json.loads((out / f"{NAMES[0]}_again" / "result.json").read_text())
    assert again["submission"] == f"{NAMES[0]}_again"
    # Same timing to the millisecond: one grading, stored twice.
    assert {**again, "submission": first["submission"]} == first
    assert (out / f"{NAMES[0]}_again" / "first_layer.npz").is_file()
    assert (out / f"{NAMES[0]}_again" / "report.html").is_file()


def test_only_folders_of_dead_runs_are_removed(tmp_path: Path) -> None:
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           check=True, capture_output=True, text=True)
    dead = tmp_path / f"{PREFIX}{ended.stdout.strip()}-abc"
    alive = tmp_path / f"{PREFIX}{os.getpid()}-def"
    other = tmp_path / f"{PREFIX}unmarked"
    for folder in (dead, alive, other):
        (folder / "data").mkdir(parents=True)
    assert remove_stale_temp_dirs(tmp_path) == [dead]
    assert not dead.exists() and alive.is_dir() and other.is_dir()


def test_a_folder_another_grader_removes_meanwhile_is_skipped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two graders on one machine clean the same temporary folder: one's listing may
    name a folder the other has just removed."""
    from grader import tempdirs

    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           check=True, capture_output=True, text=True)
    gone = tmp_path / f"{PREFIX}{ended.stdout.strip()}-gone"
    gone.mkdir()
    listed = os.scandir

    def list_then_remove(path: Path) -> list[os.DirEntry[str]]:
        entries = list(listed(path))
        os.rmdir(gone)  # the other grader, between the listing and the stat
        return entries

    monkeypatch.setattr(tempdirs.os, "scandir", list_then_remove)
    assert remove_stale_temp_dirs(tmp_path) == []
