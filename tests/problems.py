"""Analytic test problems: compiled objectives with exact derivatives as attributes.

Each problem carries ``f`` (numba function ``f(x, *args)``), ``args``, ``grad`` and
``hess`` (plain numpy functions of the point returning the exact derivatives), the point
shape ``ndim`` convention, and ``points`` where the derivatives are checked. Objectives
are compiled once per test session (module level), as numba compile time dominates.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numba
import numpy as np


@dataclass
class Problem:
    name: str
    f: object
    grad: object
    hess: object
    points: list
    args: tuple = ()
    ndim: int = 1
    critical: list = field(default_factory=list)  # (point, kind name)


# ---------------------------------------------------------------- least squares
@numba.njit
def least_squares(x, A, y):
    r = y - A @ x
    return r @ r


_rng = np.random.default_rng(1)
LS_A = _rng.normal(size=(7, 4))
LS_Y = _rng.normal(size=7)


def _ls_grad(x):
    return -2.0 * LS_A.T @ (LS_Y - LS_A @ x)


def _ls_hess(x):
    return 2.0 * LS_A.T @ LS_A


@numba.njit
def least_squares_residual(x, A, y):
    return y - A @ x


# ---------------------------------------------------------------- logistic neuron
@numba.njit
def logistic_neuron(W, xin, y):
    z = W @ xin
    s = 1.0 / (1.0 + np.exp(-z))
    r = y - s
    return r @ r


NEURON_X = np.array([0.5, -1.0, 2.0])
NEURON_Y = np.array([0.2, 0.9])


def _neuron_parts(W):
    s = 1.0 / (1.0 + np.exp(-(W @ NEURON_X)))
    ds = s * (1.0 - s)
    return s, ds


def _neuron_grad(W):
    s, ds = _neuron_parts(W)
    return np.outer(-2.0 * (NEURON_Y - s) * ds, NEURON_X)


def _neuron_hess(W):
    s, ds = _neuron_parts(W)
    m, d = W.shape
    c = 2.0 * (ds * ds - (NEURON_Y - s) * ds * (1.0 - 2.0 * s))
    H = np.zeros((m, d, m, d))
    for k in range(m):
        H[k, :, k, :] = c[k] * np.outer(NEURON_X, NEURON_X)
    return H


# ---------------------------------------------------------------- deep linear network
@numba.njit
def deep_linear(W1, W2, W3, X, Y):
    R = Y - W3 @ (W2 @ (W1 @ X))
    return np.sum(R * R)


_rng = np.random.default_rng(2)
DL_W2 = _rng.normal(size=(3, 3)) / 2
DL_W3 = _rng.normal(size=(2, 3)) / 2
DL_X = _rng.normal(size=(4, 5)) / 2
DL_Y = _rng.normal(size=(2, 5))


def _dl_grad(W1):
    B = DL_W3 @ DL_W2
    return -2.0 * B.T @ (DL_Y - B @ W1 @ DL_X) @ DL_X.T


def _dl_hess(W1):
    B = DL_W3 @ DL_W2
    return 2.0 * np.einsum("ik,jl->ijkl", B.T @ B, DL_X @ DL_X.T)


# ---------------------------------------------------------------- Rosenbrock
@numba.njit
def rosenbrock(x):
    s = 0.0
    for i in range(x.size - 1):
        s += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def _rosen_grad(x):
    g = np.zeros_like(x)
    g[:-1] += -400.0 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * (x[1:] - x[:-1] ** 2)
    return g


def _rosen_hess(x):
    n = x.size
    H = np.zeros((n, n))
    for i in range(n - 1):
        H[i, i] += 1200.0 * x[i] ** 2 - 400.0 * x[i + 1] + 2.0
        H[i + 1, i + 1] += 200.0
        H[i, i + 1] = H[i + 1, i] = -400.0 * x[i]
    return H


# ---------------------------------------------------------------- saddle, degenerate
@numba.njit
def saddle(x):
    return x[0] ** 2 - x[1] ** 2


@numba.njit
def cubic(x):
    return x[0] ** 3 - x[1] ** 3


_rng = np.random.default_rng(3)

PROBLEMS = [
    Problem(
        "least_squares", least_squares, _ls_grad, _ls_hess,
        points=[np.zeros(4), _rng.normal(size=4), np.linalg.lstsq(LS_A, LS_Y, rcond=None)[0]],
        args=(LS_A, LS_Y),
    ),
    Problem(
        "logistic_neuron", logistic_neuron, _neuron_grad, _neuron_hess,
        points=[np.zeros((2, 3)), _rng.normal(size=(2, 3))],
        args=(NEURON_X, NEURON_Y), ndim=2,
    ),
    Problem(
        "deep_linear", deep_linear, _dl_grad, _dl_hess,
        points=[_rng.normal(size=(3, 4)) / 2],
        args=(DL_W2, DL_W3, DL_X, DL_Y), ndim=2,
    ),
    Problem(
        "rosenbrock4", rosenbrock, _rosen_grad, _rosen_hess,
        points=[np.array([-1.2, 1.0, -1.2, 1.0]), _rng.uniform(-2, 2, size=4),
                np.array([0.5, 0.25, 0.0625, -0.3])],
    ),
    Problem(
        "saddle", saddle,
        lambda x: np.array([2 * x[0], -2 * x[1]]),
        lambda x: np.diag([2.0, -2.0]),
        points=[np.zeros(2), np.array([0.7, -1.3])],
        critical=[(np.zeros(2), "SADDLE")],
    ),
    Problem(
        "cubic", cubic,
        lambda x: np.array([3 * x[0] ** 2, -3 * x[1] ** 2]),
        lambda x: np.diag([6 * x[0], -6 * x[1]]),
        points=[np.zeros(2), np.array([1.5, -0.4])],
        critical=[(np.zeros(2), "DEGENERATE")],
    ),
]

PROBLEM_POINTS = [
    pytest_param for p in PROBLEMS for pytest_param in [(p, i) for i in range(len(p.points))]
]


def rel_error(approx, exact):
    """Largest absolute error, scaled by max(1, largest |exact| entry)."""
    approx = np.asarray(approx)
    exact = np.asarray(exact)
    return float(np.max(np.abs(approx - exact)) / max(1.0, np.max(np.abs(exact))))


#: relative noise of `noisy_sines`
NOISE = 1e-10


@numba.njit
def noisy_sines(x):
    """sum(sin x) + 2 with deterministic relative noise of size 1e-10 (a hash of x)."""
    s = 2.0
    h = 0.0
    for i in range(x.size):
        s += np.sin(x[i])
        h += x[i] * (12.9898 + 7.233 * i)
    u = np.sin(h) * 43758.5453
    u = u - np.floor(u)  # in [0, 1)
    return s * (1.0 + NOISE * (2.0 * u - 1.0))
