"""Exports rendered from stored results: Gradescope, JUnit XML, CSV, GitHub; views; re-rendering."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from grader import api
from grader.errors import SubmissionError
from grader.report import github_annotations, render_all
from grader.report.github import step_summary
from grader.report.store import kept_files
from grader.report.gradescope import VISIBILITIES
from grader.report.html import render_report
from grader.report.plots import Image
from grader.report.junit import junit_xml
from grader.report.tables import fmt
from grader.report.views import HIDDEN_CASE_KEYS, student_view
from grader.report.figures import report_figures
from grader.resources import pack_names
from grader.results import ASSIGNMENT, CheckResult, StudentError, SubmissionResult
from grader.rubric import Rubric, load_rubric

from .conftest import SUBMISSIONS

NAMES = ("correct", "forward_missing_b1", "untouched_template", "python2_print_statement")
TOP_FIELDS = {"score", "execution_time", "output", "visibility", "stdout_visibility", "tests"}
TEST_FIELDS = {"score", "max_score", "name", "number", "output", "visibility", "status"}
RENDERED = ("report.html", "gradescope.json")
CLASS_FILES = ("index.html", "grades.csv", "results.json", "junit.xml")


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, SubmissionResult]]:
    out = tmp_path_factory.mktemp("graded")
    results = api.grade([SUBMISSIONS / n for n in NAMES], out, jobs=2)
    return out, {r.submission: r for r in results}


def test_batch_writes_every_file(graded: tuple[Path, dict[str, SubmissionResult]]) -> None:
    out, results = graded
    for name in CLASS_FILES:
        assert (out / name).stat().st_size > 0
    for sid in results:
        for name in ("result.json", *RENDERED):
            assert (out / sid / name).stat().st_size > 0
    assert (out / "correct" / "first_layer.npz").exists()


def test_every_stored_result_names_its_assignment(
        graded: tuple[Path, dict[str, SubmissionResult]]) -> None:
    """Graded and ungradable results alike: reports draw that assignment's figures."""
    out, results = graded
    assert {r.status for r in results.values()} == {"graded", "error"}
    for sid in results:
        stored = json.loads((out / sid / "result.json").read_text(encoding="utf-8"))
        assert stored["info"][ASSIGNMENT] == load_rubric().kind


@pytest.mark.parametrize("kind", [*pack_names(), None])
def test_a_report_draws_only_its_assignments_figures(
        graded: tuple[Path, dict[str, SubmissionResult]], kind: str | None) -> None:
    """The two-layer net's first-layer weights beside a result are drawn for that
    assignment, and for a result stored before results named theirs (None), only."""
    out, results = graded
    info = {k: v for k, v in results["correct"].info.items() if k != ASSIGNMENT}
    result = replace(results["correct"], info=info if kind is None else {**info, ASSIGNMENT: kind})
    alts = [image.alt for image in report_figures(result, out / "correct")]
    drawn = any("first-layer weight" in alt for alt in alts)
    assert drawn == (kind in (None, load_rubric().kind))


def test_gradescope_has_the_documented_fields_and_adds_up(
        graded: tuple[Path, dict[str, SubmissionResult]]) -> None:
    out, results = graded
    for sid, result in results.items():
        data = json.loads((out / sid / "gradescope.json").read_text())
        assert set(data) == TOP_FIELDS
        assert data["visibility"] in VISIBILITIES and data["stdout_visibility"] in VISIBILITIES
        assert isinstance(data["execution_time"], int)
        tests = data["tests"]
        for test in tests:
            assert set(test) == TEST_FIELDS
            assert test["visibility"] in VISIBILITIES
            assert test["status"] == ("passed" if test["score"] == test["max_score"] > 0
                                      else "failed")
        assert data["score"] == pytest.approx(sum(t["score"] for t in tests))
        assert data["score"] == pytest.approx(result.score)
        assert sum(t["max_score"] for t in tests) == pytest.approx(result.max_score)
        assert [t["number"] for t in tests] == [str(i) for i in range(1, len(tests) + 1)]
        hidden = {t["name"] for t in tests if t["visibility"] == "hidden"}
        assert hidden == {f"{c.title} ({c.id})" for c in result.checks if not c.visible}
        assert f"{result.score:g} / {result.max_score:g}" in data["output"]
    untouched = json.loads((out / "untouched_template" / "gradescope.json").read_text())
    assert "NotImplementedError" in untouched["tests"][0]["output"]
    assert "Traceback" in untouched["tests"][0]["output"]


