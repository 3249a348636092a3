"""Notebook submissions run with a real kernel in the sandbox and are graded from what they left."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Iterator

import nbformat
import pytest

from grader.api import grade
from grader.notebook_layout import course_files, lay_out, notebook_def
from grader.notebook_run import module_from_notebook, read_notebook, shell_cells
from grader.pipeline import grade_submission
from grader.resources import pack_names
from grader.results import SubmissionResult
from grader.rubric import load_rubric
from grader.session import Session

from .conftest import FIXTURES, REFERENCE, REFERENCE_NOTEBOOK, TEMPLATE, write_rubric

NOTEBOOKS = FIXTURES / "notebooks"
MODULE_CHECKS = {"init", "scores", "loss", "grad_W1", "grad_b1", "grad_W2", "grad_b2",
                 "stability", "train", "predict", "accuracy"}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, SubmissionResult]]:
    tmp = tmp_path_factory.mktemp("notebooks")
    rubric = write_rubric(tmp, replace={"cell_timeout = 120.0": "cell_timeout = 5.0"})
    results = grade(NOTEBOOKS, tmp / "out", rubric=rubric, jobs=2)
    yield {r.submission: r for r in results}


def statuses(result: SubmissionResult) -> dict[str, str]:
    return {c.id: c.status for c in result.checks}


def test_good_notebook_gets_full_marks(graded: dict[str, SubmissionResult]) -> None:
    result = graded["good"]
    assert result.score == result.max_score == load_rubric().max_score
    best = result.check("best_net").metrics
    assert best["val_accuracy"] >= 0.85 and best["own_predict_val_accuracy"] == best["val_accuracy"]


@pytest.mark.parametrize(("name", "words"), [
    ("invalid_json", "not valid notebook JSON"),
    ("old_nbformat", "notebook format 3, too old"),
    ("r_kernel", "must be a Python 3 notebook"),
])
def test_unreadable_notebook_is_explained_and_module_still_graded(
        graded: dict[str, SubmissionResult], name: str, words: str) -> None:
    result = graded[name]
    assert result.status == "graded"
    assert words in result.check("notebook_runs").message
    assert result.check("notebook_runs").status == "fail"
    assert all(statuses(result)[c] == "pass" for c in MODULE_CHECKS)


def test_failing_cell_reported_with_index_excerpt_and_traceback(
        graded: dict[str, SubmissionResult]) -> None:
    check = graded["fails_midway"].check("notebook_runs")
    assert check.status == "error"
    assert "cell 4" in check.message and "undefined_name + 1" in check.message
    assert check.error is not None and check.error.type == "NameError"
    assert "undefined_name" in check.error.traceback
    assert "\x1b[" not in check.error.traceback
    # what was defined before the failure is still graded
    assert graded["fails_midway"].check("best_net").status == "pass"


def test_endless_cell_is_stopped_and_grading_continues(graded: dict[str, SubmissionResult]) -> None:
    result = graded["endless_cell"]
    assert result.check("notebook_runs").status == "error"
    assert "limit of 5" in result.check("notebook_runs").message
    assert result.check("best_net").status == "pass"
    assert result.timing["notebook"] < 60


def test_dead_kernel_is_reported(graded: dict[str, SubmissionResult]) -> None:
    result = graded["kills_kernel"]
    assert "kernel died" in result.check("notebook_runs").message
    assert result.check("best_net").status == "fail"
    assert "the Python kernel died before best_net could be read" in \
        result.check("best_net").message
    assert all(statuses(result)[c] == "pass" for c in MODULE_CHECKS)


def test_shell_escapes_run_in_the_sandbox_and_are_named(
        graded: dict[str, SubmissionResult]) -> None:
    check = graded["shell_escapes"].check("notebook_runs")
    assert check.status == "pass"
    assert "Shell commands in cells 2, 5 were run inside the sandbox" in check.message


def test_huge_output_is_capped(graded: dict[str, SubmissionResult], tmp_path: Path) -> None:
    assert graded["huge_output"].check("notebook_runs").status == "pass"
    assert len(graded["huge_output"].dumps()) < 200_000


def test_class_defined_in_notebook_gets_module_checks(graded: dict[str, SubmissionResult]) -> None:
    result = graded["class_in_notebook"]
    assert result.score == result.max_score
    assert result.info["module"] == "two_layer_net.ipynb (class defined in the notebook)"


def test_unsupported_printed_accuracy_is_flagged(graded: dict[str, SubmissionResult]) -> None:
    check = graded["claims_too_much"].check("best_net")
    claims = {c["kind"]: c for c in check.metrics["claims"]}
    assert claims["validation"]["claimed"] == 1.0 and claims["validation"]["supported"] is False
    assert claims["test"]["supported"] is True
    assert "Flagged: the notebook printed validation accuracy 1" in check.message


def test_reference_notebook_full_marks_and_template_zero(tmp_path: Path) -> None:
    ref = tmp_path / "ref"
    (ref / "cs231n" / "classifiers").mkdir(parents=True)
    shutil.copyfile(REFERENCE_NOTEBOOK, ref / "two_layer_net.ipynb")
    shutil.copyfile(REFERENCE, ref / "cs231n" / "classifiers" / "neural_net.py")
    with Session(load_rubric()) as session:
        reference = grade_submission(ref, session, artifacts=tmp_path / "artifacts")
        template = grade_submission(TEMPLATE, session)
    assert reference.score == reference.max_score == load_rubric().max_score, reference.dumps()
    assert (tmp_path / "artifacts" / "executed.ipynb").exists()
    assert len(list((tmp_path / "artifacts" / "figures").glob("*.png"))) >= 3
    assert template.score == 0
    assert "NotImplementedError" in template.check("notebook_runs").message
    assert all("not implemented" in template.check(c).message.lower() for c in MODULE_CHECKS)


def test_lone_notebook_file_defining_the_class(tmp_path: Path) -> None:
    lone = tmp_path / "student42.ipynb"
    shutil.copyfile(NOTEBOOKS / "class_in_notebook" / "two_layer_net.ipynb", lone)
    with Session(load_rubric(), check_ids=("scores", "notebook_runs")) as session:
        result = grade_submission(lone, session)
    assert result.submission == "student42"
    assert statuses(result) == {"scores": "pass", "notebook_runs": "pass"}


def test_read_notebook_and_shell_escape_detection() -> None:
    nb, problem = read_notebook(NOTEBOOKS / "shell_escapes" / "two_layer_net.ipynb")
    assert problem is None
    assert shell_cells(nb) == (2, 5)
    forms = ["x = !ls", "%sx ls", "%system ls", "%%bash\nls", "%%sh\nls", "%%script bash\nls",
             "get_ipython().system('ls')", "y = get_ipython().getoutput('ls')",
             "get_ipython().run_cell_magic('bash', '', 'ls')", "print(1)", "a = 3 ! = 2"]
    nb.cells = [nbformat.v4.new_code_cell(f) for f in forms]
    assert shell_cells(nb) == tuple(range(9))
    nb2, problem2 = read_notebook(NOTEBOOKS / "invalid_json" / "two_layer_net.ipynb")
    assert nb2 is None and problem2 is not None


def test_module_from_notebook_keeps_definitions_only(tmp_path: Path) -> None:
    cells = ("import numpy as np\ndata = load_everything()", "%matplotlib inline\nSCALE = 2.0",
             "class TwoLayerNet:\n    pass", "from cs231n.classifiers.neural_net import X")
    path = module_from_notebook(cells, "TwoLayerNet", tmp_path / "m.py")
    assert path is not None
    text = path.read_text()
    assert "import numpy as np" in text and "SCALE = 2.0" in text and "class TwoLayerNet" in text
    assert "load_everything" not in text and "neural_net import" not in text
    assert module_from_notebook(cells[:2], "TwoLayerNet", tmp_path / "n.py") is None


def test_executed_notebook_keeps_cells_and_outputs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    grade([NOTEBOOKS / "good"], out, rubric=write_rubric(tmp_path), jobs=1)
    executed = nbformat.read(out / "good" / "executed.ipynb", as_version=4)
    original = nbformat.read(NOTEBOOKS / "good" / "two_layer_net.ipynb", as_version=4)
    assert [c.source for c in executed.cells] == [c.source for c in original.cells]
    assert any("Validation accuracy" in o.get("text", "")
               for c in executed.cells for o in c.get("outputs", []))
    assert json.loads((out / "good" / "result.json").read_text())["score"] == load_rubric().max_score


@pytest.mark.parametrize("kind", pack_names())
def test_the_notebook_is_laid_out_as_its_pack_declares(kind: str, tmp_path: Path) -> None:
    """The pack's own course files beside the notebook (no other pack's), the student's
    files where the pack puts them, and the data where the template loads it."""
    layout = notebook_def(kind)
    folder, given = tmp_path / "nb", tmp_path / "given"
    folder.mkdir()
    given.mkdir()
    notebook = folder / layout.name
    notebook.write_text("{}", encoding="utf-8")
    names = [Path(rel).name for rel in layout.student_files]
    for name in names:
        (given / name).write_text(f"# the student's {name}\n", encoding="utf-8")
    lay_out(folder, notebook, given / names[0], None, kind)
    course = course_files(kind)
    template = {(Path(layout.course) / p.relative_to(course)).as_posix(): p
                for p in course.rglob("*.py")}
    laid = {p.relative_to(folder).as_posix() for p in (folder / layout.course).rglob("*.py")}
    assert laid == set(template) | set(layout.student_files)
    for rel, source in template.items():
        if rel not in layout.student_files:
            assert (folder / rel).read_bytes() == source.read_bytes(), rel
    for rel, name in zip(layout.student_files, names):
        assert (folder / rel).read_text(encoding="utf-8") == f"# the student's {name}\n"
    assert (folder / layout.data / "digits.npz").is_file()


def test_the_kernel_extraction_keeps_the_networks_parameters() -> None:
    """The extraction runs in the student's kernel and cannot import the probe contract:
    it names the same parameters."""
    from grader.assignments.two_layer_net import outputs, tuned

    assert tuned.PARAMS == outputs.PARAMS
