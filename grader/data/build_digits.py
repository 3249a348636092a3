"""Build ``digits.npz``, the small data set embedded in the grader.

The source is the copy of the UCI "Optical Recognition of Handwritten Digits"
test set (1797 images of 8x8 pixels, values 0..16) that scikit-learn ships as
``sklearn/datasets/data/digits.csv.gz``. Each CSV row holds the 64 pixels in
row-major order followed by the label. The rows are shuffled once with
``np.random.RandomState(0).permutation`` and saved as

* ``X``: uint8, shape (1797, 64), values 0..16;
* ``y``: int64, shape (1797,), values 0..9.

The result is written to ``grader/data/digits.npz`` and copied, byte for byte,
over every assignment pack's student copy (``student_template/*/datasets/digits.npz``).

This script is run by hand, never imported by the package::

    python grader/data/build_digits.py [--source PATH/TO/digits.csv.gz]

Only the installed scikit-learn files are read; nothing is downloaded.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "digits.npz"
STUDENT_COPIES = "assignments/*/student_template/*/datasets/digits.npz"
"""Where the packs' starters ship the data set (relative to the package)."""
NUM_SAMPLES = 1797
NUM_PIXELS = 64
SHUFFLE_SEED = 0


def sklearn_digits_csv() -> Path:
    """Locate ``digits.csv.gz`` inside the installed scikit-learn, without importing it."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("scikit-learn is not installed; pass --source explicitly")
    package_dir = Path(next(iter(spec.submodule_search_locations)))
    return package_dir / "datasets" / "data" / "digits.csv.gz"


def read_digits(source: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read the CSV (gzip-compressed) and check its shape and value ranges."""
    table = np.loadtxt(source, delimiter=",", dtype=np.int64)
    if table.shape != (NUM_SAMPLES, NUM_PIXELS + 1):
        raise SystemExit(f"{source}: expected shape {(NUM_SAMPLES, NUM_PIXELS + 1)}, got {table.shape}")
    pixels, labels = table[:, :NUM_PIXELS], table[:, NUM_PIXELS]
    if pixels.min() < 0 or pixels.max() > 16:
        raise SystemExit(f"{source}: pixel values outside 0..16")
    if set(np.unique(labels).tolist()) != set(range(10)):
        raise SystemExit(f"{source}: labels are not exactly 0..9")
    return pixels.astype(np.uint8), labels.astype(np.int64)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=None, help="path to digits.csv.gz")
    args = parser.parse_args()
    source = args.source if args.source is not None else sklearn_digits_csv()

    X, y = read_digits(source)
    order = np.random.RandomState(SHUFFLE_SEED).permutation(NUM_SAMPLES)
    np.savez_compressed(OUTPUT, X=X[order], y=y[order])

    copies = sorted(HERE.parent.glob(STUDENT_COPIES))
    for copy in copies:
        shutil.copyfile(OUTPUT, copy)
    print(f"wrote {OUTPUT} and {', '.join(map(str, copies))} ({OUTPUT.stat().st_size} bytes each)")


if __name__ == "__main__":
    main()
