"""fastopt.minimize and the local-method kernels (issue 6).

Objectives are module-level numba functions (compiled once per session). Most tests use
Rosenbrock and the quadratic of fastopt.benchmarking (the same functions as
tests/problems.py), so that the kernels compiled here also serve test_benchmarking.py and
benchmarks/bench_minimize.py in the same run: compilation (~1-3 s per objective, method and
build) dominates the run time.
"""

import math

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastopt
from fastopt import NonFiniteWarning, Status, kernels
from fastopt.benchmarking import quadratic as quad
from fastopt.benchmarking import rosenbrock

ROSEN_START = np.array([-1.2, 1.0])
BOX = [(-1.5, 0.5), (-0.5, 2.0)]  # constrained minimum of Rosenbrock: (0.5, 0.25)
METHODS = ["gd", "newton", "bfgs"]


@numba.njit
def rosen_grad(x):
    g = np.zeros_like(x)
    for i in range(x.size - 1):
        g[i] += -400.0 * x[i] * (x[i + 1] - x[i] ** 2) - 2.0 * (1.0 - x[i])
        g[i + 1] += 200.0 * (x[i + 1] - x[i] ** 2)
    return g


@numba.njit
def rosen_hess(x):
    n = x.size
    H = np.zeros((n, n))
    for i in range(n - 1):
        H[i, i] += 1200.0 * x[i] ** 2 - 400.0 * x[i + 1] + 2.0
        H[i + 1, i + 1] += 200.0
        H[i, i + 1] = -400.0 * x[i]
        H[i + 1, i] = -400.0 * x[i]
    return H


@numba.njit
def quad_grad(x, A, c):
    return A @ (x - c)


@numba.njit
def quad_hess(x, A, c):
    return A.copy()


@numba.njit
def holey(x):
    """A bowl with minimum (1, -0.5), NaN for x_0 > 1.5."""
    if x[0] > 1.5:
        return np.nan
    return (x[0] - 1.0) ** 2 + 2.0 * (x[1] + 0.5) ** 2


@numba.njit
def down(x):
    """Unbounded below as x_0 -> -inf."""
    return x[0] ** 3 + x[1] ** 2


@numba.njit
def noisy(x):
    """A bowl plus 1e-9 of noise below the finite-difference step: gtol=1e-8 unreachable."""
    return (x[0] - 1.0) ** 2 + 2.0 * (x[1] + 0.5) ** 2 + 1e-9 * math.sin(1e15 * x[0]) + 10.0


def quadratic(n, cond, seed=0):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    A = (Q * np.logspace(0, np.log10(cond), n)) @ Q.T
    return np.ascontiguousarray(0.5 * (A + A.T)), rng.uniform(-2, 2, n)


A10, C10 = quadratic(3, 10.0)
A1E6, C1E6 = quadratic(3, 1e6)


def rosen_starts(N, seed=0):
    return np.random.default_rng(seed).uniform(-2, 2, size=(N, 2))


# -------------------------------------------------------------- the acceptance tests


def test_newton_solves_convex_quadratic_in_one_step():
    x0 = np.array([3.0, -4.0, 1.0])
    res = fastopt.minimize(quad, x0, args=(A1E6, C1E6), method="newton", grad=quad_grad,
                           hess=quad_hess)
    assert res.success and res.nit == 1
    assert res.nhev == 1 and res.ngev == 2 and res.nfev == 2  # f(x0), one trial
    np.testing.assert_allclose(res.x, C1E6, rtol=0, atol=1e-9)


def test_newton_fd_hessian_first_step_lands_on_quadratic_minimum():
    x0 = np.array([3.0, -4.0, 1.0])
    res = fastopt.minimize(quad, x0, args=(A10, C10), method="newton", return_path=True)
    assert res.success and res.nit <= 2
    # the FD Hessian's rounding error, ~eps |f| / h^2 ~ 1e-8 |f| relative, limits step 1
    assert np.linalg.norm(res.path[1] - C10) <= 1e-5 * np.linalg.norm(x0 - C10)
    np.testing.assert_allclose(res.x, C10, atol=1e-9)
    n = 3  # f(x0) and gradient, then per iteration: Hessian, >= 1 trial, gradient
    assert res.nfev >= 1 + 2 * n + res.nit * (n * n + n + 1 + 1 + 2 * n)


@pytest.mark.parametrize("method", ["bfgs", "newton"])
def test_rosenbrock_from_standard_start(method):
    res = fastopt.minimize(rosenbrock, ROSEN_START, method=method)
    assert res.success, res.message
    assert res.fun < 1e-8
    # the zero of the central FD gradient is ~1.5e-8 from (1, 1): h^2 f''' / 6 (see docs)
    np.testing.assert_allclose(res.x, 1.0, rtol=0, atol=3e-8)
    assert res.ngev == 0 and res.nhev == 0


