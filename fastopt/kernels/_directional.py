"""Directional finite differences, Hessian-vector products and Taylor remainders.

Step rule
---------
A direction ``v`` (any nonzero array with ``x.size`` entries) is first normalised to
``vhat = v / ||v||_inf``; the point is then moved by ``h * vhat`` with the *absolute*
displacement

    h = rel * max(1, max{ |x_j| : v_j != 0 }),

so that the largest coordinate moves by ``rel`` times the scale of the coordinates that
move (for ``v = e_i`` this is the core rule ``rel * max(1, |x_i|)``). In terms of ``v``
itself the step is ``t = h / ||v||_inf`` (:func:`directional_step`). Normalising first
keeps huge or tiny directions from overflowing, and makes every result exactly
proportional to ``||v||_inf``.

Formulas (per point; ``d = h * vhat``, ``a = h_u * uhat``, ``b = h_v * vhat``)
-------------------------------------------------------------------------------

* ``<grad f, v>`` (2 evaluations, error O(h^2)):
  ``(f(x + d) - f(x - d)) / (2 h) * ||v||_inf``
* ``<u, H u> / ||u||_2^2`` (3 evaluations, O(h^2)):
  ``(f(x + d) + f(x - d) - 2 f(x)) / (h^2 ||uhat||_2^2)``
* ``<u, H v>`` (4 evaluations, O(h^2)), the four-point cross difference:
  ``(f(x+a+b) + f(x-a-b) - f(x+a-b) - f(x-a+b)) / (4 h_u h_v) * ||u||_inf ||v||_inf``
* ``H v`` (4 n evaluations, O(h^2)): entry i is ``<e_i, H v>`` by the cross difference,
  with ``h_u = rel * max(1, |x_i|)``; equivalently the central difference along ``v``
  of the central finite-difference gradient.
* ``H v`` from a gradient function g (2 calls of g, O(h^2)):
  ``(g(x + d) - g(x - d)) / (2 h) * ||v||_inf``

The four-point cross difference has error ``(h_u^2 D^4 f[u,u,u,v] + h_v^2 D^4 f[u,v,v,v])
/ 6`` and no third derivatives; it is computed so that it is *exactly* symmetric in
``u, v`` (the displacements ``a + b``, ``a - b``, ``b - a`` and the sums of values are
formed commutatively), and ``hvp`` entry ``i`` is bitwise the cross difference with
``u = e_i``. Central first and second differences are exact for quadratics up to
rounding. Displaced points ``x +- d`` are rounded to float64; this perturbs the result by
about ``eps / rel`` relatively, below the rounding error of the differences themselves.

Taylor remainders (:func:`taylor_remainders_point`): for steps ``t_k``, with the actually
taken displacement ``e = (x + t_k d) - x`` (rounded coordinates),

    r_k = f(x + e) - f(x) - <g, e> - t_k^2 / 2 * c,   c = <d, H d>  (0: first order)

which is ``O(t^2)`` for the exact gradient (``c = 0``) and ``O(t^3)`` when ``c`` is
also exact.

Conventions as in :mod:`._fd` and :mod:`._batch`: ``*_items`` helpers compute a range of
work items; ``*_point`` kernels are serial and safe inside a user's ``prange``;
``*_batch`` kernels split the items into chunks over numba's threads (identical results
for any thread count). Directions are passed as ``dirs`` of shape (M, n): ``M == 1``
shares one direction between all points, ``M == N`` gives one per point. A zero
direction gives NaN.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from .._jit import jit
from ._batch import chunk_bounds, num_chunks

# ----------------------------------------------------------------------------- steps


@jit(inline=True)
def _scale(points, p, dirs, q):
    """Return ``(max(1, max{|x_j| : v_j != 0}), ||v||_inf)`` for point p, direction q."""
    scale = 1.0
    vmax = 0.0
    for j in range(points.shape[1]):
        vj = abs(dirs[q, j])
        if vj > 0.0:
            if vj > vmax:
                vmax = vj
            a = abs(points[p, j])
            if a > scale:
                scale = a
    return scale, vmax


@jit(inline=True)
def _unit(dirs, q, vmax, h, d):
    """``d = h * v / ||v||_inf`` for direction q."""
    for j in range(d.size):
        d[j] = h * (dirs[q, j] / vmax)


@jit(cache=True)
def directional_step(x, v, rel):
    """Return the step ``t`` along `v`: the points used are ``x +- t v``.

    ``t = rel * max(1, max{|x_j| : v_j != 0}) / ||v||_inf`` (see the module docstring);
    ``inf`` for a zero direction, or for one so tiny (``||v||_inf < ~1e-300``) that ``t``
    overflows. The kernels never form ``t``: they move by ``h * v / ||v||_inf``.

    Parameters
    ----------
    x, v : ndarray
        C-contiguous float64 arrays with the same number of entries.
    rel : float
        Relative step.

    Returns
    -------
    float
        The step.

    Examples
    --------
    >>> import numpy as np
    >>> from fastopt.kernels import directional_step
    >>> directional_step(np.array([4.0, 0.5]), np.array([0.0, 2.0]), 1e-3)
    0.0005
    """
    n = x.size
    scale, vmax = _scale(x.reshape(1, n), 0, v.reshape(1, n), 0)
    return rel * scale / vmax


@jit(cache=True)
def directional_steps(points, dirs, rel, out):
    """Write the step along the direction of every point into `out`, shape (N,).

    `dirs` has shape (1, n) (shared) or (N, n) (one direction per point).

    Examples
    --------
    >>> import numpy as np
    >>> from fastopt.kernels import directional_steps
    >>> out = np.empty(2)
    >>> directional_steps(np.array([[0.0, 0.0], [3.0, 0.0]]), np.array([[1.0, 1.0]]), 0.5, out)
    >>> out
    array([0.5, 1.5])
    """
    shared = dirs.shape[0] == 1
    for p in range(points.shape[0]):
        scale, vmax = _scale(points, p, dirs, 0 if shared else p)
        out[p] = rel * scale / vmax


# ----------------------------------------------------------------------------- items


@jit(inline=True)
def _derivative_items(f, points, pshape, dirs, rel, args, out, start, stop):
    """out[p] = <grad f(x_p), v> for points p in [start, stop)."""
    n = points.shape[1]
    shared = dirs.shape[0] == 1
    w = np.empty(n)
    wp = w.reshape(pshape)
    d = np.empty(n)
    for p in range(start, stop):
        q = 0 if shared else p
        scale, vmax = _scale(points, p, dirs, q)
        h = rel * scale
        _unit(dirs, q, vmax, h, d)
        for j in range(n):
            w[j] = points[p, j] + d[j]
        fp = f(wp, *args)
        for j in range(n):
            w[j] = points[p, j] - d[j]
        fm = f(wp, *args)
        out[p] = (fp - fm) / (2.0 * h) * vmax


@jit(inline=True)
def _curvature_items(f, points, pshape, dirs, rel, args, out, start, stop):
    """out[p] = <u, H u> / ||u||_2^2 at x_p for points p in [start, stop)."""
    n = points.shape[1]
    shared = dirs.shape[0] == 1
    w = np.empty(n)
    wp = w.reshape(pshape)
    d = np.empty(n)
    for p in range(start, stop):
        q = 0 if shared else p
        scale, vmax = _scale(points, p, dirs, q)
        h = rel * scale
        _unit(dirs, q, vmax, h, d)
        ss = 0.0
        for j in range(n):
            uj = dirs[q, j] / vmax
            ss += uj * uj
            w[j] = points[p, j]
        f0 = f(wp, *args)
        for j in range(n):
            w[j] = points[p, j] + d[j]
        fp = f(wp, *args)
        for j in range(n):
            w[j] = points[p, j] - d[j]
        fm = f(wp, *args)
        out[p] = ((fp + fm) - 2.0 * f0) / (h * h * ss)


@jit(inline=True)
def _second_items(f, points, pshape, udirs, vdirs, rel, args, out, start, stop):
    """out[p] = <u, H v> at x_p (four-point cross difference), p in [start, stop)."""
    n = points.shape[1]
    ushared = udirs.shape[0] == 1
    vshared = vdirs.shape[0] == 1
    w = np.empty(n)
    wp = w.reshape(pshape)
    a = np.empty(n)
    b = np.empty(n)
    for p in range(start, stop):
        qu = 0 if ushared else p
        qv = 0 if vshared else p
        su, umax = _scale(points, p, udirs, qu)
        sv, vmax = _scale(points, p, vdirs, qv)
        hu = rel * su
        hv = rel * sv
        _unit(udirs, qu, umax, hu, a)
        _unit(vdirs, qv, vmax, hv, b)
        for j in range(n):
            w[j] = points[p, j] + (a[j] + b[j])
        fpp = f(wp, *args)
        for j in range(n):
            w[j] = points[p, j] - (a[j] + b[j])
        fmm = f(wp, *args)
        for j in range(n):
            w[j] = points[p, j] + (a[j] - b[j])
        fpm = f(wp, *args)
        for j in range(n):
            w[j] = points[p, j] + (b[j] - a[j])
        fmp = f(wp, *args)
        out[p] = ((fpp + fmm) - (fpm + fmp)) / (4.0 * (hu * hv)) * (umax * vmax)


@jit(inline=True)
def _load_shifted(points, p, b, plus, minus):
    """Set plus = x_p + b and minus = x_p - b."""
    for j in range(b.size):
        plus[j] = points[p, j] + b[j]
        minus[j] = points[p, j] - b[j]


@jit(inline=True)
def _hvp_items(f, points, pshape, dirs, rel, args, out, start, stop):
    """Items (p, i), flat index p * n + i: out[p, i] = <e_i, H v> at x_p."""
    if start >= stop:
        return
    N, n = points.shape
    shared = dirs.shape[0] == 1
    A = np.empty(n)
    Ap = A.reshape(pshape)
    B = np.empty(n)
    Bp = B.reshape(pshape)
    b = np.empty(n)
    p = start // n
    i = start - p * n
    q = 0 if shared else p
    sv, vmax = _scale(points, p, dirs, q)
    hv = rel * sv
    _unit(dirs, q, vmax, hv, b)
    _load_shifted(points, p, b, A, B)
    for _ in range(start, stop):
        xi = points[p, i]
        hu = rel * max(1.0, abs(xi))
        bi = b[i]
        A[i] = xi + (hu + bi)
        fpp = f(Ap, *args)
        B[i] = xi - (hu + bi)
        fmm = f(Bp, *args)
        B[i] = xi + (hu - bi)
        fpm = f(Bp, *args)
        A[i] = xi + (bi - hu)
        fmp = f(Ap, *args)
        A[i] = xi + bi
        B[i] = xi - bi
        out[p, i] = ((fpp + fmm) - (fpm + fmp)) / (4.0 * (hu * hv)) * (1.0 * vmax)
        i += 1
        if i == n:
            i = 0
            p += 1
            if p < N:
                q = 0 if shared else p
                sv, vmax = _scale(points, p, dirs, q)
                hv = rel * sv
                _unit(dirs, q, vmax, hv, b)
                _load_shifted(points, p, b, A, B)


@jit(inline=True)
def _hvp_grad_items(g, points, pshape, dirs, rel, args, out, start, stop):
    """out[p] = (g(x_p + d) - g(x_p - d)) / (2 h) * ||v||_inf; NaN row if g has a bad size."""
    n = points.shape[1]
    shared = dirs.shape[0] == 1
    w = np.empty(n)
    wp = w.reshape(pshape)
    d = np.empty(n)
    gplus = np.empty(n)
    for p in range(start, stop):
        q = 0 if shared else p
        scale, vmax = _scale(points, p, dirs, q)
        h = rel * scale
        _unit(dirs, q, vmax, h, d)
        for j in range(n):
            w[j] = points[p, j] + d[j]
        gp = np.ravel(g(wp, *args))
        ok = gp.size == n
        if ok:
            for j in range(n):
                gplus[j] = gp[j]  # copied: g may return (a view of) its argument
        for j in range(n):
            w[j] = points[p, j] - d[j]
        gm = np.ravel(g(wp, *args))
        ok = ok and gm.size == n
        for j in range(n):
            out[p, j] = (gplus[j] - gm[j]) / (2.0 * h) * vmax if ok else np.nan


@jit(inline=True)
def _taylor_items(f, points, pshape, dirs, ts, grads, curvs, args, f0, out, start, stop):
    """f0[p] = f(x_p); out[p, k] = signed Taylor remainder at step ts[k]."""
    n = points.shape[1]
    shared = dirs.shape[0] == 1
    w = np.empty(n)
    wp = w.reshape(pshape)
    for p in range(start, stop):
        q = 0 if shared else p
        for j in range(n):
            w[j] = points[p, j]
        fx = f(wp, *args)
        f0[p] = fx
        for k in range(ts.shape[0]):
            t = ts[k]
            lin = 0.0
            for j in range(n):
                xj = points[p, j]
                wj = xj + t * dirs[q, j]
                w[j] = wj
                lin += grads[p, j] * (wj - xj)
            fk = f(wp, *args)
            out[p, k] = ((fk - fx) - lin) - 0.5 * (t * t) * curvs[p]


# ---------------------------------------------------------------- one-point kernels


@jit()
def directional_derivative_point(f, x, v, rel, args):
    """Return the directional derivative ``<grad f(x), v>`` (2 evaluations, O(h^2)).

    Serial; safe inside a user's ``prange``.

    Parameters
    ----------
    f : numba function
        Objective ``f(x, *args) -> float``; must not modify ``x``.
    x : ndarray
        The point, C-contiguous float64 of any shape.
    v : ndarray
        Direction, C-contiguous float64 with ``x.size`` entries (not normalised:
        the result is linear in `v`).
    rel : float
        Relative step (``eps ** (1/3)`` is the usual choice; see the module docstring).
    args : tuple
        Extra arguments of `f`.

    Returns
    -------
    float
        ``(f(x + d) - f(x - d)) / (2 h) * ||v||_inf`` with ``d = h v / ||v||_inf``.

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import directional_derivative_point
    >>> @numba.njit
    ... def f(x):
    ...     return x[0] ** 2 + 3.0 * x[1]
    >>> x, v = np.array([1.0, 2.0]), np.array([1.0, -1.0])
    >>> round(directional_derivative_point(f, x, v, 6e-6, ()), 8)
    -1.0
    """
    n = x.size
    out = np.empty(1)
    _derivative_items(f, x.reshape(1, n), x.shape, v.reshape(1, n), rel, args, out, 0, 1)
    return out[0]


@jit()
def directional_curvature_point(f, x, u, rel, args):
    """Return the curvature ``<u, H(x) u> / ||u||_2^2`` along `u` (3 evaluations, O(h^2)).

    Serial; safe inside a user's ``prange``. Arguments as for
    :func:`directional_derivative_point` (``eps ** (1/4)`` is the usual `rel`).

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import directional_curvature_point
    >>> @numba.njit
    ... def f(x):
    ...     return x[0] ** 2 - x[1] ** 2
    >>> round(directional_curvature_point(f, np.zeros(2), np.array([1.0, 1.0]), 1e-4, ()), 8)
    0.0
    >>> round(directional_curvature_point(f, np.zeros(2), np.array([3.0, 0.0]), 1e-4, ()), 8)
    2.0
    """
    n = x.size
    out = np.empty(1)
    _curvature_items(f, x.reshape(1, n), x.shape, u.reshape(1, n), rel, args, out, 0, 1)
    return out[0]


@jit()
def second_directional_point(f, x, u, v, rel, args):
    """Return ``<u, H(x) v>`` by the four-point cross difference (4 evaluations, O(h^2)).

    Serial; safe inside a user's ``prange``. Exactly symmetric in `u` and `v`. Arguments
    as for :func:`directional_derivative_point` (``eps ** (1/4)`` is the usual `rel`).

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import second_directional_point
    >>> @numba.njit
    ... def f(x):
    ...     return x[0] * x[1]
    >>> u, v = np.array([1.0, 0.0]), np.array([0.0, 2.0])
    >>> round(second_directional_point(f, np.array([0.3, 0.4]), u, v, 1e-4, ()), 8)
    2.0
    """
    n = x.size
    out = np.empty(1)
    _second_items(
        f, x.reshape(1, n), x.shape, u.reshape(1, n), v.reshape(1, n), rel, args, out, 0, 1
    )
    return out[0]


@jit()
def hvp_point(f, x, v, rel, args, out):
    """Hessian-vector product ``H(x) v`` from function values (4 n evaluations, O(h^2)).

    Entry i is the cross difference along ``e_i`` and `v` (module docstring). Serial;
    safe inside a user's ``prange``. `out` has ``x.size`` entries (any shape).

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import hvp_point
    >>> @numba.njit
    ... def f(x):
    ...     return x[0] ** 2 * x[1]
    >>> out = np.empty(2)
    >>> hvp_point(f, np.array([1.0, 2.0]), np.array([1.0, 0.0]), 1e-4, (), out)
    >>> np.round(out, 6)
    array([4., 2.])
    """
    n = x.size
    _hvp_items(f, x.reshape(1, n), x.shape, v.reshape(1, n), rel, args, out.reshape(1, n), 0, n)


@jit()
def hvp_grad_point(g, x, v, rel, args, out):
    """Hessian-vector product from a gradient function: 2 calls of ``g(x, *args)``.

    ``(g(x + d) - g(x - d)) / (2 h) * ||v||_inf``, error O(h^2) (``eps ** (1/3)`` is the
    usual `rel`). `g` returns an array with ``x.size`` entries (NaN output otherwise).
    Serial; safe inside a user's ``prange``.

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import hvp_grad_point
    >>> @numba.njit
    ... def g(x):
    ...     return np.array([2.0 * x[0] * x[1], x[0] ** 2])
    >>> out = np.empty(2)
    >>> hvp_grad_point(g, np.array([1.0, 2.0]), np.array([1.0, 0.0]), 6e-6, (), out)
    >>> np.round(out, 6)
    array([4., 2.])
    """
    n = x.size
    _hvp_grad_items(
        g, x.reshape(1, n), x.shape, v.reshape(1, n), rel, args, out.reshape(1, n), 0, 1
    )


@jit()
def taylor_remainders_point(f, x, d, ts, g, curv, args, out):
    """Taylor remainders of `f` at `x` along `d`; returns ``f(x)``.

    ``out[k] = f(x + e) - f(x) - <g, e> - ts[k]**2 / 2 * curv`` with the displacement
    actually taken ``e = (x + ts[k] d) - x``. ``1 + len(ts)`` evaluations. Serial; safe
    inside a user's ``prange``.

    Parameters
    ----------
    f : numba function
        Objective ``f(x, *args) -> float``.
    x, d, g : ndarray
        Point, direction and gradient, C-contiguous float64 with ``x.size`` entries.
    ts : ndarray
        Steps ``t_k``.
    curv : float
        ``<d, H d>`` for the second-order remainder, 0.0 for the first-order one.
    args : tuple
        Extra arguments of `f`.
    out : ndarray, shape (len(ts),)
        Signed remainders.

    Returns
    -------
    float
        ``f(x)``.

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import taylor_remainders_point
    >>> @numba.njit
    ... def f(x):
    ...     return x[0] ** 2
    >>> out = np.empty(2)
    >>> taylor_remainders_point(f, np.array([1.0]), np.array([1.0]), np.array([0.5, 0.25]),
    ...                         np.array([2.0]), 0.0, (), out)
    1.0
    >>> out  # t^2 <d, H d> / 2 with H = 2
    array([0.25  , 0.0625])
    """
    n = x.size
    f0 = np.empty(1)
    curvs = np.empty(1)
    curvs[0] = curv
    _taylor_items(
        f, x.reshape(1, n), x.shape, d.reshape(1, n), ts, g.reshape(1, n), curvs, args, f0,
        out.reshape(1, ts.shape[0]), 0, 1,
    )
    return f0[0]


# ------------------------------------------------------------------- batch kernels


@jit(parallel=True)
def directional_derivative_batch(f, points, pshape, dirs, rel, args, out):
    """``out[p] = <grad f(x_p), v_p>`` for every point, in parallel (2 evaluations each).

    Parameters
    ----------
    f : numba function
        Objective ``f(x, *args) -> float`` with ``x`` of shape `pshape`.
    points : ndarray, shape (N, n)
        C-contiguous float64 points, one per row.
    pshape : tuple of int
        Shape of one point as the objective sees it.
    dirs : ndarray, shape (1, n) or (N, n)
        One direction shared by all points, or one per point.
    rel : float
        Relative step.
    args : tuple
        Extra arguments of `f`.
    out : ndarray, shape (N,)
        Output.

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import directional_derivative_batch
    >>> @numba.njit
    ... def f(x):
    ...     return np.sum(x ** 2)
    >>> out = np.empty(2)
    >>> pts = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> directional_derivative_batch(f, pts, (2,), np.array([[1.0, 1.0]]), 6e-6, (), out)
    >>> np.round(out, 6)
    array([ 6., 14.])
    """
    N = points.shape[0]
    nc = num_chunks(N)
    for c in prange(nc):
        lo, hi = chunk_bounds(N, nc, c)
        _derivative_items(f, points, pshape, dirs, rel, args, out, lo, hi)


@jit(parallel=True)
def directional_curvature_batch(f, points, pshape, dirs, rel, args, out):
    """``out[p] = <u_p, H(x_p) u_p> / ||u_p||^2`` in parallel (3 evaluations each).

    Arguments as for :func:`directional_derivative_batch`.

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import directional_curvature_batch
    >>> @numba.njit
    ... def f(x):
    ...     return x[0] ** 2 + 5.0 * x[1] ** 2
    >>> out = np.empty(2)
    >>> dirs = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> directional_curvature_batch(f, np.zeros((2, 2)), (2,), dirs, 1e-4, (), out)
    >>> np.round(out, 6)
    array([ 2., 10.])
    """
    N = points.shape[0]
    nc = num_chunks(N)
    for c in prange(nc):
        lo, hi = chunk_bounds(N, nc, c)
        _curvature_items(f, points, pshape, dirs, rel, args, out, lo, hi)


@jit(parallel=True)
def second_directional_batch(f, points, pshape, udirs, vdirs, rel, args, out):
    """``out[p] = <u_p, H(x_p) v_p>`` in parallel (4 evaluations each).

    `udirs` and `vdirs` each have shape (1, n) or (N, n); otherwise as
    :func:`directional_derivative_batch`.

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import second_directional_batch
    >>> @numba.njit
    ... def f(x):
    ...     return x[0] * x[1]
    >>> out = np.empty(1)
    >>> u, v = np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])
    >>> second_directional_batch(f, np.ones((1, 2)), (2,), u, v, 1e-4, (), out)
    >>> np.round(out, 6)
    array([1.])
    """
    N = points.shape[0]
    nc = num_chunks(N)
    for c in prange(nc):
        lo, hi = chunk_bounds(N, nc, c)
        _second_items(f, points, pshape, udirs, vdirs, rel, args, out, lo, hi)


@jit(parallel=True)
def hvp_batch(f, points, pshape, dirs, rel, args, out):
    """``out[p] = H(x_p) v_p`` from function values, in parallel over (point, entry).

    ``4 n`` evaluations per point; `out` has shape (N, n). One point with many
    coordinates is spread over the threads like many points.

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import hvp_batch
    >>> @numba.njit
    ... def f(x):
    ...     return x[0] ** 2 * x[1]
    >>> out = np.empty((1, 2))
    >>> hvp_batch(f, np.array([[1.0, 2.0]]), (2,), np.array([[0.0, 1.0]]), 1e-4, (), out)
    >>> np.round(out, 6)
    array([[2., 0.]])
    """
    N, n = points.shape
    total = N * n
    nc = num_chunks(total)
    for c in prange(nc):
        lo, hi = chunk_bounds(total, nc, c)
        _hvp_items(f, points, pshape, dirs, rel, args, out, lo, hi)


@jit(parallel=True)
def hvp_grad_batch(g, points, pshape, dirs, rel, args, out):
    """``out[p] = H(x_p) v_p`` from a gradient function ``g(x, *args)``, in parallel.

    2 calls of `g` per point; `out` has shape (N, n); rows where `g` returns an array
    of another size are NaN.

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import hvp_grad_batch
    >>> @numba.njit
    ... def g(x):
    ...     return 2.0 * x
    >>> out = np.empty((1, 2))
    >>> hvp_grad_batch(g, np.ones((1, 2)), (2,), np.array([[1.0, 3.0]]), 6e-6, (), out)
    >>> np.round(out, 6)
    array([[2., 6.]])
    """
    N = points.shape[0]
    nc = num_chunks(N)
    for c in prange(nc):
        lo, hi = chunk_bounds(N, nc, c)
        _hvp_grad_items(g, points, pshape, dirs, rel, args, out, lo, hi)


@jit(parallel=True)
def taylor_remainders_batch(f, points, pshape, dirs, ts, grads, curvs, args, f0, out):
    """Taylor remainders of many points in parallel (``1 + len(ts)`` evaluations each).

    ``f0[p] = f(x_p)`` and ``out[p, k]`` the signed remainder at step ``ts[k]`` along
    direction ``dirs[p]`` (or ``dirs[0]``), with gradient ``grads[p]`` and curvature
    ``curvs[p]`` (see :func:`taylor_remainders_point`).

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import taylor_remainders_batch
    >>> @numba.njit
    ... def f(x):
    ...     return x[0] ** 3
    >>> f0, out = np.empty(1), np.empty((1, 2))
    >>> ts = np.array([0.5, 0.25])
    >>> taylor_remainders_batch(f, np.ones((1, 1)), (1,), np.ones((1, 1)), ts,
    ...                         np.array([[3.0]]), np.array([6.0]), (), f0, out)
    >>> out  # t^3: the exact gradient and curvature leave the cubic term
    array([[0.125   , 0.015625]])
    """
    N = points.shape[0]
    nc = num_chunks(N)
    for c in prange(nc):
        lo, hi = chunk_bounds(N, nc, c)
        _taylor_items(f, points, pshape, dirs, ts, grads, curvs, args, f0, out, lo, hi)
