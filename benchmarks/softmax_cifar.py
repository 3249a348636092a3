"""Time and peak memory of the Softmax accuracy check on data of CIFAR-10's real size.

Usage::

    python benchmarks/softmax_cifar.py [--submissions correct missing_minus_one ...]
                                       [--data DIR] [--json]

No CIFAR-10 is downloaded: the script writes a synthetic one in the real
on-disk format (``cifar-10-batches-py``: five ``data_batch_*`` of 10000 rows
and ``test_batch``, Python 2 protocol-2 pickles of uint8 rows, as
``tests/fixtures/make_cifar10_tiny.py`` writes its miniature), whose images
are a faint class template under uniform noise (a linear classifier learns
it, to well below 100%). It then

1. loads it as the grader does (``cifar10:PATH``) and checks the softmax
   notebook's preprocessing: 49000 / 1000 / 1000 rows plus a 500-row dev
   subset of the training rows, the mean training image subtracted, a bias
   column of ones appended (D = 3073); the reference's naive and vectorized
   loss are timed on the dev rows, as the notebook does;
2. grades each submission (the reference, ``correct``, or the reference with
   one known mistake of ``grader/assignments/softmax/mistakes.py``) on the
   accuracy check alone, through the real sandbox, with the rubric's
   ``[data.cifar10]`` settings, one at a time in one session: wall time per
   submission, the probe's time, the verdict, and the peak resident memory
   of the parent (``ru_maxrss``, measured before steps 1 and 3 run in this
   process) and of the largest process below it (``VmHWM``, polled: a forked
   child's ``ru_maxrss`` starts at its parent's size);
3. for comparison, trains the reference in this process on the same rows
   with the same settings ("bare").

Nothing is written into the repository. Not run by the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

# As in the grader's child (grader/sandbox.py): one BLAS thread, so that the bare run
# below is comparable (this must be set before numpy is imported).
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.fixtures.make_cifar10_tiny import python2_pickle  # noqa: E402

ROWS_PER_FILE = 10000
SIGNAL = 0.03
"""Weight of the class template in each synthetic image (the rest is noise)."""
NUM_DEV = 500


def write_cifar(folder: Path, seed: int = 0) -> Path:
    """A synthetic CIFAR-10 of the real size in the real format, in ``folder``."""
    out = folder / "cifar-10-batches-py"
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    templates = rng.integers(0, 256, size=(10, 3072)).astype(np.float64)
    names = [*(f"data_batch_{i}" for i in range(1, 6)), "test_batch"]
    for number, name in enumerate(names, start=1):
        labels = rng.integers(0, 10, size=ROWS_PER_FILE)
        noise = rng.integers(0, 256, size=(ROWS_PER_FILE, 3072)).astype(np.float64)
        data = np.clip(SIGNAL * templates[labels] + (1 - SIGNAL) * noise, 0, 255).astype(np.uint8)
        batch = {"batch_label": f"synthetic batch {number}", "labels": [int(v) for v in labels],
                 "data": data, "filenames": [f"{name}_{k}.png" for k in range(ROWS_PER_FILE)]}
        (out / name).write_bytes(python2_pickle(batch))
    return out


def preprocessing(spec: str) -> dict[str, Any]:
    """The notebook's preprocessing on the grader's load of ``spec``, checked and timed."""
    from grader.assignments.softmax.modules import load_reference
    from grader.datasets import load_dataset

    started = time.monotonic()
    d = load_dataset(spec)
    seconds = time.monotonic() - started
    dev = np.random.RandomState(0).choice(d.X_train.shape[0], NUM_DEV, replace=False)
    bias = {k: np.hstack([X, np.ones((X.shape[0], 1))])
            for k, X in (("train", d.X_train), ("val", d.X_val), ("test", d.X_test),
                         ("dev", d.X_train[dev]))}
    rows = {k: v.shape[0] for k, v in bias.items()}
    assert rows == {"train": 49000, "val": 1000, "test": 1000, "dev": NUM_DEV}, rows
    assert {v.shape[1] for v in bias.values()} == {3073}
    assert abs(float(d.X_train.mean(axis=0).max())) < 1e-6  # the mean image is subtracted
    ref = load_reference().softmax
    W = 0.0001 * np.random.RandomState(1).randn(3073, 10)
    timed = {}
    for name in ("naive", "vectorized"):
        started = time.monotonic()
        loss, _ = getattr(ref, f"softmax_loss_{name}")(W, bias["dev"], d.y_train[dev], 0.0)
        timed[f"dev_loss_{name}_seconds"] = round(time.monotonic() - started, 3)
    return {"load_seconds": round(seconds, 2), "rows": rows, "D": 3073,
            "dev_loss": round(float(loss), 4), **timed}


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # kB on Linux


class ChildPeak:
    """The largest ``VmHWM`` of any process below this one, polled while it runs."""

    def __init__(self, interval: float = 0.1) -> None:
        self.peak_kb, self.interval = 0, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> ChildPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _poll(self) -> None:
        me = os.getpid()
        while not self._stop.wait(self.interval):
            parents = {}
            for entry in Path("/proc").iterdir():
                try:
                    stat = (entry / "stat").read_text()
                    parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
                except (ValueError, OSError, IndexError):
                    continue
            for pid in parents:
                up, seen = parents.get(pid), 0
                while up not in (None, me, 0, 1) and seen < 64:
                    up, seen = parents.get(up), seen + 1
                if up == me:
                    self.peak_kb = max(self.peak_kb, _hwm_kb(pid))


def _hwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def grade_each(spec: str, names: list[str], tmp: Path) -> list[dict[str, Any]]:
    """Each submission graded on the accuracy check alone, one at a time, one session."""
    from grader.assignments.softmax.mistakes import MISTAKES, apply_mistake
    from grader.assignments.softmax.modules import reference_sources
    from grader.pipeline import grade_submission
    from grader.rubric import load_rubric
    from grader.session import Session

    by_id = {m.id: m for m in MISTAKES}
    rows = []
    with Session(load_rubric("softmax"), data_spec=spec, check_ids=("accuracy",)) as session:
        started = time.monotonic()
        session.prepared()
        prepare = round(time.monotonic() - started, 2)
        for name in names:
            files = reference_sources() if name == "correct" else apply_mistake(
                reference_sources(), by_id[name])
            folder = tmp / "subs" / name / "cs231n" / "classifiers"
            folder.mkdir(parents=True, exist_ok=True)  # a name given twice: graded twice
            for file, source in files.items():
                (folder / file).write_text(source, encoding="utf-8")
            started = time.monotonic()
            with ChildPeak() as child:
                result = grade_submission(folder.parent.parent, session)
            check = result.check("accuracy")
            rows.append({
                "submission": name, "seconds": round(time.monotonic() - started, 2),
                "probe_seconds": result.timing.get("probe_softmax_accuracy"),
                "status": check.status, "accuracy": check.metrics.get("accuracy"),
                "mistake": check.mistake, "session_prepare_seconds": prepare,
                "parent_peak_mb": _peak_mb(),
                "child_peak_mb": round(child.peak_kb / 1024, 1)})
    return rows


def bare(spec: str) -> dict[str, Any]:
    """The reference trained in this process with the same settings and seed."""
    from grader.assignments.softmax.modules import load_reference
    from grader.datasets import load_dataset
    from grader.rubric import load_rubric

    rubric = load_rubric("softmax")
    s = rubric.datasets["cifar10"]
    d = load_dataset(spec)
    X_train = np.hstack([d.X_train, np.ones((d.X_train.shape[0], 1))])
    X_val = np.hstack([d.X_val, np.ones((d.X_val.shape[0], 1))])
    np.random.seed(rubric.seed)
    model = load_reference().linear_classifier.Softmax()
    started = time.monotonic()
    model.train(X_train, d.y_train, **{k: s.hyperparameters[k] for k in
                                       ("learning_rate", "reg", "num_iters", "batch_size")})
    accuracy = float(np.mean(model.predict(X_val) == d.y_val))
    return {"train_predict_seconds": round(time.monotonic() - started, 2),
            "accuracy": round(accuracy, 4), "threshold": s.threshold,
            "settings": {k: s.hyperparameters[k] for k in
                         ("learning_rate", "reg", "num_iters", "batch_size")}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", nargs="+", default=["correct", "missing_minus_one"])
    parser.add_argument("--data", type=Path, help="write (or reuse) the synthetic data here")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-softmax-cifar-") as tmp:
        data = args.data or Path(tmp) / "data"
        started = time.monotonic()
        if not (data / "cifar-10-batches-py" / "test_batch").is_file():
            write_cifar(data)
        spec = f"cifar10:{data}"
        numbers: dict[str, Any] = {"write_seconds": round(time.monotonic() - started, 1),
                                   "load_average_before": os.getloadavg()[0]}
        # grading first: the parent's peak is then the grader's alone
        numbers["grading"] = grade_each(spec, args.submissions, Path(tmp))
        numbers["preprocessing"] = preprocessing(spec)
        numbers["bare"] = bare(spec)
        numbers["load_average_after"] = os.getloadavg()[0]
    if args.json:
        print(json.dumps(numbers, indent=2))
        return 0
    pre = numbers["preprocessing"]
    print(f"synthetic CIFAR-10 written in {numbers['write_seconds']} s; loaded in "
          f"{pre['load_seconds']} s: {pre['rows']}, D = {pre['D']}")
    print(f"reference loss on the dev rows: naive {pre['dev_loss_naive_seconds']} s, "
          f"vectorized {pre['dev_loss_vectorized_seconds']} s")
    for row in numbers["grading"]:
        print(f"{row['submission']:<24} {row['seconds']:>7.2f} s (probe {row['probe_seconds']} s)"
              f"  {row['status']} accuracy {row['accuracy']}  mistake {row['mistake']}"
              f"  peak RSS parent {row['parent_peak_mb']} MB, child {row['child_peak_mb']} MB")
    b = numbers["bare"]
    print(f"bare reference train + predict: {b['train_predict_seconds']} s, accuracy "
          f"{b['accuracy']} (threshold {b['threshold']}, settings {b['settings']})")
    print(f"load average (1 min) before {numbers['load_average_before']:.1f}, after "
          f"{numbers['load_average_after']:.1f}, on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