@pytest.mark.parametrize("method", ["bfgs", "newton"])
def test_rosenbrock_with_exact_derivatives_to_1e8(method):
    hess = rosen_hess if method == "newton" else None
    res = fastopt.minimize(rosenbrock, ROSEN_START, method=method, grad=rosen_grad, hess=hess)
    assert res.success, res.message
    assert res.fun < 1e-16
    np.testing.assert_allclose(res.x, 1.0, rtol=0, atol=1e-8)
    assert res.ngev >= res.nit + 1  # at least one per iterate
    if method == "newton":
        assert res.nhev == res.nit and res.nfev >= res.nit + 1


def test_gd_converges_on_well_conditioned_quadratic():
    res = fastopt.minimize(quad, np.zeros(3), args=(A10, C10), method="gd")
    assert res.status == Status.SUCCESS and res.success
    np.testing.assert_allclose(res.x, C10, atol=1e-7)


def test_gd_reports_maxiter_on_badly_conditioned_quadratic():
    res = fastopt.minimize(quad, np.zeros(3), args=(A1E6, C1E6), method="gd", maxiter=500)
    assert res.status == Status.MAXITER and not res.success
    assert res.nit == 500
    assert "iteration limit maxiter = 500" in res.message
    assert np.abs(res.grad).max() > 1e-8
    gnorm = float(res.message.split("norm ")[1].split(" >")[0])
    assert gnorm == pytest.approx(np.abs(res.grad).max(), rel=1e-2)


@pytest.mark.parametrize("method", METHODS)
def test_bounds_respected(method):
    res = fastopt.minimize(rosenbrock, [-1.0, 1.5], method=method, bounds=BOX,
                           return_path=True)
    lo, hi = np.array(BOX).T
    assert res.success, res.message
    assert np.all((res.path >= lo) & (res.path <= hi))
    np.testing.assert_allclose(res.x, [0.5, 0.25], atol=1e-8)
    assert res.x[0] == 0.5  # on the bound exactly
    assert res.grad[0] < 0  # pointing out of the box: a KKT point
    # the gradient is the one-sided FD gradient of fastopt.gradient with the same bounds
    np.testing.assert_array_equal(res.grad, fastopt.gradient(rosenbrock, res.x, bounds=BOX))


@pytest.mark.parametrize("method", METHODS)
def test_nfev_exact_and_evaluations_inside_box(method):
    """Count the calls of a pure-Python objective (jit=False): nfev is exact."""
    calls = []

    def f(x):
        calls.append(x.copy())
        return rosenbrock.py_func(x)

    starts = np.array([[-1.0, 1.5], [0.3, -0.4], [0.5, 2.0]])  # the last one on corners
    res = fastopt.minimize(f, starts, method=method, bounds=BOX, jit=False, maxiter=60)
    assert int(res.nfev.sum()) == len(calls)
    pts = np.array(calls)
    lo, hi = np.array(BOX).T
    assert np.all((pts >= lo) & (pts <= hi))
    if method != "gd":
        assert res.success.all()


def test_user_derivative_calls_are_counted():
    ngrad = [0]
    nhess = [0]
    nf = [0]

    def f(x):
        nf[0] += 1
        return rosenbrock.py_func(x)

    def g(x):
        ngrad[0] += 1
        return rosen_grad.py_func(x)

    def h(x):
        nhess[0] += 1
        return rosen_hess.py_func(x)

    res = fastopt.minimize(f, ROSEN_START, method="newton", grad=g, hess=h, jit=False)
    assert res.success
    assert (res.nfev, res.ngev, res.nhev) == (nf[0], ngrad[0], nhess[0])
    assert res.nhev == res.nit


@pytest.mark.parametrize("method", METHODS)
def test_batched_equals_looped(method):
    starts = rosen_starts(64)  # enough work for the parallel build
    res = fastopt.minimize(rosenbrock, starts, method=method, maxiter=300)
    assert res.x.shape == (64, 2) and res.nfev.shape == (64,)
    for i in range(0, 64, 9):
        one = fastopt.minimize(rosenbrock, starts[i], method=method, maxiter=300)
        np.testing.assert_array_equal(res.x[i], one.x)
        assert (res.fun[i], res.nit[i], res.nfev[i], res.status[i]) == (
            one.fun, one.nit, one.nfev, one.status)
        np.testing.assert_array_equal(res.grad[i], one.grad)


