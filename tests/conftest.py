"""Shared fixtures: the shipped rubric, one grading session per test module, and the
builds (release folder, student and instructor wheels in fresh venvs), made once per run."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from grader.release import Release, release
from grader.rubric import Rubric, load_rubric
from grader.session import Session

from .fixtures.make_submissions import write_submissions
from .venvs import build_instructor_wheel, fresh_venv

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
PACK = ROOT / "grader" / "assignments" / "two_layer_net"
RUBRIC_PATH = PACK / "rubric.toml"
REFERENCE = PACK / "reference" / "neural_net.py"
REFERENCE_NOTEBOOK = PACK / "reference" / "two_layer_net.ipynb"
TEMPLATE = PACK / "student_template"
EXAMPLES = PACK / "examples"
PUBLIC_SEED = 1
"""The student build's seed in the tests (the rubric's hidden seed is another)."""
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


@pytest.fixture(scope="session")
def released(tmp_path_factory: pytest.TempPathFactory) -> Release:
    """``grader release`` of the shipped pack: starter, self-check bundle, student wheel.

    With a fixed public seed, so that the student build's verdicts are reproducible
    (a release made without one draws a fresh seed)."""
    return release(tmp_path_factory.mktemp("release") / "out", public_seed=PUBLIC_SEED)


@pytest.fixture(scope="session")
def student_bin(released: Release, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``bin`` folder of a fresh venv holding the student wheel."""
    return fresh_venv(tmp_path_factory.mktemp("student") / "venv", released.wheel)


@pytest.fixture(scope="session")
def instructor_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_instructor_wheel(ROOT, tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="session")
def instructor_bin(instructor_wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``bin`` folder of a fresh venv holding the instructor wheel."""
    return fresh_venv(tmp_path_factory.mktemp("instructor") / "venv", instructor_wheel)


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
