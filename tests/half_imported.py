"""A batch of two whose second grading thread is held half-way through importing IPython.

Run as ``python -m tests.half_imported OUT`` in a fresh interpreter (one that has
imported neither IPython nor matplotlib) by ``tests/test_hostile_notebooks.py``.
Grading a notebook imports IPython on first use; here that import is held at
``IPython.core.interactiveshell`` (``IPython.version_info`` is not set yet)
until the main thread has stored the first submission's result, whose report
draws a chart. Only grader and the standard library are imported: the tests'
conftest writes files when imported.
"""

from __future__ import annotations

import importlib.abc
import sys
import threading
from importlib.machinery import ModuleSpec, PathFinder
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

from grader import batch
from grader.notebook_run import shell_cells
from grader.pipeline import unusable
from grader.report.files import write_result as write_stored
from grader.results import CheckResult, SubmissionResult
from grader.rubric import load_rubric
from grader.session import Session

HELD = "IPython.core.interactiveshell"
"""Imported by ``IPython/__init__.py`` before it sets ``version_info``."""
WAIT = 60.0
"""Seconds any thread here waits for another at most (nothing waits that long unless broken)."""


def main(out: Path) -> None:
    assert "IPython" not in sys.modules and "matplotlib" not in sys.modules
    holding, stored = threading.Event(), threading.Event()

    class HeldLoader(importlib.abc.Loader):
        """Waits before running the module (finders run under the global import lock,
        loaders do not: the other threads import on meanwhile)."""

        def __init__(self, loader: Any) -> None:
            self.loader = loader

        def create_module(self, spec: ModuleSpec) -> ModuleType | None:
            return self.loader.create_module(spec)  # type: ignore[no-any-return]

        def exec_module(self, module: ModuleType) -> None:
            holding.set()
            stored.wait(WAIT)
            self.loader.exec_module(module)

    class Hold(importlib.abc.MetaPathFinder):
        def find_spec(self, name: str, path: Any, target: Any = None) -> ModuleSpec | None:
            if name != HELD or threading.current_thread() is threading.main_thread():
                return None  # the normal finders find it
            spec = PathFinder.find_spec(name, path, target)
            assert spec is not None
            spec.loader = HeldLoader(spec.loader)
            return spec

    def grade(entry: Path, session: Session, artifacts: Path) -> SubmissionResult:
        if entry.name == "notebook":
            try:
                shell_cells(SimpleNamespace(cells=[]))  # imports IPython, as grading does
            finally:
                holding.set()
            return unusable(entry.name, session, "held in the middle of importing IPython")
        holding.wait(WAIT)
        loss = CheckResult("accuracy", "pass", 1.0, 1.0, True, "trained",
                           {"loss_history": [2.3, 1.1, 0.6, 0.4]})
        return SubmissionResult(entry.name, "graded", (loss,), None, {}, {})

    def write_result(folder: Path, result: SubmissionResult, **kwargs: Any) -> Path:
        try:
            return write_stored(folder, result, **kwargs)
        finally:
            stored.set()

    sys.meta_path.insert(0, Hold())
    setattr(batch, "grade_safely", grade)
    setattr(batch, "write_result", write_result)
    entries = [out.parent / "submissions" / name for name in ("drawn", "notebook")]
    for entry in entries:
        entry.mkdir(parents=True)
        (entry / "neural_net.py").write_text(f"# {entry.name}\n", encoding="utf-8")
    with Session(load_rubric()) as session:
        batch.grade_batch(entries, out, session, jobs=2)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
