"""Data sets the grader trains submitted networks on.

Two sources are supported:

``digits`` (the default, always available)
    The UCI 8x8 hand-written digits embedded in the package as
    ``grader/data/digits.npz`` (see ``grader/data/README.md``). The stored,
    already shuffled order is split into 1297 training, 250 validation and 250
    test images.

``cifar10:PATH``
    CIFAR-10 in its standard ``cifar-10-batches-py`` pickle format, split
    exactly like the classic assignment (validation rows come right after the
    training rows of batches 1-5; the test rows are the first rows of
    ``test_batch``). PATH may be the ``cifar-10-batches-py`` folder itself or
    the folder that contains it.

Both are converted to float64 and centred by subtracting the mean training
image from every split; every row is one flattened image (HWC order for
CIFAR-10). Labels are int64.

CIFAR-10 batches are pickles, so they are read with :class:`RestrictedUnpickler`,
which can rebuild numpy arrays and nothing else.
"""

from __future__ import annotations

import importlib
import pickle
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from grader.errors import DataError
from grader.syntax import one_at_a_time

__all__ = [
    "CIFAR10_CLASS_NAMES",
    "DIGITS_PATH",
    "Dataset",
    "RestrictedUnpickler",
    "load_cifar10",
    "load_dataset",
    "load_embedded",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

DIGITS_PATH = Path(__file__).resolve().parent / "data" / "digits.npz"
"""The embedded digits: ``X`` uint8 (1797, 64) and ``y`` (1797,), already shuffled."""

DIGITS_SPLIT = (1297, 250, 250)
"""Training, validation and test sizes of the embedded digits, taken in stored order."""

DIGITS_IMAGE_SHAPE = (8, 8)
DIGITS_CLASS_NAMES = tuple(str(digit) for digit in range(10))

CIFAR10_FOLDER = "cifar-10-batches-py"
CIFAR10_TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))
CIFAR10_TEST_FILE = "test_batch"
CIFAR10_IMAGE_SHAPE = (32, 32, 3)
CIFAR10_ROW_SIZE = 32 * 32 * 3
CIFAR10_CLASS_NAMES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)

VALID_SPECS = ("embedded", "digits", "cifar10:PATH")


@dataclass(frozen=True)
class Dataset:
    """One data set, split and preprocessed."""

    name: str
    """``"digits"`` or ``"cifar10"``."""

    X_train: FloatArray
    """Training images, float64 (N_train, D), mean training image subtracted."""

    y_train: IntArray
    """Training labels, int64 (N_train,), values ``0 .. len(class_names) - 1``."""

    X_val: FloatArray
    """Validation images, float64 (N_val, D), centred with the *training* mean."""

    y_val: IntArray
    """Validation labels, int64 (N_val,)."""

    X_test: FloatArray
    """Test images, float64 (N_test, D), centred with the *training* mean."""

    y_test: IntArray
    """Test labels, int64 (N_test,)."""

    image_shape: tuple[int, ...]
    """Shape of one image before flattening: (8, 8) for digits, (32, 32, 3) (HWC) for CIFAR-10."""

    class_names: tuple[str, ...]
    """Human-readable name of each label, indexed by label."""


# --------------------------------------------------------------------------- #
# Restricted unpickling
# --------------------------------------------------------------------------- #


def _numpy_reconstruct() -> Callable[..., Any]:
    """numpy's array-rebuilding helper, from whichever module this numpy keeps it in.

    ``numpy._core`` is tried first: on numpy 2 the old ``numpy.core`` name
    still works but emits a DeprecationWarning on import.
    """
    for module_name in ("numpy._core.multiarray", "numpy.core.multiarray"):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        reconstruct: Callable[..., Any] = module._reconstruct
        return reconstruct
    raise DataError("cannot find numpy's _reconstruct helper to rebuild pickled arrays")


def _codecs_encode() -> Callable[..., Any]:
    """``_codecs.encode``, which protocol-2 pickles written by Python 3 use for bytes."""
    import _codecs

    encode: Callable[..., Any] = _codecs.encode
    return encode