def test_junit_counts_match_the_results(graded: tuple[Path, dict[str, SubmissionResult]]) -> None:
    out, results = graded
    root = ET.parse(out / "junit.xml").getroot()
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == set(results)
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for sid, result in results.items():
        suite = suites[sid]
        statuses = [c.status for c in result.checks]
        expected = {"tests": len(statuses), "failures": statuses.count("fail"),
                    "errors": statuses.count("error"), "skipped": statuses.count("skipped")}
        found = {"tests": len(suite.findall("testcase")),
                 "failures": len(suite.findall("testcase/failure")),
                 "errors": len(suite.findall("testcase/error")),
                 "skipped": len(suite.findall("testcase/skipped"))}
        assert found == expected
        assert {k: int(suite.get(k, "-1")) for k in expected} == expected
        for key in totals:
            totals[key] += expected[key]
    assert {k: int(root.get(k, "-1")) for k in totals} == totals
    assert totals["failures"] > 0 and totals["errors"] > 0
    errors = suites["untouched_template"].findall("testcase/error")
    assert errors[0].get("type") == "NotImplementedError"
    assert "Traceback" in (errors[0].text or "")
    failure = suites["forward_missing_b1"].find("testcase[@name='scores']/failure")
    assert failure is not None and "b1 and b2" in (failure.text or "")


def test_junit_escapes_markup_and_control_characters() -> None:
    nasty = 'bad <tag> & "quotes" \x1b[31mred\x1b[0m \x00 done'
    check = CheckResult("loss", "fail", 0.0, 10.0, True, nasty, title="Loss")
    crash = CheckResult("scores", "error", 0.0, 10.0, True, "raised",
                        error=StudentError("ValueError", nasty, f"Traceback: {nasty}"))
    text = junit_xml([SubmissionResult("a<&>b", "graded", (check, crash))])
    root = ET.fromstring(text)
    suite = root.find("testsuite")
    assert suite is not None and suite.get("name") == "a<&>b"
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None and failure.text is not None
    assert failure.text.startswith('bad <tag> & "quotes" \\x1b[31mred') and "\\x00" in failure.text
    error = root.find("testsuite/testcase/error")
    assert error is not None and "Traceback" in (error.text or "")


def test_csv_round_trips(graded: tuple[Path, dict[str, SubmissionResult]],
                         rubric: Rubric) -> None:
    out, results = graded
    text = (out / "grades.csv").read_bytes().decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    ids = [c.id for c in rubric.checks]
    assert rows[0] == ["submission", "score", "max_score", "status", *ids]
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    assert buffer.getvalue() == text
    records = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["submission"] for r in records] == list(NAMES)
    for record in records:
        result = results[record["submission"]]
        assert float(record["score"]) == pytest.approx(result.score)
        assert float(record["max_score"]) == pytest.approx(result.max_score)
        assert sum(float(record[i] or 0) for i in ids) == pytest.approx(result.score)
        assert record["status"] == result.status
    assert float(records[1]["scores"]) == 0 and float(records[0]["scores"]) == 10


