"""Gradient, Jacobian and Hessian against analytic derivatives and scipy."""

import numba
import numpy as np
import pytest
from numba import prange
from problems import (
    LS_A,
    LS_Y,
    PROBLEM_POINTS,
    PROBLEMS,
    least_squares,
    least_squares_residual,
    rel_error,
    rosenbrock,
)
from scipy.optimize._numdiff import approx_derivative

import fastopt
from fastopt import kernels

IDS = [f"{p.name}-{i}" for p, i in PROBLEM_POINTS]


@pytest.mark.parametrize(("problem", "i"), PROBLEM_POINTS, ids=IDS)
@pytest.mark.parametrize(("method", "order", "tol"), [
    ("central", 2, 1e-8), ("central", 4, 1e-10), ("central", 6, 1e-10),
    ("forward", 2, 1e-6), ("backward", 2, 1e-6), ("forward", 1, 1e-5),
])
def test_gradient_matches_analytic(problem, i, method, order, tol):
    x = problem.points[i]
    g = fastopt.gradient(problem.f, x, args=problem.args, ndim=problem.ndim,
                         method=method, order=order)
    assert g.shape == x.shape
    assert rel_error(g, problem.grad(x)) <= tol


@pytest.mark.parametrize(("problem", "i"), PROBLEM_POINTS, ids=IDS)
@pytest.mark.parametrize(("order", "tol"), [(2, 1e-5), (4, 1e-7)])
def test_hessian_matches_analytic_and_is_symmetric(problem, i, order, tol):
    x = problem.points[i]
    H = fastopt.hessian(problem.f, x, args=problem.args, ndim=problem.ndim, order=order)
    assert H.shape == x.shape + x.shape
    n = x.size
    Hm = H.reshape(n, n)
    assert np.array_equal(Hm, Hm.T)
    assert rel_error(H, problem.hess(x)) <= tol


def test_hessian_order2_uses_n2_plus_n_plus_1_evaluations():
    for n in (1, 2, 5):
        res = fastopt.hessian(rosenbrock, np.full(n, 0.3), full_output=True)
        assert res.nfev == n * n + n + 1
    res = fastopt.hessian(rosenbrock, np.full(3, 0.3), order=4, full_output=True)
    assert res.nfev == 4 * 9 + 1


def _counting(f):
    calls = [0]

    def counted(x, *args):
        calls[0] += 1
        return f(x, *args)

    return counted, calls


@pytest.mark.parametrize(("func", "kw"), [
    (fastopt.gradient, {"method": "central", "order": 2}),
    (fastopt.gradient, {"method": "forward", "order": 1}),
    (fastopt.gradient, {"method": "backward", "order": 2}),
    (fastopt.gradient, {"method": "central", "order": 6}),
    (fastopt.hessian, {"order": 2}),
    (fastopt.hessian, {"order": 4}),
])
def test_nfev_counts_every_call(func, kw):
    counted, calls = _counting(lambda x: float(np.sum(np.sin(x) * x)))
    res = func(counted, np.ones((3, 4)), jit=False, full_output=True, **kw)
    assert res.nfev == calls[0]


def test_jacobian_nfev_counts_every_call():
    counted, calls = _counting(lambda x: np.array([x[0] * x[1], x[1]]))
    res = fastopt.jacobian(counted, np.ones((2, 2)), jit=False, full_output=True)
    assert res.nfev == calls[0]


def test_jacobian_of_least_squares_residual_is_minus_A():
    x = np.array([0.3, -1.0, 2.0, 0.5])
    J = fastopt.jacobian(least_squares_residual, x, args=(LS_A, LS_Y))
    assert J.shape == (7, 4)
    assert rel_error(J, -LS_A) <= 1e-9


