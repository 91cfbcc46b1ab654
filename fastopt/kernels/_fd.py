"""One-point finite-difference stencils, as njit kernels.

Each ``*_items`` function computes a contiguous range ``[start, stop)`` of work items of a
batch stored flat as ``points`` of shape (N, n); the point shape ``pshape`` (a tuple) is
what the objective sees. A batch driver in :mod:`._batch` splits the items over threads;
the ``*_point`` kernels run all items of one point serially and are safe to call from
inside a user's own ``prange`` loop.

Stencils (``offsets`` row 0, ``weights`` row 1; derivative = sum w_k f(x + c_k h e_i) / h):

==========  =====  ==========================================  ===========  ======
method      order  offsets c_k                                  nfev/coord   error
==========  =====  ==========================================  ===========  ======
forward     1      0, 1                                         1 (+1 f(x))  O(h)
forward     2      0, 1, 2                                      2 (+1 f(x))  O(h^2)
backward    1, 2   mirror images of forward                     as forward   as forward
central     2      -1, 1                                        2            O(h^2)
central     4      -2, -1, 1, 2                                 4            O(h^4)
central     6      -3, -2, -1, 1, 2, 3                          6            O(h^6)
==========  =====  ==========================================  ===========  ======

Hessian, order 2 (n^2 + n + 1 evaluations, error O(h^2), no third derivatives):

    H_ii = (f(x + h_i e_i) - 2 f(x) + f(x - h_i e_i)) / h_i^2
    H_ij = (f(x + h_i e_i + h_j e_j) - f(x + h_i e_i) - f(x + h_j e_j) + 2 f(x)
            - f(x - h_i e_i) - f(x - h_j e_j) + f(x - h_i e_i - h_j e_j)) / (2 h_i h_j)

f(x) and f(x +- h_i e_i) are shared between the diagonal and every off-diagonal entry.

Hessian, order 4 (4 n^2 + 1 evaluations, error O(h^4)): five-point diagonal
``(-f(x+2h) + 16 f(x+h) - 30 f(x) + 16 f(x-h) - f(x-2h)) / (12 h^2)`` and the
off-diagonal ``(4 D(h) - D(2h)) / 3`` with the four-point cross difference
``D(h) = (f(++) - f(+-) - f(-+) + f(--)) / (4 h_i h_j)``.

Only the upper triangle is computed and mirrored, so Hessians are exactly symmetric.
"""

from __future__ import annotations

import numpy as np

from .._jit import jit
from ._steps import EPS, step_size

