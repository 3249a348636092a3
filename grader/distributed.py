"""Grade a batch on a dask.distributed cluster: one task per submission.

The client sends each submission's files as bytes; the worker rebuilds the
entry, grades it exactly as a local run does (same sandbox, limits and
isolation, with a :class:`~grader.session.Session` built once per worker
process and data set) and sends back the result as JSON text and the files
grading left for the reports as bytes. Only this plain data crosses
processes, never an object student code produced. A task whose worker dies
is rerun elsewhere by the scheduler (``distributed.scheduler.allowed-failures``
times); after that the submission gets an error result and the batch goes on.

dask is imported here only, so commands that do not use it stay fast.
"""

from __future__ import annotations

import atexit
import json
import logging
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any, Iterator, Mapping, Union

from .batch import CLUSTER_FAILURE, grade_safely
from .discover import submission_id
from .errors import ClusterError
from .fingerprint import rubric_hash, submission_files, walk_files
from .pipeline import unusable
from .results import SubmissionResult
from .session import Session

logger = logging.getLogger(__name__)

ALLOWED_FAILURES = 2
"""Reruns of a task whose worker died, on a cluster this module starts (``local:N``)."""

Payload = Union[bytes, dict[str, bytes]]
"""A submission's files: a file entry's bytes, or a folder's files by relative name."""

_SESSIONS: dict[str, Session] = {}
"""The worker's sessions, by their spec: data sets are loaded once per worker process."""
_SESSIONS_LOCK = threading.Lock()


def grade_on_cluster(entries: list[Path], out: Path, session: Session,
                     scheduler: str) -> Iterator[tuple[Path, SubmissionResult]]:
    """Grade ``entries`` on the cluster at ``scheduler``, yielding each result as it
    completes; the files grading left are already written into ``out/<id>/``."""
    from distributed import as_completed

    spec = session_spec(session)
    with _client(scheduler) as client:
        # A bounded number of tasks in flight: the files of the others stay on disk, not in
        # the client's or the scheduler's memory.
        window = max(16, 4 * sum(client.nthreads().values()))
        pending = iter(enumerate(entries))
        futures = as_completed()
        submitted: dict[str, Path] = {}

        def submit_next() -> None:
            for index, entry in pending:
                future = client.submit(grade_remote, spec, entry.name, read_payload(entry),
                                       key=f"grade-{index}-{submission_id(entry)}", pure=False)
                submitted[future.key] = entry
                futures.add(future)
                return

        for _ in range(window):
            submit_next()
        graded = 0
        for future in futures:
            entry = submitted.pop(future.key)
            try:
                if future.cancelled():  # the cluster dropped it
                    raise _Lost
                outcome = _outcome(future, entry, out, session)
            except _Lost:  # nothing is said of the submission
                raise ClusterError(_lost(scheduler, graded, len(entries))) from None
            yield entry, outcome
            graded += 1
            future.release()
            submit_next()


class _Lost(Exception):
    """The client lost the cluster: the batch stops (no result for the submission)."""


def _lost(scheduler: str, graded: int, total: int) -> str:
    """The batch cannot go on: the cluster dropped its tasks (most often: the client lost
    the scheduler). Nothing is said of the submissions not graded: no error result."""
    return (f"the dask cluster at {scheduler} dropped the batch after {graded} of {total} "
            "submissions (connection to the scheduler lost?). The results graded so far are "
            "stored; run the same command again to grade the rest.")


def session_spec(session: Session) -> str:
    """What a worker needs to build the same session, as JSON."""
    return json.dumps({"rubric": str(session.rubric.path), "rubric_hash": rubric_hash(session.rubric),
                       "data": session.data_spec, "checks": list(session.check_ids),
                       "isolation": session.isolation}, sort_keys=True)


def read_payload(entry: Path) -> Payload:
    """The entry's files as the worker needs them to grade it as this machine would."""
    if entry.is_dir():
        return {rel: path.read_bytes() for rel, path in submission_files(entry)}
    return entry.read_bytes() if entry.is_file() else b""


def _outcome(future: Any, entry: Path, out: Path, session: Session) -> SubmissionResult:
    from distributed import KilledWorker
    from distributed.comm.core import CommClosedError

    sid = submission_id(entry)
    try:
        text, files = future.result()
    except CommClosedError as exc:  # graded, but the client could not fetch the result
        logger.warning("%s: the connection to the cluster failed: %r", sid, exc)
        raise _Lost from exc
    except KilledWorker as exc:
        logger.warning("%s: %s", sid, exc)
        return _cluster_failure(sid, session, "every dask worker that tried to grade this "
                                "submission died (killed, or out of memory)")
    except Exception as exc:  # the cluster or the worker's grader failed: this submission only
        logger.warning("%s: the worker failed: %r", sid, exc)
        return _cluster_failure(sid, session, f"the dask cluster could not grade it: {exc}")
    try:
        write_files(out / sid, files)
    except OSError:  # the result is still stored; its report lacks these files
        logger.exception("could not write the report files of %s", sid)
    return SubmissionResult.from_json(json.loads(text))