def test_results_independent_of_thread_count(one_thread):
    starts = rosen_starts(64, seed=1)
    with_one = fastopt.minimize(rosenbrock, starts)
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    with_all = fastopt.minimize(rosenbrock, starts)
    np.testing.assert_array_equal(with_one.x, with_all.x)
    np.testing.assert_array_equal(with_one.nfev, with_all.nfev)


def test_batch_shape_and_messages():
    starts = rosen_starts(6).reshape(2, 3, 2)
    res = fastopt.minimize(rosenbrock, starts, return_path=True, maxiter=100)
    assert res.x.shape == (2, 3, 2) and res.fun.shape == (2, 3)
    assert res.status.dtype == np.int8 and res.success.dtype == bool
    assert res.path.shape == (2, 3, 101, 2)
    np.testing.assert_array_equal(res.path[..., 0, :], starts)
    for idx in np.ndindex(2, 3):
        k = res.nit[idx]
        np.testing.assert_array_equal(res.path[idx][k], res.x[idx])
        assert np.isnan(res.path[idx][k + 1 :]).all()
        assert res.message[idx].startswith("converged")


def test_single_start_path():
    res = fastopt.minimize(rosenbrock, ROSEN_START, return_path=True)
    assert res.path.shape == (res.nit + 1, 2)
    np.testing.assert_array_equal(res.path[0], ROSEN_START)
    np.testing.assert_array_equal(res.path[-1], res.x)
    assert np.all(np.diff([rosenbrock(p) for p in res.path]) <= 1e-12)
    assert fastopt.minimize(rosenbrock, ROSEN_START).path is None


def test_jit_false_same_answers():
    res = fastopt.minimize(rosenbrock, ROSEN_START)
    slow = fastopt.minimize(rosenbrock.py_func, ROSEN_START, jit=False)
    assert (slow.nit, slow.nfev - 1, slow.status) == (res.nit, res.nfev, res.status)
    np.testing.assert_allclose(slow.x, res.x, rtol=0, atol=1e-14)


def test_newton_indefinite_hessian_still_descends():
    x0 = np.array([0.0, 1.0])  # Rosenbrock's Hessian there has eigenvalues -398, 200
    assert np.linalg.eigvalsh(rosen_hess(x0)).min() < 0
    res = fastopt.minimize(rosenbrock, x0, method="newton", return_path=True)
    assert res.success
    values = [rosenbrock(p) for p in res.path]
    assert values[1] < values[0]
    assert np.all(np.diff(values) <= 1e-12)
    np.testing.assert_allclose(res.x, 1.0, atol=3e-8)


# ------------------------------------------------------------ numerical trouble


def test_nan_start_ends_that_start_only():
    starts = np.array([[0.0, 0.0], [2.0, 0.0], [1.4, 1.0], [-3.0, 2.0]])
    with pytest.warns(NonFiniteWarning, match="1 of 4 starts"):
        res = fastopt.minimize(holey, starts)
    assert res.status[1] == Status.NONFINITE and res.nit[1] == 0 and np.isnan(res.fun[1])
    ok = [0, 2, 3]
    assert res.success[ok].all()
    np.testing.assert_allclose(res.x[ok], [[1.0, -0.5]] * 3, atol=1e-7)
    assert "NaN/inf" in res.message[1]


def test_divergence_is_a_status():
    with pytest.warns(NonFiniteWarning):
        res = fastopt.minimize(down, [0.5, 0.3], method="gd")
    assert res.status == Status.DIVERGED and not res.success
    assert res.fun == -np.inf or not np.isfinite(res.x).all()
    assert "unbounded below" in res.message


def test_noise_floor_is_reported_not_success():
    res = fastopt.minimize(noisy, [0.5, 0.3], method="gd")
    assert res.status in (Status.STALLED, Status.MAXITER) and not res.success
    np.testing.assert_allclose(res.x, [1.0, -0.5], atol=1e-3)
    if res.status == Status.STALLED:
        assert "precision loss" in res.message and "raise gtol" in res.message
    res = fastopt.minimize(noisy, [0.5, 0.3], method="gd", gtol=1e-3)
    assert res.success


# --------------------------------------------------------------- kernels from njit


@numba.njit(parallel=True)
def user_multistart(starts, lo, hi):
    N, n = starts.shape
    x = np.empty((N, n))
    fun = np.empty(N)
    status = np.empty(N, np.int64)
    nfev = np.empty(N, np.int64)
    for p in numba.prange(N):
        g = np.empty(n)
        r = kernels.bfgs_point(rosenbrock, None, starts[p], lo, hi, 1e-8, 400, (), x[p], g,
                               np.empty((0, n)))
        status[p] = r[0]
        fun[p] = r[1]
        nfev[p] = r[3]
    return x, fun, status, nfev


