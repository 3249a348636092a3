"""Charts as inline PNG images, drawn with matplotlib's Agg canvas.

A class of a thousand students means thousands of charts, and drawing axes,
ticks and labels is what costs: so every chart with fixed axes is drawn once
per layout (:class:`_Template`) and each student's data is then blitted onto
a copy of that background. Axis limits are rounded to a few "nice" values so
that layouts repeat. Everything here is plain numbers in, image out; which
charts a report shows is decided in :mod:`grader.report.figures`.
"""

from __future__ import annotations

import base64
import math
import struct
import threading
import zlib
from dataclasses import dataclass
from typing import Any, Callable, Literal, Sequence

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

DPI = 96
SIZE = (4.6, 2.7)
"""Inches: about 440 x 260 pixels, two charts side by side on a page."""
FLOOR = 1e-18
"""Bottom of the log-scale error charts; an error of exactly 0 is drawn at this."""
_MAX_TEMPLATES = 64
LegendPlace = Literal["upper right", "upper left", "lower right", "lower left", "best"]


@dataclass(frozen=True)
class Image:
    """An image ready for an ``<img>`` tag."""

    src: str
    """A ``data:image/png;base64,...`` URI."""
    alt: str
    """What the image shows, for screen readers and when images are off."""
    caption: str
    """Shown under the image."""
    width: int
    """CSS pixels."""
    height: int
    """CSS pixels."""
    pixelated: bool = False
    """Scale up without smoothing (weight tiles)."""


@dataclass(frozen=True)
class Series:
    """One line of a line chart."""

    label: str
    x: Sequence[float]
    y: Sequence[float]
    """May hold NaN, which breaks the line."""
    marker: str = ""


@dataclass
class _Template:
    """A figure with its static parts drawn, and the artists each chart updates."""

    figure: Figure
    canvas: Any
    """A ``FigureCanvasAgg`` (its blitting methods carry no type hints)."""
    axes: Axes
    artists: list[Any]
    background: Any


_lock = threading.Lock()
_templates: dict[tuple[Any, ...], _Template] = {}


def _template(key: tuple[Any, ...], build: Callable[[Axes], list[Any]]) -> _Template:
    template = _templates.get(key)
    if template is None:
        if len(_templates) >= _MAX_TEMPLATES:
            _templates.clear()
        figure = Figure(figsize=SIZE, dpi=DPI, layout="constrained")
        canvas: Any = FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        artists = build(axes)
        canvas.draw()
        # The layout is fixed from now on: blitting must not move the axes.
        figure.set_layout_engine("none")
        template = _Template(figure, canvas, axes, artists, canvas.copy_from_bbox(figure.bbox))
        _templates[key] = template
    return template


def _blit(template: _Template) -> str:
    """Draw the template's artists over its background; the PNG as a data URI."""
    template.canvas.restore_region(template.background)
    for artist in template.artists:
        template.axes.draw_artist(artist)
    return png_uri(np.ascontiguousarray(np.asarray(template.canvas.buffer_rgba())[:, :, :3]))


def png_uri(pixels: np.ndarray) -> str:
    """Pixels (H, W) or (H, W, 3), floats in [0, 1] or bytes, as a PNG data URI."""
    return "data:image/png;base64," + base64.b64encode(png_bytes(pixels)).decode("ascii")


def png_bytes(pixels: np.ndarray) -> bytes:
    """A PNG of gray (H, W) or RGB (H, W, 3) pixels.

    Written directly (unfiltered rows, fast deflate): for charts this is
    several times faster than an encoder that tries a filter per row, and
    as small.
    """
    if pixels.dtype != np.uint8:
        # weights that diverged to nan or inf (a student's bug) draw as black
        pixels = np.clip(np.rint(np.nan_to_num(pixels * 255)), 0, 255).astype(np.uint8)
    height, width = pixels.shape[:2]
    colour = 2 if pixels.ndim == 3 else 0
    rows = pixels.reshape(height, -1)
    data = np.concatenate([np.zeros((height, 1), np.uint8), rows], axis=1).tobytes()
    header = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(data, 1)) + _chunk(b"IEND", b""))


