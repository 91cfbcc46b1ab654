"""Finite-difference derivatives: the Python API layer.

Validation, allocation, one kernel call, wrapping. The formulas, their error orders and
the step rules are documented in :mod:`fastopt.kernels._fd`,
:mod:`fastopt.kernels._richardson`, :mod:`fastopt.kernels._complex` and
:mod:`fastopt.kernels._steps`, and in docs/derivatives.md.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from . import _distributed, kernels
from ._jit import num_threads, runs_serially, select
from ._result import DerivativeResult, NonFiniteWarning, Status, TaylorModel
from ._validation import (
    as_points,
    check_args,
    check_choice,
    check_derivative_bounds,
    check_objective,
    check_positive_steps,
    check_probe,
)
from .kernels._batch import CHUNKS_PER_THREAD
from .kernels._fd import cached_stencil

__all__ = ["gradient", "jacobian", "hessian", "taylor"]

#: Accuracy orders per method; the first is the default.
GRADIENT_ORDERS = {
    "central": (2, 4, 6),
    "forward": (2, 1),
    "backward": (2, 1),
    "richardson": (6, 4, 8),
    "complex": (2,),
}
HESSIAN_ORDERS = {"central": (2, 4), "richardson": (6, 4, 8)}

#: Default relative base step of Richardson extrapolation (levels h0 / 2^l), first and
#: second derivatives: large enough to keep rounding and noise small, small enough that
#: O(h^6) truncation is below 1e-11 on functions varying on a unit scale.
RICHARDSON_STEP = {1: 0.03, 2: 0.04}
#: Default relative step of the complex step (no cancellation, so it can be tiny).
COMPLEX_STEP = 1e-20

_NO_ERR = np.empty((0, 0, 0))
_NO_F = np.empty(0)
_NO_G = np.empty((0, 0))


def _check_method_order(method, order, table, what):
    method = check_choice("method", method, tuple(table))
    orders = table[method]
    if order is None:
        return method, orders[0]
    if isinstance(order, bool) or order not in orders:
        allowed = ", ".join(map(str, sorted(orders)))
        raise ValueError(
            f"`order` must be one of {allowed} for the {method!r} {what}; got {order!r}"
        )
    return method, int(order)


def _default_step(method, order, derivative):
    if method == "richardson":
        return RICHARDSON_STEP[derivative]
    if method == "complex":
        return COMPLEX_STEP
    return kernels.default_relative_step(derivative, order)


def _probe(func, points, pshape, args, returns, *, complex_input=False, name="f"):
    """Evaluate f at the first point (pure-Python checks, output lengths)."""
    x0 = points[0].reshape(pshape).astype(np.complex128 if complex_input else np.float64)
    value = func(x0, *args)
    return check_probe(value, returns, complex_input=complex_input, name=name)


def _status(value, npoints, what):
    """Per-point status and the one summary warning."""
    if np.isfinite(value).all():
        return np.zeros(npoints, dtype=np.int8)
    finite = np.isfinite(value.reshape(npoints, -1)).all(axis=1)
    status = np.where(finite, Status.SUCCESS, Status.NONFINITE).astype(np.int8)
    nbad = int(npoints - np.count_nonzero(finite))
    warnings.warn(
        f"{what}: the objective gave NaN/inf (or the result overflowed) at {nbad} of "
        f"{npoints} points; their entries are NaN/inf, status NONFINITE",
        NonFiniteWarning,
        stacklevel=4,
    )
    return status


def _abs_steps(points, rstep, method):
    if method == "complex":
        return rstep * np.maximum(1.0, np.abs(points))
    steps = np.empty_like(points)
    kernels.absolute_steps(points, rstep, steps)
    return steps


def _finish(value, error, points, batch_shape, pshape, rstep, nfev, full_output, what,
            method, ngev=0):
    status = _status(value, points.shape[0], what)
    if not full_output:
        return value
    if error is None:
        error = np.full(value.shape, np.nan)
    return DerivativeResult(
        value=value,
        error=error,
        nfev=int(nfev),
        step=_abs_steps(points, rstep, method).reshape(batch_shape + pshape),
        status=status.reshape(batch_shape),
        ngev=int(ngev),
    )


def _run(kernel, work, jit, *arguments):
    if jit:
        noargs = len(arguments[_ARGS_POSITION[kernel]]) == 0
        select(kernel, work=work, jit=True, noargs=noargs)(*arguments)
        return
    with np.errstate(all="ignore"):
        select(kernel, work=work, jit=False)(*arguments)


_ARGS_POSITION = {
    kernels.hessian_bounded_batch: 6,
    kernels.gradient_batch: 8,
    kernels.jacobian_batch: 8,
    kernels.gradient_richardson_batch: 7,
    kernels.jacobian_richardson_batch: 7,
    kernels.gradient_complex_batch: 4,
    kernels.jacobian_complex_batch: 4,
    kernels.hessian_batch: 6,
    kernels.gradient_central_batch: 4,
    kernels.jacobian_central_batch: 4,
    kernels.hessian_central_batch: 4,
}


def _one_sided(method, order):
    """Return the one-sided stencil of the same order, used near bounds.

    Forward form (offsets 0..order) used with a signed step: a negative step makes it the
    backward stencil.
    """
    return cached_stencil("forward", order)


def _first_derivative(what, f, x, args, method, order, step, ndim, jit, full_output, bounds):
    """Shared body of gradient and jacobian."""
    method, order = _check_method_order(method, order, GRADIENT_ORDERS, what)
    points, batch_shape, pshape = as_points(x, ndim)
    lo, hi = check_derivative_bounds(bounds, points, pshape)
    bounded = bounds is not None and bool(np.isfinite(lo).any() or np.isfinite(hi).any())
    args = check_args(args)
    rstep = check_positive_steps(step, pshape, _default_step(method, order, 1))
    vector = what == "jacobian"
    returns = "vector" if vector else "scalar"
    cplx = method == "complex"
    func = check_objective(f, pshape, args, jit=jit, returns=returns, complex_input=cplx)
    npoints, n = points.shape
    nfev = 0
    m = 0
    if vector or not jit:
        m = _probe(func, points, pshape, args, returns, complex_input=cplx).size
        nfev += 1
        if vector and m == 0:
            raise ValueError("`f` returned an empty array; jacobian needs at least one output")
    out = np.empty((npoints, m, n)) if vector else np.empty((npoints, n))
    error = None
    if method == "richardson":
        levels = order // 2
        nfev += npoints * (n * 2 * levels + bounded)
        if bounded:  # one-sided coordinates take 2 levels - 1 steps (same error order)
            h0 = _abs_steps(points, rstep, method)
            near = ~((points - h0 >= lo) & (points + h0 <= hi))
            nfev += 2 * (levels - 1) * int(np.count_nonzero(near))
        err = np.empty_like(out)
        kernel = kernels.jacobian_richardson_batch if vector else kernels.gradient_richardson_batch
        _run(kernel, nfev * n, jit, func, points, pshape, rstep, levels, lo, hi, args, out,
             err)
        error = err
    elif cplx:  # the step is imaginary: evaluation points never leave a real box
        nfev += npoints * n
        kernel = kernels.jacobian_complex_batch if vector else kernels.gradient_complex_batch
        _run(kernel, nfev * n, jit, func, points, pshape, rstep, args, out)
    else:
        st = cached_stencil(method, order)
        nonzero = int(np.count_nonzero(st[0]))
        nfev += npoints * (n * nonzero + (nonzero < st.shape[1] or bounded))
        if not bounded and method == "central" and order == 2:
            # the default call: same numbers from a kernel that compiles 2-3x faster
            kernel = kernels.jacobian_central_batch if vector else kernels.gradient_central_batch
            _run(kernel, nfev * n, jit, func, points, pshape, rstep, args, out)
        else:
            kernel = kernels.jacobian_batch if vector else kernels.gradient_batch
            _run(kernel, nfev * n, jit, func, points, pshape, rstep, st,
                 _one_sided(method, order), lo, hi, args, out)
    shape = batch_shape + (m,) + pshape if vector else batch_shape + pshape
    value = out.reshape(shape)
    if error is not None:
        error = error.reshape(shape)
    return _finish(value, error, points, batch_shape, pshape, rstep, nfev, full_output, what,
                   method)


def gradient(
    f: Callable,
    x,
    *,
    args: tuple = (),
    method: str = "central",
    order: int | None = None,
    step=None,
    ndim: int = 1,
    jit: bool = True,
    full_output: bool = False,
    bounds=None,
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
    method : {"central", "forward", "backward", "richardson", "complex"}, optional
        ``"richardson"``: central differences at three steps extrapolated to error
        ``O(h^6)``, with error estimates (6 evaluations per coordinate). ``"complex"``:
        complex step ``Im f(x + i h e_k) / h``, exact to rounding for analytic `f` that
        accepts complex input (1 evaluation per coordinate).
    order : int, optional
        Accuracy order (truncation error ``O(h**order)``): 2 (default), 4 or 6 for
        ``"central"``; 2 (default) or 1 for one-sided methods; 6 (default), 4 or 8 for
        ``"richardson"`` (``order / 2`` steps).
    step : float or array_like, optional
        *Relative* step, scalar or one per coordinate (point shape): coordinate ``x_i``
        is perturbed by ``step_i * max(1, |x_i|)``. Default ``eps ** (1 / (order + 1))``
        (``~6.1e-6`` for central order 2); 0.03 for the largest Richardson step;
        1e-20 for the complex step.
    ndim : int, optional
        Number of trailing axes of `x` forming one point (2 for a matrix variable).
    jit : bool, optional
        ``False`` runs the same algorithm as plain Python (slow, for objectives numba
        cannot compile); the answers are the same.
    full_output : bool, optional
        Return a :class:`DerivativeResult` (with error estimates for ``"richardson"``).
    bounds : array_like, optional
        Box, shape (n, 2) or point shape + (2,), rows ``(lo, hi)`` (infinite allowed).
        No evaluation point leaves it: where a stencil would cross a bound, the one-sided
        stencil of the same order is used (forward, else backward, else with the step
        shrunk to the room left). ``f(x)`` is then evaluated once per point (counted).
        Richardson keeps its error order there by extrapolating the one-sided stencil
        over ``order - 1`` steps instead of ``order / 2`` (counted in ``nfev``).

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
    >>> res = fastopt.gradient(lambda x: np.sin(x[0]), [0.5], method="richardson",
    ...                        full_output=True)
    >>> bool(abs(res.value[0] - np.cos(0.5)) < 1e-12), bool(res.error[0] < 1e-8)
    (True, True)
    """
    if (lazy := _distributed.maybe_dask(gradient, **locals())) is not NotImplemented:
        return lazy
    return _first_derivative("gradient", f, x, args, method, order, step, ndim, jit,
                             full_output, bounds)


