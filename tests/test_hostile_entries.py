"""Hostile entries of a submissions folder cost those entries only.

Each entry is generated here: links to host files and folders, a FIFO named
like a module, submissions named like the class files of the results folder,
and a submission named like a spreadsheet formula. The batch is graded in the
real sandbox, then compared for similarity.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from grader import api
from grader.discover import RESERVED_IDS, list_submissions
from grader.errors import SubmissionError
from grader.report import store
from grader.similarity import report as similarity_report
from grader.similarity.run import run_similarity

from .conftest import REFERENCE

SECRET = "SECRET-host-only-line"
"""The content of a host file that links in the submissions folder point at."""
FORMULA = "=cmd|' calc'!A0"
"""A submission id a spreadsheet would run as a formula."""


def hostile_folder(tmp_path: Path) -> tuple[Path, list[str]]:
    """A submissions folder of hostile entries and two good ones; the good ids."""
    secret = tmp_path / "host" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text(SECRET + "\n", encoding="utf-8")
    folder = tmp_path / "submissions"
    folder.mkdir()
    os.symlink(secret, folder / "reads_host.py")
    os.symlink(secret.parent, folder / "host_folder")
    os.mkfifo(folder / "blocks.py")
    for name in sorted(RESERVED_IDS):
        (folder / name).mkdir()
        shutil.copyfile(REFERENCE, folder / name / "neural_net.py")
    with zipfile.ZipFile(folder / f"{store.INDEX}.zip", "w") as archive:
        archive.write(REFERENCE, "neural_net.py")
    good = [FORMULA, "plain"]
    for name in good:
        (folder / name).mkdir()
        shutil.copyfile(REFERENCE, folder / name / "neural_net.py")
    return folder, good


def test_class_file_names_are_reserved() -> None:
    """Every file written at the top of a results folder is a reserved id."""
    written = {store.ALL_RESULTS, store.CSV, store.INDEX, store.JUNIT,
               similarity_report.HTML, similarity_report.JSON, similarity_report.CSV}
    assert written <= RESERVED_IDS


def test_links_fifos_and_class_file_names_are_left_out(tmp_path: Path,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    folder, good = hostile_folder(tmp_path)
    assert [p.name for p in list_submissions(folder)] == sorted(good)
    left_out = [r.getMessage() for r in caplog.records if "left out" in r.getMessage()]
    assert len(left_out) == 3 + len(RESERVED_IDS) + 1, left_out


def test_hostile_entries_cost_only_themselves(tmp_path: Path) -> None:
    """The batch ends with every class file; nothing of the host file is in any
    output; the formula-named submission is text in the CSV files."""
    folder, good = hostile_folder(tmp_path)
    out = tmp_path / "results"
    results = api.grade(folder, out, jobs=2, isolation="bwrap", checks=["init"])
    assert sorted(r.submission for r in results) == sorted(good)
    assert all(r.score == r.max_score > 0 for r in results), [r.dumps() for r in results]
    run_similarity(folder, out, results=results)
    for name in (store.ALL_RESULTS, store.CSV, store.INDEX, store.JUNIT,
                 similarity_report.HTML, similarity_report.CSV):
        assert (out / name).is_file(), name
    for path in out.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
    rows = list(csv.DictReader(io.StringIO((out / store.CSV).read_text(encoding="utf-8"),
                                           newline="")))
    assert sorted(r["submission"] for r in rows) == sorted(["'" + FORMULA, "plain"])
    pairs = list(csv.DictReader(io.StringIO(
        (out / similarity_report.CSV).read_text(encoding="utf-8"), newline="")))
    assert pairs, "two copies of the reference are a pair"
    for pair in pairs:
        assert not any(pair[k].startswith(("=", "+", "-", "@")) for k in ("a", "b")), pair


def test_entries_sharing_an_id_stop_the_batch_before_grading(tmp_path: Path) -> None:
    """``alice/`` and ``alice.py`` would both be stored as ``alice``: the last graded
    would replace the other's result. The run refuses, naming them, and writes nothing."""
    folder = tmp_path / "submissions"
    (folder / "alice").mkdir(parents=True)
    shutil.copyfile(REFERENCE, folder / "alice" / "neural_net.py")
    (folder / "alice.py").write_text("raise SystemExit\n", encoding="utf-8")
    out = tmp_path / "results"
    with pytest.raises(SubmissionError, match=r"alice: alice, alice\.py"):
        api.grade(folder, out, isolation="bwrap", checks=["init"])
    assert not out.exists() or not any(out.iterdir())


def test_hostile_zips_cost_only_themselves(tmp_path: Path) -> None:
    """A small zip of a hundred thousand empty files took the grader minutes and as many
    inodes, a zip with both ``x`` and ``x/y`` ended as an internal error: past the limits (files, size of the zip's list of files) it is refused at
    once, with a message, and the others are graded."""
    from grader.discover import _MAX_FILES

    folder = tmp_path / "submissions"
    folder.mkdir()
    with zipfile.ZipFile(folder / "many.zip", "w") as archive:
        archive.write(REFERENCE, "neural_net.py")
        for i in range(_MAX_FILES):
            archive.writestr(f"d{i % 10}/f{i}", b"")
    with zipfile.ZipFile(folder / "long_list.zip", "w") as archive:
        archive.write(REFERENCE, "neural_net.py")
        for i in range(1100):  # few files, but a list of files (read whole) of over 4 MB
            archive.writestr(f"{i}_" + "n" * 4000, b"")
    with zipfile.ZipFile(folder / "file_and_folder.zip", "w") as archive:
        archive.write(REFERENCE, "neural_net.py")
        archive.writestr("x", b"a file")
        archive.writestr("x/y", b"and a folder")
    (folder / "plain").mkdir()
    shutil.copyfile(REFERENCE, folder / "plain" / "neural_net.py")
    results = {r.submission: r for r in api.grade(folder, tmp_path / "results", jobs=1,
                                                  isolation="bwrap", checks=["init"])}
    assert results["plain"].score == results["plain"].max_score > 0
    assert results["many"].status == "error" and results["many"].score == 0
    assert f"more than {_MAX_FILES} entries in the zip" in (results["many"].error or "")
    assert "the zip lists more files than allowed" in (results["long_list"].error or "")
    assert "uses 'x/y' both as a file and as a folder" in (results["file_and_folder"].error or "")
