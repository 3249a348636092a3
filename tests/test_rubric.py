"""The rubric is read into validated, frozen objects; mistakes name file, key and reason."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest

from grader.errors import RubricError
from grader.checkdef import pack
from grader.resources import pack_names, rubric_path
from grader.rubric import load_rubric

from .conftest import REFERENCE, RUBRIC_PATH, write_rubric


def test_shipped_rubric_has_every_declared_check_and_its_points() -> None:
    rubric = load_rubric()
    raw = tomllib.loads(RUBRIC_PATH.read_text(encoding="utf-8"))
    assert tuple(c.id for c in rubric.checks) == tuple(raw["checks"])  # the file's order
    assert set(pack(rubric.kind).checks) == set(raw["checks"])
    assert rubric.max_score == sum(c["points"] for c in raw["checks"].values())
    assert rubric.check("grad_W1").options["tolerance"] == 1e-8
    assert rubric.datasets["cifar10"].threshold == 0.48
    assert rubric.check("stability").visible is False
    assert rubric.reference.is_file()


def test_rubric_objects_are_frozen() -> None:
    rubric = load_rubric()
    with pytest.raises(dataclasses.FrozenInstanceError):
        rubric.seed = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        rubric.check("loss").options["tolerance"] = 1.0  # type: ignore[index]


@pytest.mark.parametrize(("replace", "extra", "key", "reason"), [
    ({"points = 10\ntolerance = 1e-7": 'points = "ten"\ntolerance = 1e-7'}, "",
     "checks.scores.points", "must be int or float"),
    ({}, "\n[checks.bogus]\npoints = 1\n", "checks.bogus", "unknown check"),
    ({"final_loss_below = 0.02": "final_loss_below = 0.02\nlearning_rat = 1"}, "",
     "checks.train.learning_rat", "unknown key"),
    ({'reg_convention = "reg"': 'reg_convention = "quarter"'}, "",
     "assignment.reg_convention", "must be 'reg' or 'half_reg'"),
    ({"wall_seconds = 10.0": "wall_seconds = -1"}, "", "limits.wall_seconds", "must be positive"),
    ({"threshold = 0.48\n": ""}, "", "data.cifar10.threshold", "is required"),
    ({"visible = false": "visible = 0"}, "", "checks.stability.visible", "must be bool"),
])
def test_bad_rubric_names_file_key_and_reason(tmp_path: Path, replace: dict[str, str],
                                              extra: str, key: str, reason: str) -> None:
    path = write_rubric(tmp_path, extra, replace)
    with pytest.raises(RubricError) as info:
        load_rubric(path)
    assert info.value.path == str(path)
    assert info.value.key == key
    assert reason in info.value.reason
    assert str(path) in str(info.value)


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[checks\n", encoding="utf-8")
    with pytest.raises(RubricError, match="not valid TOML"):
        load_rubric(bad)
    with pytest.raises(RubricError, match="file not found"):
        load_rubric(tmp_path / "missing.toml")


def test_missing_reference_file_is_reported(tmp_path: Path) -> None:
    path = write_rubric(tmp_path)
    path.write_text(path.read_text().replace(str(Path("reference") / "neural_net.py"),
                                             "reference/nowhere.py"), encoding="utf-8")
    with pytest.raises(RubricError) as info:
        load_rubric(path)
    assert info.value.key == "assignment.reference"


def test_rubric_by_assignment_name() -> None:
    by_name = load_rubric("two_layer_net")
    assert by_name.path == RUBRIC_PATH.resolve() == load_rubric().path
    assert by_name.reference == REFERENCE.resolve()
    with pytest.raises(RubricError, match="not a shipped assignment"):
        load_rubric("no_such_assignment")


def test_the_notebook_name_defaults_to_the_packs(tmp_path: Path) -> None:
    """A rubric that names no notebook looks for its pack's, and says which pack lays the
    notebook out; a name it gives wins."""
    rubric = load_rubric(RUBRIC_PATH)
    declared = pack(rubric.kind).notebook
    assert declared is not None
    name_line = f'name = "{rubric.notebook["name"]}"'
    unnamed = load_rubric(write_rubric(tmp_path, replace={name_line: ""}))
    assert "name" not in tomllib.loads(RUBRIC_PATH.read_text(encoding="utf-8").replace(
        name_line, ""))["notebook"]
    assert unnamed.notebook["name"] == declared.name
    assert unnamed.notebook["assignment"] == rubric.kind
    (tmp_path / "own").mkdir()
    renamed = load_rubric(write_rubric(tmp_path / "own", replace={name_line: 'name = "mine.ipynb"'}))
    assert renamed.notebook["name"] == "mine.ipynb"


@pytest.mark.parametrize("kind", pack_names())
def test_a_rubric_that_names_only_its_kind_takes_the_packs_module_and_class(
        tmp_path: Path, kind: str) -> None:
    """The student's module, the class and the name default to the selected pack's,
    whichever pack it is."""
    shipped = load_rubric(kind)
    head, rest = rubric_path(kind).read_text(encoding="utf-8").split("[limits]", 1)
    meta = tomllib.loads(head)["assignment"]
    head = "\n".join(line for line in head.splitlines()
                     if line.split("=")[0].strip() not in ("name", "module", "class_name", "kind"))
    text = head.replace(f'"{meta["reference"]}"', f'"{shipped.reference}"').replace(
        "[assignment]", f'[assignment]\nkind = "{kind}"') + "\n[limits]" + rest
    path = tmp_path / "rubric.toml"
    path.write_text(text, encoding="utf-8")
    assert not {"name", "module", "class_name"} & set(tomllib.loads(text)["assignment"])
    rubric = load_rubric(path)
    assert (rubric.kind, rubric.name, rubric.module, rubric.class_name) == (
        kind, kind, shipped.module, shipped.class_name)
