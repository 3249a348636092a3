"""How much disk a sandboxed child's folder takes, measured without trusting the folder.

The child can write into its work folder, which lives on the grading host's
disk; the sandbox caps single files, not their sum. While the child runs, its
watcher measures the folder now and then and stops the child past the budget.

The walk opens every folder relative to its parent with ``O_NOFOLLOW`` (a link
swapped in mid-walk is never followed out of the folder), counts allocated
blocks rather than apparent sizes (a sparse file costs what it holds), and
stops as soon as a budget is passed (a million empty files cost one walk of
the first ``max_entries``).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


@dataclass(frozen=True)
class DiskBudget:
    """What a child may leave in its folder."""

    max_bytes: int = 1 << 30
    max_entries: int = 50_000


@dataclass(frozen=True)
class DiskUse:
    """Bytes allocated and entries (files, folders, links) found, up to the budget."""

    bytes: int
    entries: int

    def over(self, budget: DiskBudget) -> str | None:
        """Why this use is past ``budget``, in the student's terms, or None."""
        if self.entries > budget.max_entries:
            return f"created more than {budget.max_entries:,} files and folders"
        if self.bytes > budget.max_bytes:
            return f"wrote more than {budget.max_bytes / 2**20:,.0f} MB to disk"
        return None


def measure(budget: DiskBudget, *folders: Path) -> DiskUse:
    """The disk taken by ``folders`` together (counting stops once ``budget`` is passed)."""
    stack = [fd for fd in map(_open_top, dict.fromkeys(folders)) if fd is not None]
    total, entries = 0, 0
    try:
        while stack:
            fd = stack.pop()
            try:
                with os.scandir(fd) as listing:
                    for entry in listing:
                        entries += 1
                        info = entry.stat(follow_symlinks=False)
                        total += info.st_blocks * 512
                        if entries > budget.max_entries or total > budget.max_bytes:
                            return DiskUse(total, entries)
                        if stat.S_ISDIR(info.st_mode):
                            sub = _open_below(fd, entry.name)
                            if sub is not None:
                                stack.append(sub)
            except OSError:
                pass  # a folder gone or changed under the walk: count what was seen
            finally:
                os.close(fd)
    finally:
        for fd in stack:
            os.close(fd)
    return DiskUse(total, entries)


def _open_top(folder: Path) -> int | None:
    try:
        return os.open(folder, _FLAGS)
    except OSError:
        return None


def _open_below(parent: int, name: str) -> int | None:
    try:
        return os.open(name, _FLAGS, dir_fd=parent)
    except OSError:
        return None
