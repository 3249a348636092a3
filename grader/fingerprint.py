"""What produced a stored result: the fingerprint that decides whether to grade again.

A fingerprint names the grader version, the rubric (and its reference
solution) by content, the data set by name and content, the checks run, the
isolation, and the submission by the content of its files. A stored result
whose fingerprint equals the one a new run would produce is kept as it is.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Iterator, Mapping

from .discover import _MAX_FILE, _MAX_TOTAL, _SKIP_DIRS, submission_id
from .results import SubmissionResult
from .rubric import Rubric
from .session import Session

KEY = "fingerprint"
"""The key of the fingerprint in a stored result's ``info``."""
_CHUNK = 1 << 20


def run_fingerprint(session: Session) -> dict[str, Any]:
    """The part of every fingerprint that one run shares (the data set is hashed here, once)."""
    from importlib.metadata import version

    data = session.prepared()
    dataset = None
    if data is not None:
        d = data.dataset
        dataset = f"{d.name}:{_hash_arrays(d.X_train, d.y_train, d.X_val, d.y_val)}"
    return {"grader": version("grader"), "rubric": rubric_hash(session.rubric),
            "dataset": dataset, "checks": list(session.check_ids),
            "isolation": session.isolation}


def rubric_hash(rubric: Rubric) -> str:
    """The content hash of a rubric file and of the reference solution it names."""
    return _hash_files(rubric.path, rubric.reference)


def fingerprint(run: Mapping[str, Any], submission_hash: str) -> dict[str, Any]:
    """The fingerprint of one submission's result in a run."""
    return {**run, "submission": submission_hash}


def submission_files(entry: Path) -> Iterator[tuple[str, Path]]:
    """The files of a folder entry that grading copies (relative name, path), sorted.

    The walk follows no symbolic link and leaves out the folders grading
    leaves out; files beyond the size limits are left out as grading does,
    up to the first file past the total limit, so that grading still refuses
    the submission.
    """
    total = 0
    for rel, path in walk_files(entry):
        size = path.stat(follow_symlinks=False).st_size
        if size > _MAX_FILE:
            continue
        yield rel, path
        total += size
        if total > _MAX_TOTAL:
            return


def walk_files(root: Path) -> Iterator[tuple[str, Path]]:
    """Every regular file under ``root`` (relative name, path), sorted; no link is followed."""
    found = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        base = Path(folder)
        for name in files:
            path = base / name
            if path.is_file() and not path.is_symlink():
                found.append((path.relative_to(root).as_posix(), path))
    return iter(sorted(found))


def submission_hash(entry: Path) -> str:
    """The content hash of an entry: its kind and files, not its name."""
    digest = hashlib.sha256()
    if entry.is_dir():
        digest.update(b"folder\0")
        for rel, path in submission_files(entry):
            digest.update(rel.encode("utf-8") + b"\0")
            digest.update(_hash_files(path).encode("ascii"))
    else:
        digest.update(entry.suffix.encode("utf-8") + b"\0")
        digest.update(_hash_files(entry).encode("ascii"))
    return digest.hexdigest()


def stored_fingerprint(out: Path, entry: Path) -> tuple[Mapping[str, Any] | None, SubmissionResult | None]:
    """The fingerprint of the stored result of ``entry`` and the result, read strictly.

    Anything but a complete, valid result of this very submission gives
    ``(None, None)``: the submission is graded again.
    """
    path = out / submission_id(entry) / "result.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"), parse_constant=_not_json)
        result = SubmissionResult.from_json(data)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None, None
    if result.status not in ("graded", "error") or result.score != data.get("score"):
        return None, None
    stored = result.info.get(KEY)
    if result.submission != submission_id(entry) or not isinstance(stored, dict):
        return None, None
    return stored, result


def _not_json(name: str) -> Any:
    """The grader never writes NaN or Infinity: a file holding them was not written by it."""
    raise ValueError(f"{name} is not JSON")


def _hash_files(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest()


def _hash_arrays(*arrays: Any) -> str:
    import numpy as np

    digest = hashlib.sha256()
    for array in arrays:
        a = np.ascontiguousarray(array)
        digest.update(f"{a.dtype.str}{a.shape}".encode("ascii"))
        digest.update(a.data)
    return digest.hexdigest()
