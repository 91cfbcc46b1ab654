"""Gradients of a noisy objective: fastopt's Richardson against numdifftools and scipy.

Usage: python benchmarks/noisy_accuracy.py  (prints a markdown table)

The objective is ``(2 + sum(sin x_i)) (1 + delta u(x))`` with ``delta = 1e-10`` and ``u`` a
deterministic pseudo-random number in [-1, 1] (a hash of x), at 50 random points in
[-2, 2]^3; the error of a point is ``max|g - cos x| / max(1, max|cos x|)``, the table
gives the worst point. Every library runs with its defaults, fastopt also with the noise
step rule of docs/derivatives.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from scipy.differentiate import jacobian

import fastopt

# the noisy objective of the tests (tests/problems.py), so both measure the same function
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from problems import NOISE as DELTA  # noqa: E402
from problems import noisy_sines  # noqa: E402


def _worst(G, X):
    exact = np.cos(X)
    err = np.max(np.abs(G - exact), axis=-1) / np.maximum(1.0, np.max(np.abs(exact), axis=-1))
    return float(np.max(err))


def main() -> None:
    """Print the table."""
    X = np.random.default_rng(3).uniform(-2, 2, size=(50, 3))
    n = X.shape[1]
    rule = 0.03 * (DELTA / np.finfo(float).eps) ** (1 / 7)
    rows = []
    for label, kw in ((f"fastopt richardson, step={rule:.2f} (noise rule)", {"step": rule}),
                      ("fastopt richardson, default step", {})):
        res = fastopt.gradient(noisy_sines, X, method="richardson", full_output=True, **kw)
        rows.append((label, res.nfev // len(X), _worst(res.value, X)))

    def f(x):
        return noisy_sines(np.ascontiguousarray(x, dtype=float))

    def f_vectorised(x):
        xs = np.moveaxis(x, 0, -1)
        out = np.empty(xs.shape[:-1])
        for idx in np.ndindex(out.shape):
            out[idx] = f(xs[idx])
        return out

    try:
        import numdifftools as nd

        rows.append(("numdifftools Gradient, defaults", 30 * n + 1,
                     _worst(np.array([nd.Gradient(f)(x) for x in X]), X)))
    except ImportError:
        pass
    res = [jacobian(f_vectorised, x) for x in X]
    rows.append(("scipy.differentiate jacobian, defaults",
                 int(np.mean([np.sum(r.nfev) for r in res])),  # scipy's count, summed
                 _worst(np.array([r.df for r in res]), X)))
    print(f"| method (n = {n}) | evaluations per point | worst relative error |")
    print("|---|---:|---:|")
    for label, nfev, err in rows:
        print(f"| {label} | {nfev} | {err:.1e} |")


if __name__ == "__main__":
    main()
