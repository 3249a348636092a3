"""Lay out the folder a notebook runs in, as its assignment's pack declares it.

The pack's ``NOTEBOOK`` (:class:`grader.checkdef.NotebookDef`) names the course's
support files copied beside the notebook, where the student's own files go, where
the data set is put, and the function that reads the tuned model in the student's
kernel once the notebook has run (only its source crosses into the kernel).
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from .checkdef import NotebookDef, pack
from .errors import RubricError
from .resources import DEFAULT_ASSIGNMENT, student_template

EMBEDDED_DATA = Path(__file__).resolve().parent / "data" / "digits.npz"


def notebook_def(assignment: str) -> NotebookDef:
    """How the notebook of ``assignment`` is run (its pack's ``NOTEBOOK``)."""
    declared = pack(assignment).notebook
    if declared is None:
        raise RubricError(assignment, "assignment.kind", "this assignment grades no notebook")
    return declared


def course_files(assignment: str) -> Path:
    """The folder of course files laid out beside the notebook of ``assignment``."""
    return student_template(assignment) / notebook_def(assignment).course


def extraction(layout: NotebookDef) -> tuple[str, str]:
    """The source of the pack's extraction (only the text reaches the student's kernel) and
    the name of its function."""
    module, _, name = layout.extract.partition(":")
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise RubricError(module, "NOTEBOOK.extract", "no such module in the assignment pack")
    return Path(spec.origin).read_text(encoding="utf-8"), name


def lay_out(nb_root: Path, notebook: Path, module: Path | None, data_spec: str | None,
            assignment: str = DEFAULT_ASSIGNMENT) -> None:
    """Put the course's support files, the student's files and the data next to the notebook,
    as the pack of ``assignment`` declares them (its ``NOTEBOOK``).

    ``nb_root`` is the grader's own copy, before any student code ran: a file of
    the student's named like a folder the grader needs is moved out of the way.
    """
    layout, here = notebook_def(assignment), notebook.parent
    course = course_files(assignment)
    own = {here / rel for rel in layout.student_files}
    for source in course.rglob("*.py") if layout.course else ():
        target = here / layout.course / source.relative_to(course)
        if target in own:
            continue
        _folder(target.parent)
        make_way(target, keep_dirs=False)
        shutil.copyfile(source, target)
    for index, rel in enumerate(layout.student_files):
        target = here / rel
        _folder(target.parent)
        # the module found takes the first place, whatever its name; the others are beside it
        given = module if index == 0 or module is None else module.parent / target.name
        if given is not None and given.is_file() and given.resolve() != target.resolve():
            make_way(target, keep_dirs=False)
            shutil.copyfile(given, target)
    if layout.data:
        _lay_out_data(here / layout.data, data_spec)


def _lay_out_data(datasets: Path, data_spec: str | None) -> None:
    """The data set where the template notebook loads it: CIFAR-10 linked, else the
    embedded digits."""
    _folder(datasets.parent)
    make_way(datasets, keep_dirs=False)
    datasets.mkdir()
    if data_spec and data_spec.startswith("cifar10:"):
        source = Path(data_spec.split(":", 1)[1]).expanduser().resolve()
        batches = source if (source / "data_batch_1").exists() else source / "cifar-10-batches-py"
        (datasets / "cifar-10-batches-py").symlink_to(batches)
    else:
        shutil.copyfile(EMBEDDED_DATA, datasets / "digits.npz")


def make_way(path: Path, keep_dirs: bool) -> None:
    """Remove what is at ``path`` (in the grader's copy), unless it is a folder to keep."""
    if path.is_symlink() or path.is_file() or (path.exists() and not path.is_dir()):
        path.unlink()
    elif path.is_dir() and not keep_dirs:
        shutil.rmtree(path)


def _folder(path: Path) -> None:
    """``path`` as a real folder, every part of it a folder (not a file of the same name)."""
    for part in reversed((path, *path.parents)):
        if part.exists() or part.is_symlink():
            make_way(part, keep_dirs=True)
    path.mkdir(parents=True, exist_ok=True)
