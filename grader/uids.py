"""One unprivileged user per sandboxed child, leased from a range and given back.

A grader running as root runs each child as a user of its own (see
:mod:`grader.privileges`): children graded at the same time then cannot
signal, trace, read or write one another even without bubblewrap, and every
process a child leaves behind (a new session, a double fork) is found by its
user and killed before the user is given back.

The range (:class:`IdRange`, by default :data:`DEFAULT_RANGE`; the
environment variable ``GRADER_CHILD_UIDS=FIRST-LAST`` sets another) must hold
no user or group of the system (``/etc/passwd``, ``/etc/group``) and no
subordinate ids (``/etc/subuid``, ``/etc/subgid``, and ``/etc/login.defs``'
``SUB_UID_MIN``..``SUB_UID_MAX`` from which they are handed out). A user
without a passwd entry is fine: the child needs no name, no home and no shell.

Each id is leased by an exclusive ``flock`` on a file named after it in a
folder only root may enter: the kernel releases it when the grader dies, and
two graders on one machine, or the threads of one, never share an id.
"""

from __future__ import annotations

import fcntl
import grp
import os
import pwd
import re
import shutil
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import PrivilegeError, SandboxError

ENV = "GRADER_CHILD_UIDS"
_WAIT_SECONDS = 600.0
"""How long a child waits for a free id (more children at once than ids) before failing."""
_LOCK_FOLDERS = (Path("/run/grader-uids"), Path("/var/lock/grader-uids"),
                 Path(tempfile.gettempdir(), "grader-uids"))
