"""How much naming the mistake adds to grading a failing submission.

Usage::

    python benchmarks/bench_diagnosis.py [--rubric two_layer_net|softmax] [--reps 2] [--json]

Grades every generated fixture submission of the assignment (the reference
plus one known mistake, from ``tests/fixtures/make_submissions.py`` or
``tests/fixtures/make_softmax_submissions.py``) in one process, one at a
time, and reads the ``diagnosis`` stage of each result's timing: comparing
the failing checks' outputs with the library's mutants and finding the
student's line. A mutant's own outputs are computed the first time a failure
of its kind needs them and then cached for the process, so the first pass
over the fixtures ("cold": what one ``grader check`` pays) is reported apart
from later passes ("warm": every submission of a batch after the first few).
Target: warm at most 0.1 s per failing submission.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.fixtures.make_softmax_submissions import write_softmax_submissions  # noqa: E402
from tests.fixtures.make_submissions import write_submissions  # noqa: E402

TARGET = 0.1
"""Seconds added to grading one failing submission, warm."""
FIXTURES: dict[str, Callable[[Path], list[str]]] = {
    "two_layer_net": write_submissions, "softmax": write_softmax_submissions}
"""Per shipped assignment: what writes its fixture submissions."""


def measure(rubric: str, reps: int) -> dict[str, float | int | bool]:
    from grader.pipeline import grade_submission
    from grader.rubric import load_rubric
    from grader.session import Session

    with tempfile.TemporaryDirectory(prefix=f"bench-diagnosis-{rubric}-") as tmp:
        folder = Path(tmp)
        names = FIXTURES[rubric](folder)
        cold: list[float] = []
        warm: list[float] = []
        with Session(load_rubric(rubric)) as session:
            for rep in range(reps):
                for name in names:
                    result = grade_submission(folder / name, session)
                    if result.status != "graded" or result.passed:
                        continue
                    seconds = float(result.timing.get("diagnosis", 0.0))
                    (cold if rep == 0 else warm).append(seconds)
    return {"failing_submissions": len(cold), "cold_median_seconds": statistics.median(cold),
            "cold_max_seconds": max(cold), "cold_total_seconds": round(sum(cold), 3),
            "warm_median_seconds": statistics.median(warm) if warm else float("nan"),
            "warm_max_seconds": max(warm, default=float("nan")), "target_seconds": TARGET,
            "ok": bool(warm) and max(warm) <= TARGET}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rubric", choices=sorted(FIXTURES), default="two_layer_net",
                        help="the assignment whose fixtures are graded")
    parser.add_argument("--reps", type=int, default=2, help="passes over the fixtures")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    numbers = measure(args.rubric, args.reps)
    if args.json:
        print(json.dumps(numbers, indent=2))
    else:
        print(f"failing submissions per pass: {numbers['failing_submissions']}")
        print(f"diagnosis, first pass (computes the mutants): median "
              f"{numbers['cold_median_seconds']:.4f} s, max {numbers['cold_max_seconds']:.4f} s,"
              f" total {numbers['cold_total_seconds']:.2f} s")
        print(f"diagnosis, later passes: median {numbers['warm_median_seconds']:.4f} s, "
              f"max {numbers['warm_max_seconds']:.4f} s (target {TARGET} s): "
              f"{'OK' if numbers['ok'] else 'OVER'}")
    return 0 if numbers["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
