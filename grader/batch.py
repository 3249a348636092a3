"""Grade a folder of submissions, resumably, and write every result as it lands.

A batch is planned first: a submission whose stored result carries the
fingerprint this run would give is kept; identical submissions are graded
once and the result is copied to each; the rest are graded, here in threads
or on a dask cluster (:mod:`grader.distributed`). The class files are then
rebuilt from the stored results, one at a time, so that a killed run
followed by the same command ends exactly like an uninterrupted one.
"""

from __future__ import annotations

import logging
import os
import shutil
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

from . import needs
from .discover import list_submissions, submission_id
from .errors import ClusterError, GraderError
from .fingerprint import KEY, fingerprint, run_fingerprint, stored_fingerprint, submission_hash
from .pipeline import grade_submission, unusable
from .report.files import write_class_tables, write_result
from .report.store import (ALL_RESULTS, FIGURES, atomic_open, atomic_write, check_order,
                           kept_files, load_result)
from .results import SubmissionResult
from .session import Session

logger = logging.getLogger(__name__)

Progress = Callable[[SubmissionResult], None]
CLUSTER_FAILURE = "cluster_failure"
"""The ``info`` key of an error result that the cluster, not the submission, caused:
such a result is never up to date."""


def artifacts() -> tuple[str, ...]:
    """What grading leaves beside a result (removed before the submission is graded again).
    Asked at use, not import: a probe added by ``register_check`` may keep files too."""
    return (*kept_files(), "executed.ipynb", FIGURES)


def default_jobs() -> int:
    """The number of CPUs this process may run on."""
    return len(os.sched_getaffinity(0))


def entries_of(submissions: str | Path | Sequence[str | Path]) -> list[Path]:
    """The submission entries: a folder's entries, or the paths given."""
    if isinstance(submissions, (str, Path)):
        return list_submissions(Path(submissions))
    return [Path(p) for p in submissions]


@dataclass
class Plan:
    """What a batch has to do, submission by submission."""

    run: Mapping[str, Any]
    """The fingerprint shared by the whole run."""
    hashes: dict[Path, str] = field(default_factory=dict)
    """Each entry's content hash."""
    done: dict[str, str] = field(default_factory=dict)
    """Content hash -> id of an up-to-date stored result with that content."""
    todo: dict[str, list[Path]] = field(default_factory=dict)
    """Content hash -> the entries with that content still to be stored."""


def plan_batch(entries: Sequence[Path], out: Path, session: Session, *, force: bool = False,
               progress: Progress | None = None) -> Plan:
    """Sort the entries into up to date (reported to ``progress`` now) and to do."""
    plan = Plan(run_fingerprint(session))
    for entry in entries:
        digest = plan.hashes[entry] = submission_hash(entry)
        stored, result = (None, None) if force else stored_fingerprint(out, entry)
        if (stored is not None and result is not None and stored == fingerprint(plan.run, digest)
                and not result.info.get(CLUSTER_FAILURE)):
            plan.done.setdefault(digest, submission_id(entry))
            if progress is not None:
                progress(result)
        else:
            plan.todo.setdefault(digest, []).append(entry)
    return plan


def grade_batch(submissions: str | Path | Sequence[str | Path], out: Path, session: Session, *,
                jobs: int | None = None, progress: Progress | None = None, force: bool = False,
                scheduler: str | None = None, metrics: bool = True) -> list[SubmissionResult]:
    """Grade what is not up to date in ``out``, then rebuild the class files.

    Returns every entry's stored result, in entry order; without ``metrics``
    the results leave their metrics out, so a class of thousands fits in
    little memory (each ``result.json`` holds them).
    """
    entries = entries_of(submissions)
    out.mkdir(parents=True, exist_ok=True)
    plan = plan_batch(entries, out, session, force=force, progress=progress)
    for digest, group in list(plan.todo.items()):
        stored = _read(out, plan.done[digest]) if digest in plan.done else None
        if stored is not None:  # identical to a stored result: copied, not graded
            _store_group(out, group, stored, plan, progress)
            del plan.todo[digest]
    representatives = [group[0] for group in plan.todo.values()]
    for entry in representatives:
        _clear_artifacts(out / submission_id(entry))
    try:
        for entry, result in _graded(representatives, out, session, jobs, scheduler):
            _store_group(out, plan.todo[plan.hashes[entry]], result, plan, progress)
    except ClusterError:  # the class files then list what is stored, and the error says so
        rebuild_class_files(out, entries, session, metrics=False)
        raise
    return rebuild_class_files(out, entries, session, metrics=metrics)


