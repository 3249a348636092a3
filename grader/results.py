"""Frozen result types, and their JSON form.

A :class:`SubmissionResult` is what grading one submission produces. It is
plain data: reporters (terminal table, JSON, CSV, HTML) read it and never
change it. Totals are computed from the checks, never stored separately.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Literal, Mapping

CheckStatus = Literal["pass", "fail", "error", "skipped"]
SubmissionStatus = Literal["graded", "error"]

Metrics = Mapping[str, Any]
"""JSON-compatible measurements of one check (numbers, strings, lists, dicts)."""

# Strings from student code (messages, tracebacks, cell excerpts, outputs) are
# capped, so that one result stays small whatever the student does.
MAX_TEXT = 2_000
"""Characters of an exception message, a file name, a metric string."""
MAX_MESSAGE = 4_000
"""Characters of a check's message (it may quote the student's error)."""
MAX_TRACEBACK = 16_000
"""Characters of a traceback."""
MAX_ITEMS = 100
"""Items of a list or mapping in metrics and info; deeper than 8 levels is cut."""
MAX_RESULT_BYTES = 1_000_000
"""The most one ``result.json`` may hold; above it, metrics and tracebacks are cut further."""


def cap(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, saying how many more there were."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"


def plain(value: Any, limit: int = MAX_TEXT, depth: int = 8) -> Any:
    """``value`` as bounded JSON data: strings capped, non-finite numbers as strings
    (``"nan"``, ``"inf"``), at most :data:`MAX_ITEMS` items per container."""
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return cap(value, limit)
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:  # numpy scalars
        return plain(value.item(), limit, depth)
    if depth <= 0:
        return cap(repr(value), 200)
    if isinstance(value, Mapping):
        items = list(value.items())
        out = {cap(str(k), 200): plain(v, limit, depth - 1) for k, v in items[:MAX_ITEMS]}
        if len(items) > MAX_ITEMS:
            out["…"] = f"({len(items) - MAX_ITEMS} more items)"
        return out
    if isinstance(value, (list, tuple)):
        kept = [plain(v, limit, depth - 1) for v in value[:MAX_ITEMS]]
        return kept + ([f"… ({len(value) - MAX_ITEMS} more items)"]
                       if len(value) > MAX_ITEMS else [])
    return cap(str(value), limit)


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

    def to_json(self, shrink: int = 1) -> dict[str, Any]:
        """JSON data, strings capped (``shrink`` divides the caps)."""
        return {
            "type": cap(self.type, MAX_TEXT // shrink),
            "message": cap(self.message, MAX_TEXT // shrink),
            "traceback": cap(self.traceback, MAX_TRACEBACK // shrink),
            "filename": None if self.filename is None else cap(self.filename, MAX_TEXT // shrink),
            "lineno": self.lineno,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StudentError:
        filename, lineno = data.get("filename"), data.get("lineno")
        return cls(
            type=cap(str(data.get("type", "")), MAX_TEXT),
            message=cap(str(data.get("message", "")), MAX_TEXT),
            traceback=cap(str(data.get("traceback", "")), MAX_TRACEBACK),
            filename=cap(str(filename), MAX_TEXT) if filename is not None else None,
            lineno=lineno if isinstance(lineno, int) and not isinstance(lineno, bool) else None,
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

    def to_json(self, shrink: int = 1) -> dict[str, Any]:
        """JSON data that always serialises: strings capped, numbers finite or strings."""
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "score": plain(self.score),
            "max_score": plain(self.max_score),
            "visible": self.visible,
            "message": cap(self.message, MAX_MESSAGE // shrink),
            "metrics": plain(dict(self.metrics), MAX_TEXT // shrink) if shrink == 1 else
            {"cut": "metrics left out: this result was too large"},
            "error": self.error.to_json(shrink) if self.error else None,
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


ASSIGNMENT = "assignment"
"""The ``info`` key naming the assignment pack (the rubric's ``kind``) that graded a result:
its reports draw that pack's figures."""


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
    """Facts about the submission: files found, data set, rubric name, and under
    :data:`ASSIGNMENT` the assignment pack that graded it (absent in older results)."""

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

    def to_json(self, shrink: int = 1) -> dict[str, Any]:
        """JSON data that always serialises, and stays under :data:`MAX_RESULT_BYTES`
        once written (``shrink`` divides the caps of every string)."""
        return {
            "submission": self.submission,
            "status": self.status,
            "score": plain(self.score),
            "max_score": plain(self.max_score),
            "checks": [c.to_json(shrink) for c in self.checks],
            "error": None if self.error is None else cap(self.error, MAX_MESSAGE // shrink),
            "info": plain(dict(self.info), MAX_TEXT // shrink),
            "timing": plain(dict(self.timing)),
        }

    def bounded(self) -> SubmissionResult:
        """The same result as it will be stored: strings capped, numbers finite."""
        return SubmissionResult.from_json(json.loads(self.dumps()))

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
        text = json.dumps(self.to_json(), indent=2, sort_keys=True, allow_nan=False)
        if len(text.encode("utf-8")) > MAX_RESULT_BYTES:
            text = json.dumps(self.to_json(shrink=8), indent=2, sort_keys=True, allow_nan=False)
        return text
