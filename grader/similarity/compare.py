"""Compare every pair of submissions by their shared fingerprints.

Before comparing, two kinds of fingerprints are set aside, as MOSS does:
those of the starter code (every submission shares it) and those found in
more than ``common_limit`` submissions of the class (other years' starter
code, the assignment's given lines, idioms everybody writes). Known
solutions (``--against``) are compared with every submission, never with
each other, and do not count towards what is common.

The score of a pair is the larger of the two shares: the part of one
submission's remaining fingerprints that the other has too. Code added to a
copy (dead or not) lowers the copy's share but not the original's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .fingerprint import Fingerprints, Settings

DEFAULT_THRESHOLD = 0.5
"""Pairs scoring above this are listed for review (see docs/similarity.md for how it was set)."""
MIN_FINGERPRINTS = 20
"""Shares are taken of at least this many fingerprints, so that a submission with
almost no code of its own does not match everything it shares two lines with."""
REPORTED = 0.1
"""Pairs scoring below this are counted in the histogram but not listed."""
BINS = 20


def default_common_limit(class_size: int) -> int:
    """MOSS's M: a passage in more than this many submissions is common, not copied.
    The larger of 5 and a tenth of the class."""
    return max(5, math.ceil(class_size / 10))


@dataclass(frozen=True)
class Pair:
    """Two submissions (or a submission and a known solution) and how alike they are."""

    a: str
    b: str
    score: float
    """The larger of the two shares, 0 to 1."""
    a_share: float
    """The part of ``a``'s fingerprints that ``b`` has too."""
    b_share: float
    shared: int
    """Fingerprints the two have in common."""
    known: bool
    """``b`` is a known solution, not a submission."""


@dataclass(frozen=True)
class Comparison:
    """Every pair's score and what was set aside before comparing."""

    submissions: tuple[str, ...]
    known: tuple[str, ...]
    pairs: tuple[Pair, ...]
    """Pairs scoring at least :data:`REPORTED`, best first."""
    compared: int
    """How many pairs were compared."""
    histogram: tuple[int, ...]
    """Counts of all compared pairs' scores in :data:`BINS` equal bins from 0 to 1."""
    threshold: float
    common_limit: int
    settings: Settings
    starter_fingerprints: int
    """Distinct fingerprints of the class set aside because the starter code has them."""
    common_fingerprints: int
    """Distinct fingerprints set aside because more than ``common_limit`` submissions have them."""
    kept: dict[str, np.ndarray]
    """Each submission's fingerprints that were compared (sorted, unique)."""

    def above(self) -> list[Pair]:
        return [p for p in self.pairs if p.score > self.threshold]


def compare(prints: Sequence[Fingerprints], known: Sequence[Fingerprints], starter: np.ndarray,
            *, threshold: float = DEFAULT_THRESHOLD, common_limit: int | None = None,
            settings: Settings = Settings()) -> Comparison:
    """Score every pair of ``prints`` and every submission against every known solution."""
    limit = default_common_limit(len(prints)) if common_limit is None else common_limit
    values = np.unique(np.concatenate([f.unique() for f in prints])) if prints else np.zeros(0)
    sets = [np.setdiff1d(f.unique(), starter, assume_unique=True) for f in (*prints, *known)]
    found, counts = (np.unique(np.concatenate(sets[:len(prints)]), return_counts=True)
                     if prints else (np.zeros(0, np.int64), np.zeros(0, np.int64)))
    common = found[counts > limit]
    sets = [np.setdiff1d(s, common, assume_unique=True) for s in sets]
    ids = [f.id for f in (*prints, *known)]
    shared = _shared_counts(sets, len(prints))
    pairs, scores = _pairs(ids, sets, shared, len(prints))
    compared = len(prints) * (len(prints) - 1) // 2 + len(prints) * len(known)
    histogram = np.histogram(np.asarray(scores, dtype=float), bins=BINS, range=(0.0, 1.0))[0]
    histogram[0] += compared - len(scores)  # pairs with nothing in common
    starter_count = len(np.intersect1d(values, starter, assume_unique=True)) if prints else 0
    return Comparison(tuple(f.id for f in prints), tuple(f.id for f in known),
                      tuple(sorted(pairs, key=lambda p: (-p.score, p.a, p.b))), compared,
                      tuple(int(c) for c in histogram), threshold, limit, settings,
                      starter_count, len(common), dict(zip(ids, sets)))


def _shared_counts(sets: list[np.ndarray], class_size: int) -> dict[int, int]:
    """Fingerprints in common per pair (key ``i * n + j``, i < j), from an inverted index."""
    n = len(sets)
    if n < 2:
        return {}
    hashes = np.concatenate(sets)
    owners = np.concatenate([np.full(len(s), i, dtype=np.int64) for i, s in enumerate(sets)])
    order = np.lexsort((owners, hashes))
    hashes, owners = hashes[order], owners[order]
    starts = np.flatnonzero(np.r_[True, hashes[1:] != hashes[:-1]])
    sizes = np.diff(np.r_[starts, len(hashes)])
    keys: list[np.ndarray] = []
    for size in np.unique(sizes[sizes >= 2]):
        groups = owners[starts[sizes == size][:, None] + np.arange(size)]
        left, right = np.triu_indices(int(size), 1)
        i, j = groups[:, left].ravel(), groups[:, right].ravel()
        wanted = i < class_size  # two known solutions are never compared
        keys.append(i[wanted] * n + j[wanted])
    if not keys:
        return {}
    found, counts = np.unique(np.concatenate(keys), return_counts=True)
    return dict(zip(found.tolist(), counts.tolist()))


def _pairs(ids: list[str], sets: list[np.ndarray], shared: dict[int, int],
           class_size: int) -> tuple[list[Pair], list[float]]:
    n = len(ids)
    pairs: list[Pair] = []
    scores: list[float] = []
    for key, count in shared.items():
        i, j = divmod(key, n)
        a_share = count / max(len(sets[i]), MIN_FINGERPRINTS)
        b_share = count / max(len(sets[j]), MIN_FINGERPRINTS)
        score = min(1.0, max(a_share, b_share))
        scores.append(score)
        if score >= REPORTED:
            pairs.append(Pair(ids[i], ids[j], round(score, 4), round(a_share, 4),
                              round(b_share, 4), count, j >= class_size))
    return pairs, scores
