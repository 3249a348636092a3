"""Say in each failing check's message which known mistake matched, and where.

The student's source is only parsed (never run) in the parent, to find the
line a mistake lives on: the ``argmax`` line of ``predict``, the line that
builds ``grads['W1']``.
"""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from pathlib import Path

from ..mistakes import Library, library_for
from ..results import CheckResult
from .base import Evidence

_MAX_LINE = 100
_FORMULA_GUESS = re.compile(r" It matches what you get when [^.]*\.")

CHECK_LINES: dict[str, tuple[str, str]] = {
    "init": ("__init__", r"randn"),
    "scores": ("loss", r"scores\s*="),
    "loss": ("loss", r"\bloss\s*="),
    "grad_W1": ("loss", r"""grads\[['"]W1['"]\]\s*="""),
    "grad_b1": ("loss", r"""grads\[['"]b1['"]\]\s*="""),
    "grad_W2": ("loss", r"""grads\[['"]W2['"]\]\s*="""),
    "grad_b2": ("loss", r"""grads\[['"]b2['"]\]\s*="""),
    "stability": ("loss", r"exp\("),
    "train": ("train", r"self\.loss\("),
    "predict": ("predict", r"argmax"),
}
"""Per check, when no mistake is named: the method and the line most likely at fault."""


def explain(results: tuple[CheckResult, ...], ev: Evidence,
            module: Path | None) -> tuple[CheckResult, ...]:
    """Failing checks' messages with the named mistake and the student's line added."""
    if all(r.status not in ("fail", "error") for r in results):
        return results
    try:
        library = library_for(ev.rubric)
    except Exception:
        library = None
    methods = _methods(module, ev.rubric.class_name)
    return tuple(_explained(r, library, methods) if r.status in ("fail", "error") else r
                 for r in results)


def _explained(result: CheckResult, library: Library | None,
               methods: dict[str, list[tuple[int, str]]]) -> CheckResult:
    mistake = library.by_id(result.mistake) if library and result.mistake else None
    message = result.message
    if mistake is not None:
        # the named mistake replaces the loss check's own guess at the formula
        message = _FORMULA_GUESS.sub("", message) + f" Likely cause: {mistake.explanation}"
    where = (mistake.method, mistake.line) if mistake and mistake.line else CHECK_LINES.get(
        result.id)
    line = find_line(methods, *where) if where and result.error is None else None
    metrics = dict(result.metrics)
    if line is not None:
        message += f" (your line {line[0]}: `{line[1]}`)"
        metrics["line"] = {"lineno": line[0], "text": line[1]}
    return replace(result, message=message, metrics=metrics)


def _methods(module: Path | None, class_name: str) -> dict[str, list[tuple[int, str]]]:
    """Code lines (no blanks, no comments) of each method of the student's class."""
    if module is None:
        return {}
    try:
        source = module.read_text(encoding="utf-8", errors="replace")
        tree = ast.parse(source)
    except (OSError, SyntaxError, ValueError, RecursionError):
        return {}
    lines = source.splitlines()
    out: dict[str, list[tuple[int, str]]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.end_lineno is not None:
                    out[item.name] = [
                        (n, lines[n - 1].strip()) for n in range(_body_start(item),
                                                                 item.end_lineno + 1)
                        if n <= len(lines) and lines[n - 1].strip()
                        and not lines[n - 1].strip().startswith("#")]
    return out


def _body_start(function: ast.FunctionDef) -> int:
    """The first line after the signature and the docstring."""
    first = function.body[0]
    if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str) and len(function.body) > 1):
        return (first.end_lineno or first.lineno) + 1
    return first.lineno


def find_line(methods: dict[str, list[tuple[int, str]]], method: str,
              pattern: str) -> tuple[int, str] | None:
    """The first code line of ``method`` matching ``pattern``, shortened for messages."""
    for lineno, text in methods.get(method, []):
        if re.search(pattern, text):
            short = text if len(text) <= _MAX_LINE else text[:_MAX_LINE - 3] + "..."
            return lineno, short
    return None
