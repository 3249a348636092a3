"""The grading run's temporary folder, and removal of those a killed run left behind.

Each folder is named ``grader-<pid>-<random>`` after the process that owns
it. A run that is killed (SIGKILL, power loss) cannot clean up after itself,
so every new run removes the folders of owners that no longer exist.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

logger = logging.getLogger(__name__)

PREFIX = "grader-"
_OWNED = re.compile(rf"^{PREFIX}(\d+)-")


def new_temp_dir() -> Path:
    """A fresh temporary folder marked with this process's id; stale ones are removed first."""
    remove_stale_temp_dirs()
    return Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))


def remove_stale_temp_dirs(parent: Path | None = None) -> list[Path]:
    """Remove this user's ``grader-<pid>-*`` folders whose process is gone; the removed ones."""
    parent = parent or Path(tempfile.gettempdir())
    removed = []
    try:
        candidates = list(os.scandir(parent))
    except OSError:
        return []
    for entry in candidates:
        match = _OWNED.match(entry.name)
        if match is None or not entry.is_dir(follow_symlinks=False):
            continue
        try:
            owner = entry.stat(follow_symlinks=False).st_uid
        except OSError:  # another grader on this machine removed it at the same moment
            continue
        if owner != os.getuid() or _alive(int(match[1])):
            continue
        logger.info("removing %s, left by a run that was killed", entry.path)
        shutil.rmtree(entry.path, ignore_errors=True)
        removed.append(Path(entry.path))
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True
