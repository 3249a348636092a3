"""Hostile or broken student code costs only the checks it touches.

Every fixture under ``tests/fixtures/hostile/<behaviour>/`` is the reference
solution with ONE hostile behaviour added; the two forgeries (``fake_outputs``,
``spoofs_status_pipe``) are the untouched template instead, and
``imports_the_reference`` has no network of its own. Each is graded in the real
sandbox (bubblewrap) with a copy of the shipped rubric whose time limits are
small, so that timeouts are cheap.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import pytest

from grader import api, sandbox
from grader.batch import grade_batch
from grader.pipeline import grade_submission
from grader.privileges import RunAs
from grader.results import CheckResult, SubmissionResult
from grader.rubric import Rubric, load_rubric
from grader.bwrap import has_option
from grader.sandbox import Child, Isolation, ProbeOutcome
from grader.session import Session

from .conftest import REFERENCE, ROOT, RUBRIC_PATH

HOSTILE = ROOT / "tests" / "fixtures" / "hostile"
SHIPPED_RUBRIC = RUBRIC_PATH

CHECK_WALL, CHECK_CPU = 1.5, 4.0
"""Per-check limits of the rubric copy: wall-clock time runs out first."""
ACCURACY_WALL, ACCURACY_CPU = 2.5, 6.0
"""The accuracy check trains on the digits (0.2 s for the reference)."""
MEMORY_MB = 2048

MODULE_CHECKS = ("init", "scores", "loss", "grad_W1", "grad_b1", "grad_W2", "grad_b2",
                 "stability", "train", "predict", "accuracy")
"""The checks a lone ``neural_net.py`` is graded on."""
LOSS_CHECKS = ("scores", "loss", "grad_W1", "grad_b1", "grad_W2", "grad_b2", "stability")
"""The checks whose probes call the student's ``loss`` (the forward pass)."""
FULL_MARKS = 100.0
"""What the module checks of the shipped rubric are worth together."""

FORK_MARKER = "sleep 61.2345"
"""The command line of the process ``forks_child_that_survives`` leaves behind."""
MARKER_FILE = "SHOULD_NOT_EXIST_hostile"
"""The file name ``writes_outside`` tries to create everywhere."""

ISOLATION: Isolation = "bwrap"
GRACE = 20.0
"""The parent's grace for a child between probes, in the test of forked processes (a
grading that waited it out takes longer; one that did not is done well before, even on
a loaded machine)."""


# --------------------------------------------------------------------------- helpers


def fast_rubric(folder: Path) -> Path:
    """A copy of the shipped rubric with small limits and an absolute reference path."""
    small = {"wall_seconds": CHECK_WALL, "cpu_seconds": CHECK_CPU, "memory_mb": MEMORY_MB}
    accuracy = {"wall_seconds": ACCURACY_WALL, "cpu_seconds": ACCURACY_CPU, "memory_mb": MEMORY_MB}
    section = ""
    lines = []
    for line in SHIPPED_RUBRIC.read_text(encoding="utf-8").splitlines():
        header = re.match(r"\s*\[([^\]]+)\]", line)
        if header:
            section = header.group(1).strip()
        key = re.match(r"\s*(\w+)\s*=", line)
        name = key.group(1) if key else ""
        if section == "assignment" and name == "reference":
            line = f"reference = {json.dumps(str(REFERENCE))}"
        elif section == "data.digits" and name in accuracy:
            line = f"{name} = {accuracy[name]}"
        elif (section == "limits" or section.startswith("checks.")) and name in small:
            line = f"{name} = {small[name]}"
        lines.append(line)
    path = folder / "rubric.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@dataclass(frozen=True)
class Graded:
    result: SubmissionResult
    outcomes: Mapping[str, ProbeOutcome]
    """What the parent saw of each probe, merged over the submission's children."""
    seconds: float
    """Wall-clock time of the whole grading, measured by the test."""

    def check(self, check_id: str) -> CheckResult:
        return self.result.check(check_id)