def test_jacobian_batch_shape_and_matrix_points():
    @numba.njit
    def F(W):
        return np.array([W[0, 0] * W[1, 1], np.sin(W[0, 1]), W.sum()])

    W = np.arange(8.0).reshape(2, 2, 2) / 10
    J = fastopt.jacobian(F, W, ndim=2)
    assert J.shape == (2, 3, 2, 2)
    expected = np.zeros((2, 3, 2, 2))
    for b in range(2):
        expected[b, 0, 0, 0] = W[b, 1, 1]
        expected[b, 0, 1, 1] = W[b, 0, 0]
        expected[b, 1, 0, 1] = np.cos(W[b, 0, 1])
        expected[b, 2] = 1.0
    assert rel_error(J, expected) <= 1e-9


@pytest.mark.parametrize("method", ["central", "forward"])
def test_jacobian_rows_equal_gradients(method):
    @numba.njit
    def F(x):
        return np.array([rosenbrock(x), least_squares(x, LS_A, LS_Y)])

    x = np.array([0.1, 0.2, -0.3, 0.4])
    J = fastopt.jacobian(F, x, method=method)
    g0 = fastopt.gradient(rosenbrock, x, method=method)
    g1 = fastopt.gradient(least_squares, x, args=(LS_A, LS_Y), method=method)
    np.testing.assert_allclose(J, np.stack([g0, g1]), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("problem", PROBLEMS, ids=[p.name for p in PROBLEMS])
def test_gradient_agrees_with_scipy_approx_derivative(problem):
    x = problem.points[-1]

    def flat(z):
        return problem.f(z.reshape(x.shape), *problem.args)

    ref = approx_derivative(flat, x.ravel(), method="3-point")
    ours = fastopt.gradient(problem.f, x, args=problem.args, ndim=problem.ndim)
    assert rel_error(ours.ravel(), ref) <= 1e-7


def test_batch_equals_loop_and_keeps_batch_axes():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(3, 5, 4))
    G = fastopt.gradient(rosenbrock, X)
    H = fastopt.hessian(rosenbrock, X)
    assert G.shape == (3, 5, 4) and H.shape == (3, 5, 4, 4)
    for idx in np.ndindex(3, 5):
        assert np.array_equal(G[idx], fastopt.gradient(rosenbrock, X[idx]))
        assert np.array_equal(H[idx], fastopt.hessian(rosenbrock, X[idx]))


def test_large_batch_parallel_path_equals_serial_point_kernel():
    rng = np.random.default_rng(1)
    X = rng.uniform(-2, 2, size=(5000, 4))
    G = fastopt.gradient(rosenbrock, X)
    H = fastopt.hessian(rosenbrock, X)
    out = np.empty(4)
    outh = np.empty((4, 4))
    rg = np.full(4, kernels.default_relative_step(1, 2))
    rh = np.full(4, kernels.default_relative_step(2, 2))
    for p in (0, 1234, 4999):
        kernels.gradient_point(rosenbrock, X[p], rg, kernels.stencil("central", 2), (), out)
        kernels.hessian_point(rosenbrock, X[p], rh, 2, (), outh)
        assert np.array_equal(G[p], out)
        assert np.array_equal(H[p], outh)


def test_results_identical_with_one_and_two_threads():
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs numba with at least 2 threads to compare")
    rng = np.random.default_rng(2)
    X = rng.uniform(-2, 2, size=(3000, 4))
    x1 = rng.uniform(-2, 2, size=300)  # one point, parallel over coordinates
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = (fastopt.gradient(rosenbrock, X), fastopt.hessian(rosenbrock, X),
               fastopt.gradient(rosenbrock, x1, method="forward"))
        numba.set_num_threads(2)
        two = (fastopt.gradient(rosenbrock, X), fastopt.hessian(rosenbrock, X),
               fastopt.gradient(rosenbrock, x1, method="forward"))
    finally:
        numba.set_num_threads(before)
    for a, b in zip(one, two, strict=True):
        assert np.array_equal(a, b)


def test_one_point_many_coordinates_runs_the_parallel_kernel_correctly():
    x = np.linspace(-1.5, 1.5, 400)
    g = fastopt.gradient(rosenbrock, x)
    assert rel_error(g, PROBLEMS[3].grad(x)) <= 1e-8
    x = np.linspace(-1.5, 1.5, 30)
    H = fastopt.hessian(rosenbrock, x)
    assert rel_error(H, PROBLEMS[3].hess(x)) <= 1e-5


