"""Who student code runs as when the grader is root, and getting it there.

A grader running as root never runs student code as root. The child is
started through util-linux's ``setpriv`` as an unprivileged user
(:class:`RunAs`: by default one of its own, leased from a range by
:mod:`grader.uids`, else ``nobody``): real, effective and saved ids
changed, no supplementary groups, no capabilities (not even in the bounding
set) and ``no_new_privs``, so that no set-user-id program can bring root back.
With bubblewrap, ``setpriv`` runs inside the sandbox (see :mod:`grader.bwrap`);
without it, ``setpriv`` runs the child directly, which needs an interpreter,
libraries and a grader package that user can read: :func:`refusal` says when
they are not, and grading is refused unless :attr:`RunAs.allow_root` says
student code may run as root (in a throw-away container only).

Folders the child uses are made fit for that user before it starts
(:func:`prepare`): its work folder is root's with the sticky bit (like
``/tmp``: the child adds files but cannot replace the grader's ``boot.json``
and ``plan.json``), its output and writable folders are the user's, the
folders the grader made for it to read are readable by all, and the one
submission's folders above them passable by the child's group alone. Nothing
is changed by a path a child may be changing: see :func:`prepare`.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
import sysconfig
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable

from .errors import PrivilegeError, SandboxError
from .tempdirs import PREFIX
from .uids import IdRange, collision, configured

NOBODY = 65534


@dataclass(frozen=True)
class RunAs:
    """The user student code runs as when the grader runs as root."""

    uid: int = NOBODY
    gid: int = NOBODY
    allow_root: bool = False
    """Run student code as root where it cannot be run as ``uid`` (no bubblewrap, and a
    Python that user cannot read). Only for a throw-away container."""
    ids: IdRange | None = field(default_factory=configured)
    """Each child runs as a user of its own from this range (:mod:`grader.uids`), ``uid``
    and ``gid`` then unused; None: every child runs as ``uid``."""

    def lone(self, uid: int) -> RunAs:
        """One child's user: ``uid``, and its group of the same number."""
        return replace(self, uid=uid, gid=uid, ids=None)

    def typical(self) -> RunAs:
        """A user standing for every child's, to check what they may read."""
        return self if self.ids is None else self.lone(self.ids.first)


def dropping() -> bool:
    """Whether the child must be started as another user: the grader is root."""
    return os.geteuid() == 0


def setpriv(run_as: RunAs) -> list[str]:
    """The command prefix that runs what follows as ``run_as``, with no way back to root."""
    found = shutil.which("setpriv", path="/usr/bin:/bin:/usr/sbin:/sbin")
    if found is None:
        raise SandboxError("the grader runs as root and needs setpriv (util-linux) to run "
                           "student code as another user: install util-linux")
    return [found, f"--reuid={run_as.uid}", f"--regid={run_as.gid}", "--clear-groups",
            "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all", "--"]


def range_problem(run_as: RunAs) -> PrivilegeError | None:
    """Why the children's range of users may not be used (it holds a system's user,
    group or subordinate ids), or None."""
    if run_as.ids is None:
        return None
    why = collision(run_as.ids)
    if why is None:
        return None
    return PrivilegeError(f"student code would run as users {run_as.ids.first}-"
                          f"{run_as.ids.last}, but {why}: set another range with "
                          "GRADER_CHILD_UIDS=FIRST-LAST")


def needed_paths(package: Path) -> list[Path]:
    """What the child reads before any of the grader's folders: the interpreter, the
    standard library, the site-packages and the grader package."""
    paths = {Path(sys.executable).resolve(), package}
    for name in ("stdlib", "platstdlib", "purelib", "platlib"):
        paths.add(Path(sysconfig.get_paths()[name]))
    return sorted(p for p in paths if p.exists())


def refusal(run_as: RunAs, package: Path) -> PrivilegeError | None:
    """Why the child cannot run as ``run_as`` without a sandbox, or None if it can."""
    run_as = run_as.typical()
    unreadable = [p for p in needed_paths(package) if not readable_by(p, run_as)]
    if not unreadable:
        return None
    return PrivilegeError(
        f"the grader runs as root without bubblewrap, and student code would run as "
        f"uid {run_as.uid}, who cannot read {unreadable[0]} (needed to run Python). "
        "Install bubblewrap, or install Python and the grader where every user can read "
        "them (not under /root); or, in a throw-away container only, let student code run "
        "as root with --allow-root-student-code")


