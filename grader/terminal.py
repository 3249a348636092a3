"""A plain-text table of one result, for the terminal and notebooks."""

from __future__ import annotations

import textwrap

from .results import SubmissionResult

_MARK = {"pass": "PASS", "fail": "FAIL", "error": "ERROR", "skipped": "SKIP"}


def format_table(result: SubmissionResult, width: int = 100) -> str:
    """The checks of ``result`` as an aligned table, messages wrapped underneath."""
    lines = [f"{result.submission}: {_fmt(result.score)} / {_fmt(result.max_score)} points"]
    if result.error:
        lines.append(f"  {result.error}")
    name_width = max((len(c.id) for c in result.checks), default=5)
    for c in result.checks:
        points = f"{_fmt(c.score)}/{_fmt(c.max_score)}"
        lines.append(f"  {_MARK[c.status]:<5}  {c.id:<{name_width}}  {points:>7}")
        if c.status != "pass" or not result.error:
            for text in textwrap.wrap(c.message, width - 8)[:6] if c.status != "pass" else []:
                lines.append(f"         {text}")
            if c.error is not None and c.status != "pass" and c.error.traceback and not result.error:
                tb = c.error.traceback.rstrip().splitlines()[-6:]
                lines += [f"           | {line}" for line in tb]
    return "\n".join(lines)


def _fmt(value: float) -> str:
    return f"{value:g}"
