"""Fingerprints of a submission: winnowed hashes of k-token runs of its normalised code.

The selection of fingerprints (robust winnowing, Schleimer, Wilkerson and
Aiken 2003, the method of MOSS) is copydetect's ``winnow``. Tokens and
k-grams are hashed here rather than with copydetect's ``hashed_kgrams``,
which uses Python's ``hash()``: that is salted per process, so fingerprints
made in a pool of processes would never match. Hashes are kept below 2**52
because copydetect's winnowing compares them as floats.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field

import numpy as np

from .normalize import Defined, Segment, normalize, parse, scan
from .sources import SubmissionCode

_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True)
class Settings:
    """How fingerprints are taken."""

    k: int = 12
    """Tokens per k-gram: shorter matches are noise (a line of ``V = V . dot ( V )``)."""
    window: int = 6
    """Winnowing window: every match of ``k + window - 1`` tokens is certain to be found."""


@dataclass(frozen=True)
class Fingerprints:
    """The fingerprints of one submission and where each sits in its code."""

    id: str
    hashes: np.ndarray = field(repr=False)
    """int64, one per selected k-gram (repeats kept, for highlighting)."""
    where: np.ndarray = field(repr=False)
    """int32 (n, 4): source index, part index, first line, last line of each k-gram."""
    tokens: int = 0
    """Normalised tokens in all (what the similarity of a pair is relative to)."""

    def unique(self) -> np.ndarray:
        return np.unique(self.hashes)


@functools.lru_cache(maxsize=65536)
def token_id(word: str) -> int:
    """A stable 64-bit id of a token, the same in every process."""
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")


def kgram_hashes(tokens: tuple[str, ...], k: int) -> np.ndarray:
    """Hashes (int64, below 2**52) of every run of ``k`` tokens."""
    if len(tokens) < k:
        return np.zeros(0, dtype=np.int64)
    ids = np.fromiter((token_id(t) for t in tokens), dtype=np.uint64, count=len(tokens))
    count = len(tokens) - k + 1
    hashes = np.zeros(count, dtype=np.uint64)
    for j in range(k):  # uint64 arithmetic wraps around: a polynomial hash modulo 2**64
        hashes = hashes * _MULTIPLIER + ids[j:j + count]
    return (hashes >> np.uint64(12)).astype(np.int64)


def winnowed(hashes: np.ndarray, window: int) -> np.ndarray:
    """The indexes of the k-grams robust winnowing selects."""
    from copydetect.utils import winnow

    if len(hashes) == 0:
        return np.zeros(0, dtype=np.int64)
    _, index = winnow(hashes, window, remove_duplicates=False)
    return np.asarray(index, dtype=np.int64)


def segments_of(code: SubmissionCode, *, keep: frozenset[str] | None) -> list[list[list[Segment]]]:
    """The segments of each part of each source. ``keep`` are functions never dropped
    as unused (the starter code's, which the autograder calls); None keeps dead code."""
    scans = [[scan(parse(part)) for part in source.parts] for source in code.sources]
    defined = Defined()
    referenced: set[str] = set()
    for found in (s for source in scans for s in source):
        defined |= found.defined
        referenced |= found.referenced
    unused = None
    if keep is not None:
        unused = {f for f in defined.functions - referenced - keep if not f.startswith("__")}
    return [[normalize(part, defined=defined, unused=unused, scanned=found)
             for part, found in zip(source.parts, source_scans)]
            for source, source_scans in zip(code.sources, scans)]


def fingerprint(code: SubmissionCode, settings: Settings, keep: frozenset[str]) -> Fingerprints:
    """The winnowed fingerprints of one submission."""
    hashes: list[np.ndarray] = []
    where: list[np.ndarray] = []
    tokens = 0
    for s, source in enumerate(segments_of(code, keep=keep)):
        for p, segments in enumerate(source):
            for segment in segments:
                tokens += len(segment.tokens)
                all_hashes = kgram_hashes(segment.tokens, settings.k)
                chosen = winnowed(all_hashes, settings.window)
                lines = np.asarray(segment.lines, dtype=np.int32)
                hashes.append(all_hashes[chosen])
                where.append(np.stack([np.full(len(chosen), s), np.full(len(chosen), p),
                                       lines[chosen], lines[chosen + settings.k - 1]],
                                      axis=1).astype(np.int32).reshape(-1, 4))
    if not hashes:
        return Fingerprints(code.id, np.zeros(0, np.int64), np.zeros((0, 4), np.int32), 0)
    return Fingerprints(code.id, np.concatenate(hashes), np.concatenate(where), tokens)


def every_kgram(code: SubmissionCode, settings: Settings) -> np.ndarray:
    """The hashes of all k-grams of some code, dead code included (for the starter code,
    whose every line is given, not written)."""
    found = [kgram_hashes(segment.tokens, settings.k)
             for source in segments_of(code, keep=None) for part in source for segment in part]
    return np.unique(np.concatenate(found)) if found else np.zeros(0, np.int64)