@pytest.mark.parametrize("func", [fastopt.gradient, fastopt.hessian])
def test_jit_false_gives_the_same_answers(func):
    def f(x, A, y):
        r = y - A @ x
        return r @ r

    X = np.random.default_rng(4).normal(size=(3, 4))
    slow = func(f, X, args=(LS_A, LS_Y), jit=False)
    fast = func(least_squares, X, args=(LS_A, LS_Y))
    np.testing.assert_allclose(slow, fast, rtol=1e-13, atol=1e-13)


def test_plain_python_function_is_compiled_for_the_user():
    def f(x):
        return np.sum(np.cos(x)) + x[0] * x[1]

    x = np.array([0.3, -0.7])
    g = fastopt.gradient(f, x)
    np.testing.assert_allclose(g, -np.sin(x) + np.array([x[1], x[0]]), atol=1e-9)


def test_step_is_relative_and_reported():
    x = np.array([0.5, 40.0])
    res = fastopt.gradient(rosenbrock, x, step=1e-4, full_output=True)
    expected = 1e-4 * np.maximum(1.0, np.abs(x))
    np.testing.assert_allclose(res.step, expected, rtol=1e-10)
    assert np.all((x + res.step) - x == res.step)
    res = fastopt.gradient(rosenbrock, x, step=[1e-4, 1e-6], full_output=True)
    np.testing.assert_allclose(res.step, [1e-4, 40e-6], rtol=1e-8)
    default = fastopt.gradient(rosenbrock, x, full_output=True)
    np.testing.assert_allclose(default.step, np.finfo(float).eps ** (1 / 3) * np.array([1, 40]),
                               rtol=1e-8)


def test_full_output_fields():
    res = fastopt.hessian(rosenbrock, np.ones((2, 3)), full_output=True)
    assert res.value.shape == (2, 3, 3)
    assert np.isnan(res.error).all() and res.error.shape == res.value.shape
    assert res.status.shape == (2,) and res.success
    assert res.step.shape == (2, 3)
    with pytest.raises(AttributeError):
        res.nfev = 3  # frozen


@numba.njit
def nan_outside_unit_disk(x):
    if x[0] ** 2 + x[1] ** 2 > 1.0:
        return np.nan
    return x[0] ** 2 + 2.0 * x[1]


def test_nonfinite_points_are_marked_and_the_rest_are_right():
    X = np.array([[0.1, 0.2], [3.0, 0.0], [-0.3, 0.4], [0.0, 5.0]])
    with pytest.warns(fastopt.NonFiniteWarning, match="at 2 of 4 points"):
        res = fastopt.gradient(nan_outside_unit_disk, X, full_output=True)
    assert list(res.status) == [fastopt.Status.SUCCESS, fastopt.Status.NONFINITE] * 2
    assert np.isnan(res.value[[1, 3]]).all()
    np.testing.assert_allclose(res.value[[0, 2]], [[0.2, 2.0], [-0.6, 2.0]], atol=1e-8)
    with pytest.warns(fastopt.NonFiniteWarning):
        H = fastopt.hessian(nan_outside_unit_disk, X)
    np.testing.assert_allclose(H[0], [[2.0, 0.0], [0.0, 0.0]], atol=1e-6)
    assert np.isnan(H[1]).all()


# ------------------------------------------------- kernels from the user's own njit code
@numba.njit
def user_gradients(X, rstep, st, out):
    for p in range(X.shape[0]):
        kernels.gradient_point(rosenbrock, X[p], rstep, st, (), out[p])


@numba.njit(parallel=True)
def user_prange_gradients_and_hessians(X, rg, rh, st, G, H):
    for p in prange(X.shape[0]):
        kernels.gradient_point(rosenbrock, X[p], rg, st, (), G[p])
        kernels.hessian_point(rosenbrock, X[p], rh, 2, (), H[p])


