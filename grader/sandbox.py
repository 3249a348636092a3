"""Run student code in a child process with limits, and collect what it wrote.

One child runs all the probes of a submission in turn (starting Python and
numpy once is most of the cost). The parent times each probe from the child's
``begin``/``end`` status lines; when a probe runs past its wall limit the
child's process group is killed with SIGKILL, the probe is marked as timed
out, and a fresh child carries on with the next probe. A child that dies
mid-probe costs that probe only, in the same way.

Isolation: with ``bwrap`` (bubblewrap) available, the child sees a read-only
system, its own work folder as the only writable place, no network, no other
submissions and no results (:mod:`grader.bwrap`), and runs as an unprivileged
user whose lowered hard limits cannot be raised again. Without it, the child
still gets its resource limits, its own session and a scrubbed environment.
A grader running as root never runs student code as root (:mod:`grader.privileges`).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import selectors
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, Mapping, Sequence

from . import bwrap, privileges, seccomp
from .bwrap import tmp_bytes as tmp_bytes
from .contract import Output
from .diskuse import DiskBudget, measure
from .errors import SandboxError, UnsafeOutput
from .limits import Limits
from .pids import PidsGroup
from .privileges import RunAs
from .uids import Lease

logger = logging.getLogger(__name__)

Isolation = Literal["auto", "bwrap", "none"]
ProbeState = Literal["done", "timeout", "crashed", "not_run", "refused", "disk"]
"""``refused``: the probe finished, but the files it left were refused (grader.hostile)."""

_PACKAGE_PARENT = str(Path(__file__).resolve().parent.parent)
_PACKAGE = Path(_PACKAGE_PARENT) / "grader"
# The child imports only grader.child: an empty stand-in for the package keeps
# grader/__init__.py (the parent's whole pipeline) from being imported there.
_BOOTSTRAP = (
    "import sys, types; pkg = types.ModuleType('grader'); pkg.__path__ = [{package!r}]; "
    "sys.modules['grader'] = pkg; {filter}"
    "from grader.child.{entry} import main; sys.exit(main())"
)
_FILTER = "from grader.seccomp import install_from; install_from({fd}); "
"""Without bubblewrap, the child installs the filter itself before anything else runs."""
_MAX_STATUS_LINE = 4 * 2**20
"""Bytes of one status line (a report); a longer one is dropped."""
MAX_TASKS = 256
"""Processes and threads one child may run at once (a fork bomb stops there)."""
_STARTUP_SECONDS = 30.0
_DISK_EVERY = 0.25
"""Seconds between two measures of the disk the child's folders take."""
"""Grace for starting Python and between probes, on top of each probe's own limit."""


@dataclass(frozen=True)
class ProbeOutcome:
    """What the parent saw of one probe (or of the import, as probe ``import``)."""

    id: str
    state: ProbeState
    seconds: float = 0.0
    output: str = ""
    """What the student's code printed during the probe (capped)."""
    detail: str = ""
    """How the child ended, for timeouts and crashes."""


@dataclass(frozen=True)
class ProbeRequest:
    """One probe to run in the child, named by its kind, and its limits."""

    id: str
    limits: Limits
    needs_reference: bool = False
    """The reference stands in for student code in this probe. Such probes run
    last, and the child gets the reference only once every earlier probe's
    output has been read by the parent."""
    output: Output | None = None
    """What the probe may send back; anything else is refused when it is read."""
    run: str = ""
    """``"module:function"`` the child runs (see :class:`grader.checkdef.ProbeDef`); empty: the
    child's own probe of that name."""


@dataclass(frozen=True)
class Collected:
    """A probe's output as read by the parent the moment the probe ended."""

    arrays: Mapping[str, Any]
    info: Mapping[str, Any]
    problem: str = ""


@dataclass(frozen=True)
class ChildConfig:
    """Everything about how to start the child for one submission."""

    workdir: Path
    module: Path
    root: Path
    class_name: str
    reference: str | None
    """Source of the reference stand-in, sent (never as a file) to probes that need it."""
    reg_scale: float
    limits: Limits
    """Limits for the whole child (memory, output, total CPU)."""
    read_only: tuple[Path, ...] = ()
    """Extra folders the child may read (reference, data)."""
    writable: tuple[Path, ...] = ()
    """Extra folders the child may write, besides its work folder."""
    isolation: Isolation = "auto"
    entry: str = "main"
    """The module of ``grader.child`` to run: ``main`` (probes) or ``notebook``."""
    package: tuple[str, ...] = ()
    """Files beside ``module`` imported with it as one package (empty: ``module`` alone)."""
    shared: tuple[Path, ...] = ()
    """Files of the hidden assignment packs the child imports (their child-side probes)."""
    run_as: RunAs = RunAs()
    """Who the child runs as when the grader is root."""


