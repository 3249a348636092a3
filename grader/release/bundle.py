"""The self-check bundle: the visible part of the rubric and the expected values.

The student rubric keeps only the checks students see, minus those that
need the reference on inputs only the student's code decides (the pack's
``instructor_only`` hook, :func:`grader.replay.instructor_only`), and draws
its cases from a *public* seed: the student build asks other questions than
instructor grading, of the same kind (random shapes, nonzero biases). The
expected answers are recorded by grading the reference itself under that
rubric, with every question the checks put to the reference written to
``selfcheck.npz`` by the pack's ``record`` hook.
"""

from __future__ import annotations

import json
import secrets
import shutil
import tomllib
from pathlib import Path
from typing import Any, Mapping

from ..errors import ReleaseError
from ..rubric import Rubric, load_rubric
from ..sandbox import Isolation
from ..tempdirs import new_temp_dir

BUNDLE_FILE = "selfcheck.npz"


def student_rubric_text(rubric: Rubric, seed: int, reference: str = BUNDLE_FILE) -> str:
    """The rubric the student build grades with: visible checks, a public seed."""
    from ..replay import instructor_only

    left_out = instructor_only(rubric)
    raw = tomllib.loads(rubric.path.read_text(encoding="utf-8"))
    raw["assignment"] = dict(raw["assignment"], reference=reference, seed=seed)
    raw["checks"] = {name: {k: v for k, v in body.items() if k != "visible"}
                     for name, body in raw["checks"].items()
                     if body.get("visible", True) and name not in left_out}
    header = (f"# Self-check rubric of {rubric.name}, written by `grader release`: the checks\n"
              "# students see, on inputs drawn from a public seed, answered from the\n"
              f"# expected values recorded in {BUNDLE_FILE}. Instructor grading uses other inputs.\n")
    return header + _toml(raw)


def _toml(raw: Mapping[str, Any], prefix: str = "") -> str:
    scalars = [f"{k} = {_value(v)}" for k, v in raw.items() if not isinstance(v, dict)]
    out = ("\n".join([f"[{prefix}]", *scalars]) + "\n\n") if prefix and scalars else ""
    for k, v in raw.items():
        if isinstance(v, dict):
            out += _toml(v, f"{prefix}.{k}" if prefix else k)
    return out


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise ReleaseError(f"rubric value {value!r} cannot be written back")


def write_bundle(rubric: Rubric, folder: Path, *, isolation: Isolation = "auto",
                 public_seed: int | None = None) -> Path:
    """Write ``rubric.toml`` and ``selfcheck.npz`` into ``folder``; return the folder."""
    import numpy as np

    from ..pipeline import grade_submission
    from ..reference import recording
    from ..session import Session

    if public_seed == rubric.seed:
        raise ReleaseError(f"{rubric.path}: the public seed must differ from the hidden one")
    seed = _public_seed(rubric.seed) if public_seed is None else public_seed
    folder.mkdir(parents=True, exist_ok=True)
    # Recorded with the real reference in place of the bundle, same rubric otherwise.
    recorder_rubric = folder / ".recording.toml"
    recorder_rubric.write_text(student_rubric_text(rubric, seed, str(rubric.reference)),
                               encoding="utf-8")
    entry = new_temp_dir()
    try:
        public = load_rubric(recorder_rubric)
        with recording(public) as table, Session(public, isolation=isolation) as session:
            result = grade_submission(_reference_entry(public, entry), session)
    finally:
        recorder_rubric.unlink()
        shutil.rmtree(entry, ignore_errors=True)
    failing = [c.id for c in result.checks if c.status not in ("pass", "skipped")]
    if failing:
        raise ReleaseError(f"{rubric.reference}: the reference fails its own visible checks "
                           f"({', '.join(failing)}): {result.error or ''}")
    np.savez(folder / BUNDLE_FILE, **table)  # type: ignore[arg-type]
    (folder / "rubric.toml").write_text(student_rubric_text(rubric, seed), encoding="utf-8")
    return folder


def _reference_entry(rubric: Rubric, folder: Path) -> Path:
    """The reference as a submission: its module, or, when the assignment has several
    course files (``[assignment] modules``), a folder of those beside each other (the
    reference folder also holds the solution notebook, which records nothing)."""
    if not rubric.modules:
        return rubric.reference
    entry = folder / "reference"
    entry.mkdir()
    for name in rubric.modules:
        shutil.copyfile(rubric.reference.parent / name, entry / name)
    return entry


def _public_seed(hidden: int) -> int:
    """A fresh seed for the public cases, never the hidden one."""
    while True:
        seed = secrets.randbelow(2**31 - 1)
        if seed != hidden:
            return seed
