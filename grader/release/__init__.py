"""``grader release``: what a course hands to students, from one assignment pack.

``release(out)`` writes three things into ``out``:

* ``starter/``: the student template, its skeleton module and notebook
  generated from the reference by the solution markers (:mod:`.starter`);
* ``selfcheck/``: the self-check bundle, the visible part of the rubric and
  the expected values recorded from the reference (:mod:`.bundle`);
* ``grader-<version>+selfcheck-py3-none-any.whl``: the student build of the
  grader, with the bundle and without the reference (:mod:`.wheel`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import ReleaseError
from ..resources import RUBRIC_FILE
from ..rubric import Rubric, load_rubric
from ..sandbox import Isolation

__all__ = ["Release", "release"]


@dataclass(frozen=True)
class Release:
    """Where ``release`` put each part."""

    starter: Path
    """The starter folder handed to students."""
    bundle: Path
    """The self-check bundle (``rubric.toml``, ``selfcheck.npz``)."""
    wheel: Path
    """The student wheel: ``pip install`` it to self-check offline."""


def release(out: str | Path, *, rubric: Rubric | str | Path | None = None,
            isolation: Isolation = "auto", public_seed: int | None = None) -> Release:
    """Write the starter, the self-check bundle and the student wheel into ``out``.

    The student build's inputs come from ``public_seed`` (default: a fresh random
    one); it is never the rubric's hidden seed."""
    from importlib import resources

    from ..reference import is_recorded
    from ..replay import RECORDING_HOOKS, can_record
    from .bundle import write_bundle
    from .starter import write_starter
    from .wheel import build_wheel, student_files

    rubric = rubric if isinstance(rubric, Rubric) else load_rubric(rubric)
    pack = rubric.path.parent
    if rubric.path.name != RUBRIC_FILE or not (pack / "student_template").is_dir():
        raise ReleaseError(f"{rubric.path}: not the rubric of an assignment pack "
                           "(a folder with rubric.toml, reference/ and student_template/)")
    if is_recorded(rubric):
        raise ReleaseError(f"{rubric.path}: a student build has no reference to release from")
    if not can_record(rubric):
        raise ReleaseError(f"{rubric.path}: the assignment {rubric.kind!r} declares no "
                           f"{' and '.join(RECORDING_HOOKS)} hooks, so its reference cannot "
                           "be recorded for a student build")
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise ReleaseError(f"{out}: the release folder must be new or empty")
    write_starter(pack, out / "starter")
    bundle = write_bundle(rubric, out / "selfcheck", isolation=isolation,
                          public_seed=public_seed)
    package = Path(str(resources.files("grader")))
    files = student_files(package, pack.name, bundle, out / "starter")
    return Release(out / "starter", bundle, build_wheel(files, out))
