"""Frozen result types, and their JSON form.

A :class:`SubmissionResult` is what grading one submission produces. It is
plain data: reporters (terminal table, JSON, CSV, HTML) read it and never
change it. Totals are computed from the checks, never stored separately.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal, Mapping

CheckStatus = Literal["pass", "fail", "error", "skipped"]
SubmissionStatus = Literal["graded", "error"]

Metrics = Mapping[str, Any]
"""JSON-compatible measurements of one check (numbers, strings, lists, dicts)."""


@dataclass(frozen=True)
class StudentError:
    """An exception raised by student code, carried across the sandbox as data."""

    type: str
    """The exception's class name, e.g. ``"ValueError"``."""
    message: str
    """``str()`` of the exception."""
    traceback: str
    """The traceback with the grader's own frames trimmed."""
    filename: str | None = None
    """The student's file where the error happened, relative to the submission."""
    lineno: int | None = None
    """The line in :attr:`filename`, when known."""

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "message": self.message,
            "traceback": self.traceback,
            "filename": self.filename,
            "lineno": self.lineno,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StudentError:
        return cls(
            type=str(data["type"]),
            message=str(data["message"]),
            traceback=str(data.get("traceback", "")),
            filename=data.get("filename"),
            lineno=data.get("lineno"),
        )

    def summary(self) -> str:
        """One line: where and what."""
        where = f"{self.filename}:{self.lineno}: " if self.filename and self.lineno else ""
        return f"{where}{self.type}: {self.message}"


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one check on one submission."""

    id: str
    """The check id from the rubric (``scores``, ``loss``, ``grad_W1``, ...)."""
    status: CheckStatus
    """``pass``, ``fail`` (wrong answer), ``error`` (the code raised, crashed or
    timed out) or ``skipped`` (not run)."""
    score: float
    """Points earned."""
    max_score: float
    """Points available."""
    visible: bool
    """Whether students may see this check."""
    message: str
    """What happened, in a sentence or two, with a hint when it failed."""
    metrics: Metrics = field(default_factory=dict)
    """Measurements: errors against tolerances, shapes, per-case details."""
    title: str = ""
    """A human-readable name of the check."""
    error: StudentError | None = None
    """The student's exception, when their code raised."""
    mistake: str | None = None
    """The id of the known mistake that explains a failure, when one matches."""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "score": self.score,
            "max_score": self.max_score,
            "visible": self.visible,
            "message": self.message,
            "metrics": dict(self.metrics),
            "error": self.error.to_json() if self.error else None,
            "mistake": self.mistake,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CheckResult:
        error = data.get("error")
        return cls(
            id=str(data["id"]),
            title=str(data.get("title", "")),
            status=data["status"],
            score=float(data["score"]),
            max_score=float(data["max_score"]),
            visible=bool(data["visible"]),
            message=str(data["message"]),
            metrics=dict(data.get("metrics") or {}),
            error=StudentError.from_json(error) if error else None,
            mistake=str(data["mistake"]) if data.get("mistake") else None,
        )


@dataclass(frozen=True)
class SubmissionResult:
    """Everything grading one submission found."""

    submission: str
    """The submission's id (its file or folder name)."""
    status: SubmissionStatus
    """``graded``, or ``error`` when the submission could not be graded at all."""
    checks: tuple[CheckResult, ...]
    """One result per rubric check, in rubric order."""
    error: str | None = None
    """Why the submission could not be graded (``status == "error"``)."""
    timing: Mapping[str, float] = field(default_factory=dict)
    """Wall seconds per stage; the only part that differs between two runs."""
    info: Mapping[str, Any] = field(default_factory=dict)
    """Facts about the submission: files found, data set, rubric name."""

    @property
    def score(self) -> float:
        return round(sum(c.score for c in self.checks), 6)

    @property
    def max_score(self) -> float:
        return round(sum(c.max_score for c in self.checks), 6)

    @property
    def passed(self) -> bool:
        """True when every check that ran passed."""
        return self.status == "graded" and all(
            c.status in ("pass", "skipped") for c in self.checks
        )

    def check(self, check_id: str) -> CheckResult:
        """The result of one check, by id."""
        for c in self.checks:
            if c.id == check_id:
                return c
        raise KeyError(check_id)

    def for_students(self) -> SubmissionResult:
        """The same result without the checks hidden from students."""
        visible = tuple(c for c in self.checks if c.visible)
        return SubmissionResult(
            self.submission, self.status, visible, self.error, self.timing, self.info
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "submission": self.submission,
            "status": self.status,
            "score": self.score,
            "max_score": self.max_score,
            "checks": [c.to_json() for c in self.checks],
            "error": self.error,
            "info": dict(self.info),
            "timing": dict(self.timing),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SubmissionResult:
        return cls(
            submission=str(data["submission"]),
            status=data["status"],
            checks=tuple(CheckResult.from_json(c) for c in data["checks"]),
            error=data.get("error"),
            timing=dict(data.get("timing") or {}),
            info=dict(data.get("info") or {}),
        )

    def dumps(self) -> str:
        """Stable JSON text (sorted keys) for files."""
        return json.dumps(self.to_json(), indent=2, sort_keys=True, allow_nan=False)
