"""Optimality tests: the Python API layer.

Validation, allocation, kernel calls, wrapping. The numerics -- the eigenvalue and
inertia kernels, the finite-difference error model behind the default tolerances and
Newton's method on ``grad f = 0`` -- are documented in :mod:`fastopt.kernels._eigen` and
:mod:`fastopt.kernels._critical`; the user guide is ``docs/optimality.md``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np

from . import _distributed, kernels
from ._differentiate import gradient, hessian
from ._jit import select
from ._result import (
    CriticalPoints,
    HessianClassification,
    NonFiniteWarning,
    PointClassification,
    PointType,
)
from ._validation import (
    as_float_array,
    as_points,
    check_args,
    check_bounds,
    check_int,
    check_objective,
    check_probe,
)
from .kernels._critical import GRAD_REL_STEP, HESS_REL_STEP, NEWTON_NONFINITE, SAFETY
from .kernels._eigen import SYM_RTOL, TOL_RTOL

__all__ = ["classify_hessians", "classify_points", "find_critical_points", "MAX_STARTS"]

#: Largest number of Newton starts (grid points) of :func:`find_critical_points`.
MAX_STARTS = 1_000_000

_CRITICAL_KINDS = (PointType.MINIMUM, PointType.MAXIMUM, PointType.SADDLE,
                   PointType.DEGENERATE)


# ----------------------------------------------------------------------------- validation
def _check_bool(name, value):
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"`{name}` must be True or False; got {value!r}")
    return bool(value)


def _check_tol(name, tol, batch_shape):
    """None, or a flat float64 array of shape (1,) or (N,): tolerances >= 0 per entry."""
    if tol is None:
        return None
    arr = np.asarray(tol)
    if arr.dtype == bool or arr.dtype.kind not in "iuf":
        raise TypeError(
            f"`{name}` must be None or a real number >= 0 (or an array of them "
            f"broadcastable to the batch shape {batch_shape}); got {type(tol).__name__}"
        )
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError(f"`{name}` must be finite and >= 0; got {tol!r}")
    if arr.ndim == 0:
        return arr.reshape(1)
    try:
        arr = np.broadcast_to(arr, batch_shape)
    except ValueError:
        raise ValueError(
            f"`{name}` must be a scalar or broadcastable to the batch shape {batch_shape}; "
            f"got shape {arr.shape}"
        ) from None
    return np.ascontiguousarray(arr).reshape(-1)


def _check_positive(name, value):
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
        raise TypeError(f"`{name}` must be a positive real number; got {value!r}")
    value = float(value)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"`{name}` must be finite and > 0; got {value!r}")
    return value


def _classify_hessians_iv(H):
    arr = as_float_array("H", H, allow_empty=True, finite=False)
    if arr.ndim < 2 or arr.shape[-1] != arr.shape[-2] or arr.shape[-1] == 0:
        raise ValueError(
            "`H` must have shape (..., n, n): square matrices (n >= 1) in the last two "
            f"axes; got shape {arr.shape}"
        )
    n = arr.shape[-1]
    batch_shape = arr.shape[:-2]
    return arr.reshape(-1, n, n), batch_shape, n


def _check_num(num, n):
    if num is None:
        return np.full(n, max(3, min(41, round(4000.0 ** (1.0 / n)))), dtype=np.int64)
    if np.ndim(num) == 0:
        nums = [check_int("num", num, minimum=2)] * n
    else:
        seq = list(num)
        if len(seq) != n:
            raise ValueError(
                f"`num` must be an int or a sequence of n = {n} ints (grid points per "
                f"axis); got {len(seq)} values"
            )
        nums = [check_int(f"num[{i}]", v, minimum=2) for i, v in enumerate(seq)]
    total = math.prod(nums)
    if total > MAX_STARTS:
        raise ValueError(
            f"`num` gives a grid of {total} Newton starts, more than MAX_STARTS = "
            f"{MAX_STARTS}; use fewer points per axis"
        )
    return np.array(nums, dtype=np.int64)


def _inertia_dtype(n):
    return np.int8 if n <= 127 else np.int16 if n <= 32767 else np.int32


def _warn_nonfinite(kind, what):
    # (an int, not the enum member: numpy compares with an IntEnum 5x slower)
    nbad = int(np.count_nonzero(kind == int(PointType.NONFINITE)))
    if nbad:
        warnings.warn(
            f"{what}: NaN/inf at {nbad} of {kind.size} entries; they are marked NONFINITE "
            "(eigenvalues NaN, inertia -1), the others are unaffected",
            NonFiniteWarning,
            stacklevel=3,
        )


# ----------------------------------------------------------------------------- Hessians
def classify_hessians(H, *, tol=None, eigenvalues: bool = True) -> HessianClassification:
    r"""Second-order test of a stack of symmetric matrices, in parallel.

    Parameters
    ----------
    H : array_like, shape (..., n, n)
        Real symmetric matrices (e.g. Hessians at critical points); leading axes are
        batch axes. An asymmetry within round-off (``max |H_ij - H_ji| <= 64 n eps
        ||H||_F``) is removed by using ``(H + H^T) / 2``; a larger one raises
        :class:`ValueError` (symmetrise explicitly if it is expected). Matrices with
        NaN/inf entries are marked NONFINITE (one :class:`NonFiniteWarning`).
    tol : float or array_like, optional
        Eigenvalues with ``|lambda| <= tol`` count as zero. A scalar or an array
        broadcastable to the batch shape, ``>= 0``. Default: ``16 n eps ||H||_F`` per
        matrix, the round-off of a backward-stable eigenvalue solver, below which no
        float64 method resolves an eigenvalue from zero. For Hessians from finite
        differences pass their error (:func:`classify_points` does this for you).
    eigenvalues : bool, optional
        False takes the inertia-only path: the eigenvalues on each side of ``+-tol``
        are counted without computing them (Sylvester's law of inertia: Sturm counts of
        a tridiagonal reduction for batches of 3 <= n <= 64, ``L D L^T`` factorisations
        of ``H -+ tol I`` otherwise), 2.5-10x faster for n >= 3.

    Returns
    -------
    HessianClassification
        ``kind`` (:class:`PointType`, batch shape), ``eigenvalues`` (batch + (n,),
        ascending; None if ``eigenvalues=False``), ``inertia`` (batch + (3,): numbers of
        eigenvalues ``< -tol``, in ``[-tol, tol]``, ``> tol``), ``tol`` (per matrix),
        and the properties ``positive_semidefinite`` / ``negative_semidefinite``.

    Notes
    -----
    MINIMUM: all eigenvalues ``> tol`` (positive definite: the second-order sufficient
    condition for a strict local minimum); MAXIMUM: all ``< -tol``; SADDLE: at least one
    ``> tol`` and one ``< -tol`` (indefinite); DEGENERATE: otherwise -- some eigenvalue
    is zero within tol and the second-order test is inconclusive. For a DEGENERATE
    matrix ``positive_semidefinite`` says whether the necessary condition for a minimum
    still holds (``x^4`` at 0 is a minimum, ``x^3`` at 0 is not; both are DEGENERATE).

    Kernels (:mod:`fastopt.kernels._eigen`): closed forms for n <= 3 (n = 3 with a QL
    fallback near repeated eigenvalues), Householder + implicit QR on blocks of up to
    64 matrices at once for n = 4 .. 64, LAPACK above; all match
    ``numpy.linalg.eigvalsh`` to ``~1e-14 ||H||``. The two paths agree exactly for
    n <= 2 and otherwise up to eigenvalues within ``~n eps ||H||`` of ``+-tol``.

    Examples
    --------
    >>> import numpy as np
    >>> import fastopt
    >>> H = np.array([np.eye(2), np.diag([1.0, -1.0]), np.diag([1.0, 0.0])])
    >>> res = fastopt.classify_hessians(H)
    >>> [fastopt.PointType(k).name for k in res.kind]
    ['MINIMUM', 'SADDLE', 'DEGENERATE']
    >>> res.eigenvalues[1], res.inertia[1]
    (array([-1.,  1.]), array([1, 0, 1], dtype=int8))
    >>> fastopt.classify_hessians(H, eigenvalues=False).inertia[2]  # a zero eigenvalue
    array([0, 1, 1], dtype=int8)
    """
    Hs, batch_shape, n = _classify_hessians_iv(H)
    atol = _check_tol("tol", tol, batch_shape)
    eigenvalues = _check_bool("eigenvalues", eigenvalues)
    N = Hs.shape[0]
    rtol = 0.0
    if atol is None:
        atol = np.zeros(1)
        rtol = TOL_RTOL * n
    srtol = SYM_RTOL * n
    inertia = np.empty((N, 3), dtype=_inertia_dtype(n))
    kind = np.empty(N, dtype=np.int8)
    tol_used = np.empty(N)
    eig = None
    # kernels without an objective are called in their parallel, disk-cached build
    # (a serial twin would be compiled anew in every process)
    if eigenvalues:
        eig = np.empty((N, n))
        big = n >= kernels.LAPACK_MIN_N
        if big:
            bad = kernels.classify_hessians_batch_lapack(Hs, atol, rtol, srtol, eig, inertia,
                                                         kind, tol_used)
        else:
            bad = kernels.classify_hessians_batch(Hs, atol, rtol, srtol, eig, inertia, kind,
                                                  tol_used, kernels.size_tag(n))
    else:
        bad = kernels.inertia_hessians_batch(Hs, atol, rtol, srtol, inertia, kind, tol_used,
                                             kernels.size_tag(n))
    if bad >= 0:
        a = Hs[bad]
        asym = float(np.max(np.abs(a - a.T)))
        fro = float(np.linalg.norm((a + a.T) / 2))
        where = np.unravel_index(bad, batch_shape) if batch_shape else ()
        raise ValueError(
            f"`H` must be symmetric: H[{', '.join(map(str, where))}] has max |H_ij - H_ji| "
            f"= {asym:.3g}, more than round-off ({srtol:.2g} * ||H||_F = {srtol * fro:.3g}). "
            "Pass (H + H.swapaxes(-1, -2)) / 2 if the asymmetry is expected."
        )
    _warn_nonfinite(kind, "classify_hessians")
    return HessianClassification(
        kind=kind.reshape(batch_shape),
        eigenvalues=None if eig is None else eig.reshape(batch_shape + (n,)),
        inertia=inertia.reshape(batch_shape + (3,)),
        tol=tol_used.reshape(batch_shape),
    )


# ----------------------------------------------------------------------------- points
def _derivatives(func, points, batch_shape, pshape, args, ndim, jit, need_gk, need_h2):
    """f, gradients and Hessians of the (finite) points; NaN/inf stays in the values."""
    N, n = points.shape
    x = points.reshape(batch_shape + pshape)
    kw = dict(args=args, method="central", order=2, ndim=ndim, jit=jit, full_output=True)
    f0 = np.empty(N)
    kernel = select(kernels.values_batch, work=points.size, jit=jit)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", NonFiniteWarning)
        kernel(func, points, pshape, args, f0)
        gh = gradient(func, x, step=GRAD_REL_STEP, **kw)
        H1 = hessian(func, x, step=HESS_REL_STEP, **kw)
        gk = gradient(func, x, step=HESS_REL_STEP, **kw) if need_gk else None
        H2 = hessian(func, x, step=2.0 * HESS_REL_STEP, **kw) if need_h2 else None
    nfev = N + sum(r.nfev for r in (gh, H1, gk, H2) if r is not None)
    gk = gk.value.reshape(N, n) if need_gk else np.empty((0, n))
    H2 = H2.value.reshape(N, n, n) if need_h2 else np.empty((0, n, n))
    return f0, gh.value.reshape(N, n), gk, H1.value.reshape(N, n, n), H2, nfev


def classify_points(
    f: Callable,
    x,
    *,
    args: tuple = (),
    gtol=None,
    tol=None,
    ndim: int = 1,
    jit: bool = True,
) -> PointClassification:
    r"""First- and second-order optimality tests at every point of a batch.

    Parameters
    ----------
    f : callable
        ``f(x, *args) -> float``; a numba function runs at full speed, a plain Python
        function is compiled with numba (or run as Python with ``jit=False``).
    x : array_like
        Points; the trailing `ndim` axes form one point, leading axes are batch axes.
        Points with NaN/inf coordinates are not evaluated and come back NONFINITE.
    args : tuple, optional
        Extra arguments of `f`.
    gtol : float or array_like, optional
        A point is critical when ``||grad f||_2 <= gtol``. Scalar or broadcastable to
        the batch shape. Default: from the finite-difference error model (Notes).
    tol : float or array_like, optional
        Hessian eigenvalues with ``|lambda| <= tol`` count as zero. Default: from the
        error model.
    ndim : int, optional
        Number of trailing axes of `x` forming one point (2 for a matrix variable; the
        Hessian is then that of the flattened point).
    jit : bool, optional
        False: evaluate `f` as plain Python (slow; same answers).

    Returns
    -------
    PointClassification
        ``kind`` (:class:`PointType` per point), ``grad_norm``, ``eigenvalues``,
        ``inertia``, the ``gtol`` / ``tol`` used, ``fun``, ``gradient``, ``hessian``,
        ``nfev``.

    Notes
    -----
    First-order test: ``||g|| <= gtol`` (else NOT_CRITICAL). Second-order test on the
    Hessian as in :func:`classify_hessians`. NaN/inf in ``f``, the gradient or the
    Hessian makes that point NONFINITE only (one :class:`NonFiniteWarning`).

    Derivatives: central gradient ``g_h`` (relative step ``eps^(1/3)``, error
    ``O(h^2) ~ eps^(2/3)``) and order-2 Hessian ``H_k`` (relative step ``eps^(1/4)``,
    error ``O(k^2) ~ eps^(1/2)``), ``n^2 + 3 n + 2`` evaluations per point; the default
    tolerances add a gradient at step ``k`` and a Hessian at ``2 k`` (total
    ``2 n^2 + 6 n + 3``). Error model (details in :mod:`fastopt.kernels._critical`)::

        gtol = 10 (||T_g + R_g|| + eps max(1, |x|) ||H||_F)
        tol  = 10 ||T_H + R_H||_F + 16 n eps ||H||_F + sqrt(L (||g|| + gtol / 10))

    with truncation errors estimated from the two step sizes (``T_g,i = |g_k,i - g_h,i|
    h_i^2 / (k_i^2 - h_i^2)``, ``T_H = |H_k - H_2k| / 3``), rounding errors
    ``R_g,i = eps |f| / h_i`` and ``R_H,ij = 4 eps |f| / (k_i k_j)``, and ``L`` the
    third derivatives estimated from ``g_k - g_h``: an eigenvalue counts only if it is
    too large to change sign between ``x`` and the nearby true critical point. With
    these defaults a Hessian that is singular (``x^2 + y^4`` at 0: FD Hessian
    ``diag(2, 2 k^2)``) is DEGENERATE while a definite one with a small eigenvalue
    (``x^2 + 1e-5 y^2 + y^4``) is a MINIMUM.

    Examples
    --------
    >>> import numpy as np
    >>> import fastopt
    >>> def f(x):
    ...     return x[0] ** 3 - x[1] ** 3 + x[0] ** 2
    >>> res = fastopt.classify_points(f, [[0.0, 0.0], [-2 / 3, 0.0], [1.0, 1.0]])
    >>> [fastopt.PointType(k).name for k in res.kind]
    ['DEGENERATE', 'DEGENERATE', 'NOT_CRITICAL']
    >>> np.round(res.eigenvalues[1], 6) + 0.0
    array([-2.,  0.])
    """
    if (lazy := _distributed.maybe_dask(classify_points, **locals())) is not NotImplemented:
        return lazy
    points, batch_shape, pshape = as_points(x, ndim, finite=False)
    args = check_args(args)
    gt = _check_tol("gtol", gtol, batch_shape)
    ht = _check_tol("tol", tol, batch_shape)
    jit = _check_bool("jit", jit)
    func = check_objective(f, pshape, args, jit=jit)
    N, n = points.shape
    bad = ~np.isfinite(points).all(axis=1)
    if bad.any():
        points = np.where(bad[:, None], 0.0, points)
    if not jit and N:
        check_probe(func(points[0].reshape(pshape).copy(), *args))
    need_gk = gt is None or ht is None
    f0, gh, gk, H1, H2, nfev = _derivatives(
        func, points, batch_shape, pshape, args, ndim, jit, need_gk, ht is None
    )
    f0[bad] = np.nan
    mg, mh, lip = np.empty(N), np.empty(N), np.empty(N)
    if need_gk:
        with np.errstate(all="ignore"):
            kernels.fd_tolerances_batch(points, f0, gh, gk, H1, H2, GRAD_REL_STEP,
                                        HESS_REL_STEP, SAFETY, mg, mh, lip)
    gtol_in = mg if gt is None else gt
    atol, rtol = (mh, TOL_RTOL * n) if ht is None else (ht, 0.0)
    lip_in = lip if ht is None else np.zeros(1)
    eig = np.empty((N, n))
    inertia = np.empty((N, 3), dtype=_inertia_dtype(n))
    kind = np.empty(N, dtype=np.int8)
    gnorm, tol_used = np.empty(N), np.empty(N)
    with np.errstate(all="ignore"):
        kernels.classify_points_batch(f0, gh, H1, gtol_in, atol, lip_in, rtol, eig, inertia,
                                      kind, gnorm, tol_used)
    _warn_nonfinite(kind, "classify_points")
    return PointClassification(
        kind=kind.reshape(batch_shape),
        grad_norm=gnorm.reshape(batch_shape),
        eigenvalues=eig.reshape(batch_shape + (n,)),
        inertia=inertia.reshape(batch_shape + (3,)),
        gtol=np.broadcast_to(gtol_in, (N,)).reshape(batch_shape).copy(),
        tol=tol_used.reshape(batch_shape),
        fun=f0.reshape(batch_shape),
        gradient=gh.reshape(batch_shape + pshape),
        hessian=H1.reshape(batch_shape + pshape + pshape),
        nfev=int(nfev),
    )


# ----------------------------------------------------------------------------- search
def find_critical_points(
    f: Callable,
    bounds,
    *,
    args: tuple = (),
    num=None,
    maxiter: int = 100,
    xtol: float = 1e-10,
    gtol: float | None = None,
    tol: float | None = None,
    merge_tol=None,
    jit: bool = True,
) -> CriticalPoints:
    r"""Every critical point of `f` inside a box: minima, maxima, saddles, degenerate.

    Parameters
    ----------
    f : callable
        ``f(x, *args) -> float`` with ``x`` of shape (n,); numba-compiled as in
        :func:`classify_points`. `f` must be defined a little outside the box (the
        finite-difference stencils reach ``~1e-4 max(1, |x|)`` beyond it).
    bounds : array_like, shape (n, 2)
        The box, ``(lo_i, hi_i)`` pairs with ``lo_i < hi_i``.
    args : tuple, optional
        Extra arguments of `f`.
    num : int or sequence of int, optional
        Grid points per axis (``>= 2``, endpoints included): every grid point starts
        one Newton iteration. Default ``min(41, max(3, round(4000 ** (1 / n))))``
        (41 x 41 in 2-D, 16^3 in 3-D, 8^4 in 4-D); at most ``MAX_STARTS`` points.
    maxiter : int, optional
        Newton iterations per start.
    xtol : float, optional
        Newton stops when a step is at most ``xtol * max(1, |x|_inf)``.
    gtol, tol : float, optional
        Tolerances of the final tests, as in :func:`classify_points` (default: the
        finite-difference error model).
    merge_tol : float or array_like, optional
        End points closer than this in every coordinate are one critical point.
        Default: ``1e-3`` grid spacings per axis.
    jit : bool, optional
        False runs `f` as plain Python (very slow for this method).

    Returns
    -------
    CriticalPoints
        ``x``, ``fun``, ``kind``, ``eigenvalues``, ``grad_norm``, ``inertia``, ``hits``
        (starts that ended there), ``nstart``, ``nfev``; sorted by ``fun``, ties by
        ``x``.

    Notes
    -----
    1. Seeding: a regular grid of ``num`` points per axis on the box (its own grid,
       not the grid-search kernels); every grid point is a start. Newton's method
       converges to the critical point of whatever type near its start, so seeding
       from a grid -- rather than from the lowest values -- finds saddles and maxima too.
    2. Newton (:func:`fastopt.kernels.newton_critical_batch`, parallel over starts):
       central gradient and order-2 Hessian by finite differences, step
       ``-pinv(H) g`` from a Jacobi eigen-decomposition (singular Hessians give finite
       steps), projected at active bounds, cut to stay in the box, and halved until
       ``||g||`` decreases (damping). Quadratic convergence at nondegenerate points,
       linear at degenerate ones (there the location is only determined to
       ``~(gtol / |f'''|)^(1/2)``, e.g. ``~1e-5`` for ``x^3``).
    3. Merging: end points are visited by increasing gradient norm; each joins the
       first kept point within `merge_tol`, else is kept.
    4. Classification: the kept points go through :func:`classify_points`; those that
       are not critical (starts that stalled, e.g. on the boundary) are dropped.

    Critical points on the boundary are found when the gradient vanishes there. A
    continuum of critical points (``f = x^2`` in 2-D: the line x = 0) gives one entry
    per cluster of end points, not a line.

    Examples
    --------
    >>> import numpy as np
    >>> import fastopt
    >>> def f(x):
    ...     return np.sin(x[0]) * np.cos(x[1])
    >>> res = fastopt.find_critical_points(f, [(0.1, 3.0), (-1.0, 1.0)], num=10)
    >>> np.round(res.x, 6) + 0.0, [fastopt.PointType(k).name for k in res.kind]
    (array([[1.570796, 0.      ]]), ['MAXIMUM'])
    """
    lo, hi = check_bounds(bounds)
    n = lo.size
    args = check_args(args)
    nums = _check_num(num, n)
    maxiter = check_int("maxiter", maxiter, minimum=1)
    xtol = _check_positive("xtol", xtol)
    gt = _check_tol("gtol", gtol, ())
    ht = _check_tol("tol", tol, ())
    if merge_tol is None:
        radius = 1e-3 * (hi - lo) / (nums - 1)
    else:
        radius = _check_tol("merge_tol", merge_tol, (n,))
        if np.any(radius == 0):
            raise ValueError(f"`merge_tol` must be > 0; got {merge_tol!r}")
        radius = np.broadcast_to(radius, (n,)).copy()
    jit = _check_bool("jit", jit)
    func = check_objective(f, (n,), args, jit=jit)
    if not jit:
        check_probe(func(lo.copy(), *args))

    axes = [np.linspace(lo[i], hi[i], int(nums[i])) for i in range(n)]
    starts = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, n)
    starts = np.ascontiguousarray(starts)
    N = starts.shape[0]
    x_end = np.empty_like(starts)
    code = np.empty(N, dtype=np.int64)
    nit = np.empty(N, dtype=np.int64)
    nfev = np.empty(N, dtype=np.int64)
    gnorm = np.empty(N)
    kernel = select(kernels.newton_critical_batch, work=N * 20 * (n * n + 3 * n), jit=jit)
    with np.errstate(all="ignore"):
        kernel(func, starts, (n,), lo, hi, args, maxiter, xtol, x_end, code, nit, nfev, gnorm)

    usable = np.flatnonzero(np.isfinite(gnorm) & (code != NEWTON_NONFINITE))
    order = usable[np.argsort(gnorm[usable], kind="stable")]
    label = np.full(N, -1, dtype=np.int64)
    reps = kernels.merge_points(x_end, order, radius, label)
    hits = np.bincount(label[order], minlength=reps.size)

    total_nfev = int(nfev.sum())
    if reps.size:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NonFiniteWarning)
            res = classify_points(func, x_end[reps], args=args, gtol=gt, tol=ht, jit=jit)
        total_nfev += res.nfev
        keep = np.isin(res.kind, _CRITICAL_KINDS)
    else:
        keep = np.zeros(0, dtype=bool)
    if not keep.any():
        return CriticalPoints(
            x=np.empty((0, n)), fun=np.empty(0), kind=np.empty(0, dtype=np.int8),
            eigenvalues=np.empty((0, n)), grad_norm=np.empty(0),
            inertia=np.empty((0, 3), dtype=_inertia_dtype(n)),
            hits=np.empty(0, dtype=np.int64), nstart=N, nfev=total_nfev,
        )
    xs = x_end[reps][keep]
    fun = res.fun[keep]
    srt = np.lexsort(tuple(xs[:, i] for i in range(n - 1, -1, -1)) + (fun,))
    return CriticalPoints(
        x=xs[srt],
        fun=fun[srt],
        kind=res.kind[keep][srt],
        eigenvalues=res.eigenvalues[keep][srt],
        grad_norm=res.grad_norm[keep][srt],
        inertia=res.inertia[keep][srt],
        hits=hits[keep][srt],
        nstart=N,
        nfev=total_nfev,
    )