@numba.njit(parallel=True)
def user_prange_calls_batch_kernel(Xs, rg, st, out):
    n = Xs.shape[2]
    lo = np.full(n, -np.inf)
    hi = np.full(n, np.inf)
    for b in prange(Xs.shape[0]):
        kernels.gradient_batch(rosenbrock, Xs[b], (n,), rg, st, st, lo, hi, (), out[b])


@numba.njit
def user_central_and_jacobian(x, out_g, out_j):
    kernels.gradient_central(least_squares, x, (LS_A, LS_Y), out_g)
    kernels.jacobian_point(least_squares_residual, x, np.full(x.size, 1e-6),
                           kernels.CENTRAL2, (LS_A, LS_Y), out_j)


def test_kernels_from_user_njit_and_prange():
    rng = np.random.default_rng(5)
    X = rng.uniform(-1, 1, size=(64, 4))
    rg = np.full(4, kernels.default_relative_step(1, 2))
    rh = np.full(4, kernels.default_relative_step(2, 2))
    st = kernels.stencil("central", 2)
    expected_g = fastopt.gradient(rosenbrock, X)
    expected_h = fastopt.hessian(rosenbrock, X)

    out = np.empty_like(X)
    user_gradients(X, rg, st, out)
    assert np.array_equal(out, expected_g)

    G = np.empty_like(X)
    H = np.empty((64, 4, 4))
    user_prange_gradients_and_hessians(X, rg, rh, st, G, H)
    assert np.array_equal(G, expected_g)
    assert np.array_equal(H, expected_h)

    Xs = X.reshape(4, 16, 4)
    out3 = np.empty_like(Xs)
    user_prange_calls_batch_kernel(Xs, rg, st, out3)  # nested parallelism
    assert np.array_equal(out3.reshape(64, 4), expected_g)

    x = X[0]
    g = np.empty(4)
    J = np.empty((7, 4))
    user_central_and_jacobian(x, g, J)
    assert rel_error(g, PROBLEMS[0].grad(x)) <= 1e-8
    assert rel_error(J, -LS_A) <= 1e-8


@numba.njit
def user_default_kernels(X, rg, rh, G, H, F, G2):
    shape = (X.shape[1],)
    kernels.gradient_central_batch(least_squares, X, shape, rg, (LS_A, LS_Y), G)
    kernels.hessian_central_batch(least_squares, X, shape, rh, (LS_A, LS_Y), H, F, G2)


def test_default_path_kernels_equal_the_general_kernels():
    """The lean kernels behind the default call give exactly the general kernels' numbers."""
    X = np.random.default_rng(6).normal(size=(40, 4))
    rg = np.full(4, kernels.default_relative_step(1, 2))
    rh = np.full(4, kernels.default_relative_step(2, 2))
    G, H, F, GH = np.empty((40, 4)), np.empty((40, 4, 4)), np.empty(40), np.empty((40, 4))
    user_default_kernels(X, rg, rh, G, H, F, GH)
    G2, H2, F2, GH2 = np.empty_like(G), np.empty_like(H), np.empty_like(F), np.empty_like(GH)
    lo, hi = np.full(4, -np.inf), np.full(4, np.inf)
    st = kernels.stencil("central", 2)
    kernels.gradient_batch(least_squares, X, (4,), rg, st, st, lo, hi, (LS_A, LS_Y), G2)
    kernels.hessian_batch(least_squares, X, (4,), rh, 2, 1, (LS_A, LS_Y), H2,
                          np.empty((0, 0, 0)), F2, GH2)
    assert np.array_equal(G, G2) and np.array_equal(H, H2)
    assert np.array_equal(F, F2) and np.array_equal(GH, GH2)  # taylor's f and gradient
    J, J2 = np.empty((40, 7, 4)), np.empty((40, 7, 4))
    kernels.jacobian_central_batch(least_squares_residual, X, (4,), rg, (LS_A, LS_Y), J)
    kernels.jacobian_batch(least_squares_residual, X, (4,), rg, st, st, lo, hi, (LS_A, LS_Y),
                           J2)
    assert np.array_equal(J, J2)
    assert rel_error(J[0], -LS_A) <= 1e-8
    assert rel_error(H, PROBLEMS[0].hess(X[0])) <= 1e-5