def test_github_step_summary_and_annotations(graded: tuple[Path, dict[str, SubmissionResult]],
                                             tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    out, results = graded
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    summary = tmp_path / "step_summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    render_all(copy)
    text = summary.read_text()
    assert text.startswith("earlier step\n")
    assert "| Submission | Score | Status | Checks failed |" in text
    row = next(line for line in text.splitlines() if line.startswith("| forward_missing_b1 "))
    assert "60 / 100" in row and "scores" in row and "grad_W1" in row
    one = step_summary([results["forward_missing_b1"]])
    assert "| Forward pass: class scores (`scores`) | **failed** | 0 / 10 |" in one

    lines = github_annotations(list(results.values()))
    pattern = re.compile(r"^::error file=([^,:]+),line=(\d+),title=([^,:]+)::(.+)$")
    parsed = [pattern.match(line) for line in lines]
    assert all(parsed) and not any("\n" in line for line in lines)
    places = {(m.group(3).split("%3A")[0], m.group(1), int(m.group(2))) for m in parsed if m}
    syntax = results["python2_print_statement"].check("init").error
    loss = results["untouched_template"].check("loss").error
    assert syntax is not None and loss is not None and syntax.lineno and loss.lineno
    assert ("python2_print_statement", "neural_net.py", syntax.lineno) in places
    assert ("untouched_template", "neural_net.py", loss.lineno) in places
    assert {p[0] for p in places} == {"python2_print_statement", "untouched_template"}
    loss_line = next(line for line in lines if f"line={loss.lineno}," in line)
    assert "%2C grad_W1%2C" in loss_line  # the checks failing there are named together
    prefixed = github_annotations([results["python2_print_statement"]], base="students/ada")
    assert prefixed[0].startswith(
        f"::error file=students/ada/neural_net.py,line={syntax.lineno},")


def test_student_view_hides_invisible_checks_and_hidden_values(
        graded: tuple[Path, dict[str, SubmissionResult]]) -> None:
    out, results = graded
    result = results["forward_missing_b1"]
    folder = out / "forward_missing_b1"
    teacher = render_report(result, folder)
    student = render_report(result, folder, student=True)
    assert 'id="check-stability"' in teacher and 'id="check-stability"' not in student
    assert "Numerical stability" not in student
    assert teacher.count('class="matrix"') > 0 and student.count('class="matrix"') == 0
    assert "1 check only your instructor sees is not shown" in student

    view = student_view(result)
    assert [c.id for c in view.checks] == [c.id for c in result.checks if c.visible]
    for check in view.checks:
        for case in check.metrics.get("cases", []):
            if case.get("hidden"):
                assert set(case) <= HIDDEN_CASE_KEYS
                assert "ok" in case
    scores = result.check("scores").metrics["cases"]
    hidden = next(c for c in scores if c["hidden"])
    values = [v for row in hidden["expected"] for v in row][:10]
    for value in values:
        shown = {fmt(value, d) for d in range(4, 13)}
        assert any(s in teacher for s in shown)
        assert not any(s in student for s in shown)
    assert "(N=11, D=14, H=15, C=7)</th>" in teacher
    assert "(N=11, D=14, H=15, C=7)</th>" not in student


def test_report_shows_the_students_traceback(
        graded: tuple[Path, dict[str, SubmissionResult]]) -> None:
    out, _ = graded
    html = (out / "untouched_template" / "report.html").read_text()
    assert "Your code's traceback" in html
    assert "raise NotImplementedError(&#34;TwoLayerNet.loss" in html
    broken = (out / "python2_print_statement" / "report.html").read_text()
    assert "This submission could not be graded" in broken and "SyntaxError" in broken


def test_render_all_rerenders_from_stored_results(
        graded: tuple[Path, dict[str, SubmissionResult]], tmp_path: Path) -> None:
    out, results = graded
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    before = {sid: (copy / sid / "gradescope.json").read_text() for sid in results}
    for sid in results:
        for name in RENDERED:
            (copy / sid / name).unlink()
    for name in CLASS_FILES:
        (copy / name).unlink()
    render_all(copy, student_view=True, jobs=2)  # a process pool, as for a large class
    for name in CLASS_FILES:
        assert (copy / name).stat().st_size > 0
    for sid in results:
        assert (copy / sid / "gradescope.json").read_text() == before[sid]
        report = (copy / sid / "report.html").read_text()
        assert "Student view" in report and 'id="check-stability"' not in report
    stored = json.loads((copy / "results.json").read_text())
    assert [r["submission"] for r in stored] == sorted(results)
    assert stored == [json.loads(results[sid].dumps()) for sid in sorted(results)]
    assert "forward_missing_b1/report.html" in (copy / "index.html").read_text()
    render_all(copy)
    assert 'id="check-stability"' in (copy / "correct" / "report.html").read_text()


def test_render_all_needs_stored_results(tmp_path: Path) -> None:
    with pytest.raises(SubmissionError, match="no stored results"):
        render_all(tmp_path)


def test_first_layer_figure_draws_a_bounded_number_of_tiles(tmp_path: Path) -> None:
    """A network that claims far more hidden units than anyone trains is drawn in part:
    the parent's memory and the report's size stay bounded."""
    import numpy as np

    from grader.assignments.two_layer_net.figures import MAX_TILES, first_layer_weights

    shape = (8, 8)
    hidden = MAX_TILES + 7
    W1 = np.random.default_rng(0).standard_normal((shape[0] * shape[1], hidden))
    np.savez_compressed(tmp_path / "first_layer.npz", W1=W1, image_shape=np.array(shape))
    image = first_layer_weights(tmp_path)
    assert image is not None
    assert f"first {MAX_TILES} of the {hidden}" in image.alt
    drawn = first_layer_weights_of(tmp_path, W1[:, :MAX_TILES], shape)
    assert (image.width, image.height) == (drawn.width, drawn.height)



def test_first_layer_file_keeps_only_what_the_report_draws(tmp_path: Path) -> None:
    """The stored weights are cut to the tiles drawn, and the figure still says how many
    hidden units the network had."""
    import numpy as np

    from grader.assignments.two_layer_net.artifacts import save_first_layer
    from grader.datasets import load_dataset
    from grader.assignments.two_layer_net.figures import MAX_TILES, first_layer_weights

    digits = load_dataset(None)
    hidden = MAX_TILES + 50
    W1 = np.ones((int(np.prod(digits.image_shape)), hidden))
    save_first_layer(tmp_path, {"run.W1": W1}, digits)
    # declared: cleared before grading again, copied for a duplicate submission
    assert {p.name for p in tmp_path.iterdir()} <= set(kept_files())
    with np.load(tmp_path / "first_layer.npz", allow_pickle=False) as npz:
        assert npz["W1"].shape == (W1.shape[0], MAX_TILES)
    image = first_layer_weights(tmp_path)
    assert image is not None and f"first {MAX_TILES} of the {hidden}" in image.alt


def test_the_report_package_names_no_assignment() -> None:
    """Reports draw a pack's figures from its declarations: no parameter, class, module or
    kept file of an assignment is named in grader/report."""
    import grader.report
    from grader.checkdef import pack

    names = {"W1", "TwoLayerNet", "two_layer_net", "neural_net", "softmax", "Softmax",
             *kept_files(), *(c for kind in pack_names() for c in pack(kind).checks
                              if c.startswith("grad_"))}
    for path in Path(grader.report.__file__).parent.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not [n for n in names if re.search(rf"\b{re.escape(n)}\b", text)], path.name

def first_layer_weights_of(folder: Path, W1: Any, shape: tuple[int, int]) -> Image:
    """The figure of exactly ``W1`` (written into a fresh sub-folder of ``folder``)."""
    import numpy as np

    from grader.assignments.two_layer_net.figures import first_layer_weights

    own = folder / "exact"
    own.mkdir()
    np.savez_compressed(own / "first_layer.npz", W1=W1, image_shape=np.array(shape))
    image = first_layer_weights(own)
    assert image is not None
    return image
