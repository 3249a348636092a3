"""Read a submission's code as text: its module and the code cells of its notebook.

Student files are hostile: they are read without following symbolic links,
only when they are regular files, and only up to a size cap. Nothing here
runs or imports them; a notebook is parsed with nbformat as JSON and only its
code cells' text is kept.
"""

from __future__ import annotations

import io
import os
import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..discover import list_submissions, submission_id
from ..errors import SubmissionError

MAX_FILE = 4 * 2**20
"""Files larger than this are left out (a course module is a few kB)."""
_SKIP_DIRS = {"__MACOSX", "__pycache__", ".git", ".ipynb_checkpoints", "datasets", ".venv"}
_MAGIC = re.compile(r"^\s*[%!]")


@dataclass(frozen=True)
class Source:
    """One file's code, as the similarity step compares it."""

    label: str
    """Where it came from, relative to the submission (e.g. ``cs231n/classifiers/x.py``)."""
    parts: tuple[str, ...]
    """The code: one part for a module, one per code cell of a notebook."""


@dataclass(frozen=True)
class SubmissionCode:
    """Everything of one submission that is compared."""

    id: str
    sources: tuple[Source, ...]


def read_capped(path: Path, limit: int = MAX_FILE) -> bytes | None:
    """The bytes of a regular file, never through a symbolic link; None when it is
    not a regular file or is larger than ``limit``."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        with os.fdopen(fd, "rb", closefd=False) as stream:
            data = stream.read(limit + 1)
        return data if len(data) <= limit else None
    finally:
        os.close(fd)


def notebook_cells(data: bytes) -> tuple[str, ...]:
    """The code cells of a notebook; IPython magics and shell lines blanked out."""
    import nbformat

    try:
        notebook = nbformat.reads(data.decode("utf-8", errors="replace"), as_version=4)
        cells = [c for c in notebook.cells if c.get("cell_type") == "code"]
        texts = [c.get("source", "") for c in cells]
    except Exception:  # a malformed notebook has no code to compare
        return ()
    return tuple("\n".join("" if _MAGIC.match(line) else line for line in text.splitlines())
                 for text in texts if isinstance(text, str))


def source_of(label: str, data: bytes) -> Source:
    if label.endswith(".ipynb"):
        return Source(label, notebook_cells(data))
    return Source(label, (data.decode("utf-8", errors="replace"),))


def default_files() -> tuple[str, str]:
    """The module and notebook of the default assignment (its pack's ``NOTEBOOK``)."""
    from ..checkdef import pack
    from ..resources import DEFAULT_ASSIGNMENT

    declared = pack(DEFAULT_ASSIGNMENT).notebook
    if declared is None:
        return "", ""
    return Path(declared.student_files[0]).name if declared.student_files else "", declared.name


def submission_code(entry: Path, module: str | None = None,
                    notebook: str | None = None) -> SubmissionCode:
    """The module and notebook code of one submission entry (folder, .py, .ipynb, .zip);
    None: the default assignment's."""
    default_module, default_notebook = default_files()
    module = default_module if module is None else module
    notebook = default_notebook if notebook is None else notebook
    if entry.is_symlink():
        return SubmissionCode(submission_id(entry), ())
    if entry.is_dir():
        found = _files_in_folder(entry, (module, notebook))
    elif entry.suffix == ".zip":
        found = _files_in_zip(entry, (module, notebook))
    else:
        data = read_capped(entry)
        found = [(entry.name, data)] if data is not None else []
    return SubmissionCode(submission_id(entry), tuple(source_of(n, d) for n, d in found))


def folder_code(folder: Path, module: str | None = None,
                notebook: str | None = None) -> list[SubmissionCode]:
    """Every submission of a submissions folder, sorted by id."""
    if not folder.is_dir():
        raise SubmissionError(f"{folder} is not a folder")
    return [submission_code(e, module, notebook) for e in list_submissions(folder)]


def _shallowest(paths: list[str]) -> str | None:
    return min(paths, key=lambda p: (p.count("/"), p)) if paths else None


def _files_in_folder(root: Path, names: tuple[str, ...]) -> list[tuple[str, bytes]]:
    """The shallowest file of each name under ``root``; symbolic links never followed."""
    matches: dict[str, list[str]] = {n: [] for n in names}
    for top, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        rel = Path(top).relative_to(root)
        for name in files:
            if name in matches:
                matches[name].append((rel / name).as_posix())
    found = []
    for name in names:
        best = _shallowest(matches[name])
        data = read_capped(root / best) if best else None
        if best and data is not None:
            found.append((best, data))
    return found


def _files_in_zip(path: Path, names: tuple[str, ...]) -> list[tuple[str, bytes]]:
    """The shallowest member of each name in a zip, read in memory within the size cap."""
    data = read_capped(path, 16 * MAX_FILE)
    if data is None:
        return []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = {i.filename: i for i in archive.infolist() if not i.is_dir()
                     and not set(Path(i.filename).parts) & _SKIP_DIRS
                     and not stat.S_ISLNK(i.external_attr >> 16)}
            found = []
            for name in names:
                best = _shallowest([f for f in infos if Path(f).name == name])
                if best and infos[best].file_size <= MAX_FILE:
                    with archive.open(infos[best]) as member:
                        found.append((best, member.read(MAX_FILE + 1)[:MAX_FILE]))
            return found
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        return []
