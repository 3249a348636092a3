"""The disk a child's folder takes is measured without following anything out of it."""

from __future__ import annotations

import os
from pathlib import Path

from grader.diskuse import DiskBudget, measure


FILLER = """

_Correct = TwoLayerNet


class TwoLayerNet(_Correct):
    def predict(self, X):  # HOSTILE: a megabyte every 10 ms, as long as nobody stops it
        import os
        import time

        os.makedirs("filler", exist_ok=True)
        chunk, count = os.urandom(2**20), 0
        while True:
            with open(os.path.join("filler", f"part{count}"), "wb") as out:
                out.write(chunk)
            count += 1
            time.sleep(0.01)
"""
"""Appended to the reference: the network is right but its ``predict`` fills the disk."""


def _fill(path: Path, size: int) -> None:
    path.write_bytes(os.urandom(size))


def test_counts_allocated_bytes_and_entries(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    _fill(tmp_path / "a" / "b" / "one", 300_000)
    _fill(tmp_path / "two", 200_000)
    use = measure(DiskBudget(), tmp_path)
    assert use.entries == 4  # a, a/b, a/b/one, two
    assert 500_000 <= use.bytes < 600_000
    assert use.over(DiskBudget()) is None
    assert "wrote more than" in (use.over(DiskBudget(max_bytes=400_000)) or "")
    assert "more than 3 files" in (use.over(DiskBudget(max_entries=3)) or "")


def test_the_folders_a_child_may_write_share_one_budget(tmp_path: Path) -> None:
    for name in ("work", "notebook"):
        (tmp_path / name).mkdir()
        _fill(tmp_path / name / "data", 300_000)
    budget = DiskBudget(max_bytes=500_000)
    assert measure(budget, tmp_path / "work").over(budget) is None
    both = measure(budget, tmp_path / "work", tmp_path / "notebook", tmp_path / "work")
    assert both.entries == 2 and both.over(budget) is not None


def test_sparse_files_cost_what_they_hold(tmp_path: Path) -> None:
    with open(tmp_path / "sparse", "wb") as out:
        out.truncate(50 * 2**30)  # 50 GB apparent, nothing written
    assert measure(DiskBudget(), tmp_path).bytes < 1 << 20


def test_links_are_not_followed_out_of_the_folder(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    _fill(outside / "big", 2_000_000)
    inside = tmp_path / "inside"
    inside.mkdir()
    (inside / "link").symlink_to(outside, target_is_directory=True)
    use = measure(DiskBudget(), inside)
    assert use.entries == 1 and use.bytes < 100_000
    (inside / "top_link").symlink_to(outside)
    assert measure(DiskBudget(), inside / "top_link").entries == 0  # the folder itself a link


def test_stops_counting_past_the_budget(tmp_path: Path) -> None:
    for i in range(500):
        (tmp_path / f"f{i}").touch()
    use = measure(DiskBudget(max_entries=100), tmp_path)
    assert use.entries == 101 and use.over(DiskBudget(max_entries=100)) is not None


def test_a_child_that_fills_the_disk_is_stopped_and_says_why(tmp_path: Path) -> None:
    """Its folder is on the grading host's disk: past the rubric's ``disk_mb`` the child is
    stopped, the check running says what it did, the checks after it say why they did not
    run, and the checks before keep their verdicts."""
    from grader import api
    from grader.rubric import load_rubric

    from .conftest import REFERENCE, write_rubric

    rubric = load_rubric(write_rubric(tmp_path, replace={"output_kb = 64": "output_kb = 64\n"
                                                                          "disk_mb = 16"}))
    assert rubric.check("predict").limits.disk_mb == 16
    submission = tmp_path / "fills_the_disk"
    submission.mkdir()
    (submission / REFERENCE.name).write_text(REFERENCE.read_text(encoding="utf-8") + FILLER,
                                             encoding="utf-8")
    checks = ["scores", "predict", "accuracy"]
    [result] = api.grade([submission], tmp_path / "out", rubric=rubric, checks=checks, jobs=1)
    verdicts = {c.id: c for c in result.checks}
    assert verdicts["scores"].status == "pass"
    predict = verdicts["predict"]
    assert predict.status == "error" and predict.score == 0
    assert "Your code was stopped: it wrote more than 16 MB to disk (its disk limit)" in \
        predict.message
    accuracy = verdicts["accuracy"]
    assert accuracy.status == "error"
    assert "Not run: an earlier part of your code wrote more than 16 MB" in accuracy.message
