"""hvp and directional derivatives against analytic derivatives, nfev, properties, kernels."""

import numba
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numba import prange
from problems import (
    LS_A,
    LS_Y,
    PROBLEMS,
    least_squares,
    logistic_neuron,
    rel_error,
)

import fastopt
from fastopt import kernels

EPS = np.finfo(float).eps
REL1 = EPS ** (1 / 3)
REL2 = EPS ** (1 / 4)


# Exact gradients as numba functions g(x, *args) (for hvp(grad=...)).
@numba.njit
def ls_grad(x, A, y):
    return -2.0 * (A.T @ (y - A @ x))


@numba.njit
def neuron_grad(W, xin, y):
    s = 1.0 / (1.0 + np.exp(-(W @ xin)))
    return np.outer(-2.0 * (y - s) * s * (1.0 - s), xin)


@numba.njit
def rosen_grad(x):
    g = np.zeros_like(x)
    g[:-1] += -400.0 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * (x[1:] - x[:-1] ** 2)
    return g


# least squares (args, vector x), logistic neuron (args, matrix x), Rosenbrock (no args)
CASES = {p.name: p for p in PROBLEMS if p.name in ("least_squares", "logistic_neuron",
                                                     "rosenbrock4")}
GRADS = {"least_squares": ls_grad, "logistic_neuron": neuron_grad, "rosenbrock4": rosen_grad}
CASE_POINTS = [(name, i) for name, p in CASES.items() for i in range(len(p.points))]
IDS = [f"{name}-{i}" for name, i in CASE_POINTS]


def _directions(x, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=x.shape), rng.normal(size=x.shape)


def _flat_exact(problem, x):
    n = x.size
    return problem.grad(x).reshape(n), problem.hess(x).reshape(n, n)


@pytest.mark.parametrize(("name", "i"), CASE_POINTS, ids=IDS)
def test_directional_quantities_match_analytic(name, i):
    problem = CASES[name]
    x = problem.points[i]
    u, v = _directions(x)
    g, H = _flat_exact(problem, x)
    uf, vf = u.ravel(), v.ravel()
    kw = {"args": problem.args, "ndim": problem.ndim}

    hv = fastopt.hvp(problem.f, x, v, **kw)
    assert hv.shape == x.shape
    assert rel_error(hv.ravel(), H @ vf) <= 1e-6

    hvg = fastopt.hvp(problem.f, x, v, grad=GRADS[name], **kw)
    assert hvg.shape == x.shape
    assert rel_error(hvg.ravel(), H @ vf) <= 1e-8

    dd = fastopt.directional_derivative(problem.f, x, v, **kw)
    assert isinstance(dd, float)
    assert rel_error(dd, g @ vf) <= 1e-8

    cu = fastopt.directional_curvature(problem.f, x, u, **kw)
    assert rel_error(cu, uf @ H @ uf / (uf @ uf)) <= 1e-6

    sd = fastopt.second_directional_derivative(problem.f, x, u, v, **kw)
    scale = np.abs(uf) @ np.abs(H) @ np.abs(vf)
    assert abs(sd - uf @ H @ vf) <= 1e-6 * max(1.0, scale)


@pytest.mark.parametrize("name", list(CASES))
def test_hvp_entries_are_bitwise_cross_differences_and_symmetric(name):
    problem = CASES[name]
    x = problem.points[-1]
    u, v = _directions(x, seed=1)
    kw = {"args": problem.args, "ndim": problem.ndim}
    hv = fastopt.hvp(problem.f, x, v, **kw).ravel()
    for i in range(x.size):
        e = np.zeros(x.size)
        e[i] = 1.0
        sd = fastopt.second_directional_derivative(problem.f, x, e.reshape(x.shape), v, **kw)
        assert sd == hv[i]
    uv = fastopt.second_directional_derivative(problem.f, x, u, v, **kw)
    vu = fastopt.second_directional_derivative(problem.f, x, v, u, **kw)
    assert uv == vu


