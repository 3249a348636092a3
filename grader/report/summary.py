"""Class-level numbers: pass rate per check, the most common failures, who took how long.

Computed from results without their metrics, so the class summary of a
thousand submissions needs only what fits in memory easily.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Sequence

from ..results import SubmissionResult
from .store import check_order, report_href

WHOLE_SUBMISSION = "(submission)"
"""The check column of a failure that stopped a submission from being graded at all."""
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'])")


def first_sentence(text: str) -> str:
    """The first sentence of a message (up to a full stop followed by a new sentence)."""
    first = _SENTENCE_END.split(text.strip(), maxsplit=1)[0]
    return first.splitlines()[0] if first else ""


@dataclass(frozen=True)
class CheckRate:
    """How one check went across the class."""

    id: str
    title: str
    passed: int
    failed: int
    errors: int
    skipped: int

    @property
    def ran(self) -> int:
        return self.passed + self.failed + self.errors

    @property
    def rate(self) -> float | None:
        """The share of submissions that passed, of those it ran on."""
        return self.passed / self.ran if self.ran else None


@dataclass(frozen=True)
class Failure:
    """One kind of failure: a known mistake, or a check no known mistake explains."""

    check: str
    """The check, or for a mistake the checks it failed (comma-separated)."""
    text: str
    """The mistake's explanation, or the first sentence of the check's message."""
    count: int
    examples: tuple[str, ...]
    """A few submissions that failed this way."""
    mistake: str | None = None
    """The known mistake's id, when the failures are grouped by one."""


@dataclass(frozen=True)
class StudentRow:
    submission: str
    href: str
    score: float
    max_score: float
    status: str
    failed: tuple[str, ...]
    seconds: float | None


@dataclass(frozen=True)
class ClassSummary:
    """What the class summary page shows."""

    rows: tuple[StudentRow, ...]
    rates: tuple[CheckRate, ...]
    failures: tuple[Failure, ...]
    failure_kinds: int

    @property
    def count(self) -> int:
        return len(self.rows)

    def scores(self) -> list[float]:
        return [r.score for r in self.rows]

    def seconds(self) -> list[float]:
        return [r.seconds for r in self.rows if r.seconds is not None]

    @property
    def full_marks(self) -> int:
        return sum(1 for r in self.rows if r.max_score and r.score >= r.max_score)

    @property
    def not_graded(self) -> int:
        return sum(1 for r in self.rows if r.status != "graded")

    def score_stats(self) -> dict[str, float]:
        scores = self.scores()
        if not scores:
            return {}
        return {"mean": statistics.fmean(scores), "median": statistics.median(scores),
                "min": min(scores), "max": max(scores)}

    def time_stats(self) -> dict[str, float]:
        seconds = sorted(self.seconds())
        if not seconds:
            return {}
        p95 = seconds[min(len(seconds) - 1, int(0.95 * len(seconds)))]
        return {"total": sum(seconds), "median": statistics.median(seconds), "p95": p95,
                "max": seconds[-1]}

    def slowest(self, n: int = 5) -> list[StudentRow]:
        timed = [r for r in self.rows if r.seconds is not None]
        return sorted(timed, key=lambda r: -(r.seconds or 0.0))[:n]


def summarize(results: Sequence[SubmissionResult], *, top: int = 15,
              examples: int = 5) -> ClassSummary:
    """The class summary of ``results`` (metrics are not needed)."""
    rows = tuple(_row(r) for r in results)
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    labels: dict[tuple[str, str], tuple[list[str], str]] = {}
    for result in results:
        for key, check, text in _failure_keys(result):
            if result.submission not in groups[key]:
                groups[key].append(result.submission)
            checks, _ = labels.setdefault(key, ([], text))
            if check not in checks:
                checks.append(check)
    ranked = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    failures = tuple(Failure(", ".join(labels[key][0]), labels[key][1], len(subs),
                             tuple(subs[:examples]), key[1] if key[0] == "mistake" else None)
                     for key, subs in ranked[:top])
    return ClassSummary(rows, _rates(results), failures, len(groups))


def _row(result: SubmissionResult) -> StudentRow:
    seconds = result.timing.get("total")
    failed = tuple(c.id for c in result.checks if c.status in ("fail", "error"))
    return StudentRow(result.submission, report_href(result.submission), result.score,
                      result.max_score, result.status, failed,
                      float(seconds) if isinstance(seconds, (int, float)) else None)


_CAUSE = re.compile(r"Likely cause: (.*?)(?: \(your line \d+: .*\))?$", re.S)


def _failure_keys(result: SubmissionResult) -> list[tuple[tuple[str, str], str, str]]:
    """(group, check, text) per failing check: grouped by mistake id when one is named,
    else by check (unnamed failures of a check share one group)."""
    if result.status != "graded":
        mistake = next((c.mistake for c in result.checks if c.mistake), None)
        text = first_sentence(result.error or "not graded")
        return [(("mistake", mistake) if mistake else ("error", text), WHOLE_SUBMISSION, text)]
    out = []
    for c in result.checks:
        if c.status not in ("fail", "error"):
            continue
        if c.mistake:
            cause = _CAUSE.search(c.message)
            out.append((("mistake", c.mistake), c.id, cause.group(1) if cause else c.mistake))
        else:
            out.append((("check", c.id), c.id, first_sentence(c.message)))
    return out


def _rates(results: Sequence[SubmissionResult]) -> tuple[CheckRate, ...]:
    counts: dict[str, Counter[str]] = {cid: Counter() for cid in check_order(results)}
    titles: dict[str, str] = {}
    for result in results:
        for check in result.checks:
            counts[check.id][check.status] += 1
            titles.setdefault(check.id, check.title)
    return tuple(CheckRate(cid, titles.get(cid, ""), c["pass"], c["fail"], c["error"],
                           c["skipped"]) for cid, c in counts.items())
