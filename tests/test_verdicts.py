"""Each known mistake loses points in the checks it owns, only there, and is named.

The fixtures are generated from the mistake library: the reference plus one
mistake each (see tests/fixtures/make_submissions.py); the failing checks
expected of each are the ones its library entry declares.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest

from grader.api import grade
from grader.assignments.two_layer_net.mistakes import MISTAKES, VARIANTS
from grader.mistakes import Mistake
from grader.pipeline import grade_submission
from grader.needs import probe_of
from grader.results import SubmissionResult
from grader.checkdef import pack
from grader.rubric import Rubric
from grader.session import Session

from .conftest import REFERENCE, SUBMISSIONS

BY_ID = {m.id: m for m in MISTAKES}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SubmissionResult]:
    """Every fixture graded once, two at a time."""
    out = tmp_path_factory.mktemp("verdicts")
    return {r.submission: r for r in grade(SUBMISSIONS, out, jobs=2)}


def not_passing(result: SubmissionResult) -> set[str]:
    return {c.id for c in result.checks if c.status not in ("pass", "skipped")}


def module_checks(rubric: Rubric) -> set[str]:
    return {c.id for c in rubric.checks if probe_of(rubric, c.id) is not None}


def test_reference_gets_full_marks(session: Session, rubric: Rubric) -> None:
    result = grade_submission(REFERENCE, session)
    assert result.status == "graded"
    assert not_passing(result) == set()
    assert result.score == result.max_score == sum(
        c.points for c in rubric.checks if c.id in module_checks(rubric))
    assert {c.id for c in result.checks if c.status == "skipped"} == {"notebook_runs", "best_net"}


def test_the_library_is_big_and_well_formed(rubric: Rubric) -> None:
    assert len(MISTAKES) >= 30
    assert len(BY_ID) == len(MISTAKES)
    for mistake in MISTAKES:
        assert mistake.checks and set(mistake.checks) <= module_checks(rubric), mistake.id
    source = rubric.reference.read_text(encoding="utf-8")
    for mistake in MISTAKES + VARIANTS:
        assert mistake.apply(source) != source


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.id)
def test_mistake_fails_exactly_its_checks(mistake: Mistake,
                                          results: dict[str, SubmissionResult]) -> None:
    result = results[mistake.id]
    assert result.status == mistake.status, result.error
    assert not_passing(result) == set(mistake.checks)
    for check in result.checks:
        if check.id in mistake.checks:
            assert check.score == 0 and check.message
        elif check.status != "skipped":
            assert check.score == check.max_score


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.id)
def test_failing_checks_name_the_mistake(mistake: Mistake,
                                         results: dict[str, SubmissionResult]) -> None:
    named = {c.id: c.mistake for c in results[mistake.id].checks if c.id in mistake.checks}
    assert named == {c: mistake.id for c in mistake.checks}


def test_almost_every_failing_check_is_named(results: dict[str, SubmissionResult]) -> None:
    failing = [(r.submission, c) for r in results.values() for c in r.checks
               if c.status in ("fail", "error") and r.submission in BY_ID]
    unnamed = [f"{name}:{c.id}" for name, c in failing if c.mistake != name]
    assert len(failing) > len(MISTAKES)
    assert len(unnamed) <= 0.05 * len(failing), unnamed


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda m: m.id)
def test_valid_variant_scores_full_marks(variant: Mistake,
                                         results: dict[str, SubmissionResult]) -> None:
    result = results[variant.id]
    assert not_passing(result) == set()
    assert result.score == result.max_score > 0


def test_correct_copy_scores_full_marks(results: dict[str, SubmissionResult]) -> None:
    assert not_passing(results["correct"]) == set()
    assert all(c.mistake is None for c in results["correct"].checks)


def test_untouched_template_scores_zero_with_not_implemented(
        results: dict[str, SubmissionResult], rubric: Rubric) -> None:
    result = results["untouched_template"]
    assert result.score == 0
    graded = [c for c in result.checks if c.status != "skipped"]
    assert {c.id for c in graded} == module_checks(rubric)
    assert all("not implemented" in c.message.lower() for c in graded)
    assert all(c.mistake and c.mistake.endswith("_not_implemented") for c in graded)


def test_tracebacks_show_the_students_frames_only(
        results: dict[str, SubmissionResult]) -> None:
    """The grader's own frames (its child and the packs' child-side probes) are trimmed:
    the first frame a student sees is their own file's."""
    errors = [c.error for c in results["untouched_template"].checks if c.error is not None]
    assert errors
    for error in errors:
        frames = re.findall(r'File "([^"]+)"', error.traceback)
        assert frames and frames[0] == error.filename, error.traceback
        assert "grader" not in error.traceback, error.traceback


def test_python2_is_said_once_at_the_top(results: dict[str, SubmissionResult]) -> None:
    result = results["python2_print_statement"]
    assert result.status == "error"
    assert result.error is not None and "Python 2" in result.error
    assert "print statement at line" in result.error
    first = result.checks[0]
    assert first.error is not None and first.error.lineno is not None and first.error.lineno > 0
    assert "Python 2" not in first.message and "Not graded" in first.message


