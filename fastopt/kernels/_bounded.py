"""Order-2 Hessians next to a bound: one-sided stencils, every point inside the box.

Per coordinate ``i`` of a point: if ``x_i +- h_i`` lies in ``[lo_i, hi_i]`` the central
stencils of :mod:`fastopt.kernels._fd` are used; otherwise the signed step ``s_i`` (forward,
else backward, else shrunk) of a one-sided stencil reaching ``3 s_i``:

    diagonal, one-sided:  (2 f(x) - 5 f(x + s e_i) + 4 f(x + 2 s e_i) - f(x + 3 s e_i)) / s^2

Off-diagonal entries with a one-sided coordinate use the tensor product of the two
first-derivative stencils (central ``(-1, 1) / 2h`` or one-sided ``(-3, 4, -1) / 2s`` at
offsets ``(0, 1, 2)``), evaluations on the axes shared. Every formula has error
``O(h^2)``; evaluation coordinates are clamped to the box (an ulp-level change).

Higher orders (``order=4`` and ``"richardson"`` next to a bound): the same Hessian at
``L`` steps ``s / 2^l`` -- which stencil each coordinate uses is decided once, at the
largest step -- extrapolated by Richardson's rule for an error expansion in every power
``h^2, h^3, ...`` (factors ``2^(k+1)``, :mod:`fastopt.kernels._richardson`): error
``O(h^(L+1))``, so ``L = 3`` for order 4 and ``L = 5`` for order 6. The error estimate is
the change made by the last extrapolation step plus the rounding ``16 eps |f(x)| / s^2``
at the finest step.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from .._jit import jit
from ._batch import chunk_bounds, num_chunks
from ._fd import _clamp, _load, _one_sided_step
from ._richardson import _neville
from ._steps import EPS, step_size


@jit(inline=True)
def _weights(one_sided, k):
    """Offset and weight (times the step) of term k of a first-derivative stencil."""
    if one_sided:
        if k == 0:
            return 0.0, -1.5
        if k == 1:
            return 1.0, 2.0
        return 2.0, -0.5
    if k == 0:
        return -1.0, -0.5
    return 1.0, 0.5


@jit(inline=True)
def _axis_value(side, f0, i, c, one_sided):
    """f(x + c s_i e_i) from the axis values (c = 0 gives f(x))."""
    if c == 0.0:
        return f0
    if one_sided:
        return side[i, int(c) - 1]
    return side[i, 0] if c > 0 else side[i, 1]


@jit(inline=True)
def _hessian_bounded_point(f, w, wp, lo, hi, rstep, args, H, steps, onesided, side,
                           scale=1.0):
    """Hessian of one point (w) into H (n, n); returns (f(x), evaluations used).

    The stencils are chosen for the steps of `rstep` and then used with steps divided by
    `scale` (a power of 2, for extrapolation).
    """
    n = w.size
    f0 = f(wp, *args)
    nev = 1
    for i in range(n):
        xi = w[i]
        h = step_size(xi, rstep[i])
        if xi - h >= lo[i] and xi + h <= hi[i]:
            onesided[i] = False
            if scale != 1.0:
                h = (xi + h / scale) - xi
            steps[i] = h
            w[i] = xi + h
            side[i, 0] = f(wp, *args)
            w[i] = xi - h
            side[i, 1] = f(wp, *args)
            nev += 2
            H[i, i] = (side[i, 0] - 2.0 * f0 + side[i, 1]) / (h * h)
        else:
            onesided[i] = True
            s = _one_sided_step(xi, h, 3.0, lo[i], hi[i])
            if scale != 1.0:
                s = (xi + s / scale) - xi
            steps[i] = s
            for k in range(3):
                w[i] = _clamp(xi + (k + 1) * s, lo[i], hi[i])
                side[i, k] = f(wp, *args)
            nev += 3
            H[i, i] = (2.0 * f0 - 5.0 * side[i, 0] + 4.0 * side[i, 1] - side[i, 2]) / (s * s)
        w[i] = xi
    for i in range(n):
        for j in range(i + 1, n):
            xi = w[i]
            xj = w[j]
            si = steps[i]
            sj = steps[j]
            if not onesided[i] and not onesided[j]:
                w[i] = xi + si
                w[j] = xj + sj
                fpp = f(wp, *args)
                w[i] = xi - si
                w[j] = xj - sj
                fmm = f(wp, *args)
                nev += 2
                num = (fpp - side[i, 0] - side[j, 0] + 2.0 * f0 - side[i, 1] - side[j, 1]
                       + fmm)
                val = num / (2.0 * si * sj)
            else:
                acc = 0.0
                ki = 3 if onesided[i] else 2
                kj = 3 if onesided[j] else 2
                for a in range(ki):
                    ca, wa = _weights(onesided[i], a)
                    for b in range(kj):
                        cb, wb = _weights(onesided[j], b)
                        if ca == 0.0:
                            fv = _axis_value(side, f0, j, cb, onesided[j])
                        elif cb == 0.0:
                            fv = _axis_value(side, f0, i, ca, onesided[i])
                        else:
                            w[i] = _clamp(xi + ca * si, lo[i], hi[i])
                            w[j] = _clamp(xj + cb * sj, lo[j], hi[j])
                            fv = f(wp, *args)
                            nev += 1
                        acc += wa * wb * fv
                val = acc / (si * sj)
            w[i] = xi
            w[j] = xj
            H[i, j] = val
            H[j, i] = val
    return f0, nev


@jit(inline=True)
def _extrapolate(values, T):
    """Richardson extrapolation (every power from h^2) of values at steps s / 2^l."""
    L = values.size
    for lev in range(L):
        T[lev] = values[lev]
    if L == 1:
        return T[0], np.nan
    return _neville(T, L, 1)


@jit(parallel=True)
def hessian_bounded_batch(f, points, pshape, rstep, levels, lo, hi, args, out, err, fout, gout,
                          nev):
    """Hessians that keep every evaluation inside ``[lo, hi]``, in parallel.

    Parameters
    ----------
    f, points, pshape, rstep, args
        As for :func:`fastopt.kernels.hessian_batch`.
    levels : int
        1: the order-2 stencils. ``L > 1``: those stencils at ``L`` steps ``s / 2^l``,
        extrapolated to error ``O(h^(L+1))`` (see the module notes).
    lo, hi : ndarray, shape (n,)
        The box.
    out : ndarray, shape (N, n, n)
        Hessians.
    err : ndarray, shape (N, n, n)
        Error estimates (NaN for ``levels == 1``).
    fout, gout : ndarray, shapes (N,) and (N, n)
        f(x) and the gradient from the same axis evaluations (extrapolated like the
        Hessian).
    nev : ndarray of int64, shape (N,)
        Objective evaluations used per point (data-dependent next to a bound).

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import hessian_bounded_batch
    >>> @numba.njit
    ... def f(x):
    ...     return x[0] ** 3 + x[0] * x[1]
    >>> out, err = np.empty((1, 2, 2)), np.empty((1, 2, 2))
    >>> fo, go = np.empty(1), np.empty((1, 2))
    >>> nev = np.empty(1, dtype=np.int64)
    >>> lo, hi = np.zeros(2), np.ones(2)
    >>> hessian_bounded_batch(f, np.array([[0.0, 1.0]]), (2,), np.full(2, 1e-4), 1, lo, hi,
    ...                       (), out, err, fo, go, nev)
    >>> np.round(out[0], 6), int(nev[0])
    (array([[0., 1.],
           [1., 0.]]), 11)
    """
    N, n = points.shape
    nc = num_chunks(N)
    for c in prange(nc):
        plo, phi = chunk_bounds(N, nc, c)
        w = np.empty(n)
        wp = w.reshape(pshape)
        steps = np.empty(n)
        onesided = np.empty(n, dtype=np.bool_)
        side = np.empty((n, 3))
        HL = np.empty((levels, n, n))
        GL = np.empty((levels, n))
        T = np.empty(levels)
        for p in range(plo, phi):
            _load(w, points, p)
            used = 0
            f0 = 0.0
            for lev in range(levels):
                f0, k = _hessian_bounded_point(
                    f, w, wp, lo, hi, rstep, args, HL[lev], steps, onesided, side, 2.0**lev
                )
                used += k
                for i in range(n):
                    if onesided[i]:
                        GL[lev, i] = (-3.0 * f0 + 4.0 * side[i, 0] - side[i, 1]) / (
                            2.0 * steps[i])
                    else:
                        GL[lev, i] = (side[i, 0] - side[i, 1]) / (2.0 * steps[i])
            nev[p] = used
            fout[p] = f0
            for i in range(n):
                gout[p, i], _ = _extrapolate(GL[:, i], T)
                for j in range(i, n):
                    val, change = _extrapolate(HL[:, i, j], T)
                    hmin = min(abs(steps[i]), abs(steps[j]))
                    e = change + 16.0 * EPS * abs(f0) / (hmin * hmin)
                    out[p, i, j] = val
                    out[p, j, i] = val
                    err[p, i, j] = e
                    err[p, j, i] = e
