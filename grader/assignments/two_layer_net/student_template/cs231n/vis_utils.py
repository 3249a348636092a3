"""Show many small images (e.g. first-layer weights) at once."""

import math

import numpy as np


def visualize_grid(Xs, ubound=255.0, padding=1):
    """Tile a batch of images into one image, as close to square as possible.

    Each image is rescaled on its own so that its smallest value maps to 0 and
    its largest to ``ubound`` (a constant image becomes all zeros). Images are
    laid out row by row, separated by ``padding`` pixels of zeros; unused
    cells of the last row stay zero.

    Args:
        Xs: array (N, H, W, C) of colour images or (N, H, W) of grey ones.
        ubound: the value the brightest pixel of each image is scaled to.
        padding: gap, in pixels, between neighbouring images.

    Returns:
        An array (G*H + (G-1)*padding, G*W + (G-1)*padding[, C]) with
        G = ceil(sqrt(N)), values in [0, ubound].
    """
    Xs = np.asarray(Xs, dtype=np.float64)
    if Xs.ndim not in (3, 4):
        raise ValueError(f"expected an (N, H, W) or (N, H, W, C) array, got shape {Xs.shape}")
    N, H, W = Xs.shape[:3]
    cells = int(math.ceil(math.sqrt(N)))
    grid_shape = (cells * H + (cells - 1) * padding, cells * W + (cells - 1) * padding) + Xs.shape[3:]
    grid = np.zeros(grid_shape)
    for n in range(N):
        row, col = divmod(n, cells)
        top, left = row * (H + padding), col * (W + padding)
        image = Xs[n]
        low, high = image.min(), image.max()
        if high > low:
            grid[top : top + H, left : left + W] = ubound * (image - low) / (high - low)
    return grid
