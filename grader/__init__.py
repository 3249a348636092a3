"""grader: sandboxed, automated grading of the two-layer neural network assignment."""

from __future__ import annotations

from .api import check, format_table, grade
from .errors import (
    DataError,
    GraderError,
    ReleaseError,
    RubricError,
    SandboxError,
    SandboxTimeout,
    SubmissionError,
)
from .results import CheckResult, StudentError, SubmissionResult
from .rubric import Rubric, load_rubric

__all__ = [
    "CheckResult",
    "DataError",
    "GraderError",
    "ReleaseError",
    "Rubric",
    "RubricError",
    "SandboxError",
    "SandboxTimeout",
    "StudentError",
    "SubmissionError",
    "SubmissionResult",
    "check",
    "format_table",
    "grade",
    "load_rubric",
]
