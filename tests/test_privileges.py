"""A grader running as root never runs student code as root.

With bubblewrap, the child is ``nobody`` outside the sandbox too: it cannot read
or write root's files bound into it, has no capabilities, cannot become root
again nor make a user namespace, and the verdicts do not change. Without
bubblewrap, grading is refused where ``nobody`` cannot read the Python that would
run the child (this machine's is under /root), and the same drop is checked with
an interpreter every user can read (the system's Python, borrowing the project's
libraries), when the machine has one.

Each child runs as a user of its own (grader.uids): two hostile submissions
graded together cannot reach each other, with or without bubblewrap, and
nothing a child starts or leaves in /tmp outlives it. The parent follows no
link and gives away no hard link a child planted.

These tests need root (the grading host's situation); as another user they check
nothing and are skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterator

import pytest
from click.testing import CliRunner

from grader import bwrap, privileges, uids
from grader.checkdef import child_files
from grader.cli import main
from grader.errors import PrivilegeError
from grader.limits import Limits
from grader.pipeline import grade_submission
from grader.privileges import NOBODY, RunAs
from grader.resources import DEFAULT_ASSIGNMENT
from grader.rubric import load_rubric
from grader.sandbox import Child, ChildConfig, Isolation, check_privileges
from grader.session import Session
from grader.tempdirs import new_temp_dir

from .conftest import PACK, REFERENCE, ROOT

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the grading host runs as root")

SYSTEM_PYTHON = Path(f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}")
"""An interpreter every user can read, of the same version as the project's."""

REPORTS = '''
import ctypes as _ctypes, json as _json, os as _os


def _attempt(action):
    try:
        action()
        return "ok"
    except OSError as exc:
        return exc.strerror


def _report(secret, public):
    """HOSTILE: who am I, and what may I do?"""
    status = dict(line.split(":\\t", 1) for line in open("/proc/self/status").read().splitlines()
                  if ":\\t" in line)
    found = {"uid": _os.getuid(), "euid": _os.geteuid(), "gid": _os.getgid(),
             "groups": _os.getgroups(), "no_new_privs": status["NoNewPrivs"].strip(),
             "caps": {k: int(status[k], 16) for k in ("CapPrm", "CapEff", "CapBnd", "CapAmb")}}
    with open("made_by_student", "w") as f:
        f.write("x")
    found["read_secret"] = _attempt(lambda: open(secret).read())
    found["read_public"] = _attempt(lambda: open(public).read())
    found["write_secret"] = _attempt(lambda: open(secret, "a").close())
    found["replace_boot"] = _attempt(lambda: _os.unlink("boot.json"))
    found["setuid_root"] = _attempt(lambda: _os.setuid(0))
    libc = _ctypes.CDLL(None, use_errno=True)
    found["user_namespace"] = ("made" if libc.unshare(0x10000000) == 0  # CLONE_NEWUSER
                               else _os.strerror(_ctypes.get_errno()))
    libc.syscall.restype = _ctypes.c_long
    args = _ctypes.create_string_buffer(128)  # struct clone_args, flags = CLONE_NEWUSER
    _ctypes.memmove(args, (0x10000000).to_bytes(8, "little"), 8)
    for name, number, *rest in [("clone3", 435, _ctypes.addressof(args), 64),
                                ("io_uring", 425, 4, _ctypes.addressof(args))]:
        made = libc.syscall(_ctypes.c_long(number), *map(_ctypes.c_long, rest))
        found[name] = "made" if made >= 0 else _os.strerror(_ctypes.get_errno())
    print("FOUND " + _json.dumps(found))


_report(SECRET, PUBLIC)
'''


def reports(secret: Path, public: Path) -> str:
    return REPORTS.replace("SECRET", repr(str(secret))).replace("PUBLIC", repr(str(public)))


def found_in(output: str) -> dict[str, Any]:
    lines = [line for line in output.splitlines() if line.startswith("FOUND ")]
    assert len(lines) == 1, output[-3000:]
    found: dict[str, Any] = json.loads(lines[0][len("FOUND "):])
    return found


def child_user(uid: int) -> bool:
    """Whether ``uid`` is one of the users children are leased (grader.uids)."""
    ids = RunAs().ids
    assert ids is not None
    return uid in ids