@contextmanager
def recording_outcomes() -> Iterator[list[dict[str, ProbeOutcome]]]:
    """Record what every ``Child.run`` returns (outputs are otherwise not in results)."""
    seen: list[dict[str, ProbeOutcome]] = []
    original = Child.run

    def run(self: Child, plan: Mapping[str, Any],
            args: Mapping[str, Mapping[str, Any]]) -> dict[str, ProbeOutcome]:
        outcomes = original(self, plan, args)
        seen.append(dict(outcomes))
        return outcomes

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Child, "run", run)
        yield seen


def statuses(result: SubmissionResult) -> dict[str, str]:
    return {c.id: c.status for c in result.checks if c.id in MODULE_CHECKS}


def assert_pass(graded: Graded, *check_ids: str) -> None:
    for check_id in check_ids:
        check = graded.check(check_id)
        assert check.status == "pass", (check_id, check.message)
        assert check.score == check.max_score > 0


def assert_error(graded: Graded, *check_ids: str) -> None:
    for check_id in check_ids:
        check = graded.check(check_id)
        assert check.status == "error", (check_id, check.message)
        assert check.score == 0


def assert_stopped_at_limit(outcome: ProbeOutcome, limit: float) -> None:
    """The parent's wall clock stopped the probe at ``limit``: the outcome says so, it
    ran at least that long, and was stopped well before three times that (the margin is
    for a loaded machine: the parent polls every 0.25 s, then waits for the killed
    sandbox to go). A probe stopped by its CPU limit ends as ``crashed``, one that
    waited out a start-up grace (30 s) ends far later."""
    assert outcome.state == "timeout", outcome
    assert outcome.detail == f"stopped after {limit:g} s (its time limit)", outcome
    assert limit <= outcome.seconds < 3 * limit, outcome


def assert_nothing_waited_out(graded: Graded, limits_run_out: float = 0.0) -> None:
    """The grading took less than the time limits that ran out plus one start-up grace
    of the parent's: no child was waited for to the end of a grace, and nothing hung (a
    loaded machine slows the rest of grading, but not by that much)."""
    assert graded.seconds < limits_run_out + sandbox._STARTUP_SECONDS, graded.seconds


def fixture_line(name: str, text: str) -> int:
    """The 1-based line of the fixture's module that starts with ``text``."""
    lines = (HOSTILE / name / "neural_net.py").read_text(encoding="utf-8").splitlines()
    found = [i + 1 for i, line in enumerate(lines) if line.lstrip().startswith(text)]
    assert len(found) == 1, (name, text, found)
    return found[0]


def pids_matching(pattern: str) -> list[int]:
    proc = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True, check=False)
    return [int(p) for p in proc.stdout.split()]


def kill_leftovers(pattern: str) -> None:
    """End the processes our own fixture left behind (by pid, after the assertions)."""
    for pid in pids_matching(pattern):
        subprocess.run(["kill", "-9", str(pid)], check=False)


def strict_json(text: str) -> Any:
    """``json.loads`` that refuses NaN and Infinity (which are not JSON)."""

    def refuse(token: str) -> Any:
        raise ValueError(f"{token} in JSON output")

    return json.loads(text, parse_constant=refuse)


def without_timing(result: SubmissionResult) -> dict[str, Any]:
    data = result.to_json()
    del data["timing"]
    return data


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def rubric(tmp_path_factory: pytest.TempPathFactory) -> Rubric:
    loaded = load_rubric(fast_rubric(tmp_path_factory.mktemp("rubric")))
    # The copy really has the small limits: every timeout below depends on them.
    for check_id in MODULE_CHECKS:
        assert loaded.check(check_id).limits.wall_seconds == CHECK_WALL
    assert loaded.datasets["digits"].limits.wall_seconds == ACCURACY_WALL
    assert loaded.reference == REFERENCE.resolve()
    assert sum(loaded.check(c).points for c in MODULE_CHECKS) == FULL_MARKS
    return loaded


@pytest.fixture(scope="module")
def session(rubric: Rubric) -> Iterator[Session]:
    with Session(rubric, isolation=ISOLATION) as s:
        yield s


