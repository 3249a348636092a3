"""The two-layer net's own report figures (the pack's ``FIGURES``): the gradients' errors
and the trained network's first-layer weights (the file :mod:`.artifacts` keeps)."""

from __future__ import annotations

import logging
import math
import zipfile
from pathlib import Path
from typing import Mapping

import numpy as np

from ...report import plots
from ...report.figures import check_metrics, numbers
from ...report.plots import Image
from ...results import SubmissionResult
from ...syntax import one_at_a_time
from .checks import FIRST_LAYER
from .outputs import PARAMS

logger = logging.getLogger(__name__)

MAX_TILES = 1024
"""Hidden units drawn of the first layer: a student's network may claim hundreds of
thousands, which would cost the parent gigabytes and the report tens of MB."""


def gradient_errors(result: SubmissionResult, folder: Path) -> Image | None:
    """Largest relative error of each gradient, against the reference and the own loss."""
    params = [p for p in PARAMS if any(c.id == f"grad_{p}" for c in result.checks)]
    if not params:
        return None
    worst, own, levels = [], [], []
    for param in params:
        metrics = check_metrics(result, f"grad_{param}")
        cases = [c for c in metrics.get("cases", []) if isinstance(c, Mapping)]
        errors = numbers([c.get("error") for c in cases if "error" in c])
        worst.append(max(errors, key=_sort_key) if errors else None)
        own_error = numbers([metrics.get("own_loss_rel_error")])
        own.append(own_error[0] if "own_loss_rel_error" in metrics else None)
        tolerances = numbers([c.get("tolerance") for c in cases if "tolerance" in c])
        levels.append(tolerances[0] if tolerances else None)
    if all(v is None for v in worst + own):
        return None
    described = ", ".join(f"{p} {_sci(v)}" for p, v in zip(params, worst))
    tolerance = next((t for t in levels if t is not None), None)
    alt = (f"Bar chart on a log scale of the largest relative error of each gradient against "
           f"the reference: {described}"
           + (f"; the tolerance is {tolerance:g}." if tolerance is not None else "."))
    return plots.log_bar_chart(
        params, [("vs reference", worst), ("vs your own loss", own)], levels,
        ylabel="relative error", alt=alt,
        caption="Largest relative error of each gradient (log scale), against the reference "
                "and against a numerical gradient of your own loss; dashed: the tolerance. "
                "Bars at the bottom are 0; a missing bar had nothing to compare.")


def _sort_key(value: float) -> float:
    return math.inf if math.isnan(value) else value


def _sci(value: float | None) -> str:
    return "no value" if value is None else f"{value:.1e}"


def first_layer(result: SubmissionResult, folder: Path) -> Image | None:
    """The figure of the first-layer weights kept beside ``result`` (see :mod:`.artifacts`)."""
    return first_layer_weights(folder)


def first_layer_weights(folder: Path) -> Image | None:
    """The trained network's first-layer weights, one image tile per hidden unit."""
    path = folder / FIRST_LAYER
    if not path.exists():
        return None
    try:
        with one_at_a_time(), np.load(path, allow_pickle=False) as npz:
            W1, shape = np.asarray(npz["W1"]), tuple(int(s) for s in npz["image_shape"])
            total = int(npz["hidden_units"]) if "hidden_units" in npz.files else W1.shape[1]
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        logger.warning("cannot read %s: %s", path, exc)
        return None
    if W1.ndim != 2 or W1.shape[0] != math.prod(shape) or not W1.shape[1]:
        return None
    shown = min(W1.shape[1], MAX_TILES)
    tiles = W1[:, :shown].T.reshape(shown, *shape)
    size = "x".join(map(str, shape[:2]))
    colour = "colour" if len(shape) == 3 else "grayscale"
    count = str(shown) if shown == total else f"first {shown} of the {total}"
    alt = (f"The {count} first-layer weight vectors of your trained network, each shown "
           f"as a {size} {colour} image scaled to its own range.")
    return plots.tile_grid(tiles, alt=alt, caption="First-layer weights of your trained "
                           "network, one tile per hidden unit.")
