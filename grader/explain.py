"""Say in each failing check's message which known mistake matched, and where.

The student's source is only read (never run) in the parent, to find the
line a mistake lives on (for the two-layer net: the ``argmax`` line of
``predict``, the line that builds a gradient). Where a mistake is named, it
replaces a judge's own guess at the formula, phrased "It matches what you get
when ...".
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any, Mapping

from .checks.base import Evidence, case_label
from .mistakes import Library, library_for
from .results import CheckResult

_MAX_LINE = 100
_FORMULA_GUESS = re.compile(r" It matches what you get when [^.]*\.")

CheckLines = Mapping[str, tuple[str, str]]
"""Per check id: the method and a pattern of the line most likely at fault."""


def explain(results: tuple[CheckResult, ...], ev: Evidence, module: Path | None,
            check_lines: CheckLines) -> tuple[CheckResult, ...]:
    """Failing checks' messages with the named mistake and the student's line added.

    The line is the named mistake's, or else the check's in ``check_lines``.
    """
    if all(r.status not in ("fail", "error") for r in results):
        return results
    try:
        library = library_for(ev.rubric)
    except Exception:
        library = None
    methods = _methods(module, ev.rubric.class_name)
    return tuple(_explained(r, library, methods, check_lines)
                 if r.status in ("fail", "error") else r for r in results)


def _explained(result: CheckResult, library: Library[Any] | None,
               methods: dict[str, list[tuple[int, str]]], check_lines: CheckLines) -> CheckResult:
    mistake = library.by_id(result.mistake) if library and result.mistake else None
    message = result.message + _measured(result.metrics, result.message)
    if mistake is not None:
        # the named mistake replaces a judge's own guess at the formula
        message = _FORMULA_GUESS.sub("", message) + f" Likely cause: {mistake.explanation}"
    where = (mistake.method, mistake.line) if mistake and mistake.line else check_lines.get(
        result.id)
    line = find_line(methods, *where) if where and result.error is None else None
    metrics = dict(result.metrics)
    if line is not None:
        message += f" (your line {line[0]}: `{line[1]}`)"
        metrics["line"] = {"lineno": line[0], "text": line[1]}
    return replace(result, message=message, metrics=metrics)


def _measured(metrics: Mapping[str, Any], message: str) -> str:
    """Measured against expected on the first failing case students may see."""
    cases = metrics.get("cases")
    if not isinstance(cases, list) or "relative error" in message:
        return ""
    for case in cases:
        if not isinstance(case, Mapping) or case.get("ok") is not False or case.get("hidden"):
            continue
        where = case_label(str(case.get("case", "")))
        reg = f" with reg={case['reg']:g}" if isinstance(case.get("reg"), (int, float)) else ""
        measured, expected = case.get("measured"), case.get("expected")
        if isinstance(measured, float) and isinstance(expected, float):
            return f" On {where}{reg}: measured {measured:.6g}, expected {expected:.6g}."
        error = case.get("error")
        if isinstance(error, float) and not case.get("problem"):
            return (f" On {where}{reg} the largest difference from the expected values is "
                    f"{error:.3g} (tolerance {case.get('tolerance', 0):g}).")
        return ""
    return ""


def _methods(module: Path | None, class_name: str) -> dict[str, list[tuple[int, str]]]:
    """Code lines (no blanks, comments or docstrings) of each method of the student's class.

    Read by indentation, not with ``ast``: numpy parses every ``.npy`` header
    with ``ast.literal_eval``, and in CPython 3.11 two threads converting ASTs at
    once can fail ("AST constructor recursion depth mismatch").
    """
    if module is None:
        return {}
    try:
        lines = module.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return {}
    start = next((i for i, line in enumerate(lines)
                  if re.match(rf"\s*class\s+{re.escape(class_name)}\b", line)), None)
    if start is None:
        return {}
    outer = _indent(lines[start])
    out: dict[str, list[tuple[int, str]]] = {}
    i = start + 1
    while i < len(lines) and (not _is_code(lines[i]) or _indent(lines[i]) > outer):
        match = DEF.match(lines[i])
        if not match:
            i += 1
            continue
        body, i = function_body(lines, i)
        out.setdefault(match.group(2), body)
    return out


DEF = re.compile(r"(\s*)(?:async\s+)?def\s+(\w+)\s*\(")
"""A line that starts a function or method: its indentation and name."""


def function_body(lines: list[str], start: int) -> tuple[list[tuple[int, str]], int]:
    """The code lines (numbered from 1; no blanks, comments, signature continuations or
    docstring) of the function defined on ``lines[start]``, and the index after them."""
    j, body, outer = start + 1, [], _indent(lines[start])
    while j < len(lines) and (not _is_code(lines[j]) or _indent(lines[j]) > outer):
        if _is_code(lines[j]):
            body.append((j + 1, lines[j].strip()))
        j += 1
    return _without_docstring(lines[start], body), j


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _is_code(line: str) -> bool:
    return bool(line.strip()) and not line.strip().startswith("#")


_QUOTES = ('"""', "'''")


def _without_docstring(signature: str, body: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The body without the rest of a signature split over lines, and the docstring."""
    if not signature.rstrip().endswith(":"):
        end = next((k for k, (_, text) in enumerate(body) if text.endswith(":")), -1)
        body = body[end + 1:]
    if body and body[0][1].lstrip("rRuU").startswith(_QUOTES):
        quote = body[0][1].lstrip("rRuU")[:3]
        end = next((k for k, (_, text) in enumerate(body)
                    if text.count(quote) >= (2 if k == 0 else 1)), len(body) - 1)
        body = body[end + 1:]
    return body


def find_line(methods: dict[str, list[tuple[int, str]]], method: str,
              pattern: str) -> tuple[int, str] | None:
    """The first code line of ``method`` matching ``pattern``, shortened for messages."""
    for lineno, text in methods.get(method, []):
        if re.search(pattern, text):
            short = text if len(text) <= _MAX_LINE else text[:_MAX_LINE - 3] + "..."
            return lineno, short
    return None
