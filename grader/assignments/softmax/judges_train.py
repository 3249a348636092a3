"""Parent-side judges of the classifier: the training loop, accuracy and ``best_softmax``.

The train judge reads what :func:`.probes.probe_train` recorded while the
reference loss stood in: the initial weights, the rows of each minibatch,
the regularization passed, each step, and the returned loss history.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .cases import TrainCase
from .judges import Output, Verdict, _raised, rel_error

INIT_STD = 0.001
"""``self.W = 0.001 * np.random.randn(dim, num_classes)``."""


def _init_problem(out: Output, case: TrainCase) -> str:
    D, C = case.X.shape[1], int(case.y.max()) + 1
    W = np.asarray(out["fresh_W_before"])[0]
    if W.shape != (D, C):
        return f"W is initialised with shape {W.shape}, expected (dim, num_classes) = {(D, C)}"
    std = float(W.std())
    if not 0.5 * INIT_STD < std < 2 * INIT_STD:
        return f"W is initialised with standard deviation {std:.3g}: use 0.001 * np.random.randn"
    # RandomState(seed) draws what np.random.seed(seed) makes the global functions draw.
    if rel_error(W, INIT_STD * np.random.RandomState(case.seed).randn(D, C)) > 1e-12:
        return ("W is not 0.001 * np.random.randn(dim, num_classes) drawn before any sampling: "
                "with the same seed everyone starts from the same weights")
    preset = np.asarray(out["preset_W_before"])[0]
    if rel_error(preset, case.W0) > 0:
        return "train re-initialises W although it is already set: initialise only when it is None"
    return ""


def _sampling_problem(out: Output, case: TrainCase, prefix: str) -> str:
    N = case.X.shape[0]
    batches = out[f"{prefix}batches"]
    if any(len(b) != case.batch_size for b in batches):
        sizes = sorted({len(b) for b in batches})
        return f"minibatches have {sizes} rows, expected batch_size = {case.batch_size}"
    rows = np.concatenate([np.asarray(b) for b in batches])
    if rows.min() < 0:
        return "minibatch rows are not rows of X (or labels do not follow their rows)"
    if rows.max() < N // 2 or len({tuple(b) for b in batches}) < len(batches) // 2 + 1:
        return "minibatches are not drawn at random from all of X (use np.random.choice(num_train, batch_size))"
    return ""


def _step_problem(out: Output, case: TrainCase, prefix: str) -> str:
    if any(r != case.reg for r in out[f"{prefix}regs"]):
        return f"loss is called with reg {out[f'{prefix}regs'][0]}, not the reg of train ({case.reg})"
    before, grads = np.asarray(out[f"{prefix}W_before"]), np.asarray(out[f"{prefix}grads"])
    after = np.concatenate([before[1:], np.asarray(out[f"{prefix}W_final"])[None]])
    expected = before - case.learning_rate * grads
    if rel_error(after, expected) > 1e-8:
        if rel_error(after, before + case.learning_rate * grads) < 1e-8:
            return "the update climbs the gradient: W -= learning_rate * dW"
        return "the update is not W -= learning_rate * dW"
    return ""


def _history_problem(out: Output, prefix: str) -> str:
    history = out[f"{prefix}history"]
    if history is None:
        return "train does not return the loss history"
    if len(history) != len(out[f"{prefix}losses"]) or rel_error(history, out[f"{prefix}losses"]) > 0:
        return "the returned history is not the loss of every iteration"
    return ""


def judge_train(out: Output, case: TrainCase) -> Verdict:
    """Initialisation, sampling, reg, the SGD step and the returned history, on both runs."""
    if (raised := _raised(out)) is not None:
        return raised
    for prefix in ("fresh_", "preset_"):
        if out[f"{prefix}calls"] != case.num_iters:
            return Verdict("fail", f"loss was called {out[f'{prefix}calls']} times in "
                           f"{case.num_iters} iterations")
    problems = [_init_problem(out, case)] + [
        check(out, case, prefix) for prefix in ("fresh_", "preset_")
        for check in (_sampling_problem, _step_problem)] + [_history_problem(out, "fresh_")]
    found = next((p for p in problems if p), "")
    metrics = {"first_loss": float(out["fresh_losses"][0]), "last_loss": float(out["fresh_losses"][-1])}
    return Verdict("fail", found, metrics) if found else Verdict("pass", "", metrics)


def judge_accuracy(out: Output, threshold: float) -> Verdict:
    """Validation accuracy of the student's classifier trained with the rubric's settings."""
    if (raised := _raised(out)) is not None:
        return raised
    accuracy = float(out["accuracy"])
    metrics = {"accuracy": accuracy, "threshold": threshold}
    if accuracy >= threshold:
        return Verdict("pass", "", metrics)
    shape = out.get("predict_shape")
    why = f" (predict returned shape {tuple(shape)}, not one label per row)" if shape else ""
    return Verdict("fail", f"validation accuracy {accuracy:.3f} is below {threshold}{why}", metrics)


def judge_best(out: Output, X_val: Any, y_val: Any, threshold: float) -> Verdict:
    """``best_softmax``'s weights, evaluated with a correct ``argmax(X.dot(W))``."""
    if (raised := _raised(out)) is not None:
        return raised
    W = np.asarray(out["W"])
    if W.ndim != 2 or W.shape[0] != np.asarray(X_val).shape[1]:
        return Verdict("fail", f"best_softmax.W has shape {W.shape}; the data has "
                       f"{np.asarray(X_val).shape[1]} columns (bias included)")
    accuracy = float(np.mean(np.argmax(np.asarray(X_val).dot(W), axis=1) == y_val))
    metrics = {"accuracy": accuracy, "threshold": threshold}
    if accuracy >= threshold:
        return Verdict("pass", "", metrics)
    return Verdict("fail", f"best_softmax reaches {accuracy:.3f} validation accuracy, "
                   f"below {threshold}", metrics)