_STENCILS = {
    ("central", 2): ([-1.0, 1.0], [-1.0, 1.0], 2.0),
    ("central", 4): ([-2.0, -1.0, 1.0, 2.0], [1.0, -8.0, 8.0, -1.0], 12.0),
    ("central", 6): (
        [-3.0, -2.0, -1.0, 1.0, 2.0, 3.0],
        [-1.0, 9.0, -45.0, 45.0, -9.0, 1.0],
        60.0,
    ),
    ("forward", 1): ([0.0, 1.0], [-1.0, 1.0], 1.0),
    ("forward", 2): ([0.0, 1.0, 2.0], [-3.0, 4.0, -1.0], 2.0),
    ("backward", 1): ([-1.0, 0.0], [-1.0, 1.0], 1.0),
    ("backward", 2): ([-2.0, -1.0, 0.0], [1.0, -4.0, 3.0], 2.0),
    # one-sided stencils of higher order, used near bounds in place of central ones
    ("forward", 4): ([0.0, 1.0, 2.0, 3.0, 4.0], [-25.0, 48.0, -36.0, 16.0, -3.0], 12.0),
    ("forward", 6): (
        [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        [-147.0, 360.0, -450.0, 400.0, -225.0, 72.0, -10.0],
        60.0,
    ),
}

GRADIENT_ORDERS = {"central": (2, 4, 6), "forward": (1, 2), "backward": (1, 2)}
HESSIAN_ORDERS = {"central": (2, 4)}


def stencil(method: str, order: int) -> np.ndarray:
    """Return the first-derivative stencil as a (2, K) array: offsets, then weights.

    Parameters
    ----------
    method : {"central", "forward", "backward"}
        Difference type.
    order : int
        Accuracy order (see the module table).

    Returns
    -------
    ndarray, shape (2, K)
        Row 0: offsets in units of the step; row 1: weights, so that the derivative is
        ``sum(weights * f(x + offsets * h)) / h``.

    Examples
    --------
    >>> from fastopt.kernels import stencil
    >>> stencil("central", 2)
    array([[-1. ,  1. ],
           [-0.5,  0.5]])
    """
    offsets, weights, denom = _STENCILS[(method, order)]
    return np.array([offsets, np.array(weights) / denom])


_STENCIL_CACHE: dict = {}


def cached_stencil(method: str, order: int) -> np.ndarray:
    """Like :func:`stencil`, but one shared array per (method, order); do not modify it.

    (Kept writeable: numba compiles read-only arrays as a different type, which would
    double the compile work for users who also pass their own stencils.)
    """
    st = _STENCIL_CACHE.get((method, order))
    if st is None:
        st = stencil(method, order)
        _STENCIL_CACHE[(method, order)] = st
    return st


CENTRAL2 = stencil("central", 2)
_REL_CENTRAL2 = EPS ** (1.0 / 3.0)
FORWARD1 = stencil("forward", 1)


@jit(inline=True)
def _values_items(f, points, pshape, args, out, start, stop):
    """f(x_p) for points p in [start, stop)."""
    n = points.shape[1]
    w = np.empty(n)
    wp = w.reshape(pshape)
    for p in range(start, stop):
        _load(w, points, p)
        out[p] = f(wp, *args)


@jit(inline=True)
def _next_item(p, i, n):
    """Return the item after (point p, item i) for n items per point, True on a new p."""
    i += 1
    if i == n:
        return p + 1, 0, True
    return p, i, False


@jit(inline=True)
def _has_zero(st):
    for k in range(st.shape[1]):
        if st[0, k] == 0.0:
            return True
    return False


@jit(inline=True)
def _bounded(lo, hi):
    """Whether any bound is finite (then one-sided stencils may need f(x))."""
    for i in range(lo.size):
        if lo[i] > -np.inf or hi[i] < np.inf:
            return True
    return False


@jit(inline=True)
def _load(w, points, p):
    for j in range(w.size):
        w[j] = points[p, j]


@jit(inline=True)
def _fits(xi, st, h, lo, hi):
    """Whether every point xi + c h of stencil `st` lies in [lo, hi]."""
    return xi + st[0, 0] * h >= lo and xi + st[0, st.shape[1] - 1] * h <= hi


@jit(inline=True)
def _one_sided_step(xi, h, reach, lo, hi):
    """Return the signed step of a one-sided stencil reaching `reach` steps.

    Forward if it fits, else backward, else shrunk to the larger room left in the box.
    """
    if xi + reach * h <= hi:
        return h
    if xi - reach * h >= lo:
        return -h
    up = hi - xi
    down = xi - lo
    if up >= down:
        return ((xi + up / reach) - xi)
    return ((xi - down / reach) - xi)


@jit(inline=True)
def _clamp(v, lo, hi):
    return min(max(v, lo), hi)


@jit(inline=True)
def _gradient_items(f, points, pshape, rstep, st, st1, lo, hi, f0, args, out, start, stop):
    """Items are (point p, coordinate i) pairs, flat index p * n + i.

    Where stencil `st` does not fit in ``[lo_i, hi_i]`` the one-sided stencil `st1`
    (offsets 0..p, same order) is used with a signed step; it needs ``f0``.
    """
    if start >= stop:
        return
    N, n = points.shape
    w = np.empty(n)
    wp = w.reshape(pshape)
    p = start // n
    i = start - p * n
    _load(w, points, p)
    K = st.shape[1]
    central2 = K == 2 and st[0, 0] == -1.0 and st[0, 1] == 1.0
    for _ in range(start, stop):
        xi = w[i]
        h = step_size(xi, rstep[i])
        if not _fits(xi, st, h, lo[i], hi[i]):
            K1 = st1.shape[1]
            hs = _one_sided_step(xi, h, st1[0, K1 - 1], lo[i], hi[i])
            acc = 0.0
            for k in range(K1):
                c = st1[0, k]
                if c == 0.0:
                    fk = f0[p]
                else:
                    w[i] = _clamp(xi + c * hs, lo[i], hi[i])
                    fk = f(wp, *args)
                acc += st1[1, k] * fk
            val = acc / hs
        elif central2:
            w[i] = xi + h
            fp = f(wp, *args)
            w[i] = xi - h
            fm = f(wp, *args)
            val = (fp - fm) / (2.0 * h)
        else:
            acc = 0.0
            for k in range(K):
                c = st[0, k]
                if c == 0.0:
                    fk = f0[p]
                else:
                    w[i] = xi + c * h
                    fk = f(wp, *args)
                acc += st[1, k] * fk
            val = acc / h
        w[i] = xi
        out[p, i] = val
        p, i, new_point = _next_item(p, i, n)
        if new_point and p < N:
            _load(w, points, p)


@jit(inline=True)
def _central_items(f, points, pshape, rstep, args, out, start, stop):
    """`_gradient_items` for the default stencil (central, order 2) without bounds.

    The same arithmetic as the general loop, in a kernel that compiles in a third of the
    time (measured): the default call should not pay for every option.
    """
    if start >= stop:
        return
    N, n = points.shape
    w = np.empty(n)
    wp = w.reshape(pshape)
    p = start // n
    i = start - p * n
    _load(w, points, p)
    for _ in range(start, stop):
        xi = w[i]
        h = step_size(xi, rstep[i])
        w[i] = xi + h
        fp = f(wp, *args)
        w[i] = xi - h
        fm = f(wp, *args)
        w[i] = xi
        out[p, i] = (fp - fm) / (2.0 * h)
        p, i, new_point = _next_item(p, i, n)
        if new_point and p < N:
            _load(w, points, p)


@jit(inline=True)
def _jacobian_items(f, points, pshape, rstep, st, st1, lo, hi, f0, args, out, start, stop):
    """Items as in `_gradient_items`; out has shape (N, m, n), f0 shape (N, m)."""
    if start >= stop:
        return
    N, n = points.shape
    m = out.shape[1]
    w = np.empty(n)
    wp = w.reshape(pshape)
    acc = np.empty(m)
    p = start // n
    i = start - p * n
    _load(w, points, p)
    for _ in range(start, stop):
        xi = w[i]
        h = step_size(xi, rstep[i])
        use = st
        hs = h
        if not _fits(xi, st, h, lo[i], hi[i]):
            use = st1
            hs = _one_sided_step(xi, h, st1[0, st1.shape[1] - 1], lo[i], hi[i])
        acc[:] = 0.0
        ok = True
        for k in range(use.shape[1]):
            c = use[0, k]
            if c == 0.0:
                for r in range(m):
                    acc[r] += use[1, k] * f0[p, r]
            else:
                w[i] = _clamp(xi + c * hs, lo[i], hi[i])
                fk = f(wp, *args).ravel()
                if fk.size != m:
                    ok = False
                else:
                    for r in range(m):
                        acc[r] += use[1, k] * fk[r]
        w[i] = xi
        for r in range(m):
            out[p, r, i] = acc[r] / hs if ok else np.nan
        p, i, new_point = _next_item(p, i, n)
        if new_point and p < N:
            _load(w, points, p)


@jit(inline=True)
def _jacobian_central_items(f, points, pshape, rstep, args, out, start, stop):
    """`_jacobian_items` for the default stencil (central, order 2) without bounds.

    The general loop's arithmetic (``(-f(x - h) / 2 + f(x + h) / 2) / h``) in a kernel that
    compiles in about half the time (measured).
    """
    if start >= stop:
        return
    N, n = points.shape
    m = out.shape[1]
    w = np.empty(n)
    wp = w.reshape(pshape)
    p = start // n
    i = start - p * n
    _load(w, points, p)
    for _ in range(start, stop):
        xi = w[i]
        h = step_size(xi, rstep[i])
        w[i] = xi - h
        fm = f(wp, *args).ravel()
        w[i] = xi + h
        fp = f(wp, *args).ravel()
        w[i] = xi
        ok = fm.size == m and fp.size == m
        for r in range(m):
            out[p, r, i] = (-0.5 * fm[r] + 0.5 * fp[r]) / h if ok else np.nan
        p, i, new_point = _next_item(p, i, n)
        if new_point and p < N:
            _load(w, points, p)


@jit(inline=True)
def _vector_values_items(f, points, pshape, args, out, start, stop):
    """F(x_p) rows for points p in [start, stop); a wrong length gives a NaN row."""
    n = points.shape[1]
    m = out.shape[1]
    w = np.empty(n)
    wp = w.reshape(pshape)
    for p in range(start, stop):
        _load(w, points, p)
        fk = f(wp, *args).ravel()
        for r in range(m):
            out[p, r] = fk[r] if fk.size == m else np.nan


@jit(inline=True)
def _hessian_side_items(f, points, pshape, rstep, order, levels, args, side, start, stop):
    """Items (p, i), i <= n: values on the axes; i == n: f(x).

    Order 2: ``side[p, i, 2l], side[p, i, 2l + 1] = f(x +- h_l e_i)``, ``h_l = h / 2^l``.
    Order 4: ``side[p, i, 0..3] = f(x + h e_i), f(x - h e_i), f(x + 2h e_i), f(x - 2h e_i)``.
    """
    if start >= stop:
        return
    N, n = points.shape
    w = np.empty(n)
    wp = w.reshape(pshape)
    p = start // (n + 1)
    i = start - p * (n + 1)
    _load(w, points, p)
    for _ in range(start, stop):
        if i == n:
            side[p, n, 0] = f(wp, *args)
        elif order == 4:
            xi = w[i]
            h = step_size(xi, rstep[i])
            w[i] = xi + h
            side[p, i, 0] = f(wp, *args)
            w[i] = xi - h
            side[p, i, 1] = f(wp, *args)
            w[i] = xi + 2.0 * h
            side[p, i, 2] = f(wp, *args)
            w[i] = xi - 2.0 * h
            side[p, i, 3] = f(wp, *args)
            w[i] = xi
        else:
            xi = w[i]
            for lev in range(levels):
                h = step_size(xi, rstep[i] / 2.0**lev)
                w[i] = xi + h
                side[p, i, 2 * lev] = f(wp, *args)
                w[i] = xi - h
                side[p, i, 2 * lev + 1] = f(wp, *args)
            w[i] = xi
        p, i, new_point = _next_item(p, i, n + 1)
        if new_point and p < N:
            _load(w, points, p)


@jit()
def _cross(f, w, wp, i, j, hi, hj, args):
    """f(++) - f(+-) - f(-+) + f(--) for steps hi, hj on coordinates i, j of w."""
    xi = w[i]
    xj = w[j]
    w[i] = xi + hi
    w[j] = xj + hj
    s = f(wp, *args)
    w[j] = xj - hj
    s -= f(wp, *args)
    w[i] = xi - hi
    s += f(wp, *args)
    w[j] = xj + hj
    s -= f(wp, *args)
    w[i] = xi
    w[j] = xj
    return s


@jit(inline=True)
def _plain_hessian_points(f, points, pshape, rstep, args, out, fout, gout, start, stop):
    """Order-2 Hessians (the module formula) of whole points p in [start, stop).

    Point by point with the axis values in local buffers: the same numbers as the
    side/pair items, a kernel that compiles in a quarter of the time (measured).
    `fout`, `gout`: f(x) and the central gradient from the axis values, or size 0.
    """
    n = points.shape[1]
    w = np.empty(n)
    wp = w.reshape(pshape)
    h = np.empty(n)
    fp = np.empty(n)
    fm = np.empty(n)
    for p in range(start, stop):
        _load(w, points, p)
        f0 = f(wp, *args)
        for i in range(n):
            xi = w[i]
            hi = step_size(xi, rstep[i])
            h[i] = hi
            w[i] = xi + hi
            fp[i] = f(wp, *args)
            w[i] = xi - hi
            fm[i] = f(wp, *args)
            w[i] = xi
            out[p, i, i] = (fp[i] - 2.0 * f0 + fm[i]) / (hi * hi)
            if gout.size > 0:
                gout[p, i] = (fp[i] - fm[i]) / (2.0 * hi)
        if gout.size > 0:
            fout[p] = f0
        for i in range(n):
            xi = w[i]
            hi = h[i]
            for j in range(i + 1, n):
                xj = w[j]
                hj = h[j]
                w[i] = xi + hi
                w[j] = xj + hj
                fpp = f(wp, *args)
                w[i] = xi - hi
                w[j] = xj - hj
                fmm = f(wp, *args)
                w[i] = xi
                w[j] = xj
                num = fpp - fp[i] - fp[j] + 2.0 * f0 - fm[i] - fm[j] + fmm
                val = num / (2.0 * hi * hj)
                out[p, i, j] = val
                out[p, j, i] = val


@jit(inline=True)
def _first_pair(start, n):
    """(p, i, j) of flat pair item `start`: point p, entry (i, j <= i) in row-major order."""
    npairs = n * (n + 1) // 2
    p = start // npairs
    q = start - p * npairs
    i = 0
    while q >= n - i:
        q -= n - i
        i += 1
    return p, i, i + q


@jit(inline=True)
def _next_pair(p, i, j, n):
    """Return the pair item after (p, i, j) (row-major upper triangle), True on a new p."""
    j += 1
    if j == n:
        i += 1
        j = i
        if i == n:
            return p + 1, 0, 0, True
    return p, i, j, False


@jit(inline=True)
def _plain_pair_items(f, points, pshape, rstep, args, side, out, start, stop):
    """`_hessian_pair_items` for order 2 without extrapolation, error or Taylor terms."""
    n = points.shape[1]
    if start >= stop:
        return
    w = np.empty(n)
    wp = w.reshape(pshape)
    p, i, j = _first_pair(start, n)
    _load(w, points, p)
    for _ in range(start, stop):
        # written out here (an inlined helper made the serial build 4x slower, measured)
        f0 = side[p, n, 0]
        xi = w[i]
        hi = step_size(xi, rstep[i])
        if i == j:
            val = (side[p, i, 0] - 2.0 * f0 + side[p, i, 1]) / (hi * hi)
        else:
            xj = w[j]
            hj = step_size(xj, rstep[j])
            w[i] = xi + hi
            w[j] = xj + hj
            fpp = f(wp, *args)
            w[i] = xi - hi
            w[j] = xj - hj
            fmm = f(wp, *args)
            w[i] = xi
            w[j] = xj
            num = (fpp - side[p, i, 0] - side[p, j, 0] + 2.0 * f0 - side[p, i, 1]
                   - side[p, j, 1] + fmm)
            val = num / (2.0 * hi * hj)
        out[p, i, j] = val
        out[p, j, i] = val
        p, i, j, new_point = _next_pair(p, i, j, n)
        if new_point and p < points.shape[0]:
            _load(w, points, p)


@jit()
def _hessian_entry(f, w, wp, p, i, j, rstep, order, levels, args, side, T):
    """One Hessian entry (i <= j) of point p; returns (value, error estimate, fmax, hmin)."""
    n = w.size
    f0 = side[p, n, 0]
    xi = w[i]
    if order == 4:
        hi = step_size(xi, rstep[i])
        if i == j:
            val = (
                -side[p, i, 2] + 16.0 * side[p, i, 0] - 30.0 * f0
                + 16.0 * side[p, i, 1] - side[p, i, 3]
            ) / (12.0 * hi * hi)
        else:
            hj = step_size(w[j], rstep[j])
            d1 = _cross(f, w, wp, i, j, hi, hj, args) / (4.0 * hi * hj)
            d2 = _cross(f, w, wp, i, j, 2.0 * hi, 2.0 * hj, args) / (16.0 * hi * hj)
            val = (4.0 * d1 - d2) / 3.0
        return val, np.nan, 0.0, 1.0
    fmax = abs(f0)
    hmin = 1.0
    xj = w[j]
    for lev in range(levels):
        scale = 2.0**lev
        hi = step_size(xi, rstep[i] / scale)
        fpi = side[p, i, 2 * lev]
        fmi = side[p, i, 2 * lev + 1]
        if i == j:
            T[lev] = (fpi - 2.0 * f0 + fmi) / (hi * hi)
            fmax = max(fmax, abs(fpi), abs(fmi))
            hmin = hi
        else:
            hj = step_size(xj, rstep[j] / scale)
            w[i] = xi + hi
            w[j] = xj + hj
            fpp = f(wp, *args)
            w[i] = xi - hi
            w[j] = xj - hj
            fmm = f(wp, *args)
            w[i] = xi
            w[j] = xj
            fpj = side[p, j, 2 * lev]
            fmj = side[p, j, 2 * lev + 1]
            num = fpp - fpi - fpj + 2.0 * f0 - fmi - fmj + fmm
            T[lev] = num / (2.0 * hi * hj)
            fmax = max(fmax, abs(fpp), abs(fmm), abs(fpi), abs(fmi), abs(fpj), abs(fmj))
            hmin = min(hi, hj)
    if levels == 1:
        return T[0], np.nan, fmax, hmin
    val = T[levels - 1]
    prev = val
    for k in range(1, levels):
        fac = 4.0**k
        prev = T[levels - 1]
        for lev in range(levels - 1, k - 1, -1):
            T[lev] = (fac * T[lev] - T[lev - 1]) / (fac - 1.0)
    val = T[levels - 1]
    return val, abs(val - prev), fmax, hmin


@jit()
def _taylor_terms(points, rstep, order, levels, side, p, i, T):
    """f(x) and df/dx_i of point p from the Hessian's axis evaluations (no new calls)."""
    n = points.shape[1]
    xi = points[p, i]
    if order == 4:
        h = step_size(xi, rstep[i])
        g = (8.0 * (side[p, i, 0] - side[p, i, 1]) - (side[p, i, 2] - side[p, i, 3])) / (12.0 * h)
        return side[p, n, 0], g
    for lev in range(levels):
        h = step_size(xi, rstep[i] / 2.0**lev)
        T[lev] = (side[p, i, 2 * lev] - side[p, i, 2 * lev + 1]) / (2.0 * h)
    for k in range(1, levels):
        fac = 4.0**k
        for lev in range(levels - 1, k - 1, -1):
            T[lev] = (fac * T[lev] - T[lev - 1]) / (fac - 1.0)
    return side[p, n, 0], T[levels - 1]


@jit(inline=True)
def _plain_extras(points, rstep, side, err, fout, gout, start, stop):
    """Error (NaN: one step gives no estimate) and Taylor outputs of plain pair items."""
    n = points.shape[1]
    T = np.empty(1)
    p, i, j = _first_pair(start, n)
    for _ in range(start, stop):
        if err.size > 0:
            err[p, i, j] = np.nan
            err[p, j, i] = np.nan
        if gout.size > 0 and i == j:
            fout[p], gout[p, i] = _taylor_terms(points, rstep, 2, 1, side, p, i, T)
        p, i, j, _ = _next_pair(p, i, j, n)


@jit()
def _hessian_pair_items(f, points, pshape, rstep, order, levels, args, side, out, err, fout,
                        gout, start, stop):
    """Items (p, i, j), j >= i, in row-major upper-triangle order.

    `err` has the shape of `out` to receive error estimates, or size 0 to skip them.
    `fout` (N,) and `gout` (N, n) receive f(x) and the gradient computed from the same
    axis evaluations (``taylor``), or have size 0 to skip them.
    """
    if start >= stop:
        return
    if order == 2 and levels == 1:
        _plain_pair_items(f, points, pshape, rstep, args, side, out, start, stop)
        if err.size > 0 or gout.size > 0:
            _plain_extras(points, rstep, side, err, fout, gout, start, stop)
        return
    n = points.shape[1]
    want_err = err.size > 0
    want_taylor = gout.size > 0
    w = np.empty(n)
    wp = w.reshape(pshape)
    T = np.empty(levels)
    p, i, j = _first_pair(start, n)
    _load(w, points, p)
    for _ in range(start, stop):
        val, change, fmax, hmin = _hessian_entry(
            f, w, wp, p, i, j, rstep, order, levels, args, side, T
        )
        out[p, i, j] = val
        out[p, j, i] = val
        if want_err:
            e = change + 16.0 * EPS * fmax / (hmin * hmin)
            err[p, i, j] = e
            err[p, j, i] = e
        if want_taylor and i == j:
            fout[p], gout[p, i] = _taylor_terms(points, rstep, order, levels, side, p, i, T)
        p, i, j, new_point = _next_pair(p, i, j, n)
        if new_point and p < points.shape[0]:
            _load(w, points, p)


@jit()
def gradient_point(f, x, rstep, st, args, out):
    """Gradient of ``f(x, *args)`` at one point, serially (safe inside a user's prange).

    Parameters
    ----------
    f : numba function
        Objective ``f(x, *args) -> float``; must not modify ``x``.
    x : ndarray
        The point, C-contiguous float64 of any shape.
    rstep : ndarray, shape (x.size,)
        Relative steps (see :func:`step_size`).
    st : ndarray, shape (2, K)
        Stencil from :func:`stencil`.
    args : tuple
        Extra arguments of `f`.
    out : ndarray
        C-contiguous float64 output with ``x.size`` entries (any shape).

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import gradient_point, stencil
    >>> @numba.njit
    ... def f(x):
    ...     return x[0] ** 2 + 3.0 * x[1]
    >>> out = np.empty(2)
    >>> gradient_point(f, np.array([1.0, 2.0]), np.full(2, 1e-5), stencil("central", 2), (), out)
    >>> np.round(out, 8)
    array([2., 3.])
    """
    n = x.size
    points = x.reshape(1, n)
    f0 = np.empty(1)
    if _has_zero(st):
        _values_items(f, points, x.shape, args, f0, 0, 1)
    lo = np.full(n, -np.inf)
    hi = np.full(n, np.inf)
    _gradient_items(f, points, x.shape, rstep, st, st, lo, hi, f0, args, out.reshape(1, n), 0, n)


@jit()
def gradient_central(f, x, args, out):
    """Central order-2 gradient with the default steps (``eps**(1/3)`` relative).

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import gradient_central
    >>> @numba.njit
    ... def f(x):
    ...     return np.sum(x ** 2)
    >>> out = np.empty(3)
    >>> gradient_central(f, np.array([1.0, 2.0, 3.0]), (), out)
    >>> np.round(out, 7)
    array([2., 4., 6.])
    """
    rstep = np.full(x.size, _REL_CENTRAL2)
    gradient_point(f, x, rstep, CENTRAL2, args, out)


@jit()
def jacobian_point(f, x, rstep, st, args, out):
    """Jacobian of ``f(x, *args) -> 1-D array of length m`` at one point, serially.

    `out` has shape (m, x.size). Columns where `f` returns an array of another length
    are NaN.

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import jacobian_point, stencil
    >>> @numba.njit
    ... def F(x):
    ...     return np.array([x[0] * x[1], x[0] + x[1]])
    >>> out = np.empty((2, 2))
    >>> jacobian_point(F, np.array([2.0, 3.0]), np.full(2, 1e-5), stencil("central", 2), (), out)
    >>> np.round(out, 8)
    array([[3., 2.],
           [1., 1.]])
    """
    n = x.size
    m = out.shape[0]
    points = x.reshape(1, n)
    f0 = np.empty((1, m))
    if _has_zero(st):
        _vector_values_items(f, points, x.shape, args, f0, 0, 1)
    lo = np.full(n, -np.inf)
    hi = np.full(n, np.inf)
    _jacobian_items(
        f, points, x.shape, rstep, st, st, lo, hi, f0, args, out.reshape(1, m, n), 0, n
    )


@jit()
def hessian_point(f, x, rstep, order, args, out):
    """Hessian of ``f(x, *args)`` at one point, serially; `out` has shape (n, n).

    `order` is 2 (n^2 + n + 1 evaluations) or 4 (4 n^2 + 1); see the module docstring.
    For Richardson extrapolation and error estimates use
    :func:`fastopt.kernels.hessian_batch` with ``levels > 1``.

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import hessian_point
    >>> @numba.njit
    ... def f(x):
    ...     return x[0] ** 2 * x[1]
    >>> out = np.empty((2, 2))
    >>> hessian_point(f, np.array([1.0, 2.0]), np.full(2, 1e-4), 2, (), out)
    >>> np.round(out, 6)
    array([[4., 2.],
           [2., 0.]])
    """
    n = x.size
    points = x.reshape(1, n)
    side = np.empty((1, n + 1, 2 if order == 2 else 4))
    _hessian_side_items(f, points, x.shape, rstep, order, 1, args, side, 0, n + 1)
    npairs = n * (n + 1) // 2
    noerr = np.empty((0, 0, 0))
    _hessian_pair_items(
        f, points, x.shape, rstep, order, 1, args, side, out.reshape(1, n, n), noerr,
        np.empty(0), np.empty((0, 0)), 0, npairs,
    )
