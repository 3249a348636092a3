#!/usr/bin/env python
"""How a large batch scales: dask against threads, the parent's memory, a resumed run.

    python benchmarks/bench_batch_scale.py [--submissions 1000] [--large 10000]
        [--large-distinct 1000] [--checks scores] [--json]

Measures, through the real command line, on tiny module submissions (copies of
the reference solution, each made different by a comment, so that none is
graded once for another):

1. ``grader grade --jobs 2`` and ``grader grade --scheduler local:2`` on the
   same ``--submissions``: wall time of each and their ratio (target <= 1.15).
2. The same ``--jobs 2`` command again on its complete output: a resumed run
   that finds everything up to date (target < 5 s).
3. The parent's peak resident memory (``VmHWM`` of the ``grader`` process
   itself, not its sandboxed children or dask workers) in each run, and in a
   batch of ``--large`` submissions (target <= 300 MB). In that batch only
   ``--large-distinct`` contents differ: the others are identical copies that
   are graded once and stored under their own id, which exercises every
   per-submission write of the batch without grading 10,000 times.

Nothing is written into the repository; everything lives in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.rubric import load_rubric  # noqa: E402

RATIO_TARGET = 1.15
RSS_TARGET_MB = 300
RESUME_TARGET = 5.0


def grader_command() -> list[str]:
    script = Path(sys.executable).parent / "grader"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "grader"]


def make_submissions(folder: Path, count: int, distinct: int) -> Path:
    """``count`` copies of the reference as ``.py`` files; ``distinct`` different contents."""
    folder.mkdir(parents=True)
    source = load_rubric().reference.read_text(encoding="utf-8")
    for i in range(count):
        text = source + f"\n# submission {i % distinct}\n"
        (folder / f"s{i:05d}.py").write_text(text, encoding="utf-8")
    return folder


def peak_rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def run(args: list[str]) -> dict[str, Any]:
    """Wall seconds and the parent's peak RSS (polled; VmHWM only grows) of one run."""
    started = time.monotonic()
    process = subprocess.Popen(grader_command() + args, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    peak = 0.0
    while process.poll() is None:
        peak = max(peak, peak_rss_mb(process.pid) or 0.0)
        time.sleep(0.05)
    seconds = time.monotonic() - started
    stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({process.returncode}):\n{stderr[-2000:]}")
    return {"seconds": round(seconds, 2), "peak_rss_mb": round(peak, 1)}


def grade_args(subs: Path, out: Path, checks: list[str], *extra: str) -> list[str]:
    return ["grade", str(subs), "--out", str(out), *[a for c in checks for a in ("--check", c)],
            *extra]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=1000)
    parser.add_argument("--large", type=int, default=10000)
    parser.add_argument("--large-distinct", type=int, default=1000)
    parser.add_argument("--checks", nargs="+", default=["scores"])
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    found: dict[str, Any] = {"machine": platform.node(), "cpus": len(os.sched_getaffinity(0)),
                             "submissions": options.submissions, "checks": options.checks}
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        base = Path(tmp)
        subs = make_submissions(base / "subs", options.submissions, options.submissions)
        found["jobs_2"] = run(grade_args(subs, base / "jobs", options.checks, "--jobs", "2"))
        found["local_2"] = run(grade_args(subs, base / "dask", options.checks,
                                          "--scheduler", "local:2"))
        found["resumed"] = run(grade_args(subs, base / "jobs", options.checks, "--jobs", "2"))
        found["ratio_dask_over_jobs"] = round(
            found["local_2"]["seconds"] / found["jobs_2"]["seconds"], 3)
        shutil.rmtree(base / "dask")
        if options.large:
            large = make_submissions(base / "large", options.large, options.large_distinct)
            found["large"] = {"submissions": options.large, "distinct": options.large_distinct,
                              **run(grade_args(large, base / "large-out", options.checks,
                                               "--jobs", "2"))}
    report(found, options.json)


def report(found: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(found, indent=2))
        return
    n = found["submissions"]
    print(f"{n} submissions, checks {' '.join(found['checks'])}, {found['cpus']} CPUs")
    for key, label in (("jobs_2", "--jobs 2"), ("local_2", "--scheduler local:2"),
                       ("resumed", "resumed (--jobs 2, all up to date)")):
        row = found[key]
        print(f"  {label:<38} {row['seconds']:>8.2f} s   parent peak RSS {row['peak_rss_mb']:.0f} MB")
    print(f"  ratio local:2 / jobs 2: {found['ratio_dask_over_jobs']:.3f} (target <= {RATIO_TARGET})")
    print(f"  resumed run: {found['resumed']['seconds']:.2f} s (target < {RESUME_TARGET} s)")
    if "large" in found:
        large = found["large"]
        print(f"  {large['submissions']} submissions ({large['distinct']} distinct), --jobs 2: "
              f"{large['seconds']:.1f} s, parent peak RSS {large['peak_rss_mb']:.0f} MB "
              f"(target <= {RSS_TARGET_MB} MB)")


if __name__ == "__main__":
    main()
