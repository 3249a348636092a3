"""Re-render every report and export of an output folder from its stored results.

Nothing is graded again: each ``<id>/result.json`` (and the files beside it)
is read back and rendered. A large class is spread over a process pool; the
workers send back each result without its metrics, which is all the class
files need.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from itertools import repeat
from pathlib import Path
from typing import Sequence

from ..errors import SubmissionError
from ..results import SubmissionResult
from .files import write_class_files, write_submission_files
from .store import RESULT, check_order, load_result, stored_folders

logger = logging.getLogger(__name__)

SERIAL_BELOW = 40
"""Fewer stored results than this are rendered in this process: a pool costs a second."""


def render_all(out: Path, *, student_view: bool = False, jobs: int | None = None) -> None:
    """Re-render ``report.html`` and ``gradescope.json`` of every stored result in ``out``,
    then ``results.json``, ``grades.csv``, ``index.html``, ``junit.xml`` (and the GitHub
    job summary when ``GITHUB_STEP_SUMMARY`` is set).

    ``student_view`` renders the reports students may be given; ``jobs`` is the
    number of processes (default: one per CPU for a large class).
    """
    out = Path(out)
    folders = stored_folders(out)
    if not folders:
        raise SubmissionError(f"{out}: no stored results (<id>/{RESULT}) to render")
    rendered = _render_folders(folders, student_view, jobs)
    pairs = [(f, r) for f, r in zip(folders, rendered) if r is not None]
    results = [r for _, r in pairs]
    texts = [(f / RESULT).read_text(encoding="utf-8") for f, _ in pairs]
    write_class_files(out, results, check_order(results), texts, student_reports=student_view)


def _render_folders(folders: Sequence[Path], student_view: bool,
                    jobs: int | None) -> list[SubmissionResult | None]:
    workers = jobs if jobs is not None else (
        os.cpu_count() or 1 if len(folders) >= SERIAL_BELOW else 1)
    workers = max(1, min(workers, len(folders)))
    if workers == 1:
        return [render_folder(f, student_view) for f in folders]
    logger.info("rendering %d reports with %d processes", len(folders), workers)
    context = multiprocessing.get_context("spawn")
    chunk = max(1, min(32, len(folders) // (4 * workers)))
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return list(pool.map(render_folder, folders, repeat(student_view), chunksize=chunk))


def render_folder(folder: Path, student_view: bool) -> SubmissionResult | None:
    """Render one stored result's files; the result without metrics, None if unreadable."""
    loaded = load_result(folder)
    if loaded is None:
        return None
    result, _ = loaded
    write_submission_files(folder, result, student_view=student_view)
    return replace(result, checks=tuple(replace(c, metrics={}) for c in result.checks))
