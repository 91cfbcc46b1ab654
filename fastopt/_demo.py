"""The guided tour printed by ``fastopt demo`` (and ``make demo``).

The story of the basics of numerical optimization in one run: derivatives by finite
differences against the exact formulas, the optimality test at a critical point, a
global grid search against local derivative methods, every critical point of a
function classified, and figures of it all.

Compilation dominates the run time (numba specialises fastopt's kernels per objective
function), so the demo is economical with objectives: every 2-D function is a
polynomial evaluated by the one compiled function :func:`_poly2`, its coefficients
passed through ``args`` -- the kernels compile once for all of them.
"""

from __future__ import annotations

import os
import time

import numba
import numpy as np

from ._critical import classify_points, find_critical_points
from ._differentiate import gradient, hessian
from ._grid import grid_search
from ._result import PointType

__all__ = ["run"]


# --------------------------------------------------------------------------- objectives
@numba.njit
def _least_squares(x, A, y):
    r = y - A @ x
    return r @ r


@numba.njit
def _neuron(W, xin, y):
    s = 1.0 / (1.0 + np.exp(-(W @ xin)))
    r = y - s
    return r @ r


@numba.njit
def _poly2(v, C):
    """``sum_ij C[i, j] x**i y**j`` by Horner's rule in x and y."""
    x, y = v[0], v[1]
    s = 0.0
    for i in range(C.shape[0] - 1, -1, -1):
        t = 0.0
        for j in range(C.shape[1] - 1, -1, -1):
            t = t * y + C[i, j]
        s = s * x + t
    return s


def _coefficients(terms):
    """5 x 5 coefficient matrix from {(i, j): c} (the term c x^i y^j)."""
    C = np.zeros((5, 5))
    for (i, j), c in terms.items():
        C[i, j] = c
    return C


SADDLE = _coefficients({(2, 0): 1.0, (0, 2): -1.0})  # x^2 - y^2
MONKEY = _coefficients({(3, 0): 1.0, (0, 3): -1.0})  # x^3 - y^3
# (x^2 + y - 11)^2 + (x + y^2 - 7)^2 + 10 x, Himmelblau's function tilted so that its
# four minima have different values
TILTED = _coefficients({(4, 0): 1.0, (0, 4): 1.0, (2, 1): 2.0, (1, 2): 2.0, (2, 0): -21.0,
                        (0, 2): -13.0, (1, 0): -14.0 + 10.0, (0, 1): -22.0, (0, 0): 170.0})
TILTED_TEXT = "(x^2 + y - 11)^2 + (x + y^2 - 7)^2 + 10 x"
BOX = [(-4.5, 4.5), (-4.5, 4.5)]


def _neuron_exact(W, xin, y):
    s = 1.0 / (1.0 + np.exp(-(W @ xin)))
    ds = s * (1.0 - s)
    g = np.outer(-2.0 * (y - s) * ds, xin)
    c = 2.0 * (ds * ds - (y - s) * ds * (1.0 - 2.0 * s))
    m, d = W.shape
    H = np.zeros((m, d, m, d))
    for k in range(m):
        H[k, :, k, :] = c[k] * np.outer(xin, xin)
    return g, H


# --------------------------------------------------------------------------- helpers
def _timed(call, repeat=20):
    """(first result, seconds of the first call, best seconds of `repeat` more calls)."""
    t0 = time.perf_counter()
    first = call()
    compile_s = time.perf_counter() - t0
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - t0)
    return first, compile_s, best


def _rel(approx, exact):
    return float(np.max(np.abs(approx - exact)) / max(1.0, np.max(np.abs(exact))))


def _vec(a, fmt="{:.4g}"):
    return "(" + ", ".join(fmt.format(float(t)) + "" for t in np.ravel(a)) + ")"


def _kind(k):
    return PointType(int(k)).name.lower()


class _Clock:
    """Seconds since the start, for the footer."""

    def __init__(self):
        self.t0 = time.perf_counter()

    def __call__(self):
        return time.perf_counter() - self.t0


