"""The package exports exactly what __all__ lists, and nothing else that is public."""

from __future__ import annotations

import types

import grader


def test_all_lists_every_public_name() -> None:
    public = {name for name, value in vars(grader).items()
              if not name.startswith("_") and not isinstance(value, types.ModuleType)
              and name != "annotations"}
    assert public == set(grader.__all__)


def test_all_is_sorted_and_resolvable() -> None:
    assert list(grader.__all__) == sorted(grader.__all__)
    for name in grader.__all__:
        assert getattr(grader, name) is not None


def test_errors_form_one_hierarchy() -> None:
    for name in ("DataError", "RubricError", "SandboxError", "SandboxTimeout", "SubmissionError"):
        assert issubclass(getattr(grader, name), grader.GraderError)
    assert issubclass(grader.SandboxTimeout, TimeoutError)
    assert issubclass(grader.RubricError, ValueError)
