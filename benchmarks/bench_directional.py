"""Hessian-vector products, directional derivatives and gradient checks against peers.

Every library differentiates the same numba-compiled n-D Rosenbrock function (called
from Python by scipy and numdifftools) at one point:

* hvp: fastopt (4n evaluations), fastopt with the exact gradient (2 gradient calls),
  scipy (``approx_derivative`` along v of the ``approx_derivative`` gradient: 4n
  evaluations, the same stencil) and numdifftools (``Hessian(f)(x) @ v``: it has no
  Hessian-vector product).
* directional derivative: fastopt (2 evaluations), numdifftools ``directionaldiff``
  (along ``v / ||v||``, rescaled), scipy ``approx_derivative`` of ``t -> f(x + t v)``.
* gradient check: fastopt ``check_grad`` (order-4 gradient, 4n evaluations, plus the
  13-evaluation Taylor test), ``scipy.optimize.check_grad`` (forward differences, n + 1
  evaluations, returns only a norm), numdifftools (``Gradient`` compared to the gradient).
"""

import importlib.util

import numba
import numpy as np
import pytest

import fastopt

HAVE_NDT = importlib.util.find_spec("numdifftools") is not None


@numba.njit
def rosen(x):
    s = 0.0
    for i in range(x.size - 1):
        s += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


@numba.njit
def rosen_grad(x):
    g = np.zeros_like(x)
    for i in range(x.size - 1):
        t = x[i + 1] - x[i] ** 2
        g[i] += -400.0 * x[i] * t - 2.0 * (1.0 - x[i])
        g[i + 1] += 200.0 * t
    return g


def _exact_hess(x):
    n = x.size
    H = np.zeros((n, n))
    for i in range(n - 1):
        H[i, i] += 1200.0 * x[i] ** 2 - 400.0 * x[i + 1] + 2.0
        H[i + 1, i + 1] += 200.0
        H[i, i + 1] = H[i + 1, i] = -400.0 * x[i]
    return H


def _hvp_callable(lib, x, v):
    if lib.startswith("fastopt:grad"):
        return lambda: fastopt.hvp(rosen, x, v, grad=rosen_grad)
    if lib.startswith("fastopt"):
        return lambda: fastopt.hvp(rosen, x, v)
    if lib == "scipy":
        from scipy.optimize._numdiff import approx_derivative

        def grad(z):
            return approx_derivative(rosen, z, method="3-point")

        def along_v(t):
            return grad(x + t[0] * v)

        # outer step: fastopt's rule for second derivatives (eps^(1/4), scaled to x and v);
        # scipy's default eps^(1/3) on top of its eps^(1/3) gradient loses ~1e-5 to rounding
        h = np.finfo(float).eps ** 0.25 * max(1.0, np.max(np.abs(x))) / np.max(np.abs(v))
        return lambda: approx_derivative(along_v, np.zeros(1), method="3-point",
                                         abs_step=h)[:, 0]
    if lib == "numdifftools":
        import numdifftools as nd

        H = nd.Hessian(rosen)
        return lambda: H(x) @ v
    raise ValueError(lib)


def _dd_callable(lib, x, v):
    if lib.startswith("fastopt"):
        return lambda: fastopt.directional_derivative(rosen, x, v)
    if lib == "scipy":
        from scipy.optimize._numdiff import approx_derivative

        return lambda: approx_derivative(lambda t: rosen(x + t[0] * v), np.zeros(1),
                                         method="3-point")[0]
    if lib == "numdifftools":
        import numdifftools as nd

        norm = np.linalg.norm(v)  # directionaldiff differentiates along v / ||v||
        return lambda: nd.directionaldiff(rosen, x, v) * norm
    raise ValueError(lib)


def _check_callable(lib, x):
    if lib.startswith("fastopt"):
        return lambda: fastopt.check_grad(rosen, rosen_grad, x).ok
    if lib == "scipy":
        from scipy.optimize import check_grad

        return lambda: check_grad(rosen, rosen_grad, x) < 1e-3 * np.linalg.norm(rosen_grad(x))
    if lib == "numdifftools":
        import numdifftools as nd

        G = nd.Gradient(rosen)
        return lambda: np.allclose(G(x), rosen_grad(x), rtol=1e-6, atol=1e-8)
    raise ValueError(lib)


def _run(benchmark, threads, lib, call, check, rounds):
    """Warm up (compile), check the answer, then time."""
    if lib.endswith(":1thread"):
        threads(1)
    check(call())  # warm-up: compilation is never timed
    benchmark.pedantic(call, rounds=rounds, iterations=1, warmup_rounds=1)


PEERS = ["fastopt", "fastopt:1thread", "fastopt:grad", "scipy"] + ["numdifftools"] * HAVE_NDT
SIZES = [10, pytest.param(100, marks=pytest.mark.full_only)]


def _point(n):
    x = np.linspace(-1.2, 1.1, n)
    v = np.cos(np.arange(n, dtype=float))
    return x, v


@pytest.mark.parametrize("lib", PEERS)
@pytest.mark.parametrize("n", SIZES)
def test_hvp_one_point(benchmark, threads, lib, n):
    benchmark.group = f"hvp, one point, n={n}"
    x, v = _point(n)
    exact = _exact_hess(x) @ v

    def check(value):
        assert np.max(np.abs(value - exact)) <= 1e-5 * np.max(np.abs(exact))

    slow = lib == "numdifftools" and n >= 100
    _run(benchmark, threads, lib, _hvp_callable(lib, x, v), check, 3 if slow else 20)


@pytest.mark.parametrize("lib", [p for p in PEERS if p != "fastopt:grad"])
@pytest.mark.parametrize("n", SIZES)
def test_directional_derivative_one_point(benchmark, threads, lib, n):
    benchmark.group = f"directional derivative, one point, n={n}"
    x, v = _point(n)
    exact = rosen_grad(x) @ v

    def check(value):
        assert abs(value - exact) <= 1e-6 * max(1.0, abs(exact))

    _run(benchmark, threads, lib, _dd_callable(lib, x, v), check, 20)


@pytest.mark.parametrize("lib", [p for p in PEERS if p != "fastopt:grad"])
@pytest.mark.parametrize("n", SIZES)
def test_check_grad_one_point(benchmark, threads, lib, n):
    benchmark.group = f"check_grad, one point, n={n}"
    x, _ = _point(n)

    def check(value):
        assert value

    rounds = 5 if lib == "numdifftools" and n >= 100 else 20
    _run(benchmark, threads, lib, _check_callable(lib, x), check, rounds)
