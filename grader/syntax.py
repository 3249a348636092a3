"""Parse Python source into an AST in the parent, one thread at a time.

CPython before 3.11.8 keeps the depth counter of its AST conversion per
interpreter, not per thread (CPython gh-106905): two grading threads building
trees at once can fail with ``SystemError: AST constructor recursion depth
mismatch``. Every parse in the parent goes through this module, and so do
library calls that parse inside (numpy reads each ``.npy`` header with
``ast.literal_eval``).
"""

from __future__ import annotations

import ast
import threading
from contextlib import contextmanager
from typing import Any, Iterator

_lock = threading.RLock()


def parse(source: str | bytes, filename: str = "<unknown>") -> ast.Module:
    """``ast.parse(source)``, serialized across threads."""
    with _lock:
        return ast.parse(source, filename)


def literal_eval(node_or_string: str | ast.AST) -> Any:
    """``ast.literal_eval``, serialized across threads."""
    with _lock:
        return ast.literal_eval(node_or_string)


@contextmanager
def one_at_a_time() -> Iterator[None]:
    """Hold the parse lock around a library call that parses Python inside (``np.load``)."""
    with _lock:
        yield
