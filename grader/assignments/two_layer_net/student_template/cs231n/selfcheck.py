"""Run the grader's visible checks on your ``TwoLayerNet`` from the notebook.

Usage inside ``two_layer_net.ipynb``::

    from cs231n.selfcheck import self_check
    self_check("scores")                  # one check
    self_check("grad_W1", "grad_b1")      # several checks
    self_check()                          # every visible check

The checks are run by the course's ``grader`` package against the file
``cs231n/classifiers/neural_net.py`` next to this module. If the grader is not
installed, a hint on how to install it is printed instead. This function never
raises: whatever goes wrong is reported as a single printed line, so a
self-check cell can never stop the notebook.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["self_check"]

SANDBOX_ENV_VAR = "GRADER_SANDBOX"
"""Set by the grader while it executes a submitted notebook."""

INSTALL_HINT = (
    "self-check unavailable: the course's `grader` package is not installed here; "
    "run `pip install <course grader package>` in this environment and restart the kernel"
)


def _module_path() -> Path:
    """The student's implementation that the checks are run against."""
    return Path(__file__).resolve().parent / "classifiers" / "neural_net.py"


def self_check(*check_ids: str) -> None:
    """Run the named visible checks (all of them when none are named) and print a table."""
    if SANDBOX_ENV_VAR in os.environ:
        print("self-check skipped: the notebook is being graded")
        return

    try:
        import grader
    except ModuleNotFoundError as exc:
        if exc.name == "grader":
            print(INSTALL_HINT)
        else:  # the grader is there but one of its own dependencies is missing
            print(f"self-check unavailable: the grader could not be imported ({exc})")
        return
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - a broken install must not stop the notebook
        print(f"self-check unavailable: importing the grader failed ({type(exc).__name__}: {exc})")
        return

    try:
        result = grader.check(_module_path(), checks=list(check_ids) or None)
        table = grader.format_table(result)
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - never raise into the notebook
        message = str(exc).strip().splitlines()
        detail = f": {message[0]}" if message else ""
        print(f"self-check failed to run ({type(exc).__name__}{detail})")
        return

    print(table)
