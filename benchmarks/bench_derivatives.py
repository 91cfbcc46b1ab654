"""Gradients and Hessians: fastopt against numdifftools, scipy and jax (where installed).

Every library differentiates the same n-D Rosenbrock function: the numba-compiled scalar
version for fastopt, numdifftools and scipy.optimize's approx_derivative, a numpy version
vectorised over trailing axes for scipy.differentiate (its required calling convention,
and its fastest), and a jax.numpy version for jax (automatic differentiation, exact).
"fastopt:limit" is the floor for finite differences: nfev calls of the objective per
point in a tight parallel njit loop, nothing else. "jax" takes and returns numpy arrays,
as fastopt does; "jax:device" (batches only) keeps input and output as jax arrays, which
excludes the conversions.
"""

import importlib.util

import numba
import numpy as np
import pytest
from numba import prange

import fastopt

HAVE_JAX = importlib.util.find_spec("jax") is not None
HAVE_NDT = importlib.util.find_spec("numdifftools") is not None


@numba.njit
def rosen(x):
    s = 0.0
    for i in range(x.size - 1):
        s += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def rosen_vectorised(X):
    return np.sum(100.0 * (X[1:] - X[:-1] ** 2) ** 2 + (1.0 - X[:-1]) ** 2, axis=0)


@numba.njit(parallel=True)
def limit_kernel(X, nevals, out):
    """nevals objective calls per point, perturbing one coordinate at a time."""
    N, n = X.shape
    for p in prange(N):
        w = X[p].copy()
        s = 0.0
        for k in range(nevals):
            i = k % n
            xi = w[i]
            w[i] = xi + 1e-6
            s += rosen(w)
            w[i] = xi
        out[p] = s


def _jax():
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    def f(x):
        return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

    return jax, f


def _gradient_callable(lib, x):
    if lib.startswith("fastopt"):
        return lambda: fastopt.gradient(rosen, x)
    if lib == "scipy.approx_derivative":
        from scipy.optimize._numdiff import approx_derivative

        return lambda: approx_derivative(rosen, x, method="3-point")
    if lib == "scipy.differentiate":
        from scipy.differentiate import jacobian

        return lambda: jacobian(rosen_vectorised, x).df
    if lib == "numdifftools":
        import numdifftools as nd

        g = nd.Gradient(rosen)
        return lambda: g(x)
    if lib == "jax":
        jax, f = _jax()
        g = jax.jit(jax.grad(f))
        return lambda: np.asarray(g(x))
    raise ValueError(lib)


def _hessian_callable(lib, x):
    if lib.startswith("fastopt"):
        return lambda: fastopt.hessian(rosen, x)
    if lib == "scipy.approx_derivative":  # Jacobian of the finite-difference gradient
        from scipy.optimize._numdiff import approx_derivative

        def grad(z):
            return approx_derivative(rosen, z, method="3-point")

        return lambda: approx_derivative(grad, x, method="3-point")
    if lib == "scipy.differentiate":
        from scipy.differentiate import hessian

        return lambda: hessian(rosen_vectorised, x).ddf
    if lib == "numdifftools":
        import numdifftools as nd

        h = nd.Hessian(rosen)
        return lambda: h(x)
    if lib == "jax":
        jax, f = _jax()
        h = jax.jit(jax.hessian(f))
        return lambda: np.asarray(h(x))
    raise ValueError(lib)


PEERS = ["fastopt", "fastopt:1thread", "scipy.approx_derivative", "scipy.differentiate"]
PEERS += ["numdifftools"] * HAVE_NDT + ["jax"] * HAVE_JAX


def _run(benchmark, threads, lib, call, exact, rtol, rounds):
    """Warm up (compile), check the answer, then time."""
    if lib.endswith(":1thread"):
        threads(1)
    value = call()  # warm-up: compilation is never timed
    scale = max(1.0, float(np.max(np.abs(exact))))
    assert np.max(np.abs(np.asarray(value) - exact)) / scale <= rtol
    benchmark.pedantic(call, rounds=rounds, iterations=1, warmup_rounds=1)


def _exact_grad(x):
    g = np.zeros_like(x)
    g[:-1] += -400.0 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * (x[1:] - x[:-1] ** 2)
    return g


def _exact_hess(x):
    n = x.size
    H = np.zeros((n, n))
    for i in range(n - 1):
        H[i, i] += 1200.0 * x[i] ** 2 - 400.0 * x[i + 1] + 2.0
        H[i + 1, i + 1] += 200.0
        H[i, i + 1] = H[i + 1, i] = -400.0 * x[i]
    return H


@pytest.mark.parametrize("lib", PEERS)
@pytest.mark.parametrize("n", [2, 10, 50, 200])
def test_gradient_one_point(benchmark, threads, full, lib, n):
    if not full and n > 10:
        n = 10
    benchmark.group = f"gradient, one point, n={n}"
    x = np.linspace(-1.2, 1.1, n)
    rounds = 3 if lib == "numdifftools" else 20
    _run(benchmark, threads, lib, _gradient_callable(lib, x), _exact_grad(x), 1e-6, rounds)