def jacobian(
    f: Callable,
    x,
    *,
    args: tuple = (),
    method: str = "central",
    order: int | None = None,
    step=None,
    ndim: int = 1,
    jit: bool = True,
    full_output: bool = False,
    bounds=None,
):
    """Jacobian of a vector function by finite differences, at one point or a batch.

    Parameters
    ----------
    f : callable
        ``f(x, *args) -> 1-D array`` of length ``m``.
    x, args, method, order, step, ndim, jit, full_output, bounds
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
    if (lazy := _distributed.maybe_dask(jacobian, **locals())) is not NotImplemented:
        return lazy
    return _first_derivative("jacobian", f, x, args, method, order, step, ndim, jit,
                             full_output, bounds)


def _hessian_batch(func, points, pshape, rstep, order, levels, args, out, err, fout, gout,
                   jit):
    """Run :func:`fastopt.kernels.hessian_batch`, or its lean twin for the default call."""
    n = points.shape[1]
    per_point = 1 + levels * (n * n + n) if order == 2 else 4 * n * n + 1
    work = points.shape[0] * per_point * n
    plain = order == 2 and levels == 1 and err.size == 0
    whole_points = runs_serially(work) or points.shape[0] >= CHUNKS_PER_THREAD * num_threads()
    if plain and whole_points:
        # the default call: same numbers from a kernel that compiles 4x faster
        _run(kernels.hessian_central_batch, work, jit, func, points, pshape, rstep, args, out,
             fout, gout)
    else:
        _run(kernels.hessian_batch, work, jit, func, points, pshape, rstep, order, levels,
             args, out, err, fout, gout)


def _hessian_kernel_call(f, x, args, method, order, step, ndim, jit, want_taylor, bounds):
    """Validate, run the Hessian kernels; return everything taylor and hessian need.

    With `bounds`, points whose stencil fits inside the box go through
    :func:`fastopt.kernels.hessian_batch`; the others through
    :func:`fastopt.kernels.hessian_bounded_batch` (one-sided, extrapolated to the same order).
    """
    method, order = _check_method_order(method, order, HESSIAN_ORDERS, "hessian")
    points, batch_shape, pshape = as_points(x, ndim)
    lo, hi = check_derivative_bounds(bounds, points, pshape)
    args = check_args(args)
    rstep = check_positive_steps(step, pshape, _default_step(method, order, 2))
    func = check_objective(f, pshape, args, jit=jit, returns="scalar")
    npoints, n = points.shape
    levels = order // 2 if method == "richardson" else 1
    stencil_order = 2 if method == "richardson" else order
    per_point = 1 + levels * (n * n + n) if stencil_order == 2 else 4 * n * n + 1
    out = np.empty((npoints, n, n))
    err = np.empty_like(out) if method == "richardson" else _NO_ERR
    fout = np.empty(npoints) if want_taylor else _NO_F
    gout = np.empty((npoints, n)) if want_taylor else _NO_G
    nfev = 0
    if not jit:
        _probe(func, points, pshape, args, "scalar")
        nfev += 1
    near = np.zeros(npoints, dtype=bool)
    if bounds is not None:
        reach = 2.0 if stencil_order == 4 else 1.0
        h = np.empty_like(points)
        kernels.absolute_steps(points, rstep, h)
        near = ~((points - reach * h >= lo) & (points + reach * h <= hi)).all(axis=1)
    fit = ~near
    if fit.all():
        nfev += npoints * per_point
        _hessian_batch(func, points, pshape, rstep, stencil_order, levels, args, out, err,
                       fout, gout, jit)
        return points, batch_shape, pshape, rstep, method, out, err, fout, gout, nfev
    if fit.any():
        sub = np.ascontiguousarray(points[fit])
        o = np.empty((sub.shape[0], n, n))
        e = np.empty_like(o) if err.size else _NO_ERR
        fo = np.empty(sub.shape[0]) if want_taylor else _NO_F
        go = np.empty((sub.shape[0], n)) if want_taylor else _NO_G
        nfev += sub.shape[0] * per_point
        _hessian_batch(func, sub, pshape, rstep, stencil_order, levels, args, o, e, fo, go,
                       jit)
        out[fit] = o
        if err.size:
            err[fit] = e
        if want_taylor:
            fout[fit], gout[fit] = fo, go
    edge = np.ascontiguousarray(points[near])
    # one-sided stencils have every power h^2, h^3, ... in their error: order - 1 steps
    # extrapolated keep the error order of the method (order = 2 levels for Richardson)
    target = 2 * levels if method == "richardson" else order
    o = np.empty((edge.shape[0], n, n))
    e = np.empty_like(o)
    fo = np.empty(edge.shape[0])
    go = np.empty((edge.shape[0], n))
    nev = np.zeros(edge.shape[0], dtype=np.int64)
    _run(kernels.hessian_bounded_batch, edge.shape[0] * (target - 1) * (n * n + 2 * n) * n,
         jit, func, edge, pshape, rstep, target - 1, lo, hi, args, o, e, fo, go, nev)
    nfev += int(nev.sum())
    out[near] = o
    if err.size:
        err[near] = e
    if want_taylor:
        fout[near], gout[near] = fo, go
    return points, batch_shape, pshape, rstep, method, out, err, fout, gout, nfev


def _hessian_from_gradient(grad, x, args, method, order, step, ndim, jit, full_output,
                           bounds):
    method, order = _check_method_order(method, order, GRADIENT_ORDERS, "hessian(grad=...)")
    points, batch_shape, pshape = as_points(x, ndim)
    lo, hi = check_derivative_bounds(bounds, points, pshape)
    bounded = bounds is not None and bool(np.isfinite(lo).any() or np.isfinite(hi).any())
    args = check_args(args)
    rstep = check_positive_steps(step, pshape, _default_step(method, order, 1))
    cplx = method == "complex"
    func = check_objective(grad, pshape, args, jit=jit, returns="array", complex_input=cplx,
                           name="grad")
    npoints, n = points.shape
    probe = _probe(func, points, pshape, args, "array", complex_input=cplx, name="grad")
    if probe.shape != tuple(pshape):
        raise ValueError(
            f"`grad` must return an array of the point shape {tuple(pshape)}; "
            f"it returned shape {probe.shape}"
        )
    out = np.empty((npoints, n, n))
    error = None
    if method == "richardson":
        levels = order // 2
        ngev = 1 + npoints * (n * 2 * levels + bounded)
        err = np.empty_like(out)
        _run(kernels.jacobian_richardson_batch, ngev * n, jit, func, points, pshape, rstep,
             levels, lo, hi, args, out, err)
        error = err
    elif cplx:
        ngev = 1 + npoints * n
        _run(kernels.jacobian_complex_batch, ngev * n, jit, func, points, pshape, rstep,
             args, out)
    else:
        st = cached_stencil(method, order)
        nonzero = int(np.count_nonzero(st[0]))
        ngev = 1 + npoints * (n * nonzero + (nonzero < st.shape[1] or bounded))
        _run(kernels.jacobian_batch, ngev * n, jit, func, points, pshape, rstep, st,
             _one_sided(method, order), lo, hi, args, out)
    kernels.symmetrize_batch(out)
    if error is not None:
        kernels.symmetrize_batch(error)
        error = error.reshape(batch_shape + pshape + pshape)
    value = out.reshape(batch_shape + pshape + pshape)
    return _finish(value, error, points, batch_shape, pshape, rstep, 0, full_output,
                   "hessian", method, ngev=ngev)


def hessian(
    f: Callable,
    x,
    *,
    args: tuple = (),
    method: str = "central",
    order: int | None = None,
    step=None,
    ndim: int = 1,
    jit: bool = True,
    full_output: bool = False,
    grad: Callable | None = None,
    bounds=None,
):
    r"""Dense Hessian of a scalar function by finite differences, exactly symmetric.

    Parameters
    ----------
    f, x, args, step, ndim, jit, full_output
        As for :func:`gradient`. The default relative step is ``eps ** (1 / (order + 2))``
        (``~1.2e-4`` for order 2), and 0.04 for the largest Richardson step.
    method : {"central", "richardson"}, optional
        ``"richardson"``: the order-2 stencils at three steps ``h / 2^l`` extrapolated to
        error ``O(h^6)``, with error estimates (``3 n^2 + 3 n + 1`` evaluations).
    order : int, optional
        2 (default) or 4 for ``"central"``; 6 (default), 4 or 8 for ``"richardson"``.
    bounds : array_like, optional
        Box as for :func:`gradient`; no evaluation point leaves it. At points where the
        stencil does not fit, one-sided order-2 stencils are used
        (:mod:`fastopt.kernels._bounded`); for ``order=4`` and ``"richardson"`` they are
        extrapolated over ``order - 1`` steps, which keeps the error order (Richardson
        also keeps its error estimates). With ``grad``, the gradient is differentiated
        with one-sided stencils of the requested order.
    grad : callable, optional
        User gradient ``grad(x, *args)`` returning an array of the point shape. The
        Hessian is then its finite-difference Jacobian (``method`` and ``order`` as for
        :func:`gradient`, e.g. ``"central"``: ``2 n`` gradient calls), symmetrised
        ``(J + J^T) / 2``. `f` is not called (pass None or `f`); ``nfev`` is 0 and
        ``ngev`` counts the gradient calls.

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
    >>> def g(x):
    ...     return np.array([2 * x[0] + x[1], x[0] - 2 * x[1]])
    >>> np.round(fastopt.hessian(None, [0.3, -0.2], grad=g), 6)
    array([[ 2.,  1.],
           [ 1., -2.]])
    """
    if (lazy := _distributed.maybe_dask(hessian, **locals())) is not NotImplemented:
        return lazy
    if grad is not None:
        return _hessian_from_gradient(grad, x, args, method, order, step, ndim, jit,
                                      full_output, bounds)
    points, batch_shape, pshape, rstep, method, out, err, _, _, nfev = _hessian_kernel_call(
        f, x, args, method, order, step, ndim, jit, False, bounds
    )
    shape = batch_shape + pshape + pshape
    value = out.reshape(shape)
    error = err.reshape(shape) if err.size else None
    return _finish(value, error, points, batch_shape, pshape, rstep, nfev, full_output,
                   "hessian", method)


def taylor(
    f: Callable,
    x,
    *,
    order: int = 2,
    args: tuple = (),
    method: str = "central",
    step=None,
    ndim: int = 1,
    jit: bool = True,
    bounds=None,
) -> TaylorModel:
    r"""Value, gradient and Hessian from one set of evaluations: a local quadratic model.

    Parameters
    ----------
    f, x, args, step, ndim, jit, bounds
        As for :func:`hessian`.
    order : {1, 2}, optional
        Order of the Taylor model. 2: value, gradient and Hessian from exactly the
        evaluations of :func:`hessian` (the gradient uses the Hessian's axis points
        ``f(x +- h e_i)``); 1: value and gradient (``2 n + 1`` evaluations, central).
    method : {"central", "richardson"}, optional
        Stencils, as for :func:`hessian`; with ``"richardson"`` the gradient is
        extrapolated too.

    Returns
    -------
    TaylorModel
        ``model(delta)`` evaluates :math:`f(x) + \langle g, d\rangle
        + \tfrac12 \langle d, H d\rangle` (no Hessian term for order 1).

    Examples
    --------
    >>> import numpy as np
    >>> import fastopt
    >>> def f(x):
    ...     return np.exp(x[0]) + x[0] * x[1] ** 2
    >>> model = fastopt.taylor(f, [0.0, 1.0])
    >>> round(float(model.fun), 8), np.round(model.grad, 6)
    (1.0, array([2., 0.]))
    >>> bool(abs(model([0.01, -0.02]) - f(np.array([0.01, 0.98]))) < 1e-5)
    True
    """
    order = check_choice("order", order, (1, 2))
    if order == 1:
        points, batch_shape, pshape = as_points(x, ndim)
        res = gradient(f, x, args=args, step=step, ndim=ndim, jit=jit, full_output=True,
                       bounds=bounds)
        fun = np.empty(points.shape[0])
        func = check_objective(f, pshape, check_args(args), jit=jit)
        _run_values(func, points, pshape, args, fun, jit)
        return TaylorModel(x=points.reshape(batch_shape + pshape).copy(),
                           fun=fun.reshape(batch_shape), grad=res.value, hess=None,
                           nfev=res.nfev + points.shape[0], order=1)
    points, batch_shape, pshape, _, _, out, _, fout, gout, nfev = _hessian_kernel_call(
        f, x, args, method, None, step, ndim, jit, True, bounds
    )
    _status(out, points.shape[0], "taylor")
    return TaylorModel(
        x=points.reshape(batch_shape + pshape).copy(),
        fun=fout.reshape(batch_shape),
        grad=gout.reshape(batch_shape + pshape),
        hess=out.reshape(batch_shape + pshape + pshape),
        nfev=int(nfev),
        order=2,
    )


def _run_values(func, points, pshape, args, out, jit):
    if jit:
        select(kernels.values_batch, work=points.size, jit=True,
               noargs=len(args) == 0)(func, points, pshape, args, out)
    else:
        with np.errstate(all="ignore"):
            select(kernels.values_batch, work=0, jit=False)(func, points, pshape, args, out)