@numba.njit
def user_simulation(x0, steps):
    """A user's simulation that minimises inside each step (gradient descent kernel)."""
    n = x0.size
    lo = np.full(n, -np.inf)
    hi = np.full(n, np.inf)
    x = x0.copy()
    out = np.empty(n)
    g = np.empty(n)
    total = 0
    for _ in range(steps):
        r = kernels.gd_point(rosenbrock, None, x, lo, hi, 1e-6, 20, (), out, g,
                             np.empty((0, n)))
        total += r[3]
        x[:] = out
    xt = np.empty(n)
    a, ft, ne = kernels.line_search(rosenbrock, x, rosenbrock(x), g, -g, lo, hi, 1.0, 0.0,
                                    (), xt)
    return x, total, ne, kernels.projected_gradient_norm(x, g, lo, hi)


def test_kernels_from_user_prange_and_njit():
    starts = rosen_starts(16, seed=3)
    lo, hi = np.full(2, -2.0), np.full(2, 2.0)
    x, fun, status, nfev = user_multistart(starts, lo, hi)
    res = fastopt.minimize(rosenbrock, starts, bounds=np.column_stack([lo, hi]), maxiter=400)
    np.testing.assert_array_equal(x, res.x)
    np.testing.assert_array_equal(nfev, res.nfev)
    np.testing.assert_array_equal(status, res.status)
    # the parallel batch kernel called directly (its own prange), same answers
    N, n = starts.shape
    xb, gb, fb = np.empty((N, n)), np.empty((N, n)), np.empty(N)
    sb, cb = np.empty(N, np.int64), np.empty((N, 4), np.int64)
    kernels.bfgs_batch(rosenbrock, None, starts, lo, hi, 1e-8, 400, (), xb, fb, gb, sb, cb,
                       np.empty((N, 0, n)))
    np.testing.assert_array_equal(xb, res.x)
    np.testing.assert_array_equal(cb[:, 1], res.nfev)
    x, nfev, ne, pg = user_simulation(ROSEN_START, 3)
    assert nfev > 0 and ne >= 1 and rosenbrock(x) < rosenbrock(ROSEN_START) and pg > 0


@settings(max_examples=25, deadline=None)
@given(
    lo=st.tuples(st.floats(-2, 0.9), st.floats(-2, 0.9)),
    width=st.tuples(st.floats(0.01, 3), st.floats(0.01, 3)),
    frac=st.tuples(st.floats(0, 1), st.floats(0, 1)),
)
def test_property_iterates_stay_in_random_boxes(lo, width, frac):
    lo = np.array(lo)
    hi = lo + np.array(width)
    x0 = lo + np.array(frac) * (hi - lo)
    res = fastopt.minimize(rosenbrock, x0, bounds=np.column_stack([lo, hi]), return_path=True)
    assert np.all((res.path >= lo) & (res.path <= hi))
    assert res.status in (Status.SUCCESS, Status.STALLED)
    pg = kernels.projected_gradient_norm(res.x, res.grad, lo, hi)
    if res.success:
        assert pg <= 1e-8


# --------------------------------------------------------------- grid_search(finish)


def test_grid_search_finish_polishes_best_point():
    bounds = [(-2.0, 2.0), (-2.0, 2.0)]
    plain = fastopt.grid_search(rosenbrock, bounds, num=40)  # (1, 1) is not a grid point
    res = fastopt.grid_search(rosenbrock, bounds, num=40, finish="bfgs")
    assert plain.polished is None
    assert (res.x == plain.x).all() and res.fun == plain.fun and res.nfev == 40 * 40
    assert res.polished.success and res.polished.nfev > 0
    np.testing.assert_allclose(res.polished.x, 1.0, atol=3e-8)
    assert res.polished.fun <= res.fun
    assert "polished the best grid point with bfgs" in res.message
    multi = fastopt.grid_search(rosenbrock, bounds, num=40, finish="newton", k=3)
    assert multi.polished.x.shape == (3, 2) and multi.polished.success.all()
    assert "3 converged" in multi.message


def test_grid_search_finish_stays_in_bounds():
    bounds = [(-1.5, 0.5), (-0.5, 2.0)]
    res = fastopt.grid_search(rosenbrock, bounds, num=20, finish="gd")
    np.testing.assert_allclose(res.polished.x, [0.5, 0.25], atol=1e-7)
    assert res.polished.x[0] <= 0.5