def assert_unprivileged(found: dict[str, Any]) -> None:
    assert child_user(found["uid"]), found
    assert found["uid"] == found["euid"] == found["gid"], found
    assert 0 not in found["groups"], found
    assert found["no_new_privs"] == "1", found
    assert found["setuid_root"] == "Operation not permitted", found
    assert found["read_secret"] == "Permission denied", found
    assert found["write_secret"] != "ok", found
    assert found["replace_boot"] == "Operation not permitted", found  # the sticky work folder


@pytest.fixture
def secret_folder(tmp_path: Path) -> Path:
    return make_secret_folder(tmp_path)


def make_secret_folder(parent: Path) -> Path:
    """A folder the child may read, with a file only root may read and one everybody may."""
    folder = parent / "bound"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    (folder / "secret").write_text("root only", encoding="utf-8")
    os.chmod(folder / "secret", 0o600)
    (folder / "public").write_text("anyone", encoding="utf-8")
    os.chmod(folder / "public", 0o644)
    return folder


def run_child(tmp_path: Path, source: str, read_only: tuple[Path, ...],
              isolation: Isolation, run_as: RunAs = RunAs()) -> tuple[str, Path]:
    """Import ``source`` as a student's module in a child; what it printed, and its
    work folder (kept, to look at from outside)."""
    submission = tmp_path / "submission"
    submission.mkdir(mode=0o755)
    os.chmod(submission, 0o755)
    (submission / "neural_net.py").write_text(source + "\nraise SystemExit(0)\n", encoding="utf-8")
    os.chmod(submission / "neural_net.py", 0o644)
    workdir = tmp_path / "work"
    workdir.mkdir()
    limits = Limits(wall_seconds=60, cpu_seconds=60, memory_mb=2048)
    child = Child(ChildConfig(workdir=workdir, module=submission / "neural_net.py",
                              root=submission, class_name="TwoLayerNet", reference=None,
                              reg_scale=1.0, limits=limits, isolation=isolation,
                              read_only=(submission, *read_only), run_as=run_as,
                              shared=child_files((DEFAULT_ASSIGNMENT,))), [])
    try:
        outcomes = child.run({}, {})
    finally:
        child.kill()
    return outcomes["import"].output, workdir


def test_sandboxed_child_is_nobody_outside_too(tmp_path: Path, secret_folder: Path) -> None:
    output, workdir = run_child(tmp_path, reports(secret_folder / "secret",
                                                  secret_folder / "public"),
                                (secret_folder,), "bwrap")
    found = found_in(output)
    assert_unprivileged(found)
    assert found["caps"] == {"CapPrm": 0, "CapEff": 0, "CapBnd": 0, "CapAmb": 0}, found
    assert found["read_public"] == "ok", found  # the folder is there: only the secret is not
    assert found["user_namespace"] == "Operation not permitted", found
    assert found["clone3"] == found["io_uring"] == "Function not implemented", found
    # seen from outside the sandbox: the file the child made is nobody's, root's are intact
    assert (workdir / "made_by_student").stat().st_uid == found["uid"]
    assert (workdir / "boot.json").stat().st_uid == 0
    assert (secret_folder / "secret").read_text(encoding="utf-8") == "root only"


def test_reference_keeps_full_marks_as_nobody(tmp_path: Path) -> None:
    """The whole pipeline, module and notebook (a Jupyter kernel run by nobody)."""
    entry = tmp_path / "reference"
    shutil.copytree(PACK / "reference", entry)
    module = entry / REFERENCE.name
    module.write_text(module.read_text(encoding="utf-8") +
                      reports(Path("/etc/shadow"), REFERENCE), encoding="utf-8")
    seen: list[str] = []
    original = Child.run

    def recording(self: Child, *args: Any) -> Any:
        outcomes = original(self, *args)
        seen.append(outcomes["import"].output if "import" in outcomes else "")
        return outcomes

    with pytest.MonkeyPatch.context() as mp, Session(load_rubric(), isolation="bwrap") as session:
        mp.setattr(Child, "run", recording)
        result = grade_submission(entry, session)
    assert result.score == result.max_score, [(c.id, c.status, c.message[:300])
                                              for c in result.checks if c.status != "pass"]
    found = found_in("".join(seen))
    assert_unprivileged(found)


