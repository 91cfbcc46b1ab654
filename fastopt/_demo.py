"""The guided tour printed by ``fastopt demo`` (and ``make demo``)."""

from __future__ import annotations

import time

import numba
import numpy as np

from ._differentiate import gradient, hessian


@numba.njit
def _least_squares(x, A, y):
    r = y - A @ x
    return r @ r


@numba.njit
def _neuron(W, xin, y):
    s = 1.0 / (1.0 + np.exp(-(W @ xin)))
    r = y - s
    return r @ r


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


def _timed(call, repeat=20):
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


def run(out) -> None:
    """Print the demo report to the text stream `out`."""
    w = out.write
    rng = np.random.default_rng(0)
    w("fastopt demo: the basics of numerical optimization, measured\n")
    w(f"(numba {numba.__version__}, {numba.get_num_threads()} threads)\n\n")
    w("1. Finite-difference versus analytic derivatives\n")
    w("   error = max |approx - exact| / max(1, max |exact|); time = best of 20 warm calls;\n")
    w("   compile = first call with this objective (numba specialises kernels per objective)\n\n")

    A = rng.normal(size=(20, 6))
    y = rng.normal(size=20)
    x = rng.normal(size=6)
    g_ls = -2.0 * A.T @ (y - A @ x)
    H_ls = 2.0 * A.T @ A
    rows = _derivative_rows("least squares ||y - A x||^2, n=6", _least_squares, x, (A, y),
                            g_ls, H_ls, 1)
    xin = np.array([0.5, -1.0, 2.0, 0.3])
    yt = np.array([0.1, 0.8, 0.5])
    W = rng.normal(size=(3, 4)) / 2
    g_n, H_n = _neuron_exact(W, xin, yt)
    rows += _derivative_rows("logistic neuron ||y - sigma(W x)||^2, W 3x4", _neuron, W,
                             (xin, yt), g_n, H_n, 2)
    header = (f"   {'method':<20}{'rel. error':>12}{'nfev':>7}{'time [us]':>11}"
              f"{'compile [s]':>13}\n")
    current = None
    for name, label, err, nfev, us, comp in rows:
        if name != current:
            w(f"   {name}\n{header}")
            current = name
        w(f"   {label:<20}{err:>12.1e}{nfev:>7d}{us:>11.1f}{comp:>13.2f}\n")
    w("\n")

    w("2. One call, many points: gradients of the least-squares loss at 10^5 points\n")
    X = rng.normal(size=(100_000, 6))
    res, comp, best = _timed(lambda: gradient(_least_squares, X, args=(A, y)), repeat=3)
    exact = -2.0 * (y - X @ A.T) @ A
    w(f"   max rel. error {_rel(res, exact):.1e}, {best * 1e3:.1f} ms "
      f"({best / 1e5 * 1e9:.0f} ns per gradient), first call {comp:.2f} s\n\n")
    w("Next: `make test` runs the test suite; docs/ explains methods, steps and benchmarks.\n")