_ALLOWED_GLOBALS: Mapping[tuple[str, str], Callable[[], Any]] = {
    ("numpy.core.multiarray", "_reconstruct"): _numpy_reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _numpy_reconstruct,
    ("numpy", "ndarray"): lambda: np.ndarray,
    ("numpy", "dtype"): lambda: np.dtype,
    ("_codecs", "encode"): _codecs_encode,
}
"""The only globals a pickle may name: what a plain numpy array needs, nothing else."""


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that rebuilds numpy arrays, builtin containers and scalars only.

    Any other global a pickle names (``os.system``, ``builtins.eval``, ...) is
    refused with :class:`~grader.errors.DataError` before it is imported, so a
    crafted file cannot run code when it is loaded.
    """

    def find_class(self, module: str, name: str) -> Any:
        factory = _ALLOWED_GLOBALS.get((module, name))
        if factory is None:
            raise DataError(f"refusing to unpickle {module}.{name}: only numpy arrays are allowed")
        return factory()


def _read_pickle(path: Path) -> object:
    """Unpickle ``path`` with :class:`RestrictedUnpickler` (Python 2 strings read as latin-1)."""
    try:
        with path.open("rb") as handle:
            return RestrictedUnpickler(handle, encoding="latin1").load()
    except FileNotFoundError:
        raise DataError(f"CIFAR-10 file not found: {path}") from None
    except DataError as exc:
        raise DataError(f"{path}: {exc}") from None
    except OSError as exc:
        raise DataError(f"cannot read CIFAR-10 file {path}: {exc}") from None
    except Exception as exc:  # a corrupt pickle can fail in many ways; report them all alike
        raise DataError(f"{path}: not a readable CIFAR-10 batch ({type(exc).__name__}: {exc})") from None


# --------------------------------------------------------------------------- #
# CIFAR-10
# --------------------------------------------------------------------------- #


def _batch_entry(batch: Mapping[Any, Any], key: str, path: Path) -> Any:
    """``batch[key]``, also accepting the bytes key that ``encoding="bytes"`` pickles have."""
    for candidate in (key, key.encode("ascii")):
        if candidate in batch:
            return batch[candidate]
    raise DataError(f"{path}: missing key {key!r} (keys found: {sorted(map(repr, batch))})")


def _load_cifar10_batch(path: Path) -> tuple[npt.NDArray[np.uint8], IntArray]:
    """Read one batch file: uint8 rows (N, 3072), channel-major, and int64 labels (N,)."""
    batch = _read_pickle(path)
    if not isinstance(batch, dict):
        raise DataError(f"{path}: expected a pickled dict, got {type(batch).__name__}")

    data = _batch_entry(batch, "data", path)
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8:
        raise DataError(f"{path}: key 'data' must be a uint8 array, got {_describe(data)}")
    if data.ndim != 2 or data.shape[1] != CIFAR10_ROW_SIZE:
        raise DataError(f"{path}: key 'data' must have shape (N, {CIFAR10_ROW_SIZE}), got {data.shape}")

    try:
        labels = np.asarray(_batch_entry(batch, "labels", path), dtype=np.int64)
    except (TypeError, ValueError, OverflowError) as exc:
        raise DataError(f"{path}: key 'labels' is not a list of integers ({exc})") from None
    if labels.shape != (data.shape[0],):
        raise DataError(f"{path}: key 'labels' has shape {labels.shape}, expected ({data.shape[0]},)")
    if labels.size and (labels.min() < 0 or labels.max() >= len(CIFAR10_CLASS_NAMES)):
        raise DataError(f"{path}: key 'labels' has values outside 0..{len(CIFAR10_CLASS_NAMES) - 1}")
    return data, labels


def _describe(value: object) -> str:
    """A short description of an unexpected value for an error message."""
    if isinstance(value, np.ndarray):
        return f"array of dtype {value.dtype}"
    return type(value).__name__


def _cifar10_folder(root: Path) -> Path:
    """``root`` itself, or its ``cifar-10-batches-py`` subfolder when it has one."""
    nested = root / CIFAR10_FOLDER
    if nested.is_dir():
        return nested
    if not root.is_dir():
        raise DataError(f"CIFAR-10 folder not found: {root}")
    return root


def _to_hwc_float(rows: npt.NDArray[np.uint8]) -> FloatArray:
    """Channel-major rows (N, 3072) -> float64 images (N, 32, 32, 3)."""
    images = rows.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return images.astype(np.float64, order="C")


def _check_count(name: str, value: int, minimum: int) -> None:
    """Reject split sizes that are not integers or are below ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise DataError(f"{name} must be an integer >= {minimum}, got {value!r}")


