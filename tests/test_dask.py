"""Grading on dask.distributed: a LocalCluster, and a real scheduler with workers that die."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator, NamedTuple

import pytest
from click.testing import CliRunner

from grader import api
from grader.cli import main
from grader.errors import ClusterError
from grader.results import SubmissionResult

from .batch_outputs import CHECKS, comparable, make_class

DASK = Path(sys.executable).parent / "dask"
KILLED = "every dask worker that tried to grade this submission died"


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A class, graded here with --jobs 2."""
    base = tmp_path_factory.mktemp("dask")
    subs = make_class(base / "subs")
    api.grade(subs, base / "jobs", checks=CHECKS, jobs=2)
    return subs, base / "jobs"


def test_local_cluster_grades_as_jobs_do(reference: tuple[Path, Path], tmp_path: Path) -> None:
    subs, expected = reference
    out = tmp_path / "out"
    seen: list[str] = []
    results = api.grade(subs, out, checks=CHECKS, scheduler="local:2",
                        progress=lambda r: seen.append(r.submission))
    assert comparable(out) == comparable(expected)
    assert sorted(seen) == sorted(r.submission for r in results) == sorted(
        p.name for p in subs.iterdir())
    stored = {p: p.read_text() for p in out.glob("*/result.json")}
    api.grade(subs, out, checks=CHECKS, scheduler="local:2")
    assert {p: p.read_text() for p in out.glob("*/result.json")} == stored


def test_a_local_cluster_needs_a_number_of_workers(reference: tuple[Path, Path],
                                                   tmp_path: Path) -> None:
    subs, _ = reference
    result = CliRunner().invoke(main, ["grade", str(subs), "--out", str(tmp_path / "out"),
                                       "--check", CHECKS[0], "--scheduler", "local:many"])
    assert result.exit_code == 2
    assert "local:N needs a number of workers" in result.output
    assert not list((tmp_path / "out").glob("*/result.json"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster(NamedTuple):
    address: str
    workers: list[subprocess.Popen[bytes]]
    """"survivor", then "victim"."""
    scheduler: subprocess.Popen[bytes]


@pytest.fixture
def cluster(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Cluster]:
    """A scheduler and two single-threaded workers on 127.0.0.1; the scheduler reruns a task
    whose worker died ``request.param`` times."""
    from distributed import Client

    address = f"tcp://127.0.0.1:{free_port()}"
    env = {**os.environ, "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": str(request.param),
           "TMPDIR": str(tmp_path)}  # where a killed worker leaves its temporary folder
    log = open(tmp_path / "cluster.log", "wb")
    started = [subprocess.Popen([str(DASK), "scheduler", "--host", "127.0.0.1", "--port",
                                 address.rsplit(":", 1)[1], "--no-dashboard",
                                 "--dashboard-address", "127.0.0.1:0"],
                                env=env, stdout=log, stderr=log)]
    try:
        workers = [subprocess.Popen([str(DASK), "worker", address, "--nworkers", "1",
                                     "--nthreads", "1", "--no-nanny", "--no-dashboard",
                                     "--host", "127.0.0.1", "--name", name],
                                    env=env, stdout=log, stderr=log)
                   for name in ("survivor", "victim")]
        started += workers
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=60)
        yield Cluster(address, workers, started[0])
    finally:
        for process in reversed(started):
            process.terminate()
        for process in started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


def grade_killing_a_worker(subs: Path, out: Path, address: str,
                           worker: subprocess.Popen[bytes]) -> list[SubmissionResult]:
    """Grade on the cluster; kill ``worker`` (named "victim") while the scheduler has given it
    a submission to grade."""
    from distributed import Client

    with Client(address, timeout="60s") as client, ThreadPoolExecutor(1) as pool:
        [victim] = [a for a, w in client.scheduler_info()["workers"].items()
                    if w["name"] == "victim"]
        running = pool.submit(api.grade, subs, out, checks=CHECKS, scheduler=address)
        deadline = time.monotonic() + 120
        while not client.processing(workers=[victim])[victim] and time.monotonic() < deadline:
            time.sleep(0.01)
        worker.send_signal(signal.SIGKILL)
        results = running.result(timeout=180)
    assert worker.wait() == -signal.SIGKILL
    return results


@pytest.mark.parametrize("cluster", [3], indirect=True)
def test_killed_worker_task_is_rerun_elsewhere(
        cluster: Cluster, reference: tuple[Path, Path], tmp_path: Path) -> None:
    address, workers, _ = cluster
    subs, expected = reference
    results = grade_killing_a_worker(subs, tmp_path / "out", address, workers[1])
    assert len(results) == len(list(subs.iterdir()))
    assert comparable(tmp_path / "out") == comparable(expected)


@pytest.mark.parametrize("cluster", [0], indirect=True)
def test_task_of_a_dead_worker_without_reruns_is_an_error_result(
        cluster: Cluster, reference: tuple[Path, Path], tmp_path: Path) -> None:
    address, workers, _ = cluster
    subs, expected = reference
    out = tmp_path / "out"
    grade_killing_a_worker(subs, out, address, workers[1])
    killed = []
    for path in expected.glob("*/result.json"):
        got = json.loads((out / path.parent.name / "result.json").read_text())
        if got["status"] == "error" and KILLED in (got["error"] or ""):
            killed.append(path.parent.name)
        else:
            assert comparable(out)[f"{path.parent.name}/result.json"] == \
                comparable(expected)[f"{path.parent.name}/result.json"]
    assert killed, "the killed worker was grading nothing"
    assert (out / "grades.csv").read_text().count("\n") == len(list(subs.iterdir())) + 1
    # The cluster's failure says nothing about the submissions: the next run grades them.
    api.grade(subs, out, checks=CHECKS, scheduler=address)
    assert comparable(out) == comparable(expected)


@pytest.mark.parametrize("cluster", [0], indirect=True)
def test_a_lost_scheduler_stops_the_batch_and_the_next_run_resumes(
        cluster: Cluster, reference: tuple[Path, Path], tmp_path: Path) -> None:
    """Losing the scheduler used to end the batch with an error result (0 points in
    grades.csv) for every submission not yet graded; now the batch stops and says so."""
    subs, expected = reference
    out = tmp_path / "out"

    def kill_the_scheduler(_: SubmissionResult) -> None:
        if cluster.scheduler.poll() is None:
            cluster.scheduler.send_signal(signal.SIGKILL)

    with pytest.raises(ClusterError, match="run the same command again to grade the rest"):
        api.grade(subs, out, checks=CHECKS, scheduler=cluster.address,
                  progress=kill_the_scheduler)
    stored = sorted(p.relative_to(out) for p in out.glob("*/result.json"))
    assert 0 < len(stored) < len(list(subs.iterdir()))
    wanted = comparable(expected)
    assert all(comparable(out)[str(p)] == wanted[str(p)] for p in stored)  # no error results
    assert (out / "grades.csv").read_text().count("\n") == len(stored) + 1
    api.grade(subs, out, checks=CHECKS, scheduler="local:2")
    assert comparable(out) == wanted
