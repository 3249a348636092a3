"""Write a grading output folder: each submission's files, then the class's.

Per submission (``<id>/``): ``result.json`` (the stored result every other
file is rendered from), ``report.html`` and ``gradescope.json``. For the
class: ``results.json``, ``grades.csv``, ``index.html``, ``junit.xml``, and
the GitHub job summary when ``GITHUB_STEP_SUMMARY`` is set.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from pathlib import Path
from typing import Sequence

from ..results import SubmissionResult
from ..rubric import Rubric
from .github import append_step_summary
from .gradescope import gradescope_json
from .junit import junit_xml
from .store import (
    ALL_RESULTS,
    CSV,
    GRADESCOPE,
    INDEX,
    JUNIT,
    REPORT,
    RESULT,
    atomic_write,
    check_order,
    csv_text,
    results_json,
)

logger = logging.getLogger(__name__)


def write_result(out: Path, result: SubmissionResult, *, student_view: bool = False) -> Path:
    """Store one result in ``out/<id>/`` and render its report and Gradescope file."""
    folder = out / result.submission
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / RESULT
    text = result.dumps()
    # Render from the stored form, so that `grader report` later renders the same pages.
    stored = SubmissionResult.from_json(json.loads(text))
    write_submission_files(folder, stored, student_view=student_view)
    # Last: a stored result means its submission is done (a resumed batch skips it).
    atomic_write(path, text + "\n")
    return path


def write_submission_files(folder: Path, result: SubmissionResult, *,
                           student_view: bool = False) -> None:
    """``report.html`` and ``gradescope.json`` of one stored result."""
    atomic_write(folder / GRADESCOPE, gradescope_text(result))
    try:
        from .html import render_report

        atomic_write(folder / REPORT, render_report(result, folder, student=student_view))
    except Exception:  # a report that cannot be drawn must not stop a batch of hundreds
        logger.exception("could not render the report of %s", result.submission)


def gradescope_text(result: SubmissionResult) -> str:
    return json.dumps(gradescope_json(result), indent=2, allow_nan=False) + "\n"


def write_summary(out: Path, results: Sequence[SubmissionResult], rubric: Rubric) -> None:
    """Every class file of a batch (and each submission's ``gradescope.json``)."""
    for result in results:
        folder = out / result.submission
        try:
            folder.mkdir(parents=True, exist_ok=True)
            atomic_write(folder / GRADESCOPE, gradescope_text(result))
        except Exception:  # one student's file must not cost the class files
            logger.exception("could not write the Gradescope file of %s", result.submission)
    ids = [c.id for c in rubric.checks]
    ids += [i for i in check_order(results) if i not in ids]
    write_class_files(out, results, ids, [r.dumps() for r in results])


def write_class_files(out: Path, results: Sequence[SubmissionResult], check_ids: Sequence[str],
                      texts: Sequence[str], *, student_reports: bool = False) -> None:
    """``results.json`` (from the stored JSON ``texts``), ``grades.csv``, ``index.html``,
    ``junit.xml`` and the GitHub job summary."""
    atomic_write(out / ALL_RESULTS, results_json(texts))
    write_class_tables(out, results, check_ids, student_reports=student_reports)


def write_class_tables(out: Path, results: Sequence[SubmissionResult], check_ids: Sequence[str],
                       *, student_reports: bool = False) -> None:
    """``grades.csv``, ``index.html``, ``junit.xml`` and the GitHub job summary (metrics
    are not needed)."""
    from ..similarity.report import similarity_link
    from .html import render_index
    from .summary import summarize

    atomic_write(out / CSV, grades_csv(results, check_ids).encode("utf-8"))
    atomic_write(out / JUNIT, junit_xml(results))
    atomic_write(out / INDEX, render_index(summarize(results), student_reports=student_reports,
                                           similarity=similarity_link(
        out, [r.submission for r in results])))
    append_step_summary(results)


def grades_csv(results: Sequence[SubmissionResult], check_ids: Sequence[str]) -> str:
    """One row per submission: id, total, maximum, status, and the points of each check."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["submission", "score", "max_score", "status", *check_ids])
    for r in results:
        scores = {c.id: c.score for c in r.checks}
        writer.writerow([csv_text(r.submission), f"{r.score:g}", f"{r.max_score:g}", r.status,
                         *(f"{scores[i]:g}" if i in scores else "" for i in check_ids)])
    return buffer.getvalue()
