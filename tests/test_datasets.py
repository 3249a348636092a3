"""Tests of grader.datasets: the embedded digits, the CIFAR-10 loader and spec parsing."""

from __future__ import annotations

import dataclasses
import importlib.util
import io
import os
import pickle
import shutil
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from grader import datasets
from grader.datasets import Dataset, RestrictedUnpickler, load_cifar10, load_dataset, load_embedded
from grader.errors import DataError

from .conftest import TEMPLATE

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
TINY_PARENT = FIXTURES / "cifar10_tiny"
TINY = TINY_PARENT / "cifar-10-batches-py"
STUDENT_DIGITS = TEMPLATE / "cs231n" / "datasets" / "digits.npz"

# The fixture holds 5 x 12 training rows and 12 test rows.
TINY_SPLIT = {"num_training": 50, "num_validation": 10, "num_test": 12}


@pytest.fixture(scope="module")
def tiny_generator() -> ModuleType:
    """tests/fixtures/make_cifar10_tiny.py, imported by path."""
    spec = importlib.util.spec_from_file_location("make_cifar10_tiny", FIXTURES / "make_cifar10_tiny.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tiny() -> Dataset:
    return load_cifar10(TINY_PARENT, **TINY_SPLIT)


@pytest.fixture()
def tiny_copy(tmp_path: Path) -> Path:
    """A writable copy of the fixture's cifar-10-batches-py folder."""
    target = tmp_path / "cifar-10-batches-py"
    shutil.copytree(TINY, target)
    return target


def raw_hwc(chw_rows: np.ndarray) -> np.ndarray:
    """Channel-major uint8 rows -> float64 (N, 32, 32, 3), written independently of the loader."""
    out = np.empty((chw_rows.shape[0], 32, 32, 3))
    for channel in range(3):
        out[..., channel] = chw_rows[:, channel * 1024 : (channel + 1) * 1024].reshape(-1, 32, 32)
    return out


# --------------------------------------------------------------------------- #
# Embedded digits
# --------------------------------------------------------------------------- #


def test_digits_npz_format() -> None:
    with np.load(datasets.DIGITS_PATH, allow_pickle=False) as archive:
        assert sorted(archive.files) == ["X", "y"]
        X, y = archive["X"], archive["y"]
    assert X.shape == (1797, 64) and X.dtype == np.uint8
    assert y.shape == (1797,) and y.dtype in (np.uint8, np.int64)
    assert X.min() == 0 and X.max() == 16
    assert set(np.unique(y).tolist()) == set(range(10))
    # Shuffled: the source CSV starts 0, 1, 2, ..., 9, 0, 1, ...
    assert not np.array_equal(y[:10], np.arange(10))


def test_student_copy_of_digits_is_identical() -> None:
    assert STUDENT_DIGITS.read_bytes() == datasets.DIGITS_PATH.read_bytes()


def test_embedded_shapes_and_dtypes() -> None:
    data = load_embedded()
    assert data.name == "digits"
    assert data.X_train.shape == (1297, 64) and data.y_train.shape == (1297,)
    assert data.X_val.shape == (250, 64) and data.y_val.shape == (250,)
    assert data.X_test.shape == (250, 64) and data.y_test.shape == (250,)
    for X in (data.X_train, data.X_val, data.X_test):
        assert X.dtype == np.float64
    for y in (data.y_train, data.y_val, data.y_test):
        assert y.dtype == np.int64
        assert set(np.unique(y).tolist()) == set(range(10))
    assert data.image_shape == (8, 8)
    assert data.class_names == tuple("0123456789")


def test_embedded_split_order_and_centring() -> None:
    with np.load(datasets.DIGITS_PATH, allow_pickle=False) as archive:
        X, y = archive["X"].astype(np.float64), archive["y"]
    mean = X[:1297].mean(axis=0)
    data = load_embedded()
    np.testing.assert_allclose(data.X_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(data.X_train, X[:1297] - mean, rtol=0, atol=1e-12)
    np.testing.assert_allclose(data.X_val, X[1297:1547] - mean, rtol=0, atol=1e-12)
    np.testing.assert_allclose(data.X_test, X[1547:] - mean, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(data.y_train, y[:1297])
    np.testing.assert_array_equal(data.y_val, y[1297:1547])
    np.testing.assert_array_equal(data.y_test, y[1547:])
    # Validation and test are centred with the training mean, not their own.
    assert np.abs(data.X_val.mean(axis=0)).max() > 1e-3


def test_embedded_is_fast() -> None:
    load_embedded()  # warm the imports
    best = min(_seconds(load_embedded) for _ in range(5))
    assert best < 0.020


def _seconds(function: Any) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def test_embedded_missing_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(datasets, "DIGITS_PATH", tmp_path / "nowhere.npz")
    with pytest.raises(DataError, match="nowhere.npz"):
        load_embedded()


def test_embedded_wrong_shape(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "digits.npz"
    np.savez_compressed(path, X=np.zeros((10, 64), np.uint8), y=np.zeros(10, np.int64))
    monkeypatch.setattr(datasets, "DIGITS_PATH", path)
    with pytest.raises(DataError, match="expected X"):
        load_embedded()


def test_dataset_is_frozen() -> None:
    data = load_embedded()
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.name = "other"  # type: ignore[misc]


# --------------------------------------------------------------------------- #
# CIFAR-10 (tiny fixture)
# --------------------------------------------------------------------------- #


def test_fixture_files_match_generator(tiny_generator: ModuleType) -> None:
    for name, batch in tiny_generator.build_batches().items():
        assert (TINY / name).read_bytes() == tiny_generator.python2_pickle(batch), name


def test_fixture_is_a_python2_style_pickle() -> None:
    raw = (TINY / "data_batch_1").read_bytes()
    assert raw.startswith(b"\x80\x02}")  # protocol 2, a dict
    assert b"cnumpy.core.multiarray\n_reconstruct\n" in raw
    with pytest.raises(UnicodeDecodeError):  # Python 2 strings need encoding="latin1"
        RestrictedUnpickler(io.BytesIO(raw)).load()


def test_cifar_shapes_and_dtypes(tiny: Dataset) -> None:
    assert tiny.name == "cifar10"
    assert tiny.X_train.shape == (50, 3072) and tiny.y_train.shape == (50,)
    assert tiny.X_val.shape == (10, 3072) and tiny.y_val.shape == (10,)
    assert tiny.X_test.shape == (12, 3072) and tiny.y_test.shape == (12,)
    assert {X.dtype for X in (tiny.X_train, tiny.X_val, tiny.X_test)} == {np.dtype(np.float64)}
    assert {y.dtype for y in (tiny.y_train, tiny.y_val, tiny.y_test)} == {np.dtype(np.int64)}
    assert tiny.image_shape == (32, 32, 3)
    assert len(tiny.class_names) == 10
    assert tiny.class_names[0] == "airplane" and tiny.class_names[9] == "truck"


def test_cifar_split_and_centring(tiny: Dataset, tiny_generator: ModuleType) -> None:
    batches = tiny_generator.build_batches()
    train_names = [f"data_batch_{i}" for i in range(1, 6)]
    rows = np.concatenate([batches[name]["data"] for name in train_names])
    labels = np.concatenate([batches[name]["labels"] for name in train_names])
    test = batches["test_batch"]

    X_train, X_val = raw_hwc(rows[:50]), raw_hwc(rows[50:60])
    X_test = raw_hwc(test["data"][:12])
    mean = X_train.mean(axis=0)

    np.testing.assert_array_equal(tiny.y_train, labels[:50])
    np.testing.assert_array_equal(tiny.y_val, labels[50:60])
    np.testing.assert_array_equal(tiny.y_test, test["labels"][:12])
    np.testing.assert_allclose(tiny.X_train, (X_train - mean).reshape(50, -1), rtol=0, atol=1e-9)
    np.testing.assert_allclose(tiny.X_val, (X_val - mean).reshape(10, -1), rtol=0, atol=1e-9)
    np.testing.assert_allclose(tiny.X_test, (X_test - mean).reshape(12, -1), rtol=0, atol=1e-9)
    np.testing.assert_allclose(tiny.X_train.mean(axis=0), 0.0, atol=1e-9)


def test_cifar_smaller_split_takes_leading_rows(tiny: Dataset) -> None:
    small = load_cifar10(TINY, num_training=20, num_validation=5, num_test=3)
    assert small.X_train.shape == (20, 3072)
    np.testing.assert_array_equal(small.y_train, tiny.y_train[:20])
    np.testing.assert_array_equal(small.y_val, tiny.y_train[20:25])
    np.testing.assert_array_equal(small.y_test, tiny.y_test[:3])


def test_cifar_rows_are_hwc(tiny: Dataset, tiny_generator: ModuleType) -> None:
    # Row 0 is the pattern image and row 1 is black, so their difference is the
    # pattern itself whatever the mean training image is.
    pattern_row = tiny.X_train[tiny_generator.PATTERN_INDEX]
    black_row = tiny.X_train[tiny_generator.BLACK_INDEX]
    image = (pattern_row - black_row).reshape(32, 32, 3)
    rows, cols = np.meshgrid(np.arange(32), np.arange(32), indexing="ij")
    np.testing.assert_allclose(image[..., 0], 8 * rows, atol=1e-9)  # red
    np.testing.assert_allclose(image[..., 1], 8 * cols, atol=1e-9)  # green
    np.testing.assert_allclose(image[..., 2], tiny_generator.PATTERN_BLUE, atol=1e-9)  # blue
    # In a flattened HWC row, pixel (r, c) channel k is at (32 * r + c) * 3 + k.
    flat = pattern_row - black_row
    assert flat[(32 * 3 + 5) * 3 + 0] == pytest.approx(8 * 3)
    assert flat[(32 * 3 + 5) * 3 + 1] == pytest.approx(8 * 5)


def test_cifar_accepts_folder_or_parent(tiny: Dataset) -> None:
    direct = load_cifar10(TINY, **TINY_SPLIT)
    for field in ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test"):
        np.testing.assert_array_equal(getattr(direct, field), getattr(tiny, field))


def test_cifar_missing_file_is_named(tiny_copy: Path) -> None:
    (tiny_copy / "data_batch_3").unlink()
    with pytest.raises(DataError, match="data_batch_3"):
        load_cifar10(tiny_copy, **TINY_SPLIT)


def test_cifar_missing_test_batch_is_named(tiny_copy: Path) -> None:
    (tiny_copy / "test_batch").unlink()
    with pytest.raises(DataError, match="test_batch"):
        load_cifar10(tiny_copy.parent, **TINY_SPLIT)


def test_cifar_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        load_cifar10(tmp_path / "absent")


@pytest.mark.parametrize(
    ("split", "message"),
    [
        ({"num_training": 55, "num_validation": 10, "num_test": 12}, "too few training rows"),
        ({"num_training": 50, "num_validation": 10, "num_test": 13}, "too few test rows"),
        ({}, "too few training rows"),  # the defaults need 50000 rows
        ({"num_training": 0, "num_validation": 10, "num_test": 12}, "num_training"),
        ({"num_training": 10, "num_validation": -1, "num_test": 12}, "num_validation"),
    ],
)
def test_cifar_bad_split_sizes(split: dict[str, int], message: str) -> None:
    with pytest.raises(DataError, match=message):
        load_cifar10(TINY, **split)


def test_cifar_zero_validation_rows() -> None:
    data = load_cifar10(TINY, num_training=50, num_validation=0, num_test=0)
    assert data.X_val.shape == (0, 3072) and data.X_test.shape == (0, 3072)


def _rewrite_batch(folder: Path, name: str, batch: object) -> None:
    with (folder / name).open("wb") as handle:
        pickle.dump(batch, handle, protocol=2)


def test_cifar_missing_key_is_named(tiny_copy: Path, tiny_generator: ModuleType) -> None:
    batch = dict(tiny_generator.build_batches()["data_batch_2"])
    del batch["labels"]
    _rewrite_batch(tiny_copy, "data_batch_2", batch)
    with pytest.raises(DataError, match=r"data_batch_2.*'labels'"):
        load_cifar10(tiny_copy, **TINY_SPLIT)


def test_cifar_wrong_data_shape(tiny_copy: Path, tiny_generator: ModuleType) -> None:
    batch = dict(tiny_generator.build_batches()["data_batch_4"])
    batch["data"] = batch["data"][:, :100]
    _rewrite_batch(tiny_copy, "data_batch_4", batch)
    with pytest.raises(DataError, match=r"data_batch_4.*shape"):
        load_cifar10(tiny_copy, **TINY_SPLIT)


def test_cifar_not_a_dict(tiny_copy: Path) -> None:
    _rewrite_batch(tiny_copy, "data_batch_1", [1, 2, 3])
    with pytest.raises(DataError, match=r"data_batch_1.*dict"):
        load_cifar10(tiny_copy, **TINY_SPLIT)


def test_cifar_truncated_file(tiny_copy: Path) -> None:
    path = tiny_copy / "data_batch_5"
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(DataError, match="data_batch_5"):
        load_cifar10(tiny_copy, **TINY_SPLIT)


def test_cifar_accepts_bytes_keys(tiny: Dataset, tiny_copy: Path, tiny_generator: ModuleType) -> None:
    # Python 3 pickles written with bytes keys (as ``encoding="bytes"`` would read them).
    for name, batch in tiny_generator.build_batches().items():
        _rewrite_batch(tiny_copy, name, {key.encode("ascii"): value for key, value in batch.items()})
    assert b"_codecs" in (tiny_copy / "test_batch").read_bytes()  # bytes via _codecs.encode
    reloaded = load_cifar10(tiny_copy, **TINY_SPLIT)
    np.testing.assert_array_equal(reloaded.X_train, tiny.X_train)
    np.testing.assert_array_equal(reloaded.y_test, tiny.y_test)


# --------------------------------------------------------------------------- #
# Restricted unpickling
# --------------------------------------------------------------------------- #


class _RunsShellCommand:
    """Unpickling this calls ``os.system(command)``."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (os.system, (self.command,))


def test_restricted_unpickler_refuses_os_system(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_RunsShellCommand(f"touch {marker}"), protocol=2)
    with pytest.raises(DataError, match="system"):
        RestrictedUnpickler(io.BytesIO(payload)).load()
    assert not marker.exists()


@pytest.mark.parametrize("protocol", [0, 2, pickle.HIGHEST_PROTOCOL])
def test_restricted_unpickler_refuses_eval(protocol: int) -> None:
    payload = pickle.dumps({"data": _EvalCall()}, protocol=protocol)
    with pytest.raises(DataError, match="eval"):
        RestrictedUnpickler(io.BytesIO(payload)).load()


class _EvalCall:
    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (eval, ("1 + 1",))


def test_malicious_batch_file_is_refused(tiny_copy: Path) -> None:
    marker = tiny_copy / "pwned"
    _rewrite_batch(tiny_copy, "data_batch_1", {"data": _RunsShellCommand(f"touch {marker}"), "labels": []})
    with pytest.raises(DataError, match=r"data_batch_1.*refusing"):
        load_cifar10(tiny_copy, **TINY_SPLIT)
    assert not marker.exists()


@pytest.mark.parametrize("protocol", [2, 4])
def test_restricted_unpickler_rebuilds_arrays(protocol: int) -> None:
    array = np.arange(12, dtype=np.uint8).reshape(3, 4)
    payload = pickle.dumps({"data": array, "labels": [1, 2, 3]}, protocol=protocol)
    loaded = RestrictedUnpickler(io.BytesIO(payload), encoding="latin1").load()
    np.testing.assert_array_equal(loaded["data"], array)
    assert loaded["data"].dtype == np.uint8
    assert loaded["labels"] == [1, 2, 3]


# --------------------------------------------------------------------------- #
# load_dataset
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("spec", [None, "embedded", "digits"])
def test_load_dataset_embedded(spec: str | None) -> None:
    data = load_dataset(spec)
    assert data.name == "digits"
    assert data.X_train.shape == (1297, 64)


def test_load_dataset_cifar10_path(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Path] = []

    def fake_load_cifar10(root: Path) -> str:
        seen.append(root)
        return "loaded"

    monkeypatch.setattr(datasets, "load_cifar10", fake_load_cifar10)
    assert load_dataset(f"cifar10:{TINY_PARENT}") == "loaded"  # type: ignore[comparison-overlap]
    assert seen == [TINY_PARENT]


def test_load_dataset_cifar10_uses_default_split() -> None:
    # The real loader runs: the fixture is far too small for the default 49000/1000/1000 split.
    with pytest.raises(DataError, match="too few training rows"):
        load_dataset(f"cifar10:{TINY}")


@pytest.mark.parametrize("spec", ["mnist", "cifar10", "CIFAR10:/x", "", "digits:"])
def test_load_dataset_unknown_spec(spec: str) -> None:
    with pytest.raises(DataError) as caught:
        load_dataset(spec)
    message = str(caught.value)
    assert repr(spec) in message
    for valid in ("embedded", "digits", "cifar10:PATH"):
        assert valid in message


def test_load_dataset_cifar10_needs_a_path() -> None:
    with pytest.raises(DataError, match="needs a path"):
        load_dataset("cifar10:")
