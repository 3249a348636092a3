"""The starter: the pack's student template, with its generated files rebuilt.

Each file of the pack's ``reference/`` has one counterpart of the same name
in ``student_template/`` (e.g. ``reference/neural_net.py`` and
``student_template/cs231n/classifiers/neural_net.py``). That counterpart is
generated from the reference by its solution markers
(:mod:`grader.release.markers`); every other file of the template (support
code, data) is copied as it is.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ..errors import ReleaseError
from .markers import Split, split_notebook, split_source


def generated_files(pack: Path) -> dict[Path, Path]:
    """Template file (relative to ``student_template/``) -> the reference file it comes from."""
    template = pack / "student_template"
    out: dict[Path, Path] = {}
    for source in sorted((pack / "reference").iterdir()):
        if not source.is_file():
            continue
        matches = sorted(template.rglob(source.name))
        if len(matches) != 1:
            raise ReleaseError(f"{source}: expected one file named {source.name} in "
                               f"{template}, found {len(matches)}")
        out[matches[0].relative_to(template)] = source
    return out


def split_reference(source: Path) -> Split:
    """A reference file split into what the student sees and the solution lines."""
    text = source.read_text(encoding="utf-8")
    if source.suffix == ".ipynb":
        return split_notebook(text, str(source))
    return split_source(text, str(source))


def write_starter(pack: Path, out: Path) -> list[Path]:
    """Write the starter into ``out`` (which must not exist); return the generated files."""
    generated = generated_files(pack)
    shutil.copytree(pack / "student_template", out,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints"))
    for relative, source in generated.items():
        (out / relative).write_text(split_reference(source).starter, encoding="utf-8")
    return [out / relative for relative in generated]


def solution_lines(pack: Path) -> tuple[str, ...]:
    """Every line of every solution block of the pack's reference files."""
    lines: list[str] = []
    for source in generated_files(pack).values():
        lines += split_reference(source).solution
    return tuple(lines)
