"""What is read of the student's tuned network once their notebook has run.

Runs inside the student's Jupyter kernel: only this file's source is sent
there (see :class:`grader.checkdef.NotebookDef`), so it imports nothing of the
grader. The core finds the variable, runs its ``predict`` on the evaluation
inputs and writes the files; this says which weights are kept.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

PARAMS = ("W1", "b1", "W2", "b2")
"""The network's parameters: :data:`.outputs.PARAMS`, which this file cannot import (a test
keeps the two equal)."""


def tuned_network(namespace: Mapping[str, Any],
                  model: Any) -> tuple[dict[str, Any], dict[str, np.ndarray] | None]:
    """Where the notebook's ``TwoLayerNet`` came from, and the network's ``params``."""
    info: dict[str, Any] = {}
    cls = namespace.get("TwoLayerNet")
    if isinstance(cls, type):
        info["class_module"] = str(getattr(cls, "__module__", ""))
    params = getattr(model, "params", None) if model is not None else None
    if not isinstance(params, dict):
        return info, None
    # not caught: a value numpy cannot read stops the extraction, which then reports it
    return info, {k: np.asarray(params[k], dtype=float) for k in PARAMS if k in params}