def readable_by(path: Path, run_as: RunAs) -> bool:
    """Whether ``run_as`` (no supplementary groups) may reach ``path`` and read it
    (and list it, for a folder), by the mode bits (access control lists are not read)."""
    try:
        for folder in reversed(path.parents):
            if not _allowed(folder.stat(), run_as, os.X_OK):
                return False
        st = path.stat()
    except OSError:
        return False
    want = os.R_OK | (os.X_OK if stat.S_ISDIR(st.st_mode) else 0)
    return _allowed(st, run_as, want)


def _allowed(st: os.stat_result, run_as: RunAs, want: int) -> bool:
    if st.st_uid == run_as.uid:
        bits = st.st_mode >> 6
    elif st.st_gid == run_as.gid:
        bits = st.st_mode >> 3
    else:
        bits = st.st_mode
    return bits & want == want


def prepare(workdir: Path, writable: Iterable[Path], readable: Iterable[Path],
            run_as: RunAs) -> None:
    """Make the child's folders fit for ``run_as``; see the module's docstring.

    The work folder itself is never walked: a process the child left behind may
    be changing it, and a root ``chmod`` or ``chown`` following a link it planted
    is a root write. Only the grader's own files in it are opened up."""
    os.chown(workdir, 0, 0, follow_symlinks=False)
    os.chmod(workdir, 0o1777, follow_symlinks=False)
    _open_up_file(workdir, "boot.json")
    _give(workdir / "out", run_as)
    for folder in writable:
        _give(folder, run_as)
    for path in [workdir, *readable]:
        if _ours(path):
            if path != workdir:
                _open_up(path)
            _reachable(path, run_as)


def _give(top: Path, run_as: RunAs) -> None:
    """``top`` and everything in it to ``run_as``. The walk holds each folder open
    and changes entries relative to it, never following a link: whatever is
    renamed or replaced meanwhile, nothing outside ``top`` is changed."""
    os.chown(top, run_as.uid, run_as.gid, follow_symlinks=False)
    for _, dirs, files, dir_fd in os.fwalk(top, follow_symlinks=False):
        for name in dirs + files:
            try:
                st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
                # a hard link may be another file's other name (where the system
                # lets anyone link what they do not own): never given away
                if st.st_uid == 0 and (not stat.S_ISREG(st.st_mode) or st.st_nlink == 1):
                    os.chown(name, run_as.uid, run_as.gid, dir_fd=dir_fd, follow_symlinks=False)
            except FileNotFoundError:
                pass  # removed meanwhile


def _open_up(top: Path) -> None:
    """Everything in ``top`` readable by all, folders listable (links left alone;
    see :func:`_give` for the walk)."""
    if not top.is_dir() or top.is_symlink():
        return
    for _, _, files, dir_fd in os.fwalk(top, follow_symlinks=False):
        os.fchmod(dir_fd, stat.S_IMODE(os.fstat(dir_fd).st_mode) | 0o555)
        for name in files:
            _open_up_file(dir_fd, name)


def _open_up_file(folder: Path | int, name: str) -> None:
    """A regular file readable by all, changed through a descriptor opened without
    following a link (a FIFO or device is opened without blocking and left alone)."""
    dir_fd = folder if isinstance(folder, int) else os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY
                     | os.O_CLOEXEC, dir_fd=dir_fd)
    except OSError:
        return  # gone, or a link (ELOOP)
    finally:
        if not isinstance(folder, int):
            os.close(dir_fd)
    try:
        st = os.fstat(fd)
        if stat.S_ISREG(st.st_mode):
            os.fchmod(fd, stat.S_IMODE(st.st_mode) | 0o444)
    finally:
        os.close(fd)


def _reachable(path: Path, run_as: RunAs) -> None:
    """The grader's folders above ``path`` passable (not listable): without
    bubblewrap the child reaches its folders through them. The run's own folder
    is passable by all; those below it (one submission's) by the child's group
    alone, so that no other child reaches them."""
    top = _temp_root()
    for folder in path.resolve().parents:
        if not folder.is_relative_to(top) or folder == top:
            break
        mode = stat.S_IMODE(os.lstat(folder).st_mode)
        if folder.parent == top:
            os.chmod(folder, mode | 0o111, follow_symlinks=False)
        else:
            os.chown(folder, 0, run_as.gid, follow_symlinks=False)
            os.chmod(folder, mode & 0o700 | 0o010, follow_symlinks=False)


def _temp_root() -> Path:
    return Path(tempfile.gettempdir()).resolve()


def _ours(path: Path) -> bool:
    """Whether ``path`` lies in a temporary folder this grading process made
    (:func:`grader.tempdirs.new_temp_dir`): only those are changed."""
    try:
        parts = path.resolve().relative_to(_temp_root()).parts
    except ValueError:
        return False
    return len(parts) > 1 and parts[0].startswith(f"{PREFIX}{os.getpid()}-")
