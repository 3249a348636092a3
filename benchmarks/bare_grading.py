#!/usr/bin/env python
"""The grader's computations without the grader around them: the baseline of the benchmark.

For each submission module this imports it and calls it on the same inputs as
the grader's child (the toy problem and the hidden random shapes; forward,
loss and gradients, a numerical gradient of the student's own loss on one
small case, the stability shift, the two training runs with the reference
loss standing in, predict, and the accuracy training on the embedded digits
with the rubric's ``[data.digits]`` hyperparameters), compares the results with
the reference as the checks do, and adds up the points.

What it leaves out is the harness: no bubblewrap, no resource limits, no
status pipe, no plan or result files between processes, no result objects,
messages or reports.

    python benchmarks/bare_grading.py SUBMISSIONS [--jobs N] [--mode subprocess|inprocess] [--json]

SUBMISSIONS is a folder of ``.py`` modules (or several ``.py`` paths).

``--mode subprocess`` (default) grades each submission in one fresh Python
process, like the grader's child (Python and numpy start once per submission);
``--jobs N`` runs N of them at a time. ``--mode inprocess`` grades in
long-lived processes: the main process for ``--jobs 1``, a
``multiprocessing.Pool`` of N workers otherwise.
"""

from __future__ import annotations

import os

# The grader's child runs with these (grader/sandbox.py, _child_env); they must
# be set before numpy is imported.
THREAD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
os.environ.update(THREAD_ENV)

import argparse  # noqa: E402
import importlib  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import types  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable, Mapping  # noqa: E402

import numpy as np  # noqa: E402

sys.dont_write_bytecode = True  # no __pycache__ next to the submissions

ROOT = Path(__file__).resolve().parent.parent
PARAMS = ("W1", "b1", "W2", "b2")
MODULE_CHECKS = ("init", "scores", "loss", "grad_W1", "grad_b1", "grad_W2", "grad_b2",
                 "stability", "train", "predict", "accuracy")
TOY_SHAPE = (4, 10, 3)
SCHEDULE: dict[str, Any] = {"N": 64, "D": 6, "H": 9, "C": 3, "batch_size": 8, "num_iters": 40,
            "learning_rate": 0.05, "learning_rate_decay": 0.8, "reg": 0.01}


# --------------------------------------------------------------------------- #
# Settings (read once, in the main process) and the grader's helper modules
# --------------------------------------------------------------------------- #

def grader_module(name: str) -> types.ModuleType:
    """``grader.<name>`` without running ``grader/__init__.py`` (which imports the
    whole harness: api, batch, pipeline, sandbox, ...)."""
    if "grader" not in sys.modules:
        package = types.ModuleType("grader")
        package.__path__ = [str(ROOT / "grader")]
        sys.modules["grader"] = package
    return importlib.import_module(f"grader.{name}")


def load_settings(rubric_path: str | None = None) -> dict[str, Any]:
    """What the computations need from the rubric, as plain JSON data."""
    rubric = grader_module("rubric").load_rubric(rubric_path)
    checks = {c.id: c for c in rubric.checks if c.id in MODULE_CHECKS}
    digits = rubric.datasets["digits"]
    return {
        "reference": str(rubric.reference), "class_name": rubric.class_name,
        "reg_scale": rubric.reg_scale, "seed": rubric.seed,
        "points": {k: c.points for k, c in checks.items()},
        "options": {k: dict(c.options) for k, c in checks.items()},
        "digits": {"threshold": digits.threshold,
                   "hyperparameters": dict(digits.hyperparameters)},
    }


