"""Finite-difference derivatives: the Python API layer.

Validation, allocation, one kernel call, wrapping. The formulas, their error orders and
the step rules are documented in :mod:`fastopt.kernels._fd` and
:mod:`fastopt.kernels._steps`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from . import kernels
from .kernels._fd import cached_stencil
from ._jit import select
from ._result import DerivativeResult, NonFiniteWarning, Status
from ._validation import (
    as_points,
    check_args,
    check_choice,
    check_objective,
    check_positive_steps,
    check_probe,
)

__all__ = ["gradient", "jacobian", "hessian"]


def _check_order(order, table, method, what):
    orders = table[method]
    if isinstance(order, bool) or order not in orders:
        raise ValueError(
            f"`order` must be one of {', '.join(map(str, orders))} for the {method!r} "
            f"{what}; got {order!r}"
        )
    return int(order)


def _prepare(f, x, args, ndim, step, jit, default_step, returns):
    points, batch_shape, pshape = as_points(x, ndim)
    args = check_args(args)
    rstep = check_positive_steps(step, pshape, default_step)
    func = check_objective(f, pshape, args, jit=jit, returns=returns)
    return func, points, batch_shape, pshape, rstep, args


def _probe(func, points, pshape, args, returns):
    """Evaluate f at the first point (pure-Python checks and the Jacobian's length)."""
    return check_probe(func(points[0].reshape(pshape).copy(), *args), returns)


def _finish(value, points, batch_shape, pshape, rstep, nfev, full_output, what):
    """Per-point status, the one summary warning, and the optional full result."""
    npoints = points.shape[0]
    if np.isfinite(value).all():
        nbad = 0
        status = np.zeros(npoints, dtype=np.int8)
    else:
        finite = np.isfinite(value.reshape(npoints, -1)).all(axis=1)
        status = np.where(finite, Status.SUCCESS, Status.NONFINITE).astype(np.int8)
        nbad = int(npoints - np.count_nonzero(finite))
    if nbad:
        warnings.warn(
            f"{what}: the objective gave NaN/inf (or the result overflowed) at {nbad} of "
            f"{npoints} points; their entries are NaN/inf, status NONFINITE",
            NonFiniteWarning,
            stacklevel=3,
        )
    if not full_output:
        return value
    steps = np.empty_like(points)
    kernels.absolute_steps(points, rstep, steps)
    return DerivativeResult(
        value=value,
        error=np.full(value.shape, np.nan),
        nfev=int(nfev),
        step=steps.reshape(batch_shape + pshape),
        status=status.reshape(batch_shape),
    )


def _run(kernel, work, jit, *arguments):
    if jit:
        noargs = len(arguments[-2]) == 0  # every batch kernel takes (..., args, out)
        select(kernel, work=work, jit=True, noargs=noargs)(*arguments)
        return
    with np.errstate(all="ignore"):
        select(kernel, work=work, jit=False)(*arguments)


def gradient(
    f: Callable,
    x,
    *,
    args: tuple = (),
    method: str = "central",
    order: int = 2,
    step=None,
    ndim: int = 1,
    jit: bool = True,
    full_output: bool = False,
):
    r"""Gradient of a scalar function by finite differences, at one point or a batch.

    Parameters
    ----------
    f : callable
        ``f(x, *args) -> float`` with ``x`` a float64 array of the point shape. A numba
        function runs at full speed; a plain Python function is compiled with numba.
        `f` must not modify ``x``.
    x : array_like
        Point(s). The trailing `ndim` axes form one point; leading axes are batch axes.
    args : tuple, optional
        Extra arguments passed to `f`.
    method : {"central", "forward", "backward"}, optional
        Difference type.
    order : int, optional
        Accuracy order: 2, 4 or 6 for ``"central"``; 1 or 2 for one-sided methods.
        Truncation error is ``O(h**order)``.
    step : float or array_like, optional
        *Relative* step, scalar or one per coordinate (point shape): coordinate ``x_i``
        is perturbed by ``step_i * max(1, |x_i|)``. Default ``eps ** (1 / (order + 1))``
        (``~6.1e-6`` for central order 2).
    ndim : int, optional
        Number of trailing axes of `x` forming one point (2 for a matrix variable).
    jit : bool, optional
        ``False`` runs the same algorithm as plain Python (slow, for objectives numba
        cannot compile); the answers are the same.
    full_output : bool, optional
        Return a :class:`DerivativeResult` instead of the array.

    Returns
    -------
    ndarray or DerivativeResult
        The gradient, with the shape of `x`.

    Notes
    -----
    Central differences, order 2:
    :math:`\partial_i f \approx (f(x + h_i e_i) - f(x - h_i e_i)) / (2 h_i)`, error
    :math:`O(h^2)`, 2 evaluations per coordinate. One-sided stencils share ``f(x)``. Every
    stencil is listed in :mod:`fastopt.kernels._fd`. Points where `f` is NaN/inf give NaN
    entries, status ``NONFINITE`` and one :class:`NonFiniteWarning`.

    Examples
    --------
    >>> import numpy as np
    >>> import fastopt
    >>> def f(x):
    ...     return x[0] ** 2 + 3.0 * x[0] * x[1]
    >>> np.round(fastopt.gradient(f, [1.0, 2.0]), 6)
    array([8., 3.])
    >>> fastopt.gradient(f, np.zeros((5, 2))).shape  # a batch of 5 points
    (5, 2)
    """
    method = check_choice("method", method, tuple(kernels.GRADIENT_ORDERS))
    order = _check_order(order, kernels.GRADIENT_ORDERS, method, "gradient")
    default = kernels.default_relative_step(1, order)
    func, points, batch_shape, pshape, rstep, args = _prepare(
        f, x, args, ndim, step, jit, default, "scalar"
    )
    st = cached_stencil(method, order)
    npoints, n = points.shape
    nonzero = int(np.count_nonzero(st[0]))
    nfev = npoints * (n * nonzero + (nonzero < st.shape[1]))
    if not jit:
        _probe(func, points, pshape, args, "scalar")
        nfev += 1
    out = np.empty_like(points)
    _run(kernels.gradient_batch, nfev * n, jit, func, points, pshape, rstep, st, args, out)
    value = out.reshape(batch_shape + pshape)
    return _finish(value, points, batch_shape, pshape, rstep, nfev, full_output, "gradient")


def jacobian(
    f: Callable,
    x,
    *,
    args: tuple = (),
    method: str = "central",
    order: int = 2,
    step=None,
    ndim: int = 1,
    jit: bool = True,
    full_output: bool = False,
):
    """Jacobian of a vector function by finite differences, at one point or a batch.

    Parameters
    ----------
    f : callable
        ``f(x, *args) -> 1-D array`` of length ``m``.
    x, args, method, order, step, ndim, jit, full_output
        As for :func:`gradient`.

    Returns
    -------
    ndarray or DerivativeResult
        Shape ``batch_shape + (m,) + point_shape``: entry ``[..., k, i]`` is
        ``d f_k / d x_i``.

    Notes
    -----
    One evaluation at the first point determines ``m`` (counted in ``nfev``). If `f`
    returns an array of another length at some point, the affected entries are NaN.

    Examples
    --------
    >>> import numpy as np
    >>> import fastopt
    >>> def F(x):
    ...     return np.array([x[0] * x[1], np.sin(x[0])])
    >>> np.round(fastopt.jacobian(F, [0.0, 2.0]), 6)
    array([[2., 0.],
           [1., 0.]])
    """
    method = check_choice("method", method, tuple(kernels.GRADIENT_ORDERS))
    order = _check_order(order, kernels.GRADIENT_ORDERS, method, "jacobian")
    default = kernels.default_relative_step(1, order)
    func, points, batch_shape, pshape, rstep, args = _prepare(
        f, x, args, ndim, step, jit, default, "vector"
    )
    m = _probe(func, points, pshape, args, "vector").shape[0]
    if m == 0:
        raise ValueError("`f` returned an empty array; jacobian needs at least one output")
    st = cached_stencil(method, order)
    npoints, n = points.shape
    nonzero = int(np.count_nonzero(st[0]))
    nfev = 1 + npoints * (n * nonzero + (nonzero < st.shape[1]))
    out = np.empty((npoints, m, n))
    _run(kernels.jacobian_batch, nfev * n, jit, func, points, pshape, rstep, st, args, out)
    value = out.reshape(batch_shape + (m,) + pshape)
    return _finish(value, points, batch_shape, pshape, rstep, nfev, full_output, "jacobian")


def hessian(
    f: Callable,
    x,
    *,
    args: tuple = (),
    method: str = "central",
    order: int = 2,
    step=None,
    ndim: int = 1,
    jit: bool = True,
    full_output: bool = False,
):
    r"""Dense Hessian of a scalar function by finite differences, exactly symmetric.

    Parameters
    ----------
    f, x, args, step, ndim, jit, full_output
        As for :func:`gradient`. The default relative step is ``eps ** (1 / (order + 2))``
        (``~1.2e-4`` for order 2).
    method : {"central"}, optional
        Difference type.
    order : {2, 4}, optional
        Accuracy order.

    Returns
    -------
    ndarray or DerivativeResult
        Shape ``batch_shape + point_shape + point_shape``.

    Notes
    -----
    Order 2 uses ``n**2 + n + 1`` evaluations per point:
    :math:`H_{ii} = (f_{+i} - 2 f_0 + f_{-i}) / h_i^2` and
    :math:`H_{ij} = (f_{+i+j} - f_{+i} - f_{+j} + 2 f_0 - f_{-i} - f_{-j} + f_{-i-j})
    / (2 h_i h_j)`, both with error :math:`O(h^2)`. Order 4 uses ``4 n**2 + 1``
    evaluations (five-point diagonal, Richardson-combined cross differences). Only the
    upper triangle is computed, then mirrored.

    Examples
    --------
    >>> import numpy as np
    >>> import fastopt
    >>> def f(x):
    ...     return x[0] ** 2 - x[1] ** 2 + x[0] * x[1]
    >>> np.round(fastopt.hessian(f, [0.3, -0.2]), 6)
    array([[ 2.,  1.],
           [ 1., -2.]])
    """
    method = check_choice("method", method, tuple(kernels.HESSIAN_ORDERS))
    order = _check_order(order, kernels.HESSIAN_ORDERS, method, "hessian")
    default = kernels.default_relative_step(2, order)
    func, points, batch_shape, pshape, rstep, args = _prepare(
        f, x, args, ndim, step, jit, default, "scalar"
    )
    npoints, n = points.shape
    per_point = n * n + n + 1 if order == 2 else 4 * n * n + 1
    nfev = npoints * per_point
    if not jit:
        _probe(func, points, pshape, args, "scalar")
        nfev += 1
    out = np.empty((npoints, n, n))
    _run(kernels.hessian_batch, nfev * n, jit, func, points, pshape, rstep, order, args, out)
    value = out.reshape(batch_shape + pshape + pshape)
    return _finish(value, points, batch_shape, pshape, rstep, nfev, full_output, "hessian")