@pytest.fixture(scope="module")
def hostile(session: Session) -> Callable[[str], Graded]:
    """Grade a hostile fixture (or ``"reference"``) once per module: several tests
    look at one grading."""
    cache: dict[str, Graded] = {}

    def grade(name: str) -> Graded:
        if name not in cache:
            entry = REFERENCE if name == "reference" else HOSTILE / name
            cache[name] = grade_once(entry, session)
        return cache[name]

    return grade


def grade_once(entry: Path, session: Session) -> Graded:
    with recording_outcomes() as seen:
        started = time.monotonic()
        result = grade_submission(entry, session)
        seconds = time.monotonic() - started
    merged: dict[str, ProbeOutcome] = {}
    for outcomes in seen:  # one child for most probes, one for train; import output from the first
        merged.update({k: v for k, v in outcomes.items() if k not in merged})
    return Graded(result, merged, seconds)


# --------------------------------------------------------------------------- time limits


def test_infinite_loop_in_predict_costs_predict_and_accuracy_only(
        hostile: Callable[[str], Graded]) -> None:
    graded = hostile("infinite_loop_in_predict")
    assert graded.result.status == "graded"
    predict = graded.check("predict")
    assert predict.status == "error" and predict.score == 0
    assert "time limit" in predict.message and "did not finish" in predict.message
    assert graded.outcomes["predict"].state == "timeout"
    # accuracy trains the student's network, whose train() calls predict()
    assert_error(graded, "accuracy")
    assert_pass(graded, *(c for c in MODULE_CHECKS if c not in ("predict", "accuracy")))
    assert graded.result.score == FULL_MARKS - predict.max_score - graded.check("accuracy").max_score
    # the endless loop was stopped at its wall-clock limit, not by the CPU limit or later
    assert_stopped_at_limit(graded.outcomes["predict"], CHECK_WALL)
    assert_stopped_at_limit(graded.outcomes["accuracy"], ACCURACY_WALL)
    assert_nothing_waited_out(graded, CHECK_WALL + ACCURACY_WALL)


def test_sleep_in_loss_is_stopped_by_the_wall_clock(hostile: Callable[[str], Graded]) -> None:
    graded = hostile("sleep_in_loss")
    assert graded.result.status == "graded"
    assert_error(graded, *LOSS_CHECKS, "accuracy")
    for check_id in (*LOSS_CHECKS, "accuracy"):
        message = graded.check(check_id).message
        assert "did not finish" in message and "time limit" in message, (check_id, message)
        assert "CPU" not in message, (check_id, message)
    # a sleeping process uses no CPU: only the parent's wall clock can stop it
    for probe in ("forward", "loss", "stability"):
        assert_stopped_at_limit(graded.outcomes[probe], CHECK_WALL)
    assert_stopped_at_limit(graded.outcomes["accuracy"], ACCURACY_WALL)
    # train runs with the reference loss standing in; init and predict never call loss
    assert_pass(graded, "init", "train", "predict")
    assert_nothing_waited_out(graded, 3 * CHECK_WALL + ACCURACY_WALL)


# --------------------------------------------------------------------------- crashes


def test_crash_in_train_costs_train_and_accuracy_only(hostile: Callable[[str], Graded]) -> None:
    graded = hostile("crash_in_train")
    assert graded.result.status == "graded"
    train = graded.check("train")
    assert train.status == "error" and train.score == 0
    assert "crash" in train.message.lower()
    assert graded.outcomes["train"].state == "crashed"
    # a fresh child carries on after the crash: predict still runs and passes
    assert graded.outcomes["predict"].state == "done"
    assert_pass(graded, "init", *LOSS_CHECKS, "predict")
    # accuracy trains with the student's train(), which crashes again
    assert_error(graded, "accuracy")
    assert_nothing_waited_out(graded)


def test_crash_message_names_the_signal(hostile: Callable[[str], Graded]) -> None:
    """The student should learn *how* the process died (here: SIGSEGV)."""
    message = hostile("crash_in_train").check("train").message
    assert "SIGSEGV" in message or "segmentation fault" in message, message


