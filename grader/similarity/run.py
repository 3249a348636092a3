"""The similarity step: read, fingerprint, compare and report a class's submissions.

Fingerprinting is the slow part and is spread over a process pool for a large
class; student code is only ever read as text.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import Sequence

from ..discover import list_submissions
from ..results import SubmissionResult
from .compare import DEFAULT_THRESHOLD, Comparison, compare
from .fingerprint import Fingerprints, Settings, every_kgram, fingerprint
from .normalize import parse, scan
from .sources import SubmissionCode, submission_code

logger = logging.getLogger(__name__)

SERIAL_BELOW = 40
"""Fewer submissions than this are fingerprinted in this process: a pool costs a second."""


@dataclass(frozen=True)
class Starter:
    """The starter code every submission begins from, set aside before comparing."""

    code: SubmissionCode
    functions: frozenset[str]
    """The functions it defines: the grader calls them, so they are never unused."""


def default_template() -> Path:
    """The folder handed to students (its module and notebook are the starter code)."""
    from ..resources import student_template

    return student_template()


def starter_code(template: Path) -> Starter:
    """The starter code in ``template`` (a folder with the module and notebook, or a file)."""
    code = submission_code(template)
    functions: frozenset[str] = frozenset()
    for source in code.sources:
        for part in source.parts:
            functions |= scan(parse(part)).defined.functions
    return Starter(code, functions)


def run_similarity(submissions: Path, out: Path, *, against: Sequence[Path] = (),
                   threshold: float = DEFAULT_THRESHOLD, template: Path | None = None,
                   common_limit: int | None = None, jobs: int | None = None,
                   settings: Settings = Settings(),
                   results: Sequence[SubmissionResult] | None = None) -> Comparison:
    """Compare the submissions in ``submissions`` with each other and with the known
    solutions in each ``against`` folder; write ``similarity.html``, ``.json`` and
    ``.csv`` into ``out``. With the grading ``results`` of the class, the class
    summary ``index.html`` is rendered again to link the similarity report."""
    from .report import write_similarity

    starter = starter_code(template or default_template())
    entries = list_submissions(submissions)
    known = [(f"{folder.name}/", e) for folder in against for e in list_submissions(folder)]
    codes, prints = _fingerprint_all([("", e) for e in entries] + known, settings,
                                     starter.functions, jobs)
    result = compare(prints[:len(entries)], prints[len(entries):],
                     every_kgram(starter.code, settings), threshold=threshold,
                     common_limit=common_limit, settings=settings)
    out.mkdir(parents=True, exist_ok=True)
    write_similarity(out, result, codes, prints)
    if results is not None:
        _link_from_summary(out, results)
    return result


def _link_from_summary(out: Path, results: Sequence[SubmissionResult]) -> None:
    from ..report.html import render_index
    from ..report.store import INDEX, atomic_write
    from ..report.summary import summarize
    from .report import similarity_link

    atomic_write(out / INDEX, render_index(summarize(results), similarity=similarity_link(
        out, [r.submission for r in results])))


def _fingerprint_all(entries: list[tuple[str, Path]], settings: Settings, keep: frozenset[str],
                     jobs: int | None) -> tuple[list[SubmissionCode], list[Fingerprints]]:
    workers = jobs if jobs is not None else (
        os.cpu_count() or 1 if len(entries) >= SERIAL_BELOW else 1)
    workers = max(1, min(workers, len(entries)))
    if workers == 1:
        done = [read_and_fingerprint(p, e, settings, keep) for p, e in entries]
    else:
        logger.info("fingerprinting %d submissions with %d processes", len(entries), workers)
        context = multiprocessing.get_context("spawn")
        chunk = max(1, min(32, len(entries) // (4 * workers)))
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            done = list(pool.map(read_and_fingerprint, [p for p, _ in entries],
                                 [e for _, e in entries], repeat(settings), repeat(keep),
                                 chunksize=chunk))
    return [c for c, _ in done], [f for _, f in done]


def read_and_fingerprint(prefix: str, entry: Path, settings: Settings,
                         keep: frozenset[str]) -> tuple[SubmissionCode, Fingerprints]:
    """One submission's code and fingerprints; ``prefix`` names a known solution's folder."""
    code = submission_code(entry)
    if prefix:
        code = SubmissionCode(prefix + code.id, code.sources)
    return code, fingerprint(code, settings, keep)