def test_without_bwrap_root_grading_is_refused(tmp_path: Path) -> None:
    """This machine's Python lives under /root (0700): nobody could not even start it."""
    assert not privileges.readable_by(Path(sys.executable).resolve(), RunAs())
    with pytest.raises(PrivilegeError, match="Install bubblewrap"):
        Session(load_rubric(), isolation="none")
    runner = CliRunner()
    refused = runner.invoke(main, ["check", "--isolation", "none", str(REFERENCE)])
    assert refused.exit_code == 2, refused.output
    assert "--allow-root-student-code" in refused.output
    assert "/root" in refused.output


def test_the_root_opt_out_is_loud(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    runner = CliRunner()
    allowed = runner.invoke(main, ["check", "--isolation", "none", "--allow-root-student-code",
                                   "--check", "init", str(REFERENCE)])
    assert allowed.exit_code == 0, allowed.output
    assert "as root, it can read and write anything" in caplog.text


@pytest.fixture
def open_folder() -> Iterator[Path]:
    """A temporary folder every user may pass through (pytest's own are root's alone):
    without a sandbox, nobody reaches its files by their real paths."""
    folder = Path(tempfile.mkdtemp(prefix="open-folder-"))
    os.chmod(folder, 0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def readable_python(open_folder: Path) -> Path:
    """A venv of the system's Python that nobody can read, importing the project's own
    libraries (same Python version, so the same wheels)."""
    if not SYSTEM_PYTHON.exists():
        pytest.skip(f"no {SYSTEM_PYTHON} on this machine to build a Python nobody can read")
    venv = open_folder / "venv"
    subprocess.run([str(SYSTEM_PYTHON), "-m", "venv", "--without-pip", str(venv)],
                   check=True, capture_output=True)
    ours = Path(sys.prefix, "lib", f"python{sys.version_info.major}.{sys.version_info.minor}",
                "site-packages")
    (venv / "lib" / ours.parent.name / "site-packages" / "project.pth").write_text(
        f"import site; site.addsitedir({str(ours)!r})\n", encoding="utf-8")
    return venv / "bin" / "python"


DROPS_WITHOUT_BWRAP = """
import sys
from pathlib import Path
from grader.limits import Limits
from grader.sandbox import Child, ChildConfig
folder = Path(sys.argv[1])
child = Child(ChildConfig(workdir=folder / "work", module=folder / "submission" / "neural_net.py",
                          root=folder / "submission", class_name="TwoLayerNet", reference=None,
                          reg_scale=1.0, limits=Limits(60, 60, 2048), isolation="none"), [])
try:
    print(child.run({}, {})["import"].output)
finally:
    child.kill()
print("OWNER", (folder / "work" / "made_by_student").stat().st_uid)
"""


def test_without_bwrap_the_child_drops_to_nobody(readable_python: Path,
                                                  open_folder: Path) -> None:
    """With a Python nobody can read, the child runs as nobody without bubblewrap too."""
    secret = make_secret_folder(open_folder)
    submission = open_folder / "submission"
    submission.mkdir(mode=0o755)
    (submission / "neural_net.py").write_text(
        reports(secret / "secret", secret / "public") + "\nraise SystemExit(0)\n",
        encoding="utf-8")
    os.chmod(submission / "neural_net.py", 0o644)
    (open_folder / "work").mkdir()
    done = subprocess.run([str(readable_python), "-c", DROPS_WITHOUT_BWRAP, str(open_folder)],
                          capture_output=True, text=True, cwd=open_folder)
    assert done.returncode == 0, done.stderr[-3000:]
    found = found_in(done.stdout)
    assert_unprivileged(found)
    assert found["read_public"] == "ok", found
    # the child installed the sandbox's seccomp filter itself, before any student code
    assert found["user_namespace"] == "Operation not permitted", found
    assert found["clone3"] == found["io_uring"] == "Function not implemented", found
    assert f"OWNER {found['uid']}" in done.stdout


def test_a_bwrap_that_cannot_sandbox_counts_as_missing(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """In a container without CAP_SYS_ADMIN (Docker's defaults, as on Gradescope) bwrap
    is installed but cannot make its namespaces: ``auto`` grades without it, and so,
    as root with a Python nobody cannot read, refuses."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "bwrap").write_text("#!/bin/sh\necho 'bwrap: Creating new namespace failed: "
                                "Operation not permitted' >&2\nexit 1\n", encoding="utf-8")
    os.chmod(fake / "bwrap", 0o755)
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")
    bwrap._works.cache_clear()
    try:
        assert not bwrap.available()
        with pytest.raises(PrivilegeError, match="Install bubblewrap"):
            check_privileges("auto", RunAs())
        assert check_privileges("auto", RunAs(allow_root=True)) is None  # root, as asked
    finally:
        bwrap._works.cache_clear()
    assert check_privileges("bwrap", RunAs()) == RunAs()


GRADES_WITHOUT_BWRAP = """
import json, sys
from grader import api
from grader.privileges import RunAs
from grader.sandbox import check_privileges
result = api.check(sys.argv[1], isolation="none")
print(json.dumps({"user": check_privileges("none", RunAs()) == RunAs(),
                  "score": result.score, "max_score": result.max_score,
                  "failed": [c.id for c in result.checks if c.status != "pass"]}))
"""


def test_without_bwrap_nobody_grades_the_reference_in_full(readable_python: Path,
                                                           open_folder: Path) -> None:
    """Module and notebook (a Jupyter kernel run by nobody, its runtime folder in the
    sticky work folder) with limits only."""
    done = subprocess.run([str(readable_python), "-c", GRADES_WITHOUT_BWRAP,
                           str(PACK / "reference")],
                          capture_output=True, text=True, cwd=open_folder)
    assert done.returncode == 0, done.stderr[-3000:]
    graded = json.loads(done.stdout.splitlines()[-1])
    assert graded["user"], graded  # the child is dropped to nobody, not run as root
    assert graded["failed"] == [] and graded["score"] == graded["max_score"] > 0, graded


REACHES_THE_OTHER = '''
def _reach_the_other(expect_others):
    """HOSTILE: find the other child graded at the same time, and take what is there."""
    import ctypes, json, os, time
    me, session = os.getpid(), os.getcwd().split("/")[:3]
    libc = ctypes.CDLL(None, use_errno=True)

    def others():
        found = {}
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                cmd = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\\0")
            except OSError:
                continue
            if int(pid) != me and b"grader.child" in b" ".join(cmd) and len(cmd) > 3:
                folder = cmd[-3].decode()
                if folder.split("/")[:3] == session and folder != os.getcwd():
                    found[int(pid)] = folder
        return found

    def attempt(action):
        try:
            action()
            return "ok"
        except OSError as exc:
            return exc.strerror

    def trace(pid):
        if libc.ptrace(16, pid, 0, 0) != 0:  # PTRACE_ATTACH
            raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
        time.sleep(0.05)
        libc.ptrace(17, pid, 0, 0)  # PTRACE_DETACH

    deadline = time.monotonic() + (20 if expect_others else 3)
    seen = others()
    while not seen and time.monotonic() < deadline:
        time.sleep(0.1)
        seen = others()
    if not seen and expect_others:
        raise RuntimeError("ALONE: no other child was seen")
    if seen and not expect_others:
        raise RuntimeError(f"SEEN: {seen}")
    for pid, folder in seen.items():
        tried = {
            "read": attempt(lambda: open(json.load(open(folder + "/boot.json"))["module"]).read()),
            "list": attempt(lambda: os.listdir(os.path.dirname(folder))),
            "write": attempt(lambda: open(folder + "/out/import.json", "w").write("{}")),
            "cwd": attempt(lambda: os.readlink(f"/proc/{pid}/cwd")),
            "signal": attempt(lambda: os.kill(pid, 0)),
            "trace": attempt(lambda: trace(pid)),
        }
        if "ok" in tried.values():
            raise RuntimeError(f"REACHED {folder}: {tried}")
    time.sleep(2)  # stay a while: the other looks for this one too


_reach_the_other(EXPECT)
'''

GRADES_TOGETHER = """
import json, sys
from grader import api
results = api.grade(sys.argv[1], sys.argv[2], jobs=2, isolation=sys.argv[3])
print(json.dumps([{"id": r.submission, "error": (r.error or "")[:500], "score": r.score,
                   "max_score": r.max_score,
                   "failed": [(c.id, c.message[:500]) for c in r.checks
                              if c.status not in ("pass", "skipped")]} for r in results]))
"""


def two_hostile_submissions(folder: Path, expect_others: bool) -> Path:
    """Two copies of the reference, each looking for the other while it is graded."""
    batch = folder / "batch"
    for name in ("alice", "bob"):
        (batch / name).mkdir(parents=True)
        source = REFERENCE.read_text(encoding="utf-8") + f"\n# {name}\n" + \
            REACHES_THE_OTHER.replace("EXPECT", str(expect_others))
        (batch / name / REFERENCE.name).write_text(source, encoding="utf-8")
    for path in [folder, *batch.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    return batch


def assert_graded_apart(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 0, done.stderr[-3000:]
    graded = json.loads(done.stdout.splitlines()[-1])
    assert sorted(r["id"] for r in graded) == ["alice", "bob"], graded
    for result in graded:  # REACHED, ALONE or SEEN would fail the import
        assert result["failed"] == [], result
        assert result["score"] == result["max_score"] > 0, result


def test_children_graded_together_without_bwrap_cannot_reach_each_other(
        readable_python: Path, open_folder: Path) -> None:
    """Each child its own user: no reading, writing, signalling or tracing the other."""
    batch = two_hostile_submissions(open_folder, expect_others=True)
    done = subprocess.run([str(readable_python), "-c", GRADES_TOGETHER, str(batch),
                           str(open_folder / "out"), "none"],
                          capture_output=True, text=True, cwd=open_folder)
    assert_graded_apart(done)


def test_children_graded_together_with_bwrap_cannot_see_each_other(open_folder: Path) -> None:
    batch = two_hostile_submissions(open_folder, expect_others=False)
    done = subprocess.run([sys.executable, "-c", GRADES_TOGETHER, str(batch),
                           str(open_folder / "out"), "bwrap"],
                          capture_output=True, text=True, cwd=open_folder)
    assert_graded_apart(done)


LEAVES_A_PROCESS = """
import os, sys, time
from pathlib import Path
from grader import uids
from grader.limits import Limits
from grader.sandbox import Child, ChildConfig
folder = Path(sys.argv[1])
child = Child(ChildConfig(workdir=folder / "work", module=folder / "submission" / "neural_net.py",
                          root=folder / "submission", class_name="TwoLayerNet", reference=None,
                          reg_scale=1.0, limits=Limits(60, 60, 2048), isolation="none"), [])
try:
    child.run({}, {})
    uid = child.drop.uid
    left, left_file = (folder / "work" / "out" / "left.pid").read_text().split()
    print("ALIVE BEFORE", Path(f"/proc/{left}").exists(), Path(left_file).exists())
finally:
    child.kill()
time.sleep(0.2)
print("ALIVE AFTER", Path(f"/proc/{left}").exists() and
      Path(f"/proc/{left}/status").read_text().count("zombie") == 0)
print("PROCESSES", uids.processes_of(uid))
print("FILE LEFT", Path(left_file).exists())
"""

DAEMON = '''
import os as _os, time as _time
if _os.fork() == 0:
    _os.setsid()  # HOSTILE: out of the child's session and process group
    if _os.fork() == 0:
        import tempfile as _tempfile
        _fd, _left = _tempfile.mkstemp(prefix="left-by-a-child-", dir="/tmp")
        with open("out/left.pid", "w") as _f:
            _f.write(f"{_os.getpid()} {_left}")
        _time.sleep(600)
    _os._exit(0)
_time.sleep(1)
raise SystemExit(0)
'''


def test_without_bwrap_nothing_outlives_its_child(readable_python: Path,
                                                     open_folder: Path) -> None:
    """A process started in a new session escapes the child's process group, not its
    user; a file left in /tmp is removed with it."""
    submission = open_folder / "submission"
    submission.mkdir(mode=0o755)
    (submission / "neural_net.py").write_text(DAEMON, encoding="utf-8")
    os.chmod(submission / "neural_net.py", 0o644)
    (open_folder / "work").mkdir()
    done = subprocess.run([str(readable_python), "-c", LEAVES_A_PROCESS, str(open_folder)],
                          capture_output=True, text=True, cwd=open_folder)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "ALIVE BEFORE True True" in done.stdout, done.stdout
    assert "ALIVE AFTER False" in done.stdout, done.stdout
    assert "PROCESSES []" in done.stdout, done.stdout
    assert "FILE LEFT False" in done.stdout, done.stdout  # not the next child's of that user


def test_each_child_leases_its_own_user() -> None:
    ids = uids.IdRange(1_900_000_900, 1_900_000_901)
    first, second = uids.Lease.take(ids), uids.Lease.take(ids)
    try:
        assert {first.uid, second.uid} == {ids.first, ids.last}
        sleeper = subprocess.Popen([*privileges.setpriv(RunAs().lone(first.uid)),
                                    "sh", "-c", "echo ready; exec sleep 600"],
                                   stdout=subprocess.PIPE, start_new_session=True)
        assert sleeper.stdout is not None
        with sleeper.stdout:  # it prints once it runs as that user (setpriv has switched)
            assert sleeper.stdout.readline() == b"ready\n"
            first.release()
            assert sleeper.wait(timeout=10) == -9  # what runs as a user dies when given back
        assert uids.processes_of(first.uid) == []
        again = uids.Lease.take(ids)
        assert again.uid == first.uid
        again.release()
    finally:
        first.release()
        second.release()


def test_a_range_holding_a_system_user_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(PrivilegeError, match="nobody"):  # by name, from any directory service
        uids.Lease.take(uids.IdRange(NOBODY, NOBODY))
    monkeypatch.setenv(uids.ENV, f"{NOBODY - 1}-{NOBODY + 1}")
    with pytest.raises(PrivilegeError, match="nobody"):
        check_privileges("bwrap", RunAs())
    monkeypatch.setenv(uids.ENV, "200000-200010")
    with pytest.raises(PrivilegeError, match="subordinate"):
        check_privileges("bwrap", RunAs())


def test_the_parent_follows_no_link_planted_in_the_work_folder(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A process the child left behind swaps its own file for a link to root's the
    moment after the parent looked: the parent must change nothing through it."""
    top = new_temp_dir()
    try:
        workdir = top / "sub" / "module"
        (workdir / "out").mkdir(parents=True)
        target = top / "roots"
        target.write_text("root only", encoding="utf-8")
        os.chmod(target, 0o600)
        planted = workdir / "planted"
        planted.write_text("mine", encoding="utf-8")
        real_lstat = os.lstat

        def swapped_after_looking(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
            seen = real_lstat(path, *args, **kwargs)
            if str(path) == str(planted) and not planted.is_symlink():
                planted.unlink()
                planted.symlink_to(target)
            return seen

        monkeypatch.setattr(os, "lstat", swapped_after_looking)
        privileges.prepare(workdir, (), (), RunAs().lone(NOBODY))
        monkeypatch.undo()
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
        assert (workdir / "out").stat().st_uid == NOBODY
    finally:
        shutil.rmtree(top)


def test_the_parent_gives_away_no_hard_link(tmp_path: Path) -> None:
    """A second name for another file (where the system lets anyone link files they do
    not own) in a folder the child will write: the file keeps its owner."""
    top = new_temp_dir()
    try:
        workdir, writable = top / "sub" / "nbrun", top / "sub" / "nb"
        (workdir / "out").mkdir(parents=True)
        writable.mkdir()
        target = top / "roots"
        target.write_text("root only", encoding="utf-8")
        os.link(target, writable / "second-name")
        (writable / "notebook.ipynb").write_text("{}", encoding="utf-8")
        privileges.prepare(workdir, (writable,), (writable,), RunAs().lone(NOBODY))
        assert target.stat().st_uid == 0
        assert (writable / "notebook.ipynb").stat().st_uid == NOBODY
        assert writable.stat().st_uid == NOBODY
    finally:
        shutil.rmtree(top)