def test_memory_bomb_is_the_students_memory_error(hostile: Callable[[str], Graded]) -> None:
    graded = hostile("memory_bomb")
    assert graded.result.status == "graded"
    line = fixture_line("memory_bomb", "waste = np.zeros((2**29,))")
    # 4 GiB of lazily mapped zeros: only the sandbox's address-space limit refuses them
    assert_error(graded, *LOSS_CHECKS, "accuracy")
    for check_id in (*LOSS_CHECKS, "accuracy"):
        check = graded.check(check_id)
        assert check.error is not None, (check_id, check.message)
        assert check.error.type.endswith("MemoryError"), check.error
        assert (check.error.filename, check.error.lineno) == ("neural_net.py", line)
        assert "MemoryError" in check.message
    # the probes were not killed: the student's exception came back as data
    for probe in ("forward", "loss", "stability", "accuracy"):
        assert graded.outcomes[probe].state == "done"
    assert_pass(graded, "init", "train", "predict")


# --------------------------------------------------------------------------- output


def test_megabytes_of_output_are_capped(hostile: Callable[[str], Graded],
                                        rubric: Rubric) -> None:
    graded = hostile("prints_megabytes")
    assert graded.result.status == "graded"
    assert_pass(graded, *MODULE_CHECKS)
    assert graded.result.score == FULL_MARKS
    cap = rubric.check("loss").limits.output_kb * 1024
    kept = {probe: outcome.output for probe, outcome in graded.outcomes.items()}
    assert "spam spam" in kept["forward"]  # the first call of loss() printed
    assert sum(len(text) for text in kept.values()) <= cap
    # the result is as large as a quiet correct submission's: no output in it
    text = graded.result.dumps()
    quiet = hostile("reference").result.dumps()
    assert abs(len(text) - len(quiet)) < 1024
    assert "spam" not in text
    assert_nothing_waited_out(graded)


# --------------------------------------------------------------------------- file system


def test_writes_outside_the_work_folder_leave_no_trace(rubric: Rubric, tmp_path: Path) -> None:
    submissions = tmp_path / "submissions"
    shutil.copytree(HOSTILE / "writes_outside", submissions / "writes_outside")
    (submissions / "correct").mkdir()
    shutil.copyfile(REFERENCE, submissions / "correct" / "neural_net.py")
    out = tmp_path / "results"
    out.mkdir()
    in_results = [out / MARKER_FILE, out / "fake_student" / "result.json",
                  out / "correct" / MARKER_FILE]
    (submissions / "writes_outside" / "targets.txt").write_text(
        "".join(f"{path}\n" for path in in_results), encoding="utf-8")
    in_project = [ROOT / MARKER_FILE, ROOT / "grader" / MARKER_FILE,
                  REFERENCE.parent / MARKER_FILE]
    assert not any(p.exists() for p in in_project + in_results)

    with Session(rubric, isolation=ISOLATION) as session, recording_outcomes() as seen:
        results = grade_batch(submissions, out, session, jobs=2)
        # the session folder holds the shared data and the other submission's work folder
        in_session = sorted(session.tmp.rglob(MARKER_FILE))
    left = [p for p in in_project + in_results if p.exists()] + in_session
    for path in left:  # never leave them in the project, even when the test fails
        path.unlink(missing_ok=True)
    assert left == []
    assert not (out / "fake_student").exists()
    # the module did try every target (what it wrote stayed inside the sandbox)
    printed = "".join(outcomes["import"].output for outcomes in seen)
    for path in in_project + in_results:
        assert f"HOSTILE: wrote {path}\n" in printed or \
            f"HOSTILE: could not write {path}:" in printed, path

    by_id = {r.submission: r for r in results}
    assert set(by_id) == {"writes_outside", "correct"}
    for result in by_id.values():  # the write attempts cost nothing: both are correct
        assert statuses(result) == {c: "pass" for c in MODULE_CHECKS}
        assert result.score == FULL_MARKS
    summary = strict_json((out / "results.json").read_text(encoding="utf-8"))
    assert sorted(r["submission"] for r in summary) == ["correct", "writes_outside"]


