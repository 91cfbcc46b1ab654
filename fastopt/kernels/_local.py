"""Local derivative methods as njit kernels: line search, gradient descent, Newton, BFGS.

All three methods minimise ``f(x, *args)`` over a box ``lo <= x <= hi`` (``-inf``/``inf``
for free coordinates) from a start ``x0`` inside it, and share one iteration frame:

1. Projected gradient test. With ``g`` the gradient at ``x`` and ``P`` the projection
   onto the box, the iteration stops with ``SUCCESS`` when
   ``||x - P(x - g)||_inf <= gtol`` (for a free coordinate that is ``|g_i|``; at a bound
   only a component pointing into the box counts).
2. Search direction ``d``. Coordinates at a bound whose gradient points out of the box
   (``x_i = lo_i, g_i > 0`` or ``x_i = hi_i, g_i < 0``) are *binding*: ``d_i = 0``. On
   the other (free) coordinates F:

   * ``gd``: ``d_F = -g_F``.
   * ``newton``: ``d_F = -(H_FF + tau I)^-1 g_F`` with the Hessian ``H`` reduced to F and
     the smallest shift ``tau`` of the sequence ``0, beta, 2 beta, 4 beta, ...``
     (``tau_0 = beta - min_i H_ii`` if a diagonal entry is not positive;
     ``beta = 1e-3 max |H_ij|``) for which the Cholesky factorisation succeeds
     (Nocedal & Wright, Algorithm 3.3). An indefinite or singular Hessian therefore
     still gives a descent direction; a positive definite one gives the Newton step.
   * ``bfgs``: the Newton step of the quasi-Newton model ``B = H^-1`` with the binding
     coordinates A held fixed, ``d_F = -(B_FF)^-1 g_F = -(H_FF - H_FA H_AA^-1 H_AF) g_F``
     (a Schur complement of the positive definite inverse-Hessian approximation ``H``:
     positive definite, so ``d`` is a descent direction); ``-H g`` without binding
     coordinates.

3. Projected backtracking line search (:func:`line_search`): trial points
   ``x(a) = P(x + a d)`` from ``a0`` (1 for Newton and BFGS once it has curvature
   information; ``min(1, 1 / ||d||_inf)`` for the first BFGS step and the first
   gradient step; twice the last accepted step for later gradient steps), accepted
   when the Armijo condition with a rounding allowance holds,

       f(x(a)) <= f(x) + c1 g.(x(a) - x) + 4 eps F,     c1 = 1e-4,

   where ``F`` is the largest ``|f|`` met at the iterates so far (the rounding level of
   ``f`` at the scale of the run; without it, steps whose true decrease is below the
   rounding error of ``f``, as near any minimum with ``f* != 0``, are rejected at
   random). Otherwise ``a`` is reduced by safeguarded quadratic interpolation to
   ``[0.1 a, 0.5 a]`` (``0.1 a`` after a NaN/inf value, so NaN regions are backed out
   of). The search fails when the trial point no longer moves (``x(a) == x``) or after
   ``MAX_BACKTRACKS`` trials. BFGS also asks for the (weak) Wolfe curvature condition
   ``g(x(a)).s >= c2 g.s`` (``s = x(a) - x``, ``c2 = 0.9``), which guarantees
   ``y.s > 0``: a trial that meets Armijo but not the curvature condition is kept as
   the lower end of a bracket, the step doubles until a trial fails Armijo, then the
   bracket is bisected (the gradient of the accepted point is the next iteration's, so
   the check costs nothing when the first trial passes). Without it, Armijo-only BFGS
   can stall in regions where ``f`` is concave along the step (every update skipped).
4. Update. BFGS updates the inverse Hessian with ``s = x+ - x``, ``y = g+ - g``:
   ``H+ = (I - rho s y^T) H (I - rho y s^T) + rho s s^T``, ``rho = 1 / y.s``, skipped
   unless ``y.s > sqrt(eps) ||s|| ||y||`` (the curvature condition: it keeps ``H``
   positive definite). Before the first update ``H`` is ``I`` scaled to
   ``(y.s / y.y) I`` (Nocedal & Wright, eq. 6.20).

Derivatives
-----------
``grad is None``: central differences of order 2 with the relative step
``eps^(1/3)`` (``h_i = eps^(1/3) max(1, |x_i|)``; error ``O(h^2)``), 2 evaluations per
coordinate. Where ``x_i +- h_i`` leaves the box, the one-sided order-2 stencil
``(-3 f(x) + 4 f(x + s) - f(x + 2 s)) / 2 s`` with ``s = +-h_i`` (forward if it fits,
else backward, else shrunk) is used with the known ``f(x)``, again 2 evaluations: the
stencils and arithmetic of :func:`fastopt.gradient` with ``bounds`` (the same values,
bit for bit), and no evaluation leaves the box. ``hess is None`` (Newton): the order-2
Hessian with relative step ``eps^(1/4)``, ``n^2 + n + 1`` evaluations (the stencils of
:func:`fastopt.kernels.hessian_point`); where ``x_i +- h_i`` leaves the box, the
one-sided order-2 stencils of :func:`fastopt.kernels.hessian_bounded_batch` (a few more
evaluations, all inside the box): the values of :func:`fastopt.hessian` with ``bounds``.

Status codes
------------
The kernels return the integer codes of :class:`fastopt.Status`: ``SUCCESS`` (0),
``NONFINITE`` (1: ``f``, the gradient or the Hessian is NaN/inf at the start or at an
accepted iterate; ``x`` is that iterate), ``MAXITER`` (2), ``STALLED`` (4: the line
search found no acceptable step; typically the gradient is below the noise level of
``f`` or of its finite differences, but above ``gtol``), ``DIVERGED`` (5: ``f(x) = -inf``
or ``x`` overflowed: ``f`` is unbounded below). Two more codes never reach a result:
``BAD_GRAD_SHAPE`` (-1) and ``BAD_HESS_SHAPE`` (-2), a user ``grad``/``hess`` returned an
array of the wrong size (:func:`fastopt.minimize` raises for them).

Kernels
-------
==============  ========  ===================================================
kernel          parallel  purpose
==============  ========  ===================================================
line_search     no        projected backtracking (Armijo) along a direction
gd_point        no        gradient descent from one start
newton_point    no        Newton from one start
bfgs_point      no        BFGS from one start
gd_batch        yes       gradient descent from many starts (prange over starts)
newton_batch    yes       Newton from many starts
bfgs_batch      yes       BFGS from many starts
==============  ========  ===================================================

The ``*_point`` kernels are serial and safe inside a user's ``prange``. Each returns
``(status, fun, nit, nfev, ngev, nhev)``: the status code, ``f`` at the final ``x``,
the iterations, the calls of ``f`` (including those inside finite differences), of
``grad`` and of ``hess``. ``grad``/``hess`` are ``None`` (finite differences) or numba
functions ``grad(x, *args) -> (n,)``, ``hess(x, *args) -> (n, n)``; ``None`` branches are
removed at compile time. The ``*_batch`` kernels cut the starts into a few chunks per
thread; every chunk owns its work buffers, every start is computed exactly as by the
point kernel, so results do not depend on the number of threads.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from .._jit import jit
from .._result import Status
from ._batch import chunk_bounds, num_chunks
from ._bounded import _hessian_bounded_point
from ._fd import _clamp, _one_sided_step, cached_stencil
from ._steps import EPS, step_size

#: Relative step of the finite-difference gradient (central, order 2): ``eps^(1/3)``.
GRAD_REL_STEP = EPS ** (1.0 / 3.0)
#: Relative step of the finite-difference Hessian (order 2): ``eps^(1/4)``.
HESS_REL_STEP = EPS ** (1.0 / 4.0)
#: Armijo constant ``c1`` of the sufficient-decrease condition.
ARMIJO_C1 = 1e-4
#: Largest number of step reductions in one line search.
MAX_BACKTRACKS = 100
#: Rounding allowance of the line search, in units of ``eps * max |f|``.
F_ROUNDING = 4.0

SUCCESS = int(Status.SUCCESS)
NONFINITE = int(Status.NONFINITE)
MAXITER = int(Status.MAXITER)
STALLED = int(Status.STALLED)
DIVERGED = int(Status.DIVERGED)
BAD_GRAD_SHAPE = -1
BAD_HESS_SHAPE = -2

_ONE_SIDED = cached_stencil("forward", 2)  # offsets 0, 1, 2; used with a signed step
_CURVATURE = math.sqrt(EPS)
#: Curvature constant ``c2`` of the (weak) Wolfe condition of the BFGS line search.
WOLFE_C2 = 0.9

#: Rows of the per-start work buffer: trial point, direction, new gradient, s, y, H y,
#: free-coordinate mask, last Armijo point and its gradient (Wolfe search).
_WORK_ROWS = 9


# ---------------------------------------------------------------------- small helpers


@jit(cache=True)
def _all_finite(v):
    for i in range(v.size):
        if not math.isfinite(v[i]):
            return False
    return True


@jit(cache=True)
def projected_gradient_norm(x, g, lo, hi):
    """Return ``||x - P(x - g)||_inf``, the stationarity measure on the box ``[lo, hi]``.

    Computed without cancellation: a free coordinate contributes ``|g_i|``; at a bound,
    only the part of ``g_i`` pointing into the box, at most the distance to the bound.

    Examples
    --------
    >>> import numpy as np
    >>> from fastopt.kernels import projected_gradient_norm
    >>> x, g = np.array([0.0, 0.5]), np.array([2.0, -0.1])
    >>> float(projected_gradient_norm(x, g, np.zeros(2), np.ones(2)))  # x_0 at its bound
    0.1
    """
    m = 0.0
    for i in range(x.size):
        gi = g[i]
        if gi > 0.0:
            v = min(gi, x[i] - lo[i])
        elif gi < 0.0:
            v = min(-gi, hi[i] - x[i])
        else:
            v = abs(gi)  # 0 or NaN
        if not (v <= m):
            m = v
    return m


@jit(cache=True)
def _free_mask(x, g, lo, hi, free):
    """Mark the free coordinates: ``free[i]`` is 1.0, or 0.0 where i is binding.

    Binding: on a bound with the gradient pointing out of the box. Returns the number of
    free coordinates.
    """
    m = 0
    for i in range(x.size):
        binding = (x[i] <= lo[i] and g[i] > 0.0) or (x[i] >= hi[i] and g[i] < 0.0)
        free[i] = 0.0 if binding else 1.0
        m += 0 if binding else 1
    return m


@jit(cache=True)
def _steepest(g, free, d):
    """Set ``d = -g`` on the free coordinates, 0 on the binding ones; return ||d||_inf."""
    dmax = 0.0
    for i in range(g.size):
        d[i] = -g[i] * free[i] + 0.0
        dmax = max(dmax, abs(d[i]))
    return dmax


@jit(cache=True)
def _bfgs_direction(H, g, free, d, A, L, idx):
    """Quasi-Newton step with the binding coordinates fixed; returns g.d.

    With the model Hessian ``B = H^-1`` and the binding set ``A``, the step on the free
    set ``F`` is ``d_F = -(B_FF)^-1 g_F = -(H_FF - H_FA H_AA^-1 H_AF) g_F`` (a Schur
    complement of ``H``, ``H_AA`` factored by Cholesky), ``d_A = 0``. Without binding
    coordinates it is ``-H g``. (``-H_FF g_F`` alone, the inverse of a Schur complement
    of ``B``, is not the reduced Newton step of the model and can stall next to a bound.)
    """
    n = g.size
    m = 0
    for i in range(n):
        if free[i] == 0.0:
            idx[m] = i
            m += 1
    for i in range(n):  # d = -H_.F g_F (rows of A too: they are needed below)
        acc = 0.0
        for j in range(n):
            if free[j] != 0.0:
                acc -= H[i, j] * g[j]
        d[i] = acc
    if m > 0 and m < n:
        for a in range(m):
            for b in range(m):
                A[a, b] = H[idx[a], idx[b]]
        if _cholesky(A, L, m, 0.0):
            z = A[m - 1]  # scratch row (A is no longer needed): z = H_AA^-1 (H_AF g_F)
            for a in range(m):
                t = -d[idx[a]]  # -d_a = H_aF g_F
                for k in range(a):
                    t -= L[a, k] * z[k]
                z[a] = t / L[a, a]
            for a in range(m - 1, -1, -1):
                t = z[a]
                for k in range(a + 1, m):
                    t -= L[k, a] * z[k]
                z[a] = t / L[a, a]
            for i in range(n):
                if free[i] != 0.0:
                    acc = 0.0
                    for a in range(m):
                        acc += H[i, idx[a]] * z[a]
                    d[i] += acc
    gd = 0.0
    for i in range(n):
        if free[i] == 0.0:
            d[i] = 0.0
        gd += g[i] * d[i]
    return gd


@jit(cache=True)
def _bfgs_update(H, s, y, Hy, scale_first):
    """Inverse-Hessian BFGS update with s, y; returns False if the pair was skipped."""
    n = s.size
    sy = 0.0
    ss = 0.0
    yy = 0.0
    for i in range(n):
        sy += s[i] * y[i]
        ss += s[i] * s[i]
        yy += y[i] * y[i]
    if not (sy > _CURVATURE * math.sqrt(ss * yy)) or not math.isfinite(sy):
        return False
    if scale_first:
        gamma = sy / yy
        for i in range(n):
            for j in range(n):
                H[i, j] = gamma if i == j else 0.0
    yHy = 0.0
    for i in range(n):
        acc = 0.0
        for j in range(n):
            acc += H[i, j] * y[j]
        Hy[i] = acc
        yHy += y[i] * acc
    rho = 1.0 / sy
    c = (1.0 + rho * yHy) * rho
    for i in range(n):
        for j in range(n):
            H[i, j] += c * s[i] * s[j] - rho * (Hy[i] * s[j] + s[i] * Hy[j])
    return True


@jit(cache=True)
def _cholesky(A, L, m, tau):
    """Lower Cholesky factor of A[:m, :m] + tau I into L; False if not positive definite."""
    for j in range(m):
        s = A[j, j] + tau
        for k in range(j):
            s -= L[j, k] * L[j, k]
        if not (s > 0.0) or not math.isfinite(s):
            return False
        ljj = math.sqrt(s)
        L[j, j] = ljj
        for i in range(j + 1, m):
            t = A[i, j]
            for k in range(j):
                t -= L[i, k] * L[j, k]
            L[i, j] = t / ljj
    return True


@jit(cache=True)
def _newton_direction(H, A, L, g, free, idx, d):
    """Solve (H_FF + tau I) d_F = -g_F by shifted Cholesky; 0 on binding coordinates.

    Returns tau (>= 0), or -1.0 if no shift worked (NaN entries).
    """
    n = g.size
    m = 0
    for i in range(n):
        d[i] = 0.0
        if free[i] != 0.0:
            idx[m] = i
            m += 1
    amax = 0.0
    dmin = np.inf
    for a in range(m):
        for b in range(m):
            v = H[idx[a], idx[b]]
            A[a, b] = v
            amax = max(amax, abs(v))
        dmin = min(dmin, A[a, a])
    beta = 1e-3 * amax if amax > 0.0 else 1.0
    tau = 0.0 if dmin > 0.0 else beta - dmin
    ok = False
    for _ in range(200):
        if _cholesky(A, L, m, tau):
            ok = True
            break
        tau = max(2.0 * tau, beta)
    if not ok:
        return -1.0
    for a in range(m):  # forward: L z = -g_F (z stored in d at idx)
        t = -g[idx[a]]
        for k in range(a):
            t -= L[a, k] * d[idx[k]]
        d[idx[a]] = t / L[a, a]
    for a in range(m - 1, -1, -1):  # backward: L^T d_F = z
        t = d[idx[a]]
        for k in range(a + 1, m):
            t -= L[k, a] * d[idx[k]]
        d[idx[a]] = t / L[a, a]
    return tau


# ----------------------------------------------------------------- objective helpers


@jit(inline=True)
def _gradient(f, grad, x, fx, lo, hi, args, g):
    """Gradient at x into g: user `grad`, else central (one-sided near bounds) FD.

    Returns (code, nfev, ngev); code is 0 or BAD_GRAD_SHAPE.
    """
    n = x.size
    if grad is None:
        # one call site of f (compile time): two evaluations per coordinate, then the
        # central or the one-sided formula, with the arithmetic of _fd._gradient_items
        w0 = _ONE_SIDED[1, 0]
        w1 = _ONE_SIDED[1, 1]
        w2 = _ONE_SIDED[1, 2]
        for i in range(n):
            xi = x[i]
            h = step_size(xi, GRAD_REL_STEP)
            central = xi + -1.0 * h >= lo[i] and xi + 1.0 * h <= hi[i]
            hs = h if central else _one_sided_step(xi, h, _ONE_SIDED[0, 2], lo[i], hi[i])
            f1 = 0.0
            f2 = 0.0
            for k in range(2):
                if central:
                    x[i] = xi + h if k == 0 else xi - h
                else:
                    x[i] = _clamp(xi + _ONE_SIDED[0, k + 1] * hs, lo[i], hi[i])
                fk = f(x, *args)
                if k == 0:
                    f1 = fk
                else:
                    f2 = fk
            x[i] = xi
            if central:
                g[i] = (f1 - f2) / (2.0 * h)
            else:
                acc = 0.0
                acc += w0 * fx
                acc += w1 * f1
                acc += w2 * f2
                g[i] = acc / hs
        return 0, 2 * n, 0
    gv = np.asarray(grad(x, *args))
    if gv.ndim != 1 or gv.size != n:
        return BAD_GRAD_SHAPE, 0, 1
    for i in range(n):
        g[i] = gv[i]
    return 0, 0, 1


@jit()
def _fd_hessian(f, x, lo, hi, args, H):
    """Order-2 FD Hessian at x inside the box (one-sided next to a bound); returns nfev.

    A compiled (not inlined) call: built once per objective, shared by every driver.
    """
    n = x.size
    rstep = np.full(n, HESS_REL_STEP)
    steps = np.empty(n)
    onesided = np.empty(n, dtype=np.bool_)
    side = np.empty((n, 3))
    _, nev = _hessian_bounded_point(f, x, x, lo, hi, rstep, args, H, steps, onesided, side)
    return nev


@jit(inline=True)
def _hessian(f, hess, x, lo, hi, args, H):
    """Hessian at x into H: user `hess`, else finite differences inside the box.

    Returns (code, nfev, nhev).
    """
    n = x.size
    if hess is None:
        return 0, _fd_hessian(f, x, lo, hi, args, H), 0
    hv = np.asarray(hess(x, *args))
    if hv.ndim != 2 or hv.shape[0] != n or hv.shape[1] != n:
        return BAD_HESS_SHAPE, 0, 1
    for i in range(n):
        for j in range(n):
            H[i, j] = hv[i, j]
    return 0, 0, 1


@jit(inline=True)
def line_search(f, x, fx, g, d, lo, hi, alpha, tol, args, xt):
    """Projected backtracking line search with the Armijo condition.

    Trial points ``xt = P(x + a d)`` (``P``: projection onto ``[lo, hi]``) from
    ``a = alpha``; accepts the first with
    ``f(xt) <= fx + ARMIJO_C1 * g.(xt - x) + tol`` (``tol``: rounding allowance on
    ``f``, e.g. ``4 eps |f|``, or 0). Otherwise ``a`` shrinks by safeguarded quadratic
    interpolation to ``[0.1 a, 0.5 a]`` (to ``0.1 a`` after a NaN/inf value). Serial;
    safe inside a user's ``prange``.

    Parameters
    ----------
    f : numba function
        Objective ``f(x, *args) -> float``.
    x : ndarray, shape (n,)
        Current point (inside the box).
    fx : float
        ``f(x)``.
    g : ndarray, shape (n,)
        Gradient at `x`.
    d : ndarray, shape (n,)
        Search direction (a descent direction: ``g.d < 0``).
    lo, hi : ndarray, shape (n,)
        Box corners (``-inf``/``inf`` for none).
    alpha : float
        First trial step (> 0).
    tol : float
        Rounding allowance added to the right-hand side (>= 0).
    args : tuple
        Extra arguments of `f`.
    xt : ndarray, shape (n,)
        Output: the accepted point (the last trial point on failure).

    Returns
    -------
    (float, float, int)
        The accepted step ``a`` (0.0 if none was found: the trial point stopped moving
        or ``MAX_BACKTRACKS`` reductions failed), ``f(xt)`` (``fx`` on failure), and the
        number of evaluations of `f`.

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import line_search
    >>> @numba.njit
    ... def f(x):
    ...     return (x[0] - 3.0) ** 2
    >>> x, g, d, xt = np.array([0.0]), np.array([-6.0]), np.array([6.0]), np.empty(1)
    >>> a, ft, nfev = line_search(f, x, 9.0, g, d, np.array([-np.inf]), np.array([2.0]),
    ...                           1.0, 0.0, (), xt)
    >>> a, ft, nfev, xt  # the step to x = 9 is cut to the bound x = 2
    (1.0, 1.0, 1, array([2.]))
    """
    n = x.size
    a = alpha
    nfev = 0
    for _ in range(MAX_BACKTRACKS):
        gs = 0.0
        moved = False
        for i in range(n):
            v = min(max(x[i] + a * d[i], lo[i]), hi[i])
            xt[i] = v
            s = v - x[i]
            gs += g[i] * s
            moved = moved or s != 0.0
        if not moved:
            break
        ft = f(xt, *args)
        nfev += 1
        if ft <= fx + ARMIJO_C1 * gs + tol:
            return a, ft, nfev
        if math.isfinite(ft) and gs < 0.0:
            q = ft - fx - gs
            anew = -gs * a / (2.0 * q) if q > 0.0 else 0.5 * a
            a = min(max(anew, 0.1 * a), 0.5 * a)
        else:
            a = 0.1 * a
    for i in range(n):
        xt[i] = x[i]
    return 0.0, fx, nfev


@jit(inline=True)
def _wolfe_search(f, grad, x, fx, g, d, lo, hi, alpha, tol, args, xt, gt, xl, gl):
    """Weak Wolfe line search on the projected path (BFGS).

    Armijo as :func:`line_search` and the curvature condition
    ``g(xt).s >= WOLFE_C2 g.s`` (``s = xt - x``), which makes ``y.s > 0``. A trial that
    fails the curvature condition becomes the lower end of the bracket: the step doubles
    until a trial fails Armijo, then the bracket is bisected.

    Returns ``(alpha, f(xt), nfev, ngev, code)``; on success `xt` and `gt` hold the point
    and its gradient (the gradient computed there is the next iteration's). ``alpha`` is
    0.0 on failure; if the curvature condition cannot be met, the last point that met
    Armijo is returned. ``code`` is 0 or BAD_GRAD_SHAPE.
    """
    n = x.size
    a = alpha
    a_lo = 0.0
    a_hi = np.inf
    f_lo = fx
    nfev = 0
    ngev = 0
    for _ in range(MAX_BACKTRACKS):
        gs = 0.0
        moved = False
        for i in range(n):
            v = min(max(x[i] + a * d[i], lo[i]), hi[i])
            xt[i] = v
            st = v - x[i]
            gs += g[i] * st
            moved = moved or st != 0.0
        if not moved:
            break
        ft = f(xt, *args)
        nfev += 1
        if not (ft <= fx + ARMIJO_C1 * gs + tol):
            a_hi = a
            if a_lo > 0.0:
                a = 0.5 * (a_lo + a_hi)
            elif math.isfinite(ft) and gs < 0.0:
                q = ft - fx - gs
                anew = -gs * a / (2.0 * q) if q > 0.0 else 0.5 * a
                a = min(max(anew, 0.1 * a), 0.5 * a)
            else:
                a = 0.1 * a
            continue
        code, ne, ng = _gradient(f, grad, xt, ft, lo, hi, args, gt)
        nfev += ne
        ngev += ng
        if code != 0:
            return 0.0, fx, nfev, ngev, code
        gts = 0.0
        for i in range(n):
            gts += gt[i] * (xt[i] - x[i])
        if gts >= WOLFE_C2 * gs or not math.isfinite(gts):
            return a, ft, nfev, ngev, 0
        a_lo = a
        f_lo = ft
        for i in range(n):
            xl[i] = xt[i]
            gl[i] = gt[i]
        a = 2.0 * a if a_hi == np.inf else 0.5 * (a_lo + a_hi)
    if a_lo > 0.0:
        for i in range(n):
            xt[i] = xl[i]
            gt[i] = gl[i]
        return a_lo, f_lo, nfev, ngev, 0
    for i in range(n):
        xt[i] = x[i]
    return 0.0, fx, nfev, ngev, 0


@jit(inline=True)
def _begin(f, x, args, g, path):
    """Record the start and evaluate f there; returns f(x0) (g is NaN if not finite)."""
    if path.shape[0] > 0:
        for i in range(x.size):
            path[0, i] = x[i]
    fx = f(x, *args)
    if not math.isfinite(fx):
        for i in range(x.size):
            g[i] = np.nan
    return fx


@jit(inline=True)
def _accept(x, xt, path, it):
    """Set ``x = xt``, iterate it + 1 of the path; return False if x overflowed."""
    ok = True
    for i in range(x.size):
        x[i] = xt[i]
        ok = ok and math.isfinite(xt[i])
    if path.shape[0] > it + 1:
        for i in range(x.size):
            path[it + 1, i] = x[i]
    return ok


@jit(inline=True)
def _nan(g):
    for i in range(g.size):
        g[i] = np.nan


# ------------------------------------------------------------------------ the methods
# Each core iterates in place on x (the start on entry) with the work buffers of one
# chunk, and returns (status, fun, nit, nfev, ngev, nhev). They are compiled (not
# inlined) functions: built once per objective and shared by the point kernels and the
# serial and parallel batch drivers. Each calls f, grad and hess at one site only.


@jit()
def _gd_core(f, grad, x, lo, hi, gtol, maxiter, args, g, W, path):
    fx = _begin(f, x, args, g, path)
    nfev = 1
    ngev = 0
    if not math.isfinite(fx):
        return NONFINITE, fx, 0, nfev, ngev, 0
    xt = W[0]
    d = W[1]
    free = W[6]
    fscale = abs(fx)
    alpha = 0.0
    it = 0
    while True:
        code, ne, ng = _gradient(f, grad, x, fx, lo, hi, args, g)
        nfev += ne
        ngev += ng
        if code != 0:
            return code, fx, it, nfev, ngev, 0
        if not _all_finite(g):
            return NONFINITE, fx, it, nfev, ngev, 0
        if projected_gradient_norm(x, g, lo, hi) <= gtol:
            return SUCCESS, fx, it, nfev, ngev, 0
        if it == maxiter:
            return MAXITER, fx, it, nfev, ngev, 0
        _free_mask(x, g, lo, hi, free)
        dmax = _steepest(g, free, d)
        a0 = min(1.0, 1.0 / dmax) if it == 0 else 2.0 * alpha
        alpha, ft, ne = line_search(f, x, fx, g, d, lo, hi, a0, F_ROUNDING * EPS * fscale,
                                    args, xt)
        nfev += ne
        if alpha == 0.0:
            return STALLED, fx, it, nfev, ngev, 0
        fx = ft
        if not _accept(x, xt, path, it) or fx == -np.inf:
            _nan(g)
            return DIVERGED, fx, it + 1, nfev, ngev, 0
        fscale = max(fscale, abs(fx))
        it += 1


@jit()
def _bfgs_core(f, grad, x, lo, hi, gtol, maxiter, args, g, W, H, A, L, idx, path):
    fx = _begin(f, x, args, g, path)
    nfev = 1
    ngev = 0
    if not math.isfinite(fx):
        return NONFINITE, fx, 0, nfev, ngev, 0
    n = x.size
    xt = W[0]
    d = W[1]
    gt = W[2]
    s = W[3]
    y = W[4]
    Hy = W[5]
    free = W[6]
    xl = W[7]
    gl = W[8]
    code, ne, ng = _gradient(f, grad, x, fx, lo, hi, args, g)
    nfev += ne
    ngev += ng
    if code != 0:
        return code, fx, 0, nfev, ngev, 0
    if not _all_finite(g):
        return NONFINITE, fx, 0, nfev, ngev, 0
    for i in range(n):
        for j in range(n):
            H[i, j] = 1.0 if i == j else 0.0
    scaled = False
    fscale = abs(fx)
    it = 0
    while True:
        if projected_gradient_norm(x, g, lo, hi) <= gtol:
            return SUCCESS, fx, it, nfev, ngev, 0
        if it == maxiter:
            return MAXITER, fx, it, nfev, ngev, 0
        _free_mask(x, g, lo, hi, free)
        gd = _bfgs_direction(H, g, free, d, A, L, idx)
        if not (gd < 0.0):  # rounding destroyed positive definiteness: restart
            for i in range(n):
                for j in range(n):
                    H[i, j] = 1.0 if i == j else 0.0
            scaled = False
            _bfgs_direction(H, g, free, d, A, L, idx)
        a0 = 1.0
        if not scaled:
            dmax = 0.0
            for i in range(n):
                dmax = max(dmax, abs(d[i]))
            a0 = min(1.0, 1.0 / dmax)
        alpha, ft, ne, ng, code = _wolfe_search(f, grad, x, fx, g, d, lo, hi, a0,
                                                F_ROUNDING * EPS * fscale, args, xt, gt, xl,
                                                gl)
        nfev += ne
        ngev += ng
        if code != 0:
            return code, fx, it, nfev, ngev, 0
        if alpha == 0.0:
            return STALLED, fx, it, nfev, ngev, 0
        for i in range(n):
            s[i] = xt[i] - x[i]
            y[i] = gt[i] - g[i]
            g[i] = gt[i]
        fx = ft
        if not _accept(x, xt, path, it) or fx == -np.inf:
            _nan(g)
            return DIVERGED, fx, it + 1, nfev, ngev, 0
        if not _all_finite(g):
            return NONFINITE, fx, it + 1, nfev, ngev, 0
        fscale = max(fscale, abs(fx))
        if _bfgs_update(H, s, y, Hy, not scaled):
            scaled = True
        it += 1


@jit()
def _newton_core(f, grad, hess, x, lo, hi, gtol, maxiter, args, g, W, H, A, L, idx, path):
    fx = _begin(f, x, args, g, path)
    nfev = 1
    ngev = 0
    nhev = 0
    if not math.isfinite(fx):
        return NONFINITE, fx, 0, nfev, ngev, nhev
    n = x.size
    xt = W[0]
    d = W[1]
    free = W[6]
    fscale = abs(fx)
    it = 0
    while True:
        code, ne, ng = _gradient(f, grad, x, fx, lo, hi, args, g)
        nfev += ne
        ngev += ng
        if code != 0:
            return code, fx, it, nfev, ngev, nhev
        if not _all_finite(g):
            return NONFINITE, fx, it, nfev, ngev, nhev
        if projected_gradient_norm(x, g, lo, hi) <= gtol:
            return SUCCESS, fx, it, nfev, ngev, nhev
        if it == maxiter:
            return MAXITER, fx, it, nfev, ngev, nhev
        code, ne, nh = _hessian(f, hess, x, lo, hi, args, H)
        nfev += ne
        nhev += nh
        if code != 0:
            return code, fx, it, nfev, ngev, nhev
        if not _all_finite(H.reshape(n * n)):
            return NONFINITE, fx, it, nfev, ngev, nhev
        _free_mask(x, g, lo, hi, free)
        if _newton_direction(H, A, L, g, free, idx, d) < 0.0:
            return NONFINITE, fx, it, nfev, ngev, nhev
        alpha, ft, ne = line_search(f, x, fx, g, d, lo, hi, 1.0, F_ROUNDING * EPS * fscale,
                                    args, xt)
        nfev += ne
        if alpha == 0.0:
            return STALLED, fx, it, nfev, ngev, nhev
        fx = ft
        if not _accept(x, xt, path, it) or fx == -np.inf:
            _nan(g)
            return DIVERGED, fx, it + 1, nfev, ngev, nhev
        fscale = max(fscale, abs(fx))
        it += 1


# ------------------------------------------------------------------ one start (public)


@jit(inline=True)
def _copy_start(x0, x_out):
    for i in range(x_out.size):
        x_out[i] = x0[i]
    return x_out


@jit()
def gd_point(f, grad, x0, lo, hi, gtol, maxiter, args, x_out, g_out, path):
    """Gradient descent with projected Armijo backtracking from one start, serially.

    Parameters
    ----------
    f : numba function
        Objective ``f(x, *args) -> float``, ``x`` of shape (n,); must not modify ``x``.
    grad : numba function or None
        ``grad(x, *args) -> ndarray (n,)``; None for central finite differences.
    x0 : ndarray, shape (n,)
        Start, inside ``[lo, hi]``.
    lo, hi : ndarray, shape (n,)
        Box corners; ``-inf``/``inf`` for free coordinates.
    gtol : float
        Stop when ``||x - P(x - g)||_inf <= gtol``.
    maxiter : int
        Iteration limit (>= 1).
    args : tuple
        Extra arguments of `f` (and `grad`).
    x_out : ndarray, shape (n,)
        Output: the final point.
    g_out : ndarray, shape (n,)
        Output: the gradient at it (NaN if not computed).
    path : ndarray, shape (K, n)
        Output: ``path[k]`` is the iterate after ``k`` iterations, for
        ``k < min(K, nit + 1)``; pass ``np.empty((0, n))`` to record nothing.

    Returns
    -------
    (int, float, int, int, int, int)
        ``(status, fun, nit, nfev, ngev, nhev)``; see the module docstring (``nhev`` is
        0).

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import gd_point
    >>> @numba.njit
    ... def f(x):
    ...     return (x[0] - 1.0) ** 2 + 2.0 * (x[1] + 0.5) ** 2
    >>> lo, hi = np.full(2, -np.inf), np.full(2, np.inf)
    >>> x, g = np.empty(2), np.empty(2)
    >>> status, fun, nit, nfev, ngev, nhev = gd_point(f, None, np.zeros(2), lo, hi, 1e-8,
    ...                                               1000, (), x, g, np.empty((0, 2)))
    >>> status, np.round(x, 8) + 0.0
    (0, array([ 1. , -0.5]))
    """
    x = _copy_start(x0, x_out)
    n = x.size
    W = np.empty((_WORK_ROWS, n))
    return _gd_core(f, grad, x, lo, hi, gtol, maxiter, args, g_out, W, path)


@jit()
def bfgs_point(f, grad, x0, lo, hi, gtol, maxiter, args, x_out, g_out, path):
    """BFGS (inverse-Hessian update, projected Armijo backtracking) from one start, serially.

    Arguments and return value as :func:`gd_point`.

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import bfgs_point
    >>> @numba.njit
    ... def rosen(x):
    ...     return 100.0 * (x[1] - x[0] ** 2) ** 2 + (1.0 - x[0]) ** 2
    >>> lo, hi = np.full(2, -np.inf), np.full(2, np.inf)
    >>> x, g = np.empty(2), np.empty(2)
    >>> status, fun, nit, nfev, ngev, nhev = bfgs_point(
    ...     rosen, None, np.array([-1.2, 1.0]), lo, hi, 1e-8, 400, (), x, g, np.empty((0, 2)))
    >>> status, bool(np.abs(x - 1.0).max() < 1e-7), fun < 1e-14
    (0, True, True)
    """
    x = _copy_start(x0, x_out)
    n = x.size
    W = np.empty((_WORK_ROWS, n))
    H = np.empty((n, n))
    A = np.empty((n, n))
    L = np.empty((n, n))
    idx = np.empty(n, np.int64)
    return _bfgs_core(f, grad, x, lo, hi, gtol, maxiter, args, g_out, W, H, A, L, idx, path)


@jit()
def newton_point(f, grad, hess, x0, lo, hi, gtol, maxiter, args, x_out, g_out, path):
    """Newton's method (shifted Cholesky, projected Armijo backtracking), one start, serially.

    Arguments and return value as :func:`gd_point`, plus `hess`: a numba function
    ``hess(x, *args) -> ndarray (n, n)``, or None for the order-2 finite-difference
    Hessian (``n^2 + n + 1`` evaluations per iteration).

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import newton_point
    >>> @numba.njit
    ... def f(x):
    ...     return x[0] ** 4 - 2.0 * x[0] ** 2 + x[1] ** 2  # indefinite Hessian at x0
    >>> lo, hi = np.full(2, -np.inf), np.full(2, np.inf)
    >>> x, g = np.empty(2), np.empty(2)
    >>> status, fun, nit, nfev, ngev, nhev = newton_point(
    ...     f, None, None, np.array([0.1, 1.0]), lo, hi, 1e-8, 100, (), x, g,
    ...     np.empty((0, 2)))
    >>> status, np.round(x, 8) + 0.0, round(fun, 12)
    (0, array([1., 0.]), -1.0)
    """
    x = _copy_start(x0, x_out)
    n = x.size
    W = np.empty((_WORK_ROWS, n))
    H = np.empty((n, n))
    A = np.empty((n, n))
    L = np.empty((n, n))
    idx = np.empty(n, np.int64)
    return _newton_core(f, grad, hess, x, lo, hi, gtol, maxiter, args, g_out, W,
                        H, A, L, idx, path)


# -------------------------------------------------------------- many starts (parallel)


@jit(inline=True)
def _store(p, result, fun, status, counts):
    st, fx, nit, nfev, ngev, nhev = result
    status[p] = st
    fun[p] = fx
    counts[p, 0] = nit
    counts[p, 1] = nfev
    counts[p, 2] = ngev
    counts[p, 3] = nhev


@jit(inline=True)
def _gd_starts(f, grad, starts, lo, hi, gtol, maxiter, args, x_out, fun, g_out, status, counts,
               path, a, b):
    """Run starts a..b-1 of gd_batch, serially, with one work buffer."""
    n = starts.shape[1]
    W = np.empty((_WORK_ROWS, n))
    for p in range(a, b):
        x = x_out[p]
        for i in range(n):
            x[i] = starts[p, i]
        r = _gd_core(f, grad, x, lo, hi, gtol, maxiter, args, g_out[p], W, path[p])
        _store(p, r, fun, status, counts)


@jit(inline=True)
def _bfgs_starts(f, grad, starts, lo, hi, gtol, maxiter, args, x_out, fun, g_out, status,
                 counts, path, a, b):
    """Run starts a..b-1 of bfgs_batch, serially, with one set of work buffers."""
    n = starts.shape[1]
    W = np.empty((_WORK_ROWS, n))
    H = np.empty((n, n))
    A = np.empty((n, n))
    L = np.empty((n, n))
    idx = np.empty(n, np.int64)
    for p in range(a, b):
        x = x_out[p]
        for i in range(n):
            x[i] = starts[p, i]
        r = _bfgs_core(f, grad, x, lo, hi, gtol, maxiter, args, g_out[p], W, H, A, L, idx,
                       path[p])
        _store(p, r, fun, status, counts)


@jit(inline=True)
def _newton_starts(f, grad, hess, starts, lo, hi, gtol, maxiter, args, x_out, fun, g_out,
                   status, counts, path, a, b):
    """Run starts a..b-1 of newton_batch, serially, with one set of work buffers."""
    n = starts.shape[1]
    W = np.empty((_WORK_ROWS, n))
    H = np.empty((n, n))
    A = np.empty((n, n))
    L = np.empty((n, n))
    idx = np.empty(n, np.int64)
    for p in range(a, b):
        x = x_out[p]
        for i in range(n):
            x[i] = starts[p, i]
        r = _newton_core(f, grad, hess, x, lo, hi, gtol, maxiter, args, g_out[p], W, H, A, L,
                         idx, path[p])
        _store(p, r, fun, status, counts)


# The parallel drivers keep their prange body small: the per-start loops above are
# inlined (one compiled layer less: measured 3 s less compile per objective for BFGS),
# the method's core stays one compiled call (numba's parfor compilation grows with the
# body).


@jit(parallel=True)
def gd_batch(f, grad, starts, lo, hi, gtol, maxiter, args, x_out, fun, g_out, status, counts,
             path):
    """:func:`gd_point` from many starts in parallel (prange over chunks of starts).

    Parameters
    ----------
    f, grad, lo, hi, gtol, maxiter, args
        As for :func:`gd_point`.
    starts : ndarray, shape (N, n)
        Starts, one per row.
    x_out, g_out : ndarray, shape (N, n)
        Output: final points and their gradients.
    fun : ndarray, shape (N,)
        Output: ``f`` at the final points.
    status : ndarray of int, shape (N,)
        Output: status codes.
    counts : ndarray of int64, shape (N, 4)
        Output: ``nit, nfev, ngev, nhev`` per start.
    path : ndarray, shape (N, K, n) or (N, 0, n)
        Output: iterates, as for :func:`gd_point`.

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import gd_batch
    >>> @numba.njit
    ... def f(x):
    ...     return (x[0] - 1.0) ** 2
    >>> starts = np.array([[-3.0], [0.0], [5.0]])
    >>> x, g, fun = np.empty((3, 1)), np.empty((3, 1)), np.empty(3)
    >>> status, counts = np.empty(3, np.int64), np.empty((3, 4), np.int64)
    >>> gd_batch(f, None, starts, np.array([-np.inf]), np.array([np.inf]), 1e-8, 100, (),
    ...          x, fun, g, status, counts, np.empty((3, 0, 1)))
    >>> status, np.round(x.ravel(), 8)
    (array([0, 0, 0]), array([1., 1., 1.]))
    """
    N = starts.shape[0]
    nc = num_chunks(N)
    for c in prange(nc):
        a, b = chunk_bounds(N, nc, c)
        _gd_starts(f, grad, starts, lo, hi, gtol, maxiter, args, x_out, fun, g_out, status,
                   counts, path, a, b)


@jit(parallel=True)
def bfgs_batch(f, grad, starts, lo, hi, gtol, maxiter, args, x_out, fun, g_out, status,
               counts, path):
    """:func:`bfgs_point` from many starts in parallel; arguments as :func:`gd_batch`.

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import bfgs_batch
    >>> @numba.njit
    ... def f(x):
    ...     return (x[0] - 1.0) ** 2 + (x[1] - x[0]) ** 2
    >>> starts = np.array([[-3.0, 2.0], [4.0, 0.5]])
    >>> x, g, fun = np.empty((2, 2)), np.empty((2, 2)), np.empty(2)
    >>> status, counts = np.empty(2, np.int64), np.empty((2, 4), np.int64)
    >>> lo, hi = np.full(2, -np.inf), np.full(2, np.inf)
    >>> bfgs_batch(f, None, starts, lo, hi, 1e-8, 100, (), x, fun, g, status, counts,
    ...            np.empty((2, 0, 2)))
    >>> status, np.round(x, 8)
    (array([0, 0]), array([[1., 1.],
           [1., 1.]]))
    """
    N = starts.shape[0]
    nc = num_chunks(N)
    for c in prange(nc):
        a, b = chunk_bounds(N, nc, c)
        _bfgs_starts(f, grad, starts, lo, hi, gtol, maxiter, args, x_out, fun, g_out, status,
                     counts, path, a, b)


@jit(parallel=True)
def newton_batch(f, grad, hess, starts, lo, hi, gtol, maxiter, args, x_out, fun, g_out, status,
                 counts, path):
    """:func:`newton_point` from many starts in parallel.

    Arguments as :func:`gd_batch`, plus `hess` as for :func:`newton_point`.

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import newton_batch
    >>> @numba.njit
    ... def f(x):
    ...     return (x[0] ** 2 - 1.0) ** 2
    >>> starts = np.array([[-0.5], [0.5], [3.0]])
    >>> x, g, fun = np.empty((3, 1)), np.empty((3, 1)), np.empty(3)
    >>> status, counts = np.empty(3, np.int64), np.empty((3, 4), np.int64)
    >>> newton_batch(f, None, None, starts, np.array([-np.inf]), np.array([np.inf]), 1e-8,
    ...              100, (), x, fun, g, status, counts, np.empty((3, 0, 1)))
    >>> status, np.round(x.ravel(), 8)
    (array([0, 0, 0]), array([-1.,  1.,  1.]))
    """
    N = starts.shape[0]
    nc = num_chunks(N)
    for c in prange(nc):
        a, b = chunk_bounds(N, nc, c)
        _newton_starts(f, grad, hess, starts, lo, hi, gtol, maxiter, args, x_out, fun, g_out,
                       status, counts, path, a, b)
