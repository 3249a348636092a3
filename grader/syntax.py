"""Parse Python source into an AST in the parent, one thread at a time.

CPython 3.11 keeps the depth counter of its AST conversion per interpreter,
not per thread: two grading threads calling ``ast.parse`` at once can fail
with ``SystemError: AST constructor recursion depth mismatch``.
"""

from __future__ import annotations

import ast
import threading

_lock = threading.Lock()


def parse(source: str | bytes, filename: str = "<unknown>") -> ast.Module:
    """``ast.parse(source)``, serialized across threads."""
    with _lock:
        return ast.parse(source, filename)