# --------------------------------------------------------------------------- import time


def test_exit_at_import_fails_only_that_submission(rubric: Rubric, tmp_path: Path) -> None:
    submissions = tmp_path / "submissions"
    shutil.copytree(HOSTILE / "reads_stdin_and_exits_at_import", submissions / "exits")
    (submissions / "correct").mkdir()
    shutil.copyfile(REFERENCE, submissions / "correct" / "neural_net.py")
    out = tmp_path / "results"
    results = api.grade(submissions, out, rubric=rubric, isolation=ISOLATION)

    by_id = {r.submission: r for r in results}
    exits, correct = by_id["exits"], by_id["correct"]
    assert exits.status == "error"
    # it read stdin first: reaching its exit (not the import's time limit) shows stdin
    # gave end-of-file at once instead of waiting for input that never comes
    assert exits.error is not None and "SystemExit" in exits.error and "time limit" not in exits.error
    line = fixture_line("reads_stdin_and_exits_at_import", "sys.exit(1)")
    assert f"neural_net.py:{line}" in exits.error
    assert exits.score == 0
    assert all(c.status == "error" for c in exits.checks if c.id in MODULE_CHECKS)
    assert correct.status == "graded"
    assert statuses(correct) == {c: "pass" for c in MODULE_CHECKS}
    assert correct.score == FULL_MARKS
    on_disk = strict_json((out / "correct" / "result.json").read_text(encoding="utf-8"))
    assert on_disk["score"] == FULL_MARKS
    on_disk = strict_json((out / "exits" / "result.json").read_text(encoding="utf-8"))
    assert on_disk["status"] == "error"


def test_import_error_names_the_module_file_and_line(hostile: Callable[[str], Graded]) -> None:
    graded = hostile("import_error")
    result = graded.result
    line = fixture_line("import_error", "import torch_that_does_not_exist")
    assert result.status == "error"
    assert result.error is not None
    assert "ModuleNotFoundError" in result.error
    assert "torch_that_does_not_exist" in result.error
    assert f"neural_net.py:{line}" in result.error
    assert result.score == 0
    for check in result.checks:
        if check.id in MODULE_CHECKS:
            assert check.status == "error"
            assert check.error is not None and check.error.type == "ModuleNotFoundError"
            assert (check.error.filename, check.error.lineno) == ("neural_net.py", line)