def test_batches_shared_and_per_point_directions_matrix_points():
    problem = CASES["logistic_neuron"]
    rng = np.random.default_rng(3)
    X = rng.normal(size=(2, 3, 2, 3))  # batch (2, 3) of 2x3 matrix points
    V = rng.normal(size=X.shape)
    kw = {"args": problem.args, "ndim": 2}
    for v in (V[0, 0], V):  # shared, per point
        hv = fastopt.hvp(logistic_neuron, X, v, **kw)
        hg = fastopt.hvp(logistic_neuron, X, v, grad=neuron_grad, **kw)
        dd = fastopt.directional_derivative(logistic_neuron, X, v, **kw)
        cu = fastopt.directional_curvature(logistic_neuron, X, v, **kw)
        sd = fastopt.second_directional_derivative(logistic_neuron, X, V[1, 2], v, **kw)
        assert hv.shape == hg.shape == X.shape
        assert dd.shape == cu.shape == sd.shape == (2, 3)
        for idx in np.ndindex(2, 3):
            vi = v if v.ndim == 2 else v[idx]
            x = X[idx]
            g, H = _flat_exact(problem, x)
            assert rel_error(hv[idx].ravel(), H @ vi.ravel()) <= 1e-6
            assert rel_error(hg[idx].ravel(), H @ vi.ravel()) <= 1e-8
            assert rel_error(dd[idx], g @ vi.ravel()) <= 1e-8
            # batched == looped, exactly
            assert np.array_equal(hv[idx], fastopt.hvp(logistic_neuron, x, vi, **kw))
            assert dd[idx] == fastopt.directional_derivative(logistic_neuron, x, vi, **kw)
            assert cu[idx] == fastopt.directional_curvature(logistic_neuron, x, vi, **kw)
            assert sd[idx] == fastopt.second_directional_derivative(
                logistic_neuron, x, V[1, 2], vi, **kw)


# The parallel builds are compiled for least squares only (compile time): the chunking
# code is the same for every kernel, and the noargs builds run in the analytic tests.


def test_results_identical_with_one_and_two_threads():
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs numba with at least 2 threads")
    rng = np.random.default_rng(2)
    X = rng.uniform(-2, 2, size=(3000, 4))
    V = rng.normal(size=(3000, 4))
    before = numba.get_num_threads()
    runs = []
    try:
        for threads in (1, 2):
            numba.set_num_threads(threads)
            runs.append((fastopt.hvp(least_squares, X, V, args=(LS_A, LS_Y)),
                         fastopt.directional_derivative(least_squares, X, V[0] + 1.0,
                                                        args=(LS_A, LS_Y))))
    finally:
        numba.set_num_threads(before)
    for a, b in zip(*runs, strict=True):
        assert np.array_equal(a, b)
    # and equal to the serial one-point kernels
    hv, dd = runs[0]
    out = np.empty(4)
    for p in (0, 1234, 2999):
        kernels.hvp_point(least_squares, X[p], V[p], REL2, (LS_A, LS_Y), out)
        assert np.array_equal(hv[p], out)
        assert dd[p] == kernels.directional_derivative_point(least_squares, X[p], V[0] + 1.0,
                                                             REL1, (LS_A, LS_Y))


def test_one_point_many_coordinates_hvp_runs_parallel_and_is_right():
    rng = np.random.default_rng(8)
    A = rng.normal(size=(210, 200)) / 10
    y = rng.normal(size=210)
    x = rng.normal(size=200)
    v = np.cos(np.arange(200.0))
    hv = fastopt.hvp(least_squares, x, v, args=(A, y))  # 800 evals x 200 coords: parallel
    assert rel_error(hv, 2.0 * A.T @ (A @ v)) <= 1e-6
    out = np.empty(200)
    kernels.hvp_point(least_squares, x, v, REL2, (A, y), out)
    assert np.array_equal(hv, out)


# ------------------------------------------------------------------ nfev, jit=False


