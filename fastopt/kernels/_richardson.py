"""Richardson extrapolation of central differences, with error estimates.

Central differences have error expansions in even powers of the step:
``D(h) = D + a h^2 + b h^4 + c h^6 + ...`` (first derivatives, and second derivatives by
the order-2 Hessian stencils). With ``L`` levels ``h_l = h_0 / 2^l`` the Neville table

    T_l^(k) = (4^k T_l^(k-1) - T_(l-1)^(k-1)) / (4^k - 1)

eliminates ``h^2, ..., h^(2L-2)``: the result has error ``O(h^(2L))``. Default ``L = 3``
(``O(h^6)``, 6 evaluations per gradient coordinate; ``3 n^2 + 3 n + 1`` per Hessian).

Error estimate (conservative): ``|T^(L-1) - T^(L-2)|`` at the finest level, the change
made by the last extrapolation step, plus the rounding error
``4 eps max|f| / h_min^d`` (``d`` = derivative order).

Near a bound (first derivatives with ``bounds``) the central differences are replaced by
the one-sided order-2 stencil ``(-3 f(x) + 4 f(x + h) - f(x + 2h)) / 2h``, whose error
expansion has every power ``h^2, h^3, ...``: the factors become ``2^(k+1)``, and
``2 L - 1`` levels (instead of ``L``) eliminate ``h^2, ..., h^(2L-1)``, so the result has
the same error order ``O(h^(2L))`` as in the interior, for ``2 (2 L - 1)`` evaluations
(10 instead of 6 for the default) on such coordinates.
"""

from __future__ import annotations

import numpy as np

from .._jit import jit
from ._fd import _clamp, _load, _next_item, _one_sided_step
from ._steps import EPS, step_size


@jit(inline=True)
def _neville(T, L, dp):
    """Extrapolate T[0..L-1] (values at h0 / 2^l) in place; return (value, change).

    Eliminates the error powers 2, 2 + dp, 2 + 2 dp, ... (dp = 2: central, 1: one-sided).
    """
    prev = T[L - 1]
    for k in range(1, L):
        fac = 2.0 ** (2 + (k - 1) * dp)
        prev = T[L - 1]
        for lev in range(L - 1, k - 1, -1):
            T[lev] = (fac * T[lev] - T[lev - 1]) / (fac - 1.0)
    return T[L - 1], abs(T[L - 1] - prev)


@jit(inline=True)
def _level_step(xi, hs0, lev):
    """Exactly representable signed step hs0 / 2^lev."""
    return (xi + hs0 / 2.0**lev) - xi


@jit(inline=True)
def _gradient_richardson_items(f, points, pshape, rstep, levels, lo, hi, f0, args, out, err,
                               start, stop):
    """Items (p, i) as in `_gradient_items`; writes value and error estimate.

    Coordinates whose largest central stencil would leave ``[lo_i, hi_i]`` use one-sided
    stencils (they read ``f0[p] = f(x_p)``).
    """
    if start >= stop:
        return
    N, n = points.shape
    w = np.empty(n)
    wp = w.reshape(pshape)
    T = np.empty(2 * levels - 1)
    p = start // n
    i = start - p * n
    _load(w, points, p)
    for _ in range(start, stop):
        xi = w[i]
        h0 = step_size(xi, rstep[i])
        fmax = 0.0
        hmin = h0
        central = xi - h0 >= lo[i] and xi + h0 <= hi[i]
        hs0 = h0 if central else _one_sided_step(xi, h0, 2.0, lo[i], hi[i])
        nlev = levels if central else 2 * levels - 1
        for lev in range(nlev):
            h = _level_step(xi, hs0, lev)
            if central:
                w[i] = xi + h
                fp = f(wp, *args)
                w[i] = xi - h
                fm = f(wp, *args)
                T[lev] = (fp - fm) / (2.0 * h)
            else:
                w[i] = _clamp(xi + h, lo[i], hi[i])
                fp = f(wp, *args)
                w[i] = _clamp(xi + 2.0 * h, lo[i], hi[i])
                fm = f(wp, *args)
                T[lev] = (-1.5 * f0[p] + 2.0 * fp - 0.5 * fm) / h
            fmax = max(fmax, abs(fp), abs(fm))
            hmin = abs(h)
        w[i] = xi
        if nlev > 1:
            val, change = _neville(T, nlev, 2 if central else 1)
        else:
            val, change = T[0], np.nan
        out[p, i] = val
        err[p, i] = change + 4.0 * EPS * fmax / hmin
        p, i, new_point = _next_item(p, i, n)
        if new_point and p < N:
            _load(w, points, p)


@jit(inline=True)
def _jacobian_richardson_items(f, points, pshape, rstep, levels, lo, hi, f0, args, out, err,
                               start, stop):
    """Vector version: out and err have shape (N, m, n), f0 shape (N, m)."""
    if start >= stop:
        return
    N, n = points.shape
    m = out.shape[1]
    w = np.empty(n)
    wp = w.reshape(pshape)
    D = np.empty((2 * levels - 1, m))
    T = np.empty(2 * levels - 1)
    p = start // n
    i = start - p * n
    _load(w, points, p)
    for _ in range(start, stop):
        xi = w[i]
        h0 = step_size(xi, rstep[i])
        central = xi - h0 >= lo[i] and xi + h0 <= hi[i]
        hs0 = h0 if central else _one_sided_step(xi, h0, 2.0, lo[i], hi[i])
        nlev = levels if central else 2 * levels - 1
        ok = True
        fmax = 0.0
        hmin = 1.0
        for lev in range(nlev):
            h = _level_step(xi, hs0, lev)
            if central:
                w[i] = xi + h
                fp = f(wp, *args).ravel()
                w[i] = xi - h
                fm = f(wp, *args).ravel()
            else:
                w[i] = _clamp(xi + h, lo[i], hi[i])
                fp = f(wp, *args).ravel()
                w[i] = _clamp(xi + 2.0 * h, lo[i], hi[i])
                fm = f(wp, *args).ravel()
            if fp.size != m or fm.size != m:
                ok = False
            else:
                for r in range(m):
                    if central:
                        D[lev, r] = (fp[r] - fm[r]) / (2.0 * h)
                    else:
                        D[lev, r] = (-1.5 * f0[p, r] + 2.0 * fp[r] - 0.5 * fm[r]) / h
                    fmax = max(fmax, abs(fp[r]), abs(fm[r]))
            hmin = abs(h)
        w[i] = xi
        for r in range(m):
            if not ok:
                out[p, r, i] = np.nan
                err[p, r, i] = np.nan
                continue
            for lev in range(nlev):
                T[lev] = D[lev, r]
            if nlev > 1:
                val, change = _neville(T, nlev, 2 if central else 1)
            else:
                val, change = T[0], np.nan
            out[p, r, i] = val
            err[p, r, i] = change + 4.0 * EPS * fmax / hmin
        p, i, new_point = _next_item(p, i, n)
        if new_point and p < N:
            _load(w, points, p)