def _chunk(kind: bytes, body: bytes) -> bytes:
    return (struct.pack(">I", len(body)) + kind + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten >= ``value``."""
    if not value > 0 or not math.isfinite(value):
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0):
        if step * power >= value * (1 - 1e-12):
            return step * power
    return 10.0 * power


def _size(template: _Template) -> tuple[int, int]:
    width, height = template.canvas.get_width_height()
    return int(width), int(height)


def line_chart(series: Sequence[Series], *, xlabel: str, ylabel: str, xmax: float,
               ymax: float, alt: str, caption: str, reference: float | None = None,
               reference_label: str = "", legend: LegendPlace = "upper right") -> Image:
    """Lines on axes from 0 to ``xmax`` and 0 to ``ymax``, with an optional dashed level."""
    labels = tuple((s.label, s.marker) for s in series)
    key = ("line", xlabel, ylabel, xmax, ymax, reference, reference_label, labels, legend)

    def build(axes: Axes) -> list[Any]:
        axes.set(xlim=(0, xmax), ylim=(0, ymax), xlabel=xlabel, ylabel=ylabel)
        axes.grid(True, alpha=0.3)
        lines = [axes.plot([], [], label=label, marker=marker, markersize=4, animated=True)[0]
                 for label, marker in labels]
        if reference is not None:
            axes.axhline(reference, color="0.35", linestyle="--", linewidth=1,
                         label=reference_label)
        if len(labels) > 1 or reference is not None:
            axes.legend(loc=legend, fontsize="small", frameon=False)
        return lines

    with _lock:
        template = _template(key, build)
        for line, s in zip(template.artists, series):
            line.set_data(np.asarray(s.x, dtype=float), np.asarray(s.y, dtype=float))
        src = _blit(template)
        width, height = _size(template)
    return Image(src, alt, caption, width, height)


def log_bar_chart(categories: Sequence[str], groups: Sequence[tuple[str, Sequence[float | None]]],
                  levels: Sequence[float | None], *, ylabel: str, alt: str,
                  caption: str) -> Image:
    """Grouped bars on a log scale from :data:`FLOOR` to 10, a short dashed level per category.

    A value of None draws no bar; 0 draws a stub at the floor; NaN or infinity
    reaches the top.
    """
    names = tuple(name for name, _ in groups)
    key = ("bars", tuple(categories), names, ylabel)
    width = 0.8 / max(len(groups), 1)
    colours = [f"C{g}" for g in range(len(names))]

    def build(axes: Axes) -> list[Any]:
        axes.set_yscale("log")
        axes.set(ylim=(FLOOR, 10.0), xlim=(-0.6, len(categories) - 0.4), ylabel=ylabel)
        axes.set_xticks(range(len(categories)), list(categories))
        axes.grid(True, axis="y", alpha=0.3)
        # One collection per kind of mark: blitting costs per artist, not per bar.
        bars = PolyCollection([], animated=True)
        levels_ = LineCollection([], colors="black", linestyles="--", linewidths=1.2,
                                 animated=True)
        axes.add_collection(bars, autolim=False)
        axes.add_collection(levels_, autolim=False)
        handles: list[Artist] = [Patch(facecolor=c, label=n) for n, c in zip(names, colours)]
        handles.append(Line2D([], [], color="black", linestyle="--", linewidth=1.2,
                              label="tolerance"))
        axes.figure.legend(handles=handles, loc="outside lower center", fontsize="small",
                           frameon=False, ncols=3)
        return [bars, levels_]

    boxes, faces = [], []
    for g, (_, values) in enumerate(groups):
        offset = (g - (len(groups) - 1) / 2) * width
        for i, value in enumerate(values):
            if value is None:
                continue
            top = 10.0 if not math.isfinite(value) else min(max(value, FLOOR * 3), 10.0)
            left, right = i + offset - width / 2, i + offset + width / 2
            boxes.append([(left, FLOOR), (left, top), (right, top), (right, FLOOR)])
            faces.append(colours[g])
    segments = [[(i - 0.45, level), (i + 0.45, level)] for i, level in enumerate(levels)
                if level is not None]
    with _lock:
        template = _template(key, build)
        bars, lines = template.artists
        bars.set_verts(boxes)
        bars.set_facecolors(faces)
        lines.set_segments(segments)
        src = _blit(template)
        size = _size(template)
    return Image(src, alt, caption, *size)


def histogram(values: Sequence[float], *, bins: Sequence[float], xlabel: str, ylabel: str,
              alt: str, caption: str) -> Image:
    """A histogram drawn in full (one per class, so no template)."""
    figure = Figure(figsize=SIZE, dpi=DPI, layout="constrained")
    canvas: Any = FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.hist(np.asarray(values, dtype=float), bins=[float(b) for b in bins],
              color="#3b6ea5", edgecolor="white")
    axes.set(xlabel=xlabel, ylabel=ylabel)
    axes.grid(True, axis="y", alpha=0.3)
    canvas.draw()
    width, height = canvas.get_width_height()
    src = png_uri(np.asarray(canvas.buffer_rgba())[:, :, :3])
    return Image(src, alt, caption, int(width), int(height))


def tile_grid(tiles: np.ndarray, *, alt: str, caption: str, target: int = 40) -> Image:
    """Images (N, h, w) or (N, h, w, 3), each scaled to [0, 1] on its own, in a grid.

    The PNG holds one pixel per weight; the browser scales it up unsmoothed.
    """
    count, h, w = tiles.shape[:3]
    cols = max(1, min(count, round(math.sqrt(2 * count))))
    rows = -(-count // cols)
    flat = tiles.reshape(count, -1).astype(float)
    low, high = flat.min(axis=1), flat.max(axis=1)
    span = np.where(high > low, high - low, 1.0)
    scaled = ((flat - low[:, None]) / span[:, None]).reshape(tiles.shape)
    scaled[high == low] = 0.5
    grid = np.ones((rows * (h + 1) + 1, cols * (w + 1) + 1, *tiles.shape[3:]))
    for k in range(count):
        r, c = divmod(k, cols)
        grid[1 + r * (h + 1):1 + r * (h + 1) + h, 1 + c * (w + 1):1 + c * (w + 1) + w] = scaled[k]
    scale = max(1, round(target / max(h, w)))
    return Image(png_uri(grid), alt, caption, grid.shape[1] * scale, grid.shape[0] * scale,
                 pixelated=True)
