"""Where reports live in a grading output folder, and how files get there safely.

The output folder holds one sub-folder per submission (``<id>/result.json``
plus the files rendered from it) and the class files at its top. Everything
a reporter needs is read back from there, so reports can be re-rendered
without grading again.
"""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import IO, Any, Iterable, Iterator, Sequence
from urllib.parse import quote

from ..results import SubmissionResult

logger = logging.getLogger(__name__)

RESULT = "result.json"
REPORT = "report.html"
GRADESCOPE = "gradescope.json"
FIGURES = "figures"
INDEX = "index.html"
CSV = "grades.csv"
ALL_RESULTS = "results.json"
JUNIT = "junit.xml"


def kept_files() -> tuple[str, ...]:
    """The files the shipped packs' probes keep beside a result for its report
    (:attr:`grader.checkdef.ProbeDef.kept`)."""
    from ..checkdef import pack
    from ..resources import pack_names

    return tuple(dict.fromkeys(name for kind in pack_names()
                               for probe in pack(kind).probes.values() for name in probe.kept))


def atomic_write(path: Path, content: str | bytes) -> None:
    """Write via a temporary file and rename, so a crash never leaves half a file."""
    with atomic_open(path, "wb" if isinstance(content, bytes) else "w") as f:
        f.write(content)


@contextmanager
def atomic_open(path: Path, mode: str = "w") -> Iterator[IO[Any]]:
    """A file to write ``path`` through: it replaces ``path`` only once complete.

    A crash (even SIGKILL) leaves either the old file or the new one, never
    half of one; the temporary file it may leave is overwritten next time.
    """
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, mode, encoding=None if "b" in mode else "utf-8") as f:
        yield f
    os.replace(tmp, path)


def stored_folders(out: Path) -> list[Path]:
    """The submission folders of ``out`` that hold a stored result, sorted by id."""
    return sorted(p.parent for p in out.glob(f"*/{RESULT}"))


def load_result(folder: Path) -> tuple[SubmissionResult, str] | None:
    """A folder's stored result and its JSON text; None when there is none (logged when
    it is there but unreadable)."""
    import json

    path = folder / RESULT
    try:
        text = path.read_text(encoding="utf-8")
        result = SubmissionResult.from_json(json.loads(text))
    except FileNotFoundError:  # not graded (yet): nothing to warn about
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.warning("skipping %s: %s", path, exc)
        return None
    if result.submission != folder.name:
        # Links point at folders: a renamed folder keeps its reports reachable.
        logger.warning("%s holds submission %r; reporting it as %r", path, result.submission,
                       folder.name)
        result = replace(result, submission=folder.name)
    return result, text


def csv_text(text: str) -> str:
    """``text`` as a CSV cell that a spreadsheet shows as text, never runs as a formula
    (a submission named ``=cmd|...`` or ``@SUM(...)``)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def report_href(submission: str) -> str:
    """The link from the class summary to one submission's report."""
    return f"{quote(submission)}/{REPORT}"


def check_order(results: Iterable[SubmissionResult]) -> list[str]:
    """Every check id met in ``results``, in the order the results list them."""
    seen: dict[str, None] = {}
    for result in results:
        for check in result.checks:
            seen.setdefault(check.id, None)
    return list(seen)


def results_json(texts: Sequence[str]) -> str:
    """``results.json``: the stored per-submission JSON texts as one array."""
    if not texts:
        return "[]\n"
    return "[\n" + ",\n".join(t.strip() for t in texts) + "\n]\n"
