"""Read what a sandbox left behind, and write where no student can point.

Every file in a child's work folder is hostile: the student's code could have
replaced it by a symbolic link (to the reference, to ``/``, to another
student's work), a FIFO (a read that never returns), a device, a folder, or a
file of any size and content. So every read of a child's output goes through
:func:`read_bytes` and the parsers built on it:

- each path component below the grader's own folder is opened with
  ``O_NOFOLLOW`` relative to its parent (``dir_fd``), so no link is followed
  anywhere on the way;
- the file is opened with ``O_NONBLOCK`` and ``fstat``-ed: only regular files
  are read, and only when their size is within the caller's cap;
- parsing is strict: JSON must hold finite numbers and the expected type;
  ``.npy``/``.npz`` must be real NumPy files (a zip for ``.npz``) of plain
  numeric arrays, loaded with ``allow_pickle=False`` and a bounded
  uncompressed size.

Any problem raises :class:`grader.errors.UnsafeOutput`, which the caller turns
into a message on the checks that needed that output.

Everything the parent writes goes through :func:`write_new`: into a folder the
grader created itself, with ``O_CREAT | O_EXCL | O_NOFOLLOW``, never through a
path inside a submission or a sandbox folder. The plan and inputs it hands a
running child go through :func:`write_into_sandbox`, which removes whatever the
child put at that name and never writes through it.
"""

from __future__ import annotations

import io
import json
import math
import os
import stat
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any, Callable

from .errors import UnsafeOutput
from .syntax import one_at_a_time

MAX_JSON = 4 * 2**20
"""Bytes of one JSON file a child wrote (a probe's info, a notebook's report)."""
MAX_ARRAYS = 256 * 2**20
"""Bytes of one ``.npz``/``.npy`` file, compressed or not, and of its arrays unpacked."""
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_NUMERIC_KINDS = "biuf"
"""Array kinds that may cross the boundary: bool, signed, unsigned, float."""


def _parts(rel: str | PurePosixPath) -> list[str]:
    parts = [p for p in PurePosixPath(rel).parts if p not in ("", ".")]
    if not parts or any(p in ("..", "/") for p in parts):
        raise UnsafeOutput(str(rel), "not a plain relative path")
    return parts


def _open_dir(base: Path, parts: list[str], rel: str) -> int:
    """A descriptor of ``base/parts...``, no component followed if it is a link."""
    fd = os.open(base, _DIR_FLAGS)
    try:
        for part in parts:
            try:
                child = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                raise  # nothing there: the caller decides whether that is a problem
            except OSError as exc:  # ELOOP (a link), ENOTDIR (a file) ...
                raise UnsafeOutput(rel, f"{part} is not a plain folder ({exc.strerror})") from None
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_regular(base: Path, rel: str | PurePosixPath, max_bytes: int) -> int:
    """A descriptor of the regular file ``base/rel`` of at most ``max_bytes``.

    ``base`` is a folder the grader created; ``rel`` is below it and may be
    anything the student made of it. Raises :class:`FileNotFoundError` when
    nothing is there and :class:`UnsafeOutput` when something other than a
    small enough regular file is.
    """
    parts = _parts(rel)
    name = str(rel)
    dir_fd = _open_dir(base, parts[:-1], name)
    try:
        try:
            fd = os.open(parts[-1], _FILE_FLAGS, dir_fd=dir_fd)
        except FileNotFoundError:
            raise
        except OSError as exc:  # ELOOP: a link; ENXIO: a FIFO or socket without peer
            raise UnsafeOutput(name, f"not a regular file ({exc.strerror})") from None
    finally:
        os.close(dir_fd)
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
        os.close(fd)
        why = ("not a regular file" if not stat.S_ISREG(info.st_mode) else
               f"{info.st_size} bytes, over the limit of {max_bytes}")
        raise UnsafeOutput(name, why)
    return fd


def read_bytes(base: Path, rel: str | PurePosixPath, max_bytes: int) -> bytes:
    """The content of a regular file a child wrote (see :func:`open_regular`)."""
    fd = open_regular(base, rel, max_bytes)
    try:
        chunks, size = [], 0
        while size <= max_bytes:  # it may still grow while read: never past the cap
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > max_bytes:
        raise UnsafeOutput(str(rel), f"grew past the limit of {max_bytes} bytes while read")
    return b"".join(chunks)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a finite number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999 is valid JSON, and infinite
        raise ValueError(f"{text[:20]} is not a finite number")
    return value


