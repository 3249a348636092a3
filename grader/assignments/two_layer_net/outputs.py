"""What each of the two-layer net's probes sends back (the probe contract, :mod:`grader.contract`).

The child's probes write these fields and the judges read them; the parent
refuses any other array when it reads a probe's output.
"""

from __future__ import annotations

from ...contract import NUMBER, Field, Output

PARAMS = ("W1", "b1", "W2", "b2")
"""The network's parameters, as named in ``self.params`` and in the gradients."""

_HISTORIES = tuple(Field(k) for k in ("loss_history", "train_acc_history", "val_acc_history"))

OUTPUTS = {
    "init": Output(tuple(Field(p) for p in PARAMS)),
    "forward": Output((Field("scores"),)),
    "loss": Output((Field("loss"), *(Field(f"d{p}") for p in PARAMS),
                    *(Field(f"numeric_d{p}", ndim=2 if p.startswith("W") else 1)
                      for p in PARAMS))),
    "stability": Output((Field("loss"),)),
    "train": Output((*_HISTORIES, Field("rates", ndim=2), Field("residual", ndim=2),
                     Field("regs", NUMBER, 1), Field("losses", NUMBER, 1),
                     Field("batch_sizes", NUMBER, 1), Field("labels_match", NUMBER, 1),
                     Field("rows", NUMBER, 1))),
    "predict": Output((Field("labels"),)),
    "accuracy": Output((*_HISTORIES, *(Field(p) for p in PARAMS), Field("labels"))),
}
