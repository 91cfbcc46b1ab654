r"""Checking user derivatives: finite-difference comparison and Taylor-remainder test.

Two independent tests, both must pass:

1. **Comparison** with central order-4 finite differences (:func:`fastopt.gradient`,
   :func:`fastopt.hessian`). Entry ``i`` passes when
   ``|user_i - fd_i| <= max(rtol * max(|user_i|, |fd_i|), noise_i + atol)``, where
   ``noise_i`` is the rounding error of the finite difference predicted from its step:
   ``roundoff * eps * F / h_i`` (gradient) or ``roundoff * eps * F / (h_i h_j)``
   (Hessian), ``F = |f(x)| + 2 max_k h_k |g_k|``.
2. **Taylor remainder** along a direction ``d`` for steps ``t_k``:
   ``r(t) = |f(x + t d) - f(x) - t <g, d>|`` is ``O(t^2)`` for a correct gradient and
   ``O(t)`` for a wrong one; with a Hessian, ``r(t) - t^2/2 <d, H d>`` is ``O(t^3)``
   (``O(t^2)`` for a wrong Hessian). The observed order is the least-squares slope of
   ``log r`` against ``log t`` over the remainders above round-off; it passes when it is
   at least ``expected - 0.5``. When every remainder is at round-off level (f linear, or
   quadratic for the Hessian test, along ``d``) the test passes.

docs/checking.md has the details and examples.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._differentiate import gradient, hessian
from ._directional import run_kernel
from ._result import GradientCheck, HessianCheck
from ._validation import (
    as_directions,
    as_float_array,
    as_points,
    check_args,
    check_derivative_function,
    check_derivative_value,
    check_int,
    check_objective,
    check_positive_float,
    check_probe,
)
from .kernels import _directional as kd

__all__ = ["check_grad", "check_hessian", "DEFAULT_T"]

EPS = float(np.finfo(np.float64).eps)
#: Default steps of the Taylor test: 2^-3 ... 2^-14 (12 values), times the direction
#: ``d`` whose largest entry is ``max(1, |x_i|)``.
DEFAULT_T = 2.0 ** -np.arange(3, 15)


# ----------------------------------------------------------------------- validation


def _common_iv(f, x, args, ndim, rtol, atol, roundoff, t, seed, direction, jit):
    points, batch_shape, pshape = as_points(x, ndim)
    args = check_args(args)
    rtol = check_positive_float("rtol", rtol)
    atol = check_positive_float("atol", atol, allow_zero=True)
    roundoff = check_positive_float("roundoff", roundoff)
    if t is None:
        ts = DEFAULT_T
    else:
        ts = as_float_array("t", t, allow_empty=True, finite=False)
        ok = ts.ndim == 1 and ts.size >= 3 and np.all(np.isfinite(ts)) and np.all(ts > 0)
        if not ok or np.unique(ts).size != ts.size:
            raise ValueError(
                "`t` must be a 1-D array of at least 3 distinct positive finite steps; got "
                f"{np.array2string(np.asarray(ts), threshold=8)}"
            )
    seed = check_int("seed", seed, minimum=0)
    func = check_objective(f, pshape, args, jit=jit, returns="scalar")
    nfev = 0
    if not jit:  # pure Python: check what f returns on one probe evaluation
        with np.errstate(all="ignore"):
            value = func(points[0].reshape(pshape).copy(), *args)
        check_probe(value, "scalar")
        nfev = 1
    npoints, n = points.shape
    if direction is None:
        z = np.random.default_rng(seed).standard_normal((npoints, n))
        z /= np.max(np.abs(z), axis=1, keepdims=True)
        dirs = z * np.maximum(1.0, np.abs(points))
    else:
        dirs = as_directions("direction", direction, batch_shape, pshape)
        dirs = np.ascontiguousarray(np.broadcast_to(dirs, (npoints, n)))
    return points, batch_shape, pshape, args, rtol, atol, roundoff, ts, func, dirs, nfev


def _remainders(func, points, pshape, dirs, ts, grads, curvs, args, jit, batch_shape):
    """Run the Taylor kernel; f(x) must be finite at every point."""
    npoints, n = points.shape
    f0 = np.empty(npoints)
    rem = np.empty((npoints, ts.size))
    run_kernel(kd.taylor_remainders_batch, npoints * (ts.size + 1) * n, jit, not args,
               func, points, pshape, dirs, ts, grads, curvs, args, f0, rem)
    bad = np.flatnonzero(~np.isfinite(f0))
    if bad.size:
        at = "x" if not batch_shape else (
            f"point [{', '.join(map(str, np.unravel_index(int(bad[0]), batch_shape)))}]")
        raise ValueError(f"`f` is NaN/inf at {at}: derivatives cannot be checked there")
    return f0, rem


def _user_values(func, name, points, pshape, args, shape, what, batch_shape,
                 allow_transpose=False):
    """Call a user derivative at every point; (N, prod(shape)) float64.

    With `allow_transpose` (gradients of non-square matrix variables), a value of the
    transposed shape is transposed back and reported by the second return value.
    """
    npoints = points.shape[0]
    out = np.empty((npoints, int(np.prod(shape))))
    transposed = False
    tshape = tuple(shape)[::-1]
    allow_transpose = allow_transpose and len(shape) == 2 and tshape != tuple(shape)
    for p in range(npoints):
        where = " at x" if not batch_shape else (
            f" at point [{', '.join(map(str, np.unravel_index(p, batch_shape)))}]"
        )
        value = func(points[p].reshape(pshape).copy(), *args)
        if allow_transpose and np.shape(value) == tshape:
            value = np.asarray(value).T
            transposed = True
        out[p] = check_derivative_value(name, value, shape, what, where=where).ravel()
    return out, transposed


# ------------------------------------------------------------------------- analysis


def _compare(user, fd, noise, rtol, atol):
    """rel_error and tolerance per entry (the comparison test)."""
    err = np.abs(user - fd)
    scale = np.maximum(np.abs(user), np.abs(fd))
    floor = noise + atol
    tol = np.maximum(rtol * scale, floor)
    denom = np.maximum(scale, floor / rtol)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(denom > 0, err / np.where(denom > 0, denom, 1.0),
                       np.where(err > 0, np.inf, 0.0))
    rel = np.where(np.isfinite(fd) & np.isfinite(user), rel, np.nan)
    return err, rel, tol


def _taylor_fit(rem, ts, f0, grads, dirs, curvs, gnoise, roundoff):
    """Round-off level of each remainder and the fitted order per point."""
    gd = np.sum(grads * dirs, axis=1)
    gd_abs = np.sum(np.abs(grads * dirs), axis=1)
    t = ts[None, :]
    quad = 0.5 * t * t * curvs[:, None]
    with np.errstate(invalid="ignore", over="ignore"):
        fk = rem + f0[:, None] + t * gd[:, None] + quad
        noise = roundoff * EPS * (np.abs(f0)[:, None] + np.abs(fk) + t * gd_abs[:, None]
                                  + np.abs(quad))
        noise += t * np.sum(np.abs(dirs) * gnoise, axis=1)[:, None]
    absr = np.abs(rem)
    finite = np.isfinite(absr)
    valid = finite & (absr > noise)
    w = valid.astype(np.float64)
    lt = np.log(t)
    lr = np.log(np.where(valid, absr, 1.0))
    s, sx, sy = w.sum(1), (w * lt).sum(1), (w * lr).sum(1)
    sxx, sxy = (w * lt * lt).sum(1), (w * lt * lr).sum(1)
    den = s * sxx - sx * sx
    with np.errstate(divide="ignore", invalid="ignore"):
        order = np.where(s >= 2, (s * sxy - sx * sy) / np.where(den > 0, den, 1.0), np.nan)
    return absr, noise, order, valid.sum(1), finite.sum(1)


def _where(index, batch_shape):
    """'[i, j]' or '[i, j] of point [b]' for an index into batch + entry axes."""
    nb = len(batch_shape)
    entry = "[" + ", ".join(map(str, index[nb:])) + "]"
    if not nb:
        return entry
    return f"{entry} of point [{', '.join(map(str, index[:nb]))}]"


def _verdict(what, kind, user, fd, rel, rtol, order, nvalid, nfinite, K, expected,
             batch_shape, gradient_source=None):
    """Per-point verdicts, overall verdict, message and worst index."""
    npoints = order.shape[0]
    relp = rel.reshape(npoints, -1)
    fd_ok = np.all(relp <= rtol, axis=1)  # NaN compares False: not ok
    enough = nvalid >= 2
    taylor_ok = ~enough | (order >= expected - 0.5)
    point_ok = fd_ok & taylor_ok
    ok = bool(point_ok.all())

    full = np.nan_to_num(rel, nan=np.inf).reshape(-1)
    worst_flat = int(np.argmax(full))
    worst = tuple(int(i) for i in np.unravel_index(worst_flat, rel.shape))
    max_rel = float(rel.reshape(-1)[worst_flat])
    here = _where(worst, batch_shape)
    nbad_entries = int(np.count_nonzero(~(rel <= rtol)))
    count = f" at all {npoints} points" if npoints > 1 else ""

    if fd_ok.all():
        fd_msg = (f"agrees with central finite differences{count} (max relative error "
                  f"{max_rel:.2g} <= rtol {rtol:g}, at {kind} {here})")
    elif not np.isfinite(fd.reshape(-1)[worst_flat]):
        fd_msg = (f"finite differences are NaN/inf at {kind} {here} (f is NaN/inf near x): "
                  "cannot compare")
    else:
        fd_msg = (f"{kind} {here} is {user.reshape(-1)[worst_flat]:.8g} but finite "
                  f"differences give {fd.reshape(-1)[worst_flat]:.8g} (relative error "
                  f"{max_rel:.2g} > rtol {rtol:g}; {nbad_entries} of {rel.size} "
                  f"{_plural(kind, rel.size)} disagree)")

    expected_s = f"expected t^{expected}"
    if not enough.any():
        if (nfinite == 0).all():
            taylor_msg = ("Taylor test inconclusive: f is NaN/inf at every x + t d (pass a "
                          "smaller `t` or another `direction`)")
        else:
            taylor_msg = ("Taylor remainders are at round-off level (consistent: f has no "
                          f"terms of order >= {expected} along d)")
    else:
        orders = order[enough]
        lo, hi = float(np.min(orders)), float(np.max(orders))
        span = f"t^{lo:.2f}" if npoints == 1 or lo == hi else f"t^{lo:.2f} to t^{hi:.2f}"
        taylor_msg = f"Taylor remainder decreases like {span} ({expected_s})"
        if not taylor_ok.all():
            bad = int(np.flatnonzero(~taylor_ok)[0])
            at = ""
            if batch_shape:
                at = f" at point [{', '.join(map(str, np.unravel_index(bad, batch_shape)))}]"
            taylor_msg = (f"Taylor remainder decreases like t^{order[bad]:.2f}{at}, "
                          f"{expected_s}")
            if gradient_source == "grad" and order[bad] < 1.5:
                taylor_msg += " (an order near 1 points at `grad`: check it with check_grad)"
    if ok:
        message = f"{what} OK: {fd_msg}; {taylor_msg}."
    elif fd_ok.all():
        message = (f"{what} SUSPECT: {fd_msg}, but the {taylor_msg[0].lower()}"
                   f"{taylor_msg[1:]}: the {what.lower()} is inconsistent with f along d "
                   "(or f is not smooth there, or `t` is too large).")
    else:
        message = f"{what} WRONG: {fd_msg}; {taylor_msg}."
    return ok, point_ok, message, worst, max_rel


def _plural(kind, count):
    if count == 1:
        return kind
    return kind[:-1] + "ies" if kind.endswith("y") else kind + "s"


def _shape_out(a, batch_shape):
    return a.reshape(batch_shape)[()]


# ----------------------------------------------------------------------------- API


def check_grad(
    f: Callable,
    grad: Callable,
    x,
    *,
    args: tuple = (),
    ndim: int = 1,
    rtol: float = 1e-6,
    atol: float = 0.0,
    step=None,
    direction=None,
    t=None,
    seed: int = 0,
    roundoff: float = 1e3,
    jit: bool = True,
) -> GradientCheck:
    r"""Check a user gradient against `f`: finite differences and the Taylor remainder.

    Parameters
    ----------
    f : callable
        ``f(x, *args) -> float``.
    grad : callable
        The gradient to check, ``grad(x, *args) -> array of the point shape``.
    x : array_like
        Point(s) where to check; trailing `ndim` axes form one point, leading axes are a
        batch (every point is checked).
    args : tuple, optional
        Extra arguments of `f` and `grad`.
    ndim : int, optional
        Number of trailing axes of `x` forming one point (2 for a matrix variable).
    rtol : float, optional
        Relative tolerance of the comparison with finite differences.
    atol : float, optional
        Absolute tolerance added to the predicted finite-difference noise.
    step : float or array_like, optional
        Relative step of the finite differences (default ``eps**(1/5)``, central
        order 4).
    direction : array_like, optional
        Direction ``d`` of the Taylor test (point shape or x's shape). Default: a random
        normal vector (seeded), scaled so that ``|d_i| <= max(1, |x_i|)`` with equality
        for its largest entry.
    t : array_like, optional
        Steps of the Taylor test, at least 3 (default ``2.0**-arange(3, 15)``).
    seed : int, optional
        Seed of the random direction.
    roundoff : float, optional
        Rounding-noise multiplier: finite differences are trusted to
        ``roundoff * eps * |f| / h``, remainders below
        ``roundoff * eps * (|f(x)| + |f(x + t d)| + t |<g, d>|)`` are treated as
        rounding noise and left out of the fit.
    jit : bool, optional
        ``False`` calls `f` and `grad` as plain Python.

    Returns
    -------
    GradientCheck
        ``ok``, ``message``, per-coordinate errors, the Taylor remainders and the
        observed order. ``bool(result)`` is ``result.ok``.

    Raises
    ------
    TypeError
        `grad` is not callable, or does not return a real array.
    ValueError
        `grad` returns an array of the wrong shape or NaN/inf at a point checked; bad
        `x`, `direction`, `t`, tolerances.

    Notes
    -----
    The finite-difference gradient is central order 4 (``4 n`` evaluations per point,
    error :math:`O(h^4)`). The Taylor test evaluates ``f(x)`` and ``f(x + t_k d)``
    (``1 + len(t)`` evaluations per point) and fits the order of
    :math:`r(t) = |f(x + t d) - f(x) - t \langle g, d \rangle|` (2 for a correct
    gradient, 1 for a wrong one). The displacement actually taken after rounding,
    ``(x + t d) - x``, is used in the linear term. See :mod:`fastopt._check` and
    docs/checking.md for the rules.

    Examples
    --------
    >>> import numpy as np
    >>> import fastopt
    >>> A = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    >>> y = np.array([1.0, 0.0, -1.0])
    >>> def f(x, A, y):
    ...     r = y - A @ x
    ...     return r @ r
    >>> def grad(x, A, y):
    ...     return -2.0 * A.T @ (y - A @ x)
    >>> fastopt.check_grad(f, grad, [0.3, -0.2], args=(A, y)).ok
    True
    >>> def wrong(x, A, y):  # the classic slip: the factor 2 is missing
    ...     return -A.T @ (y - A @ x)
    >>> res = fastopt.check_grad(f, wrong, [0.3, -0.2], args=(A, y))
    >>> res.ok, round(float(res.observed_order))
    (False, 1)
    >>> res.message.split(":")[0]
    'gradient WRONG'
    """
    points, batch_shape, pshape, args, rtol, atol, roundoff, ts, func, dirs, nfev = _common_iv(
        f, x, args, ndim, rtol, atol, roundoff, t, seed, direction, jit
    )
    gfunc = check_derivative_function("grad", grad, pshape, args, jit=jit, out_shape=pshape)
    npoints, n = points.shape
    user, transposed = _user_values(gfunc, "grad", points, pshape, args, pshape,
                                    "the point shape", batch_shape, allow_transpose=True)
    K = ts.size
    curvs = np.zeros(npoints)
    f0, rem = _remainders(func, points, pshape, dirs, ts, user, curvs, args, jit, batch_shape)
    xfull = points.reshape(batch_shape + pshape)
    fd = gradient(func, xfull, args=args, method="central", order=4, step=step, ndim=ndim,
                  jit=jit, full_output=True)
    fdv = fd.value.reshape(npoints, n)
    h = fd.step.reshape(npoints, n)
    nfev += npoints * (K + 1) + fd.nfev

    F = np.abs(f0)[:, None] + 2.0 * np.max(h * np.abs(fdv), axis=1, keepdims=True)
    noise = roundoff * EPS * F / h
    err, rel, tol = _compare(user, fdv, noise, rtol, atol)
    absr, rnoise, order, nvalid, nfinite = _taylor_fit(
        rem, ts, f0, user, dirs, curvs, np.zeros_like(user), roundoff
    )
    xshape = batch_shape + pshape
    ok, point_ok, message, worst, max_rel = _verdict(
        "gradient", "coordinate", user.reshape(xshape), fdv.reshape(xshape),
        rel.reshape(xshape), rtol, order, nvalid, nfinite, K, 2, batch_shape,
    )
    if transposed:
        ok = False
        point_ok = np.zeros_like(point_ok)
        message = (
            f"gradient WRONG: `grad` returns shape {pshape[::-1]}, the transpose of the point "
            f"shape {pshape}. Transposed back: {message.split(': ', 1)[1]}"
        )
    elif not ok and len(pshape) == 2 and pshape[0] == pshape[1]:
        userT = np.swapaxes(user.reshape(npoints, *pshape), 1, 2).reshape(npoints, n)
        if np.all(_compare(userT, fdv, noise, rtol, atol)[1] <= rtol):
            message += " Its transpose agrees with finite differences: `grad` is transposed."
    return GradientCheck(
        ok=ok,
        message=message,
        user_value=user.reshape(xshape),
        fd_value=fdv.reshape(xshape),
        error=err.reshape(xshape),
        rel_error=rel.reshape(xshape),
        max_rel_error=max_rel,
        worst=worst,
        tolerance=tol.reshape(xshape),
        direction=dirs.reshape(xshape),
        t=ts.copy(),
        remainders=absr.reshape(batch_shape + (K,)),
        noise=rnoise.reshape(batch_shape + (K,)),
        observed_order=_shape_out(order, batch_shape),
        expected_order=2,
        point_ok=point_ok.reshape(batch_shape),
        nfev=int(nfev),
        ngev=npoints,
    )


def check_hessian(
    f: Callable,
    hess: Callable,
    x,
    *,
    args: tuple = (),
    grad: Callable | None = None,
    ndim: int = 1,
    rtol: float = 1e-5,
    atol: float = 0.0,
    step=None,
    direction=None,
    t=None,
    seed: int = 0,
    roundoff: float = 1e3,
    jit: bool = True,
) -> HessianCheck:
    r"""Check a user Hessian against `f`: finite differences and the Taylor remainder.

    Parameters
    ----------
    f : callable
        ``f(x, *args) -> float``.
    hess : callable
        The Hessian to check, ``hess(x, *args) -> array of shape point + point`` (an
        (n, n) matrix for a vector x; (m, k, m, k) for an (m, k) matrix variable).
    x : array_like
        Point(s) where to check (trailing `ndim` axes form one point).
    args : tuple, optional
        Extra arguments of `f`, `hess` and `grad`.
    grad : callable, optional
        The user gradient, used in the Taylor remainder. Default: central order-4
        finite differences of `f`.
    ndim, atol, direction, t, seed, roundoff, jit
        As for :func:`check_grad`.
    rtol : float, optional
        Relative tolerance of the comparison with the finite-difference Hessian.
    step : float or array_like, optional
        Relative step of the finite differences (default ``eps**(1/6)`` for the
        order-4 Hessian, ``eps**(1/5)`` for the order-4 gradient).

    Returns
    -------
    HessianCheck
        ``ok``, ``message``, per-entry errors, the Taylor remainders and the observed
        order (3 expected). ``bool(result)`` is ``result.ok``.

    Notes
    -----
    The finite-difference Hessian is central order 4 (``4 n^2 + 1`` evaluations per
    point, error :math:`O(h^4)`). The remainder
    :math:`|f(x + t d) - f(x) - t \langle g, d \rangle - \tfrac{t^2}{2}
    \langle d, H d \rangle|` is :math:`O(t^3)` for a correct Hessian, :math:`O(t^2)` for
    a wrong one (and :math:`O(t)` if `grad` is wrong). For a quadratic `f` a correct
    Hessian leaves only rounding (and the rounding of a finite-difference gradient),
    which is reported as "round-off level" and passes.

    Examples
    --------
    >>> import numpy as np
    >>> import fastopt
    >>> def f(x):
    ...     return np.exp(x[0]) * x[1] ** 2
    >>> def hess(x):
    ...     e = np.exp(x[0])
    ...     return np.array([[e * x[1] ** 2, 2 * e * x[1]], [2 * e * x[1], 2 * e]])
    >>> fastopt.check_hessian(f, hess, [0.2, -0.5]).ok
    True
    >>> def wrong(x):  # off-diagonal missing its factor 2
    ...     e = np.exp(x[0])
    ...     return np.array([[e * x[1] ** 2, e * x[1]], [e * x[1], 2 * e]])
    >>> res = fastopt.check_hessian(f, wrong, [0.2, -0.5])
    >>> res.ok, res.worst, round(float(res.observed_order))
    (False, (0, 1), 2)
    """
    points, batch_shape, pshape, args, rtol, atol, roundoff, ts, func, dirs, nfev = _common_iv(
        f, x, args, ndim, rtol, atol, roundoff, t, seed, direction, jit
    )
    hshape = pshape + pshape
    hfunc = check_derivative_function("hess", hess, pshape, args, jit=jit, out_shape=hshape)
    npoints, n = points.shape
    user = _user_values(hfunc, "hess", points, pshape, args, hshape,
                        "point shape + point shape", batch_shape)[0].reshape(npoints, n, n)
    xfull = points.reshape(batch_shape + pshape)
    if grad is None:
        source = "finite differences"
        # f(x) alone (no steps): it must be finite before finite differences are taken
        _remainders(func, points, pshape, dirs, ts[:0], np.zeros_like(points),
                    np.zeros(npoints), args, jit, batch_shape)
        nfev += npoints
        fdg = gradient(func, xfull, args=args, method="central", order=4, step=step,
                       ndim=ndim, jit=jit, full_output=True)
        g = fdg.value.reshape(npoints, n)
        hg = fdg.step.reshape(npoints, n)
        nfev += fdg.nfev
        ngev = 0
    else:
        source = "grad"
        gfunc = check_derivative_function("grad", grad, pshape, args, jit=jit,
                                          out_shape=pshape)
        g = _user_values(gfunc, "grad", points, pshape, args, pshape, "the point shape",
                         batch_shape)[0]
        ngev = npoints
    K = ts.size
    curvs = np.einsum("pi,pij,pj->p", dirs, user, dirs)
    f0, rem = _remainders(func, points, pshape, dirs, ts, g, curvs, args, jit, batch_shape)
    nfev += npoints * (K + 1)
    fdh = hessian(func, xfull, args=args, method="central", order=4, step=step, ndim=ndim,
                  jit=jit, full_output=True)
    fdH = fdh.value.reshape(npoints, n, n)
    h = fdh.step.reshape(npoints, n)
    nfev += fdh.nfev

    F = np.abs(f0) + 2.0 * np.max(h * np.abs(g), axis=1)
    noise = roundoff * EPS * F[:, None, None] / (h[:, :, None] * h[:, None, :])
    err, rel, tol = _compare(user, fdH, noise, rtol, atol)
    if grad is None:
        Fg = np.abs(f0)[:, None] + 2.0 * np.max(hg * np.abs(g), axis=1, keepdims=True)
        gnoise = roundoff * EPS * Fg / hg
    else:
        gnoise = np.zeros_like(g)
    absr, rnoise, order, nvalid, nfinite = _taylor_fit(
        rem, ts, f0, g, dirs, curvs, gnoise, roundoff
    )
    xshape = batch_shape + pshape
    Hshape = batch_shape + hshape
    ok, point_ok, message, worst, max_rel = _verdict(
        "Hessian", "entry", user.reshape(Hshape), fdH.reshape(Hshape), rel.reshape(Hshape),
        rtol, order, nvalid, nfinite, K, 3, batch_shape, gradient_source=source,
    )
    return HessianCheck(
        ok=ok,
        message=message,
        user_value=user.reshape(Hshape),
        fd_value=fdH.reshape(Hshape),
        error=err.reshape(Hshape),
        rel_error=rel.reshape(Hshape),
        max_rel_error=max_rel,
        worst=worst,
        tolerance=tol.reshape(Hshape),
        direction=dirs.reshape(xshape),
        t=ts.copy(),
        remainders=absr.reshape(batch_shape + (K,)),
        noise=rnoise.reshape(batch_shape + (K,)),
        observed_order=_shape_out(order, batch_shape),
        expected_order=3,
        point_ok=point_ok.reshape(batch_shape),
        gradient_source=source,
        nfev=int(nfev),
        ngev=int(ngev),
        nhev=npoints,
    )
