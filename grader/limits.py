"""Resource limits as value objects (``None`` means no limit)."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Limits:
    """The resources one probe of student code may use."""

    wall_seconds: float | None = 10.0
    """Wall-clock time, measured by the parent with ``time.monotonic()``."""
    cpu_seconds: float | None = 10.0
    """CPU time, enforced in the child with ``RLIMIT_CPU``."""
    memory_mb: int | None = 2048
    """Address space of the whole child, enforced with ``RLIMIT_AS``."""
    output_kb: int = 64
    """How much of the child's stdout and stderr is kept; the rest is dropped."""
    disk_mb: int | None = 1024
    """Disk the child may fill in its writable folders (its work folder, a notebook's
    folder), measured by the parent four times a second (:mod:`grader.diskuse`)."""

    def merge(self, other: Limits) -> Limits:
        """The looser of two limits, field by field (for a child serving both)."""

        def looser(a: float | None, b: float | None) -> float | None:
            return None if a is None or b is None else max(a, b)

        mem = looser(self.memory_mb, other.memory_mb)
        return replace(
            self,
            wall_seconds=looser(self.wall_seconds, other.wall_seconds),
            cpu_seconds=looser(self.cpu_seconds, other.cpu_seconds),
            memory_mb=None if mem is None else int(mem),
            output_kb=max(self.output_kb, other.output_kb),
            disk_mb=None if (disk := looser(self.disk_mb, other.disk_mb)) is None else int(disk),
        )
