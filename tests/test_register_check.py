"""A check added through the public extension point alone is validated, graded, stored and shown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest

import grader
from grader.checks.base import Evidence, ProbeData, Verdict, failed, passed
from grader.rubric import CheckSpec

from .conftest import EXAMPLES, write_rubric

CHECK = "labels_in_range"
TITLE = "Predicted labels are class indices"


def judge_labels_in_range(spec: CheckSpec, data: ProbeData, ev: Evidence) -> Verdict:
    """Reads the predict probe's output: every label is one of the case's classes."""
    bad = []
    for name, labels in data.arrays.items():
        classes = ev.plan.cases[name.split(".")[0]].params["b2"].shape[0]
        if np.any(labels < 0) or np.any(labels >= classes * spec.options["slack"]):
            bad.append(name)
    metrics: dict[str, Any] = {"cases": len(data.arrays)}
    return failed(f"Labels out of range in {bad}", metrics) if bad else passed(
        f"All {len(data.arrays)} label arrays hold class indices.", metrics)


@pytest.fixture
def throwaway() -> Iterator[None]:
    grader.register_check(grader.CheckDef(
        CHECK, judge_labels_in_range, probe="predict",
        options={"slack": grader.Option((int,), 1, low=1, high=3)}), assignment="two_layer_net")
    yield
    grader.unregister_check(CHECK, "two_layer_net")


def _rubric(tmp: Path, body: str = "") -> Path:
    return write_rubric(tmp, extra=f'\n[checks.{CHECK}]\ntitle = "{TITLE}"\npoints = 7\n{body}')


def test_options_are_validated_at_rubric_load(throwaway: None, tmp_path: Path) -> None:
    with pytest.raises(grader.RubricError) as caught:
        grader.load_rubric(_rubric(tmp_path, "slack = 9\n"))
    assert caught.value.key == f"checks.{CHECK}.slack" and "at most 3" in caught.value.reason
    rubric = grader.load_rubric(_rubric(tmp_path, "slack = 2\n"))
    assert rubric.check(CHECK).options["slack"] == 2
    assert rubric.checks[-1].id == CHECK  # last in the file, last in the rubric


def test_unregistered_check_is_unknown(tmp_path: Path) -> None:
    with pytest.raises(grader.RubricError, match="unknown check"):
        grader.load_rubric(_rubric(tmp_path))


def test_new_check_reaches_result_report_and_table(throwaway: None, tmp_path: Path) -> None:
    rubric = grader.load_rubric(_rubric(tmp_path))
    ids = ["predict", CHECK]
    out = tmp_path / "out"
    [result] = grader.grade([EXAMPLES / "alice_correct"], out, rubric=rubric, checks=ids, jobs=1)
    assert [c.id for c in result.checks] == ids  # the rubric's order
    assert result.score == result.max_score == sum(rubric.check(c).points for c in ids)
    stored = json.loads((out / result.submission / "result.json").read_text(encoding="utf-8"))
    mine = next(c for c in stored["checks"] if c["id"] == CHECK)
    assert mine["status"] == "pass" and mine["metrics"]["cases"] > 1
    assert TITLE in (out / result.submission / "report.html").read_text(encoding="utf-8")
    table = grader.format_table(result)
    assert any(line.strip().startswith("PASS") and CHECK in line for line in table.splitlines())
