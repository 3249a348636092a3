"""Write what the similarity step found: ``similarity.html``, ``.json`` and ``.csv``.

The page ranks the pairs, shows the distribution of all pair scores, and puts
the code of each pair above the threshold side by side with the matching
lines marked. Student code is escaped by the template's autoescaping.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from ..report.store import REPORT, atomic_write, csv_text, report_href
from .compare import BINS, REPORTED, Comparison, Pair
from .fingerprint import Fingerprints
from .sources import SubmissionCode

HTML = "similarity.html"
JSON = "similarity.json"
CSV = "similarity.csv"
SHOWN = 50
"""At most this many pairs get their code shown side by side."""
MAX_LINES = 3000
"""Lines of one file shown at most (a longer file is cut, with a note)."""
MAX_WIDTH = 400
"""Characters of one line shown at most (student text is capped like any other)."""


@dataclass(frozen=True)
class CodeLine:
    number: int
    text: str
    match: bool


@dataclass(frozen=True)
class CodeBlock:
    """One file (or notebook cell) of one side of a pair."""

    title: str
    lines: tuple[CodeLine, ...]
    cut: bool


@dataclass(frozen=True)
class PairView:
    rank: int
    pair: Pair
    a_href: str | None
    b_href: str | None
    a_blocks: tuple[CodeBlock, ...]
    b_blocks: tuple[CodeBlock, ...]

    @property
    def anchor(self) -> str:
        return f"pair-{self.rank}"


@dataclass(frozen=True)
class Bar:
    low: float
    high: float
    count: int
    height: float
    """0 to 1, on a logarithmic scale: one pair must stay visible next to thousands."""


@dataclass(frozen=True)
class SimilarityLink:
    """What the class summary shows of the similarity step."""

    href: str
    above: int
    threshold: float
    stale: bool = False
    """The report compared another set of submissions than the class now graded (it was
    left by an earlier run: ``--no-similarity`` or a changed folder)."""


def write_similarity(out: Path, result: Comparison, codes: Sequence[SubmissionCode],
                     prints: Sequence[Fingerprints]) -> None:
    """The three files of the similarity step, in ``out``."""
    atomic_write(out / JSON, json.dumps(similarity_json(result), indent=1) + "\n")
    atomic_write(out / CSV, similarity_csv(result).encode("utf-8"))
    atomic_write(out / HTML, render_similarity(out, result, codes, prints))


def similarity_json(result: Comparison) -> dict[str, Any]:
    return {
        "threshold": result.threshold,
        "above_threshold": len(result.above()),
        "submissions": len(result.submissions),
        "submission_ids": sorted(result.submissions),
        "known_solutions": list(result.known),
        "pairs_compared": result.compared,
        "common_limit": result.common_limit,
        "k": result.settings.k,
        "window": result.settings.window,
        "starter_fingerprints": result.starter_fingerprints,
        "common_fingerprints": result.common_fingerprints,
        "histogram": {"edges": [i / BINS for i in range(BINS + 1)],
                      "counts": list(result.histogram)},
        "pairs": [asdict(p) for p in result.pairs],
    }


def similarity_csv(result: Comparison) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["a", "b", "score", "a_share", "b_share", "shared", "known_solution"])
    for p in result.pairs:
        writer.writerow([csv_text(p.a), csv_text(p.b), f"{p.score:.4f}", f"{p.a_share:.4f}", f"{p.b_share:.4f}",
                         p.shared, "yes" if p.known else "no"])
    return buffer.getvalue()


def similarity_link(out: Path, graded: Iterable[str] | None = None) -> SimilarityLink | None:
    """The summary's link to ``similarity.html``, if the step ran in ``out``; marked stale
    when it compared other submissions than the ``graded`` ids."""
    try:
        data = json.loads((out / JSON).read_text(encoding="utf-8"))
        compared = data.get("submission_ids")
        stale = graded is not None and (not isinstance(compared, list)
                                        or sorted(compared) != sorted(graded))
        return SimilarityLink(HTML, int(data["above_threshold"]), float(data["threshold"]), stale)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def bars(histogram: Sequence[int]) -> list[Bar]:
    top = math.log10(1 + max(histogram, default=0)) or 1.0
    return [Bar(i / len(histogram), (i + 1) / len(histogram), c, math.log10(1 + c) / top)
            for i, c in enumerate(histogram)]


def render_similarity(out: Path, result: Comparison, codes: Sequence[SubmissionCode],
                      prints: Sequence[Fingerprints]) -> str:
    from ..report.html import environment

    by_id = {c.id: (c, f) for c, f in zip(codes, prints)}
    shown = result.above()[:SHOWN]
    views = [_pair_view(out, rank, pair, result, by_id)
             for rank, pair in enumerate(shown, start=1)]
    context: dict[str, Any] = {
        "result": result,
        "above": result.above(),
        "views": views,
        "bars": bars(result.histogram),
        "hrefs": {i: _href(out, i) for i in result.submissions},
        "shown": SHOWN,
        "reported": REPORTED,
    }
    return environment().get_template("similarity.html.j2").render(context)


def _href(out: Path, submission: str) -> str | None:
    """A link to the submission's report, when there is one to link to."""
    return report_href(submission) if (out / submission / REPORT).is_file() else None


def _pair_view(out: Path, rank: int, pair: Pair, result: Comparison,
               by_id: dict[str, tuple[SubmissionCode, Fingerprints]]) -> PairView:
    shared = np.intersect1d(result.kept[pair.a], result.kept[pair.b], assume_unique=True)
    return PairView(rank, pair, _href(out, pair.a), None if pair.known else _href(out, pair.b),
                    _blocks(*by_id[pair.a], shared), _blocks(*by_id[pair.b], shared))


def _blocks(code: SubmissionCode, prints: Fingerprints,
            shared: np.ndarray) -> tuple[CodeBlock, ...]:
    marked: dict[tuple[int, int], set[int]] = {}
    for source, part, first, last in prints.where[np.isin(prints.hashes, shared)].tolist():
        marked.setdefault((source, part), set()).update(range(first, last + 1))
    blocks = []
    for (s, p), lines in sorted(marked.items()):
        source = code.sources[s]
        title = source.label if len(source.parts) == 1 else f"{source.label}, code cell {p + 1}"
        text = source.parts[p].splitlines()
        shown = tuple(CodeLine(n, line[:MAX_WIDTH] + ("…" if len(line) > MAX_WIDTH else ""),
                               n in lines) for n, line in enumerate(text[:MAX_LINES], start=1))
        blocks.append(CodeBlock(title, shown, len(text) > MAX_LINES))
    return tuple(blocks)
