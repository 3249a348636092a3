"""Similarity: disguised copies are found, independent solutions and the starter code are not."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Callable

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.similarity import DEFAULT_THRESHOLD, Comparison, default_template, run_similarity
from grader.similarity.fingerprint import segments_of
from grader.similarity.normalize import Defined, normalize
from grader.similarity.report import MAX_WIDTH
from grader.similarity.sources import MAX_FILE, Source, SubmissionCode, submission_code

from .conftest import FIXTURES, REFERENCE
from .similarity_variants import (
    add_dead_code,
    as_notebook,
    change_comments,
    disguise,
    rename_identifiers,
    reorder_methods,
)

INDEPENDENT = sorted((FIXTURES / "similarity").glob("*.py"))
"""Correct solutions written independently of each other and of the reference."""
STARTER = default_template() / "cs231n" / "classifiers" / "neural_net.py"
DISGUISES: dict[str, Callable[[str], str]] = {
    "renamed": lambda s: rename_identifiers(s, seed=3),
    "reordered": lambda s: reorder_methods(s, seed=1),
    "comments": change_comments,
    "dead_code": add_dead_code,
    "all_at_once": lambda s: disguise(s, seed=5),
}


def make_class(folder: Path, extra: dict[str, str] | None = None) -> Path:
    """A class: the reference, the independent solutions, two starter-only submissions."""
    folder.mkdir(parents=True)
    (folder / "ref.py").write_text(REFERENCE.read_text())
    for path in INDEPENDENT:
        (folder / path.name).write_text(path.read_text())
    starter = STARTER.read_text()
    (folder / "starter_a.py").write_text(starter)
    (folder / "starter_b.py").write_text(starter.replace(
        "self.params = {}", "self.params = {}\n        scale = std", 1))
    for name, text in (extra or {}).items():
        (folder / name).write_text(text)
    return folder


def score(result: Comparison, a: str, b: str) -> float:
    return next((p.score for p in result.pairs if {p.a, p.b} == {a, b}), 0.0)


def assert_only_pair_above(result: Comparison, a: str, b: str) -> None:
    assert score(result, a, b) > result.threshold
    assert [{p.a, p.b} for p in result.above()] == [{a, b}]


def test_the_independent_solutions_are_correct() -> None:
    """They are genuine solutions: loss, gradients, training and predictions match the reference."""
    import importlib.util

    import numpy as np

    def load(path: Path) -> object:
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 5)), rng.integers(0, 3, 40)
    assert len(INDEPENDENT) >= 4
    for path in [REFERENCE, *INDEPENDENT]:
        np.random.seed(1)
        net = load(path).TwoLayerNet(5, 4, 3, std=0.5)  # type: ignore[attr-defined]
        np.random.seed(2)
        history = net.train(X, y, X, y, num_iters=20, batch_size=10)
        loss, grads = net.loss(X, y, reg=0.1)
        if path == REFERENCE:
            expected = (history, loss, grads, net.predict(X))
            continue
        assert np.allclose(history["loss_history"], expected[0]["loss_history"]), path.name
        assert np.isclose(loss, expected[1]), path.name
        assert all(np.allclose(grads[k], expected[2][k]) for k in grads), path.name
        assert np.array_equal(net.predict(X), expected[3]), path.name


@pytest.mark.parametrize("base", ["ref.py", *(p.name for p in INDEPENDENT)])
@pytest.mark.parametrize("disguise_name", sorted(DISGUISES))
def test_disguised_copy_is_found_and_nothing_else(tmp_path: Path, base: str,
                                                  disguise_name: str) -> None:
    folder = make_class(tmp_path / "subs")
    copy = DISGUISES[disguise_name]((folder / base).read_text())
    (folder / "copier.py").write_text(copy)
    result = run_similarity(folder, tmp_path / "out")
    assert_only_pair_above(result, "copier", Path(base).stem)


@pytest.mark.parametrize("base", ["ref.py", "loops.py"])
def test_notebook_copy_of_a_module_is_found(tmp_path: Path, base: str) -> None:
    folder = make_class(tmp_path / "subs")
    (folder / "copier.ipynb").write_text(as_notebook(disguise((folder / base).read_text())))
    result = run_similarity(folder, tmp_path / "out")
    assert_only_pair_above(result, "copier", Path(base).stem)


def test_independent_solutions_and_starter_code_stay_below(tmp_path: Path) -> None:
    result = run_similarity(make_class(tmp_path / "subs"), tmp_path / "out")
    assert result.above() == []
    names = ["ref", *(p.stem for p in INDEPENDENT)]
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert score(result, a, b) <= DEFAULT_THRESHOLD, (a, b)
    assert score(result, "starter_a", "starter_b") == 0.0
    assert len(result.kept["starter_a"]) == 0  # every line of it is starter code
    assert result.starter_fingerprints > 0


def test_a_passage_in_more_than_m_submissions_is_common(tmp_path: Path) -> None:
    """Seven copies of one solution: beyond M = 5 their code counts as common (MOSS's rule)."""
    copies = {f"copy{i}.py": rename_identifiers(REFERENCE.read_text(), seed=i) for i in range(6)}
    folder = make_class(tmp_path / "subs", copies)
    common = run_similarity(folder, tmp_path / "out")
    assert common.common_limit == 5
    assert common.above() == [] and common.common_fingerprints > 0
    raised = run_similarity(folder, tmp_path / "out2", common_limit=10)
    assert len(raised.above()) == 7 * 6 // 2
    cli = CliRunner().invoke(main, ["similarity", str(folder), "--out", str(tmp_path / "out3"),
                                    "--common-limit", "10"], catch_exceptions=False)
    assert cli.exit_code == 0 and cli.output.startswith(f"{len(raised.above())} of ")
    stored = json.loads((tmp_path / "out3" / "similarity.json").read_text(encoding="utf-8"))
    assert stored["common_limit"] == 10


def test_known_solutions_are_compared_with_submissions_not_each_other(tmp_path: Path) -> None:
    folder = make_class(tmp_path / "subs", {"copier.py": disguise(INDEPENDENT[0].read_text())})
    known = tmp_path / "online"
    known.mkdir()
    for name in ("first.py", "same_again.py"):
        (known / name).write_text(INDEPENDENT[0].read_text())
    result = run_similarity(folder, tmp_path / "out", against=[known])
    assert result.known == ("online/first", "online/same_again")
    assert not any(p.a.startswith("online/") for p in result.pairs)
    found = {(p.a, p.b) for p in result.above() if p.known}
    base = INDEPENDENT[0].stem
    assert found == {(s, k) for s in (base, "copier") for k in result.known}


def test_outputs_agree_and_say_it_is_not_a_verdict(tmp_path: Path) -> None:
    folder = make_class(tmp_path / "subs", {"copier.py": disguise(REFERENCE.read_text())})
    code = CliRunner().invoke(main, ["similarity", str(folder), "--out", str(tmp_path / "out"),
                                     "--threshold", "0.6"], catch_exceptions=False)
    assert code.exit_code == 0, code.output
    data = json.loads((tmp_path / "out" / "similarity.json").read_text())
    assert data["threshold"] == 0.6 and data["above_threshold"] == 1
    assert sum(data["histogram"]["counts"]) == data["pairs_compared"] == 8 * 7 // 2
    with (tmp_path / "out" / "similarity.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["a"], r["b"], float(r["score"])) for r in rows] == [
        (p["a"], p["b"], p["score"]) for p in data["pairs"]]
    html = (tmp_path / "out" / "similarity.html").read_text()
    assert "evidence for a person to review, never a verdict" in html
    assert 'id="pair-1"' in html and 'id="pair-2"' not in html


def test_real_subprocess(tmp_path: Path) -> None:
    folder = make_class(tmp_path / "subs", {"copier.py": disguise(REFERENCE.read_text())})
    proc = subprocess.run([sys.executable, "-m", "grader", "similarity", str(folder), "--out",
                           str(tmp_path / "out")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("1 of 28 pairs above")


def test_grade_runs_it_and_the_summary_links_it(tmp_path: Path) -> None:
    folder = tmp_path / "subs"
    folder.mkdir()
    (folder / "good.py").write_text(REFERENCE.read_text())
    (folder / "copier.py").write_text(disguise(REFERENCE.read_text()))
    skipped = CliRunner().invoke(main, ["grade", str(folder), "--out", str(tmp_path / "a"),
                                        "--no-similarity"], catch_exceptions=False)
    assert skipped.exit_code == 0 and not (tmp_path / "a" / "similarity.html").exists()
    assert "similarity.html" not in (tmp_path / "a" / "index.html").read_text()
    graded = CliRunner().invoke(main, ["grade", str(folder), "--out", str(tmp_path / "b")],
                                catch_exceptions=False)
    assert graded.exit_code == 0 and "Similarity: 1 of 1 pairs above" in graded.output
    index = (tmp_path / "b" / "index.html").read_text()
    assert 'href="similarity.html"' in index and "<strong>1</strong> pair above" in index
    html = (tmp_path / "b" / "similarity.html").read_text()
    assert 'href="good/report.html"' in html and 'href="copier/report.html"' in html
    rendered = CliRunner().invoke(main, ["report", str(tmp_path / "b")], catch_exceptions=False)
    assert rendered.exit_code == 0 and 'href="similarity.html"' in (
        tmp_path / "b" / "index.html").read_text()
    assert "Out of date" not in (tmp_path / "b" / "index.html").read_text()
    # a late submission graded without the similarity step: the old report no longer covers it
    (folder / "late.py").write_text(REFERENCE.read_text())
    again = CliRunner().invoke(main, ["grade", str(folder), "--out", str(tmp_path / "b"),
                                      "--no-similarity"], catch_exceptions=False)
    assert again.exit_code == 0
    assert "Out of date" in (tmp_path / "b" / "index.html").read_text()


# Normalisation


def tokens(text: str, unused: set[str] | None = None) -> list[tuple[str, ...]]:
    return [s.tokens for s in normalize(text, defined=Defined(), unused=unused)]


def test_comments_docstrings_names_and_layout_do_not_count() -> None:
    a = 'def f(x):\n    """Doc."""\n    total = x + 1  # add one\n    return total\n'
    b = "def f(value):\n    # nothing to see\n    out = value \\\n        +   1\n\n    return out\n"
    assert tokens(a) == tokens(b)
    assert "S" not in tokens(a)[0] and "V" in tokens(a)[0]


def test_meaningful_names_are_kept() -> None:
    (first,) = tokens("import numpy as xx\ndef f(a):\n    return xx.maximum(0, a).sum()\n")[1:]
    assert ("numpy", ".", "maximum") == first[first.index("numpy"):first.index("numpy") + 3]
    assert "sum" in first and "return" in first


def test_dead_code_is_dropped_only_when_asked() -> None:
    text = ("def f(x):\n    if False:\n        x = x * 7\n    return x\n    x = x + 5\n\n"
            "def unused(y):\n    return y * 9\n")
    dropped = [t for s in tokens(text, unused={"unused"}) for t in s]
    assert "7" not in dropped and "5" not in dropped and "9" not in dropped
    kept = [t for s in tokens(text) for t in s]
    assert {"7", "5", "9"} <= set(kept)


def test_each_function_is_its_own_segment() -> None:
    text = REFERENCE.read_text()
    code = SubmissionCode("a", (Source("m.py", (text,)),))
    moved = SubmissionCode("b", (Source("m.py", (reorder_methods(text, seed=1),)),))
    keep = frozenset({"train"})
    segments = [s.tokens for s in segments_of(code, keep=keep)[0][0]]
    assert sorted(segments) == sorted(s.tokens for s in segments_of(moved, keep=keep)[0][0])
    assert len(segments) >= 4


# Reading hostile files


def test_links_fifos_and_huge_files_are_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.py"
    secret.write_text("TOKEN = 'do not read'\n")
    for name in ("linked", "fifo", "huge"):
        (tmp_path / name).mkdir()
    (tmp_path / "linked" / "neural_net.py").symlink_to(secret)
    os.mkfifo(tmp_path / "fifo" / "neural_net.py")
    with (tmp_path / "huge" / "neural_net.py").open("wb") as f:
        f.truncate(MAX_FILE + 1)
    for name in ("linked", "fifo", "huge"):
        assert submission_code(tmp_path / name).sources == (), name


def test_zip_submission_is_read_in_memory(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "student.zip", "w") as z:
        z.writestr("cs231n/classifiers/neural_net.py", REFERENCE.read_text())
        z.writestr("two_layer_net.ipynb", as_notebook("x = 1"))
    code = submission_code(tmp_path / "student.zip")
    assert code.id == "student"
    assert [s.label for s in code.sources] == ["cs231n/classifiers/neural_net.py",
                                               "two_layer_net.ipynb"]
    assert code.sources[0].parts == (REFERENCE.read_text(),)
    assert "x = 1" in code.sources[1].parts and all("%" not in p for p in code.sources[1].parts)


def test_long_lines_are_cut_on_the_page(tmp_path: Path) -> None:
    long_line = f"BANNER = '{'z' * 5000}'\n"
    folder = make_class(tmp_path / "subs", {"copier.py": disguise(REFERENCE.read_text())
                                            + long_line})
    (folder / "ref.py").write_text(REFERENCE.read_text() + long_line)
    run_similarity(folder, tmp_path / "out")
    html = (tmp_path / "out" / "similarity.html").read_text()
    shown = MAX_WIDTH - len("BANNER = '")
    assert "z" * shown in html and "z" * (shown + 1) not in html


@pytest.mark.parametrize("path", [REFERENCE, *INDEPENDENT], ids=lambda p: p.stem)
def test_disguised_copies_still_work(path: Path) -> None:
    """The disguises keep the code a working solution: a copy, not a different program."""
    import types

    import numpy as np

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 5)), rng.integers(0, 3, 40)
    outcomes = []
    for text in (path.read_text(), disguise(path.read_text(), seed=5)):
        module = types.ModuleType("disguised")
        exec(compile(text, str(path), "exec"), module.__dict__)  # our own fixture code
        np.random.seed(1)
        net = module.TwoLayerNet(5, 4, 3, std=0.5)
        np.random.seed(2)
        history = net.train(X, y, X, y, num_iters=20, batch_size=10)
        outcomes.append([net.loss(X, y=y, reg=0.1)[0], *history["loss_history"]])
    assert text != path.read_text()
    assert np.allclose(outcomes[0], outcomes[1])
