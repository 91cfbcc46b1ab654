"""Optimality-test kernels: error-model tolerances, classification, Newton on grad f = 0.

Finite-difference error model (what decides "zero")
---------------------------------------------------
At a point ``x`` the derivatives are the central gradient ``g_h`` with relative step
``eps^(1/3)`` and the order-2 Hessian ``H_k`` with relative step ``eps^(1/4)``
(``h_i = rel * max(1, |x_i|)``, the defaults of :func:`fastopt.gradient` and
:func:`fastopt.hessian`). Each has two error sources:

* truncation, ``a h^2 + O(h^4)``, with ``a`` made of third (gradient) or fourth
  (Hessian) derivatives that no value at ``x`` alone reveals (``x^4`` at 0: ``f = 0``,
  ``H = 0``, yet an FD Hessian of ``2 k^2``). It is *estimated* from a second
  evaluation at a larger step: the central gradient ``g_k`` with the Hessian's step
  ``k`` (``T_g,i = |g_k,i - g_h,i| h_i^2 / (k_i^2 - h_i^2)``) and the Hessian ``H_2k``
  at twice its step (``T_H,ij = |H_k,ij - H_2k,ij| / 3``);
* rounding: each value of ``f`` carries an error ``~eps |f|``, divided by the stencil
  denominator: ``R_g,i = eps |f(x)| / h_i`` and ``R_H,ij = 4 eps |f(x)| / (k_i k_j)``
  (stencil weights 1 + 1 over ``2 h``; 1 + 2 + 1, or 8 over 2, over ``k^2``).

With ``E_g = ||T_g + R_g||_2 + eps max(1, |x|_inf) ||H_k||_F`` (the last term: the
gradient change when ``x`` moves by one rounding unit of its scale) the tests use::

    gtol = SAFETY * E_g
    tol  = SAFETY * ||T_H + R_H||_F  +  TOL_RTOL * n * ||H_k||_F  +  sqrt(L (||g_h|| + E_g))

``TOL_RTOL * n * ||H||_F`` (``16 n eps ||H||_F``) is the round-off of the eigenvalue
solver; an eigenvalue moves by at most ``||E||_2 <= ||E||_F`` under a perturbation
``E``. The last term (for points that pass the first-order test) accounts for the
distance to the true critical point ``x*``: it is only known that ``||x* - x|| <~
(||g_h|| + E_g) / |lambda|``, over which the Hessian changes by ``L ||x* - x||`` with
``L`` the size of the third derivatives; the verdict of an eigenvalue holds only if
``|lambda| > L ||x* - x||``, that is ``lambda^2 > L (||g_h|| + E_g)``. ``L`` is the norm
of the pure third derivatives estimated from the same two gradients,
``6 |g_k,i - g_h,i| / (k_i^2 - h_i^2)``. Without it a point a hair away from the
degenerate critical point of ``x^3 - y^3`` would be called a saddle or an extremum.
``SAFETY = 10`` covers the inexactness of the estimates (e.g. a rounding error of
``f`` several times ``eps |f|``). Functions that lose more digits (cancellation, noise)
need larger, user-given ``gtol`` / ``tol``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from .._jit import jit
from .._result import PointType
from ._batch import chunk_bounds
from ._eigen import TOL_RTOL, _eig_small, _load, _nchunks, kind_from_inertia
from ._steps import EPS, step_size

#: Relative step of the gradient (central, order 2): ``eps^(1/3)``.
GRAD_REL_STEP = EPS ** (1.0 / 3.0)
#: Relative step of the Hessian (order 2): ``eps^(1/4)``.
HESS_REL_STEP = EPS ** (1.0 / 4.0)
#: Safety factor on the estimated finite-difference errors.
SAFETY = 10.0

#: Newton exit codes (:func:`newton_critical_point`).
NEWTON_CONVERGED = 0
NEWTON_STALLED = 1
NEWTON_MAXITER = 2
NEWTON_NONFINITE = 3
#: Non-monotone line search: a step is accepted when it decreases ``||grad f||`` below
#: the largest of the last NEWTON_MEMORY values (Grippo-Lampariello-Lucidi), so that
#: Newton is not throttled in curved valleys where ``||grad f||`` rises for a step.
NEWTON_MEMORY = 8

_NOT_CRITICAL = int(PointType.NOT_CRITICAL)
_NONFINITE = int(PointType.NONFINITE)


# ----------------------------------------------------------------------------- tolerances
@jit(inline=True)
def _gradient_errors(x, p, f0, gh, gk, rel_g, rel_h, i):
    """(T_g,i + R_g,i, |third derivative|_i) of point p (module docstring)."""
    xi = x[p, i]
    h = step_size(xi, rel_g)
    k = step_size(xi, rel_h)
    dk = abs(gk[p, i] - gh[p, i]) / (k * k - h * h)
    return dk * h * h + EPS * abs(f0[p]) / h, 6.0 * dk


@jit(inline=True)
def _hessian_error(x, p, f0, H1, H2, rel_h, i, j):
    """T_H,ij + R_H,ij of point p (module docstring)."""
    ki = step_size(x[p, i], rel_h)
    kj = step_size(x[p, j], rel_h)
    return abs(H1[p, i, j] - H2[p, i, j]) / 3.0 + 4.0 * EPS * abs(f0[p]) / (ki * kj)


@jit(inline=True)
def _fro(H, p):
    """Frobenius norm of H[p], without overflow for entries beyond 1e154."""
    n = H.shape[1]
    ssq = 0.0
    amax = 0.0
    for i in range(n):
        for j in range(n):
            v = H[p, i, j]
            ssq += v * v
            amax = max(amax, abs(v))
    if ssq < 1e300 or not amax < np.inf:
        return math.sqrt(ssq)
    ssq = 0.0
    for i in range(n):
        for j in range(n):
            v = H[p, i, j] / amax
            ssq += v * v
    return amax * math.sqrt(ssq)


@jit(inline=True)
def _gradient_model(x, p, f0, gh, gk, H1, rel_g, rel_h):
    """(E_g, L) of point p (module docstring); x, gh, gk 2-D, H1 3-D."""
    n = x.shape[1]
    acc = 0.0
    lip = 0.0
    emax = 0.0
    tmax = 0.0
    smax = 1.0
    for i in range(n):
        smax = max(smax, abs(x[p, i]))
        e, t = _gradient_errors(x, p, f0, gh, gk, rel_g, rel_h, i)
        acc += e * e
        lip += t * t
        emax = max(emax, e)
        tmax = max(tmax, t)
    if acc >= 1e300 or lip >= 1e300:  # rescale: no overflow of the squares
        acc = 0.0
        lip = 0.0
        for i in range(n):
            e, t = _gradient_errors(x, p, f0, gh, gk, rel_g, rel_h, i)
            acc += (e / emax) ** 2 if emax > 0.0 else 0.0
            lip += (t / tmax) ** 2 if tmax > 0.0 else 0.0
        return emax * math.sqrt(acc) + EPS * smax * _fro(H1, p), tmax * math.sqrt(lip)
    return math.sqrt(acc) + EPS * smax * _fro(H1, p), math.sqrt(lip)


@jit(inline=True)
def _hessian_model(x, p, f0, H1, H2, rel_h):
    """||T_H + R_H||_F of point p (module docstring)."""
    n = x.shape[1]
    acc = 0.0
    emax = 0.0
    for i in range(n):
        for j in range(n):
            e = _hessian_error(x, p, f0, H1, H2, rel_h, i, j)
            acc += e * e
            emax = max(emax, e)
    if acc >= 1e300:
        acc = 0.0
        for i in range(n):
            for j in range(n):
                acc += (_hessian_error(x, p, f0, H1, H2, rel_h, i, j) / emax) ** 2
        return emax * math.sqrt(acc)
    return math.sqrt(acc)


@jit(parallel=True, cache=True)
def fd_tolerances_batch(points, f0, gh, gk, H1, H2, rel_g, rel_h, safety, gtol, htol, lip):
    """Tolerances of the first- and second-order tests from the error model, in parallel.

    See the module docstring. ``htol`` is the finite-difference part
    ``SAFETY * ||T_H + R_H||_F`` only: :func:`classify_points_batch` adds the round-off
    and location terms.

    Parameters
    ----------
    points : ndarray, shape (N, n)
        The points.
    f0 : ndarray, shape (N,)
        f at the points.
    gh, gk : ndarray, shape (N, n)
        Central gradients with relative steps `rel_g` and `rel_h`; `gk` may have 0 rows,
        then `gtol` and `lip` are not written.
    H1, H2 : ndarray, shape (N, n, n)
        Order-2 Hessians with relative steps `rel_h` and ``2 rel_h``; `H2` may have 0
        rows, then `htol` is not written.
    rel_g, rel_h : float
        Relative steps of the gradient and of the Hessian.
    safety : float
        Safety factor (``SAFETY``).
    gtol, htol, lip : ndarray, shape (N,)
        Output: ``SAFETY * E_g``, ``SAFETY * ||T_H + R_H||_F`` and ``L``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastopt.kernels import fd_tolerances_batch
    >>> x, f0 = np.zeros((1, 1)), np.zeros(1)
    >>> h, k = 2.0 ** -17, 2.0 ** -13
    >>> gh, gk = np.full((1, 1), h * h), np.full((1, 1), k * k)  # f = x^3 at 0
    >>> H1, H2 = np.zeros((1, 1, 1)), np.zeros((1, 1, 1))
    >>> gtol, htol, lip = np.empty(1), np.empty(1), np.empty(1)
    >>> fd_tolerances_batch(x, f0, gh, gk, H1, H2, h, k, 10.0, gtol, htol, lip)
    >>> gtol / (10 * h * h), htol, lip  # E_g = h^2, third derivative 6
    (array([1.]), array([0.]), array([6.]))
    """
    N = points.shape[0]
    want_g = gk.shape[0] == N
    want_h = H2.shape[0] == N
    for p in prange(N):
        if want_g:
            e, lp = _gradient_model(points, p, f0, gh, gk, H1, rel_g, rel_h)
            gtol[p] = safety * e
            lip[p] = lp
        if want_h:
            htol[p] = safety * _hessian_model(points, p, f0, H1, H2, rel_h)


# ----------------------------------------------------------------------------- classification
@jit(inline=True)
def _classify_row(f0, grad, hess, p, gt, at, lp, rtol, w, eig, inertia):
    """Both tests for row p; writes eig[p], inertia[p]; returns (kind, grad_norm, tol).

    tol = at + rtol ||H||_F, plus sqrt(lp (||g|| + gt / SAFETY)) if ||g|| <= gt.
    """
    n = grad.shape[1]
    chk = f0[p] - f0[p]
    gmax = 0.0
    for i in range(n):
        v = grad[p, i]
        chk += v - v
        gmax = max(gmax, abs(v))
    gn = 0.0
    if gmax > 0.0 and chk == 0.0:
        ssq = 0.0
        inv = 1.0 / gmax
        for i in range(n):
            v = grad[p, i] * inv
            ssq += v * v
        gn = gmax * math.sqrt(ssq)
    elif chk != 0.0:
        gn = np.nan
    finite, scale, fro, _ = _load(hess, p, w, 0)
    t = at
    if rtol != 0.0:
        t += rtol * fro
    if lp != 0.0 and gn <= gt:
        t += math.sqrt(lp * (gn + gt / SAFETY))
    ok = finite and chk == 0.0 and (gt - gt) == 0.0 and (t - t) == 0.0
    if not ok:
        for i in range(n):
            eig[p, i] = np.nan
        for i in range(3):
            inertia[p, i] = -1
        return _NONFINITE, gn, t
    _eig_small(w, n, scale)
    neg = 0
    pos = 0
    for i in range(n):
        v = w[n, i]
        eig[p, i] = v
        neg += v < -t
        pos += v > t
    zero = n - neg - pos
    inertia[p, 0] = neg
    inertia[p, 1] = zero
    inertia[p, 2] = pos
    kind = kind_from_inertia(neg, zero, pos)
    if gn > gt:
        kind = _NOT_CRITICAL
    return kind, gn, t


@jit(parallel=True, cache=True)
def classify_points_batch(f0, grad, hess, gtol, atol, lip, rtol, eig, inertia, kind, gnorm,
                          tol):
    """First- and second-order tests of many points from their derivatives, in parallel.

    Point p is NONFINITE if any of ``f0[p]``, ``grad[p]``, ``hess[p]`` or its
    tolerances is NaN/inf; NOT_CRITICAL if ``||grad[p]||_2 > gtol[p]``; otherwise the
    verdict of the eigenvalues of ``hess[p]`` (as :func:`classify_hessian`) with

        tol[p] = atol[p] + rtol ||hess[p]||_F + sqrt(lip[p] (||grad[p]|| + gtol[p] / SAFETY))

    (the last term only for points that pass the first-order test; see the module
    docstring). Eigenvalues and inertia are reported for NOT_CRITICAL points too.

    Parameters
    ----------
    f0 : ndarray, shape (N,)
        f at the points (only checked for NaN/inf).
    grad : ndarray, shape (N, n)
        Gradients.
    hess : ndarray, shape (N, n, n)
        Hessians (symmetric).
    gtol, atol, lip : ndarray, shape (N,) or (1,)
        Gradient-norm tolerance, absolute eigenvalue tolerance and third-derivative
        size ``L``, per point or shared (``lip = [0.0]`` drops the location term).
    rtol : float
        Eigenvalue tolerance relative to ``||hess[p]||_F``.
    eig : ndarray, shape (N, n)
        Output: ascending eigenvalues.
    inertia : ndarray of int, shape (N, 3)
        Output: ``(neg, zero, pos)``.
    kind : ndarray of int, shape (N,)
        Output: :class:`~fastopt.PointType` codes.
    gnorm, tol : ndarray, shape (N,)
        Output: gradient norms and the eigenvalue tolerances used.

    Examples
    --------
    >>> import numpy as np
    >>> from fastopt.kernels import classify_points_batch
    >>> grad = np.array([[0.0, 0.0], [1.0, 0.0]])
    >>> hess = np.array([np.diag([2.0, -2.0]), np.eye(2)])
    >>> eig, inertia = np.empty((2, 2)), np.empty((2, 3), np.int8)
    >>> kind, gnorm, tol = np.empty(2, np.int8), np.empty(2), np.empty(2)
    >>> tols = np.array([1e-8])
    >>> classify_points_batch(np.zeros(2), grad, hess, tols, tols, np.zeros(1), 0.0, eig,
    ...                       inertia, kind, gnorm, tol)
    >>> kind  # SADDLE, NOT_CRITICAL
    array([2, 4], dtype=int8)
    """
    N = grad.shape[0]
    n = grad.shape[1]
    nc = _nchunks(N)
    gshared = gtol.shape[0] == 1
    ashared = atol.shape[0] == 1
    lshared = lip.shape[0] == 1
    for c in prange(nc):
        lo, hi = chunk_bounds(N, nc, c)
        w = np.empty((2 * n + 2, n))
        for p in range(lo, hi):
            gt = gtol[0] if gshared else gtol[p]
            at = atol[0] if ashared else atol[p]
            lp = lip[0] if lshared else lip[p]
            k, gn, t = _classify_row(f0, grad, hess, p, gt, at, lp, rtol, w, eig, inertia)
            kind[p] = k
            gnorm[p] = gn
            tol[p] = t


@jit()
def classify_point(f, x, args, gtol, tol, eig_out, inertia_out):
    """First- and second-order tests at one point, serially (safe inside a user's prange).

    Computes ``f(x)``, the central gradient (relative step ``eps^(1/3)``) and the order-2
    Hessian (``eps^(1/4)``) -- the stencils of :func:`gradient_point` and
    :func:`hessian_point` -- and applies both tests. A negative `gtol` / `tol` selects the
    finite-difference error model of the module docstring, which costs a second
    gradient (step ``eps^(1/4)``) and a second Hessian (twice the step).

    Parameters
    ----------
    f : numba function
        Objective ``f(x, *args) -> float``.
    x : ndarray
        The point (C-contiguous float64, any shape).
    args : tuple
        Extra arguments of `f`.
    gtol : float
        Gradient-norm tolerance, or negative for the error model.
    tol : float
        Eigenvalue tolerance, or negative for the error model.
    eig_out : ndarray, shape (n,)
        Output: ascending Hessian eigenvalues.
    inertia_out : ndarray of int, shape (3,)
        Output: ``(neg, zero, pos)``.

    Returns
    -------
    (int, float, float, float)
        :class:`~fastopt.PointType` code, gradient norm, and the `gtol` and `tol` used.

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt import PointType
    >>> from fastopt.kernels import classify_point
    >>> @numba.njit
    ... def f(x):
    ...     return x[0] ** 2 - x[1] ** 2
    >>> eig, inertia = np.empty(2), np.empty(3, np.int64)
    >>> kind, gnorm, gtol, tol = classify_point(f, np.zeros(2), (), -1.0, -1.0, eig, inertia)
    >>> PointType(kind).name, np.round(eig, 6)
    ('SADDLE', array([-2.,  2.]))
    """
    n = x.size
    xw = x.copy()  # the stencils perturb a copy: x itself is never written
    xf = xw.reshape(n)
    f0 = np.empty(1)
    f0[0] = f(x, *args)
    gh = np.empty((1, n))
    gk = np.empty((1, n))
    H1 = np.empty((1, n, n))
    H2 = np.empty((1, n, n))
    side = np.empty((3, n))
    _fd_gradient(f, xf, xw, args, GRAD_REL_STEP, gh[0])
    _fd_hessian(f, xf, xw, args, HESS_REL_STEP, side, H1[0])
    if gtol < 0.0 or tol < 0.0:
        _fd_gradient(f, xf, xw, args, HESS_REL_STEP, gk[0])
    if tol < 0.0:
        _fd_hessian(f, xf, xw, args, 2.0 * HESS_REL_STEP, side, H2[0])
    return _classify_derivatives(x.reshape(1, n), f0, gh, gk, H1, H2, gtol, tol, eig_out,
                                 inertia_out)


@jit(cache=True)
def _classify_derivatives(pts, f0, gh, gk, H1, H2, gtol, tol, eig_out, inertia_out):
    """Apply both tests to the derivatives of classify_point (cached, not per f)."""
    n = pts.shape[1]
    gt = gtol
    lp = 0.0
    if gtol < 0.0 or tol < 0.0:
        eg, lp = _gradient_model(pts, 0, f0, gh, gk, H1, GRAD_REL_STEP, HESS_REL_STEP)
        if gtol < 0.0:
            gt = SAFETY * eg
    at = tol
    rt = 0.0
    if tol < 0.0:
        at = SAFETY * _hessian_model(pts, 0, f0, H1, H2, HESS_REL_STEP)
        rt = TOL_RTOL * n
    else:
        lp = 0.0
    w = np.empty((2 * n + 2, n))
    kind, gn, t = _classify_row(
        f0, gh, H1, 0, gt, at, lp, rt, w, eig_out.reshape(1, n), inertia_out.reshape(1, 3)
    )
    return kind, gn, gt, t


# ----------------------------------------------------------------------------- Newton
@jit(cache=True)
def _jacobi_eigh(a, v, n):
    """Cyclic Jacobi: a (symmetric, destroyed) -> eigenvalues on its diagonal, v columns."""
    for i in range(n):
        for j in range(n):
            v[i, j] = 0.0
        v[i, i] = 1.0
    for _ in range(50):
        off = 0.0
        diag = 0.0
        for i in range(n):
            diag += a[i, i] * a[i, i]
            for j in range(i):
                off += a[i, j] * a[i, j]
        if off <= EPS * EPS * diag * 0.25 or off == 0.0:
            return
        for p in range(n - 1):
            for q in range(p + 1, n):
                apq = a[p, q]
                if apq == 0.0:
                    continue
                theta = (a[q, q] - a[p, p]) / (2.0 * apq)
                if abs(theta) > 1e150:
                    t = 0.5 / theta
                else:
                    t = 1.0 / (abs(theta) + math.sqrt(theta * theta + 1.0))
                    if theta < 0.0:
                        t = -t
                c = 1.0 / math.sqrt(t * t + 1.0)
                s = t * c
                for k in range(n):
                    akp = a[k, p]
                    akq = a[k, q]
                    a[k, p] = c * akp - s * akq
                    a[k, q] = s * akp + c * akq
                for k in range(n):
                    apk = a[p, k]
                    aqk = a[q, k]
                    a[p, k] = c * apk - s * aqk
                    a[q, k] = s * apk + c * aqk
                a[p, q] = 0.0
                a[q, p] = 0.0
                for k in range(n):
                    vkp = v[k, p]
                    vkq = v[k, q]
                    v[k, p] = c * vkp - s * vkq
                    v[k, q] = s * vkp + c * vkq


@jit(cache=True)
def _norm(g, n):
    s = 0.0
    for i in range(n):
        s += g[i] * g[i]
    return math.sqrt(s)


@jit(cache=True)
def _newton_direction(H, V, g, d, n):
    """D = -pinv(H) g over the eigenvalues above 1e-10 max |lambda| (H destroyed)."""
    _jacobi_eigh(H, V, n)
    lmax = 0.0
    for i in range(n):
        lmax = max(lmax, abs(H[i, i]))
    for i in range(n):
        d[i] = 0.0
    cut = 1e-10 * lmax
    for k in range(n):
        lam = H[k, k]
        if abs(lam) > cut:
            c = 0.0
            for i in range(n):
                c += V[i, k] * g[i]
            c /= lam
            for i in range(n):
                d[i] -= c * V[i, k]


@jit(inline=True)
def _fd_gradient(f, x, xp, args, rel, out):
    """Central order-2 gradient with relative step `rel`, as ``gradient_point``.

    The arithmetic of ``gradient_point(f, x, rstep, CENTRAL2, args, out)``, inlined: the
    shared kernel costs ~1 s of compile time per objective, this one ~0.1 s.
    """
    n = x.size
    for i in range(n):
        xi = x[i]
        h = step_size(xi, rel)
        x[i] = xi - h
        acc = -0.5 * f(xp, *args)
        x[i] = xi + h
        acc += 0.5 * f(xp, *args)
        x[i] = xi
        out[i] = acc / h


@jit(inline=True)
def _fd_hessian(f, x, xp, args, rel, side, out):
    """Order-2 Hessian with relative step `rel`, as ``hessian_point`` (n^2 + n + 1 evals).

    The stencils of ``hessian_point(f, x, rstep, 2, args, out)`` (see
    :mod:`fastopt.kernels._fd`), inlined for compile time (~2.5 s per objective for the
    shared kernel).
    """
    n = x.size
    f0 = f(xp, *args)
    for i in range(n):
        xi = x[i]
        h = step_size(xi, rel)
        side[2, i] = h
        x[i] = xi + h
        side[0, i] = f(xp, *args)
        x[i] = xi - h
        side[1, i] = f(xp, *args)
        x[i] = xi
    for i in range(n):
        hi = side[2, i]
        out[i, i] = (side[0, i] - 2.0 * f0 + side[1, i]) / (hi * hi)
        for j in range(i + 1, n):
            hj = side[2, j]
            xi = x[i]
            xj = x[j]
            x[i] = xi + hi
            x[j] = xj + hj
            fpp = f(xp, *args)
            x[i] = xi - hi
            x[j] = xj - hj
            fmm = f(xp, *args)
            x[i] = xi
            x[j] = xj
            num = (fpp - side[0, i] - side[0, j] + 2.0 * f0
                   - side[1, i] - side[1, j] + fmm)
            v = num / (2.0 * hi * hj)
            out[i, j] = v
            out[j, i] = v


@jit()
def _newton_core(f, xp, x, lo, hi, args, maxiter, xtol, buf, H, V, hist):
    """Damped Newton on grad f = 0 from x (flat view of the point-shaped xp), in the box.

    buf rows: 0 gradient, 1 trial gradient, 2 direction, 3 previous x, 4-6 Hessian
    side values and steps; hist: the last NEWTON_MEMORY gradient norms.
    Returns (exit code, iterations, evaluations of f, ||g||).
    """
    n = x.size
    g = buf[0]
    gt = buf[1]
    d = buf[2]
    xold = buf[3]
    side = buf[4:7]
    _fd_gradient(f, x, xp, args, GRAD_REL_STEP, g)
    nfev = 2 * n
    gn = _norm(g, n)
    if not math.isfinite(gn):
        return NEWTON_NONFINITE, 0, nfev, gn
    for m in range(NEWTON_MEMORY):
        hist[m] = gn
    for it in range(maxiter):
        if gn == 0.0:
            return NEWTON_CONVERGED, it, nfev, gn
        _fd_hessian(f, x, xp, args, HESS_REL_STEP, side, H)
        nfev += n * n + n + 1
        hsum = 0.0
        for i in range(n):
            for j in range(n):
                hsum += H[i, j]
        if not math.isfinite(hsum):
            return NEWTON_NONFINITE, it, nfev, gn
        _newton_direction(H, V, g, d, n)
        amax = 1.0
        nonzero = False
        for i in range(n):  # projected direction: no push through an active bound
            if (x[i] <= lo[i] and d[i] < 0.0) or (x[i] >= hi[i] and d[i] > 0.0):
                d[i] = 0.0
            if d[i] > 0.0:
                amax = min(amax, (hi[i] - x[i]) / d[i])
            elif d[i] < 0.0:
                amax = min(amax, (lo[i] - x[i]) / d[i])
            nonzero = nonzero or d[i] != 0.0
        if not nonzero:
            return NEWTON_STALLED, it, nfev, gn
        for i in range(n):
            xold[i] = x[i]
        alpha = amax
        accepted = False
        gtn = gn
        gref = 0.0
        for m in range(NEWTON_MEMORY):
            gref = max(gref, hist[m])
        for _ in range(40):  # non-monotone backtracking on the merit ||grad f||
            for i in range(n):
                x[i] = min(max(xold[i] + alpha * d[i], lo[i]), hi[i])
            _fd_gradient(f, x, xp, args, GRAD_REL_STEP, gt)
            nfev += 2 * n
            gtn = _norm(gt, n)
            if gtn <= (1.0 - 1e-4 * alpha) * gref:
                accepted = True
                break
            alpha *= 0.5
        if not accepted:
            for i in range(n):
                x[i] = xold[i]
            return NEWTON_STALLED, it + 1, nfev, gn
        step = 0.0
        xmax = 1.0
        for i in range(n):
            step = max(step, abs(x[i] - xold[i]))
            xmax = max(xmax, abs(x[i]))
            g[i] = gt[i]
        gn = gtn
        hist[it % NEWTON_MEMORY] = gn
        if step <= xtol * xmax:
            return NEWTON_CONVERGED, it + 1, nfev, gn
    return NEWTON_MAXITER, maxiter, nfev, gn


@jit()
def newton_critical_point(f, x0, lo, hi, args, maxiter, xtol, x_out):
    """Damped Newton iteration on ``grad f = 0`` from one start, inside a box, serially.

    Each iteration takes the central gradient (relative step ``eps^(1/3)``) and the
    order-2 Hessian (``eps^(1/4)``), the step ``d = -pinv(H) g`` (Jacobi eigen-
    decomposition; eigenvalues below ``1e-10 max |lambda|`` are dropped, so singular
    Hessians give finite steps), projects it so that no active bound is pushed through,
    cuts it to stay in the box, and halves it until ``||g||`` is below ``1 - 1e-4 alpha``
    times the largest of its last 8 values (a non-monotone line search). It converges
    to minima, maxima and saddles alike (quadratically where the Hessian is
    nonsingular, linearly at degenerate points). Safe inside a user's ``prange``.

    Parameters
    ----------
    f : numba function
        Objective ``f(x, *args) -> float``.
    x0 : ndarray
        Start (C-contiguous float64, the point shape); clipped into the box.
    lo, hi : ndarray, shape (x0.size,)
        Box corners.
    args : tuple
        Extra arguments of `f`.
    maxiter : int
        Iteration limit.
    xtol : float
        Stop when a step is at most ``xtol * max(1, |x|_inf)``.
    x_out : ndarray
        Output: the last iterate (the point shape).

    Returns
    -------
    (int, int, int, float)
        Exit code (``NEWTON_CONVERGED``; ``NEWTON_STALLED``: no decrease of ``||g||``
        possible, typically at the finite-difference noise floor of a degenerate point;
        ``NEWTON_MAXITER``; ``NEWTON_NONFINITE``), iterations, evaluations of `f`, and
        the final gradient norm.

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import newton_critical_point
    >>> @numba.njit
    ... def f(x):
    ...     return np.sin(x[0]) * np.cos(x[1])
    >>> out = np.empty(2)
    >>> lo, hi = np.array([-3.0, -3.0]), np.array([3.0, 3.0])
    >>> code, nit, nfev, gnorm = newton_critical_point(f, np.array([1.2, 0.3]), lo, hi,
    ...                                                (), 50, 1e-10, out)
    >>> code, np.round(out, 8) + 0.0
    (0, array([1.57079633, 0.        ]))
    """
    n = x0.size
    xf = x_out.reshape(n)
    x0f = x0.reshape(n)
    for i in range(n):
        xf[i] = min(max(x0f[i], lo[i]), hi[i])
    buf = np.empty((7, n))
    H = np.empty((n, n))
    V = np.empty((n, n))
    hist = np.empty(NEWTON_MEMORY)
    return _newton_core(f, x_out, xf, lo, hi, args, maxiter, xtol, buf, H, V, hist)


@jit(parallel=True)
def newton_critical_batch(f, starts, pshape, lo, hi, args, maxiter, xtol, x_out, code, nit,
                          nfev, gnorm):
    """:func:`newton_critical_point` from many starts, in parallel.

    Parameters
    ----------
    f : numba function
        Objective.
    starts : ndarray, shape (N, n)
        Starts, one per row (clipped into the box).
    pshape : tuple of int
        Point shape seen by `f` (``prod(pshape) == n``).
    lo, hi : ndarray, shape (n,)
        Box corners.
    args : tuple
        Extra arguments of `f`.
    maxiter : int
        Iteration limit per start.
    xtol : float
        Step tolerance (relative to ``max(1, |x|_inf)``).
    x_out : ndarray, shape (N, n)
        Output: end points.
    code, nit, nfev : ndarray of int, shape (N,)
        Output: exit codes, iterations and evaluations of `f` per start.
    gnorm : ndarray, shape (N,)
        Output: final gradient norms.

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import newton_critical_batch
    >>> @numba.njit
    ... def f(x):
    ...     return (x[0] ** 2 - 1.0) ** 2
    >>> starts = np.array([[-0.7], [0.2], [0.8]])
    >>> out, gnorm = np.empty((3, 1)), np.empty(3)
    >>> code, nit, nfev = (np.empty(3, np.int64) for _ in range(3))
    >>> newton_critical_batch(f, starts, (1,), np.array([-2.0]), np.array([2.0]), (), 50,
    ...                       1e-10, out, code, nit, nfev, gnorm)
    >>> np.round(out.ravel(), 8) + 0.0
    array([-1.,  0.,  1.])
    """
    N = starts.shape[0]
    n = starts.shape[1]
    nc = _nchunks(N)
    for c in prange(nc):
        a, b = chunk_bounds(N, nc, c)
        xb = np.empty(n)
        xp = xb.reshape(pshape)
        lob = lo.copy()
        hib = hi.copy()
        buf = np.empty((7, n))
        H = np.empty((n, n))
        V = np.empty((n, n))
        hist = np.empty(NEWTON_MEMORY)
        for p in range(a, b):
            for i in range(n):
                xb[i] = min(max(starts[p, i], lob[i]), hib[i])
            ex, it, ne, gn = _newton_core(f, xp, xb, lob, hib, args, maxiter, xtol, buf, H, V,
                                          hist)
            for i in range(n):
                x_out[p, i] = xb[i]
            code[p] = ex
            nit[p] = it
            nfev[p] = ne
            gnorm[p] = gn


# ----------------------------------------------------------------------------- merging
@jit(cache=True)
def merge_points(x, order, radius, label):
    """Greedy clustering of points: a point joins the first representative within reach.

    Points are visited in `order`; point ``q`` joins representative ``r`` when
    ``|x[q, i] - x[r, i]| <= radius[i]`` for every i, else it becomes a representative.
    Deterministic: the result depends only on `order`.

    Parameters
    ----------
    x : ndarray, shape (K, n)
        Points.
    order : ndarray of int, shape (M,)
        Indices of the points to visit (M <= K), best first.
    radius : ndarray, shape (n,)
        Merge distance per coordinate.
    label : ndarray of int, shape (K,)
        Output: the representative number of each visited point.

    Returns
    -------
    ndarray of int
        Indices (into `x`) of the representatives, in the order they were created.

    Examples
    --------
    >>> import numpy as np
    >>> from fastopt.kernels import merge_points
    >>> x = np.array([[0.0], [1e-9], [1.0]])
    >>> label = np.empty(3, np.int64)
    >>> merge_points(x, np.array([1, 0, 2]), np.array([1e-6]), label), label
    (array([1, 2]), array([0, 0, 1]))
    """
    n = x.shape[1]
    reps = np.empty(order.shape[0], dtype=np.int64)
    nrep = 0
    for q in order:
        found = -1
        for r in range(nrep):
            rep = reps[r]
            close = True
            for i in range(n):
                if not abs(x[q, i] - x[rep, i]) <= radius[i]:
                    close = False
                    break
            if close:
                found = r
                break
        if found < 0:
            reps[nrep] = q
            found = nrep
            nrep += 1
        label[q] = found
    return reps[:nrep].copy()
