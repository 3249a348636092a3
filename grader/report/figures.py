"""Which charts a report shows, read from a stored result and the files beside it.

The charts any assignment's checks feed are here; a pack adds its own (its
``FIGURES``, see :class:`grader.checkdef.Pack`). Each function returns an
:class:`~grader.report.plots.Image` with alt text that states what the chart
shows in numbers, or None when the result holds nothing to draw (the check
errored, or was left out of the student view).
"""

from __future__ import annotations

import base64
import math
import statistics
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from ..checkdef import pack, resolve
from ..resources import pack_names
from ..results import ASSIGNMENT, SubmissionResult
from . import plots
from .plots import Image, Series
from .store import FIGURES

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_MAX_NOTEBOOK_FIGURES = 20


def report_figures(result: SubmissionResult, folder: Path) -> list[Image]:
    """The charts of one submission's report, in the order shown."""
    images = [accuracy_run_loss(result), accuracy_per_epoch(result), toy_run_loss(result)]
    images += [figure(result, folder) for figure in _pack_figures(result)]
    return [image for image in images if image is not None]


Figure = Callable[[SubmissionResult, Path], Image | None]


def _pack_figures(result: SubmissionResult) -> list[Figure]:
    """The figures of the pack that graded ``result``. A result stored before results named
    their assignment gets every shipped pack's (each draws nothing it has nothing of)."""
    kind = result.info.get(ASSIGNMENT)
    names = pack_names()
    if kind is not None:
        names = tuple(n for n in names if n == kind)
    return [resolve(ref) for name in names for ref in pack(name).figures]


def check_metrics(result: SubmissionResult, check_id: str) -> Mapping[str, Any]:
    """The metrics of check ``check_id`` (empty when the result has no such check)."""
    for check in result.checks:
        if check.id == check_id:
            return check.metrics
    return {}


def numbers(values: Any) -> list[float]:
    """JSON numbers as floats; ``"nan"``, ``"inf"`` become floats, anything else NaN."""
    if not isinstance(values, (list, tuple)):
        return []
    out = []
    for value in values:
        try:
            out.append(float(value))
        except (TypeError, ValueError):
            out.append(math.nan)
    return out


def _finite(values: Sequence[float]) -> list[float]:
    return [v for v in values if math.isfinite(v)]


def _loss_chart(history: list[float], step: int, what: str, caption: str) -> Image | None:
    finite = _finite(history)
    if not finite:
        return None
    x = [i * step for i in range(len(history))]
    diverged = "" if len(finite) == len(history) else (
        f" {len(history) - len(finite)} values were not finite and are left out.")
    alt = (f"Line chart of the training loss over {len(history) * step} iterations of "
           f"{what}: it starts at {finite[0]:.3g}, ends at {finite[-1]:.3g} and is lowest "
           f"at {min(finite):.3g}.{diverged}")
    return plots.line_chart([Series("loss", x, history)], xlabel="iteration", ylabel="loss",
                            xmax=max(1, len(history) * step),
                            ymax=plots.nice_ceiling(max(finite) * 1.05), alt=alt,
                            caption=caption + diverged)


def accuracy_run_loss(result: SubmissionResult) -> Image | None:
    """The loss history of the accuracy check's training run."""
    metrics = check_metrics(result, "accuracy")
    history = numbers(metrics.get("loss_history"))
    step = int(metrics.get("loss_history_step") or 1)
    note = f" (every {step}th iteration)" if step > 1 else ""
    return _loss_chart(history, step, "the accuracy check's training run",
                       f"Training loss of your network on {metrics.get('dataset', 'the data')}"
                       f"{note}.")


def toy_run_loss(result: SubmissionResult) -> Image | None:
    """The loss history of the train check's run on the toy problem."""
    toy = check_metrics(result, "train").get("toy")
    if not isinstance(toy, Mapping):
        return None
    return _loss_chart(numbers(toy.get("loss_history")), 1, "the train check's toy run",
                       "Training loss of your train() on the toy problem (reference loss).")


def accuracy_per_epoch(result: SubmissionResult) -> Image | None:
    """Training and validation accuracy per epoch, with the threshold."""
    metrics = check_metrics(result, "accuracy")
    train = numbers(metrics.get("train_acc_history"))
    val = numbers(metrics.get("val_acc_history"))
    if not _finite(train + val):
        return None
    threshold = metrics.get("threshold")
    level = float(threshold) if isinstance(threshold, (int, float)) else None
    epochs = max(len(train), len(val))
    series = [Series("train", range(1, len(train) + 1), train, "o"),
              Series("validation", range(1, len(val) + 1), val, "s")]
    ends = "; ".join(f"{s.label} ends at {s.y[-1]:.3f}" for s in series if s.y)
    needs = f", against a threshold of {level:.2f} (dashed)" if level is not None else ""
    alt = f"Line chart of accuracy per epoch over {epochs} epochs: {ends}{needs}."
    return plots.line_chart(series, xlabel="epoch", ylabel="accuracy", xmax=epochs + 0.5,
                            ymax=max(1.0, plots.nice_ceiling(max(_finite(train + val)))),
                            alt=alt, caption="Accuracy per epoch during the accuracy run.",
                            reference=level, reference_label="threshold", legend="lower right")


def notebook_figures(folder: Path) -> list[Image]:
    """The PNG figures a notebook submission produced (``<id>/figures/*.png``)."""
    images = []
    for path in sorted((folder / FIGURES).glob("*.png"))[:_MAX_NOTEBOOK_FIGURES]:
        data = path.read_bytes()
        if not data.startswith(_PNG_SIGNATURE) or len(data) < 24:
            continue
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        src = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
        images.append(Image(src, f"A figure your notebook drew ({path.stem}).",
                            path.stem, width, height))
    return images


def score_histogram(scores: Sequence[float], max_score: float) -> Image | None:
    """How the class's scores spread, in 20 bins from 0 to the maximum."""
    if not scores:
        return None
    top = max_score if max_score > 0 else max(max(scores), 1.0)
    bins = [top * i / 20 for i in range(21)]
    full = sum(1 for s in scores if s >= top)
    alt = (f"Histogram of the scores of {len(scores)} submissions from 0 to {top:g} points: "
           f"median {statistics.median(scores):g}, {full} with full marks.")
    return plots.histogram(scores, bins=bins, xlabel="points", ylabel="submissions", alt=alt,
                           caption="Scores of the class.")


def time_histogram(seconds: Sequence[float]) -> Image | None:
    """How long grading took per submission."""
    if not seconds:
        return None
    top = plots.nice_ceiling(max(seconds))
    alt = (f"Histogram of the grading time of {len(seconds)} submissions: median "
           f"{statistics.median(seconds):.2f} s, longest {max(seconds):.2f} s.")
    return plots.histogram(seconds, bins=[top * i / 20 for i in range(21)], xlabel="seconds",
                           ylabel="submissions", alt=alt,
                           caption="Grading time per submission.")
