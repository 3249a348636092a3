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

from .conftest import EXAMPLES, REFERENCE, SUBMISSIONS, write_rubric


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


def test_a_renamed_rubric_keeps_its_packs_mistakes(tmp_path: Path) -> None:
    """The library is the pack's (the rubric's kind), whatever the course calls the rubric."""
    path = write_rubric(tmp_path, replace={'name = "two_layer_net"': 'name = "cs231n_2024"'})
    renamed = load_rubric(path)
    library = library_for(renamed)
    assert library is not None and library.mistakes == mistakes_of(renamed.kind)


def test_diagnosis_degrades_to_no_mistake_without_a_library(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import grader.mistakes

    monkeypatch.setattr(grader.mistakes, "_pack_mistakes", lambda assignment: None)
    copied = tmp_path / REFERENCE.name  # another reference: not the library cached before
    copied.write_text(REFERENCE.read_text(encoding="utf-8"), encoding="utf-8")
    other = dataclasses.replace(load_rubric(), reference=copied)
    assert mistakes_of(other.kind) is None and library_for(other) is None
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


def test_the_library_makes_each_mistake_in_its_own_file() -> None:
    """An assignment of several course files: each mistake is made in the file it names,
    and the pack's ``load_mutant`` loads the files together."""
    from grader.assignments.softmax import mistakes as softmax_mistakes
    from grader.assignments.softmax.modules import CLASSIFIER_FILE, CourseModules

    rubric = load_rubric("softmax")
    library = library_for(rubric)
    assert library is not None
    assert set(library.modules) == {m.id for m in softmax_mistakes.MISTAKES}
    assert {m.file for m in softmax_mistakes.MISTAKES} == set(rubric.modules)
    classifier = next(m for m in softmax_mistakes.MISTAKES if m.file == CLASSIFIER_FILE)
    assert isinstance(library.modules[classifier.id], CourseModules)


def test_a_mistake_that_stops_the_import_is_found_in_its_own_file(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import grader.mistakes
    from grader.assignments.softmax.mistakes import _UPDATE
    from grader.assignments.softmax.modules import CLASSIFIER_FILE

    rubric = load_rubric("softmax")
    broken = Mistake("update_cut_short", ("train",), "line {lineno} is cut short.",
                     ((_UPDATE, _UPDATE.split("*")[0] + "*"),), status="error",
                     file=CLASSIFIER_FILE)
    monkeypatch.setattr(grader.mistakes, "mistakes_of", lambda assignment: (broken,))
    source = (rubric.reference.parent / CLASSIFIER_FILE).read_text(encoding="utf-8")
    with pytest.raises(SyntaxError) as error:
        compile(broken.apply(source), CLASSIFIER_FILE, "exec", dont_inherit=True)
    assert grader.mistakes.import_mistake(rubric, "SyntaxError", error.value.msg) is broken
