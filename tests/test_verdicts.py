"""Each typical student bug loses points in the check that owns it, and only there."""

from __future__ import annotations

import json
import tomllib

import pytest

from grader.api import grade
from grader.pipeline import grade_submission
from grader.results import SubmissionResult
from grader.rubric import CHECK_IDS
from grader.session import Session

from .conftest import REFERENCE, SUBMISSIONS

EXPECTED = tomllib.loads((SUBMISSIONS / "expected.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SubmissionResult]:
    """Every fixture graded once, two at a time."""
    out = tmp_path_factory.mktemp("verdicts")
    return {r.submission: r for r in grade(SUBMISSIONS, out, jobs=2)}


def not_passing(result: SubmissionResult) -> set[str]:
    return {c.id for c in result.checks if c.status not in ("pass", "skipped")}


def test_reference_gets_full_marks(session: Session) -> None:
    result = grade_submission(REFERENCE, session)
    assert result.status == "graded"
    assert not_passing(result) == set()
    assert result.score == result.max_score == 100
    assert {c.id for c in result.checks if c.status == "skipped"} == {"notebook_runs", "best_net"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_fails_exactly_its_checks(name: str,
                                          results: dict[str, SubmissionResult]) -> None:
    expected = EXPECTED[name]
    result = results[name]
    assert result.status == expected.get("status", "graded")
    assert not_passing(result) == set(expected["failing"])
    for check in result.checks:
        if check.id in expected["failing"]:
            assert check.score == 0 and check.message
        elif check.status != "skipped":
            assert check.score == check.max_score


def test_every_fixture_folder_has_an_expectation() -> None:
    folders = {p.name for p in SUBMISSIONS.iterdir() if p.is_dir()}
    assert folders == set(EXPECTED)
    for expected in EXPECTED.values():
        assert set(expected["failing"]) <= set(CHECK_IDS)


def message(result: SubmissionResult, check_id: str) -> str:
    return result.check(check_id).message


def test_untouched_template_scores_zero_with_not_implemented(
        results: dict[str, SubmissionResult]) -> None:
    result = results["untouched_template"]
    assert result.score == 0
    module_checks = [c for c in result.checks if c.status != "skipped"]
    assert len(module_checks) == 11
    assert all("not implemented" in c.message.lower() for c in module_checks)


def test_python2_syntax_reports_file_and_line(results: dict[str, SubmissionResult]) -> None:
    result = results["python2_syntax"]
    assert result.status == "error"
    assert result.error is not None and "neural_net.py:" in result.error
    assert "SyntaxError" in result.error and "print" in result.error
    first = result.checks[0].error
    assert first is not None and first.lineno is not None and first.lineno > 0


@pytest.mark.parametrize(("name", "check_id", "words"), [
    ("loss_summed_not_averaged", "loss", "summed over the N examples"),
    ("reg_product", "loss", "multiplies sum(W1**2) by sum(W2**2)"),
    ("half_reg_convention", "loss", "0.5 * reg"),
    ("bias_reg_in_loss", "loss", "biases are regularized"),
    ("bias_grad_shape_1xH", "grad_b1", "shape (1, 10)"),
    ("matrix_bias_grad", "grad_b1", "np.matrix"),
    ("softmax_no_max_shift", "stability", "maximum"),
    ("minibatch_without_replacement", "train", "WITH replacement"),
    ("lr_decay_every_iteration", "train", "once per epoch"),
    ("predict_returns_scalar", "predict", "single value"),
    ("init_ignores_std", "init", "std"),
    ("init_offsets_biases", "init", "zero"),
    ("forward_missing_b1", "scores", "b1 and b2"),
    ("relu_mask_missing", "grad_W1", "backward pass itself is wrong"),
    ("half_reg_convention", "grad_W1", "right for the loss you compute"),
])
def test_failure_message_names_the_mistake(name: str, check_id: str, words: str,
                                           results: dict[str, SubmissionResult]) -> None:
    assert words in message(results[name], check_id)


def test_grading_twice_gives_identical_json_but_timing(session: Session) -> None:
    first = grade_submission(SUBMISSIONS / "relu_mask_missing", session).to_json()
    second = grade_submission(SUBMISSIONS / "relu_mask_missing", session).to_json()
    first.pop("timing"), second.pop("timing")
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


def test_half_reg_rubric_flips_the_verdict(tmp_path: object) -> None:
    from pathlib import Path

    from grader.rubric import load_rubric

    from .conftest import write_rubric
    path = write_rubric(Path(str(tmp_path)), replace={
        'reg_convention = "reg"': 'reg_convention = "half_reg"'})
    with Session(load_rubric(path), check_ids=("loss", "grad_W1")) as s:
        half = grade_submission(SUBMISSIONS / "half_reg_convention", s)
        full = grade_submission(REFERENCE, s)
    assert not_passing(half) == set()
    assert not_passing(full) == {"loss", "grad_W1"}
