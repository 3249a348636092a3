"""Copy what a notebook run drew into the results, bounded and never through a link.

Only two kinds of file leave a notebook's sandbox for the results folder: the
executed notebook the grader's child wrote, and the PNG figures it saved. Each
is read with :mod:`grader.hostile` (regular files only, size first) and
written with :func:`grader.hostile.write_new` into the submission's results
folder, which only the grader writes. Everything else is left behind.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from . import hostile
from .errors import UnsafeOutput

MAX_EXECUTED = 4 * 2**20
"""Bytes of the executed notebook kept with the results."""
MAX_FIGURES = 20
"""Figures kept per submission (the report shows as many)."""
MAX_FIGURE = 1 * 2**20
"""Bytes of one figure."""
MAX_FIGURES_TOTAL = 2 * 2**20 + 2**19
"""Bytes of all the figures of one submission together (2.5 MB)."""
_LISTED = 1000
"""Entries of the figures folder looked at (a flood of files is not listed whole)."""
_PNG = b"\x89PNG\r\n\x1a\n"


def save_notebook_artifacts(run_dir: Path, artifacts: Path) -> tuple[str, ...]:
    """Copy ``run_dir/out/executed.ipynb`` and ``out/figures/*.png`` into ``artifacts``.

    Returns what was refused, one line each, for the notebook check's message.
    """
    artifacts.mkdir(parents=True, exist_ok=True)
    for stale in (artifacts / "executed.ipynb", artifacts / "figures"):  # of an earlier run
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale)
        elif stale.exists() or stale.is_symlink():
            stale.unlink()
    refused: list[str] = []
    try:
        data = hostile.read_bytes(run_dir, "out/executed.ipynb", MAX_EXECUTED)
        hostile.write_new(artifacts, "executed.ipynb", data)
    except FileNotFoundError:
        pass
    except UnsafeOutput as exc:
        refused.append(str(exc))
    return tuple(refused) + _copy_figures(run_dir, artifacts / "figures")


def _copy_figures(run_dir: Path, dest: Path) -> tuple[str, ...]:
    try:
        names = [n for n in hostile.list_dir(run_dir, "out/figures", _LISTED)
                 if n.endswith(".png")]
    except UnsafeOutput as exc:
        return (str(exc),)
    refused: list[str] = []
    total = kept = 0
    for name in names:
        if kept == MAX_FIGURES:
            refused.append(f"figures: only the first {MAX_FIGURES} are kept")
            break
        try:
            data = hostile.read_bytes(run_dir, f"out/figures/{name}", MAX_FIGURE)
        except (FileNotFoundError, UnsafeOutput) as exc:
            refused.append(str(exc))
            continue
        if not data.startswith(_PNG) or len(data) < 24:
            refused.append(f"figures/{name}: not a PNG image")
            continue
        if total + len(data) > MAX_FIGURES_TOTAL:
            refused.append(f"figures: more than {MAX_FIGURES_TOTAL} bytes in all")
            break
        dest.mkdir(exist_ok=True)
        hostile.write_new(dest, name, data)
        total, kept = total + len(data), kept + 1
    return tuple(refused)