def child_env(workdir: str) -> dict[str, str]:
    """The environment of the grader's child (grader/sandbox.py, _child_env), less the
    status pipe."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": workdir, "LANG": "C.UTF-8",
            **THREAD_ENV, "MPLBACKEND": "Agg", "MPLCONFIGDIR": f"{workdir}/.matplotlib",
            "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}


# --------------------------------------------------------------------------- #
# Inputs: the same questions as grader/plan.py, drawn from the same seeds
# --------------------------------------------------------------------------- #

Case = dict[str, Any]


def toy_case(ref: Any) -> Case:
    np.random.seed(0)
    net = ref.TwoLayerNet(*TOY_SHAPE, std=1e-1)
    np.random.seed(1)
    X = 10 * np.random.randn(5, 4)
    return {"params": dict(net.params), "X": X, "y": np.array([0, 1, 2, 2, 1])}


def hidden_case(seed: int) -> Case:
    rng = np.random.RandomState(seed)
    while True:
        N, D, H, C = rng.randint(4, 13), rng.randint(3, 16), rng.randint(5, 21), rng.randint(2, 8)
        if len({N, D, H, C}) == 4:
            break
    params = {"W1": rng.randn(D, H) / np.sqrt(D), "b1": 0.5 * rng.randn(H),
              "W2": rng.randn(H, C) / np.sqrt(H), "b2": 0.5 * rng.randn(C)}
    return {"params": params, "X": rng.randn(N, D), "y": rng.randint(C, size=N)}


def numeric_case(seed: int) -> Case:
    """Small (54 parameters, nonzero biases): for the numerical gradient."""
    rng = np.random.RandomState(seed)
    N, D, H, C = 4, 3, 6, 5
    params = {"W1": rng.randn(D, H) / np.sqrt(D), "b1": 0.5 * rng.randn(H),
              "W2": rng.randn(H, C) / np.sqrt(H), "b2": 0.5 * rng.randn(C)}
    return {"params": params, "X": rng.randn(N, D), "y": rng.randint(C, size=N)}


def schedule_case(seed: int) -> Case:
    s = SCHEDULE
    rng = np.random.RandomState(seed)
    params = {"W1": 0.1 * rng.randn(s["D"], s["H"]), "b1": 0.1 * rng.randn(s["H"]),
              "W2": 0.1 * rng.randn(s["H"], s["C"]), "b2": 0.1 * rng.randn(s["C"])}
    return {"params": params, "X": rng.randn(s["N"], s["D"]),
            "y": rng.randint(s["C"], size=s["N"])}


class Grading:
    """What one process shares across submissions: settings, reference, inputs, data."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings
        self.options = settings["options"]
        spec = importlib.util.spec_from_file_location("_bare_reference", settings["reference"])
        assert spec is not None and spec.loader is not None
        self.ref = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(self.ref)
        setattr(self.ref, "REG_SCALE", settings["reg_scale"])
        seed = settings["seed"]
        n_hidden = max([o.get("hidden_cases", 0) for o in self.options.values()] + [1])
        state = np.random.get_state()
        self.cases = {"toy": toy_case(self.ref)}
        np.random.set_state(state)
        for k in range(1, n_hidden + 1):
            self.cases[f"hidden{k}"] = hidden_case(seed + 1000 * k)
        self.cases["schedule"] = schedule_case(seed + 7)
        self.cases["numeric"] = numeric_case(seed + 11)
        self.data = grader_module("datasets").load_embedded()

    def hidden(self, check: str) -> list[str]:
        return [f"hidden{k}" for k in range(1, self.options[check]["hidden_cases"] + 1)]

    def ref_net(self, params: Mapping[str, np.ndarray]) -> Any:
        net = object.__new__(self.ref.TwoLayerNet)
        net.params = {k: np.array(v, copy=True) for k, v in params.items()}
        return net


# --------------------------------------------------------------------------- #
# The computations, check by check (a raised exception fails the check)
# --------------------------------------------------------------------------- #

def net_with(cls: type, params: Mapping[str, np.ndarray]) -> Any:
    """A student net holding exactly ``params`` (its __init__ runs first, RNG untouched)."""
    D, H = params["W1"].shape
    C = params["W2"].shape[1]
    state = np.random.get_state()
    try:
        net = cls(D, H, C)
    except Exception:
        net = object.__new__(cls)
    finally:
        np.random.set_state(state)
    net.params = {k: np.array(v, copy=True) for k, v in params.items()}
    return net


def floats(value: Any) -> np.ndarray:
    return np.array(np.asarray(value), dtype=np.float64, copy=True)


def rel_error(x: np.ndarray, y: np.ndarray) -> float:
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))
    err = np.where(np.isnan(err), np.inf, err)
    return float(np.max(err)) if err.size else 0.0


def max_abs(x: np.ndarray, y: np.ndarray) -> float:
    if x.shape != y.shape:
        return float("inf")
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(x - y)
    err = np.where(np.isnan(err), np.inf, err)
    return float(np.max(err)) if err.size else 0.0


