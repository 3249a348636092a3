"""What each of the Softmax pack's probes sends back (the probe contract, :mod:`grader.contract`).

The pack's probes (:mod:`.probes`) return dicts keyed ``loss_0``, ``dW_0``,
...; the child stores each array as ``GROUP.KEY`` (:mod:`.sandboxed`), so
every key a probe may produce is a declared field here.
"""

from __future__ import annotations

from ...contract import NUMBER, Field, Output

MAX_CASES = 64
"""More cases than any rubric asks for (hidden cases per reg, times the regs)."""

_LOSS = tuple(Field(f"{name}_{k}") for k in range(MAX_CASES)
              for name in ("loss", "dW", "numeric"))
_RUNS = tuple(Field(f"{run}_{name}") for run in ("fresh", "preset")
              for name in ("W_before", "grads", "W_final"))

OUTPUTS = {
    "softmax_naive": Output(_LOSS),
    "softmax_vectorized": Output(_LOSS),
    "softmax_stability": Output(_LOSS),
    "softmax_train": Output(_RUNS),
    "softmax_predict": Output(tuple(Field(f"labels_{k}", NUMBER) for k in range(MAX_CASES))),
    "softmax_accuracy": Output((Field("labels", NUMBER, 1), Field("W"))),
}