"""The first that is root's alone is used: one a user made in ``/tmp`` never is."""
_SHARED_TEMP = (Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"))
"""Where any user may leave files: without bubblewrap a child may, and they would
be the next child's of the same user."""


@dataclass(frozen=True)
class IdRange:
    """The user ids (each also the group id) children are run as, ``first`` to ``last``."""

    first: int
    last: int

    def __post_init__(self) -> None:
        if not 0 < self.first <= self.last < 2**31:
            raise PrivilegeError(f"child user ids {self.first}-{self.last}: not a range of "
                                 "ids between 1 and 2147483647")

    @classmethod
    def parse(cls, text: str) -> IdRange:
        """``FIRST-LAST`` (or one id)."""
        found = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", text)
        if found is None:
            raise PrivilegeError(f"{ENV}={text!r}: expected FIRST-LAST, e.g. 1900000000-1900001023")
        return cls(int(found[1]), int(found[2] or found[1]))

    def __contains__(self, uid: object) -> bool:
        return isinstance(uid, int) and self.first <= uid <= self.last


DEFAULT_RANGE = IdRange(1_900_000_000, 1_900_001_023)
"""Above the subordinate ids ``useradd`` hands out by default (100000-600100000) and
the ids systemd gives containers (up to 1879048191), below 2**31."""


def configured() -> IdRange:
    """The range set by ``GRADER_CHILD_UIDS``, else :data:`DEFAULT_RANGE`."""
    text = os.environ.get(ENV, "").strip()
    return IdRange.parse(text) if text else DEFAULT_RANGE


def collision(ids: IdRange) -> str | None:
    """Why ``ids`` may not be used for children (a system user, group or subordinate
    range in it), or None."""
    for table, kind in (("/etc/passwd", "user"), ("/etc/group", "group")):
        for name, number in _entries(Path(table)):
            if number in ids:
                return f"the {kind} {name} has id {number}"
    for table in ("/etc/subuid", "/etc/subgid"):
        for line in _lines(Path(table)):
            fields = line.split(":")
            if len(fields) == 3 and fields[1].isdigit() and fields[2].isdigit():
                start, count = int(fields[1]), int(fields[2])
                if start <= ids.last and ids.first < start + count:
                    return f"{table} gives {fields[0]} the ids {start}-{start + count - 1}"
    defs = _login_defs()
    low, high = defs.get("SUB_UID_MIN", 100000), defs.get("SUB_UID_MAX", 600100000)
    if low <= ids.last and ids.first <= high:
        return f"/etc/login.defs hands out subordinate ids {low}-{high}"
    return None


def _lines(path: Path) -> list[str]:
    try:
        return [line.strip() for line in path.read_text(encoding="utf-8", errors="replace")
                .splitlines() if line.strip() and not line.startswith("#")]
    except OSError:
        return []


def _entries(path: Path) -> list[tuple[str, int]]:
    fields = (line.split(":") for line in _lines(path))
    return [(f[0], int(f[2])) for f in fields if len(f) > 2 and f[2].isdigit()]


def _login_defs() -> dict[str, int]:
    pairs = (line.split() for line in _lines(Path("/etc/login.defs")))
    return {p[0]: int(p[1]) for p in pairs if len(p) == 2 and p[1].isdigit()}


class Lease:
    """One id leased to one child: :meth:`release` kills what runs as it, then frees it."""

    def __init__(self, uid: int, fd: int) -> None:
        self.uid = uid
        self._fd: int | None = fd

    @classmethod
    def take(cls, ids: IdRange) -> Lease:
        """The first free id of ``ids``, waiting while every one is leased."""
        folder = _lock_folder()
        deadline = time.monotonic() + _WAIT_SECONDS
        while True:
            for uid in range(ids.first, ids.last + 1):
                fd = os.open(folder / str(uid), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW
                             | os.O_CLOEXEC, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    continue
                try:
                    _unused(uid)
                except PrivilegeError:
                    os.close(fd)
                    raise
                kill_all(uid)  # a grader that was killed may have left them
                return cls(uid, fd)
            if time.monotonic() > deadline:
                raise SandboxError(f"no free child user id in {ids.first}-{ids.last} after "
                                   f"{_WAIT_SECONDS:g} s: set a larger range with {ENV}")
            time.sleep(0.05)

    def release(self) -> None:
        """Kill every process of the id, remove what it left in the shared temporary
        folders, then give the id back (once)."""
        if self._fd is None:
            return
        try:
            kill_all(self.uid)
            remove_left_files(self.uid)
        finally:
            os.close(self._fd)
            self._fd = None


def _unused(uid: int) -> None:
    """Refuse an id the system knows by name (a directory service's users are not in
    ``/etc/passwd``): its processes would be killed and its files removed."""
    for lookup, kind in ((pwd.getpwuid, "user"), (grp.getgrgid, "group")):
        try:
            entry = lookup(uid)
        except KeyError:
            continue
        raise PrivilegeError(f"the child user id {uid} is the {kind} {entry[0]} of this "
                             f"system: set a range of unused ids with {ENV}=FIRST-LAST")


def _lock_folder() -> Path:
    """A folder only root may enter, for the lease files (never one a user made)."""
    for folder in _LOCK_FOLDERS:
        if not folder.parent.is_dir():
            continue
        try:
            folder.mkdir(mode=0o700, exist_ok=True)
            st = folder.lstat()
        except OSError:
            continue
        if stat.S_ISDIR(st.st_mode) and st.st_uid == 0 and stat.S_IMODE(st.st_mode) == 0o700:
            return folder
    raise SandboxError("no folder for the child user leases: "
                       + " or ".join(str(f) for f in _LOCK_FOLDERS) + " (root's, mode 0700)")


def remove_left_files(uid: int, folders: tuple[Path, ...] = _SHARED_TEMP) -> None:
    """Remove what ``uid`` owns directly in ``folders``. No process of that user is left
    to change it, and no other user may rename its entries there (sticky folders):
    links are removed, not followed, and folders removed with descriptors."""
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid != uid:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path)
                else:
                    os.unlink(entry.path)
            except OSError:
                continue  # gone meanwhile


def processes_of(uid: int) -> list[int]:
    """The processes whose real or effective user is ``uid``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path("/proc", entry, "status").read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue  # gone meanwhile
        fields = dict(x.split(":", 1) for x in status.splitlines() if ":" in x)
        if fields.get("State", "").split()[:1] == ["Z"]:
            continue  # already dead, waiting for its parent to reap it
        if str(uid) in fields.get("Uid", "").split()[:2]:
            found.append(int(entry))
    return found


def kill_all(uid: int) -> None:
    """Kill every process running as ``uid``: ``kill -9 -1`` run as that user reaches
    all of them at once, however they were started, and nothing of anyone else's."""
    killer = [shutil.which(name, path="/usr/bin:/bin") for name in ("setpriv", "kill")]
    if killer[0] is None or killer[1] is None:
        raise SandboxError("setpriv and kill (util-linux, procps) are needed to stop "
                           "what a child left running")
    for _ in range(50):
        if not processes_of(uid):
            return
        subprocess.run([killer[0], f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--",
                        killer[1], "-9", "-1"], capture_output=True, timeout=30)
        time.sleep(0.02)
    raise SandboxError(f"processes of the child user {uid} could not be stopped")
