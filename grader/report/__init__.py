"""Reporters: consumers of stored results (JSON, CSV, HTML, JUnit, Gradescope, GitHub).

Importing this package is cheap; matplotlib and jinja2 are loaded only when
a report is rendered.
"""

from __future__ import annotations

from .files import write_result, write_summary
from .github import append_step_summary, github_annotations
from .render import render_all

__all__ = ["append_step_summary", "github_annotations", "render_all", "write_result",
           "write_summary"]
