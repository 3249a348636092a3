"""Find the files shipped inside the package: assignment packs and their parts.

Every assignment lives in one folder ("pack") under ``grader/assignments/``:
``rubric.toml``, ``reference/`` (instructor build only), ``student_template/``
and ``examples/``. They are found with :mod:`importlib.resources`, so the same
code works from a source checkout, an editable install, a wheel, an sdist and
``python -m grader``. The package must be installed as files (not zipped):
the sandboxed child reads some of them by path.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from .errors import RubricError

PACKS = "grader.assignments"
"""The package holding one sub-package per assignment."""
DEFAULT_ASSIGNMENT = "two_layer_net"
"""The assignment graded when no rubric is named."""
RUBRIC_FILE = "rubric.toml"


def packs_dir() -> Path:
    """The folder of every assignment pack."""
    return Path(str(resources.files(PACKS)))


def pack_names() -> tuple[str, ...]:
    """The assignments shipped: every pack folder holding a rubric."""
    return tuple(sorted(p.name for p in packs_dir().iterdir()
                        if (p / RUBRIC_FILE).is_file()))


def pack_dir(name: str = DEFAULT_ASSIGNMENT) -> Path:
    """The folder of one assignment pack."""
    return packs_dir() / name


def rubric_path(rubric: str | Path | None = None) -> Path:
    """The rubric file meant by ``rubric``: a path to a file, or an assignment name.

    None means the default assignment (or the only one shipped). A name that is neither an existing
    file nor a shipped assignment raises :class:`RubricError`.
    """
    if rubric is None:
        names = pack_names()
        # A student build ships one pack, which need not be the default one.
        default = names[0] if len(names) == 1 else DEFAULT_ASSIGNMENT
        return pack_dir(default) / RUBRIC_FILE
    path = Path(rubric)
    if path.is_file():
        return path
    name = str(rubric)
    if name.isidentifier() and (pack_dir(name) / RUBRIC_FILE).is_file():
        return pack_dir(name) / RUBRIC_FILE
    known = ", ".join(pack_names()) or "none"
    raise RubricError(name, "-", f"file not found, and not a shipped assignment (shipped: {known})")


def student_template(name: str = DEFAULT_ASSIGNMENT) -> Path:
    """The starter handed to students: skeleton module, notebook, support code."""
    return pack_dir(name) / "student_template"


def examples(name: str = DEFAULT_ASSIGNMENT) -> Path:
    """The demo submissions graded by ``grader demo``."""
    return pack_dir(name) / "examples"

