"""Parent-side judges: compare a probe's output with the reference's, give a verdict.

Each judge takes plain data (the dicts of :mod:`.probes`, for the student and
for the reference on the same inputs) and returns a :class:`Verdict`. The
messages name the usual mistakes when the numbers show them: a loss off by
a factor N was not averaged, a difference of ``reg * sum(W*W)`` is the
regularization, a gradient that agrees with the student's own loss but not
with the reference's means the loss itself is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Sequence

import numpy as np

from .cases import LossCase, Spec
from .probes import coords_of

Output = dict[str, Any]
Status = Literal["pass", "fail", "error"]


@dataclass(frozen=True)
class Verdict:
    """The outcome of one check."""

    status: Status
    """``pass``, ``fail`` (wrong answer) or ``error`` (the student's code raised)."""
    message: str
    """What was wrong, for the student; empty when it passed."""
    metrics: dict[str, float] = field(default_factory=dict)
    """The measured numbers (largest error, accuracy, ...)."""


def select(out: Output, order: Sequence[Spec], wanted: Sequence[Spec]) -> Output:
    """The answers to the cases ``wanted`` of a loss probe that answered ``order``,
    numbered 0, 1, ... in ``wanted``'s order (an error stays as it is)."""
    if "error" in out:
        return out
    found: Output = {}
    for i, spec in enumerate(wanted):
        k = list(order).index(spec)
        for name in ("loss", "dW", "numeric"):
            if f"{name}_{k}" in out:
                found[f"{name}_{i}"] = out[f"{name}_{k}"]
    return found


def _raised(out: Output) -> Verdict | None:
    return Verdict("error", f"your code raised {out['error']}") if "error" in out else None


def rel_error(a: Any, b: Any) -> float:
    """Largest ``|a - b| / max(1e-8, |a| + |b|)``, as in the assignment's gradient checks."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return float("inf")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def _loss_hint(got: float, want: float, case: LossCase, reg_scale: float) -> str:
    N = case.X.shape[0]
    reg_term = reg_scale * case.reg * float(np.sum(case.W * case.W))
    data = want - reg_term

    def close(value: float) -> bool:
        return abs(got - value) < 1e-9 * max(1.0, abs(got))

    hints = [
        (close(data * N + reg_term) or close(data * N), "the cross-entropy is summed over the "
         "examples, not averaged"),
        (case.reg > 0 and close(data), "the regularization term is missing from the loss"),
        (case.reg > 0 and close(data + 0.5 * reg_term),
         "the regularization term has a factor 0.5 the rubric does not use"),
        (not np.isfinite(got), "the loss is not finite"),
    ]
    return next((text for ok, text in hints if ok), "")


def judge_loss(student: Output, reference: Output, cases: Sequence[LossCase],
               tolerance: float, reg_scale: float = 1.0) -> Verdict:
    """Each case's loss within ``tolerance`` (relative) of the reference's."""
    if (raised := _raised(student)) is not None:
        return raised
    worst, hint = 0.0, ""
    for k, case in enumerate(cases):
        got, want = student[f"loss_{k}"], reference[f"loss_{k}"]
        error = abs(got - want) / max(1.0, abs(want)) if np.isfinite(got) else float("inf")
        if error > worst:
            worst, hint = error, _loss_hint(got, want, case, reg_scale)
    metrics = {"max_error": worst}
    if worst <= tolerance:
        return Verdict("pass", "", metrics)
    return Verdict("fail", f"the loss differs from the expected one by up to {worst:.3g}"
                   + (f": {hint}" if hint else ""), metrics)


def _grad_hint(student: Output, reference: Output, k: int, case: LossCase,
               reg_scale: float) -> str:
    dW, want = student[f"dW_{k}"], reference[f"dW_{k}"]
    if dW.shape != want.shape:
        return f"dW has shape {dW.shape}, W has shape {want.shape}"
    N = case.X.shape[0]
    reg_grad = 2 * reg_scale * case.reg * case.W
    data = want - reg_grad
    coords = coords_of(case)
    own = np.array([dW[i, j] for i, j in coords])
    one_hot = np.eye(want.shape[1])[case.y]
    candidates = [
        (data * N + reg_grad, "the gradient is summed over the examples, not averaged"),
        (want + case.X.T.dot(one_hot) / N, "dW misses the -1 at each example's correct class "
         "(the gradient of the scores is softmax - one_hot(y))"),
        (reg_grad, "the data terms cancel out: each class's term must go to its own column, "
         "dW[:, j]"),
        (data, "the regularization term is missing from the gradient"),
        (data + 0.5 * reg_grad, "the gradient of reg * sum(W * W) is 2 * reg * W"),
    ]
    for value, text in candidates:
        if (case.reg > 0 or "regularization" not in text) and rel_error(dW, value) < 1e-7:
            return text
    if rel_error(own, student[f"numeric_{k}"]) < 1e-5:
        return "dW matches a numerical gradient of your loss, so your loss is what is wrong"
    return "dW does not match a numerical gradient of your own loss either"


def judge_grad(student: Output, reference: Output, cases: Sequence[LossCase],
               tolerance: float, reg_scale: float = 1.0) -> Verdict:
    """Each case's ``dW`` within ``tolerance`` (relative error) of the reference's."""
    if (raised := _raised(student)) is not None:
        return raised
    errors = [rel_error(student[f"dW_{k}"], reference[f"dW_{k}"]) for k in range(len(cases))]
    worst = max(errors, default=0.0)
    own = max((rel_error(student[f"numeric_{k}"], reference[f"numeric_{k}"])
               for k in range(len(cases))), default=0.0)
    metrics = {"max_rel_error": worst, "numeric_vs_reference": own}
    if worst <= tolerance:
        return Verdict("pass", "", metrics)
    k = int(np.argmax(errors))
    return Verdict("fail", f"dW has relative error {worst:.3g} (case {k + 1}): "
                   + _grad_hint(student, reference, k, cases[k], reg_scale), metrics)


def judge_consistency(naive: Output, vectorized: Output, cases: Sequence[LossCase],
                      tolerance: float) -> Verdict:
    """Naive and vectorized agree: loss difference and Frobenius norm of the dW difference."""
    if (raised := _raised(naive) or _raised(vectorized)) is not None:
        return raised
    loss_diff = max(abs(naive[f"loss_{k}"] - vectorized[f"loss_{k}"]) for k in range(len(cases)))
    grad_diff = max(_frobenius(naive[f"dW_{k}"], vectorized[f"dW_{k}"]) for k in range(len(cases)))
    metrics = {"loss_difference": loss_diff, "gradient_difference": grad_diff}
    if loss_diff <= tolerance and grad_diff <= tolerance:
        return Verdict("pass", "", metrics)
    return Verdict("fail", f"naive and vectorized disagree: loss by {loss_diff:.3g}, "
                   f"dW by {grad_diff:.3g} (Frobenius norm)", metrics)


def _frobenius(a: Any, b: Any) -> float:
    a, b = np.asarray(a), np.asarray(b)
    return float(np.linalg.norm(a - b)) if a.shape == b.shape else float("inf")


def judge_stability(naive: Output, vectorized: Output, tolerance: float) -> Verdict:
    """Each loss gives the same answer when every score is shifted by a large constant.

    ``naive`` and ``vectorized`` are :func:`.probes.probe_loss` outputs on the
    two cases of :func:`.cases.stability_case` (plain, then shifted).
    """
    for name, out in (("softmax_loss_naive", naive), ("softmax_loss_vectorized", vectorized)):
        if (raised := _raised(out)) is not None:
            return Verdict("error", f"{name}: {raised.message}")
        plain, shifted = out["loss_0"], out["loss_1"]
        error = abs(shifted - plain) / max(1.0, abs(plain)) if np.isfinite(shifted) else float("inf")
        dW = np.asarray(out["dW_1"])
        grad = rel_error(dW[:-1], out["dW_0"]) if dW.ndim == 2 else float("inf")
        if not (error <= tolerance and grad <= tolerance):
            return Verdict("fail", f"{name} breaks down when all scores are large (loss "
                           f"{shifted:.6g} instead of {plain:.6g}): subtract each row's maximum "
                           "score before exponentiating", {"loss_error": error, "grad_error": grad})
    return Verdict("pass", "")


def judge_predict(student: Output, reference: Output, count: int) -> Verdict:
    """The same labels as the reference, as integers of shape (N,)."""
    if (raised := _raised(student)) is not None:
        return raised
    for k in range(count):
        got, want = np.asarray(student[f"labels_{k}"]), reference[f"labels_{k}"]
        if got.shape != want.shape:
            return Verdict("fail", f"predict returned shape {got.shape}, expected {want.shape}"
                           + (": it returns the scores, not argmax over classes"
                              if got.ndim == 2 else ""))
        wrong = float(np.mean(got != want))
        if wrong > 0:
            return Verdict("fail", f"{wrong:.0%} of the labels differ from argmax(X.dot(W))",
                           {"wrong_fraction": wrong})
    return Verdict("pass", "")
