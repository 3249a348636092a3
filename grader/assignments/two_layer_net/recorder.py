"""Watch a student's ``train`` while the reference ``loss`` and ``predict`` stand in.

Each call to ``self.loss(X_batch, y_batch, reg)`` is answered by the reference
and recorded: which rows were sampled, the regularization passed, and the
parameters before the step. The learning rate of each step is then read off
the parameter change: ``delta = -lr * grad`` for plain SGD.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...child.context import Context, ProbeOutput
from .network import PARAM_NAMES, reference_method


class TrainRecorder:
    """Installs itself on ``net`` as ``loss`` and ``predict`` (instance attributes)."""

    def __init__(self, ctx: Context, net: Any, X: np.ndarray, y: np.ndarray) -> None:
        self.net = net
        self.rows = {X[i].tobytes(): i for i in range(X.shape[0])}
        self.ref_loss = reference_method(ctx, "loss")
        self.ref_predict = reference_method(ctx, "predict")
        self.batches: list[np.ndarray] = []
        self.label_ok: list[bool] = []
        self.regs: list[float] = []
        self.losses: list[float] = []
        self.before: list[dict[str, np.ndarray]] = []
        self.grads: list[dict[str, np.ndarray]] = []
        self.y_full = y
        self.ignored: set[str] = set()
        net.loss = self.loss
        net.predict = self.predict

    def loss(self, X: Any, y: Any = None, reg: float = 0.0, **extra: Any) -> Any:
        # Extra keyword arguments (say, a student's optional dropout flag) are
        # accepted and ignored: the specification only fixes X, y and reg.
        self.ignored.update(str(k) for k in extra)
        if y is None:
            return self.ref_loss(self.net, X)
        X = np.asarray(X)
        index = np.array([self.rows.get(row.tobytes(), -1) for row in X], dtype=np.int64)
        self.batches.append(index)
        self.regs.append(float(reg))
        self.before.append(self._snapshot())
        loss, grads = self.ref_loss(self.net, X, np.asarray(y), reg)
        self.grads.append({k: np.array(v, copy=True) for k, v in grads.items()})
        self.losses.append(float(loss))
        self.label_ok.append(bool(np.array_equal(np.asarray(y), self._labels_for(index))))
        return loss, grads

    def predict(self, X: Any) -> Any:
        return self.ref_predict(self.net, X)

    def _labels_for(self, index: np.ndarray) -> np.ndarray:
        return np.where(index >= 0, self.y_full[np.clip(index, 0, None)], -1)

    def _snapshot(self) -> dict[str, np.ndarray]:
        params = self.net.params
        return {k: np.array(params[k], dtype=np.float64, copy=True) for k in PARAM_NAMES}

    def finish(self, out: ProbeOutput, name: str) -> None:
        """Write what was recorded, with the learning rate inferred per step."""
        steps = len(self.before)
        info = out.info.setdefault(name, {})
        info["loss_calls"] = steps
        if self.ignored:
            info["ignored_loss_kwargs"] = sorted(self.ignored)
        if steps == 0:
            return
        after = self.before[1:] + [self._snapshot()]
        rates = np.zeros((steps, len(PARAM_NAMES)))
        residual = np.zeros_like(rates)
        for t in range(steps):
            for j, k in enumerate(PARAM_NAMES):
                rates[t, j], residual[t, j] = _step_rate(
                    after[t][k] - self.before[t][k], self.grads[t][k])
        out.arrays[f"{name}.rates"] = rates
        out.arrays[f"{name}.residual"] = residual
        out.arrays[f"{name}.regs"] = np.array(self.regs)
        out.arrays[f"{name}.losses"] = np.array(self.losses)
        out.arrays[f"{name}.batch_sizes"] = np.array([len(b) for b in self.batches])
        out.arrays[f"{name}.labels_match"] = np.array(self.label_ok)
        out.arrays[f"{name}.rows"] = np.concatenate(self.batches)


def _step_rate(delta: np.ndarray, grad: np.ndarray) -> tuple[float, float]:
    """Least-squares ``lr`` with ``delta = -lr * grad``, and the relative misfit."""
    if delta.shape != grad.shape:
        return float("nan"), float("inf")
    g2 = float(np.sum(grad * grad))
    if g2 == 0.0:
        return float("nan"), 0.0
    lr = -float(np.sum(delta * grad)) / g2
    misfit = float(np.linalg.norm(delta + lr * grad))
    scale = max(float(np.linalg.norm(delta)), 1e-300)
    return lr, misfit / scale