@pytest.mark.parametrize("isolation", ["bwrap", "none"])
def test_forked_child_does_not_survive_grading(rubric: Rubric, isolation: Isolation,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # The parent waits this long for a child between probes (30 s as shipped);
    # shorter here so that a child that hangs on costs this test little time.
    monkeypatch.setattr("grader.sandbox._STARTUP_SECONDS", GRACE)
    kill_leftovers(FORK_MARKER)  # from an earlier, interrupted run
    try:
        # as root here, with a Python only root may read: without bubblewrap only the
        # opt-out grades (tests/test_privileges.py checks the refusal and the drop)
        with Session(rubric, isolation=isolation, run_as=RunAs(allow_root=True)) as session:
            graded = grade_once(HOSTILE / "forks_child_that_survives", session)
        deadline = time.monotonic() + 3.0
        while pids_matching(FORK_MARKER) and time.monotonic() < deadline:
            time.sleep(0.1)
        survivors = pids_matching(FORK_MARKER)
    finally:
        kill_leftovers(FORK_MARKER)
    assert survivors == []
    # the forked process costs nothing: every probe ran, the module is correct
    assert graded.result.status == "graded", graded.result.error
    assert statuses(graded.result) == {c: "pass" for c in MODULE_CHECKS}
    assert graded.seconds < GRACE - 2  # nobody waited for the forked process
    assert "HOSTILE: forked" in graded.outcomes["import"].output  # the fork did happen


# --------------------------------------------------------------------------- values


def test_nan_scores_fail_and_serialise(rubric: Rubric, tmp_path: Path) -> None:
    out = tmp_path / "results"
    [result] = api.grade([HOSTILE / "returns_nan"], out, rubric=rubric, isolation=ISOLATION)
    graded = Graded(result, {}, 0.0)
    for check_id in (*LOSS_CHECKS, "accuracy"):
        check = result.check(check_id)
        assert check.status == "fail", (check_id, check.message)
        assert check.score == 0 and check.message and check.error is None
    assert_pass(graded, "init", "train", "predict")
    assert "accuracy" in result.check("accuracy").message.lower()
    # no NaN may reach the files: they are written with allow_nan=False
    on_disk = strict_json((out / "returns_nan" / "result.json").read_text(encoding="utf-8"))
    assert on_disk == strict_json(result.dumps())
    assert {c["id"]: c["status"] for c in on_disk["checks"]}["loss"] == "fail"
    strict_json((out / "results.json").read_text(encoding="utf-8"))


def test_nan_loss_is_not_blamed_on_the_shift(hostile: Callable[[str], Graded]) -> None:
    """The loss is nan without any shift: the message must not say exp() overflowed."""
    check = hostile("returns_nan").check("stability")
    assert check.status == "fail"
    assert "overflow" not in check.message, check.message


# --------------------------------------------------------------------------- forgeries


def test_forged_output_files_do_not_fool_the_verdict(hostile: Callable[[str], Graded]) -> None:
    graded = hostile("fake_outputs")
    # the forgery ran in both children: it waited for the plan and wrote its files at import
    assert "HOSTILE: forged the output of" in graded.outcomes["import"].output
    assert graded.outcomes["train"].state == "done"
    assert graded.result.status == "graded"
    assert graded.result.score == 0
    for check_id in MODULE_CHECKS:
        check = graded.check(check_id)
        assert check.status == "error", (check_id, check.message)
        assert "not implemented" in check.message.lower(), (check_id, check.message)


def test_status_pipe_spoof_does_not_fool_the_verdict(hostile: Callable[[str], Graded]) -> None:
    """The skeleton writes ``end <probe>`` lines on the status pipe and leaves."""
    graded = hostile("spoofs_status_pipe")
    assert graded.result.score == 0, statuses(graded.result)
    assert all(s != "pass" for s in statuses(graded.result).values())


def test_links_fifos_and_folders_at_output_paths_are_refused(
        hostile: Callable[[str], Graded]) -> None:
    """The probes' files, swapped after the child wrote them, are refused at once
    (a FIFO would have blocked the parent's read forever) and cost only their checks."""
    graded = hostile("links_and_fifos_at_outputs")
    refused = {"scores": "forward.npz", "loss": "loss.json", "grad_W1": "loss.json",
               "predict": "predict.npz"}
    for check_id, name in refused.items():
        check = graded.check(check_id)
        assert check.status == "error", (check_id, check.message)
        assert f"were refused, so this check could not be judged: its results could not be " \
               f"read (out/{name}: " in check.message, check.message
    assert_pass(graded, "init", "stability", "train", "accuracy")
    assert "class TwoLayerNet" not in graded.result.dumps()
    assert graded.seconds < 60


@pytest.mark.parametrize("number", ["1e999", "-1e999", "NaN", "Infinity"])
def test_child_json_with_an_infinite_number_is_refused(tmp_path: Path, number: str) -> None:
    """A probe's info JSON holds finite numbers only: ``1e999`` is valid JSON, and infinite."""
    from grader import hostile
    from grader.errors import UnsafeOutput

    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "loss.json").write_text(f'{{"loss": {number}}}', encoding="utf-8")
    with pytest.raises(UnsafeOutput, match="not valid JSON"):
        hostile.read_json(tmp_path, "out/loss.json")
    (tmp_path / "out" / "loss.json").write_text('{"loss": 1e300}', encoding="utf-8")
    assert hostile.read_json(tmp_path, "out/loss.json") == {"loss": 1e300}


