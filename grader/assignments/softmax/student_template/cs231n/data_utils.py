"""Load the data for the two-layer network notebook.

``get_two_layer_data()`` is all the notebook needs. It uses CIFAR-10 when the
folder ``cs231n/datasets/cifar-10-batches-py`` exists (download and unpack the
official "CIFAR-10 python version" there), and otherwise the small 8x8
hand-written digits bundled as ``cs231n/datasets/digits.npz``. The split and
preprocessing are the same as the autograder's, so the accuracies you see in
the notebook are the ones it measures.

This module needs numpy only.
"""

import os
import pickle

import numpy as np

DATASETS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "datasets")
"""Folder holding ``digits.npz`` and, optionally, ``cifar-10-batches-py``."""

CIFAR10_FOLDER = "cifar-10-batches-py"
DIGITS_FILE = "digits.npz"
DIGITS_SPLIT = (1297, 250, 250)


class _ArraysOnlyUnpickler(pickle.Unpickler):
    """Unpickler that rebuilds numpy arrays but refuses every other global.

    Plain ``pickle.load`` runs whatever code a file asks for; the CIFAR-10
    batches only ever need numpy's array-rebuilding helpers, so nothing else
    is let through.
    """

    def find_class(self, module, name):
        if name == "_reconstruct" and module in ("numpy.core.multiarray", "numpy._core.multiarray"):
            return _numpy_reconstruct()
        if module == "numpy" and name in ("ndarray", "dtype"):
            return getattr(np, name)
        if (module, name) == ("_codecs", "encode"):
            import _codecs

            return _codecs.encode
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}: only numpy arrays are allowed")


def _numpy_reconstruct():
    """numpy's ``_reconstruct``, without touching the deprecated ``numpy.core`` on numpy 2."""
    try:
        from numpy._core.multiarray import _reconstruct
    except ImportError:  # numpy < 1.26
        from numpy.core.multiarray import _reconstruct
    return _reconstruct


def _get(batch, key):
    """``batch[key]``, accepting both str and bytes keys."""
    for candidate in (key, key.encode("ascii")):
        if candidate in batch:
            return batch[candidate]
    raise KeyError(f"CIFAR-10 batch has no {key!r} entry")


def load_CIFAR_batch(filename):
    """Load one CIFAR-10 batch file.

    Returns:
        X: float64 array (N, 32, 32, 3), images in height, width, channel order.
        y: int64 array (N,), labels 0..9.
    """
    with open(filename, "rb") as f:
        batch = _ArraysOnlyUnpickler(f, encoding="latin1").load()
    data = np.asarray(_get(batch, "data"), dtype=np.uint8)
    labels = np.asarray(_get(batch, "labels"), dtype=np.int64)
    X = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).astype(np.float64, order="C")
    return X, labels


def load_CIFAR10(root):
    """Load all of CIFAR-10 from ``root`` (the ``cifar-10-batches-py`` folder).

    Returns:
        Xtr (50000, 32, 32, 3), Ytr (50000,), Xte (10000, 32, 32, 3), Yte (10000,);
        images as float64 in HWC order, labels as int64.
    """
    parts = [load_CIFAR_batch(os.path.join(root, f"data_batch_{b}")) for b in range(1, 6)]
    Xtr = np.concatenate([X for X, _ in parts])
    Ytr = np.concatenate([y for _, y in parts])
    Xte, Yte = load_CIFAR_batch(os.path.join(root, "test_batch"))
    return Xtr, Ytr, Xte, Yte


def _centre_and_flatten(X_train, X_val, X_test):
    """Subtract the mean training image from all three splits and flatten each image to a row."""
    mean_image = np.mean(X_train, axis=0)
    return [(X - mean_image).reshape(X.shape[0], mean_image.size) for X in (X_train, X_val, X_test)]


def _cifar10_splits(root, num_training, num_validation, num_test):
    """Images (HWC, float64) and labels of the three splits, as in the classic assignment."""
    X, y, X_te, y_te = load_CIFAR10(root)
    end = num_training + num_validation
    if end > X.shape[0] or num_test > X_te.shape[0]:
        raise ValueError(f"{root} has too few images for a {num_training}/{num_validation}/{num_test} split")
    return (X[:num_training], y[:num_training], X[num_training:end], y[num_training:end],
            X_te[:num_test], y_te[:num_test])


def _digits_splits(path):
    """Images (8x8, float64) and labels of the bundled digits: 1297 / 250 / 250 in stored order."""
    with np.load(path, allow_pickle=False) as archive:
        X = archive["X"].reshape(-1, 8, 8).astype(np.float64)
        y = archive["y"].astype(np.int64)
    n_train, n_val, _ = DIGITS_SPLIT
    end = n_train + n_val
    return X[:n_train], y[:n_train], X[n_train:end], y[n_train:end], X[end:], y[end:]


def get_two_layer_data(num_training=49000, num_validation=1000, num_test=1000):
    """Load, split and centre the data for the two-layer network.

    CIFAR-10 is used when ``datasets/cifar-10-batches-py`` exists next to this
    file (the three sizes apply to it); otherwise the bundled digits, always
    split 1297 / 250 / 250.

    Returns a dict with
        X_train, X_val, X_test: float64 (N, D), each image flattened to one row
            after subtracting the mean *training* image;
        y_train, y_val, y_test: int64 (N,);
        image_shape: (32, 32, 3) or (8, 8), the shape of one image before flattening;
        dataset: "cifar10" or "digits".
    """
    cifar_root = os.path.join(DATASETS_DIR, CIFAR10_FOLDER)
    if os.path.isdir(cifar_root):
        dataset, image_shape = "cifar10", (32, 32, 3)
        splits = _cifar10_splits(cifar_root, num_training, num_validation, num_test)
    else:
        dataset, image_shape = "digits", (8, 8)
        splits = _digits_splits(os.path.join(DATASETS_DIR, DIGITS_FILE))
    X_train, y_train, X_val, y_val, X_test, y_test = splits
    X_train, X_val, X_test = _centre_and_flatten(X_train, X_val, X_test)
    return {
        "X_train": X_train, "y_train": y_train,
        "X_val": X_val, "y_val": y_val,
        "X_test": X_test, "y_test": y_test,
        "image_shape": image_shape,
        "dataset": dataset,
    }