def _took(w, seconds, what="numba compiling kernels for new objectives"):
    w(f"   [this section: {seconds:.1f} s, most of it {what}]\n\n")


# --------------------------------------------------------------------------- sections
def _derivative_rows(name, f, x, args, grad_exact, hess_exact, ndim):
    rows = []
    for label, func, kw, exact in [
        ("gradient central-2", gradient, {"order": 2}, grad_exact),
        ("gradient central-4", gradient, {"order": 4}, grad_exact),
        ("gradient forward-1", gradient, {"method": "forward", "order": 1}, grad_exact),
        ("hessian  central-2", hessian, {"order": 2}, hess_exact),
        ("hessian  central-4", hessian, {"order": 4}, hess_exact),
    ]:
        res, comp, best = _timed(
            lambda func=func, kw=kw: func(f, x, args=args, ndim=ndim, full_output=True, **kw)
        )
        rows.append((name, label, _rel(res.value, exact), res.nfev, best * 1e6, comp))
    return rows


def _section_derivatives(w, rng):
    w("1. Derivatives: finite differences versus the exact formulas\n")
    w("   error = max |approx - exact| / max(1, max |exact|); nfev = evaluations of f;\n")
    w("   time = best of 20 warm calls; compile = first call with this objective\n\n")
    A = rng.normal(size=(20, 6))
    y = rng.normal(size=20)
    x = rng.normal(size=6)
    g_ls = -2.0 * A.T @ (y - A @ x)
    H_ls = 2.0 * A.T @ A
    rows = _derivative_rows("least squares f(x) = ||y - A x||^2, x in R^6  "
                            "(exact: -2 A^T (y - A x), 2 A^T A)",
                            _least_squares, x, (A, y), g_ls, H_ls, 1)
    xin = np.array([0.5, -1.0, 2.0, 0.3])
    yt = np.array([0.1, 0.8, 0.5])
    W = rng.normal(size=(3, 4)) / 2
    g_n, H_n = _neuron_exact(W, xin, yt)
    rows += _derivative_rows("logistic neuron g(W) = ||y - sigma(W x)||^2, W a 3 x 4 matrix",
                             _neuron, W, (xin, yt), g_n, H_n, 2)
    header = (f"   {'method':<20}{'rel. error':>12}{'nfev':>7}{'time [us]':>11}"
              f"{'compile [s]':>13}\n")
    current = None
    for name, label, err, nfev, us, comp in rows:
        if name != current:
            w(f"   {name}\n{header}")
            current = name
        w(f"   {label:<20}{err:>12.1e}{nfev:>7d}{us:>11.1f}{comp:>13.2f}\n")
    w("\n   Reading: central differences have error O(h^2) (order 2) or O(h^4) (order 4)\n"
      "   plus rounding ~eps |f| / h; with the default steps the gradient is good to\n"
      "   ~1e-11 and the Hessian to ~1e-8, for 2n and n^2 + n + 1 evaluations. A forward\n"
      "   difference saves half the evaluations and loses half the digits. For the least-\n"
      "   squares f (a quadratic) the order-4 stencils are exact up to rounding.\n")


def _section_optimality(w):
    w("2. The optimality test at the origin\n")
    w("   A point is critical when the gradient is zero; the Hessian's eigenvalues then\n"
      "   decide: all > 0 minimum, all < 0 maximum, both signs saddle, a zero eigenvalue\n"
      "   (and no sign change) degenerate: the second-order test cannot decide.\n\n")
    origin = np.zeros(2)
    for text, C in (("x^2 - y^2", SADDLE), ("x^3 - y^3", MONKEY)):
        res = classify_points(_poly2, origin, args=(C,))
        w(f"   f(x, y) = {text:<10} gradient {_vec(res.gradient, '{:.1e}')}, Hessian "
          f"eigenvalues {_vec(res.eigenvalues, '{:.3g}')} -> {_kind(res.kind).upper()}\n")
    w("\n   x^2 - y^2 curves up along x and down along y: a saddle, not an extremum.\n"
      "   x^3 - y^3 has a zero Hessian at the origin: the test is inconclusive, and\n"
      "   indeed f(t, 0) = t^3 takes both signs, so it is no extremum either. The\n"
      "   tolerances deciding 'zero' come from the finite-difference error model.\n")


