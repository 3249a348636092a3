"""A cap on the number of processes one sandboxed child may run, where root needs it.

The child could lower ``RLIMIT_NPROC`` itself, but the kernel counts that limit
per user: when the grader runs as root with every child as the same unprivileged
user (:mod:`grader.privileges`, without a range of users), one child's fork bomb
would leave the others none; and a cgroup holds even what a child starts as
another process group. There, each child is started inside a cgroup of the ``pids`` controller
(cgroup v1 ``/sys/fs/cgroup/pids`` or a v2 hierarchy with ``pids`` enabled),
whose ``pids.max`` the kernel enforces for everyone. Without such a cgroup the
children share the rlimit, and a warning says so once.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from pathlib import Path

logger = logging.getLogger(__name__)

_ROOTS = (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup"))
_warned = False


class PidsGroup:
    """One child's cgroup: created before it starts, removed once it is gone."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def create(cls, max_tasks: int) -> PidsGroup | None:
        """A fresh cgroup allowing ``max_tasks`` tasks, or None where the rlimit suffices
        (not root) or no ``pids`` cgroup can be made."""
        global _warned
        if os.geteuid() != 0:
            return None
        for root in _ROOTS:
            path = root / f"grader-{os.getpid()}-{uuid.uuid4().hex[:12]}"
            try:
                path.mkdir()
            except OSError:
                continue
            try:
                (path / "pids.max").write_text(str(max_tasks))
                return cls(path)
            except OSError:
                path.rmdir()
        if not _warned:
            _warned = True
            logger.warning("no pids cgroup could be made: the sandboxed children share one "
                           "process limit")
        return None

    def wrap(self, command: list[str]) -> list[str]:
        """``command``, started from inside the cgroup (it and all it forks)."""
        return ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', str(self.path / "cgroup.procs"),
                *command]

    def remove(self) -> None:
        """Remove the cgroup once the processes killed in it are gone."""
        for _ in range(100):
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.02)  # the killed processes are still being reaped
        logger.warning("could not remove the cgroup %s", self.path)