def check_init(g: Grading, cls: type) -> bool:
    tol = g.options["init"]["tolerance"]
    cases = [(4, 10, 3, 0.1, 0)]
    for name in g.hidden("init"):
        D, H = g.cases[name]["params"]["W1"].shape
        C = g.cases[name]["params"]["W2"].shape[1]
        cases.append((D, H, C, 0.37, g.settings["seed"] % 10000 + len(cases)))
    for D, H, C, std, seed in cases:
        np.random.seed(seed)
        net = cls(D, H, C, std=std)
        np.random.seed(seed)
        expected = g.ref.TwoLayerNet(D, H, C, std=std).params
        if not all(max_abs(floats(net.params[p]), expected[p]) <= tol for p in PARAMS):
            return False
    return True


def check_scores(g: Grading, cls: type) -> bool:
    tol = g.options["scores"]["tolerance"]
    errors = []
    for name in ["toy", *g.hidden("scores")]:
        case = g.cases[name]
        scores = floats(net_with(cls, case["params"]).loss(case["X"].copy()))
        errors.append(max_abs(scores, g.ref_net(case["params"]).loss(case["X"])))
    return max(errors) <= float(tol)


def check_loss_and_grads(g: Grading, cls: type) -> dict[str, bool]:
    """The loss check and the four gradient checks: the toy problem and the hidden
    inputs with each reg, and a small case with reg > 0 on which the numerical
    gradient of the student's own loss is computed too."""
    ids = ("loss", "grad_W1", "grad_b1", "grad_W2", "grad_b2")
    verdict = dict.fromkeys(ids, True)
    regs = [float(r) for r in g.options["loss"]["regs"]]
    cases = [(data, reg) for data in ["toy", *g.hidden("loss")] for reg in regs]
    cases.append(("numeric", max(regs, default=0.05)))
    for data, reg in cases:
        case = g.cases[data]
        net = net_with(cls, case["params"])
        X, y = case["X"].copy(), case["y"].astype(np.int64)
        try:
            loss, grads = net.loss(X, y, reg=reg)
        except Exception:
            return dict.fromkeys(ids, False)
        ref_loss, ref_grads = g.ref_net(case["params"]).loss(case["X"], case["y"], reg=reg)
        try:
            verdict["loss"] &= abs(float(loss) - ref_loss) <= g.options["loss"]["tolerance"]
        except (TypeError, ValueError):
            verdict["loss"] = False
        for p in PARAMS:
            try:
                measured = floats(grads[p])
            except (KeyError, TypeError, ValueError):
                verdict[f"grad_{p}"] = False
                continue
            ok = (measured.shape == ref_grads[p].shape
                  and rel_error(measured, ref_grads[p]) <= g.options[f"grad_{p}"]["tolerance"])
            verdict[f"grad_{p}"] &= ok
        if data == "numeric":
            numeric_gradient(net, X, y, reg)
    return verdict


def numeric_gradient(net: Any, X: np.ndarray, y: np.ndarray, reg: float) -> dict[str, np.ndarray]:
    h = 1e-5
    out = {}
    try:
        for p in PARAMS:
            values = net.params[p]
            grad = np.zeros(np.shape(values))
            for index in np.ndindex(grad.shape):
                old = values[index]
                values[index] = old + h
                plus = float(np.asarray(net.loss(X, y, reg=reg)[0]))
                values[index] = old - h
                minus = float(np.asarray(net.loss(X, y, reg=reg)[0]))
                values[index] = old
                grad[index] = (plus - minus) / (2 * h)
            out[p] = grad
    except Exception:
        pass
    return out


def check_stability(g: Grading, cls: type) -> bool:
    opts = g.options["stability"]
    case = g.cases["hidden1"]
    losses = []
    for shift in (0.0, float(opts["shift"])):
        params = dict(case["params"], b2=case["params"]["b2"] + shift)
        net = net_with(cls, params)
        with np.errstate(all="ignore"):
            returned = net.loss(case["X"].copy(), case["y"].astype(np.int64), reg=0.0)
        losses.append(float(np.asarray(returned[0] if isinstance(returned, tuple) else returned)))
    plain, shifted = losses
    return bool(np.isfinite(shifted) and abs(shifted - plain) <= opts["tolerance"] * max(1.0, abs(plain)))