def _graded(entries: list[Path], out: Path, session: Session, jobs: int | None,
            scheduler: str | None) -> Iterator[tuple[Path, SubmissionResult]]:
    if not entries:
        return iter(())
    if scheduler is not None:
        from .distributed import grade_on_cluster

        return grade_on_cluster(entries, out, session, scheduler)
    return _graded_here(entries, out, session, jobs or default_jobs())


def _graded_here(entries: list[Path], out: Path, session: Session,
                 jobs: int) -> Iterator[tuple[Path, SubmissionResult]]:
    """Grade in threads (each submission runs in its own sandboxed child process)."""
    _import_before_threads(session)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(grade_safely, entry, session, out / submission_id(entry)): entry
                   for entry in entries}
        for future in as_completed(futures):
            yield futures.pop(future), future.result()


def _import_before_threads(session: Session) -> None:
    """Import now what grading threads import on first use and others look up half done.

    This thread renders reports while the grading threads run. Grading a notebook
    imports IPython (to find its shell escapes), which takes a while, and from
    its start ``sys.modules`` holds the half-initialized package; matplotlib's
    first canvas reads ``IPython.version_info`` whenever IPython is in
    ``sys.modules`` (it does not import it), so a report drawn meanwhile failed
    with AttributeError and was left out.
    """
    if needs.notebook_checks(session.rubric, session.check_ids):
        import IPython.core.inputtransformer2  # noqa: F401


def grade_safely(entry: Path, session: Session, artifacts: Path) -> SubmissionResult:
    """Grade one entry; a failure of the grader itself becomes an error result."""
    try:
        return grade_submission(entry, session, artifacts=artifacts)
    except GraderError as exc:
        logger.warning("%s: %s", entry, exc)
        return unusable(submission_id(entry), session, str(exc))
    except Exception as exc:  # one broken submission must not stop the batch
        logger.exception("grading %s failed", entry)
        return unusable(submission_id(entry), session,
                        f"internal error while grading: {exc!r}")


def _store_group(out: Path, group: list[Path], result: SubmissionResult, plan: Plan,
                 progress: Progress | None) -> None:
    """Store ``result`` (graded from ``group[0]``'s content) as each entry's own result."""
    source = out / result.submission
    for entry in group:
        sid = submission_id(entry)
        info = {**result.info, KEY: fingerprint(plan.run, plan.hashes[entry])}
        own = replace(result, submission=sid, info=info)
        try:
            if sid != source.name:
                _copy_artifacts(source, out / sid)
            write_result(out, own)
        except Exception:  # one result that cannot be written must not stop the batch
            logger.exception("could not store the result of %s", sid)
            continue
        if progress is not None:
            progress(own)


def _read(out: Path, sid: str) -> SubmissionResult | None:
    loaded = load_result(out / sid)
    return loaded[0] if loaded else None


def _clear_artifacts(folder: Path) -> None:
    for name in artifacts():
        path = folder / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()


def _copy_artifacts(source: Path, dest: Path) -> None:
    """The files grading left beside ``source``'s result, copied beside ``dest``'s."""
    _clear_artifacts(dest)
    for name in artifacts():
        path = source / name
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for file in files:
            if file.is_file() and not file.is_symlink():
                target = dest / file.relative_to(source)
                target.parent.mkdir(parents=True, exist_ok=True)
                atomic_write(target, file.read_bytes())


def rebuild_class_files(out: Path, entries: Sequence[Path], session: Session, *,
                        metrics: bool = True) -> list[SubmissionResult]:
    """``results.json``, ``grades.csv``, ``index.html`` and ``junit.xml`` of ``entries``,
    from their stored results, read one at a time; the results, in entry order."""
    results: list[SubmissionResult] = []
    with atomic_open(out / ALL_RESULTS) as f:
        f.write("[")
        for entry in entries:
            loaded = load_result(out / submission_id(entry))
            if loaded is None:
                continue
            result, text = loaded
            f.write(("\n" if not results else ",\n") + text.strip())
            results.append(result if metrics else _without_metrics(result))
        f.write("\n]\n" if results else "]\n")
    ids = [c.id for c in session.rubric.checks]
    ids += [i for i in check_order(results) if i not in ids]
    write_class_tables(out, results, ids)
    return results


def _without_metrics(result: SubmissionResult) -> SubmissionResult:
    return replace(result, checks=tuple(replace(c, metrics={}) for c in result.checks))