def parse_json(data: bytes, name: str, expected: type = dict) -> Any:
    """Strict JSON: UTF-8, finite numbers only, top-level of type ``expected``."""
    try:
        value = json.loads(data.decode("utf-8"), parse_constant=_no_constant,
                           parse_float=_finite)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise UnsafeOutput(name, f"not valid JSON ({str(exc)[:200]})") from None
    if not isinstance(value, expected):
        raise UnsafeOutput(name, f"holds a {type(value).__name__}, not a {expected.__name__}")
    return value


def read_json(base: Path, rel: str, expected: type = dict, max_bytes: int = MAX_JSON) -> Any:
    """A JSON file a child wrote, parsed strictly (see :func:`parse_json`)."""
    return parse_json(read_bytes(base, rel, max_bytes), rel, expected)


def _check_array(array: Any, name: str) -> Any:
    if array.dtype.kind not in _NUMERIC_KINDS:
        raise UnsafeOutput(name, f"holds an array of type {array.dtype}, not numbers")
    return array


def read_npy(base: Path, rel: str, max_bytes: int = MAX_ARRAYS) -> Any:
    """One numeric array from a ``.npy`` file a child wrote."""
    import numpy as np

    data = read_bytes(base, rel, max_bytes)
    if not data.startswith(b"\x93NUMPY"):
        raise UnsafeOutput(rel, "not a NumPy .npy file")
    try:
        with one_at_a_time():
            array = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise UnsafeOutput(rel, f"not a readable .npy file ({str(exc)[:200]})") from None
    return _check_array(array, rel)


def read_npz(base: Path, rel: str, max_bytes: int = MAX_ARRAYS,
             declared: Callable[[str, Any], str | None] | None = None) -> dict[str, Any]:
    """The numeric arrays of a ``.npz`` file a child wrote, by name.

    ``declared(name, array)`` says why an array breaks the probe's contract
    (:mod:`grader.contract`), or None.
    """
    import numpy as np

    data = read_bytes(base, rel, max_bytes)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > max_bytes:
            raise UnsafeOutput(rel, f"unpacks to {unpacked} bytes, over {max_bytes}")
        with one_at_a_time(), np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as exc:
        raise UnsafeOutput(rel, f"not a readable .npz file ({str(exc)[:200]})") from None
    for key, array in arrays.items():
        _check_array(array, f"{rel}[{key}]")
        problem = declared(key, array) if declared is not None else None
        if problem is not None:
            raise UnsafeOutput(f"{rel}[{key}]", problem)
    return arrays


def list_dir(base: Path, rel: str, limit: int) -> list[str]:
    """Up to ``limit`` names in the folder ``base/rel``, sorted, following no link
    (none if it is missing)."""
    try:
        fd = _open_dir(base, _parts(rel), rel)
    except FileNotFoundError:
        return []
    names: list[str] = []
    try:
        with os.scandir(fd) as entries:
            for entry in entries:
                if len(names) == limit:
                    break
                names.append(entry.name)
    finally:
        os.close(fd)
    return sorted(names)


def write_new(folder: Path, name: str, data: bytes) -> Path:
    """Create ``folder/name`` with ``data``; never through a link, never over a file.

    ``folder`` must be a folder the grader created and no sandbox can write.
    """
    if "/" in name or name in ("", ".", ".."):
        raise UnsafeOutput(name, "not a plain file name")
    dir_fd = os.open(folder, _DIR_FLAGS)
    try:
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                     0o644, dir_fd=dir_fd)
    finally:
        os.close(dir_fd)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return folder / name


def write_into_sandbox(folder: Path, name: str, data: bytes) -> Path:
    """Create ``folder/name`` in a sandbox's work folder, which its child may be writing.

    Whatever the child put at that name (a link to a host file, a FIFO) is
    removed first, and the file is created with ``O_EXCL | O_NOFOLLOW``: if
    the child puts something there again in between, the write fails rather
    than go through it.
    """
    if "/" in name or name in ("", ".", ".."):
        raise UnsafeOutput(name, "not a plain file name")
    dir_fd = os.open(folder, _DIR_FLAGS)
    try:
        try:
            os.unlink(name, dir_fd=dir_fd)
        except FileNotFoundError:
            pass
        except IsADirectoryError:
            raise UnsafeOutput(name, "a folder is in the way") from None
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                     0o644, dir_fd=dir_fd)
    except FileExistsError:
        raise UnsafeOutput(name, "something was put in the way while it was written") from None
    finally:
        os.close(dir_fd)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return folder / name
