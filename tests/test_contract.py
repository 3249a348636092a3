"""The probe contract: the parent refuses a probe output holding anything undeclared."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from grader import hostile
from grader.assignments.two_layer_net.outputs import OUTPUTS
from grader.checkdef import pack
from grader.errors import UnsafeOutput


def _npz(folder: Path, **arrays: np.ndarray) -> str:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    (folder / "out.npz").write_bytes(buffer.getvalue())
    return "out.npz"


def test_declared_outputs_are_read(tmp_path: Path) -> None:
    rel = _npz(tmp_path, **{"toy.loss": np.float64(1.5), "toy.dW1": np.ones((3, 4)),
                            "numeric@0.numeric_dW1": np.ones((3, 4))})
    arrays = hostile.read_npz(tmp_path, rel, declared=OUTPUTS["loss"].problem)
    assert set(arrays) == {"toy.loss", "toy.dW1", "numeric@0.numeric_dW1"}


@pytest.mark.parametrize(("arrays", "reason"), [
    ({"toy.loss": np.float64(1.0), "toy.expected_loss": np.float64(1.0)}, "not an output"),
    ({"toy.loss": np.array([1, 2])}, "int64"),
    ({"numeric@0.numeric_db1": np.ones((2, 2))}, "2 dimensions, not 1"),
])
def test_undeclared_or_mistyped_outputs_are_refused(tmp_path: Path, arrays: dict[str, np.ndarray],
                                                    reason: str) -> None:
    rel = _npz(tmp_path, **arrays)
    with pytest.raises(UnsafeOutput, match=reason):
        hostile.read_npz(tmp_path, rel, declared=OUTPUTS["loss"].problem)


def test_every_probe_of_the_pack_declares_its_output() -> None:
    declared = pack("two_layer_net")
    assert {p.kind for p in declared.probes.values() if p.output is not None} == set(declared.probes)
    assert {c.probe for c in declared.checks.values() if c.probe} <= set(declared.probes)
