"""The mistake library: patches that survive comment lines, and diagnosis that degrades quietly."""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

import pytest

from grader.assignments.two_layer_net.mistakes import MISTAKES, VARIANTS
from grader.errors import MistakeError
from grader.mistakes import Mistake, library_for, mistakes_of
from grader.pipeline import grade_submission
from grader.rubric import Rubric, load_rubric
from grader.session import Session

from .conftest import EXAMPLES, SUBMISSIONS, write_rubric


def without_markers(source: str) -> str:
    """The reference with its solution-marker lines taken out."""
    return "".join(line for line in source.splitlines(keepends=True)
                   if not re.fullmatch(r"\s*### (BEGIN|END) (SOLUTION|STUDENT)\s*", line))


@pytest.mark.parametrize("mistake", MISTAKES + VARIANTS, ids=lambda m: m.id)
def test_patches_apply_with_comment_lines_around_the_code(mistake: Mistake,
                                                          rubric: Rubric) -> None:
    marked = rubric.reference.read_text(encoding="utf-8")
    source = without_markers(marked)
    assert marked.count("### BEGIN SOLUTION") >= 5 and "### BEGIN" not in source
    plain, commented = mistake.apply(source), mistake.apply(marked)
    if mistake.status == "graded":
        assert ast.dump(ast.parse(plain)) == ast.dump(ast.parse(commented))
    else:
        assert commented != marked


def test_a_patch_that_no_longer_applies_is_an_error(rubric: Rubric) -> None:
    source = rubric.reference.read_text(encoding="utf-8")
    gone = Mistake("gone", ("loss",), "x", (("this text is not in the reference", "y"),))
    twice = Mistake("twice", ("loss",), "x", (("self.params", "y"),))
    comment = Mistake("comment", ("loss",), "x", (("# Shifting", "y"),))
    for mistake in (gone, twice, comment):
        with pytest.raises(MistakeError):
            mistake.apply(source)


def test_code_quoted_in_a_comment_is_neither_counted_nor_changed() -> None:
    source = ("def f(n):\n    # e.g. x = g(n) as the TODO says\n    x = g(n)\n    return x\n")
    patched = Mistake("m", ("loss",), "x", (("x = g(n)", "x = h(n)"),)).apply(source)
    assert patched == source.replace("    x = g(n)\n", "    x = h(n)\n")
    only_comment = Mistake("c", ("loss",), "x", (("as the TODO", "y"),))
    with pytest.raises(MistakeError, match="only inside comments"):
        only_comment.apply(source)


def test_diagnosis_degrades_to_no_mistake_without_a_library(tmp_path: Path) -> None:
    path = write_rubric(tmp_path, replace={'name = "two_layer_net"': 'name = "no_such_pack"'})
    other = load_rubric(path)
    assert mistakes_of(other.name) is None and library_for(other) is None
    with Session(other, check_ids=("scores", "predict")) as session:
        result = grade_submission(SUBMISSIONS / "predict_omits_b2", session)
    predict = result.check("predict")
    assert predict.status == "fail" and predict.mistake is None
    assert "Likely cause" not in predict.message


def test_no_library_without_the_reference(rubric: Rubric, tmp_path: Path) -> None:
    missing = dataclasses.replace(rubric, reference=tmp_path / "absent.py")
    assert library_for(missing) is None


@pytest.mark.parametrize("mistake", [m for m in MISTAKES if m.line], ids=lambda m: m.id)
def test_each_mistake_points_at_a_line_of_its_method(mistake: Mistake) -> None:
    from grader.explain import _methods, find_line

    module = SUBMISSIONS / mistake.id / "neural_net.py"
    found = find_line(_methods(module, "TwoLayerNet"), mistake.method, mistake.line)
    assert found is not None
    lineno, text = found
    assert module.read_text(encoding="utf-8").splitlines()[lineno - 1].strip().startswith(
        text.removesuffix("..."))


def test_the_demo_students_mistakes_are_named(tmp_path: Path) -> None:
    """The demo submissions are written in their own styles, not patched from the reference."""
    from grader.api import grade
    entries = [p for p in sorted(EXAMPLES.iterdir())
               if not (p.is_dir() and any(p.rglob("*.ipynb")))]
    results = grade(entries, tmp_path, jobs=2)
    failing = [(r.submission, c) for r in results for c in r.checks
               if c.status in ("fail", "error")]
    assert len(failing) >= 5
    assert [f"{name}:{c.id}" for name, c in failing if c.mistake is None] == []
