"""A plain-text table of one result, for the terminal and notebooks."""

from __future__ import annotations

import textwrap
from typing import Any, Mapping

import click

from .results import CheckResult, SubmissionResult

_MARK = {"pass": "PASS", "fail": "FAIL", "error": "ERROR", "skipped": "SKIP"}
_COLOUR = {"pass": "green", "fail": "red", "error": "red", "skipped": "bright_black"}
_MAX_VALUES = 6
"""Numbers shown per array in the measured-vs-expected line."""


def format_table(result: SubmissionResult, width: int = 100, color: bool = False) -> str:
    """The checks of ``result`` as an aligned table, messages wrapped underneath.

    With ``color`` the marks and the mistake are styled with ANSI codes
    (``click.echo`` removes them when it does not write to a terminal).
    """
    def style(text: str, **kw: Any) -> str:
        return click.style(text, **kw) if color else text

    total = f"{_fmt(result.score)} / {_fmt(result.max_score)} points"
    lines = [f"{result.submission}: {style(total, bold=True)}"]
    if result.error:
        lines.append("  " + style(result.error, fg="red"))
    name_width = max((len(c.id) for c in result.checks), default=5)
    for c in result.checks:
        points = f"{_fmt(c.score)}/{_fmt(c.max_score)}"
        mark = style(f"{_MARK[c.status]:<5}", fg=_COLOUR[c.status], bold=c.status != "pass")
        lines.append(f"  {mark}  {c.id:<{name_width}}  {points:>7}"
                     + ("  not graded" if result.error and c.status == "error" else ""))
        if not result.error:
            for text in textwrap.wrap(c.message, width - 8)[:6] if c.status != "pass" else []:
                lines.append(f"         {text}")
            if c.status in ("fail", "error"):
                lines += _details(c, width, style)
            if c.error is not None and c.status != "pass" and c.error.traceback and not result.error:
                tb = c.error.traceback.rstrip().splitlines()[-6:]
                lines += [f"           | {line}" for line in tb]
    return "\n".join(lines)


def _details(check: CheckResult, width: int, style: Any) -> list[str]:
    """Measured vs expected on the first failing visible case, and the mistake's id."""
    out = []
    case = _first_visible_failure(check.metrics)
    if case is not None and "measured " not in check.message:
        name = str(case.get("case", "")).split("@")[0]
        out.append(f"         {name}: measured {_short(case['measured'])}")
        out.append(f"         {' ' * len(name)}  expected {_short(case['expected'])}")
    if check.mistake:
        out.append("         mistake: " + style(check.mistake, fg="yellow"))
    return [line[:width] for line in out]


def _first_visible_failure(metrics: Mapping[str, Any]) -> Mapping[str, Any] | None:
    cases = metrics.get("cases")
    if not isinstance(cases, list):
        return None
    for case in cases:
        if (isinstance(case, Mapping) and case.get("ok") is False and not case.get("hidden")
                and "measured" in case and "expected" in case):
            return case
    return None


def _short(value: Any) -> str:
    flat = list(_flatten(value))
    text = ", ".join(f"{v:.6g}" if isinstance(v, float) else str(v) for v in flat[:_MAX_VALUES])
    if not isinstance(value, list):
        return text
    return f"[{text}{', ...' if len(flat) > _MAX_VALUES else ''}]"


def _flatten(value: Any) -> Any:
    if isinstance(value, list):
        for item in value:
            yield from _flatten(item)
    else:
        yield value


def _fmt(value: float) -> str:
    return f"{value:g}"