def load_cifar10(
    root: Path,
    num_training: int = 49000,
    num_validation: int = 1000,
    num_test: int = 1000,
) -> Dataset:
    """Load CIFAR-10 from ``root`` and split it like the classic assignment.

    Training rows are the first ``num_training`` rows of batches 1-5 (in order),
    validation rows the next ``num_validation``; test rows are the first
    ``num_test`` rows of ``test_batch``. Images are rebuilt in HWC order,
    converted to float64, centred with the mean training image and flattened
    to (N, 3072).

    Raises:
        DataError: a file is missing or malformed, or there are too few rows.
    """
    _check_count("num_training", num_training, 1)
    _check_count("num_validation", num_validation, 0)
    _check_count("num_test", num_test, 0)
    folder = _cifar10_folder(Path(root))

    train_parts = [_load_cifar10_batch(folder / name) for name in CIFAR10_TRAIN_FILES]
    train_rows = np.concatenate([rows for rows, _ in train_parts])
    train_labels = np.concatenate([labels for _, labels in train_parts])
    test_rows, test_labels = _load_cifar10_batch(folder / CIFAR10_TEST_FILE)

    needed = num_training + num_validation
    if needed > train_rows.shape[0]:
        raise DataError(
            f"{folder}: too few training rows: num_training + num_validation = {needed} "
            f"but data_batch_1..5 hold {train_rows.shape[0]}"
        )
    if num_test > test_rows.shape[0]:
        raise DataError(
            f"{folder}: too few test rows: num_test = {num_test} "
            f"but {CIFAR10_TEST_FILE} holds {test_rows.shape[0]}"
        )

    X_train = _to_hwc_float(train_rows[:num_training])
    X_val = _to_hwc_float(train_rows[num_training:needed])
    X_test = _to_hwc_float(test_rows[:num_test])
    X_train, X_val, X_test = _centre(X_train, X_val, X_test)
    return Dataset(
        name="cifar10",
        X_train=X_train,
        y_train=train_labels[:num_training].copy(),
        X_val=X_val,
        y_val=train_labels[num_training:needed].copy(),
        X_test=X_test,
        y_test=test_labels[:num_test].copy(),
        image_shape=CIFAR10_IMAGE_SHAPE,
        class_names=CIFAR10_CLASS_NAMES,
    )


# --------------------------------------------------------------------------- #
# Embedded digits
# --------------------------------------------------------------------------- #


def _centre(
    X_train: FloatArray, X_val: FloatArray, X_test: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Subtract the mean training image from every split (in place), then flatten to rows."""
    mean_image = np.mean(X_train, axis=0)
    row_size = int(np.prod(X_train.shape[1:]))

    def centred_rows(X: FloatArray) -> FloatArray:
        X -= mean_image
        return X.reshape(X.shape[0], row_size)

    return centred_rows(X_train), centred_rows(X_val), centred_rows(X_test)


def _read_digits(path: Path) -> tuple[npt.NDArray[np.uint8], IntArray]:
    """Read and check ``digits.npz``."""
    try:
        with one_at_a_time(), np.load(path, allow_pickle=False) as archive:
            X, y = archive["X"], archive["y"]
    except FileNotFoundError:
        raise DataError(f"embedded digits not found: {path} (is the grader installed completely?)") from None
    except KeyError as exc:
        raise DataError(f"{path}: missing array {exc}") from None
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: not a readable .npz file ({exc})") from None
    total = sum(DIGITS_SPLIT)
    if X.shape != (total, 64) or y.shape != (total,):
        raise DataError(f"{path}: expected X (1797, 64) and y (1797,), got X {X.shape} and y {y.shape}")
    return X, y.astype(np.int64)


def load_embedded() -> Dataset:
    """The embedded 8x8 digits: 1297 / 250 / 250 images in stored order, centred, float64."""
    X, y = _read_digits(DIGITS_PATH)
    num_train, num_val, _ = DIGITS_SPLIT
    end_val = num_train + num_val
    images = X.reshape(-1, *DIGITS_IMAGE_SHAPE).astype(np.float64)
    X_train, X_val, X_test = _centre(images[:num_train], images[num_train:end_val], images[end_val:])
    return Dataset(
        name="digits",
        X_train=X_train,
        y_train=y[:num_train],
        X_val=X_val,
        y_val=y[num_train:end_val],
        X_test=X_test,
        y_test=y[end_val:],
        image_shape=DIGITS_IMAGE_SHAPE,
        class_names=DIGITS_CLASS_NAMES,
    )


# --------------------------------------------------------------------------- #
# Selection by name
# --------------------------------------------------------------------------- #


def load_dataset(spec: str | None) -> Dataset:
    """Load the data set named by ``spec``.

    ``None``, ``"embedded"`` and ``"digits"`` give :func:`load_embedded`;
    ``"cifar10:PATH"`` gives :func:`load_cifar10` on PATH.

    Raises:
        DataError: ``spec`` is not one of those forms, or loading fails.
    """
    if spec is None or spec in ("embedded", "digits"):
        return load_embedded()
    prefix, separator, location = spec.partition(":")
    if prefix == "cifar10" and separator:
        if not location.strip():
            raise DataError("data set spec 'cifar10:' needs a path, e.g. 'cifar10:~/data/cifar-10-batches-py'")
        return load_cifar10(Path(location).expanduser())
    raise DataError(f"unknown data set spec {spec!r}; valid specs are: {', '.join(VALID_SPECS)}")
