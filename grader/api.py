"""The public entry points: one function per command."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

from .pipeline import grade_submission
from .privileges import RunAs
from .results import SubmissionResult
from .rubric import Rubric, load_rubric
from .sandbox import Isolation
from .session import Session
from .terminal import format_table

__all__ = ["check", "format_table", "grade"]


def _rubric(rubric: Rubric | str | Path | None) -> Rubric:
    return rubric if isinstance(rubric, Rubric) else load_rubric(rubric)


def check(path: str | Path, *, checks: Sequence[str] | None = None,
          rubric: Rubric | str | Path | None = None, data: str | None = None,
          isolation: Isolation = "auto",
          allow_root_student_code: bool = False) -> SubmissionResult:
    """Run the checks students may see on one submission (a ``.py`` file or a folder).

    The result holds only visible checks, as a student would see it.
    ``allow_root_student_code``: see :func:`grade`.
    """
    with Session(_rubric(rubric), data_spec=data, check_ids=tuple(checks) if checks else None,
                 isolation=isolation, visible_only=True,
                 run_as=RunAs(allow_root=allow_root_student_code)) as session:
        return grade_submission(Path(path), session).for_students()


def grade(submissions: str | Path | Sequence[str | Path], out: str | Path, *,
          rubric: Rubric | str | Path | None = None, data: str | None = None,
          jobs: int | None = None, isolation: Isolation = "auto",
          progress: Callable[[SubmissionResult], None] | None = None,
          checks: Sequence[str] | None = None, force: bool = False,
          scheduler: str | None = None, metrics: bool = True,
          allow_root_student_code: bool = False) -> list[SubmissionResult]:
    """Grade every submission (a folder of them, or a list of entries) into ``out``.

    Writes ``out/<id>/result.json`` as each finishes, then ``out/results.json``,
    ``out/grades.csv`` and ``out/index.html``. One failing submission never
    stops the others. A submission whose stored result in ``out`` is up to date
    is not graded again, unless ``force``; identical submissions are graded once.

    ``checks`` restricts grading to those check ids (all of the rubric's by default).
    ``jobs`` submissions are graded at once (default: one per CPU this process
    may use); with ``scheduler`` (``tcp://HOST:PORT`` or ``local:N``) they are
    graded on a dask cluster instead. Without ``metrics`` the returned results
    leave their metrics out (each ``result.json`` has them).

    A grader running as root runs each child as an unprivileged user of its own
    (:mod:`grader.uids`); where it cannot (no bubblewrap, and a Python that user
    cannot read) it refuses to grade
    (:class:`~grader.errors.PrivilegeError`) unless ``allow_root_student_code``.
    """
    from .batch import grade_batch  # the reporters it writes with are not needed by check()

    with Session(_rubric(rubric), data_spec=data, isolation=isolation,
                 check_ids=tuple(checks) if checks else None,
                 run_as=RunAs(allow_root=allow_root_student_code)) as session:
        session.prepared()  # a missing or malformed data set stops the run before any grading
        return grade_batch(submissions, Path(out), session, jobs=jobs, progress=progress,
                           force=force, scheduler=scheduler, metrics=metrics)
