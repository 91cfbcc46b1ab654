"""Step-size rules for finite differences.

A step is given *relative*: coordinate ``x_i`` is perturbed by

    h_i = rel_i * max(1, |x_i|),   then rounded to  h_i = (x_i + h_i) - x_i,

so that ``x_i + h_i`` is exactly representable and the divided difference divides by the
step that was actually taken. The default ``rel`` for a derivative of order ``d``
computed with a stencil of accuracy order ``p`` balances truncation error ``~h^p`` against
rounding error ``~eps |f| / h^d``:

    rel = eps ** (1 / (p + d))

(central first derivative: eps^(1/3) ~ 6.1e-6; second derivative, order 2: eps^(1/4)
~ 1.2e-4; order-4 second derivative: eps^(1/6) ~ 2.5e-3).
"""

from __future__ import annotations

import numpy as np

from .._jit import jit

EPS = float(np.finfo(np.float64).eps)


def default_relative_step(derivative: int, order: int) -> float:
    """Return the default relative step ``eps ** (1 / (order + derivative))``.

    Parameters
    ----------
    derivative : int
        Order of the derivative (1 for gradients, 2 for Hessians).
    order : int
        Accuracy order of the stencil (truncation error ``O(h**order)``).

    Returns
    -------
    float
        The relative step.

    Examples
    --------
    >>> from fastopt.kernels import default_relative_step
    >>> round(default_relative_step(1, 2), 8)
    6.06e-06
    """
    return EPS ** (1.0 / (order + derivative))


@jit(cache=True)
def step_size(xi, rel):
    """Return the exactly representable absolute step for coordinate value `xi`.

    ``h = rel * max(1, |xi|)`` rounded to ``(xi + h) - xi``. Callable from njit code.

    Examples
    --------
    >>> from fastopt.kernels import step_size
    >>> step_size(0.0, 1e-3) == 1e-3
    True
    """
    h = rel * max(1.0, abs(xi))
    return (xi + h) - xi


@jit(cache=True)
def absolute_steps(points, rel, out):
    """Write the absolute step of every coordinate of every point into `out`.

    Parameters
    ----------
    points : ndarray, shape (N, n)
        Points, one per row.
    rel : ndarray, shape (n,)
        Relative step per coordinate.
    out : ndarray, shape (N, n)
        Output.

    Examples
    --------
    >>> import numpy as np
    >>> from fastopt.kernels import absolute_steps
    >>> out = np.empty((1, 2))
    >>> absolute_steps(np.array([[0.0, 4.0]]), np.array([0.5, 0.5]), out)
    >>> out
    array([[0.5, 2. ]])
    """
    for p in range(points.shape[0]):
        for i in range(points.shape[1]):
            out[p, i] = step_size(points[p, i], rel[i])
