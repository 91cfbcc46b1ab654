"""Order-2 Hessians next to a bound: one-sided stencils, every point inside the box.

Per coordinate ``i`` of a point: if ``x_i +- h_i`` lies in ``[lo_i, hi_i]`` the central
stencils of :mod:`fastopt.kernels._fd` are used; otherwise the signed step ``s_i`` (forward,
else backward, else shrunk) of a one-sided stencil reaching ``3 s_i``:

    diagonal, one-sided:  (2 f(x) - 5 f(x + s e_i) + 4 f(x + 2 s e_i) - f(x + 3 s e_i)) / s^2

Off-diagonal entries with a one-sided coordinate use the tensor product of the two
first-derivative stencils (central ``(-1, 1) / 2h`` or one-sided ``(-3, 4, -1) / 2s`` at
offsets ``(0, 1, 2)``), evaluations on the axes shared. Every formula has error
``O(h^2)``; evaluation coordinates are clamped to the box (an ulp-level change).
"""

from __future__ import annotations

import numpy as np
from numba import prange

from .._jit import jit
from ._batch import chunk_bounds, num_chunks
from ._fd import _clamp, _load, _one_sided_step
from ._steps import step_size


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
def _hessian_bounded_point(f, w, wp, lo, hi, rstep, args, H, steps, onesided, side):
    """Hessian of one point (w) into H (n, n); returns (f(x), evaluations used)."""
    n = w.size
    f0 = f(wp, *args)
    nev = 1
    for i in range(n):
        xi = w[i]
        h = step_size(xi, rstep[i])
        if xi - h >= lo[i] and xi + h <= hi[i]:
            onesided[i] = False
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


@jit(parallel=True)
def hessian_bounded_batch(f, points, pshape, rstep, lo, hi, args, out, fout, gout, nev):
    """Order-2 Hessians that keep every evaluation inside ``[lo, hi]``, in parallel.

    Parameters
    ----------
    f, points, pshape, rstep, args
        As for :func:`fastopt.kernels.hessian_batch`.
    lo, hi : ndarray, shape (n,)
        The box.
    out : ndarray, shape (N, n, n)
        Hessians.
    fout, gout : ndarray, shapes (N,) and (N, n)
        f(x) and the order-2 gradient from the same axis evaluations.
    nev : ndarray of int64, shape (N,)
        Objective evaluations used per point (data-dependent next to a bound).

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import hessian_bounded_batch
    >>> @numba.njit
    ... def f(x):
    ...     return x[0] ** 3 + x[0] * x[1]
    >>> out = np.empty((1, 2, 2)); fo = np.empty(1); go = np.empty((1, 2))
    >>> nev = np.empty(1, dtype=np.int64)
    >>> lo, hi = np.zeros(2), np.ones(2)
    >>> hessian_bounded_batch(f, np.array([[0.0, 1.0]]), (2,), np.full(2, 1e-4), lo, hi,
    ...                       (), out, fo, go, nev)
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
        for p in range(plo, phi):
            _load(w, points, p)
            f0, used = _hessian_bounded_point(
                f, w, wp, lo, hi, rstep, args, out[p], steps, onesided, side
            )
            nev[p] = used
            fout[p] = f0
            for i in range(n):
                if onesided[i]:
                    gout[p, i] = (-3.0 * f0 + 4.0 * side[i, 0] - side[i, 1]) / (2.0 * steps[i])
                else:
                    gout[p, i] = (side[i, 0] - side[i, 1]) / (2.0 * steps[i])
