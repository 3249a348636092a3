"""The Softmax pack graded end to end: real sandboxed child, student files as a package.

The reference's two course files in ``cs231n/classifiers/`` and the untouched
template, one at a time; every known mistake is graded in one batch by
tests/test_softmax_verdicts.py. Totals and expected failing checks come from
the pack's rubric and its mistake library.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest
from click.testing import CliRunner

from grader.assignments.softmax import mistakes as M
from grader.assignments.softmax.modules import reference_sources
from grader.cli import main
from grader.needs import probe_of
from grader.pipeline import grade_submission
from grader.resources import examples, student_template
from grader.results import SubmissionResult
from grader.rubric import Rubric, load_rubric
from grader.session import Session

KIND = "softmax"


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    return load_rubric(KIND)


@pytest.fixture(scope="module")
def session(rubric: Rubric) -> Iterator[Session]:
    with Session(rubric) as s:
        yield s


def _submission(folder: Path, files: dict[str, str]) -> Path:
    classifiers = folder / "cs231n" / "classifiers"
    classifiers.mkdir(parents=True)
    for name, source in files.items():
        (classifiers / name).write_text(source, encoding="utf-8")
    return folder


def module_checks(rubric: Rubric) -> set[str]:
    return {c.id for c in rubric.checks if probe_of(rubric, c.id) is not None}


def not_passing(result: SubmissionResult) -> set[str]:
    return {c.id for c in result.checks if c.status not in ("pass", "skipped")}


def test_reference_gets_full_marks(session: Session, rubric: Rubric, tmp_path: Path) -> None:
    result = grade_submission(_submission(tmp_path / "reference", reference_sources()), session)
    assert result.status == "graded", result.error
    assert not_passing(result) == set(), [c.message for c in result.checks]
    assert result.score == result.max_score == sum(
        c.points for c in rubric.checks if c.id in module_checks(rubric))


def test_untouched_template_gets_zero(session: Session, rubric: Rubric, tmp_path: Path) -> None:
    folder = tmp_path / "template"
    shutil.copytree(student_template(KIND) / "cs231n", folder / "cs231n")
    result = grade_submission(folder, session)
    assert result.status == "graded", result.error
    assert result.score == 0
    assert not_passing(result) == module_checks(rubric)
    assert all("NotImplementedError" in c.message
               for c in result.checks if c.id in module_checks(rubric))


def _rubric_with(tmp_path: Path, rubric: Rubric, check: str, options: str) -> Rubric:
    """A copy of the pack's rubric, reference made absolute, ``options`` added to ``check``."""
    text = rubric.path.read_text(encoding="utf-8")
    relative = rubric.reference.relative_to(rubric.path.parent).as_posix()
    assert f'reference = "{relative}"' in text and f"[checks.{check}]" in text
    text = text.replace(f'reference = "{relative}"', f'reference = "{rubric.reference}"')
    head, _, tail = text.partition(f"[checks.{check}]\n")
    table, _, rest = tail.partition("\n[")
    kept = [line for line in table.splitlines()
            if line.split("=")[0].strip() not in {o.split("=")[0].strip()
                                                   for o in options.splitlines()}]
    text = f"{head}[checks.{check}]\n" + "\n".join([*kept, options]) + "\n\n[" + rest
    (tmp_path / "rubric.toml").write_text(text, encoding="utf-8")
    return load_rubric(tmp_path / "rubric.toml")


def test_each_loss_probe_answers_its_own_checks_cases(rubric: Rubric, tmp_path: Path) -> None:
    """The vectorized loss asked for reg = 0 only: its own check cannot see a missing
    regularization, consistency still does (the vectorized probe answers the naive's cases)."""
    from grader.assignments.softmax import cases as C
    from grader.assignments.softmax.wiring import load_reference, own_specs
    from grader.plan import build_plan

    own = _rubric_with(tmp_path, rubric, "loss_vectorized", "hidden_cases = 3\nregs = [0.0]")
    assert own.check("loss_vectorized").options["regs"] == [0.0]
    plan = build_plan(own, load_reference(own), ("loss_naive", "loss_vectorized", "consistency"))
    args = {p.kind: p.args for p in plan.probes}
    naive = own_specs(own, "loss_naive")
    assert C.specs_of(args["softmax_naive"]) == naive
    assert C.specs_of(args["softmax_vectorized"]) == C.with_common(
        own_specs(own, "loss_vectorized"), naive)
    mistake = next(m for m in M.MISTAKES if m.id == "reg_missing_in_loss")
    with Session(own) as session:
        correct = grade_submission(_submission(tmp_path / "ok", reference_sources()), session)
        wrong = grade_submission(_submission(tmp_path / "reg", M.apply_mistake(
            reference_sources(), mistake)), session)
    assert not_passing(correct) == set()
    assert not_passing(wrong) == set(mistake.checks) - {"loss_vectorized"}
    assert wrong.check("consistency").mistake == mistake.id


def test_missing_second_file_is_an_import_error(session: Session, tmp_path: Path) -> None:
    sources = reference_sources()
    del sources["linear_classifier.py"]
    result = grade_submission(_submission(tmp_path / "lonely", sources), session)
    assert result.status == "error"
    assert "linear_classifier" in (result.error or "")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """``grader demo --rubric softmax``: the pack's examples, notebook included."""
    out = tmp_path_factory.mktemp("softmax-demo")
    shown = CliRunner().invoke(main, ["demo", "--rubric", KIND, "--out", str(out)])
    assert shown.exit_code == 0, shown.output
    return {folder.name: json.loads((folder / "result.json").read_text(encoding="utf-8"))
            for folder in out.iterdir() if (folder / "result.json").is_file()}


def _failing(result: dict[str, Any]) -> set[str]:
    return {c["id"] for c in result["checks"] if c["status"] not in ("pass", "skipped")}


def test_demo_grades_every_example(demo: dict[str, dict[str, Any]], rubric: Rubric) -> None:
    assert set(demo) == {p.name.removesuffix(".zip") for p in examples(KIND).iterdir()}
    assert _failing(demo["alice_correct"]) == set()
    assert demo["alice_correct"]["score"] == sum(
        c.points for c in rubric.checks if c.id in module_checks(rubric))
    assert demo["erin_template"]["score"] == 0
    summed = next(m for m in M.MISTAKES if m.id == "loss_not_averaged")
    assert _failing(demo["bob_loss_sum"]) == set(summed.checks)
    assert {c["mistake"] for c in demo["bob_loss_sum"]["checks"]
            if c["id"] in summed.checks} == {summed.id}


def test_notebook_example_gets_every_check(demo: dict[str, dict[str, Any]],
                                           rubric: Rubric) -> None:
    frank = demo["frank_notebook"]
    assert _failing(frank) == set()
    assert frank["score"] == rubric.max_score
    best = next(c for c in frank["checks"] if c["id"] == rubric.notebook["variable"])
    assert best["metrics"]["accuracy"] >= rubric.datasets["digits"].threshold


def test_notebook_without_best_softmax_fails_that_check(session: Session, rubric: Rubric,
                                                       tmp_path: Path) -> None:
    folder = tmp_path / "no_best"
    shutil.copytree(examples(KIND) / "frank_notebook", folder)
    notebook = folder / rubric.notebook["name"]
    text = notebook.read_text(encoding="utf-8")
    variable = rubric.notebook["variable"]
    assert variable in text
    notebook.write_text(text.replace(variable, "my_model"), encoding="utf-8")
    result = grade_submission(folder, session)
    failing = {c.id: c.message for c in result.checks if c.status != "pass"}
    assert set(failing) == {variable}
    assert "no weights W" in failing[variable]
