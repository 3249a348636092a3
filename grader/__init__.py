"""grader: sandboxed, automated grading of the two-layer neural network assignment."""

from __future__ import annotations

from .api import check, format_table, grade
from .checkdef import CheckDef, Option, ProbeDef, register_check, unregister_check
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
    "CheckDef",
    "CheckResult",
    "DataError",
    "GraderError",
    "Option",
    "ProbeDef",
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
    "register_check",
    "unregister_check",
]
