"""Turn Python source into normalised tokens, so that cosmetic changes do not hide a copy.

What is dropped: comments, docstrings (and any other bare string statement),
whitespace and line breaks, and, where it is cheap to be sure, dead code:
statements after ``return``/``raise``/``break``/``continue``, ``if False:``
and ``while False:`` blocks, and functions nobody refers to. What is renamed:
every identifier the student chose becomes ``V`` (``F`` for a function the
submission defines); names of modules (``import numpy as xx`` gives
``numpy``), built-ins, attributes after a dot, keywords and numbers are kept,
because they carry the code's meaning, and string literals become ``S``.

The tokens are cut into segments, one per function and one per stretch of
code between functions, and fingerprints never span two segments: reordering
functions then changes nothing. The text is parsed with :mod:`ast` and
:mod:`tokenize`, never run.
"""

from __future__ import annotations

import ast
import builtins
import io
import keyword
import tokenize
from dataclasses import dataclass
from typing import Iterable, Iterator

MAX_CHARS = 512 * 1024
"""Longer code is cut here: no module of this assignment comes close."""
_KEEP = frozenset(dir(builtins)) | {"self", "cls"}
_SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING,
         tokenize.ENDMARKER, tokenize.ERRORTOKEN, getattr(tokenize, "TYPE_COMMENT", -1)}
_JUMPS = (ast.Return, ast.Raise, ast.Break, ast.Continue)
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
Position = tuple[int, int]


@dataclass(frozen=True)
class Segment:
    """A run of normalised tokens that fingerprints may span."""

    tokens: tuple[str, ...]
    lines: tuple[int, ...]
    """The 1-based line of the original text each token starts on."""


def parse(text: str) -> ast.Module | None:
    """The syntax tree of ``text``, or None when it does not parse."""
    try:
        return ast.parse(text[:MAX_CHARS])
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


@dataclass(frozen=True)
class Defined:
    """The functions a submission defines, across all its files and cells."""

    functions: frozenset[str] = frozenset()
    """Every function and method: ``F`` after ``def`` and after a dot."""
    bare: frozenset[str] = frozenset()
    """Functions called by bare name (defined at the top level): ``F`` anywhere."""

    def __or__(self, other: Defined) -> Defined:
        return Defined(self.functions | other.functions, self.bare | other.bare)


def defined_functions(tree: ast.Module | None) -> Defined:
    if tree is None:
        return Defined()
    every = {n.name for n in ast.walk(tree) if isinstance(n, _FUNCTIONS)}
    top = {n.name for n in tree.body if isinstance(n, _FUNCTIONS)}
    return Defined(frozenset(every), frozenset(top))


def referenced_names(tree: ast.AST | None) -> set[str]:
    """Every name and attribute ``tree`` reads (to find functions nobody calls)."""
    if tree is None:
        return set()
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    return names | {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}


def normalize(text: str, *, defined: Defined, unused: set[str] | None = None,
              tree: ast.Module | None = None) -> list[Segment]:
    """The segments of ``text``. ``defined`` are the functions the submission defines
    (renamed ``F``); ``unused`` the functions to drop as dead code, or None to keep
    all dead code (the starter code, whose bodies are ``raise NotImplementedError``
    followed by given lines, must be kept whole)."""
    text = text[:MAX_CHARS]
    if tree is None:
        tree = parse(text)
    dropped: list[tuple[Position, Position]] = []
    regions: list[tuple[Position, Position]] = []
    aliases: dict[str, str] = {}
    if tree is not None:
        dropped = _docstrings(tree)
        if unused is not None:
            dropped += _dead_code(tree, unused)
        regions = _function_regions(tree)
        aliases = _import_aliases(tree)
    renames = _Renamer(defined, aliases)
    return _segments(_tokens(text), sorted(dropped), regions, renames)


class _Renamer:
    def __init__(self, defined: Defined, aliases: dict[str, str]) -> None:
        self.defined = defined
        self.aliases = aliases

    def name(self, word: str, previous: str) -> str:
        if keyword.iskeyword(word):
            return word
        if previous in (".", "def"):
            return "F" if word in self.defined.functions else word
        if word in self.defined.bare:
            return "F"
        if word in self.aliases:
            return self.aliases[word]
        return word if word in _KEEP else "V"


