"""Time re-rendering every report and export of a class of 1,000 students.

Usage::

    python benchmarks/bench_reports.py [--students 1000] [--jobs N] [--source DIR] [--keep DIR]

The class is synthetic but made of real results: the example fixtures are
graded once (or ``--source`` names a folder graded before), and each
synthetic student is a copy of one of those ``result.json`` files with its
id changed, some checks flipped between pass and fail (with a real failure
message of that check), its loss and accuracy histories and grading time
perturbed, and its first-layer weights perturbed, so that no two students
draw the same charts. Then :func:`grader.report.render_all` is timed.
"""

from __future__ import annotations

import argparse
import atexit
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(tempfile.mkdtemp(prefix="bench-fixtures-"))
"""The fixture submissions, generated from the mistake library (reference + one mistake)."""
sys.path.insert(0, str(ROOT))
from tests.fixtures.make_submissions import write_submissions  # noqa: E402

write_submissions(FIXTURES)
atexit.register(shutil.rmtree, FIXTURES, True)


def grade_fixtures(out: Path) -> Path:
    from grader.api import grade

    started = time.perf_counter()
    grade(FIXTURES, out, jobs=2)
    print(f"graded the {len(list(out.glob('*/result.json')))} fixtures in "
          f"{time.perf_counter() - started:.1f} s")
    return out


def failure_messages(results: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Real failed checks, by check id, to flip passing checks into."""
    failed: dict[str, list[dict[str, Any]]] = {}
    for result in results:
        for check in result["checks"]:
            if check["status"] in ("fail", "error"):
                failed.setdefault(check["id"], []).append(check)
    return failed


def jitter(values: Any, rng: random.Random, scale: float, upper: float | None = None) -> Any:
    if not isinstance(values, list):
        return values
    out = []
    for v in values:
        if isinstance(v, (int, float)):
            v = v * (1 + rng.gauss(0, scale))
            v = min(max(v, 0.0), upper) if upper is not None else max(v, 0.0)
        out.append(v)
    return out


def vary(result: dict[str, Any], sid: str, rng: random.Random,
         failures: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    result = json.loads(json.dumps(result))
    result["submission"] = sid
    for i, check in enumerate(result["checks"]):
        if check["status"] == "pass" and check["id"] in failures and rng.random() < 0.12:
            donor = dict(rng.choice(failures[check["id"]]))
            donor.update(max_score=check["max_score"], visible=check["visible"], score=0.0)
            result["checks"][i] = check = donor
        elif check["status"] == "fail" and rng.random() < 0.3:
            check.update(status="pass", score=check["max_score"])
        metrics = check["metrics"]
        for key, upper in (("loss_history", None), ("train_acc_history", 1.0),
                           ("val_acc_history", 1.0)):
            metrics[key] = jitter(metrics.get(key), rng, 0.05, upper)
        if isinstance(metrics.get("toy"), dict):
            metrics["toy"]["loss_history"] = jitter(metrics["toy"].get("loss_history"), rng, 0.05)
        for case in metrics.get("cases", []) if isinstance(metrics.get("cases"), list) else []:
            if isinstance(case, dict) and isinstance(case.get("error"), float):
                case["error"] *= 1 + rng.random()
    result["score"] = sum(c["score"] for c in result["checks"])
    result["timing"]["total"] = round(rng.lognormvariate(0, 0.5), 3)
    return result


def synthesize(source: Path, out: Path, students: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    folders = sorted(p.parent for p in source.glob("*/result.json"))
    results = [json.loads((f / "result.json").read_text()) for f in folders]
    failures = failure_messages(results)
    noise = np.random.default_rng(seed)
    for n in range(students):
        k = rng.randrange(len(folders))
        sid = f"student{n:04d}"
        folder = out / sid
        folder.mkdir(parents=True)
        data = vary(results[k], sid, rng, failures)
        (folder / "result.json").write_text(json.dumps(data, sort_keys=True))
        npz = folders[k] / "first_layer.npz"
        if npz.exists():
            with np.load(npz, allow_pickle=False) as z:
                W1, shape = z["W1"], z["image_shape"]
            W1 = W1 + noise.normal(0, 0.05 * float(np.std(W1)) + 1e-12, W1.shape)
            np.savez_compressed(folder / "first_layer.npz", W1=W1, image_shape=shape)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=None, help="processes (default: one per CPU)")
    parser.add_argument("--source", type=Path, help="a graded folder to copy results from")
    parser.add_argument("--keep", type=Path, help="render into this folder and keep it")
    parser.add_argument("--student-view", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from grader.report import render_all

    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        source = args.source or grade_fixtures(Path(tmp) / "graded")
        out = args.keep or Path(tmp) / "class"
        if out.exists():
            shutil.rmtree(out)
        started = time.perf_counter()
        synthesize(source, out, args.students)
        print(f"wrote {args.students} synthetic results in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        render_all(out, student_view=args.student_view, jobs=args.jobs)
        seconds = time.perf_counter() - started
        size = sum(p.stat().st_size for p in out.glob("*/report.html")) / 2**20
        print(f"render_all: {seconds:.1f} s for {args.students} students "
              f"({1000 * seconds / args.students:.1f} ms each; reports {size:.0f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
