"""Turn exceptions raised by student code into plain JSON data."""

from __future__ import annotations

import os
import traceback
from types import TracebackType
from typing import Any

_OWN_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
"""The grader package: the child's code and the packs' child-side probes."""


def student_error(exc: BaseException, root: str) -> dict[str, Any]:
    """Describe ``exc`` with the grader's own frames trimmed from its traceback.

    ``root`` is the submission folder: the innermost frame inside it gives the
    file and line reported to the student.
    """
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not os.path.abspath(f.filename).startswith(_OWN_DIR)]
    lines = ["Traceback (most recent call last):\n"]
    lines += traceback.format_list([_relative(f, root) for f in frames])
    lines += traceback.format_exception_only(type(exc), exc)
    where = _innermost_student_frame(frames, root)
    if isinstance(exc, SyntaxError) and exc.filename:
        where = (_rel(exc.filename, root), exc.lineno)
    return {
        "type": type(exc).__name__,
        "message": _message(exc),
        "traceback": "".join(lines),
        "filename": where[0] if where else None,
        "lineno": where[1] if where else None,
    }


def _message(exc: BaseException) -> str:
    try:
        text = str(exc)
    except Exception:  # a student's exception whose __str__ itself fails
        text = "<unprintable exception>"
    return text[:2000]


def _rel(path: str, root: str) -> str:
    path = os.path.abspath(path)
    return os.path.relpath(path, root) if path.startswith(root + os.sep) else path


def _relative(frame: traceback.FrameSummary, root: str) -> traceback.FrameSummary:
    return traceback.FrameSummary(_rel(frame.filename, root), frame.lineno, frame.name,
                                  line=frame.line)


def _innermost_student_frame(frames: list[traceback.FrameSummary],
                             root: str) -> tuple[str, int | None] | None:
    for frame in reversed(frames):
        if os.path.abspath(frame.filename).startswith(root + os.sep):
            return _rel(frame.filename, root), frame.lineno
    return None


def recover_local(tb: TracebackType | None, code: object, name: str) -> object:
    """The value of local ``name`` in the frame running ``code``, if any.

    Used to read a loss value that was computed before a later line of the
    same function raised, so that one bug does not hide an unrelated verdict.
    """
    while tb is not None:
        if tb.tb_frame.f_code is code:
            return tb.tb_frame.f_locals.get(name)
        tb = tb.tb_next
    return None
