"""The Softmax pack's content: reference, mistakes, template and the checks' probes and judges.

Every check runs in this process on trusted variants (the reference, the
reference with one known mistake, the untouched template) through
``grader.assignments.softmax.inprocess``; the check list comes from the
pack's rubric.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader.assignments.softmax import mistakes as M
from grader.assignments.softmax.inprocess import Data, Runner, with_bias
from grader.assignments.softmax.modules import (CLASSIFIER_FILE, LOSS_FILE, CourseModules,
                                                load_reference, load_sources,
                                                reference_sources)
from grader.datasets import load_dataset
from grader.release.starter import generated_files, split_reference

PACK = Path(M.__file__).parent
RUBRIC: dict[str, Any] = tomllib.loads((PACK / "rubric.toml").read_text(encoding="utf-8"))
NOTEBOOK_CHECKS = ("notebook_runs", "best_softmax")
PURE_CHECKS = tuple(c for c in RUBRIC["checks"] if c not in NOTEBOOK_CHECKS)


@pytest.fixture(scope="module")
def runner() -> Runner:
    d = load_dataset(None)
    data = Data(with_bias(d.X_train), d.y_train, with_bias(d.X_val), d.y_val)
    return Runner(RUBRIC, load_reference(), data, RUBRIC["data"]["digits"])


def failing(verdicts: dict[str, Any]) -> set[str]:
    return {c for c, v in verdicts.items() if v.status != "pass"}


def test_rubric_declares_the_checks_the_pack_judges(runner: Runner) -> None:
    assert RUBRIC["assignment"]["kind"] == "softmax"
    assert set(runner.run(load_reference())) == set(PURE_CHECKS)
    assert all(set(m.checks) <= set(RUBRIC["checks"]) for m in M.MISTAKES)


def test_reference_passes_every_check(runner: Runner) -> None:
    verdicts = runner.run(load_reference())
    assert failing(verdicts) == set(), {c: v.message for c, v in verdicts.items()}


def test_tuned_reference_passes_best_softmax(runner: Runner) -> None:
    np.random.seed(0)
    model = load_reference().linear_classifier.Softmax()
    settings = RUBRIC["data"]["digits"]
    model.train(runner.data.X_train, runner.data.y_train, learning_rate=settings["learning_rate"],
                reg=settings["reg"], num_iters=settings["num_iters"],
                batch_size=settings["batch_size"])
    assert runner.best(model).status == "pass"
    model.W = np.zeros_like(model.W)  # every score equal: argmax picks class 0 only
    assert runner.best(model).status == "fail"


def test_half_reg_convention_is_a_rubric_choice(runner: Runner) -> None:
    half = load_reference(reg_scale=0.5)
    verdicts = runner.run(half)
    assert failing(verdicts) == {"loss_naive", "loss_vectorized", "grad_naive", "grad_vectorized"}


@pytest.mark.parametrize("mistake", M.MISTAKES, ids=lambda m: m.id)
def test_each_mistake_fails_exactly_its_checks(runner: Runner, mistake: M.Mistake) -> None:
    variant = load_sources(M.apply_mistake(reference_sources(), mistake))
    verdicts = runner.run(variant)
    assert failing(verdicts) == set(mistake.checks), {c: v.message for c, v in verdicts.items()}


def test_hidden_cases_are_deterministic_varied_and_private() -> None:
    from grader.assignments.softmax import cases

    seed, options = RUBRIC["assignment"]["seed"], RUBRIC["checks"]["loss_naive"]
    state = np.random.get_state()[1].copy()
    first = cases.loss_cases(seed, options["hidden_cases"], tuple(options["regs"]))
    again = cases.loss_cases(seed, options["hidden_cases"], tuple(options["regs"]))
    assert np.array_equal(np.random.get_state()[1], state)  # the global state is untouched
    assert all(np.array_equal(a.W, b.W) and a.reg == b.reg for a, b in zip(first, again))
    assert {c.reg for c in first} == set(options["regs"]) and 0.0 in options["regs"]
    shapes = {(c.X.shape[0], c.X.shape[1], c.W.shape[1]) for c in first}
    assert len(shapes) == len(first) and all(len(set(s)) == 3 for s in shapes)
    other = cases.loss_cases(seed + 1, options["hidden_cases"], tuple(options["regs"]))
    assert not np.array_equal(other[0].X[:2, :2], first[0].X[:2, :2])


def test_a_loss_case_is_named_by_its_number_and_reg_alone() -> None:
    """Whatever a check's hidden_cases and regs, case (j, reg) is the same case."""
    from grader.assignments.softmax import cases

    seed = RUBRIC["assignment"]["seed"]
    few = cases.loss_cases(seed, 1, [0.05])
    more = cases.loss_cases(seed, 3, [0.0, 0.05])
    assert [(c.index, c.reg) for c in more] == cases.loss_specs(3, [0.0, 0.05])
    same = more[3]
    assert (same.index, same.reg) == (few[0].index, few[0].reg)
    assert all(np.array_equal(getattr(same, k), getattr(few[0], k)) for k in ("W", "X", "y"))
    # a case of another reg, or another number, is another draw
    assert not np.array_equal(more[0].X[:1, :1], few[0].X[:1, :1])
    assert not np.array_equal(more[4].X[:1, :1], few[0].X[:1, :1])
    assert cases.with_common([(0, 0.0)], [(1, 0.0), (0, 0.0)]) == [(0, 0.0), (1, 0.0)]


