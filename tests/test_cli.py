"""The command line, run in-process with click's runner and once for real."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from grader.cli import main
from grader.needs import probe_of
from grader.rubric import load_rubric

from .conftest import REFERENCE, SUBMISSIONS, write_rubric

RUBRIC = load_rubric()
MODULE_POINTS = sum(c.points for c in RUBRIC.checks if probe_of(RUBRIC, c.id) is not None)
"""What a module without a notebook can score (the notebook checks are skipped)."""


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_check_correct_module_exits_0_with_a_table() -> None:
    code, out = run("check", str(REFERENCE))
    assert code == 0
    assert "PASS" in out and "FAIL" not in out
    assert "stability" not in out  # hidden from students


def test_check_buggy_module_exits_1_and_says_why() -> None:
    code, out = run("check", str(SUBMISSIONS / "loss_summed_not_averaged"))
    assert code == 1
    assert "FAIL   loss" in out
    assert "summed over the N examples" in " ".join(out.split())  # wrapped messages


def test_check_json_holds_only_visible_checks() -> None:
    code, out = run("check", "--json", str(REFERENCE))
    data = json.loads(out)
    assert code == 0
    visible = [c for c in RUBRIC.checks if c.visible]
    assert data["status"] == "graded" and data["score"] == data["max_score"] == sum(
        c.points for c in visible if probe_of(RUBRIC, c.id) is not None)
    assert [c["id"] for c in data["checks"]] == [c.id for c in visible]
    skipped = {c["id"]: c for c in data["checks"] if c["status"] == "skipped"}
    assert set(skipped) == {"notebook_runs", "best_net"}
    assert all(c["max_score"] == 0 for c in skipped.values())


def test_check_selected_checks_only() -> None:
    code, out = run("check", "--json", "--check", "scores", str(SUBMISSIONS / "relu_mask_missing"))
    assert code == 0
    assert [c["id"] for c in json.loads(out)["checks"]] == ["scores"]


def test_gradient_checks_alone_use_the_loss_cases() -> None:
    code, out = run("check", "--json", "--check", "grad_W1", "--check", "grad_b2", str(REFERENCE))
    assert code == 0, out
    assert all(c["status"] == "pass" for c in json.loads(out)["checks"])


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run("check", str(tmp_path / "missing.py"))[0] == 2
    assert run("check", "--check", "nope", str(REFERENCE))[0] == 2
    assert run("check", "--data", "mnist", str(REFERENCE))[0] == 2
    bad = write_rubric(tmp_path, replace={'reg_convention = "reg"': 'reg_convention = 1'})
    code, out = run("check", "--rubric", str(bad), str(REFERENCE))
    assert code == 2 and "assignment.reg_convention" in out


def test_grade_writes_every_output(tmp_path: Path) -> None:
    entries = tmp_path / "subs"
    entries.mkdir()
    (entries / "good.py").write_text(REFERENCE.read_text())
    (entries / "summed").mkdir()
    (entries / "summed" / "neural_net.py").write_text(
        (SUBMISSIONS / "loss_summed_not_averaged" / "neural_net.py").read_text())
    (entries / "broken.zip").write_bytes(b"not a zip")
    out = tmp_path / "out"
    code, _ = run("grade", str(entries), "--out", str(out), "--jobs", "2")
    assert code == 0
    results = json.loads((out / "results.json").read_text())
    assert [r["submission"] for r in results] == ["broken", "good", "summed"]
    by_id = {r["submission"]: r for r in results}
    assert by_id["good"]["score"] == MODULE_POINTS
    assert by_id["summed"]["score"] == MODULE_POINTS - RUBRIC.check("loss").points
    assert by_id["broken"]["status"] == "error" and "zip" in by_id["broken"]["error"]
    for sub in by_id:
        assert json.loads((out / sub / "result.json").read_text()) == by_id[sub]
    with (out / "grades.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["submission"]: float(r["score"]) for r in rows} == {
        "broken": 0, "good": 100, "summed": 90}
    assert float(rows[2]["loss"]) == 0 and float(rows[2]["scores"]) == RUBRIC.check("scores").points
    assert "good" in (out / "index.html").read_text()


def test_module_found_at_any_depth_in_folder_and_zip(tmp_path: Path) -> None:
    import zipfile
    deep = tmp_path / "student" / "cs231n" / "classifiers"
    deep.mkdir(parents=True)
    (deep / "neural_net.py").write_text(REFERENCE.read_text())
    with zipfile.ZipFile(tmp_path / "zipped.zip", "w") as z:
        z.write(deep / "neural_net.py", "cs231n/classifiers/neural_net.py")
    for entry in (tmp_path / "student", tmp_path / "zipped.zip"):
        code, out = run("check", "--json", "--check", "scores", str(entry))
        assert code == 0, out
        assert json.loads(out)["info"]["module"] == "cs231n/classifiers/neural_net.py"


def test_real_subprocess_python_dash_m() -> None:
    proc = subprocess.run([sys.executable, "-m", "grader", "check", "--check", "loss",
                           str(SUBMISSIONS / "reg_product")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "FAIL   loss" in proc.stdout


def test_bad_data_set_stops_a_batch_before_grading(tmp_path: Path) -> None:
    code, out = run("grade", str(SUBMISSIONS), "--out", str(tmp_path / "out"),
                    "--data", "cifar10:" + str(tmp_path / "nowhere"))
    assert code == 2 and "CIFAR-10 folder not found" in out
    assert not (tmp_path / "out").exists()


def test_report_rerenders_from_stored_results(tmp_path: Path) -> None:
    out = tmp_path / "out"
    entries = tmp_path / "subs"
    entries.mkdir()
    (entries / "summed.py").write_text(
        (SUBMISSIONS / "loss_summed_not_averaged" / "neural_net.py").read_text())
    assert run("grade", str(entries), "--out", str(out))[0] == 0
    (out / "summed" / "report.html").unlink()
    (out / "index.html").unlink()
    code, text = run("report", str(out))
    assert code == 0 and "index.html" in text
    assert "summed over the N examples" in (out / "summed" / "report.html").read_text()
    assert (out / "index.html").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run("report", str(empty))[0] == 2


def test_github_actions_get_annotations_and_a_summary(tmp_path: Path,
                                                      monkeypatch: object) -> None:
    import pytest
    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, out = run("check", str(SUBMISSIONS / "train_not_implemented"))
    assert code == 1
    assert "::error file=" in out and "neural_net.py" in out and ",line=" in out
    assert "train" in summary.read_text()