def _section_search(w, minimize, crit):
    """Grid search against Newton and BFGS; returns data for the figures."""
    w("3. Global grid search versus local derivative methods\n")
    w(f"   f(x, y) = {TILTED_TEXT} on [-4.5, 4.5]^2\n")
    imin = int(np.argmin(np.where(crit.kind == PointType.MINIMUM, crit.fun, np.inf)))
    x_star, f_star = crit.x[imin], float(crit.fun[imin])
    w(f"   its global minimum: f* = {f_star:.6f} at {_vec(x_star, '{:.5f}')} (from section 4)"
      "\n\n")
    head = (f"   {'method':<34}{'evaluations':>12}{'f found':>12}{'|f - f*|':>10}"
            f"{'|x - x*|':>10}{'time':>10}\n")
    w(head)
    rows, runs = [], {}

    def line(label, nfev, x, fx, seconds):
        err, dist = abs(fx - f_star), float(np.linalg.norm(np.asarray(x) - x_star))
        w(f"   {label:<34}{nfev:>12,d}{fx:>12.6g}{err:>10.1e}{dist:>10.1e}"
          f"{seconds * 1e3:>8.1f}ms\n")
        return err

    for num in (101, 1001, 3000):
        res = grid_search(_poly2, BOX, args=(TILTED,), num=num, progress=False)
        err = line(f"grid {num} x {num} (spacing {9 / (num - 1):.3g})", res.nfev, res.x,
                   res.fun, res.elapsed)
        rows.append({"method": "grid search", "nfev": res.nfev, "error": err})
    w("\n")
    if minimize is None:
        w("\n   (Newton and BFGS are skipped: fastopt.minimize is not available in this "
          "installation.)\n\n")
        return rows, runs, x_star
    start = np.zeros(2)
    for method in ("newton", "bfgs"):
        res, _, best = _timed(lambda m=method: minimize(_poly2, start, args=(TILTED,), method=m,
                                                        return_path=True), repeat=3)
        err = line(f"{method} from (0, 0)", int(res.nfev), res.x, float(res.fun), best)
        rows.append({"method": f"{method} from (0, 0)", "nfev": int(res.nfev), "error": err})
        runs[method] = res
    t0 = time.perf_counter()
    res = grid_search(_poly2, BOX, args=(TILTED,), num=101, progress=False, finish="newton")
    seconds = time.perf_counter() - t0
    pol = res.polished
    total = res.nfev + int(pol.nfev)
    err = line("grid 101 x 101, finish='newton'", total, pol.x, float(pol.fun), seconds)
    rows.append({"method": "grid 101 x 101 + newton", "nfev": total, "error": err})
    nl = runs["newton"]
    w(f"\n   Reading: the grid cannot miss the global minimum, but its error falls only\n"
      f"   like spacing^2 (erratically: it depends on how close a grid point happens to\n"
      f"   fall), at 10^n times the evaluations per 10x finer spacing in n dimensions.\n"
      f"   Newton and BFGS need ~100 evaluations, but they converge to the\n"
      f"   minimum of the basin they start in: from (0, 0) both end at the local\n"
      f"   minimum {_vec(nl.x, '{:.4f}')}, f = {float(nl.fun):.4g}, far above f*. A coarse\n"
      f"   grid to find the basin, then Newton to polish, is global *and* accurate.\n")
    return rows, runs, x_star


