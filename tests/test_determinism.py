"""Grading threads never share random state: parallel runs give identical verdicts."""

from __future__ import annotations

import json
from pathlib import Path


from grader.api import grade
from grader.results import SubmissionResult

from .conftest import REFERENCE, SUBMISSIONS

NAMES = ("relu_mask_missing", "lr_decay_every_iteration", "predict_omits_b2",
         "init_draws_W2_first", "minibatch_permutation")
"""Failures of the toy problem's values, of training and of init, and a valid variant."""


def _without_timing(results: list[SubmissionResult]) -> str:
    out = []
    for result in results:
        data = result.to_json()
        data.pop("timing")
        out.append(data)
    return json.dumps(out, sort_keys=True)


def test_jobs_4_gives_the_same_results_every_run(tmp_path: Path) -> None:
    entries = [REFERENCE] + [SUBMISSIONS / n for n in NAMES]
    runs = [_without_timing(grade(entries, tmp_path / f"run{k}", jobs=4)) for k in range(3)]
    assert len(json.loads(runs[0])) == len(entries)
    assert runs[0] == runs[1] == runs[2]


def test_the_last_hidden_case_lacks_a_class_whatever_the_seed() -> None:
    """So that code assuming every class is in the batch fails in the instructor and the
    student build alike (their cases come from different seeds)."""
    from grader.assignments.two_layer_net.plan import hidden_case

    for seed in range(50):
        case = hidden_case("hidden3", seed, lacks_a_class=True)
        classes = case.params["W2"].shape[1]
        assert len(set(case.y.tolist())) < classes, seed
