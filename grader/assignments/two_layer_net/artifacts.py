"""Files the two-layer net's probes leave for the reports (see ``ProbeDef.keep``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import numpy as np

from ...datasets import Dataset
from .checks import FIRST_LAYER


def save_first_layer(folder: Path, arrays: Mapping[str, Any], dataset: Dataset | None) -> None:
    """The trained network's first-layer weights, drawn as images in the report."""
    W1 = arrays.get("run.W1")
    if dataset is None or W1 is None:
        return
    image_shape = dataset.image_shape
    if W1.ndim != 2 or W1.shape[0] != int(np.prod(image_shape)):
        return
    from .figures import MAX_TILES

    folder.mkdir(parents=True, exist_ok=True)
    # Only what the report draws: a network may claim hundreds of thousands of units.
    np.savez_compressed(folder / FIRST_LAYER, W1=W1[:, :MAX_TILES],
                        image_shape=np.array(image_shape), hidden_units=np.array(W1.shape[1]))
