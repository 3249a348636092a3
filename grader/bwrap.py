"""bubblewrap's command line for one sandboxed child.

The child sees a read-only system, its own work folder as the only writable
place besides a small ``/tmp``, no network and no other process.

How the child's user is made depends on who runs the grader:

* not root: bubblewrap makes a user namespace whose user (1000) is the
  grader's user outside, and forbids the child further user namespaces
  (``--disable-userns``);
* root: a user namespace would map the child to root outside, owner of every
  file bound into the sandbox. bubblewrap runs privileged instead, without a
  user namespace, keeps for the child only the capabilities ``setpriv``
  needs to become :class:`grader.privileges.RunAs` (and drop them), and
  installs the filter of :mod:`grader.seccomp` that refuses new user
  namespaces. The folders bubblewrap creates above each mount point
  (``/root/...`` for a Python installed there) are made ``0755`` so that
  user can pass through them; ``/tmp`` and ``/dev/shm`` are ``1777``.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from .limits import Limits

if TYPE_CHECKING:
    from .privileges import RunAs
    from .sandbox import ChildConfig

logger = logging.getLogger(__name__)

_TMP_SHARE, _TMP_MAX = 8, 256 * 2**20
"""The child's ``/tmp`` (a tmpfs, so memory) takes 1/8 of its memory budget, at most 256 MB."""
_SHM_BYTES = 2**20
"""The size of the child's ``/dev/shm`` (POSIX semaphores and shared memory)."""
_SETPRIV_CAPS = ("CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP")
"""What ``setpriv`` needs to change user, clear the groups and empty the bounding set."""


def available() -> bool:
    """Whether bubblewrap is installed and can make its namespaces here: in a container
    without ``CAP_SYS_ADMIN`` and under Docker's default seccomp profile it cannot,
    and ``--isolation auto`` then grades without it (see :mod:`grader.privileges`)."""
    return shutil.which("bwrap") is not None and _works(os.geteuid() == 0)


@functools.lru_cache(maxsize=None)
def _works(as_root: bool) -> bool:
    from .privileges import RunAs

    args = ["bwrap", *_user(RunAs() if as_root else None), "--ro-bind", "/", "/", "--", "true"]
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        logger.warning("bubblewrap cannot be run (%s): grading without it", exc)
        return False
    if done.returncode != 0:
        logger.warning("bubblewrap cannot make its sandbox here (%s): grading without it",
                       done.stderr.strip()[:300])
    return done.returncode == 0


