"""A stand-in for ``grader.mistakes.Mistake`` until the core's mistake library is merged.

Same fields, same meaning, same ``apply`` for text patches and AST
transforms; when ``grader/mistakes.py`` is on this branch, ``mistakes.py``
imports from there instead and this file goes.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Callable, Literal

Transform = Callable[[ast.Module], ast.Module]


class PatchError(ValueError):
    """A mistake's patch no longer applies to the reference."""


@dataclass(frozen=True)
class Mistake:
    """One known mistake of an assignment (fields as in ``grader.mistakes.Mistake``)."""

    id: str
    checks: tuple[str, ...]
    explanation: str
    patches: tuple[tuple[str, str], ...] = ()
    transform: Transform | None = None
    method: str = ""
    line: str = ""
    status: Literal["graded", "error"] = "graded"
    diagnose: tuple[str, ...] | None = None

    def apply(self, source: str) -> str:
        """The reference source with this mistake made."""
        for old, new in self.patches:
            count = source.count(old)
            if count != 1 or "\n" in old:
                raise PatchError(f"{self.id}: {old!r} occurs {count} times in the reference")
            source = source.replace(old, new)
        if self.transform is not None:
            source = ast.unparse(self.transform(ast.parse(source)))
        return source


def method_raises(name: str, exception: str = "NotImplementedError") -> Transform:
    """An AST transform: function or method ``name`` only raises ``exception``."""
    def transform(tree: ast.Module) -> ast.Module:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name == name:
                node.body = [ast.Raise(exc=ast.Name(exception, ast.Load()), cause=None)]
        return ast.fix_missing_locations(tree)
    return transform
