"""Checks of a notebook submission: does it run, and how good is its tuned network."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..assignments.two_layer_net.outputs import PARAMS
from ..notebook_run import NotebookRun
from ..results import StudentError
from ..rubric import CheckSpec, DatasetSettings, Rubric
from ..datasets import Dataset
from .base import Verdict, errored, failed, passed
from .forward import reference_net

if TYPE_CHECKING:
    from ..session import PreparedData

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_CLAIM_SLACK = 0.02
"""How far a printed accuracy may be from the recomputed one before it is flagged."""


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


def judge_tuned(spec: CheckSpec, ev: NotebookEvidence) -> Verdict:
    """The notebook's tuned network, evaluated by the grader on the data set."""
    from ..reference import load_reference

    if ev.data is None:
        return errored("The grader has no data set to evaluate the tuned network on.", None)
    return judge_best_net(spec, ev.run, ev.data.dataset, ev.data.settings,
                          load_reference(ev.rubric), ev.variable)


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


def judge_best_net(spec: CheckSpec, run: NotebookRun, dataset: Dataset,
                   settings: DatasetSettings, reference: Any, variable: str) -> Verdict:
    metrics: dict[str, Any] = {"dataset": dataset.name, "threshold": settings.threshold,
                               "claims": []}
    if run.problem:
        return failed(f"The notebook could not be run, so {variable} could not be evaluated.",
                      metrics)
    params = _weights(run)
    if params is None:
        return failed(f"Your tuned network could not be evaluated: {_missing(run, variable)}.",
                      metrics)
    try:
        net = reference_net(reference, params)
        val = float(np.mean(net.predict(dataset.X_val) == dataset.y_val))
        test = float(np.mean(net.predict(dataset.X_test) == dataset.y_test))
    except (ValueError, TypeError) as exc:
        return failed(f"{variable}'s weights do not fit this data set ({exc}).", metrics)
    metrics.update(val_accuracy=val, test_accuracy=test)
    own = _own_predict_accuracy(run, dataset)
    metrics["own_predict_val_accuracy"] = own
    claims = _check_claims(run, val, test, metrics)
    note = _predict_note(own, val, run) + claims
    if val >= settings.threshold:
        return passed(f"{variable} reaches {val:.3f} validation and {test:.3f} test accuracy "
                      f"(needs {settings.threshold:.2f}).{note}", metrics)
    return failed(f"{variable} reaches {val:.3f} validation accuracy; it needs "
                  f"{settings.threshold:.2f}. Tune the hyperparameters.{note}", metrics)


def _missing(run: NotebookRun, variable: str) -> str:
    """Why the tuned network's weights are not there."""
    failure = run.failure or {}
    refused = [p for p in run.problems if "best_net" in p]
    if refused:
        return f"its weights file was refused ({refused[0]})"
    if failure.get("kind") in ("dead", "kernel") and not run.extract:
        return f"the Python kernel died before {variable} could be read"
    if failure.get("kind") == "timeout" and not run.extract:
        return f"the notebook ran out of time before {variable} could be read"
    found = run.extract.get("best_net", "missing")
    if found in ("missing", None):
        return f"no variable named {variable} was defined"
    return f"{variable} has no params dict with W1, b1, W2, b2"


def _weights(run: NotebookRun) -> dict[str, np.ndarray] | None:
    params = dict(run.weights or {})
    return params if set(params) == set(PARAMS) else None


def _own_predict_accuracy(run: NotebookRun, dataset: Dataset) -> float | None:
    labels = run.predictions
    if labels is None or labels.shape != dataset.y_val.shape:
        return None
    return float(np.mean(labels == dataset.y_val))


def _predict_note(own: float | None, val: float, run: NotebookRun) -> str:
    if own is None:
        error = run.extract.get("predict_error")
        return f" Its own predict() failed ({error})." if error else ""
    if abs(own - val) > 1e-9:
        return (f" Its own predict() gives {own:.3f} on the same weights: predict is not "
                "the argmax of the scores (see the predict check).")
    return ""


def _check_claims(run: NotebookRun, val: float, test: float, metrics: dict[str, Any]) -> str:
    flagged = []
    for kind, recomputed in (("validation", val), ("test", test)):
        if kind not in run.claims:
            continue
        claimed = run.claims[kind]
        supported = abs(claimed - recomputed) <= _CLAIM_SLACK
        metrics["claims"].append({"kind": kind, "claimed": claimed, "recomputed": recomputed,
                                  "supported": supported})
        if not supported:
            flagged.append(f"the notebook printed {kind} accuracy {claimed:g}, but recomputing "
                           f"gives {recomputed:.3f}")
    return (" Flagged: " + "; ".join(flagged) + ".") if flagged else ""