def bwrap_available() -> bool:
    return bwrap.available()


def check_privileges(isolation: Isolation, run_as: RunAs) -> RunAs | None:
    """Who the child runs as: ``run_as`` where the grader is root, None for the grader's
    own user. Refuse (:class:`~grader.errors.PrivilegeError`) to grade as root where
    student code cannot run as ``run_as`` (no bubblewrap, and a Python that user cannot
    read), unless ``run_as.allow_root``."""
    return _drop(isolation, run_as)


def _drop(isolation: Isolation, run_as: RunAs) -> RunAs | None:
    """The user the child is started as, or None to start it as the grader's own."""
    if not privileges.dropping():
        return None
    problem = privileges.range_problem(run_as)
    if problem is not None:
        raise problem
    if _resolve(isolation) == "none":
        refusal = privileges.refusal(run_as, _PACKAGE)
        if refusal is not None and run_as.allow_root:
            return None
        if refusal is not None:
            raise refusal
        _warn_if_exposed(run_as)
    privileges.setpriv(run_as)  # installed, or a SandboxError says what to install
    return run_as


def _warn_if_exposed(run_as: RunAs) -> None:
    """Without bubblewrap nothing is hidden: say so where the child's user could read
    a pack's reference solution (the admin can make it root's alone)."""
    for folder in sorted((_PACKAGE / "assignments").glob("*/reference")):
        if privileges.readable_by(folder, run_as.typical()):
            _warn_once(f"without bubblewrap, student code can read the reference solution in "
                       f"{folder}: make it readable by root alone (chmod 700) on this host")


class Child:
    """One submission's sandboxed child, possibly restarted after a failure."""

    def __init__(self, config: ChildConfig, probes: Sequence[ProbeRequest]) -> None:
        self.config = config
        # probes the reference stands in for run last: see ProbeRequest.needs_reference
        self.probes = sorted(probes, key=lambda p: p.needs_reference)
        self.outcomes: dict[str, ProbeOutcome] = {}
        self.collected: dict[str, Collected] = {}
        self.reference_sent = False
        self.reports: dict[str, str] = {}
        """What a probe reported on the status pipe (``report <probe> <JSON>``), by probe."""
        (config.workdir / "out").mkdir(parents=True, exist_ok=True)
        self.drop = _drop(config.isolation, config.run_as)
        # as root, each child a user of its own (grader.uids), given back by kill()
        self.lease = _lease(self.drop)
        if self.lease is not None:
            self.drop = config.run_as.lone(self.lease.uid)
        self.pids: PidsGroup | None = None
        try:
            # as root, a cgroup caps the child's processes (the rlimit counts per user)
            self.pids = PidsGroup.create(MAX_TASKS)
            _write_json(config.workdir / "boot.json", self._boot())
            if self.drop is not None:
                privileges.prepare(config.workdir, config.writable,
                                   (*config.read_only, config.root, config.module.parent),
                                   self.drop)
            self._run = _Run(self, first=0)
        except BaseException:
            self._release()
            raise

    @property
    def disk_budget(self) -> DiskBudget | None:
        """What the child may leave in its writable folders (None: no limit)."""
        mb = self.config.limits.disk_mb
        return None if mb is None else DiskBudget(max_bytes=mb * 2**20)

    def _boot(self) -> dict[str, Any]:
        c = self.config
        cpu = sum(p.limits.cpu_seconds or 0 for p in self.probes) + _STARTUP_SECONDS
        return {
            "module": str(c.module), "root": str(c.root), "class_name": c.class_name,
            "reg_scale": c.reg_scale, "package": list(c.package),
            "limits": {
                # bubblewrap's private /tmp is memory too: it comes out of the same budget
                "memory_bytes": max(0, (c.limits.memory_mb or 0) * 2**20 - (
                    tmp_bytes(c.limits) if c.limits.memory_mb and _mode(c) == "bwrap" else 0)),
                "tasks": self._tasks(),
                "cpu_seconds": cpu,
                "file_bytes": 256 * 2**20,
            },
        }

    def _tasks(self) -> int | None:
        """``RLIMIT_NPROC``, which counts every process of the child's user: the
        grader's own user's under bubblewrap, all children's as root (a cgroup
        is per child: it then stands alone)."""
        if self.pids is not None or _mode(self.config) == "none" and self.drop is None:
            return None
        return MAX_TASKS

    def run(self, plan: Mapping[str, Any], args: Mapping[str, Mapping[str, Any]]
            ) -> dict[str, ProbeOutcome]:
        """Send the plan (``args``: each probe's arguments), run every probe,
        restarting the child after a failure."""
        plan = dict(plan, probes=[{"id": p.id, "kind": p.id, "args": dict(args[p.id]),
                                   "cpu_seconds": p.limits.cpu_seconds,
                                   "needs_reference": p.needs_reference, "run": p.run}
                                  for p in self.probes])
        _write_json(self.config.workdir / "plan.json", plan)
        index = self._run.finish()
        if _import_failed(self):
            index = len(self.probes)
        while index < len(self.probes):
            self._run = _Run(self, first=index)
            after = self._run.finish()
            if after == index:  # died before it began the probe: count that probe lost
                lost = self.probes[index].id
                self.outcomes[lost] = ProbeOutcome(lost, "crashed", detail=self._run.ended)
                after += 1
            index = after
        for probe in self.probes:
            self.outcomes.setdefault(probe.id, ProbeOutcome(probe.id, "not_run"))
        return self.outcomes

    def kill(self) -> None:
        self._run.kill()
        self._release()

    def _release(self) -> None:
        """Give back the user and cgroup, once every process of the child is gone
        (those it left in a new session too: they run as its user)."""
        try:
            if self.lease is not None:
                self.lease.release()
        finally:
            if self.pids is not None:
                self.pids.remove()

    def collect(self, name: str) -> None:
        """Read a probe's output now: what the child writes later cannot change it."""
        if name in self.collected:
            return
        from . import hostile

        base = self.config.workdir
        output = next((p.output for p in self.probes if p.id == name), None)
        try:
            arrays = hostile.read_npz(base, f"out/{name}.npz",
                                      declared=output.problem if output else None)
            info = hostile.read_json(base, f"out/{name}.json")
        except FileNotFoundError as exc:
            self.collected[name] = Collected({}, {}, f"its results are missing ({exc.filename})")
        except UnsafeOutput as exc:
            self.collected[name] = Collected({}, {}, f"its results could not be read ({exc})")
        else:
            self.collected[name] = Collected(arrays, info)

    def reference_due(self) -> bool:
        """Whether every probe before the first that needs the reference has an outcome."""
        for probe in self.probes:
            if probe.needs_reference:
                return not self.reference_sent
            if probe.id not in self.outcomes:
                return False
        return False


