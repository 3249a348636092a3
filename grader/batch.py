"""Grade a folder of submissions in parallel and write every result as it lands."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Callable, Sequence

from .discover import list_submissions, submission_id
from .errors import GraderError
from .pipeline import grade_submission, unusable
from .report.files import write_result, write_summary
from .results import SubmissionResult
from .session import Session

logger = logging.getLogger(__name__)


def entries_of(submissions: str | Path | Sequence[str | Path]) -> list[Path]:
    """The submission entries: a folder's entries, or the paths given."""
    if isinstance(submissions, (str, Path)):
        return list_submissions(Path(submissions))
    return [Path(p) for p in submissions]


def grade_batch(submissions: str | Path | Sequence[str | Path], out: Path, session: Session, *,
                jobs: int = 1,
                progress: Callable[[SubmissionResult], None] | None = None
                ) -> list[SubmissionResult]:
    entries = entries_of(submissions)
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, SubmissionResult] = {}
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(_grade_safely, entry, session, out): entry for entry in entries}
        for future in as_completed(futures):
            result = future.result()
            try:
                write_result(out, result)
            except Exception:  # one result that cannot be written must not stop the batch
                logger.exception("could not write the result of %s", result.submission)
            results[result.submission] = result
            if progress is not None:
                progress(result)
    ordered = [results[submission_id(e)] for e in entries if submission_id(e) in results]
    write_summary(out, ordered, session.rubric)
    return ordered


def _grade_safely(entry: Path, session: Session, out: Path) -> SubmissionResult:
    """Grade one entry; a failure of the grader itself becomes an error result."""
    try:
        return grade_submission(entry, session, artifacts=out / submission_id(entry))
    except GraderError as exc:
        logger.warning("%s: %s", entry, exc)
        return unusable(submission_id(entry), session, str(exc))
    except Exception as exc:  # one broken submission must not stop the batch
        logger.exception("grading %s failed", entry)
        return unusable(submission_id(entry), session,
                        f"internal error while grading: {exc!r}")
