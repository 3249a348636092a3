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


@dataclass(frozen=True)
class Scan:
    """What one walk over a syntax tree finds (walking is the slow part: walk once)."""

    defined: Defined = Defined()
    referenced: frozenset[str] = frozenset()
    """Every name and attribute read (to find functions nobody calls)."""
    docstrings: tuple[tuple[Position, Position], ...] = ()
    bodies: tuple[list[ast.stmt], ...] = ()
    """Every list of statements (to find code after a return)."""
    aliases: tuple[tuple[str, str], ...] = ()
    """Imported names and the module or object each stands for."""
    regions: tuple[tuple[Position, Position], ...] = ()
    """The spans of the outermost functions and methods."""


def scan(tree: ast.Module | None) -> Scan:
    """Everything :func:`normalize` needs to know about ``tree``, in one walk."""
    if tree is None:
        return Scan()
    every: set[str] = set()
    referenced: set[str] = set()
    docstrings, bodies, aliases = [], [], []
    for node in ast.walk(tree):
        kind = type(node)
        if kind is ast.Name:
            referenced.add(node.id)  # type: ignore[attr-defined]
        elif kind is ast.Attribute:
            referenced.add(node.attr)  # type: ignore[attr-defined]
        elif kind is ast.Expr and _is_text(node.value):  # type: ignore[attr-defined]
            docstrings.append(_span(node))
        elif kind in (ast.Import, ast.ImportFrom):
            aliases += _aliases(node)  # type: ignore[arg-type]
        if isinstance(node, _FUNCTIONS):
            every.add(node.name)
        if isinstance(node, (ast.stmt, ast.Module, ast.ExceptHandler, ast.match_case)):
            bodies += [v for v in (getattr(node, f, None) for f in ("body", "orelse", "finalbody"))
                       if isinstance(v, list) and v and isinstance(v[0], ast.stmt)]
    top = {n.name for n in tree.body if isinstance(n, _FUNCTIONS)}
    return Scan(Defined(frozenset(every), frozenset(top)), frozenset(referenced),
                tuple(docstrings), tuple(bodies), tuple(aliases), tuple(_function_regions(tree)))


def _is_text(value: ast.expr) -> bool:
    return isinstance(value, ast.Constant) and isinstance(value.value, str)


def normalize(text: str, *, defined: Defined, unused: set[str] | None = None,
              scanned: Scan | None = None) -> list[Segment]:
    """The segments of ``text``. ``defined`` are the functions the submission defines
    (renamed ``F``); ``unused`` the functions to drop as dead code, or None to keep
    all dead code (the starter code, whose bodies are ``raise NotImplementedError``
    followed by given lines, must be kept whole). ``scanned`` is :func:`scan` of
    the text's tree, if the caller has it already."""
    text = text[:MAX_CHARS]
    if scanned is None:
        scanned = scan(parse(text))
    dropped = list(scanned.docstrings)
    if unused is not None:
        dropped += _dead_code(scanned.bodies, unused)
    renames = _Renamer(defined, dict(scanned.aliases))
    return _segments(_tokens(text), _merged(dropped), list(scanned.regions), renames)


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
    inside = _Cursor(dropped)
    functions = _Cursor(regions)
    for tok in tokens:
        if tok.type in _SKIP or inside.at(tok.start) is not None:
            continue
        here = functions.at(tok.start)
        if here is None:  # between functions: a new segment after each function
            here = -1 - functions.index
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


class _Cursor:
    """Which of some sorted, disjoint ranges holds each position, for positions
    that only grow (tokens in order): one pass instead of a search per token."""

    def __init__(self, ranges: list[tuple[Position, Position]]) -> None:
        self.ranges = ranges
        self.index = 0

    def at(self, position: Position) -> int | None:
        while self.index < len(self.ranges) and self.ranges[self.index][1] <= position:
            self.index += 1
        if self.index < len(self.ranges) and self.ranges[self.index][0] <= position:
            return self.index
        return None


def _merged(ranges: list[tuple[Position, Position]]) -> list[tuple[Position, Position]]:
    """Overlapping or nested ranges (a docstring in a dead function) made disjoint."""
    merged: list[tuple[Position, Position]] = []
    for start, end in sorted(ranges):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _span(node: ast.AST, start: ast.AST | None = None) -> tuple[Position, Position]:
    first = start or node
    return ((first.lineno, first.col_offset),  # type: ignore[attr-defined]
            (node.end_lineno or node.lineno, node.end_col_offset or 0))  # type: ignore[attr-defined]


def _dead_code(bodies: Iterable[list[ast.stmt]],
               unused: set[str]) -> list[tuple[Position, Position]]:
    dead: list[tuple[Position, Position]] = []
    for body in bodies:
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


def _aliases(node: ast.Import | ast.ImportFrom) -> list[tuple[str, str]]:
    if isinstance(node, ast.Import):
        return [(a.asname, a.name) if a.asname else (a.name.split(".")[0],) * 2
                for a in node.names]
    return [(a.asname or a.name, f"{node.module}.{a.name}") for a in node.names] if node.module else []