class Recorder:
    """The reference loss and predict standing in for the student's, with every loss
    call recorded (rows sampled, reg, parameters before the step, gradients)."""

    def __init__(self, g: Grading, net: Any, X: np.ndarray, y: np.ndarray) -> None:
        self.net, self.y = net, y
        self.rows = {X[i].tobytes(): i for i in range(X.shape[0])}
        self.ref_loss = g.ref.TwoLayerNet.loss
        self.ref_predict = g.ref.TwoLayerNet.predict
        self.index: list[np.ndarray] = []
        self.regs: list[float] = []
        self.losses: list[float] = []
        self.labels_ok: list[bool] = []
        self.before: list[dict[str, np.ndarray]] = []
        self.grads: list[dict[str, np.ndarray]] = []
        net.loss, net.predict = self.loss, self.predict

    def snapshot(self) -> dict[str, np.ndarray]:
        return {k: np.array(self.net.params[k], dtype=np.float64, copy=True) for k in PARAMS}

    def loss(self, X: Any, y: Any = None, reg: float = 0.0) -> Any:
        if y is None:
            return self.ref_loss(self.net, X)
        X = np.asarray(X)
        index = np.array([self.rows.get(row.tobytes(), -1) for row in X], dtype=np.int64)
        self.index.append(index)
        self.regs.append(float(reg))
        self.before.append(self.snapshot())
        loss, grads = self.ref_loss(self.net, X, np.asarray(y), reg)
        self.grads.append({k: np.array(v, copy=True) for k, v in grads.items()})
        self.losses.append(float(loss))
        labels = np.where(index >= 0, self.y[np.clip(index, 0, None)], -1)
        self.labels_ok.append(bool(np.array_equal(np.asarray(y), labels)))
        return loss, grads

    def predict(self, X: Any) -> Any:
        return self.ref_predict(self.net, X)

    def rates(self) -> tuple[np.ndarray, np.ndarray]:
        """The learning rate of each step and parameter (least squares), and the misfit."""
        after = self.before[1:] + [self.snapshot()]
        rates = np.zeros((len(self.before), len(PARAMS)))
        misfit = np.zeros_like(rates)
        for t in range(len(self.before)):
            for j, k in enumerate(PARAMS):
                delta, grad = after[t][k] - self.before[t][k], self.grads[t][k]
                g2 = float(np.sum(grad * grad))
                if delta.shape != grad.shape:
                    rates[t, j], misfit[t, j] = np.nan, np.inf
                elif g2 == 0.0:
                    rates[t, j], misfit[t, j] = np.nan, 0.0
                else:
                    lr = -float(np.sum(delta * grad)) / g2
                    scale = max(float(np.linalg.norm(delta)), 1e-300)
                    rates[t, j], misfit[t, j] = lr, float(np.linalg.norm(delta + lr * grad)) / scale
        return rates, misfit


def check_train(g: Grading, cls: type) -> bool:
    opts = g.options["train"]
    seed = g.settings["seed"]
    toy = {"learning_rate": float(opts["learning_rate"]), "reg": float(opts["reg"]),
           "num_iters": int(opts["num_iters"]), "batch_size": 200, "learning_rate_decay": 0.95}
    schedule = {k: SCHEDULE[k] for k in ("learning_rate", "learning_rate_decay", "reg",
                                         "num_iters", "batch_size")}
    final = None
    for data, run_seed, kwargs in (("toy", seed, toy), ("schedule", seed + 1, schedule)):
        case = g.cases[data]
        X, y = case["X"].copy(), case["y"].astype(np.int64)
        net = net_with(cls, case["params"])
        recorder = Recorder(g, net, X, y)
        np.random.seed(run_seed)
        stats = net.train(X, y, X, y, verbose=False, **kwargs)
        if not run_is_right(recorder, stats, kwargs, X.shape[0]):
            return False
        if data == "toy":
            final = recorder.losses[-1]
    return final is not None and final <= opts["final_loss_below"]


