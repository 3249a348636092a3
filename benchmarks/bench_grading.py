#!/usr/bin/env python
"""How fast the grader is, measured through its real command line.

    python benchmarks/bench_grading.py [--quick] [--json] [--save PATH]

Measures (see benchmarks/README.md):

1. ``grader check grader/assignments/two_layer_net/reference/neural_net.py``: wall time of the whole CLI run,
   after a warm-up; also with ``--isolation none`` (the bubblewrap cost) and
   the floor of any Python tool (``python -c pass``, ``python -c "import numpy"``).
2. ``grader grade`` on a folder of module submissions (copies of the reference
   and of buggy fixtures, cycling), with ``--jobs 1`` and ``--jobs 2``, against
   ``benchmarks/bare_grading.py`` doing the same computations without the
   harness, both with one fresh Python per submission and in long-lived
   processes. The ratio grader / bare is the harness's cost.

Nothing is written into the repository unless ``--save PATH`` is given; the
submissions and the grader's output live in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import atexit
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BARE = Path(__file__).resolve().parent / "bare_grading.py"
REFERENCE = ROOT / "grader" / "assignments" / "two_layer_net" / "reference" / "neural_net.py"
FIXTURES = Path(tempfile.mkdtemp(prefix="bench-fixtures-"))
"""The fixture submissions, generated from the mistake library (reference + one mistake)."""
sys.path.insert(0, str(ROOT))
from tests.fixtures.make_submissions import write_submissions  # noqa: E402

write_submissions(FIXTURES)
atexit.register(shutil.rmtree, FIXTURES, True)

CHECK_TARGET = 0.5
"""Seconds of wall time for ``grader check`` on one module."""
RATIO_TARGET = 1.2
"""Grader wall time over bare wall time, for a batch."""

MODULES = ("reference", "loss_summed_not_averaged", "relu_mask_missing",
           "lr_decay_every_iteration", "predict_returns_scalar")
"""The modules a batch cycles through: the reference and four kinds of bugs."""
SPARE_MODULES = ("half_reg_convention", "softmax_no_max_shift", "init_offsets_biases",
                 "bias_reg_in_loss", "forward_missing_b1")
"""Used in place of any of the above that is missing or cannot be imported."""
MODULE_CHECKS = ("init", "scores", "loss", "grad_W1", "grad_b1", "grad_W2", "grad_b2",
                 "stability", "train", "predict", "accuracy")


def grader_command() -> list[str]:
    """The installed console script next to this Python, else ``python -m grader``."""
    script = Path(sys.executable).parent / "grader"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "grader"]


def run(cmd: list[str], ok: tuple[int, ...] = (0,), **kwargs: Any) -> tuple[float, str]:
    """Run ``cmd``; its wall time and standard output. Fails loudly on another exit code."""
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, **kwargs)
    seconds = time.perf_counter() - started
    if proc.returncode not in ok:
        raise SystemExit(f"benchmark: {' '.join(cmd)} exited with {proc.returncode}\n"
                         f"{proc.stderr[-3000:]}")
    return seconds, proc.stdout


def timed(cmd: list[str], reps: int, warmup: int = 1, ok: tuple[int, ...] = (0,)) -> dict[str, Any]:
    for _ in range(warmup):
        run(cmd, ok)
    times = [run(cmd, ok)[0] for _ in range(reps)]
    return summary(times)


def summary(times: list[float]) -> dict[str, Any]:
    return {"min": min(times), "median": statistics.median(times), "runs": len(times),
            "all": [round(t, 4) for t in times]}


# --------------------------------------------------------------------------- #
# 1. grader check
# --------------------------------------------------------------------------- #

def bench_check(reps: int) -> dict[str, Any]:
    grader = grader_command()
    target = ["check", str(REFERENCE.relative_to(ROOT))]
    out: dict[str, Any] = {"command": " ".join(Path(grader[0]).name if i == 0 else a
                                              for i, a in enumerate(grader + target))}
    out["auto"] = timed(grader + target, reps, ok=(0, 1))
    out["none"] = timed(grader + target + ["--isolation", "none"], reps, ok=(0, 1))
    out["python_pass"] = timed([sys.executable, "-c", "pass"], reps)
    out["python_numpy"] = timed([sys.executable, "-c", "import numpy"], reps)
    out["grader_help"] = timed(grader + ["--help"], reps)
    _, text = run(grader + target + ["--json"], ok=(0, 1))
    result = json.loads(text)
    out["result_timing"] = result.get("timing", {})
    out["score"] = [result.get("score"), result.get("max_score")]
    return out


# --------------------------------------------------------------------------- #
# 2. grader grade against the bare computations
# --------------------------------------------------------------------------- #

def module_path(name: str) -> Path:
    return REFERENCE if name == "reference" else \
        FIXTURES / name / "neural_net.py"


def importable(path: Path) -> bool:
    """The module imports and defines TwoLayerNet, within 20 s (no timeouts in the batch)."""
    code = ("import importlib.util, sys; s = importlib.util.spec_from_file_location('m', sys.argv[1]); "
            "m = importlib.util.module_from_spec(s); s.loader.exec_module(m); m.TwoLayerNet")
    try:
        proc = subprocess.run([sys.executable, "-B", "-c", code, str(path)], capture_output=True,
                              timeout=20)
    except subprocess.TimeoutExpired:
        return False
    return proc.returncode == 0


def choose_modules() -> tuple[list[str], list[str]]:
    chosen: list[str] = []
    excluded: list[str] = []
    for name in MODULES + SPARE_MODULES:
        if len(chosen) == len(MODULES):
            break
        path = module_path(name)
        if path.is_file() and importable(path):
            chosen.append(name)
        elif name in MODULES:
            excluded.append(name)
    return chosen, excluded


def build_batch(folder: Path, modules: list[str], count: int) -> None:
    folder.mkdir(parents=True)
    for i in range(count):
        name = modules[i % len(modules)]
        shutil.copyfile(module_path(name), folder / f"s{i:03d}_{name}.py")


def grader_batch(folder: Path, out: Path, jobs: int) -> tuple[float, dict[str, Any]]:
    shutil.rmtree(out, ignore_errors=True)
    seconds, _ = run(grader_command() + ["grade", str(folder), "--out", str(out),
                                         "--jobs", str(jobs)])
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    return seconds, {r["submission"]: r for r in results}


def bare_batch(folder: Path, jobs: int, mode: str) -> tuple[float, dict[str, Any]]:
    seconds, text = run([sys.executable, str(BARE), str(folder), "--jobs", str(jobs),
                         "--mode", mode, "--json"])
    return seconds, {r["id"]: r for r in json.loads(text)["results"]}


def agreement(graded: dict[str, Any], bare: dict[str, Any]) -> dict[str, Any]:
    """Do the grader and the bare computations pass the same module checks?"""
    same, differ = 0, []
    for sub, result in graded.items():
        passed = {c["id"]: c["status"] == "pass" for c in result["checks"]
                  if c["id"] in MODULE_CHECKS}
        other = bare.get(sub, {}).get("checks", {})
        if passed == {k: other.get(k) for k in passed}:
            same += 1
        else:
            differ.append(sub)
    return {"same": same, "total": len(graded), "differ": differ[:5]}


def probe_means(graded: dict[str, Any]) -> dict[str, float]:
    """Mean seconds per submission of each stage the grader timed."""
    keys = sorted({k for r in graded.values() for k in r.get("timing", {})})
    return {k: round(statistics.mean(r["timing"].get(k, 0.0) for r in graded.values()), 4)
            for k in keys}


def bench_batch(count: int, reps: int, job_counts: tuple[int, ...]) -> dict[str, Any]:
    modules, excluded = choose_modules()
    out: dict[str, Any] = {"submissions": count, "modules": modules, "excluded": excluded,
                           "jobs": {}}
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        folder = Path(tmp) / "submissions"
        build_batch(folder, modules, count)
        bare_batch(folder, 1, "subprocess")  # warm-up: file cache, .pyc files
        for jobs in job_counts:
            times: dict[str, list[float]] = {"grader": [], "bare_subprocess": [],
                                             "bare_inprocess": []}
            loads: list[float] = []
            speed: dict[str, list[float]] = {k: [] for k in times}
            for _ in range(reps):
                loads.append(round(os.getloadavg()[0], 2))
                speed["grader"].append(calibrate(3))
                seconds, graded = grader_batch(folder, Path(tmp) / "out", jobs)
                times["grader"].append(seconds)
                speed["bare_subprocess"].append(calibrate(3))
                seconds, bare = bare_batch(folder, jobs, "subprocess")
                times["bare_subprocess"].append(seconds)
                speed["bare_inprocess"].append(calibrate(3))
                seconds, _ = bare_batch(folder, jobs, "inprocess")
                times["bare_inprocess"].append(seconds)
            entry: dict[str, Any] = {k: summary(v) for k, v in times.items()}
            entry["load_average_at_start"] = loads
            entry["calibration_ms_before"] = speed
            g = entry["grader"]["min"]
            entry["ratio_subprocess"] = g / entry["bare_subprocess"]["min"]
            entry["ratio_inprocess"] = g / entry["bare_inprocess"]["min"]
            entry["ratio_subprocess_paired"] = statistics.median(
                a / b for a, b in zip(times["grader"], times["bare_subprocess"]))
            entry["statuses"] = sorted({r["status"] for r in graded.values()})
            entry["agreement"] = agreement(graded, bare)
            entry["grader_timing_means"] = probe_means(graded)
            entry["bare_seconds_means"] = {
                k: round(statistics.mean(r["seconds"].get(k, 0.0) for r in bare.values()), 4)
                for k in sorted({k for r in bare.values() for k in r.get("seconds", {})})}
            out["jobs"][str(jobs)] = entry
    return out


# --------------------------------------------------------------------------- #
# Report
# --------------------------------------------------------------------------- #

def calibrate(rounds: int = 5) -> float:
    """Milliseconds for a fixed pure-Python loop (fastest of ``rounds``).

    The speed of a shared virtual machine can change by 2x within minutes; this
    says how fast the machine was around the measurements, to compare runs.
    """
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        total = 0
        for i in range(1_000_000):
            total += i
        best = min(best, time.perf_counter() - started)
    return round(1000 * best, 1)


def git_state() -> str | None:
    """The commit measured, with ``+dirty`` when grader/ has uncommitted changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, cwd=ROOT, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "grader"], capture_output=True, text=True, cwd=ROOT,
                               check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+dirty" if dirty else "")


