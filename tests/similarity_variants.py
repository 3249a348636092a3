"""Disguises a copier might apply to a solution, as source-to-source transformations.

Used by tests/test_similarity.py and benchmarks/bench_similarity.py. Each keeps
the code runnable (except where noted) so a disguised copy is a real copy.
"""

from __future__ import annotations

import ast
import builtins
import io
import keyword
import random
import tokenize

import nbformat

_FIXED = set(dir(builtins)) | {"self", "np", "numpy"}


def rename_identifiers(source: str, seed: int = 0) -> str:
    """Every other name the author chose gets another name."""
    tree = ast.parse(source)
    method_nodes = [m for c in ast.walk(tree) if isinstance(c, ast.ClassDef)
                    for m in c.body if isinstance(m, ast.FunctionDef)]
    # Methods and their arguments keep their names: callers use them (``loss(X, y=y)``).
    methods = {m.name for m in method_nodes}
    methods |= {a.arg for m in method_nodes for a in m.args.args + m.args.kwonlyargs}
    methods |= {k.arg for k in ast.walk(tree) if isinstance(k, ast.keyword) and k.arg}
    imported = {part for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
                for name in [getattr(n, "module", None) or "", *(a.name for a in n.names),
                             *(a.asname or "" for a in n.names)] for part in name.split(".")}
    rng = random.Random(seed)
    mapping: dict[str, str] = {}
    out = []
    previous = ""
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        text = tok.string
        if (tok.type == tokenize.NAME and not keyword.iskeyword(text) and text not in _FIXED
                and previous not in (".", "class") and text not in methods | imported):
            if text not in mapping:
                mapping[text] = f"{rng.choice(['tmp', 'val', 'arr', 'm', 'res'])}_{len(mapping)}"
            text = mapping[text]
        out.append(tok._replace(string=text))
        if tok.type not in (tokenize.NL, tokenize.COMMENT):
            previous = tok.string
    return tokenize.untokenize(out)


def _strip_comments(source: str) -> str:
    toks = [t for t in tokenize.generate_tokens(io.StringIO(source).readline)
            if t.type != tokenize.COMMENT]
    return tokenize.untokenize(toks)


def change_comments(source: str) -> str:
    """Comments and docstrings replaced by others."""
    tree = ast.parse(source)
    lines = _strip_comments(source).splitlines()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Module)) and body:
            first = body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                indent = " " * first.col_offset
                for i in range(first.lineno - 1, (first.end_lineno or first.lineno)):
                    lines[i] = ""
                lines[first.lineno - 1] = f'{indent}"""My own words about this part."""'
    return "\n".join(f"{line}  # ok" if line.strip().endswith(")") else line
                     for line in lines) + "\n"


def reorder_methods(source: str, seed: int = 0) -> str:
    """The class's methods in another order."""
    tree = ast.parse(source)
    lines = source.splitlines()
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef))
    methods = [n for n in cls.body if isinstance(n, ast.FunctionDef)]
    chunks = ["\n".join(lines[m.lineno - 1:m.end_lineno]) for m in methods]
    order = list(range(len(chunks)))
    while order == sorted(order):
        random.Random(seed).shuffle(order)
        seed += 1
    head = lines[:methods[0].lineno - 1]
    tail = lines[(methods[-1].end_lineno or 0):]
    return "\n".join(head + ["\n\n".join(chunks[i] for i in order)] + tail) + "\n"


DEAD = '''
    def _unused_helper(self, values):
        total = 0
        for v in values:
            total += v * v
        return total
'''


def add_dead_code(source: str) -> str:
    """Unreachable lines after returns, ``if False:`` blocks and a method nobody calls."""
    out = []
    for line in source.splitlines():
        out.append(line)
        stripped = line.strip()
        indent = line[:len(line) - len(line.lstrip())]
        if stripped.startswith("return ") and not stripped.endswith(("(", "{", ",")):
            out.append(f"{indent}print('never printed')")
            out.append(f"{indent}waste = [k for k in range(3)]")
        elif stripped.startswith("for ") and stripped.endswith(":"):
            out.append(f"{indent}    if False:")
            out.append(f"{indent}        raise RuntimeError('unreachable')")
    text = "\n".join(out) + "\n"
    return text.replace("class TwoLayerNet:\n", "class TwoLayerNet:\n" + DEAD + "\n", 1)


def disguise(source: str, seed: int = 0) -> str:
    """All the disguises at once."""
    return rename_identifiers(add_dead_code(reorder_methods(change_comments(source), seed)), seed)


def as_notebook(source: str) -> str:
    """A notebook whose cells hold the code (the class in one cell) and use it."""
    cells = [nbformat.v4.new_markdown_cell("# Two-layer network"),
             nbformat.v4.new_code_cell("%matplotlib inline\nimport numpy as np"),
             nbformat.v4.new_code_cell(source),
             nbformat.v4.new_code_cell("net = TwoLayerNet(4, 10, 3)\nprint(net.params['W1'].shape)")]
    return nbformat.writes(nbformat.v4.new_notebook(cells=cells))