def _cluster_failure(sid: str, session: Session, reason: str) -> SubmissionResult:
    """An error result that says nothing about the submission: the next run grades it again."""
    result = unusable(sid, session, reason)
    return replace(result, info={**result.info, CLUSTER_FAILURE: True})


@contextmanager
def _client(scheduler: str) -> Iterator[Any]:
    """A client of the cluster at ``scheduler``, or of a local one for ``local:N``."""
    import dask
    from distributed import Client, LocalCluster

    # distributed logs every connection at INFO: follow the verbosity the caller chose.
    logging.getLogger("distributed").setLevel(logging.getLogger().getEffectiveLevel())
    name, _, count = scheduler.partition(":")
    try:
        if name == "local":
            if not count.isdigit() or int(count) < 1:
                raise ClusterError(f"--scheduler local:N needs a number of workers, not {count!r}")
            # The workers' statistical profiler samples every thread 100 times a second: CPU
            # the sandboxed children need more.
            with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
                                  "distributed.worker.profile.enabled": False}):
                with LocalCluster(n_workers=int(count), processes=True, threads_per_worker=1,
                                  host="127.0.0.1", dashboard_address=None,
                                  # no dashboard; its HTTP server (health checks) on any free port
                                  scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                                  memory_limit=0) as cluster, Client(cluster) as client:
                    yield client
        else:
            with Client(scheduler, timeout="30s") as client:
                yield client
    except OSError as exc:  # includes distributed's connection timeouts
        raise ClusterError(f"cannot reach the dask scheduler at {scheduler}: {exc}") from None


def grade_remote(spec: str, name: str, payload: Payload) -> tuple[str, dict[str, bytes]]:
    """Run on a worker: grade one submission; its result as JSON and its report files."""
    session = _session(spec)
    with tempfile.TemporaryDirectory(prefix="remote-", dir=session.tmp) as tmp:
        entry = rebuild_entry(Path(tmp) / "in", name, payload)
        artifacts = Path(tmp) / "artifacts"
        result = grade_safely(entry, session, artifacts)
        return result.dumps(), read_files(artifacts)


def _session(spec: str) -> Session:
    with _SESSIONS_LOCK:  # a worker with several threads builds each session once
        return _SESSIONS.get(spec) or _new_session(spec)


def _new_session(spec: str) -> Session:
    from .rubric import load_rubric

    settings = json.loads(spec)
    rubric = load_rubric(settings["rubric"])
    if rubric_hash(rubric) != settings["rubric_hash"]:
        raise ClusterError(f"the worker's {settings['rubric']} (or its reference solution) "
                           "differs from the client's")
    session = Session(rubric, data_spec=settings["data"], check_ids=tuple(settings["checks"]),
                      isolation=settings["isolation"])
    session.prepared()
    atexit.register(session.close)
    _SESSIONS[spec] = session
    return session


def rebuild_entry(folder: Path, name: str, payload: Payload) -> Path:
    """The entry ``name`` in ``folder``, rebuilt from its payload."""
    entry = folder / _safe(name)
    if isinstance(payload, bytes):
        folder.mkdir(parents=True, exist_ok=True)
        entry.write_bytes(payload)
    else:
        entry.mkdir(parents=True)
        write_files(entry, payload)
    return entry


def read_files(folder: Path) -> dict[str, bytes]:
    """Every regular file under ``folder`` by relative name (links are not followed)."""
    if not folder.is_dir():
        return {}
    return {rel: path.read_bytes() for rel, path in walk_files(folder)}


def write_files(folder: Path, files: Mapping[str, bytes]) -> None:
    """Write ``files`` (relative name -> bytes) under ``folder``, each atomically."""
    from .report.store import atomic_write

    for rel, data in files.items():
        target = folder / _safe(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, data)


def _safe(rel: str) -> str:
    """``rel`` if it names a path inside a folder; the grader never sends anything else."""
    path = PurePosixPath(rel)
    if path.is_absolute() or not path.parts or ".." in path.parts:
        raise ValueError(f"unsafe file name {rel!r}")
    return str(path)
