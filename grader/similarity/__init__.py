"""Similarity across a class and against known solutions (MOSS-style, run locally).

Stages, one module each: ``sources`` reads each submission's code as text,
``normalize`` turns it into tokens that renaming and reformatting do not
change, ``fingerprint`` winnows them, ``compare`` scores every pair, and
``report`` writes ``similarity.html``, ``.json`` and ``.csv``. ``run`` ties
them together. Student code is never executed here.
"""

from __future__ import annotations

from .compare import DEFAULT_THRESHOLD, Comparison, Pair, default_common_limit
from .fingerprint import Settings
from .run import default_template, run_similarity

__all__ = ["DEFAULT_THRESHOLD", "Comparison", "Pair", "Settings", "default_common_limit",
           "default_template", "run_similarity"]
