"""The grader's one error hierarchy.

::

    GraderError
    ├── RubricError (ValueError)        a rubric file is malformed: file, key, reason
    ├── DataError (ValueError)          a data set is missing or not in its expected format
    ├── SubmissionError (ValueError)    a submission cannot be found or unpacked
    ├── ReleaseError (ValueError)       an assignment pack cannot be released (markers, reference)
    ├── UnsafeOutput (ValueError)       a file a sandbox left behind is not what it must be
    ├── MistakeError (ValueError)       a known mistake no longer applies to the reference
    ├── SandboxError (RuntimeError)     the sandboxed child could not be run at all
    │   ├── SandboxTimeout (TimeoutError)   a probe ran past its time limit
    │   └── PrivilegeError                  as root, student code cannot run as another user
    └── ClusterError (RuntimeError)     the dask cluster cannot be started or reached

Errors raised by *student* code never propagate as exceptions: they are
recorded as data (:class:`grader.results.StudentError`) inside the child and
travel back as JSON.
"""

from __future__ import annotations


class GraderError(Exception):
    """Base class of every error the grader raises."""


class RubricError(GraderError, ValueError):
    """A rubric file is malformed."""

    def __init__(self, path: str, key: str, reason: str) -> None:
        self.path = path
        self.key = key
        self.reason = reason
        super().__init__(f"{path}: {key}: {reason}")


class DataError(GraderError, ValueError):
    """A data set is missing or not in its expected format."""


class SubmissionError(GraderError, ValueError):
    """A submission cannot be found, unpacked or read."""


class ReleaseError(GraderError, ValueError):
    """An assignment pack cannot be released: malformed solution markers, or a
    reference that fails its own visible checks."""


class UnsafeOutput(GraderError, ValueError):
    """A file a sandboxed child left behind is refused: a link, a FIFO, too big, malformed."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        super().__init__(f"{name}: {reason}")


class MistakeError(GraderError, ValueError):
    """A known mistake's patch no longer applies to the reference source."""


class SandboxError(GraderError, RuntimeError):
    """The sandboxed child process could not be run."""


class SandboxTimeout(SandboxError, TimeoutError):
    """A probe ran past its wall or CPU time limit."""

    def __init__(self, probe: str, seconds: float) -> None:
        self.probe = probe
        self.seconds = seconds
        super().__init__(f"{probe} ran past its time limit of {seconds:g} s")


class PrivilegeError(SandboxError):
    """The grader runs as root and student code cannot be run as an unprivileged user
    (no bubblewrap, and a Python that user cannot read): grading is refused."""


class ClusterError(GraderError, RuntimeError):
    """The dask cluster to grade on cannot be started or reached."""