def _tokens(text: str) -> Iterator[tokenize.TokenInfo]:
    """The tokens of ``text``, stopping quietly where it stops being Python."""
    try:
        yield from tokenize.generate_tokens(io.StringIO(text).readline)
    except (tokenize.TokenError, SyntaxError, ValueError):
        return


def _segments(tokens: Iterable[tokenize.TokenInfo], dropped: list[tuple[Position, Position]],
              regions: list[tuple[Position, Position]], renames: _Renamer) -> list[Segment]:
    segments: list[Segment] = []
    words: list[str] = []
    lines: list[int] = []
    region: int | None = None
    previous = ""
    for tok in tokens:
        if tok.type in _SKIP or _inside(tok.start, dropped):
            continue
        here = _region_of(tok.start, regions)
        if here != region and words:
            segments.append(Segment(tuple(words), tuple(lines)))
            words, lines = [], []
        region = here
        word = _word(tok, renames, previous)
        previous = tok.string
        if word is None or (word == ";" and (not words or words[-1] == ";")):
            continue
        words.append(word)
        lines.append(tok.start[0])
    if words:
        segments.append(Segment(tuple(words), tuple(lines)))
    return segments


def _word(tok: tokenize.TokenInfo, renames: _Renamer, previous: str) -> str | None:
    if tok.type == tokenize.NAME:
        return renames.name(tok.string, previous)
    if tok.type == tokenize.STRING:
        return "S"
    if tok.type == tokenize.NEWLINE:
        return ";"
    if tok.type in (tokenize.NUMBER, tokenize.OP):
        return tok.string
    return "S" if tok.type == getattr(tokenize, "FSTRING_START", -1) else None


def _inside(position: Position, ranges: list[tuple[Position, Position]]) -> bool:
    # A handful of ranges per file: a linear scan is cheaper than keeping an index.
    return any(start <= position < end for start, end in ranges)


def _region_of(position: Position, regions: list[tuple[Position, Position]]) -> int:
    """The function ``position`` lies in (its index), or -1 between functions."""
    for i, (start, end) in enumerate(regions):
        if start <= position < end:
            return i
    return -1 - sum(1 for start, _ in regions if start <= position)


def _span(node: ast.AST, start: ast.AST | None = None) -> tuple[Position, Position]:
    first = start or node
    return ((first.lineno, first.col_offset),  # type: ignore[attr-defined]
            (node.end_lineno or node.lineno, node.end_col_offset or 0))  # type: ignore[attr-defined]


def _docstrings(tree: ast.AST) -> list[tuple[Position, Position]]:
    return [_span(n) for n in ast.walk(tree) if isinstance(n, ast.Expr)
            and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)]


def _statement_lists(tree: ast.AST) -> Iterator[list[ast.stmt]]:
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            value = getattr(node, field, None)
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                yield value


def _dead_code(tree: ast.AST, unused: set[str]) -> list[tuple[Position, Position]]:
    dead: list[tuple[Position, Position]] = []
    for body in _statement_lists(tree):
        jumps = [i for i, s in enumerate(body) if isinstance(s, _JUMPS)]
        if jumps and jumps[0] + 1 < len(body):
            dead.append((_span(body[jumps[0] + 1])[0], _span(body[-1])[1]))
        for stmt in body:
            if isinstance(stmt, (ast.If, ast.While)) and _never(stmt.test):
                end = _span(stmt.orelse[0])[0] if stmt.orelse else _span(stmt)[1]
                dead.append((_span(stmt)[0], end))
            elif isinstance(stmt, _FUNCTIONS) and stmt.name in unused:
                dead.append(_span(stmt, stmt.decorator_list[0] if stmt.decorator_list else None))
    return dead


def _never(test: ast.expr) -> bool:
    return isinstance(test, ast.Constant) and not test.value


def _function_regions(tree: ast.Module) -> list[tuple[Position, Position]]:
    """The spans of the outermost functions (methods included), decorators first."""
    regions = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, _FUNCTIONS):
                first = child.decorator_list[0] if child.decorator_list else None
                regions.append(_span(child, first))
            elif isinstance(child, ast.stmt):
                stack.append(child)
    return sorted(regions)


def _import_aliases(tree: ast.Module) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                aliases[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases
