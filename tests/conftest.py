"""Shared fixtures: the shipped rubric, one grading session per test module."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from grader.rubric import Rubric, load_rubric
from grader.session import Session

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SUBMISSIONS = FIXTURES / "submissions"
PACK = ROOT / "grader" / "assignments" / "two_layer_net"
RUBRIC_PATH = PACK / "rubric.toml"
REFERENCE = PACK / "reference" / "neural_net.py"
REFERENCE_NOTEBOOK = PACK / "reference" / "two_layer_net.ipynb"
TEMPLATE = PACK / "student_template"
EXAMPLES = PACK / "examples"


@pytest.fixture(scope="session")
def rubric() -> Rubric:
    return load_rubric()


@pytest.fixture(scope="module")
def session(rubric: Rubric) -> Iterator[Session]:
    with Session(rubric) as s:
        yield s


def write_rubric(tmp: Path, extra: str = "", replace: dict[str, str] | None = None) -> Path:
    """A copy of the shipped rubric with text replaced or appended, reference made absolute."""
    text = RUBRIC_PATH.read_text(encoding="utf-8")
    text = text.replace('reference = "reference/neural_net.py"', f'reference = "{REFERENCE}"')
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp / "rubric.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path