def _counting(f):
    calls = []

    def counted(x, *args):
        calls.append(np.array(x, copy=True))
        return f(x, *args)

    return counted, calls


def _py_ls(x, A, y):
    r = y - A @ x
    return r @ r


@pytest.mark.parametrize(("func", "per_point"), [
    (fastopt.directional_derivative, lambda n: 2),
    (fastopt.directional_curvature, lambda n: 3),
    (fastopt.hvp, lambda n: 4 * n),
])
def test_nfev_counts_every_call(func, per_point):
    counted, calls = _counting(_py_ls)
    X = np.random.default_rng(0).normal(size=(3, 4))
    res = func(counted, X, np.ones(4), args=(LS_A, LS_Y), jit=False, full_output=True)
    assert res.nfev == len(calls) == 3 * per_point(4) + 1  # +1: the pure-Python probe
    assert res.ngev == 0


def test_nfev_second_directional_and_hvp_with_grad():
    counted, calls = _counting(_py_ls)
    X = np.zeros((2, 5, 4))
    res = fastopt.second_directional_derivative(counted, X, np.ones(4), np.arange(4.0),
                                                args=(LS_A, LS_Y), jit=False,
                                                full_output=True)
    assert res.nfev == len(calls) == 4 * 10 + 1
    counted_g, gcalls = _counting(lambda x, A, y: -2.0 * A.T @ (y - A @ x))
    counted_f, fcalls = _counting(_py_ls)
    res = fastopt.hvp(counted_f, X, np.ones(4), grad=counted_g, args=(LS_A, LS_Y), jit=False,
                      full_output=True)
    assert len(fcalls) == 0 and res.nfev == 0  # f is never called
    assert res.ngev == len(gcalls) == 2 * 10 + 1
    np.testing.assert_allclose(res.value, np.broadcast_to(2 * LS_A.T @ LS_A @ np.ones(4),
                                                          X.shape), rtol=1e-8)


