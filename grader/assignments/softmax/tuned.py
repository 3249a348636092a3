"""What is read of the student's tuned classifier once their notebook has run.

Runs inside the student's Jupyter kernel: only this file's source is sent
there (see :class:`grader.checkdef.NotebookDef`), so it imports nothing of the
grader. The core finds the variable, runs its ``predict`` on the evaluation
inputs and writes the files; this keeps the classifier's weights ``W``.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np


def tuned_classifier(namespace: Mapping[str, Any],
                     model: Any) -> tuple[dict[str, Any], dict[str, np.ndarray] | None]:
    """The linear classifier's weights ``W``, or why they could not be read."""
    if model is None or getattr(model, "W", None) is None:
        return {}, None
    try:
        return {}, {"W": np.asarray(model.W, dtype=float)}
    except Exception as exc:  # the student's W: whatever it is, it is an answer
        return {"weights_error": (type(exc).__name__ + ": " + str(exc))[:2000]}, None
