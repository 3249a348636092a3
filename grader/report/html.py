"""HTML pages from results, with the jinja2 templates in ``grader/templates/``.

Pages are single files: CSS and images inline, no scripts, readable offline
and printable. Student text (messages, tracebacks, ids) is escaped by the
templates' autoescaping.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from ..results import SubmissionResult
from ..similarity.report import SimilarityLink
from . import figures
from .store import report_href
from .summary import ClassSummary, first_sentence
from .tables import check_view, fmt, sci
from .views import view_of

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The template environment, built once per process."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    env.filters.update(fmt=fmt, sci=sci, first_sentence=first_sentence, points=_points,
                       percent=_percent, report_href=report_href, status=status_badge)
    return env


_STATUS_TEXT = {"pass": "passed", "fail": "failed", "error": "error", "skipped": "skipped"}


def status_badge(status: str) -> markupsafe.Markup:
    """A check's status as a labelled badge (a filter: cheaper than a macro per row)."""
    text = _STATUS_TEXT.get(status, status)
    return markupsafe.Markup('<span class="status status-{}">{}</span>').format(status, text)


def _points(value: float) -> str:
    return f"{value:g}"


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.0f}%"


def render_report(result: SubmissionResult, folder: Path, *, student: bool = False) -> str:
    """One submission's report; ``folder`` holds the files kept for it and its figures."""
    shown = view_of(result, student)
    context: dict[str, Any] = {
        "result": shown,
        "student": student,
        "left_out": len(result.checks) - len(shown.checks),
        "checks": [check_view(c, student) for c in shown.checks],
        "figures": figures.report_figures(shown, folder),
        "notebook_figures": figures.notebook_figures(folder),
    }
    return environment().get_template("report.html.j2").render(context)


def render_index(summary: ClassSummary, *, student_reports: bool = False,
                 similarity: SimilarityLink | None = None) -> str:
    """The class summary page; ``similarity`` links the similarity report, if there is one."""
    max_score = max((r.max_score for r in summary.rows), default=0.0)
    images = [figures.score_histogram(summary.scores(), max_score),
              figures.time_histogram(summary.seconds())]
    context: dict[str, Any] = {
        "summary": summary,
        "max_score": max_score,
        "score_stats": summary.score_stats(),
        "time_stats": summary.time_stats(),
        "images": [i for i in images if i is not None],
        "student_reports": student_reports,
        "similarity": similarity,
    }
    return environment().get_template("index.html.j2").render(context)

