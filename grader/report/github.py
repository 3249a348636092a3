"""GitHub Actions: a Markdown job summary and ``::error`` annotations.

When ``GITHUB_STEP_SUMMARY`` names a file, a table of the results is
appended to it (GitHub shows it on the run's page). Annotations are returned
as lines for the CLI to print: the library never prints.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import Mapping, Sequence

from ..results import SubmissionResult
from .summary import first_sentence

ENV = "GITHUB_STEP_SUMMARY"
_MARK = {"pass": "passed", "fail": "**failed**", "error": "**error**", "skipped": "skipped"}


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return (" ".join(text.split()).replace("\\", "\\\\").replace("|", "\\|")
            .replace("<", "&lt;").replace(">", "&gt;"))


def step_summary(results: Sequence[SubmissionResult]) -> str:
    """The Markdown summary: one row per check for one submission, else one per submission."""
    if len(results) == 1:
        return _one(results[0])
    passed = sum(1 for r in results if r.passed)
    lines = [f"### Grading results: {len(results)} submissions",
             "", f"{passed} passed every check.", "",
             "| Submission | Score | Status | Checks failed |", "|---|---:|---|---|"]
    for r in results:
        failed = ", ".join(c.id for c in r.checks if c.status in ("fail", "error"))
        status = "graded" if r.status == "graded" else f"**not graded**: {r.error or ''}"
        lines.append(f"| {_cell(r.submission)} | {r.score:g} / {r.max_score:g} | "
                     f"{_cell(status)} | {_cell(failed)} |")
    return "\n".join(lines) + "\n"


def _one(result: SubmissionResult) -> str:
    lines = [f"### {_cell(result.submission)}: {result.score:g} / {result.max_score:g} points",
             ""]
    if result.status != "graded":
        lines += [f"Not graded: {_cell(result.error or '')}", ""]
    lines += ["| Check | Status | Points | What happened |", "|---|---|---:|---|"]
    for c in result.checks:
        lines.append(f"| {_cell(c.title or c.id)} (`{c.id}`) | {_MARK.get(c.status, c.status)} "
                     f"| {c.score:g} / {c.max_score:g} | {_cell(first_sentence(c.message))} |")
    return "\n".join(lines) + "\n"


def append_step_summary(results: Sequence[SubmissionResult],
                        environ: Mapping[str, str] | None = None) -> Path | None:
    """Append :func:`step_summary` to the file ``GITHUB_STEP_SUMMARY`` names, if any."""
    target = (os.environ if environ is None else environ).get(ENV)
    if not target:
        return None
    path = Path(target)
    with path.open("a", encoding="utf-8") as f:
        f.write(step_summary(results) + "\n")
    return path


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotations(results: Sequence[SubmissionResult], *,
                       base: str | PurePosixPath = "") -> list[str]:
    """``::error file=...,line=...::message`` lines for checks that failed in the student's file.

    One line per place and exception: several checks failing on the same line
    of the same file are named together in the title. ``base`` is prefixed to
    the student's file name (relative to the submission) to make it relative
    to the repository.
    """
    groups: dict[tuple[str, str, int, str], list[str]] = {}
    messages: dict[tuple[str, str, int, str], str] = {}
    for result in results:
        for check in result.checks:
            error = check.error
            if check.status not in ("fail", "error") or error is None:
                continue
            if not error.filename or not error.lineno:
                continue
            path = str(PurePosixPath(base) / error.filename) if str(base) else error.filename
            key = (result.submission, path, int(error.lineno), error.summary())
            groups.setdefault(key, []).append(check.id)
            messages.setdefault(key, check.message)
    lines = []
    for key, check_ids in groups.items():
        submission, path, lineno, _ = key
        title = f"{submission}: {', '.join(check_ids)}"
        lines.append(f"::error file={_escape_property(path)},line={lineno},"
                     f"title={_escape_property(title)}::{_escape_data(messages[key])}")
    return lines
