"""Each known Softmax mistake loses points in the checks it owns, only there, and is named.

The fixtures are generated from the pack's mistake library (the reference
plus one mistake each, tests/fixtures/make_softmax_submissions.py) and graded
once, in one batch through the real sandbox; the failing checks expected of
each are the ones its library entry declares, the points the rubric's.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from grader.api import grade
from grader.assignments.softmax.mistakes import MISTAKES, VARIANTS, apply_mistake
from grader.assignments.softmax.modules import CLASSIFIER_FILE, LOSS_FILE, reference_sources
from grader.mistakes import Mistake
from grader.needs import probe_of
from grader.report.summary import summarize
from grader.results import SubmissionResult
from grader.rubric import Rubric, load_rubric
from grader.terminal import format_table

from .fixtures.make_softmax_submissions import COURSE, write_softmax_submissions

KIND = "softmax"
TWO = ("naive_loss_not_averaged", "update_sign")
"""Two mistakes in one submission, one in each course file (folder ``two_mistakes``)."""
BY_ID = {m.id: m for m in MISTAKES}


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    return load_rubric(KIND)


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(submissions, out): every fixture graded once, two at a time."""
    subs, out = tmp_path_factory.mktemp("softmax-subs"), tmp_path_factory.mktemp("softmax-out")
    write_softmax_submissions(subs)
    files = reference_sources()
    for mistake_id in TWO:
        files = apply_mistake(files, BY_ID[mistake_id])
    (subs / "two_mistakes" / COURSE).mkdir(parents=True)
    for name, source in files.items():
        (subs / "two_mistakes" / COURSE / name).write_text(source, encoding="utf-8")
    grade(subs, out, rubric=KIND, jobs=2)
    return subs, out


@pytest.fixture(scope="module")
def results(graded: tuple[Path, Path]) -> dict[str, SubmissionResult]:
    folders = [p for p in graded[1].iterdir() if (p / "result.json").is_file()]
    return {p.name: SubmissionResult.from_json(json.loads((p / "result.json").read_text()))
            for p in folders}


def module_checks(rubric: Rubric) -> set[str]:
    return {c.id for c in rubric.checks if probe_of(rubric, c.id) is not None}


def not_passing(result: SubmissionResult) -> set[str]:
    return {c.id for c in result.checks if c.status not in ("pass", "skipped")}


def full_marks(rubric: Rubric) -> float:
    return sum(c.points for c in rubric.checks if c.id in module_checks(rubric))


def test_every_fixture_is_graded(results: dict[str, SubmissionResult]) -> None:
    expected = {"correct", "untouched_template", "two_mistakes"} | {
        m.id for m in MISTAKES + VARIANTS}
    assert set(results) == expected
    assert all(r.status == "graded" for r in results.values())


def test_the_library_is_big_and_well_formed(rubric: Rubric) -> None:
    assert len({m.id for m in MISTAKES + VARIANTS}) == len(MISTAKES + VARIANTS)
    assert {m.file for m in MISTAKES} == {LOSS_FILE, CLASSIFIER_FILE}
    for mistake in MISTAKES:
        assert mistake.checks and set(mistake.checks) <= module_checks(rubric), mistake.id
        assert mistake.method, mistake.id


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.id)
def test_mistake_fails_exactly_its_checks(mistake: Mistake, rubric: Rubric,
                                          results: dict[str, SubmissionResult]) -> None:
    result = results[mistake.id]
    assert not_passing(result) == set(mistake.checks), {c.id: c.message for c in result.checks}
    lost = sum(rubric.check(c).points for c in mistake.checks)
    assert result.score == full_marks(rubric) - lost
    assert result.max_score == full_marks(rubric)  # no notebook: its checks count 0 of 0


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.id)
def test_failing_checks_name_the_mistake(mistake: Mistake,
                                         results: dict[str, SubmissionResult]) -> None:
    named = {c.id: c.mistake for c in results[mistake.id].checks if c.status != "pass"
             and c.status != "skipped"}
    assert named == {c: mistake.id for c in mistake.checks}


def _line(subs: Path, name: str, line: dict[str, Any]) -> str:
    lines = (subs / name / COURSE / line["file"]).read_text(encoding="utf-8").splitlines()
    return lines[line["lineno"] - 1].strip()


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.id)
def test_message_names_the_mistake_and_quotes_the_line(
        mistake: Mistake, graded: tuple[Path, Path],
        results: dict[str, SubmissionResult]) -> None:
    subs, out = graded
    for check in results[mistake.id].checks:
        if check.id not in mistake.checks:
            continue
        assert f"Likely cause: {mistake.explanation}" in check.message
        if not mistake.line:
            assert "line" not in check.metrics
            continue
        line = check.metrics["line"]
        assert line["file"] == mistake.file
        quoted = _line(subs, mistake.id, line)
        assert re.search(mistake.line, quoted) and quoted.startswith(line["text"].rstrip("."))
        assert f"your line {line['lineno']}: `{line['text']}` in {mistake.file}" in check.message
        report = (out / mistake.id / "report.html").read_text(encoding="utf-8")
        assert f"your line {line['lineno']}" in report


def test_the_class_summary_and_the_terminal_show_the_mistake(
        graded: tuple[Path, Path], results: dict[str, SubmissionResult]) -> None:
    everything = summarize(list(results.values()), top=len(results) * len(MISTAKES))
    groups = {f.mistake for f in everything.failures}
    assert groups == {m.id for m in MISTAKES}  # every failure is grouped under its mistake
    index = (graded[1] / "index.html").read_text(encoding="utf-8")
    shown = summarize(list(results.values())).failures
    assert shown and all(f"<code>{f.mistake}</code>" in index for f in shown)
    for mistake in MISTAKES:
        assert f"mistake: {mistake.id}" in format_table(results[mistake.id], width=200)


@pytest.mark.parametrize("name", ["correct", *(v.id for v in VARIANTS)])
def test_reference_and_valid_variants_get_full_marks_and_no_mistake(
        name: str, rubric: Rubric, results: dict[str, SubmissionResult]) -> None:
    result = results[name]
    assert not_passing(result) == set(), {c.id: c.message for c in result.checks}
    assert result.score == full_marks(rubric)
    assert all(c.mistake is None for c in result.checks)


def test_untouched_template_is_named_not_implemented_where_it_raises(
        rubric: Rubric, results: dict[str, SubmissionResult]) -> None:
    result = results["untouched_template"]
    assert result.score == 0
    assert not_passing(result) == module_checks(rubric)
    for check in result.checks:
        if check.id in module_checks(rubric):
            assert check.mistake and check.mistake.endswith("_not_implemented"), check.id
            # the function the mistake leaves out is the one the student's exception names
            assert re.search(rf"\b{BY_ID[check.mistake].method}\b", check.message), check.message


def test_two_mistakes_in_two_files_are_each_named_on_their_own_line(
        results: dict[str, SubmissionResult]) -> None:
    result = results["two_mistakes"]
    owners = {c: m for m in TWO for c in BY_ID[m].checks}
    assert len(owners) == sum(len(BY_ID[m].checks) for m in TWO)  # no check shared
    assert not_passing(result) == set(owners)
    for check in result.checks:
        if check.id in owners:
            mistake = BY_ID[owners[check.id]]
            assert check.mistake == mistake.id
            assert check.metrics["line"]["file"] == mistake.file