def _own_loss_options(**vectorized: Any) -> dict[str, Any]:
    checks = dict(RUBRIC["checks"])
    checks["loss_vectorized"] = {**checks["loss_vectorized"], **vectorized}
    return {**RUBRIC, "checks": checks}


def test_each_loss_check_judges_its_own_cases(runner: Runner) -> None:
    """Without reg > 0 among the vectorized loss's cases its regularization goes unseen
    there, but not by consistency: the vectorized loss answers the naive's cases too."""
    rubric = _own_loss_options(hidden_cases=3, regs=[0.0])
    own = Runner(rubric, load_reference(), runner.data, RUBRIC["data"]["digits"])
    assert failing(own.run(load_reference())) == set()
    mistake = next(m for m in M.MISTAKES if m.id == "reg_missing_in_loss")
    verdicts = own.run(load_sources(M.apply_mistake(reference_sources(), mistake)))
    assert failing(verdicts) == set(mistake.checks) - {"loss_vectorized"}


def test_mistakes_are_many_and_distinct() -> None:
    ids = [m.id for m in M.MISTAKES]
    assert len(ids) == len(set(ids)) >= 12
    assert {m.file for m in M.MISTAKES + M.VARIANTS} == {LOSS_FILE, CLASSIFIER_FILE}


def _template() -> CourseModules:
    folder = PACK / "student_template" / "cs231n" / "classifiers"
    return load_sources({n: (folder / n).read_text(encoding="utf-8")
                         for n in (LOSS_FILE, CLASSIFIER_FILE)})


def test_untouched_template_raises_not_implemented_everywhere(runner: Runner) -> None:
    verdicts = runner.run(_template())
    assert {c: v.status for c, v in verdicts.items()} == {c: "error" for c in PURE_CHECKS}
    assert all("NotImplementedError" in v.message for v in verdicts.values())


def test_marked_reference_generates_the_checked_in_template() -> None:
    generated = generated_files(PACK)
    assert {p.name for p in generated.values()} == {LOSS_FILE, CLASSIFIER_FILE, "softmax.ipynb"}
    for relative, source in generated.items():
        expected = split_reference(source).starter
        assert (PACK / "student_template" / relative).read_text(encoding="utf-8") == expected