def environment() -> dict[str, Any]:
    return {"date": time.strftime("%Y-%m-%d"), "commit": git_state(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(), "platform": platform.platform(),
            "bwrap": shutil.which("bwrap") is not None, "load_average": os.getloadavg()}


def table(report: dict[str, Any]) -> str:
    env = report["environment"]
    lines = [f"grader benchmark: {env['date']}, commit {env['commit']}, Python {env['python']}, "
             f"{env['cpus']} CPUs, "
             f"bwrap {'yes' if env['bwrap'] else 'no'}, load average "
             f"{env['load_average'][0]:.2f} -> {report['load_average_after'][0]:.2f}",
             "machine speed, ms for a fixed Python loop (lower is faster): " + ", ".join(
                 f"{k} {v:g}" for k, v in report["calibration_ms"].items()), ""]
    row = "{:<52} {:>8} {:>8} {:>5}  {}"
    lines.append(row.format("measurement (wall seconds)", "min", "median", "runs", "target"))
    check = report.get("check")
    if check:
        for key, label, target in (
                ("auto", "grader check grader/assignments/two_layer_net/reference/neural_net.py", f"< {CHECK_TARGET:g} s"),
                ("none", "  the same, --isolation none", ""),
                ("grader_help", "  grader --help (parent start-up)", ""),
                ("python_numpy", "  python -c 'import numpy'", ""),
                ("python_pass", "  python -c pass", "")):
            s = check[key]
            lines.append(row.format(label, f"{s['min']:.3f}", f"{s['median']:.3f}",
                                    s["runs"], target))
        timing = ", ".join(f"{k.removeprefix('probe_')} {v:.3f}"
                           for k, v in check["result_timing"].items())
        lines.append(f"  grader's own timing of one check run: {timing}")
    batch = report.get("batch")
    if batch:
        n = batch["submissions"]
        lines.append("")
        lines.append(f"batch: {n} module submissions cycling through {', '.join(batch['modules'])}"
                     + (f" (excluded: {', '.join(batch['excluded'])})" if batch["excluded"] else ""))
        for jobs, e in batch["jobs"].items():
            for key, label in (("grader", f"grader grade --jobs {jobs}"),
                               ("bare_subprocess", f"  bare, fresh process each, {jobs} at a time"),
                               ("bare_inprocess", f"  bare, in-process, {jobs} worker(s)")):
                s = e[key]
                lines.append(row.format(label, f"{s['min']:.2f}", f"{s['median']:.2f}",
                                        s["runs"], ""))
            lines.append(row.format("  ratio grader / bare (fresh process)",
                                    f"{e['ratio_subprocess']:.2f}", "", "",
                                    f"<= {RATIO_TARGET:g}"))
            lines.append(row.format("  ratio grader / bare (in-process)",
                                    f"{e['ratio_inprocess']:.2f}", "", "", ""))
            a = e["agreement"]
            lines.append(f"  same module-check verdicts: {a['same']}/{a['total']}"
                         + (f" (differ: {', '.join(a['differ'])})" if a["differ"] else "")
                         + f"; grader statuses: {', '.join(e['statuses'])}")
            per = ", ".join(f"{k.removeprefix('probe_')} {v:.3f}"
                            for k, v in e["grader_timing_means"].items())
            lines.append(f"  grader, mean per submission: {per}")
            per = ", ".join(f"{k} {v:.3f}" for k, v in e["bare_seconds_means"].items())
            lines.append(f"  bare (fresh process), mean per submission: {per}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 2 repetitions of check, 10 submissions")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--save", metavar="PATH", help="also write the JSON results to PATH")
    parser.add_argument("--reps", type=int, help="repetitions of check (default 5; quick 2)")
    parser.add_argument("--submissions", type=int, help="batch size (default 50; quick 10)")
    parser.add_argument("--batch-reps", type=int,
                        help="repetitions of each batch run, the fastest counts (default 2; quick 1)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2],
                        help="--jobs values of the batch runs (default: 1 2)")
    parser.add_argument("--only", choices=("check", "batch"), help="run one part only")
    args = parser.parse_args(argv)
    reps = args.reps or (2 if args.quick else 5)
    count = args.submissions or (10 if args.quick else 50)

    report: dict[str, Any] = {"environment": environment(), "quick": args.quick,
                              "calibration_ms": {"start": calibrate()}}
    if args.only in (None, "check"):
        report["check"] = bench_check(reps)
        report["calibration_ms"]["after_check"] = calibrate()
    if args.only in (None, "batch"):
        batch_reps = args.batch_reps or (1 if args.quick else 2)
        report["batch"] = bench_batch(count, max(1, batch_reps), tuple(args.jobs))
    report["calibration_ms"]["end"] = calibrate()
    report["load_average_after"] = os.getloadavg()
    text = json.dumps(report, indent=2)
    if args.save:
        Path(args.save).write_text(text + "\n", encoding="utf-8")
    print(text if args.json else table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