def _lease(drop: RunAs | None) -> Lease | None:
    """A user of the child's own from ``drop``'s range, or None (no range, or not root)."""
    if drop is None or drop.ids is None:
        return None
    return Lease.take(drop.ids)


def _import_failed(child: Child) -> bool:
    from . import hostile

    try:
        return "error" in hostile.read_json(child.config.workdir, "out/import.json")
    except (OSError, UnsafeOutput):
        return True


class _Run:
    """One child process: started at once, told to go, watched to its end."""

    def __init__(self, child: Child, first: int) -> None:
        self.child = child
        self.first = first
        self.current = "import" if first == 0 else None
        self.started = time.monotonic()
        self.deadline = self.started + _STARTUP_SECONDS + self._wall("import")
        self.disk_due = self.started + _DISK_EVERY
        self.output: dict[str, list[str]] = {}
        self.output_size = 0
        self.ended = ""
        self.last = "import"
        self.recorded: list[str] = []
        self.proc = self._spawn()

    def _wall(self, probe_id: str) -> float:
        for p in self.child.probes:
            if p.id == probe_id:
                return p.limits.wall_seconds or float("inf")
        return self.child.config.limits.wall_seconds or float("inf")

    def _spawn(self) -> subprocess.Popen[bytes]:
        read_fd, write_fd = os.pipe()
        env = _child_env(write_fd, self.child.config.workdir)
        filter_fd = _seccomp_fd(self.child)
        cmd = _command(self.child.config, self.first, self.child.drop, filter_fd)
        if self.child.pids is not None:
            cmd = self.child.pids.wrap(cmd)
        try:
            proc = subprocess.Popen(
                cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                pass_fds=(write_fd,) + (() if filter_fd is None else (filter_fd,)), env=env,
                cwd=self.child.config.workdir, start_new_session=True)
        except OSError as exc:
            raise SandboxError(f"cannot start the sandboxed child: {exc}") from exc
        finally:
            os.close(write_fd)
            if filter_fd is not None:
                os.close(filter_fd)
        self.status_fd = read_fd
        return proc

    def finish(self) -> int:
        """Send ``go``, watch the child to its end; return the next probe index to run."""
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(b"go\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # the child is already gone: the watch below finds out why
        try:
            self._watch()
        finally:
            self.kill()
            os.close(self.status_fd)
            self._attach_output()
        return self._next_index()

    def _watch(self) -> None:
        assert self.proc.stdout is not None and self.proc.stderr is not None
        with selectors.DefaultSelector() as sel:
            sel.register(self.status_fd, selectors.EVENT_READ, "status")
            sel.register(self.proc.stdout, selectors.EVENT_READ, "out")
            sel.register(self.proc.stderr, selectors.EVENT_READ, "out")
            pending = b""
            while sel.get_map():
                exited = self.proc.poll() is not None
                # Once the child has exited, a process it left behind may hold
                # the pipes open: read what is there, but do not wait for EOF.
                timeout = 0.05 if exited else min(0.25, max(0.0, self.deadline - time.monotonic()))
                events = sel.select(timeout)
                if not events and exited:
                    break
                if not exited and self._over_disk():
                    return
                if not events and time.monotonic() < self.deadline:
                    continue
                if not events and time.monotonic() >= self.deadline:
                    self._timed_out()
                    return
                # Output first: the child writes what a probe printed before the status line
                # that ends the probe, so within one wake-up the output belongs before it.
                for key, _ in sorted(events, key=lambda event: event[0].data == "status"):
                    data = os.read(key.fd, 65536)
                    if not data:
                        sel.unregister(key.fileobj)
                    elif key.data == "status":
                        pending = self._status(pending + data)
                    else:
                        self._keep_output(data)
        self._ended()

    def _status(self, data: bytes) -> bytes:
        *lines, rest = data.split(b"\n")
        if len(rest) > _MAX_STATUS_LINE:
            rest = b""  # no line of the child's is this long: drop it
        for line in lines:
            verb, _, name = line.decode("utf-8", "replace").partition(" ")
            now = time.monotonic()
            if verb == "report":
                name, _, payload = name.partition(" ")
                if name == self.current:
                    self.child.reports.setdefault(name, payload)
            elif verb == "begin":
                self.current, self.started = name, now
                self.deadline = now + self._wall(name)
            elif verb == "end" and name == self.current:
                self._record(name, "done")
                self.child.collect(name)
                self.last = name
                self.current = None
            elif verb == "ask" and name == "reference" and self.child.reference_due():
                self._send_reference()
                self.deadline = now + _STARTUP_SECONDS
        return rest

    def _send_reference(self) -> None:
        self.child.reference_sent = True
        text = self.child.config.reference or ""
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(f"reference {len(text)}\n{text}".encode("utf-8"))
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # the child is gone; its outcome says why

    def _keep_output(self, data: bytes) -> None:
        cap = self.child.config.limits.output_kb * 1024
        if self.output_size >= cap:
            return
        text = data[: cap - self.output_size].decode("utf-8", "replace")
        self.output_size += len(data)
        # Output may arrive after its probe's "end" line (another pipe): it belongs
        # to the probe running, else to the one that ran last.
        self.output.setdefault(self.current or self.last, []).append(text)

    def _record(self, name: str, state: ProbeState, detail: str = "") -> None:
        if name in self.child.outcomes:
            return  # a probe's outcome is final once recorded
        seconds = round(time.monotonic() - self.started, 3)
        self.child.outcomes[name] = ProbeOutcome(name, state, seconds, "", detail)
        self.recorded.append(name)

    def _attach_output(self) -> None:
        """Give each probe recorded in this run what it printed, now that all output is in."""
        for name in self.recorded:
            text = "".join(self.output.get(name, []))
            if text:
                self.child.outcomes[name] = replace(self.child.outcomes[name], output=text)

    def _over_disk(self) -> bool:
        """Past the disk budget (measured every ``_DISK_EVERY`` seconds): stop the child,
        and do not start it again in the folders it filled."""
        now = time.monotonic()
        if now < self.disk_due:
            return False
        self.disk_due = now + _DISK_EVERY
        budget = self.child.disk_budget
        if budget is None:
            return False
        config = self.child.config
        why = measure(budget, config.workdir, *config.writable).over(budget)
        if why is None:
            return False
        self.kill()
        name = self.current or self._next_probe_id() or "import"
        self._record(name, "disk", f"{why} (its disk limit)")
        for probe in self.child.probes:
            self._record(probe.id, "not_run", f"an earlier part of your code {why}.")
        return True

    def _timed_out(self) -> None:
        self.kill()
        name = self.current or self._next_probe_id() or "import"
        limit = self._wall(name)
        self._record(name, "timeout", f"stopped after {limit:g} s (its time limit)")

    def _ended(self) -> None:
        code = self.proc.wait()
        self.ended = _describe_exit(code, "".join(sum(self.output.values(), []))[-2000:])
        if self.current is not None:
            self._record(self.current, "crashed", _describe_exit(code, self._stderr_tail()))

    def _stderr_tail(self) -> str:
        text = "".join(self.output.get(self.current or "", []))
        return text[-2000:]

    def _next_probe_id(self) -> str | None:
        index = self._next_index()
        probes = self.child.probes
        return probes[index].id if index < len(probes) else None

    def _next_index(self) -> int:
        for i, p in enumerate(self.child.probes):
            if p.id not in self.child.outcomes:
                return i
        return len(self.child.probes)

    def kill(self) -> None:
        try:  # the whole group, even when its leader is gone: it may have left children
            os.killpg(self.proc.pid, 9)
        except ProcessLookupError:
            pass
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None and not stream.closed:
                try:
                    stream.close()
                except OSError:
                    pass  # a pipe whose reader is gone cannot be flushed


def _describe_exit(code: int, stderr: str) -> str:
    import signal

    if 128 < code < 128 + 65 and code - 128 in {s.value for s in signal.Signals}:
        code = 128 - code  # bwrap reports a child killed by signal N as exit status 128 + N
    if code < 0:
        name = signal.Signals(-code).name
        why = {"SIGXCPU": " (CPU time limit)", "SIGKILL": " (killed; memory or time limit?)",
               "SIGSEGV": " (segmentation fault)", "SIGXFSZ": " (file size limit)"}.get(name, "")
        text = f"the Python process died from {name}{why}"
    else:
        text = f"the Python process exited with code {code} in the middle of the check"
    return f"{text}\n{stderr}".strip()


def _child_env(status_fd: int, workdir: Path) -> dict[str, str]:
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(workdir),
        "LANG": "C.UTF-8",
        "GRADER_STATUS_FD": str(status_fd),
        "GRADER_SANDBOX": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": str(workdir / ".matplotlib"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "PYTHONUNBUFFERED": "1",
        "JUPYTER_RUNTIME_DIR": str(workdir / ".jupyter" / "runtime"),
        "JUPYTER_DATA_DIR": str(workdir / ".jupyter" / "data"),
        "JUPYTER_CONFIG_DIR": str(workdir / ".jupyter" / "config"),
        "IPYTHONDIR": str(workdir / ".ipython"),
        "JUPYTER_PLATFORM_DIRS": "1",
    }