@pytest.mark.parametrize("check,needle", [
    ("loss_not_averaged", "not averaged"),
    ("reg_missing_in_loss", "regularization term is missing"),
    ("reg_missing_in_gradient", "missing from the gradient"),
    ("naive_reg_grad_factor", "2 * reg * W"),
    ("grad_not_averaged", "not averaged"),
    ("no_max_shift", "maximum"),
    ("predict_returns_scores", "scores"),
    ("reinit_every_call", "re-initialises"),
    ("update_sign", "climbs"),
    ("history_not_returned", "history"),
    ("batch_size_ignored", "batch_size"),
    ("missing_minus_one", "-1 at each example's correct class"),
    ("naive_wrong_column", "dW[:, j]"),
    ("half_reg_in_loss_only", "factor 0.5"),
])
def test_messages_name_the_mistake(runner: Runner, check: str, needle: str) -> None:
    mistake = next(m for m in M.MISTAKES if m.id == check)
    verdicts = runner.run(load_sources(M.apply_mistake(reference_sources(), mistake)))
    messages = " | ".join(verdicts[c].message for c in mistake.checks if c != "accuracy")
    assert needle in messages


def test_accuracy_of_scores_as_labels_says_so(runner: Runner) -> None:
    mistake = next(m for m in M.MISTAKES if m.id == "predict_returns_scores")
    verdict = runner.run(load_sources(M.apply_mistake(reference_sources(), mistake)))["accuracy"]
    assert verdict.status == "fail"
    assert "not one label per row" in verdict.message


# --------------------------------------------------------------------------- #
# Demo examples
# --------------------------------------------------------------------------- #

EXAMPLES = PACK / "examples"


def _sources_in(files: dict[str, str]) -> CourseModules:
    return load_sources({n: files[n] for n in (LOSS_FILE, CLASSIFIER_FILE)})


def _folder(path: Path) -> dict[str, str]:
    return {n: next(path.rglob(n)).read_text(encoding="utf-8") for n in (LOSS_FILE, CLASSIFIER_FILE)}


def test_correct_example_gets_every_check(runner: Runner) -> None:
    for name in ("alice_correct", "frank_notebook"):
        assert failing(runner.run(_sources_in(_folder(EXAMPLES / name)))) == set(), name


def test_loss_sum_example_fails_like_its_mistake(runner: Runner) -> None:
    expected = next(m for m in M.MISTAKES if m.id == "loss_not_averaged").checks
    assert failing(runner.run(_sources_in(_folder(EXAMPLES / "bob_loss_sum")))) == set(expected)


def test_template_example_is_the_untouched_template(runner: Runner) -> None:
    import zipfile

    with zipfile.ZipFile(EXAMPLES / "erin_template.zip") as archive:
        files = {Path(n).name: archive.read(n).decode("utf-8") for n in archive.namelist()}
    verdicts = runner.run(_sources_in(files))
    assert {v.status for v in verdicts.values()} == {"error"}


def test_notebook_example_runs_and_its_best_softmax_passes(runner: Runner, tmp_path: Path) -> None:
    """frank's notebook runs to the end in a real kernel next to the template's support code."""
    import shutil

    import nbformat
    from nbclient import NotebookClient

    shutil.copytree(PACK / "student_template", tmp_path, dirs_exist_ok=True)
    shutil.copytree(EXAMPLES / "frank_notebook", tmp_path, dirs_exist_ok=True)
    nb = nbformat.read(tmp_path / "softmax.ipynb", as_version=4)
    # The grader's part: bring best_softmax's weights out as plain data.
    nb.cells.append(nbformat.v4.new_code_cell("np.save('best_W.npy', best_softmax.W)"))
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    W = np.load(tmp_path / "best_W.npy", allow_pickle=False)

    class Tuned:
        pass

    best = Tuned()
    best.W = W  # type: ignore[attr-defined]
    verdict = runner.best(best)
    assert verdict.status == "pass", verdict.message
    assert verdict.metrics["accuracy"] >= RUBRIC["data"]["digits"]["threshold"]


def test_reference_notebook_is_the_one_its_cell_list_builds() -> None:
    import subprocess
    import sys

    script = Path(__file__).resolve().parent.parent / "notebooks" / "build_softmax_notebook.py"
    done = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