def tmp_bytes(limits: Limits) -> int:
    """The size of the child's private ``/tmp``: part of its memory budget, not extra."""
    budget = (limits.memory_mb or 2048) * 2**20
    return min(_TMP_MAX, budget // _TMP_SHARE)


def prefix(config: ChildConfig, package: Path, *, drop: RunAs | None = None,
           seccomp_fd: int | None = None) -> list[str]:
    """bubblewrap's arguments up to the child's command: a read-only system, the work
    folder the only writable place besides a small ``/tmp``.

    With ``drop`` (the grader is root), the command must begin with
    :func:`grader.privileges.setpriv` for that user; ``seccomp_fd`` is a file
    descriptor the child inherits, holding :func:`grader.seccomp.no_user_namespaces`.

    bubblewrap creates the folders above each mount point (``/work/...``,
    ``/tmp/...``) writable; ``--remount-ro /`` seals those on the root, and a
    tiny tmpfs sealed the same way holds those under ``/tmp``.
    """
    ro = [p for p in system_paths() + [package, *config.read_only] if p.exists()]
    rw = [config.workdir, *config.writable]
    args = ["bwrap", *_user(drop), "--die-with-parent", "--new-session", "--proc", "/proc",
            "--dev", "/dev", *_perms(drop, 0o1777),
            "--size", str(tmp_bytes(config.limits)), "--tmpfs", "/tmp"]
    sealed = sorted({Path("/tmp", p.relative_to("/tmp").parts[0]) for p in ro + rw
                     if p.is_relative_to("/tmp") and len(p.relative_to("/tmp").parts) > 1}
                    - set(ro + rw))
    for folder in sealed:
        args += [*_perms(drop, 0o755), "--size", str(2**20), "--tmpfs", str(folder)]
    if drop is not None:
        args += _folders_above(ro + rw, lambda f: f not in [*sealed, Path("/tmp")] and not any(
            f == m or f.is_relative_to(m) for m in ro + rw))
    for path in ro:
        args += ["--ro-bind", str(path), str(path)]
    for path in rw:
        args += ["--bind", str(path), str(path)]
    # The assignment packs hold the reference solutions, demo students and mistake
    # libraries: an empty folder stands in for them, and only the files a pack
    # declares for the child (``CHILD_FILES``, the grader's own code) are put back.
    # What of /etc only root may read is hidden the same way (defence in depth:
    # the child's user cannot read it either).
    private_folders, private_files = _private_system_entries()
    hidden = [p for p in [package / "assignments", *private_folders] if p.is_dir()]
    for folder in hidden:
        args += [*_perms(drop, 0o755), "--size", str(4096), "--tmpfs", str(folder)]
    if drop is not None:
        args += _folders_above(list(config.shared), lambda f: any(
            f != h and f.is_relative_to(h) for h in hidden))
    for file in config.shared:  # read-only, into the folder hidden just above
        args += ["--ro-bind", str(file), str(file)]
    for file in private_files:
        args += ["--ro-bind", "/dev/null", str(file)]
    # bubblewrap's /dev is a tmpfs of no set size, writable by the child: only a
    # small /dev/shm stays writable.
    args += [*_perms(drop, 0o1777), "--size", str(_SHM_BYTES), "--tmpfs", "/dev/shm"]
    for folder in [Path("/"), *sealed, *hidden, Path("/dev")]:
        args += ["--remount-ro", str(folder)]
    if seccomp_fd is not None:
        args += ["--seccomp", str(seccomp_fd)]
    args += ["--chdir", str(config.workdir)]
    return args + ["--"]


def _user(drop: RunAs | None) -> list[str]:
    """The namespaces, and the child's user and capabilities (see the module's docstring)."""
    if drop is None:
        # No user namespace inside: the usual first step of a kernel exploit, never needed here.
        nested = ["--disable-userns"] if has_option("--disable-userns") else []
        return ["--unshare-all", "--unshare-user", *nested, "--uid", "1000", "--gid", "1000"]
    # --unshare-all would make a user namespace too (mapping the child to root outside)
    caps = [arg for cap in _SETPRIV_CAPS for arg in ("--cap-add", cap)]
    return ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
            "--unshare-cgroup-try", "--cap-drop", "ALL", *caps]


def _perms(drop: RunAs | None, mode: int) -> list[str]:
    """``--perms`` for the next tmpfs or folder, where the child's user is not its owner."""
    return [] if drop is None else ["--perms", f"{mode:04o}"]


def _folders_above(paths: list[Path], made_here: Callable[[Path], bool]) -> list[str]:
    """``--dir`` with mode 0755 for the folders above ``paths`` that bubblewrap would
    otherwise create for root alone (0700), top first: those ``made_here`` (not the
    root, not inside a folder already mounted)."""
    folders = {parent for path in paths for parent in path.parents if parent != Path("/")}
    return [arg for f in sorted(folders) if made_here(f)
            for arg in ("--perms", "0755", "--dir", str(f))]


@functools.lru_cache(maxsize=None)
def has_option(option: str) -> bool:
    """Whether this bubblewrap knows ``option`` (``--disable-userns`` came in 0.8)."""
    try:
        shown = subprocess.run(["bwrap", "--help"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return option in shown.stdout + shown.stderr


@functools.lru_cache(maxsize=1)
def _private_system_entries() -> tuple[tuple[Path, ...], tuple[Path, ...]]:
    """The folders and files under ``/etc`` that not every user may read:
    an empty folder or an empty file stands in for each."""
    folders: list[Path] = []
    files: list[Path] = []
    for top, dirs, names in os.walk("/etc"):
        for name in [*dirs, *names]:
            path = Path(top, name)
            try:
                mode = path.lstat().st_mode
            except OSError:
                continue
            if stat.S_ISDIR(mode) and mode & 0o005 != 0o005:
                folders.append(path)
            elif stat.S_ISREG(mode) and not mode & 0o004:
                files.append(path)
        dirs[:] = [d for d in dirs if Path(top, d) not in folders]
    return tuple(folders), tuple(files)


def system_paths() -> list[Path]:
    """The folders Python and its libraries need, and nothing of the user's."""
    paths = {Path(p) for p in ("/usr", "/lib", "/lib64", "/bin", "/etc")}
    for prefix_ in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix):
        paths.add(Path(prefix_).resolve())
    paths.add(Path(sys.executable).resolve().parent)
    return sorted(paths)
