"""The core reaches an assignment only through its pack: input cases, the reference's class
and the stand-in for student code come from the rubric and the pack's hooks."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from grader.checkdef import pack
from grader.errors import RubricError
from grader.needs import probe_of
from grader.plan import Plan, build_plan
from grader.reference import load_reference, stand_in_source
from grader.rubric import Rubric, load_rubric

from .conftest import REFERENCE, write_rubric

RENAMED = "CourseNet"


def _plan(rubric: Rubric) -> Plan:
    declared = pack(rubric.kind).checks
    ids = tuple(c.id for c in rubric.checks
                if probe_of(rubric, c.id) is not None and not declared[c.id].needs_data)
    return build_plan(rubric, load_reference(rubric), ids)


@pytest.fixture
def renamed(tmp_path: Path) -> Rubric:
    """The shipped rubric; the reference's class has another name, and the rubric says so."""
    source = REFERENCE.read_text(encoding="utf-8")
    source = source.replace("class TwoLayerNet", f"class {RENAMED}")
    reference = tmp_path / "course_net.py"
    reference.write_text(source, encoding="utf-8")
    path = write_rubric(tmp_path, replace={
        str(REFERENCE): str(reference), 'class_name = "TwoLayerNet"': f'class_name = "{RENAMED}"'})
    return load_rubric(path)


def test_the_rubrics_class_name_is_the_reference_class(renamed: Rubric, rubric: Rubric,
                                                        tmp_path: Path) -> None:
    ours, shipped = _plan(renamed).arrays(), _plan(rubric).arrays()
    assert ours.keys() == shipped.keys() and "toy.W1" in ours
    assert all(np.array_equal(ours[k], shipped[k]) for k in ours)
    other = tmp_path / "other_net.py"  # not loaded before: references are cached by path
    other.write_bytes(renamed.reference.read_bytes())
    with pytest.raises(RubricError, match="defines no TwoLayerNet"):
        load_reference(dataclasses.replace(renamed, class_name="TwoLayerNet", reference=other))


def test_the_stand_in_keeps_only_loss_and_predict(renamed: Rubric) -> None:
    source = stand_in_source(renamed)
    assert f"class {RENAMED}" in source
    assert "def loss(" in source and "def predict(" in source
    assert "def train(" not in source and "def __init__(" not in source


def test_a_pack_without_a_stand_in_hook_sends_no_reference(
        rubric: Rubric, monkeypatch: pytest.MonkeyPatch) -> None:
    declared = pack(rubric.kind)
    assert any(p.reference_stands_in for p in declared.probes.values())
    hooks = {k: v for k, v in declared.hooks.items() if k != "stand_in_source"}
    monkeypatch.setattr(declared, "hooks", hooks)
    with pytest.raises(RubricError, match="no stand_in_source hook"):
        stand_in_source(rubric)


def test_a_pack_without_cases_hands_the_child_no_arrays(
        rubric: Rubric, monkeypatch: pytest.MonkeyPatch) -> None:
    declared = pack(rubric.kind)
    monkeypatch.setattr(declared, "hooks", {k: v for k, v in declared.hooks.items()
                                            if k != "plan_cases"})
    monkeypatch.setattr(declared, "probes", {
        kind: dataclasses.replace(probe, build=lambda *args: {})
        for kind, probe in declared.probes.items()})
    plan = _plan(rubric)
    assert plan.probes and plan.cases == {} and plan.arrays() == {}
