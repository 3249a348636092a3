"""Checks of a notebook submission common to every assignment: does it run.

An assignment pack judges its tuned model on the same :class:`NotebookEvidence`
(the two-layer net's ``best_net``, the Softmax classifier's ``best_softmax``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..notebook_run import NotebookRun
from ..results import StudentError
from ..rubric import CheckSpec, Rubric
from .base import Verdict, errored, failed, passed

if TYPE_CHECKING:
    from ..session import PreparedData

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class NotebookEvidence:
    """What a notebook check may look at: the run of the student's notebook."""

    rubric: Rubric
    run: NotebookRun
    data: PreparedData | None
    """The data set, when a check of the run needs it."""
    variable: str
    """The notebook's variable holding the tuned model."""


def judge_runs(spec: CheckSpec, ev: NotebookEvidence) -> Verdict:
    """The notebook ran to the end."""
    return judge_notebook_runs(spec, ev.run)


def judge_notebook_runs(spec: CheckSpec, run: NotebookRun) -> Verdict:
    metrics: dict[str, Any] = {"cells": len(run.cells), "seconds": run.seconds,
                               "shell_cells": list(run.shell_cells)}
    if run.problem:
        return failed(run.problem, metrics)
    note = (f" Shell commands in cells {', '.join(map(str, run.shell_cells))} were run inside "
            "the sandbox (no network; only the notebook's folder is writable)."
            if run.shell_cells else "")
    if run.problems:
        note += f" Refused output files: {'; '.join(run.problems)}."
    failure = run.failure
    if not failure:
        return passed(f"The notebook ran to the end in {run.seconds:.1f} s.{note}", metrics)
    index = failure.get("index")
    metrics["failed_cell"] = index
    excerpt = _excerpt(run, index)
    metrics["excerpt"] = excerpt
    where = f"cell {index}" if index is not None else "the notebook"
    if failure["kind"] == "timeout":
        return errored(f"{where} did not finish: {failure['evalue']}.{note}", None, metrics)
    if failure["kind"] == "refused":
        return errored(f"The notebook could not be graded: {failure['evalue']}.{note}", None,
                       metrics)
    if failure["kind"] in ("dead", "kernel"):
        return errored(f"The Python kernel died while running {where} ({failure['evalue']})."
                       f"{note}", None, metrics)
    error = StudentError(type=str(failure.get("ename", "")), message=str(failure.get("evalue", "")),
                         traceback=_traceback(failure.get("traceback", [])),
                         filename=f"cell {index}", lineno=None)
    message = (f"The notebook stopped at {where} with {error.type}: {error.message}\n"
               f"{excerpt}\n{note}").rstrip()
    return Verdict("error", message, metrics, error)


def _excerpt(run: NotebookRun, index: int | None) -> str:
    if index is None or not 0 <= index < len(run.cells):
        return ""
    lines = run.cells[index].splitlines()
    return "\n".join(lines[:4]) + ("\n..." if len(lines) > 4 else "")


def _traceback(lines: list[str]) -> str:
    """The kernel's traceback without colour codes, and without frames of IPython itself."""
    text = "\n".join(_ANSI.sub("", line) for line in lines)
    kept = [block for block in text.split("\n\n") if "site-packages/IPython" not in block]
    return "\n\n".join(kept).strip()
