"""Tests of the support code handed to students in student_template/cs231n."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import io
import os
import pickle
import re
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from grader.datasets import load_cifar10, load_embedded

from .conftest import REFERENCE, TEMPLATE

PACKAGE = TEMPLATE / "cs231n"
TINY = Path(__file__).resolve().parent / "fixtures" / "cifar10_tiny" / "cifar-10-batches-py"
FIELDS = ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test")


def _import(name: str) -> ModuleType:
    """Import ``name`` from the student template, the way the notebook does."""
    if str(TEMPLATE) not in sys.path:
        sys.path.insert(0, str(TEMPLATE))
    module = importlib.import_module(name)
    assert Path(module.__file__ or "").resolve().is_relative_to(TEMPLATE)
    return module


@pytest.fixture(scope="module")
def neural_net() -> ModuleType:
    return _import("cs231n.classifiers.neural_net")


@pytest.fixture(scope="module")
def gradient_check() -> ModuleType:
    return _import("cs231n.gradient_check")


@pytest.fixture(scope="module")
def vis_utils() -> ModuleType:
    return _import("cs231n.vis_utils")


@pytest.fixture(scope="module")
def data_utils() -> ModuleType:
    return _import("cs231n.data_utils")


def _imported_modules(path: Path) -> set[str]:
    """Top-level names of every module ``path`` imports."""
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module.split(".")[0])
    return modules


# --------------------------------------------------------------------------- #
# The TwoLayerNet skeleton
# --------------------------------------------------------------------------- #


def _message(method: str) -> str:
    return re.escape(f"TwoLayerNet.{method}: not implemented yet (see the TODO above)")


def _bare_net(neural_net: ModuleType) -> Any:
    """A TwoLayerNet with parameters set by hand, bypassing the unimplemented __init__."""
    net = object.__new__(neural_net.TwoLayerNet)
    rng = np.random.RandomState(0)
    net.params = {"W1": rng.randn(4, 5), "b1": np.zeros(5), "W2": rng.randn(5, 3), "b2": np.zeros(3)}
    return net


def test_skeleton_init_raises(neural_net: ModuleType) -> None:
    with pytest.raises(NotImplementedError, match=f"^{_message('__init__')}$"):
        neural_net.TwoLayerNet(4, 5, 3)


@pytest.mark.parametrize("with_labels", [False, True])
def test_skeleton_loss_raises(neural_net: ModuleType, with_labels: bool) -> None:
    X, y = np.ones((2, 4)), np.array([0, 2])
    with pytest.raises(NotImplementedError, match=f"^{_message('loss')}$"):
        _bare_net(neural_net).loss(X, y if with_labels else None, reg=0.1)


def test_skeleton_train_raises(neural_net: ModuleType) -> None:
    X, y = np.ones((6, 4)), np.arange(6) % 3
    with pytest.raises(NotImplementedError, match=f"^{_message('train')}$"):
        _bare_net(neural_net).train(X, y, X, y, num_iters=2, batch_size=3)


def test_skeleton_predict_raises(neural_net: ModuleType) -> None:
    with pytest.raises(NotImplementedError, match=f"^{_message('predict')}$"):
        _bare_net(neural_net).predict(np.ones((2, 4)))


def test_skeleton_matches_reference_api(neural_net: ModuleType) -> None:
    spec = importlib.util.spec_from_file_location("_reference_neural_net", REFERENCE)
    assert spec is not None and spec.loader is not None
    reference = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reference)
    for method in ("__init__", "loss", "train", "predict"):
        ours = getattr(neural_net.TwoLayerNet, method)
        theirs = getattr(reference.TwoLayerNet, method)
        assert inspect.signature(ours) == inspect.signature(theirs), method
        if method != "__init__":
            first_line = (inspect.getdoc(theirs) or "").splitlines()[0]
            assert (inspect.getdoc(ours) or "").startswith(first_line), method


def test_skeleton_loss_names_its_results(neural_net: ModuleType) -> None:
    tree = ast.parse(inspect.getsource(neural_net.TwoLayerNet.loss).strip())
    assigned = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    assert {"scores", "loss", "grads"} <= assigned
    returns = [ast.unparse(node.value) for node in ast.walk(tree) if isinstance(node, ast.Return) and node.value]
    assert sorted(returns) == ["(loss, grads)", "scores"]


def test_skeleton_states_the_conventions(neural_net: ModuleType) -> None:
    source = inspect.getsource(neural_net.TwoLayerNet)
    assert "reg * (sum(W1**2) + sum(W2**2))" in source
    assert "np.random.choice(num_train, batch_size, replace=True)" in source
    assert "iterations_per_epoch = max(num_train // batch_size, 1)" in source
    assert "not regularized" in source


def test_skeleton_holds_no_solution() -> None:
    tree = ast.parse((PACKAGE / "classifiers" / "neural_net.py").read_text())
    used = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    used |= {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    for giveaway in ("maximum", "exp", "log", "dot", "argmax", "randn", "choice", "zeros"):
        assert giveaway not in used, giveaway
    assert "params" in used  # the check does see the code


# --------------------------------------------------------------------------- #
# gradient_check
# --------------------------------------------------------------------------- #


def test_numerical_gradient_matches_analytic(gradient_check: ModuleType) -> None:
    rng = np.random.RandomState(1)
    x = rng.randn(3, 4)
    before = x.copy()

    def f(v: np.ndarray) -> float:
        return float(np.sum(v**3) + v[0, 1] * v[2, 3] + np.sin(v).sum())

    analytic = 3 * x**2 + np.cos(x)
    analytic[0, 1] += x[2, 3]
    analytic[2, 3] += x[0, 1]

    numeric = gradient_check.eval_numerical_gradient(f, x, verbose=False)
    assert numeric.shape == x.shape
    assert gradient_check.rel_error(numeric, analytic) < 1e-8
    np.testing.assert_array_equal(x, before)  # restored exactly


def test_numerical_gradient_verbose_prints_each_entry(
    gradient_check: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    x = np.array([1.0, 2.0, 3.0])
    grad = gradient_check.eval_numerical_gradient(lambda v: float(np.sum(v * v)), x, verbose=True)
    np.testing.assert_allclose(grad, 2 * x, rtol=1e-8)
    assert len(capsys.readouterr().out.strip().splitlines()) == 3
    gradient_check.eval_numerical_gradient(lambda v: float(v.sum()), x, verbose=False)
    assert capsys.readouterr().out == ""


def test_numerical_gradient_sees_in_place_changes(gradient_check: ModuleType) -> None:
    # The notebook's usage: f ignores its argument and reads the array through a closure.
    W = np.array([[0.5, -1.0], [2.0, 0.25]])
    grad = gradient_check.eval_numerical_gradient(lambda _: float(np.sum(W**2)), W, verbose=False)
    np.testing.assert_allclose(grad, 2 * W, rtol=1e-8)


def test_rel_error(gradient_check: ModuleType) -> None:
    assert gradient_check.rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert gradient_check.rel_error(1.0, 3.0) == pytest.approx(0.5)
    assert gradient_check.rel_error(np.array([1.0, 10.0]), np.array([1.0, 30.0])) == pytest.approx(0.5)
    assert gradient_check.rel_error(0.0, 0.0) == 0.0
    assert gradient_check.rel_error(0.0, 1e-10) == pytest.approx(1e-2)  # denominator floor 1e-8


# --------------------------------------------------------------------------- #
# vis_utils
# --------------------------------------------------------------------------- #


def test_visualize_grid_colour(vis_utils: ModuleType) -> None:
    Xs = np.random.RandomState(0).randn(5, 4, 3, 3)
    grid = vis_utils.visualize_grid(Xs, padding=1)
    # ceil(sqrt(5)) = 3 cells a side.
    assert grid.shape == (3 * 4 + 2, 3 * 3 + 2, 3)
    assert grid.min() == pytest.approx(0.0) and grid.max() == pytest.approx(255.0)
    first = grid[0:4, 0:3]
    assert first.min() == pytest.approx(0.0) and first.max() == pytest.approx(255.0)
    np.testing.assert_array_equal(grid[4, :], 0.0)  # padding row
    np.testing.assert_array_equal(grid[10:, 4:], 0.0)  # the unused cells of the last row


def test_visualize_grid_grey_and_ubound(vis_utils: ModuleType) -> None:
    Xs = np.arange(4 * 8 * 8, dtype=float).reshape(4, 8, 8)
    grid = vis_utils.visualize_grid(Xs, ubound=1.0, padding=3)
    assert grid.shape == (2 * 8 + 3, 2 * 8 + 3)
    assert grid.max() == pytest.approx(1.0)
    np.testing.assert_allclose(grid[11:19, 11:19], (Xs[3] - Xs[3].min()) / (Xs[3].max() - Xs[3].min()))


def test_visualize_grid_constant_image(vis_utils: ModuleType) -> None:
    grid = vis_utils.visualize_grid(np.full((1, 2, 2), 7.0))
    np.testing.assert_array_equal(grid, np.zeros((2, 2)))


# --------------------------------------------------------------------------- #
# data_utils
# --------------------------------------------------------------------------- #


def test_support_code_does_not_import_grader() -> None:
    for path in PACKAGE.rglob("*.py"):
        if path.name == "selfcheck.py":  # runs the grader on purpose, importing it lazily
            continue
        assert "grader" not in _imported_modules(path), path


def test_data_utils_default_folder(data_utils: ModuleType) -> None:
    assert Path(data_utils.DATASETS_DIR) == PACKAGE / "datasets"
    assert (Path(data_utils.DATASETS_DIR) / "digits.npz").is_file()


def test_get_two_layer_data_digits_matches_grader(
    data_utils: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    shutil.copyfile(PACKAGE / "datasets" / "digits.npz", tmp_path / "digits.npz")
    monkeypatch.setattr(data_utils, "DATASETS_DIR", str(tmp_path))
    data = data_utils.get_two_layer_data()
    expected = load_embedded()
    assert data["dataset"] == "digits"
    assert data["image_shape"] == (8, 8)
    for field in FIELDS:
        assert data[field].dtype == getattr(expected, field).dtype, field
        np.testing.assert_array_equal(data[field], getattr(expected, field), err_msg=field)


def test_get_two_layer_data_cifar_matches_grader(
    data_utils: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    shutil.copytree(TINY, tmp_path / "cifar-10-batches-py")
    monkeypatch.setattr(data_utils, "DATASETS_DIR", str(tmp_path))
    data = data_utils.get_two_layer_data(num_training=40, num_validation=15, num_test=7)
    expected = load_cifar10(TINY, num_training=40, num_validation=15, num_test=7)
    assert data["dataset"] == "cifar10"
    assert data["image_shape"] == (32, 32, 3)
    for field in FIELDS:
        assert data[field].dtype == getattr(expected, field).dtype, field
        np.testing.assert_array_equal(data[field], getattr(expected, field), err_msg=field)


def test_get_two_layer_data_cifar_too_small(
    data_utils: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    shutil.copytree(TINY, tmp_path / "cifar-10-batches-py")
    monkeypatch.setattr(data_utils, "DATASETS_DIR", str(tmp_path))
    with pytest.raises(ValueError, match="too few images"):
        data_utils.get_two_layer_data()


def test_load_cifar10_shapes(data_utils: ModuleType) -> None:
    Xtr, Ytr, Xte, Yte = data_utils.load_CIFAR10(str(TINY))
    assert Xtr.shape == (60, 32, 32, 3) and Ytr.shape == (60,)
    assert Xte.shape == (12, 32, 32, 3) and Yte.shape == (12,)
    assert Xtr.dtype == np.float64 and Ytr.dtype == np.int64
    # data_batch_1 row 0 is the fixture's pattern image: red = 8 * row, green = 8 * col, blue = 77.
    assert Xtr[0, 3, 5].tolist() == [24.0, 40.0, 77.0]


class _RunsShellCommand:
    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (os.system, (self.command,))


def test_load_cifar_batch_refuses_code(data_utils: ModuleType, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps({"data": _RunsShellCommand(f"touch {marker}"), "labels": []}, protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="system"):
        data_utils.load_CIFAR_batch(str(path))
    assert not marker.exists()


def test_arrays_only_unpickler_rebuilds_arrays(data_utils: ModuleType) -> None:
    array = np.arange(6, dtype=np.uint8).reshape(2, 3)
    payload = pickle.dumps({b"data": array, b"labels": [0, 1]}, protocol=2)
    loaded = data_utils._ArraysOnlyUnpickler(io.BytesIO(payload), encoding="latin1").load()
    np.testing.assert_array_equal(loaded[b"data"], array)
