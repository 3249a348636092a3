"""Find submissions and the files in each: the student's module, their notebook.

A submission is one entry of the submissions folder: a folder (the module may
sit at any depth, e.g. ``cs231n/classifiers/neural_net.py``), a lone ``.py``
or ``.ipynb`` file, or a ``.zip``. Its id is the entry's name without suffix.
Files are copied into the grading work folder, so student code never runs
where the submissions or the results live.
"""

from __future__ import annotations

import logging
import shutil
import stat
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .errors import SubmissionError

logger = logging.getLogger(__name__)

SUFFIXES = (".py", ".zip", ".ipynb")
_SKIP_DIRS = {"__MACOSX", "__pycache__", ".git", ".ipynb_checkpoints", "datasets", ".venv"}
RESERVED_IDS = frozenset({"results.json", "grades.csv", "index.html", "junit.xml",
                          "similarity.html", "similarity.json", "similarity.csv"})
"""The class files at the top of a results folder, which no submission's folder may replace."""
_MAX_FILE = 8 * 2**20
_MAX_TOTAL = 64 * 2**20
_MAX_FILES = 10_000
"""Files (and folders) of one submission: each costs the grader time and an inode."""
_MAX_DIRECTORY = _MAX_FILES * 400
_END_RECORD = bytes((0x50, 0x4B, 5, 6))
"""The signature of a zip's end record (built, so that no compiled module looks like a zip)."""
"""Bytes of a zip's list of files (its central directory), read whole when it is opened."""


@dataclass(frozen=True)
class Submission:
    """One student's files, copied into a work folder."""

    id: str
    """The entry's name without suffix."""
    source: Path
    """What was given: a folder, a .py, .ipynb or .zip file."""
    root: Path
    """The copy of the submission's files that grading works on."""
    module: Path | None
    """The student's module inside :attr:`root`, if there is one."""
    notebook: Path | None = None
    """The student's notebook inside :attr:`root`, if there is one."""
    skipped: tuple[str, ...] = ()
    """Files left out for their size, each with its size and the limit."""


def list_submissions(folder: Path) -> list[Path]:
    """The entries of a submissions folder, sorted by name, hidden files left out.

    Also left out, with a warning: links (copying one reads whatever it points
    at on the host), FIFOs and devices (a read that never returns), and entries
    whose id is the name of a class file of the results folder (``<id>/`` would
    stand where that file is written).
    """
    if not folder.is_dir():
        raise SubmissionError(f"{folder} is not a folder")
    entries = []
    for p in sorted(folder.iterdir()):
        if p.name.startswith(".") or p.name in _SKIP_DIRS:
            continue
        if p.is_symlink() or not (p.is_dir() or p.is_file()):
            if p.is_symlink() or p.suffix in SUFFIXES:
                logger.warning("%s: left out, a link or not a regular file or folder", p)
        elif submission_id(p) in RESERVED_IDS:
            logger.warning("%s: left out, its id is the name of a class file; rename it", p)
        elif p.is_dir() or p.suffix in SUFFIXES:
            entries.append(p)
    _refuse_shared_ids(entries)
    return entries


def _refuse_shared_ids(entries: list[Path]) -> None:
    """Two entries with one id (``alice/`` and ``alice.py``) would write one results
    folder, the last graded replacing the other's result: which is the student's?"""
    by_id: dict[str, list[str]] = {}
    for p in entries:
        by_id.setdefault(submission_id(p), []).append(p.name)
    shared = {i: names for i, names in by_id.items() if len(names) > 1}
    if shared:
        listed = "; ".join(f"{i}: {', '.join(names)}" for i, names in sorted(shared.items()))
        raise SubmissionError(f"entries share a submission id ({listed}); keep one of each")


def submission_id(entry: Path) -> str:
    return entry.name if entry.is_dir() else entry.stem


def load_submission(entry: Path, workdir: Path, module_name: str,
                    notebook_name: str | None = None) -> Submission:
    """Copy ``entry`` into ``workdir/submission`` and find its module and notebook.

    ``notebook_name`` is the rubric's (``[notebook] name``); a notebook of another name is
    taken when there is none of that name. None: any notebook, the shallowest first.
    """
    root = workdir / "submission"
    root.mkdir(parents=True)
    skipped: list[str] = []
    if entry.is_dir():
        _copy_tree(entry, root, skipped)
    elif entry.suffix == ".zip":
        _extract_zip(entry, root, skipped)
    elif entry.suffix in (".py", ".ipynb") and entry.is_file():
        target = module_name if entry.suffix == ".py" else notebook_name or entry.name
        if _fits(target, entry.stat().st_size, skipped):
            shutil.copyfile(entry, root / target)
    else:
        raise SubmissionError(f"{entry}: not a folder, .py, .ipynb or .zip file")
    return Submission(submission_id(entry), entry, root, _find(root, module_name),
                      _find(root, notebook_name or "*.ipynb", any_suffix=".ipynb"),
                      tuple(skipped))