def test_reference_solution_is_out_of_reach(hostile: Callable[[str], Graded]) -> None:
    """A module that only loads the grader's reference (named in ``boot.json``) earns nothing."""
    graded = hostile("imports_the_reference")
    assert graded.result.score == 0, statuses(graded.result)


STEALS_SHIPPED_REFERENCE = '''
"""Hostile: no network of its own; it loads the reference shipped in the grader's package."""
import importlib.util
import os

import grader  # importable inside the sandbox: the child runs from it

_PATH = os.path.join(list(grader.__path__)[0], "assignments", "two_layer_net", "reference",
                     "neural_net.py")
_SPEC = importlib.util.spec_from_file_location("_stolen_reference", _PATH)
_REFERENCE = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(_REFERENCE)
TwoLayerNet = _REFERENCE.TwoLayerNet
'''


def test_shipped_reference_is_out_of_reach(session: Session, tmp_path: Path) -> None:
    """The grader's package is readable in the sandbox (the child runs from it), but
    not the assignments in it: the reference solution and the mistake library."""
    entry = tmp_path / "steals"
    entry.mkdir()
    (entry / "neural_net.py").write_text(STEALS_SHIPPED_REFERENCE, encoding="utf-8")
    graded = grade_once(entry, session)
    assert graded.result.score == 0, statuses(graded.result)
    assert "No such file or directory" in graded.result.dumps()



LOOKS_INTO_THE_PACK = '''
"""Hostile: reports what it can see of the pack's instructor-only files, by raising."""
import os

import grader

_PACK = os.path.join(list(grader.__path__)[0], "assignments", "two_layer_net")
_MISTAKES = os.path.join(_PACK, "mistakes.py")
_SEEN = {"mistakes.py": os.path.getsize(_MISTAKES) if os.path.exists(_MISTAKES) else 0,
         **{name: sorted(os.listdir(os.path.join(_PACK, name)))
            if os.path.isdir(os.path.join(_PACK, name)) else []
            for name in ("reference", "examples", "__pycache__")}}
raise RuntimeError(f"SEEN {_SEEN} outputs.py={os.path.getsize(os.path.join(_PACK, 'outputs.py')) > 0}")
'''


def test_the_packs_instructor_files_are_empty_in_the_sandbox(session: Session,
                                                               tmp_path: Path) -> None:
    """The child imports the files a pack declares for it (its probe contract), but sees
    its reference, demo students, mistake library (which quotes the reference) and
    compiled files empty or absent."""
    entry = tmp_path / "looks"
    entry.mkdir()
    (entry / "neural_net.py").write_text(LOOKS_INTO_THE_PACK, encoding="utf-8")
    text = grade_once(entry, session).result.dumps()
    assert ("SEEN {'mistakes.py': 0, 'reference': [], 'examples': [], '__pycache__': []} "
            "outputs.py=True") in text, text[:3000]

FILLS_DEV = '''

def _fill_dev():
    """HOSTILE: /dev is a tmpfs, memory outside the child's budget."""
    for path, size in (("/dev/HOSTILE_file", 1), ("/dev/shm/HOSTILE_file", 64 * 2**20)):
        try:
            with open(path, "wb") as f:
                for _ in range(size // 2**20 or 1):
                    f.write(b"x" * min(size, 2**20))
            print(f"HOSTILE: wrote {size} bytes to {path}")
        except OSError as exc:
            print(f"HOSTILE: could not fill {path}: {exc.strerror}")


_fill_dev()
'''


def test_dev_is_not_a_memory_store(session: Session, tmp_path: Path) -> None:
    """Writes to /dev fail and /dev/shm holds a megabyte; the module is still graded."""
    entry = tmp_path / "fills_dev"
    entry.mkdir()
    (entry / "neural_net.py").write_text(REFERENCE.read_text(encoding="utf-8") + FILLS_DEV,
                                         encoding="utf-8")
    graded = grade_once(entry, session)
    printed = graded.outcomes["import"].output
    assert "HOSTILE: could not fill /dev/HOSTILE_file: Read-only file system" in printed, printed
    assert "HOSTILE: could not fill /dev/shm/HOSTILE_file: No space left on device" in printed
    assert graded.result.score == FULL_MARKS, statuses(graded.result)


