"""How much naming the mistake adds to grading a failing Softmax submission.

Usage::

    python benchmarks/softmax_diagnosis.py [--reps 2] [--json]

Grades every generated Softmax fixture (the reference plus one known mistake,
from ``tests/fixtures/make_softmax_submissions.py``) in one process, one at a
time, and reads the ``diagnosis`` stage of each result's timing: comparing the
failing checks' answers with the mutants' and finding the student's line. A
mutant's answers are computed the first time a failure needs them and then
cached for the process, so the first pass ("cold": what one ``grader check``
pays) is reported apart from later passes ("warm"). Target, as for the
two-layer net (benchmarks/bench_diagnosis.py): warm at most 0.1 s per failing
submission.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.fixtures.make_softmax_submissions import write_softmax_submissions  # noqa: E402

TARGET = 0.1
"""Seconds added to grading one failing submission, warm."""


def measure(reps: int) -> dict[str, float | int | bool]:
    from grader.pipeline import grade_submission
    from grader.rubric import load_rubric
    from grader.session import Session

    with tempfile.TemporaryDirectory(prefix="bench-softmax-diagnosis-") as tmp:
        folder = Path(tmp)
        names = write_softmax_submissions(folder)
        cold: list[float] = []
        warm: list[float] = []
        with Session(load_rubric("softmax")) as session:
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
    parser.add_argument("--reps", type=int, default=2, help="passes over the fixtures")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    numbers = measure(args.reps)
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