def _section_critical(w, crit, seconds):
    w("4. Every critical point of f, classified\n")
    w(f"   Newton's method on the gradient from a {int(round(crit.nstart ** 0.5))} x "
      f"{int(round(crit.nstart ** 0.5))} grid of starts, end points merged,\n"
      f"   then the optimality test at each ({crit.nfev:,} evaluations, {seconds:.1f} s "
      "including compilation)\n\n")
    w(f"   {'kind':<10}{'x':>10}{'y':>10}{'f':>12}   Hessian eigenvalues\n")
    for i in range(len(crit)):
        w(f"   {_kind(crit.kind[i]):<10}{crit.x[i, 0]:>10.4f}{crit.x[i, 1]:>10.4f}"
          f"{crit.fun[i]:>12.4f}   {_vec(crit.eigenvalues[i], '{:.4g}')}\n")
    counts = {k: int(np.count_nonzero(crit.kind == k)) for k in PointType}
    nmin, nmax, nsad = (counts[PointType.MINIMUM], counts[PointType.MAXIMUM],
                        counts[PointType.SADDLE])
    w(f"\n   {nmin} minima, {nsad} saddles, {nmax} maximum: between every two basins lies a\n"
      f"   saddle. Check (Morse theory, f growing towards the boundary of the box):\n"
      f"   minima - saddles + maxima = {nmin} - {nsad} + {nmax} = {nmin - nsad + nmax}, "
      "as it must be.\n\n")


def _section_figures(w, folder, crit, rows, runs, x_star):
    w(f"5. Figures, written to {os.path.abspath(folder)}\n")
    from . import plot

    try:
        import matplotlib  # noqa: F401
    except ImportError:
        w("   (skipped: matplotlib is not installed; pip install 'fastopt[plot]')\n")
        return
    os.makedirs(folder, exist_ok=True)
    files = []
    path = os.path.join(folder, "landscape.png")
    plot.landscape(_poly2, BOX, args=(TILTED,), num=160, critical=crit,
                   points={"global minimum": x_star}, title=f"f = {TILTED_TEXT}",
                   filename=path)
    files.append(("landscape.png", "f with its critical points marked by kind"))
    if runs:
        path = os.path.join(folder, "paths.png")
        plot.paths(_poly2, BOX, {f"{m} from (0, 0)": r.path for m, r in runs.items()},
                   args=(TILTED,), num=160, critical=crit,
                   title="Newton and BFGS from (0, 0): a local minimum", filename=path)
        files.append(("paths.png", "the iterates of Newton and BFGS over the landscape"))
    path = os.path.join(folder, "grid-vs-derivatives.png")
    plot.comparison(rows, title="error |f - f*| versus evaluations", filename=path)
    files.append(("grid-vs-derivatives.png", "error versus evaluations, every method"))
    for name, what in files:
        w(f"   {name:<26}{what}\n")


# --------------------------------------------------------------------------- the report
def run(out, *, folder: str = "fastopt-demo", plots: bool = True) -> None:
    """Print the demo report to the text stream `out`; write figures to `folder`."""
    clock = _Clock()
    w = out.write
    rng = np.random.default_rng(0)
    w("fastopt demo: the basics of numerical optimization, measured\n")
    w(f"(numba {numba.__version__}, {numba.get_num_threads()} threads; compile times are "
      "numba specialising fastopt's kernels for each new objective)\n\n")
    t0 = clock()
    _section_derivatives(w, rng)
    _took(w, clock() - t0)
    t0 = clock()
    _section_optimality(w)
    _took(w, clock() - t0)
    t0 = clock()
    crit = find_critical_points(_poly2, BOX, args=(TILTED,))
    crit_seconds = clock() - t0
    try:
        from ._minimize import minimize
    except ImportError:  # pragma: no cover - minimize ships with fastopt
        minimize = None
    t0 = clock()
    rows, runs, x_star = _section_search(w, minimize, crit)
    _took(w, clock() - t0)
    _section_critical(w, crit, crit_seconds)
    if plots:
        t0 = clock()
        _section_figures(w, folder, crit, rows, runs, x_star)
        _took(w, clock() - t0, "drawing")
    w(f"Done in {clock():.0f} s. Next: `fastopt scan --help` and `fastopt classify --help` "
      "explore your own\nfunctions from the shell; `make test` runs the tests; docs/ "
      "explains every method.\n")
