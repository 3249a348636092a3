"""Time the similarity step on a synthetic class of 1,000 submissions (target: 60 s, 2 cores).

Usage::

    python benchmarks/bench_similarity.py [--students 1000] [--jobs 2] [--copies 20] [--keep DIR]

Each synthetic student is the starter module with its class replaced by one
the student "wrote": every method is taken from one of five correct
solutions (the reference and the four in tests/fixtures/similarity/), mixed
at random, then disguised at random (renamed, reordered, comments changed,
dead code) and given a few lines of its own, so that most code is shared by
some students and no two students are alike. One in ten hands in a notebook
instead of a module. ``--copies`` pairs are planted: one student's file,
disguised, handed in again by another. Then :func:`run_similarity` is timed,
and the planted pairs found above the threshold are counted.
"""

from __future__ import annotations

import argparse
import ast
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.similarity import default_template, run_similarity  # noqa: E402
from tests.conftest import FIXTURES, REFERENCE  # noqa: E402
from tests.similarity_variants import (  # noqa: E402
    add_dead_code,
    as_notebook,
    change_comments,
    rename_identifiers,
    reorder_methods,
)

METHODS = ("__init__", "loss", "train", "predict")


def solutions() -> list[tuple[str, dict[str, str], str]]:
    """(module-level helpers, method texts, extra methods) of each correct solution."""
    found = []
    for path in [REFERENCE, *sorted((FIXTURES / "similarity").glob("*.py"))]:
        text = path.read_text()
        lines = text.splitlines()
        tree = ast.parse(text)
        cls = next(n for n in tree.body if isinstance(n, ast.ClassDef))
        helpers = "\n\n".join("\n".join(lines[n.lineno - 1:n.end_lineno]) for n in tree.body
                              if isinstance(n, ast.FunctionDef))
        methods = {n.name: "\n".join(lines[n.lineno - 1:n.end_lineno]) for n in cls.body
                   if isinstance(n, ast.FunctionDef)}
        extra = "\n\n".join(t for name, t in methods.items() if name not in METHODS)
        found.append((helpers, methods, extra))
    return found


def own_lines(rng: random.Random, method: str) -> str:
    """The method with a few statements of the student's own at the top of its body."""
    lines = method.splitlines()
    at = next(i for i in range(1, len(lines)) if lines[i - 1].rstrip().endswith(":"))
    own = [f"        step_{rng.randrange(10**6)} = {rng.random():.6f} * len(self.params) "
           f"+ {rng.randrange(100)}" for _ in range(rng.randint(2, 4))]
    return "\n".join(lines[:at] + own + lines[at:])


def student(rng: random.Random, bases: list[tuple[str, dict[str, str], str]], starter: str) -> str:
    picks = [rng.choice(bases) for _ in METHODS]
    helpers = "\n\n".join(dict.fromkeys(p[0] for p in picks if p[0]))
    extras = "\n\n".join(dict.fromkeys(p[2] for p in picks if p[2]))
    body = [own_lines(rng, p[1][m]) for p, m in zip(picks, METHODS)] + ([extras] if extras else [])
    cls = "class TwoLayerNet:\n" + "\n\n".join(body)
    code = f"import numpy as np\n\n{helpers}\n\n{cls}\n"
    for disguise in (change_comments, add_dead_code, reorder_methods, rename_identifiers):
        if rng.random() < 0.5:
            code = disguise(code) if disguise in (change_comments, add_dead_code) else disguise(
                code, rng.randrange(1000))
    # The starter's docstrings and given lines, as a student's file keeps them.
    return starter.replace("class TwoLayerNet:", "class _Given:", 1) + "\n\n" + code


def make_class(folder: Path, students: int, copies: int, seed: int = 0) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    bases = solutions()
    starter = (default_template() / "cs231n" / "classifiers" / "neural_net.py").read_text()
    texts = [student(rng, bases, starter) for _ in range(students - copies)]
    planted = []
    for i in range(copies):
        source = rng.randrange(len(texts) - copies)
        texts.append(rename_identifiers(reorder_methods(texts[source], i), i))
        planted.append((f"s{source:04d}", f"s{len(texts) - 1:04d}"))
    for i, text in enumerate(texts):
        if rng.random() < 0.1:
            (folder / f"s{i:04d}.ipynb").write_text(as_notebook(text))
        else:
            (folder / f"s{i:04d}.py").write_text(text)
    return planted


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the pool's workers)."""
    own, children = (resource.getrusage(w) for w in (resource.RUSAGE_SELF,
                                                      resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--keep", type=Path, help="Write the class and output here.")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-similarity-"))
    try:
        folder = root / "submissions"
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        planted = make_class(folder, args.students, args.copies)
        print(f"generated {args.students} submissions in {time.perf_counter() - started:.1f} s")
        started, cpu = time.perf_counter(), cpu_seconds()
        result = run_similarity(folder, root / "out", jobs=args.jobs)
        seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
        above = {frozenset((p.a, p.b)) for p in result.above()}
        found = sum(1 for pair in planted if frozenset(pair) in above)
        print(f"similarity of {args.students} submissions ({result.compared} pairs), "
              f"--jobs {args.jobs}: {seconds:.1f} s wall, {cpu:.1f} s CPU "
              f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
        print(f"planted copies found above {result.threshold:g}: {found} of {len(planted)}; "
              f"other pairs above it: {len(above) - found}; common limit M = "
              f"{result.common_limit}, {result.common_fingerprints} common fingerprints")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