@pytest.mark.parametrize("lib", PEERS)
@pytest.mark.parametrize("n", [2, 10, 50])
def test_hessian_one_point(benchmark, threads, full, lib, n):
    if not full and n > 10:
        n = 10
    benchmark.group = f"hessian, one point, n={n}"
    x = np.linspace(-1.2, 1.1, n)
    slow = lib in ("numdifftools", "scipy.differentiate", "scipy.approx_derivative")
    rounds = 3 if slow and n >= 50 else 10
    _run(benchmark, threads, lib, _hessian_callable(lib, x), _exact_hess(x), 1e-4, rounds)


BATCH_PEERS = ["fastopt", "fastopt:1thread", "fastopt:limit", "scipy.differentiate"]
BATCH_PEERS += ["jax", "jax:device"] * HAVE_JAX


def _batch_gradient_callable(lib, X):
    if lib.startswith("fastopt:limit"):
        out = np.empty(X.shape[0])
        return lambda: (limit_kernel(X, 2 * X.shape[1], out), None)[1]
    if lib.startswith("fastopt"):
        return lambda: fastopt.gradient(rosen, X)
    if lib == "scipy.differentiate":
        from scipy.differentiate import jacobian

        return lambda: jacobian(rosen_vectorised, X.T).df.T
    if lib.startswith("jax"):
        jax, f = _jax()
        g = jax.jit(jax.vmap(jax.grad(f)))
        if lib == "jax:device":  # input and output stay jax arrays: no numpy conversion
            Xj = jax.device_put(X)
            return lambda: g(Xj).block_until_ready()
        return lambda: np.asarray(g(X))
    raise ValueError(lib)


def _batch_hessian_callable(lib, X):
    if lib.startswith("fastopt:limit"):
        out = np.empty(X.shape[0])
        n = X.shape[1]
        return lambda: (limit_kernel(X, n * n + n + 1, out), None)[1]
    if lib.startswith("fastopt"):
        return lambda: fastopt.hessian(rosen, X)
    if lib == "scipy.differentiate":
        from scipy.differentiate import hessian

        return lambda: np.moveaxis(hessian(rosen_vectorised, X.T).ddf, -1, 0)
    if lib.startswith("jax"):
        jax, f = _jax()
        h = jax.jit(jax.vmap(jax.hessian(f)))
        if lib == "jax:device":
            Xj = jax.device_put(X)
            return lambda: h(Xj).block_until_ready()
        return lambda: np.asarray(h(X))
    raise ValueError(lib)


# scipy.differentiate would need tens of GB at 10^6 points: it is compared at 10^4 only.
BATCH_CASES = [(lib, npts) for npts in (10**4, 10**6) for lib in BATCH_PEERS
               if not (lib == "scipy.differentiate" and npts > 10**4)]


def _batch_check_and_time(benchmark, threads, lib, call, exact, step, rtol, rounds):
    if lib.endswith(":1thread"):
        threads(1)
    value = call()  # warm-up (compilation) and correctness on a sample of the points
    if value is not None:
        value = np.asarray(value)[::step]
        flat = (len(exact), -1)
        scale = np.maximum(1.0, np.max(np.abs(exact.reshape(flat)), axis=1))
        err = np.max(np.abs(value - exact).reshape(flat), axis=1) / scale
        assert np.max(err) <= rtol
    benchmark.pedantic(call, rounds=rounds, iterations=1)


@pytest.mark.parametrize(("lib", "npoints"), BATCH_CASES)
def test_gradient_batch(benchmark, threads, full, lib, npoints):
    if not full:
        npoints = 200
    benchmark.group = f"gradient, batch of {npoints} points, n=4"
    X = np.random.default_rng(0).uniform(-2, 2, size=(npoints, 4))
    step = max(1, npoints // 1000)
    exact = np.array([_exact_grad(x) for x in X[::step]])
    call = _batch_gradient_callable(lib, X)
    rounds = 5 if npoints <= 10**4 else 3
    _batch_check_and_time(benchmark, threads, lib, call, exact, step, 1e-6, rounds)


@pytest.mark.parametrize(("lib", "npoints"), BATCH_CASES)
def test_hessian_batch(benchmark, threads, full, lib, npoints):
    if not full:
        npoints = 100
    benchmark.group = f"hessian, batch of {npoints} points, n=4"
    X = np.random.default_rng(0).uniform(-2, 2, size=(npoints, 4))
    step = max(1, npoints // 1000)
    exact = np.array([_exact_hess(x) for x in X[::step]])
    call = _batch_hessian_callable(lib, X)
    rounds = 1 if lib == "scipy.differentiate" and full else 3
    _batch_check_and_time(benchmark, threads, lib, call, exact, step, 1e-4, rounds)
