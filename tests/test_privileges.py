"""A grader running as root never runs student code as root.

With bubblewrap, the child is ``nobody`` outside the sandbox too: it cannot read
or write root's files bound into it, has no capabilities, cannot become root
again nor make a user namespace, and the verdicts do not change. Without
bubblewrap, grading is refused where ``nobody`` cannot read the Python that would
run the child (this machine's is under /root), and the same drop is checked with
an interpreter every user can read (the system's Python, borrowing the project's
libraries), when the machine has one.

These tests need root (the grading host's situation); as another user they check
nothing and are skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterator

import pytest
from click.testing import CliRunner

from grader import bwrap, privileges
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


def assert_unprivileged(found: dict[str, Any]) -> None:
    assert (found["uid"], found["euid"], found["gid"]) == (NOBODY, NOBODY, NOBODY), found
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
    # seen from outside the sandbox: the file the child made is nobody's, root's are intact
    assert (workdir / "made_by_student").stat().st_uid == NOBODY
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
    assert f"OWNER {NOBODY}" in done.stdout


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
