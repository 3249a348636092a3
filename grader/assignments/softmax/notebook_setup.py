"""How the Softmax notebook is run: its name, the course files laid out beside it, and
what is read of ``best_softmax`` (:mod:`.tuned`)."""

from __future__ import annotations

from ...checkdef import NotebookDef

NOTEBOOK = NotebookDef(
    "softmax.ipynb", extract="grader.assignments.softmax.tuned:tuned_classifier",
    course="cs231n",
    student_files=("cs231n/classifiers/softmax.py", "cs231n/classifiers/linear_classifier.py"),
    data="cs231n/datasets")
