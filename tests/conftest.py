"""Shared fixtures: the shipped rubric, one grading session per test module."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from grader.rubric import Rubric, load_rubric
from grader.session import Session

from .fixtures.make_submissions import write_submissions

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
REFERENCE = ROOT / "reference" / "neural_net.py"
SUBMISSIONS = Path(tempfile.mkdtemp(prefix="grader-submissions-"))
"""The fixture submissions, generated from the mistake library (reference + one mistake)."""
write_submissions(SUBMISSIONS)


def pytest_sessionfinish() -> None:
    shutil.rmtree(SUBMISSIONS, ignore_errors=True)


@pytest.fixture(scope="session")
def rubric() -> Rubric:
    return load_rubric()


@pytest.fixture(scope="module")
def session(rubric: Rubric) -> Iterator[Session]:
    with Session(rubric) as s:
        yield s


def write_rubric(tmp: Path, extra: str = "", replace: dict[str, str] | None = None) -> Path:
    """A copy of the shipped rubric with text replaced or appended, reference made absolute."""
    text = (ROOT / "rubrics" / "two_layer_net.toml").read_text(encoding="utf-8")
    text = text.replace('reference = "../reference/neural_net.py"', f'reference = "{REFERENCE}"')
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp / "rubric.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path
