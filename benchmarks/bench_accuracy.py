"""Accuracy versus evaluations versus time: fastopt's methods against numdifftools and scipy.

Same smooth objective for everyone, f(x) = sum(sin(x) exp(x/3)) + x_0 x_{n-1}, n = 6, at a
fixed point. The error (max |approx - exact| / max(1, max |exact|)) and the number of
objective evaluations (counted by a wrapper in an untimed call) go into ``extra_info``;
benchmarks/report.py prints them beside the times.
"""

import importlib.util

import numba
import numpy as np
import pytest

import fastopt

N = 6
X0 = np.linspace(-1.0, 1.3, N)


@numba.njit
def smooth(x):
    s = 0.0
    for i in range(x.size):
        s += np.sin(x[i]) * np.exp(x[i] / 3.0)
    return s + x[0] * x[-1]


def smooth_vectorised(X):
    return np.sum(np.sin(X) * np.exp(X / 3.0), axis=0) + X[0] * X[-1]


def exact_grad(x):
    g = np.cos(x) * np.exp(x / 3) + np.sin(x) * np.exp(x / 3) / 3
    g[0] += x[-1]
    g[-1] += x[0]
    return g


def exact_hess(x):
    d = -np.sin(x) * np.exp(x / 3) + 2 * np.cos(x) * np.exp(x / 3) / 3 \
        + np.sin(x) * np.exp(x / 3) / 9
    H = np.diag(d)
    H[0, -1] += 1.0
    H[-1, 0] += 1.0
    return H


def _rel(a, b):
    return float(np.max(np.abs(np.asarray(a) - b)) / max(1.0, np.max(np.abs(b))))


class Counted:
    """Counts evaluations (points) of a scalar or a vectorised objective."""

    def __init__(self, f, vectorised=False):
        self.f, self.vectorised, self.n = f, vectorised, 0

    def __call__(self, x):
        self.n += int(np.prod(np.shape(x)[1:])) if self.vectorised else 1
        return self.f(x)


def _cases(kind):
    cases = {
        "fastopt central-2": lambda f: (fastopt.gradient if kind == "g" else fastopt.hessian)(
            f, X0, jit=f is smooth),
        "fastopt central-4": lambda f: (fastopt.gradient if kind == "g" else fastopt.hessian)(
            f, X0, order=4, jit=f is smooth),
        "fastopt richardson": lambda f: (fastopt.gradient if kind == "g" else fastopt.hessian)(
            f, X0, method="richardson", jit=f is smooth),
    }
    if kind == "g":
        cases["fastopt complex"] = lambda f: fastopt.gradient(f, X0, method="complex",
                                                              jit=f is smooth)
    if importlib.util.find_spec("numdifftools"):
        import numdifftools as nd

        cases["numdifftools"] = lambda f: (nd.Gradient if kind == "g" else nd.Hessian)(f)(X0)
    from scipy.differentiate import hessian, jacobian
    from scipy.optimize._numdiff import approx_derivative

    cases["scipy.differentiate"] = (
        lambda f: (jacobian(f, X0).df if kind == "g" else hessian(f, X0).ddf)
    )
    if kind == "g":
        cases["scipy.approx_derivative"] = lambda f: approx_derivative(f, X0, method="3-point")
    return cases


def _fastopt_nfev(kind, lib):
    method = {"central-2": "central", "central-4": "central"}.get(lib.split()[1], lib.split()[1])
    order = 4 if lib.endswith("central-4") else None
    func = fastopt.gradient if kind == "g" else fastopt.hessian
    return func(smooth, X0, method=method, order=order, full_output=True).nfev


GRAD_CASES = list(_cases("g"))
HESS_CASES = list(_cases("h"))


def _run(benchmark, kind, lib):
    call = _cases(kind)[lib]
    exact = exact_grad(X0) if kind == "g" else exact_hess(X0)
    vectorised = lib == "scipy.differentiate"
    plain = smooth_vectorised if vectorised else smooth
    value = call(plain)  # warm-up/compile, then check
    if lib.startswith("fastopt"):  # fastopt reports its own exact count
        nfev = _fastopt_nfev(kind, lib)
    else:
        counted = Counted(plain, vectorised)
        call(counted)
        nfev = counted.n
    benchmark.extra_info["rel_error"] = _rel(value, exact)
    benchmark.extra_info["nfev"] = nfev
    benchmark.group = f"accuracy: {'gradient' if kind == 'g' else 'hessian'}, n={N}"
    benchmark.pedantic(call, args=(plain,), rounds=5, iterations=1)


@pytest.mark.parametrize("lib", GRAD_CASES)
def test_gradient_accuracy(benchmark, lib):
    _run(benchmark, "g", lib)


@pytest.mark.parametrize("lib", HESS_CASES)
def test_hessian_accuracy(benchmark, lib):
    _run(benchmark, "h", lib)