@pytest.mark.parametrize(("name", "check_id", "words"), [
    ("loss_summed_not_averaged", "loss", "summed over the N examples"),
    ("reg_product", "loss", "multiplies sum(W1**2) by sum(W2**2)"),
    ("half_reg_convention", "loss", "0.5 * reg"),
    ("bias_reg_in_loss", "loss", "biases are regularized"),
    ("bias_grad_shape_1xH", "grad_b1", "shape (1, "),
    ("matrix_bias_grad", "grad_b1", "np.matrix"),
    ("softmax_no_max_shift", "stability", "maximum"),
    ("lr_decay_every_iteration", "train", "once per epoch"),
    ("predict_returns_scalar", "predict", "single value"),
    ("init_ignores_std", "init", "std"),
    ("init_offsets_biases", "init", "zero"),
    ("forward_missing_b1", "scores", "b1 and b2"),
    ("relu_mask_missing", "grad_W1", "backward pass itself is wrong"),
    ("half_reg_convention", "grad_W1", "right for the loss you compute"),
    ("biases_never_updated", "train", "b1 and b2 are never updated in train()"),
    ("predict_omits_b2", "predict", "leaves out b2"),
    ("predict_relu_on_scores", "predict", "ReLU to the output scores"),
    ("relu_mask_missing", "grad_W1", "ReLU was inactive"),
    ("biases_regularized_half_reg", "loss", "biases are not regularized"),
])
def test_failure_message_names_the_mistake(name: str, check_id: str, words: str,
                                           results: dict[str, SubmissionResult]) -> None:
    assert words in results[name].check(check_id).message


@pytest.mark.parametrize(("name", "check_id", "code"), [
    ("predict_returns_scalar", "predict", "return np.argmax(scores)"),
    ("grad_W1_gets_W2_reg", "grad_W1", 'grads["W1"] = X.T.dot(dhidden)'),
    ("predict_omits_b2", "predict", 'scores = hidden.dot(self.params["W2"])'),
])
def test_failure_message_quotes_the_students_line(name: str, check_id: str, code: str,
                                                  results: dict[str, SubmissionResult]) -> None:
    check = results[name].check(check_id)
    line = check.metrics["line"]
    source = (SUBMISSIONS / name / "neural_net.py").read_text().splitlines()
    assert code in source[line["lineno"] - 1] and code in line["text"]
    assert f"line {line['lineno']}" in check.message


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


def test_check_ids_are_known() -> None:
    for mistake in MISTAKES:
        assert set(mistake.checks) <= set(pack("two_layer_net").checks)


def test_class_summary_groups_failures_by_mistake(results: dict[str, SubmissionResult]) -> None:
    from grader.report.summary import summarize

    chosen = [results[n] for n in ("relu_mask_missing", "bias_reg_in_loss", "correct")]
    # a second student with the same mistake, and one with an unnamed failure
    unnamed = replace(results["bias_reg_in_loss"], submission="other")
    unnamed = replace(unnamed, checks=tuple(replace(c, mistake=None) for c in unnamed.checks))
    twin = replace(results["relu_mask_missing"], submission="twin")
    summary = summarize([*chosen, twin, unnamed])
    by_mistake = {f.mistake: f for f in summary.failures if f.mistake}
    relu = by_mistake["relu_mask_missing"]
    assert relu.count == 2 and set(relu.examples) == {"relu_mask_missing", "twin"}
    assert relu.check == "grad_W1, grad_b1" and "ReLU was inactive" in relu.text
    assert "your line" not in relu.text
    plain = [f for f in summary.failures if f.mistake is None]
    assert [(f.check, f.count, f.examples) for f in plain] == [("loss", 1, ("other",))]


def test_accuracy_is_judged_against_the_reference_trained_identically(
        results: dict[str, SubmissionResult], tmp_path: object) -> None:
    from pathlib import Path

    from grader.rubric import load_rubric

    from .conftest import write_rubric
    metrics = results["correct"].check("accuracy").metrics
    # the grader's own training of the reference reproduces the child's exactly
    assert metrics["val_accuracy"] == metrics["reference_accuracy"]
    reference = metrics["reference_accuracy"]
    tolerance = metrics["reference_tolerance"]
    threshold = (reference + 1.0) / 2  # out of reach: only the reference rule can pass
    path = write_rubric(Path(str(tmp_path)), replace={
        "threshold = 0.85": f"threshold = {threshold}"})
    with Session(load_rubric(path), check_ids=("accuracy",)) as s:
        same = grade_submission(SUBMISSIONS / "minibatch_permutation", s).check("accuracy")
        worse = grade_submission(SUBMISSIONS / "sgd_step_uphill", s).check("accuracy")
    assert same.status == "pass" and f"{reference:.3f}" in same.message
    assert worse.status == "fail"
    assert f"{reference:.3f}" in worse.message and f"{reference - tolerance:.3f}" in worse.message