READS_HOST_SECRETS = '''

def _read_host_secrets():
    """HOSTILE: files of /etc only root may read (the sandbox's user is root outside)."""
    import os

    for path in ("/etc/shadow", "/etc/gshadow"):
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                print(f"HOSTILE: read {len(f.read())} characters of {path}")
        except OSError as exc:
            print(f"HOSTILE: could not read {path}: {exc.strerror}")
    try:
        print(f"HOSTILE: /etc/ssl/private holds {len(os.listdir('/etc/ssl/private'))} files")
    except OSError as exc:
        print(f"HOSTILE: could not list /etc/ssl/private: {exc.strerror}")


_read_host_secrets()


def _new_user_namespace():
    """HOSTILE: a user namespace of its own, where it would be root."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(0x10000000) == 0:  # CLONE_NEWUSER
        print("HOSTILE: made a user namespace")
    else:
        print(f"HOSTILE: no user namespace: errno {ctypes.get_errno()}")


_new_user_namespace()
'''


def test_files_only_root_may_read_are_out_of_reach(session: Session, tmp_path: Path) -> None:
    """When the grader runs as root, the sandbox's user owns root's files outside:
    those not every user may read are empty in the sandbox."""
    entry = tmp_path / "reads_host_secrets"
    entry.mkdir()
    (entry / "neural_net.py").write_text(
        REFERENCE.read_text(encoding="utf-8") + READS_HOST_SECRETS, encoding="utf-8")
    graded = grade_once(entry, session)
    printed = graded.outcomes["import"].output
    for path in ("/etc/shadow", "/etc/gshadow"):
        assert (f"HOSTILE: read 0 characters of {path}\n" in printed
                or f"HOSTILE: could not read {path}:" in printed), printed
    assert ("HOSTILE: /etc/ssl/private holds 0 files" in printed
            or "HOSTILE: could not list /etc/ssl/private" in printed), printed
    if has_option("--disable-userns") or os.geteuid() == 0:  # as root: a seccomp filter
        assert "HOSTILE: no user namespace: errno" in printed, printed
    assert graded.result.score == FULL_MARKS, statuses(graded.result)


# --------------------------------------------------------------------------- determinism


@pytest.mark.parametrize("entry", [REFERENCE, HOSTILE / "crash_in_train",
                                   HOSTILE / "returns_nan"],
                         ids=["reference", "crash_in_train", "returns_nan"])
def test_grading_twice_gives_the_same_json(session: Session, entry: Path) -> None:
    first = grade_submission(entry, session)
    second = grade_submission(entry, session)
    assert first.timing and second.timing
    assert without_timing(first) == without_timing(second)
    assert json.dumps(without_timing(first), sort_keys=True) == \
        json.dumps(without_timing(second), sort_keys=True)


def test_train_cannot_borrow_the_reference_train(hostile: Callable[[str], Graded]) -> None:
    """The train probe's stand-in has the reference loss and predict, and no train."""
    graded = hostile("train_borrows_reference")
    check = graded.check("train")
    assert check.status == "error", check.message
    assert check.error is not None and check.error.type == "AttributeError"
    assert "train" in check.error.message
    assert_pass(graded, "init", "scores", "loss", "grad_W1", "predict")


def test_the_core_child_names_no_assignment() -> None:
    """The child's own modules import no assignment pack: each pack's child-side files are
    named by its declarations (``ProbeDef.run``, ``CHILD_FILES``) and bound back alone."""
    import ast

    import grader.child

    for path in sorted(Path(grader.child.__file__).parent.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = [node.module or "" for node in ast.walk(tree)
                    if isinstance(node, ast.ImportFrom)]
        imported += [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                     for alias in node.names]
        assert not [m for m in imported if "assignments" in m], path.name
