r"""Directional derivatives and Hessian-vector products: the Python API layer.

Validation, allocation, one kernel call, wrapping. The formulas, error orders and the
step rule are documented in :mod:`fastopt.kernels._directional` and docs/checking.md.

Directions are batched like points: a direction of the point shape is shared by every
point of the batch, a direction of x's full shape gives one direction per point.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from ._jit import select
from ._result import DirectionalResult, NonFiniteWarning, Status
from ._validation import (
    as_directions,
    as_points,
    check_args,
    check_derivative_function,
    check_derivative_value,
    check_objective,
    check_positive_float,
    check_probe,
)
from .kernels import _directional as kd

__all__ = [
    "directional_curvature",
    "directional_derivative",
    "hvp",
    "second_directional_derivative",
    "FIRST_STEP",
    "SECOND_STEP",
]

EPS = float(np.finfo(np.float64).eps)
#: Default relative step of first directional derivatives (central, O(h^2)): eps^(1/3).
FIRST_STEP = EPS ** (1.0 / 3.0)
#: Default relative step of second directional derivatives (O(h^2)): eps^(1/4).
SECOND_STEP = EPS ** (1.0 / 4.0)


def run_kernel(kernel, work, jit, noargs, *arguments):
    """Run the parallel, serial or pure-Python build of `kernel` (see :func:`select`)."""
    if jit:
        select(kernel, work=work, jit=True, noargs=noargs)(*arguments)
        return
    with np.errstate(all="ignore"):
        select(kernel, work=work, jit=False)(*arguments)


def _setup(f, x, args, ndim, step, jit, default):
    points, batch_shape, pshape = as_points(x, ndim)
    args = check_args(args)
    rel = default if step is None else check_positive_float("step", step)
    func = check_objective(f, pshape, args, jit=jit, returns="scalar")
    nfev = 0
    if not jit:  # pure Python: check what f returns on one probe evaluation
        with np.errstate(all="ignore"):
            value = func(points[0].reshape(pshape).copy(), *args)
        check_probe(value, "scalar")
        nfev = 1
    return func, points, batch_shape, pshape, args, rel, nfev


def _status(value, npoints, what):
    """Per-point status and the one summary warning."""
    if np.isfinite(value).all():
        return np.zeros(npoints, dtype=np.int8)
    finite = np.isfinite(value.reshape(npoints, -1)).all(axis=1)
    nbad = int(npoints - np.count_nonzero(finite))
    warnings.warn(
        f"{what}: the objective gave NaN/inf (or the result overflowed) at {nbad} of "
        f"{npoints} points; their entries are NaN/inf, status NONFINITE",
        NonFiniteWarning,
        stacklevel=3,
    )
    return np.where(finite, Status.SUCCESS, Status.NONFINITE).astype(np.int8)


def _steps(points, dirs, rel, batch_shape):
    t = np.empty(points.shape[0])
    kd.directional_steps(points, dirs, rel, t)
    return t.reshape(batch_shape)[()]


def _finish(value, points, batch_shape, what, full_output, nfev, ngev, step, cross_step):
    status = _status(value, points.shape[0], what)
    if not full_output:
        return value
    return DirectionalResult(
        value=value,
        nfev=int(nfev),
        ngev=int(ngev),
        step=step(),
        cross_step=cross_step() if cross_step is not None else None,
        status=status.reshape(batch_shape),
    )


def directional_derivative(
    f: Callable,
    x,
    v,
    *,
    args: tuple = (),
    step: float | None = None,
    ndim: int = 1,
    jit: bool = True,
    full_output: bool = False,
):
    r"""Directional derivative :math:`D_v f(x) = \langle \nabla f(x), v \rangle`.

    Central difference along `v`: exactly 2 evaluations per point, error :math:`O(h^2)`.

    Parameters
    ----------
    f : callable
        ``f(x, *args) -> float`` with ``x`` a float64 array of the point shape. A numba
        function runs at full speed; a plain Python function is compiled with numba.
        `f` must not modify ``x``.
    x : array_like
        Point(s). The trailing `ndim` axes form one point; leading axes are batch axes.
    v : array_like
        Direction: the point shape (shared by every point) or x's full shape (one per
        point). Nonzero and finite; not normalised (the result is linear in `v`).
    args : tuple, optional
        Extra arguments passed to `f`.
    step : float, optional
        Relative step ``rel``: the point moves by ``+-h v / ||v||_inf`` with
        ``h = rel * max(1, max{|x_j| : v_j != 0})``. Default ``eps**(1/3)`` (~6.1e-6).
    ndim : int, optional
        Number of trailing axes of `x` forming one point (2 for a matrix variable).
    jit : bool, optional
        ``False`` runs the same algorithm as plain Python (same answers).
    full_output : bool, optional
        Return a :class:`DirectionalResult` instead of the value.

    Returns
    -------
    float, ndarray or DirectionalResult
        One value per point: a float for one point, else an array of the batch shape.

    Notes
    -----
    :math:`D_v f \approx (f(x + d) - f(x - d)) / (2h) \cdot \|v\|_\infty` with
    :math:`d = h v / \|v\|_\infty`; truncation error
    :math:`h^2 D^3 f[\hat v, \hat v, \hat v] \|v\|_\infty / 6`, rounding error
    :math:`\sim \epsilon |f| \|v\|_\infty / h`. Exact for quadratics up to rounding.
    ``nfev = 2 N`` (+1 probe with ``jit=False``).

    Examples
    --------
    >>> import numpy as np
    >>> import fastopt
    >>> def f(x):
    ...     return x[0] ** 2 + 3.0 * x[0] * x[1]
    >>> round(float(fastopt.directional_derivative(f, [1.0, 2.0], [1.0, 1.0])), 6)
    11.0
    >>> fastopt.directional_derivative(f, np.ones((4, 2)), [0.0, 1.0]).shape  # batch
    (4,)
    """
    func, points, batch_shape, pshape, args, rel, nfev = _setup(
        f, x, args, ndim, step, jit, FIRST_STEP
    )
    dirs = as_directions("v", v, batch_shape, pshape)
    npoints, n = points.shape
    nfev += 2 * npoints
    out = np.empty(npoints)
    run_kernel(kd.directional_derivative_batch, nfev * n, jit, not args,
               func, points, pshape, dirs, rel, args, out)
    value = out.reshape(batch_shape)[()]
    return _finish(value, points, batch_shape, "directional_derivative", full_output, nfev, 0,
                   lambda: _steps(points, dirs, rel, batch_shape), None)


def directional_curvature(
    f: Callable,
    x,
    u,
    *,
    args: tuple = (),
    step: float | None = None,
    ndim: int = 1,
    jit: bool = True,
    full_output: bool = False,
):
    r"""Curvature of `f` along `u`: :math:`\langle u, H(x) u \rangle / \|u\|_2^2`.

    Second central difference along `u`: 3 evaluations per point, error :math:`O(h^2)`.

    Parameters
    ----------
    f, x, args, ndim, jit, full_output
        As for :func:`directional_derivative`.
    u : array_like
        Direction (point shape, or x's full shape for one per point); nonzero.
    step : float, optional
        Relative step (same rule as :func:`directional_derivative`). Default
        ``eps**(1/4)`` (~1.2e-4).

    Returns
    -------
    float, ndarray or DirectionalResult
        One value per point (batch shape). Invariant under scaling of `u`.

    Notes
    -----
    :math:`(f(x + d) + f(x - d) - 2 f(x)) / (h^2 \|\hat u\|_2^2)` with
    :math:`\hat u = u / \|u\|_\infty`, :math:`d = h \hat u`; truncation error
    :math:`h^2 D^4 f[\hat u^4] / (12 \|\hat u\|_2^2)`, rounding :math:`\sim \epsilon |f| / h^2`.
    Symmetric: the same value for `u` and `-u`. ``nfev = 3 N``.

    Examples
    --------
    >>> import numpy as np
    >>> import fastopt
    >>> def f(x):
    ...     return x[0] ** 2 - 3.0 * x[1] ** 2
    >>> round(float(fastopt.directional_curvature(f, [0.5, 0.5], [1.0, 1.0])), 6)
    -2.0
    """
    func, points, batch_shape, pshape, args, rel, nfev = _setup(
        f, x, args, ndim, step, jit, SECOND_STEP
    )
    dirs = as_directions("u", u, batch_shape, pshape)
    npoints, n = points.shape
    nfev += 3 * npoints
    out = np.empty(npoints)
    run_kernel(kd.directional_curvature_batch, nfev * n, jit, not args,
               func, points, pshape, dirs, rel, args, out)
    value = out.reshape(batch_shape)[()]
    return _finish(value, points, batch_shape, "directional_curvature", full_output, nfev, 0,
                   lambda: _steps(points, dirs, rel, batch_shape), None)


def second_directional_derivative(
    f: Callable,
    x,
    u,
    v,
    *,
    args: tuple = (),
    step: float | None = None,
    ndim: int = 1,
    jit: bool = True,
    full_output: bool = False,
):
    r"""Second directional derivative :math:`\langle u, H(x) v \rangle`.

    Four-point cross difference along `u` and `v`: 4 evaluations per point, error
    :math:`O(h^2)`, exactly symmetric in `u` and `v`.

    Parameters
    ----------
    f, x, args, ndim, jit, full_output
        As for :func:`directional_derivative`.
    u, v : array_like
        Directions (each the point shape or x's full shape); nonzero.
    step : float, optional
        Relative step for both directions (rule of :func:`directional_derivative`).
        Default ``eps**(1/4)`` (~1.2e-4).

    Returns
    -------
    float, ndarray or DirectionalResult
        One value per point (batch shape). Bilinear in `u` and `v`.

    Notes
    -----
    With :math:`a = h_u u / \|u\|_\infty`, :math:`b = h_v v / \|v\|_\infty`:

    .. math::

        \langle u, H v \rangle \approx
        \frac{f(x+a+b) + f(x-a-b) - f(x+a-b) - f(x-a+b)}{4 h_u h_v}
        \|u\|_\infty \|v\|_\infty

    Truncation error :math:`(h_u^2 D^4 f[\hat u,\hat u,\hat u,\hat v] + h_v^2
    D^4 f[\hat u,\hat v,\hat v,\hat v]) \|u\|_\infty \|v\|_\infty / 6` (no third
    derivatives), rounding :math:`\sim \epsilon |f| / (h_u h_v)`. ``nfev = 4 N``.

    Examples
    --------
    >>> import numpy as np
    >>> import fastopt
    >>> def f(x):
    ...     return x[0] * x[1] + x[1] ** 2
    >>> round(float(fastopt.second_directional_derivative(f, [0.1, 0.2], [1, 0], [1, 1])), 6)
    1.0
    """
    func, points, batch_shape, pshape, args, rel, nfev = _setup(
        f, x, args, ndim, step, jit, SECOND_STEP
    )
    udirs = as_directions("u", u, batch_shape, pshape)
    vdirs = as_directions("v", v, batch_shape, pshape)
    npoints, n = points.shape
    nfev += 4 * npoints
    out = np.empty(npoints)
    run_kernel(kd.second_directional_batch, nfev * n, jit, not args,
               func, points, pshape, udirs, vdirs, rel, args, out)
    value = out.reshape(batch_shape)[()]
    return _finish(value, points, batch_shape, "second_directional_derivative", full_output,
                   nfev, 0, lambda: _steps(points, vdirs, rel, batch_shape),
                   lambda: _steps(points, udirs, rel, batch_shape))


def hvp(
    f: Callable,
    x,
    v,
    *,
    args: tuple = (),
    grad: Callable | None = None,
    step: float | None = None,
    ndim: int = 1,
    jit: bool = True,
    full_output: bool = False,
):
    r"""Hessian-vector product :math:`H(x) v` without forming the Hessian.

    Parameters
    ----------
    f : callable
        ``f(x, *args) -> float`` (not called when `grad` is given).
    x : array_like
        Point(s); the trailing `ndim` axes form one point.
    v : array_like
        Direction: the point shape (shared) or x's full shape (one per point); nonzero.
    args : tuple, optional
        Extra arguments passed to `f` and `grad`.
    grad : callable, optional
        The exact gradient ``grad(x, *args) -> array of the point shape``. Then
        :math:`Hv` is a central difference of `grad` along `v`: 2 gradient calls per
        point (+1 probe call that checks the shape).
    step : float, optional
        Relative step. Along `v`: ``h = step * max(1, max{|x_j| : v_j != 0})``
        (displacement ``+-h v / ||v||_inf``); along each axis ``e_i`` (without `grad`):
        ``h_i = step * max(1, |x_i|)``. Default ``eps**(1/4)`` (~1.2e-4) without `grad`,
        ``eps**(1/3)`` (~6.1e-6) with `grad`.
    ndim, jit, full_output
        As for :func:`directional_derivative`.

    Returns
    -------
    ndarray or DirectionalResult
        :math:`H v`, with the shape of `x`.

    Notes
    -----
    Without `grad`, entry ``i`` is the four-point cross difference along ``e_i`` and
    `v` (see :func:`second_directional_derivative`; bitwise equal to it with
    ``u = e_i``). This is the central difference along `v` of the central
    finite-difference gradient,
    :math:`(g(x + b) - g(x - b)) / (2 h_v) \cdot \|v\|_\infty` with
    :math:`g_i(y) = (f(y + h_i e_i) - f(y - h_i e_i)) / (2 h_i)`: ``4 n`` evaluations per
    point, error :math:`O(h_i^2 + h_v^2)` (fourth derivatives, no third), rounding
    :math:`\sim \epsilon |f| / (h_i h_v)`. The dense order-2 Hessian costs
    ``n^2 + n + 1``.

    With `grad`: :math:`(g(x + d) - g(x - d)) / (2h) \cdot \|v\|_\infty`, error
    :math:`O(h^2)` (third derivatives of `g`), rounding :math:`\sim \epsilon |g| / h`.
    Both are exact for quadratics up to rounding. ``nfev`` counts calls of `f`,
    ``ngev`` calls of `grad`.

    Examples
    --------
    >>> import numpy as np
    >>> import fastopt
    >>> def f(x):
    ...     return x[0] ** 2 * x[1] + np.sin(x[1])
    >>> x, v = np.array([1.0, 0.0]), np.array([1.0, 2.0])
    >>> H = np.array([[2 * x[1], 2 * x[0]], [2 * x[0], -np.sin(x[1])]])
    >>> np.round(fastopt.hvp(f, x, v), 6), H @ v
    (array([4., 2.]), array([4., 2.]))
    >>> def g(x):
    ...     return np.array([2 * x[0] * x[1], x[0] ** 2 + np.cos(x[1])])
    >>> np.round(fastopt.hvp(f, x, v, grad=g), 6)
    array([4., 2.])
    """
    if grad is None:
        func, points, batch_shape, pshape, args, rel, nfev = _setup(
            f, x, args, ndim, step, jit, SECOND_STEP
        )
        npoints, n = points.shape
        dirs = as_directions("v", v, batch_shape, pshape)
        nfev += 4 * n * npoints
        ngev = 0
        out = np.empty((npoints, n))
        run_kernel(kd.hvp_batch, nfev * n, jit, not args,
                   func, points, pshape, dirs, rel, args, out)

        def cross_step():
            return (rel * np.maximum(1.0, np.abs(points))).reshape(batch_shape + pshape)
    else:
        points, batch_shape, pshape = as_points(x, ndim)
        args = check_args(args)
        npoints, n = points.shape
        check_objective(f, pshape, args, jit=False)  # f is not called: only check callable
        rel = FIRST_STEP if step is None else check_positive_float("step", step)
        dirs = as_directions("v", v, batch_shape, pshape)
        gfunc = check_derivative_function("grad", grad, pshape, args, jit=jit, out_shape=pshape)
        check_derivative_value("grad", gfunc(points[0].reshape(pshape).copy(), *args), pshape,
                               "the point shape", finite=False, where=" at the first point")
        nfev = 0
        ngev = 1 + 2 * npoints
        out = np.empty((npoints, n))
        run_kernel(kd.hvp_grad_batch, 4 * ngev * n, jit, not args,
                   gfunc, points, pshape, dirs, rel, args, out)
        cross_step = None
    value = out.reshape(batch_shape + pshape)
    return _finish(value, points, batch_shape, "hvp", full_output, nfev, ngev,
                   lambda: _steps(points, dirs, rel, batch_shape), cross_step)