def _fits(name: str, size: int, skipped: list[str]) -> bool:
    """Whether one file is within the per-file limit; if not, say so in ``skipped``."""
    if size <= _MAX_FILE:
        return True
    skipped.append(f"{name} is {size / 2**20:.1f} MB, over the limit of "
                   f"{_MAX_FILE >> 20} MB per file")
    return False


def _find(root: Path, name: str, any_suffix: str | None = None) -> Path | None:
    """The best match for ``name`` under ``root``: exact name first, shallowest first."""
    found = [p for p in root.rglob(name) if p.is_file()]
    if not found and any_suffix:
        found = [p for p in root.rglob(f"*{any_suffix}") if p.is_file()]
    found = [p for p in found if not set(p.relative_to(root).parts) & _SKIP_DIRS]
    return min(found, key=lambda p: (len(p.parts), str(p))) if found else None


def _copy_tree(source: Path, dest: Path, skipped: list[str]) -> None:
    total = 0
    for count, path in enumerate(sorted(source.rglob("*"))):
        if count == _MAX_FILES:
            raise SubmissionError(f"{source}: more than {_MAX_FILES} files and folders")
        rel = path.relative_to(source)
        if set(rel.parts) & _SKIP_DIRS or path.is_symlink():
            continue
        if path.is_dir():
            (dest / rel).mkdir(parents=True, exist_ok=True)
        elif path.is_file() and _fits(str(rel), path.stat().st_size, skipped):
            total += path.stat().st_size
            if total > _MAX_TOTAL:
                raise SubmissionError(f"{source}: more than {_MAX_TOTAL >> 20} MB of files")
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest / rel)


def _extract_zip(source: Path, dest: Path, skipped: list[str]) -> None:
    """Extract safely: no absolute paths, no ``..``, no links, bounded size."""
    if _directory_size(source) > _MAX_DIRECTORY:
        raise SubmissionError(f"{source}: the zip lists more files than allowed")
    try:
        with zipfile.ZipFile(source) as archive:
            if len(archive.infolist()) > _MAX_FILES:
                raise SubmissionError(f"{source}: more than {_MAX_FILES} entries in the zip")
            total = 0
            for info in archive.infolist():
                parts = Path(info.filename).parts
                if info.is_dir() or set(parts) & _SKIP_DIRS:
                    continue
                if info.filename.startswith("/") or ".." in parts:
                    raise SubmissionError(f"{source}: unsafe path {info.filename!r} in zip")
                if stat.S_ISLNK(info.external_attr >> 16):
                    continue
                if not _fits(info.filename, info.file_size, skipped):
                    continue
                total += info.file_size
                if total > _MAX_TOTAL:
                    raise SubmissionError(f"{source}: zip holds more than allowed")
                _write_entry(archive, info, dest.joinpath(*parts), source)
    except zipfile.BadZipFile as exc:
        raise SubmissionError(f"{source}: not a valid zip file ({exc})") from None


def _write_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path,
                 source: Path) -> None:
    """One member to ``target``; a name used both as a file and as a folder is the
    submission's mistake (``x`` and ``x/y``), not the grader's."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(info) as src, open(target, "wb") as out:
            shutil.copyfileobj(src, out)
    except (FileExistsError, NotADirectoryError, IsADirectoryError):
        raise SubmissionError(f"{source}: the zip uses {info.filename!r} both as a file "
                              "and as a folder") from None


def _directory_size(source: Path) -> int:
    """The size of a zip's central directory, from its end record (0 if there is none:
    :mod:`zipfile` then says what is wrong); a zip64 archive counts as too large."""
    with open(source, "rb") as f:
        f.seek(0, 2)
        f.seek(max(0, f.tell() - (22 + 0xFFFF)))
        tail = f.read()
    at = tail.rfind(_END_RECORD)
    if at < 0 or len(tail) < at + 22:
        return 0
    size: int = struct.unpack("<I", tail[at + 12:at + 16])[0]
    return _MAX_DIRECTORY + 1 if size == 0xFFFFFFFF else size