def _command(config: ChildConfig, first: int, drop: RunAs | None,
             filter_fd: int | None) -> list[str]:
    # -s -P: no user site-packages, no script folder on sys.path (as -I does), but
    # the environment built by _child_env is honoured (-I would ignore it).
    none = _mode(config) == "none"
    python = [sys.executable, "-s", "-P", "-B", "-u", "-c",
              _BOOTSTRAP.format(package=str(_PACKAGE), entry=config.entry, filter=_FILTER.format(
                  fd=filter_fd) if none and filter_fd is not None else ""),
              str(config.workdir), str(first)]
    user = [] if drop is None else privileges.setpriv(drop)
    if none:
        return user + python
    return bwrap.prefix(config, _PACKAGE, drop=drop, seccomp_fd=filter_fd) + user + python


def _seccomp_fd(child: Child) -> int | None:
    """A pipe holding the filter against new user namespaces, for a privileged bubblewrap,
    or (as root without bubblewrap) for the child to install before it runs student code."""
    if child.drop is None:
        return None
    if not seccomp.supported():
        _warn_once("no seccomp filter for this architecture: the sandboxed child may make "
                   "user namespaces")
        return None
    program = seccomp.no_user_namespaces()
    read_fd, write_fd = os.pipe()
    try:
        os.write(write_fd, program)  # a few hundred bytes: the pipe holds them
    finally:
        os.close(write_fd)
    return read_fd


@functools.lru_cache(maxsize=None)
def _warn_once(message: str) -> None:
    logger.warning(message)


def _mode(config: ChildConfig) -> Isolation:
    return _resolve(config.isolation)


def _resolve(isolation: Isolation) -> Isolation:
    if isolation == "auto":
        return "bwrap" if bwrap_available() else "none"
    return isolation


def _write_json(path: Path, data: Any) -> None:
    # the child may already be running student code in that folder: see grader.hostile
    from . import hostile

    try:
        hostile.write_into_sandbox(path.parent, path.name, json.dumps(data).encode("utf-8"))
    except (OSError, UnsafeOutput) as exc:
        raise SandboxError(f"cannot hand {path.name} to the sandboxed child: {exc}") from exc
