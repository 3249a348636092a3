"""Numerical gradients, for checking the analytic gradients of your network."""

import numpy as np


def eval_numerical_gradient(f, x, verbose=True, h=1e-5):
    """Estimate the gradient of a scalar function ``f`` at ``x`` by centred differences.

    Each entry is ``(f(x + h e_i) - f(x - h e_i)) / (2 h)``. ``x`` is changed in
    place while probing (which is why ``f`` may read it through a closure, e.g.
    ``lambda W: net.loss(X, y)[0]``) and restored exactly afterwards.

    Args:
        f: function of one argument returning a float.
        x: float numpy array; the point at which to take the gradient.
        verbose: print each index and its estimated partial derivative.
        h: step size.

    Returns:
        An array shaped like ``x`` holding the numerical gradient.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        index = it.multi_index
        saved = x[index]
        x[index] = saved + h
        f_plus = f(x)
        x[index] = saved - h
        f_minus = f(x)
        x[index] = saved
        grad[index] = (f_plus - f_minus) / (2 * h)
        if verbose:
            print(index, grad[index])
        it.iternext()
    return grad


def rel_error(x, y):
    """Largest elementwise relative error ``|x - y| / max(1e-8, |x| + |y|)``."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))