def run_is_right(rec: Recorder, stats: Any, kwargs: Mapping[str, Any], n: int) -> bool:
    """The rules of minibatch SGD with a per-epoch decay, as the train check judges them."""
    if len(rec.losses) != kwargs["num_iters"]:
        return False
    rows = np.concatenate(rec.index)
    if (any(len(i) != kwargs["batch_size"] for i in rec.index) or np.any(rows < 0)
            or not all(rec.labels_ok) or len(np.unique(rows)) < min(n, rows.size) // 2
            or not np.allclose(rec.regs, kwargs["reg"])):
        return False
    rates, misfit = rec.rates()
    if not np.all(np.isfinite(rates)) or np.any(misfit > 1e-6):
        return False
    if np.ptp(rates, axis=1).max() > 1e-6 * rates.max():
        return False
    lr0, decay = kwargs["learning_rate"], kwargs["learning_rate_decay"]
    steps = np.log(rates[:, 0] / lr0) / np.log(decay)
    if np.any(np.abs(steps - np.round(steps)) > 1e-6) or abs(steps[0]) > 1e-6:
        return False
    per_epoch = max(n // kwargs["batch_size"], 1)
    if per_epoch > 1:
        diffs = np.diff(np.round(steps).astype(int))
        changes = np.flatnonzero(diffs)
        expected = kwargs["num_iters"] // per_epoch
        if (np.any(diffs < 0) or np.any(diffs > 1) or len(changes) > expected + 1
                or len(changes) < expected - 1 or np.any(np.diff(changes) != per_epoch)):
            return False
    if not isinstance(stats, Mapping) or not {"loss_history", "train_acc_history",
                                                "val_acc_history"} <= set(stats):
        return False
    if floats(stats["loss_history"]).shape != (kwargs["num_iters"],):
        return False
    epochs = -(-kwargs["num_iters"] // per_epoch)
    for key in ("train_acc_history", "val_acc_history"):
        acc = floats(stats[key])
        if acc.ndim != 1 or abs(acc.size - epochs) > 1 or np.any((acc < 0) | (acc > 1)):
            return False
    return True


def check_predict(g: Grading, cls: type) -> bool:
    for name in ["toy", *g.hidden("predict")]:
        case = g.cases[name]
        labels = np.asarray(net_with(cls, case["params"]).predict(case["X"].copy()))
        expected = g.ref_net(case["params"]).predict(case["X"])
        if labels.shape != expected.shape or labels.dtype.kind not in "iu":
            return False
        if np.any(labels != expected):
            return False
    return True


def check_accuracy(g: Grading, cls: type) -> bool:
    hyper = dict(g.settings["digits"]["hyperparameters"])
    hidden_size, std = hyper.pop("hidden_size"), hyper.pop("std")
    d = g.data
    monitor = min(1000, max(10, d.X_train.shape[0] // 10))
    np.random.seed(g.settings["seed"])
    net = cls(d.X_train.shape[1], hidden_size, len(d.class_names), std=std)
    net.train(d.X_train, d.y_train, d.X_train[-monitor:], d.y_train[-monitor:],
              verbose=False, **hyper)
    labels = np.asarray(net.predict(d.X_val))
    # the check also runs the reference forward pass on the trained weights
    g.ref_net({k: floats(net.params[k]) for k in PARAMS}).predict(d.X_val)
    return labels.shape == d.y_val.shape and float(np.mean(labels == d.y_val)) >= \
        float(g.settings["digits"]["threshold"])


STEPS: tuple[tuple[str, Callable[[Grading, type], Any]], ...] = (
    ("init", check_init), ("scores", check_scores), ("loss", check_loss_and_grads),
    ("stability", check_stability), ("train", check_train), ("predict", check_predict),
    ("accuracy", check_accuracy),
)


def grade_module(g: Grading, path: str) -> dict[str, Any]:
    """Import one module, run every step, and score it."""
    started = time.perf_counter()
    seconds: dict[str, float] = {}
    name = f"_bare_student_{abs(hash(path))}"
    folder = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, folder)
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        cls = getattr(module, g.settings["class_name"])
    except BaseException as exc:  # noqa: BLE001 - a broken module scores zero
        return {"id": Path(path).stem, "score": 0.0, "checks": {},
                "error": f"{type(exc).__name__}: {exc}",
                "seconds": {"total": time.perf_counter() - started}}
    finally:
        sys.path.remove(folder)
    seconds["import"] = time.perf_counter() - started
    verdict: dict[str, bool] = {}
    for step, fn in STEPS:
        t = time.perf_counter()
        try:
            with np.errstate(all="ignore"):
                result = fn(g, cls)
        except Exception:
            result = False
        seconds[step] = time.perf_counter() - t
        if isinstance(result, dict):
            verdict.update(result)
        else:
            verdict[step] = bool(result)
    sys.modules.pop(name, None)
    checks = {c: bool(verdict.get(c, False)) for c in g.settings["points"]}
    score = float(sum(p for c, p in g.settings["points"].items() if checks[c]))
    seconds["total"] = time.perf_counter() - started
    return {"id": Path(path).stem, "score": score, "checks": checks, "seconds": seconds}


# --------------------------------------------------------------------------- #
# Running many: one fresh process each, or long-lived workers
# --------------------------------------------------------------------------- #

_WORKER: Grading | None = None


def _init_worker(settings: dict[str, Any]) -> None:
    global _WORKER
    _WORKER = Grading(settings)


def _grade_in_worker(path: str) -> dict[str, Any]:
    assert _WORKER is not None
    return grade_module(_WORKER, path)


def _grade_in_subprocess(path: str, settings_file: str, workdir: str) -> dict[str, Any]:
    # -I as the grader's child; -B since -I ignores PYTHONDONTWRITEBYTECODE
    proc = subprocess.run([sys.executable, "-I", "-B", str(Path(__file__).resolve()), "--one", path,
                           "--settings", settings_file],
                          capture_output=True, text=True, env=child_env(workdir), cwd=workdir)
    if proc.returncode != 0:
        return {"id": Path(path).stem, "score": 0.0, "checks": {},
                "error": f"exit {proc.returncode}: {proc.stderr[-500:]}", "seconds": {}}
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def grade_all(paths: list[str], settings: dict[str, Any], jobs: int,
              mode: str) -> list[dict[str, Any]]:
    if mode == "inprocess":
        if jobs == 1:
            grading = Grading(settings)
            return [grade_module(grading, p) for p in paths]
        import multiprocessing

        with multiprocessing.get_context("fork").Pool(jobs, _init_worker, (settings,)) as pool:
            return list(pool.imap_unordered(_grade_in_worker, paths, chunksize=1))
    from multiprocessing.pool import ThreadPool

    with tempfile.TemporaryDirectory(prefix="bare-") as tmp:
        settings_file = os.path.join(tmp, "settings.json")
        Path(settings_file).write_text(json.dumps(settings), encoding="utf-8")
        workdir = os.path.join(tmp, "work")
        os.mkdir(workdir)
        with ThreadPool(jobs) as pool:  # the threads only wait for the children
            return list(pool.imap_unordered(
                lambda p: _grade_in_subprocess(p, settings_file, workdir), paths))


def submission_paths(args: list[str]) -> list[str]:
    paths: list[str] = []
    for arg in args:
        p = Path(arg)
        if p.is_dir():
            paths += sorted(str(f) for f in p.iterdir() if f.suffix == ".py"
                            and not f.name.startswith("."))
        else:
            paths.append(str(p))
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("submissions", nargs="*", help="a folder of .py modules, or .py files")
    parser.add_argument("--jobs", "-j", type=int, default=1)
    parser.add_argument("--mode", choices=("subprocess", "inprocess"), default="subprocess")
    parser.add_argument("--rubric", help="rubric file (default: the shipped one)")
    parser.add_argument("--json", action="store_true", help="print every result as JSON")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--settings", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.one:  # a child of --mode subprocess: grade one module, print its result
        settings = json.loads(Path(args.settings).read_text(encoding="utf-8"))
        print(json.dumps(grade_module(Grading(settings), args.one)))
        return 0
    started = time.perf_counter()
    paths = submission_paths(args.submissions)
    if not paths:
        parser.error("no .py submissions given")
    results = grade_all(paths, load_settings(args.rubric), max(1, args.jobs), args.mode)
    results.sort(key=lambda r: r["id"])
    wall = time.perf_counter() - started
    if args.json:
        print(json.dumps({"mode": args.mode, "jobs": args.jobs, "wall_seconds": wall,
                          "results": results}, indent=1))
    else:
        for r in results:
            note = f"  ({r['error']})" if r.get("error") else ""
            print(f"{r['id']:<40} {r['score']:>6g}{note}")
        print(f"\n{len(results)} submissions in {wall:.2f} s ({args.mode}, jobs={args.jobs})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
