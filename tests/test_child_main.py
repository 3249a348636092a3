"""The sandboxed child imports a student's lone file under that file's own name."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

import pytest

from grader.child import main


@pytest.fixture
def clean_modules() -> Iterator[None]:
    before = set(sys.modules)
    path = list(sys.path)
    yield
    for name in set(sys.modules) - before:
        del sys.modules[name]
    sys.path[:] = path


@pytest.mark.usefixtures("clean_modules")
@pytest.mark.parametrize(("file", "module"), [
    ("two_layer.py", "two_layer"), ("softmax_loss.py", "softmax_loss"),
    # names that would shadow a module the child or its libraries import
    ("numpy.py", main.STUDENT_MODULE), ("json.py", main.STUDENT_MODULE),
    ("my-net.py", main.STUDENT_MODULE),
])
def test_a_lone_file_is_imported_under_its_own_name(tmp_path: Path, file: str,
                                                     module: str) -> None:
    (tmp_path / file).write_text("class Net:\n    pass\n", encoding="utf-8")
    loaded = main._load_student(str(tmp_path / file), str(tmp_path))
    assert loaded.__name__ == module
    assert loaded.Net.__module__ == module
    assert sys.modules[module] is loaded
    assert sys.modules["json"].__name__ == "json"


def test_the_child_names_no_students_module() -> None:
    """No module name of an assignment is wired into the child."""
    source = Path(main.__file__).read_text(encoding="utf-8")
    assert "neural_net" not in source