def test_step_rule_points_used_and_full_output():
    counted, calls = _counting(_py_ls)
    x = np.array([0.5, -40.0, 3.0, 0.0])
    v = np.array([2.0, 0.0, -1.0, 0.5])  # x_1 = -40 does not move: scale is 3
    res = fastopt.directional_derivative(counted, x, v, args=(LS_A, LS_Y), jit=False,
                                         full_output=True)
    t = REL1 * 3.0 / 2.0
    assert res.step == pytest.approx(t, rel=1e-15)
    plus, minus = calls[1], calls[2]
    np.testing.assert_allclose(plus - x, t * v, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(minus - x, -t * v, rtol=1e-9, atol=1e-15)
    assert res.status == fastopt.Status.SUCCESS and res.success and res.cross_step is None
    res = fastopt.second_directional_derivative(least_squares, x, v, np.ones(4),
                                                args=(LS_A, LS_Y), step=1e-3, full_output=True)
    assert res.step == pytest.approx(1e-3 * 40.0)  # along v = ones: every x_j moves
    assert res.cross_step == pytest.approx(1e-3 * 3.0 / 2.0)
    res = fastopt.hvp(least_squares, np.stack([x, 2 * x]), v, args=(LS_A, LS_Y),
                      full_output=True)
    np.testing.assert_allclose(res.step, REL2 * np.array([3.0, 6.0]) / 2.0)
    np.testing.assert_allclose(res.cross_step,
                               REL2 * np.maximum(1.0, np.abs(np.stack([x, 2 * x]))))
    assert res.status.shape == (2,)
    with pytest.raises(AttributeError):
        res.nfev = 3  # frozen


@pytest.mark.parametrize("func", [fastopt.hvp, fastopt.directional_derivative,
                                  fastopt.directional_curvature])
def test_jit_false_gives_the_same_answers(func):
    X = np.random.default_rng(4).normal(size=(3, 4))
    V = np.random.default_rng(5).normal(size=(3, 4))
    slow = func(_py_ls, X, V, args=(LS_A, LS_Y), jit=False)
    fast = func(least_squares, X, V, args=(LS_A, LS_Y))
    np.testing.assert_allclose(slow, fast, rtol=1e-12, atol=1e-12)


def test_jit_false_second_directional_and_hvp_grad():
    x = np.array([0.3, -0.2, 0.1, 1.0])
    u, v = np.arange(1.0, 5.0), np.ones(4)
    slow = fastopt.second_directional_derivative(_py_ls, x, u, v, args=(LS_A, LS_Y), jit=False)
    fast = fastopt.second_directional_derivative(least_squares, x, u, v, args=(LS_A, LS_Y))
    assert slow == pytest.approx(fast, rel=1e-12)
    slow = fastopt.hvp(_py_ls, x, v, grad=ls_grad.py_func, args=(LS_A, LS_Y), jit=False)
    fast = fastopt.hvp(least_squares, x, v, grad=ls_grad, args=(LS_A, LS_Y))
    np.testing.assert_allclose(slow, fast, rtol=1e-12)


@numba.njit
def nan_outside_unit_disk(x):
    if x[0] ** 2 + x[1] ** 2 > 1.0:
        return np.nan
    return x[0] ** 2 + 2.0 * x[1] + x[0] * x[1]


def test_nonfinite_points_are_marked_and_the_rest_are_right():
    X = np.array([[0.1, 0.2], [3.0, 0.0], [-0.3, 0.4]])
    v = np.array([1.0, -1.0])
    with pytest.warns(fastopt.NonFiniteWarning, match="at 1 of 3 points"):
        res = fastopt.hvp(nan_outside_unit_disk, X, v, full_output=True)
    assert list(res.status) == [0, 1, 0]
    assert np.isnan(res.value[1]).all()
    np.testing.assert_allclose(res.value[[0, 2]], [[1.0, 1.0], [1.0, 1.0]], atol=1e-6)
    with pytest.warns(fastopt.NonFiniteWarning, match="at 1 of 3 points"):
        dd = fastopt.directional_derivative(nan_outside_unit_disk, X, v)
    np.testing.assert_allclose(dd[[0, 2]], [2 * 0.1 + 0.2 - 2 - 0.1, -0.6 + 0.4 - 2 + 0.3],
                               atol=1e-8)


# ------------------------------------------------------------------ properties


@st.composite
def least_squares_problems(draw):
    n = draw(st.integers(1, 5))
    m = draw(st.integers(1, 6))
    el = st.floats(-3, 3, allow_nan=False)
    A = draw(arrays(np.float64, (m, n), elements=el))
    y = draw(arrays(np.float64, (m,), elements=el))
    x = draw(arrays(np.float64, (n,), elements=st.floats(-10, 10, allow_nan=False)))
    v1 = draw(arrays(np.float64, (n,), elements=el).filter(lambda a: np.any(a != 0)))
    v2 = draw(arrays(np.float64, (n,), elements=el).filter(lambda a: np.any(a != 0)))
    return A, y, x, v1, v2


def _fmax(A, y, x, reach):
    """Bound on |f| (and on its rounding scale) over the stencil."""
    return (np.abs(y).sum() + np.abs(A).sum() * (np.max(np.abs(x)) + reach)) ** 2 + 1.0


@settings(max_examples=60, deadline=None)
@given(least_squares_problems(), st.floats(-4, 4), st.floats(-4, 4))
@example((np.array([[2.0]]), np.array([0.0]), np.array([0.0]), np.array([1.0]),
          np.array([1.0])), 1.0, -1.0)
def test_directional_derivative_is_linear_in_v_for_quadratics(problem, a, b):
    A, y, x, v1, v2 = problem
    v = a * v1 + b * v2
    if not np.any(v != 0):
        return
    args = (A, y)
    d = fastopt.directional_derivative(least_squares, x, v, args=args)
    d1 = fastopt.directional_derivative(least_squares, x, v1, args=args)
    d2 = fastopt.directional_derivative(least_squares, x, v2, args=args)
    exact = -2.0 * (A.T @ (y - A @ x)) @ v
    h = REL1 * max(1.0, np.max(np.abs(x)))
    vmax = max(np.max(np.abs(v)), np.max(np.abs(v1)), np.max(np.abs(v2)))
    bound = 64 * EPS * _fmax(A, y, x, h) / h * vmax * (1 + abs(a) + abs(b))
    assert abs(d - (a * d1 + b * d2)) <= bound
    assert abs(d - exact) <= bound
    assert fastopt.directional_derivative(least_squares, x, -v, args=args) == -d


@settings(max_examples=60, deadline=None)
@given(least_squares_problems())
@example((np.array([[1.0]]), np.array([0.0]), np.array([0.0]), np.array([2.2e-313]),
          np.array([1.0])))  # subnormal v: t = h / ||v|| overflows, the result does not
def test_hvp_of_a_quadratic_is_Qv_to_roundoff(problem):
    A, y, x, v, u = problem
    Q = 2.0 * A.T @ A
    res = fastopt.hvp(least_squares, x, v, args=(A, y), full_output=True)
    hv = REL2 * max(1.0, np.max(np.abs(x[v != 0])))  # absolute displacement along v
    hmin = min(np.min(res.cross_step), hv)
    bound = 64 * EPS * _fmax(A, y, x, 2 * hmin + hv) / (hmin * hv) * np.max(np.abs(v))
    assert np.max(np.abs(res.value - Q @ v)) <= bound
    resg = fastopt.hvp(least_squares, x, v, args=(A, y), grad=ls_grad)
    gscale = 4 * np.abs(A.T) @ (np.abs(y) + np.abs(A) @ (np.abs(x) + 1.0))
    boundg = 64 * EPS * (np.max(gscale) + 1.0) / (REL1 * max(1.0, np.max(np.abs(x))))
    assert np.max(np.abs(resg - Q @ v)) <= boundg * np.max(np.abs(v))


@settings(max_examples=60, deadline=None)
@given(least_squares_problems())
@example((np.array([[0.0]]), np.array([0.0]), np.array([0.0]), np.array([6.2e-206]),
          np.array([1.0])))  # u @ u underflows: the kernels normalise u first
def test_second_directional_is_symmetric_and_curvature_scale_free(problem):
    A, y, x, u, v = problem
    args = (A, y)
    uv = fastopt.second_directional_derivative(least_squares, x, u, v, args=args)
    vu = fastopt.second_directional_derivative(least_squares, x, v, u, args=args)
    assert uv == vu
    c1 = fastopt.directional_curvature(least_squares, x, u, args=args)
    assert fastopt.directional_curvature(least_squares, x, -4.0 * u, args=args) == c1
    Q = 2.0 * A.T @ A
    bound = 64 * EPS * _fmax(A, y, x, 2 * REL2 * max(1, np.max(np.abs(x))))
    bound /= (REL2 * max(1.0, np.max(np.abs(x)))) ** 2
    uhat = u / np.max(np.abs(u))
    assert abs(c1 - uhat @ Q @ uhat / (uhat @ uhat)) <= bound / (uhat @ uhat)


# ------------------------------------------------- kernels from the user's own njit code


# A and y are passed in (globals would be typed as read-only constants: another compile)
@numba.njit
def user_point_kernels(x, u, v, A, y, out_hv, out_hg):
    args = (A, y)
    kernels.hvp_point(least_squares, x, v, 1.2e-4, args, out_hv)
    kernels.hvp_grad_point(ls_grad, x, v, 6e-6, args, out_hg)
    dd = kernels.directional_derivative_point(least_squares, x, v, 6e-6, args)
    cu = kernels.directional_curvature_point(least_squares, x, u, 1.2e-4, args)
    sd = kernels.second_directional_point(least_squares, x, u, v, 1.2e-4, args)
    t = kernels.directional_step(x, v, 6e-6)
    return dd, cu, sd, t


@numba.njit(parallel=True)
def user_prange_point_kernels(X, V, A, y, hv, hg, dd, cu, sd):
    args = (A, y)
    for p in prange(X.shape[0]):
        kernels.hvp_point(least_squares, X[p], V[p], REL2, args, hv[p])
        kernels.hvp_grad_point(ls_grad, X[p], V[p], REL1, args, hg[p])
        dd[p] = kernels.directional_derivative_point(least_squares, X[p], V[p], REL1, args)
        cu[p] = kernels.directional_curvature_point(least_squares, X[p], V[p], REL2, args)
        sd[p] = kernels.second_directional_point(least_squares, X[p], V[p], X[p], REL2, args)


@numba.njit(parallel=True)
def user_prange_calls_batch_kernels(Xs, V, A, y, hv, dd):
    for b in prange(Xs.shape[0]):
        kernels.hvp_batch(least_squares, Xs[b], (Xs.shape[2],), V, REL2, (A, y), hv[b])
        kernels.directional_derivative_batch(least_squares, Xs[b], (Xs.shape[2],), V, REL1,
                                             (A, y), dd[b])


def test_kernels_from_user_njit_and_prange():
    x = np.array([0.3, -1.0, 2.0, 0.5])
    u, v = np.array([1.0, 2.0, 0.0, -1.0]), np.array([0.5, 0.0, 1.0, 1.0])
    hv, hg = np.empty(4), np.empty(4)
    dd, cu, sd, t = user_point_kernels(x, u, v, LS_A, LS_Y, hv, hg)
    kw = {"args": (LS_A, LS_Y)}
    assert np.array_equal(hv, fastopt.hvp(least_squares, x, v, step=1.2e-4, **kw))
    assert np.array_equal(hg, fastopt.hvp(least_squares, x, v, grad=ls_grad, step=6e-6, **kw))
    assert dd == fastopt.directional_derivative(least_squares, x, v, step=6e-6, **kw)
    assert cu == fastopt.directional_curvature(least_squares, x, u, step=1.2e-4, **kw)
    assert sd == fastopt.second_directional_derivative(least_squares, x, u, v, step=1.2e-4,
                                                       **kw)
    assert t == 6e-6 * 2.0 / 1.0
    Q = 2.0 * LS_A.T @ LS_A
    assert rel_error(hv, Q @ v) <= 1e-7 and rel_error(hg, Q @ v) <= 1e-9

    rng = np.random.default_rng(5)
    X = rng.uniform(-1, 1, size=(64, 4))
    V = rng.normal(size=(64, 4))
    H, G = np.empty((64, 4)), np.empty((64, 4))
    D, C, S = np.empty(64), np.empty(64), np.empty(64)
    user_prange_point_kernels(X, V, LS_A, LS_Y, H, G, D, C, S)
    assert np.array_equal(H, fastopt.hvp(least_squares, X, V, **kw))
    assert np.array_equal(G, fastopt.hvp(least_squares, X, V, grad=ls_grad, **kw))
    assert np.array_equal(D, fastopt.directional_derivative(least_squares, X, V, **kw))
    assert np.array_equal(C, fastopt.directional_curvature(least_squares, X, V, **kw))
    assert np.array_equal(S, fastopt.second_directional_derivative(least_squares, X, V, X,
                                                                   **kw))

    Xs = X.reshape(4, 16, 4)
    Vs = V[:1].copy()  # one direction shared by every point
    H3, D3 = np.empty_like(Xs), np.empty((4, 16))
    user_prange_calls_batch_kernels(Xs, Vs, LS_A, LS_Y, H3, D3)  # nested parallelism
    assert np.array_equal(H3.reshape(64, 4), fastopt.hvp(least_squares, X, V[0], **kw))
    assert np.array_equal(D3.reshape(64),
                          fastopt.directional_derivative(least_squares, X, V[0], **kw))
