"""Richardson extrapolation, complex step, Hessians from gradients and Taylor models."""

import numba
import numpy as np
import pytest
from problems import (
    LS_A,
    LS_Y,
    NEURON_X,
    NEURON_Y,
    PROBLEM_POINTS,
    PROBLEMS,
    least_squares,
    least_squares_residual,
    logistic_neuron,
    noisy_sines,
    rel_error,
    rosenbrock,
)

import fastopt
from fastopt import kernels

IDS = [f"{p.name}-{i}" for p, i in PROBLEM_POINTS]


@pytest.mark.parametrize(("problem", "i"), PROBLEM_POINTS, ids=IDS)
def test_richardson_meets_accuracy_goals_with_honest_error_bars(problem, i):
    x = problem.points[i]
    g = fastopt.gradient(problem.f, x, args=problem.args, ndim=problem.ndim,
                         method="richardson", full_output=True)
    H = fastopt.hessian(problem.f, x, args=problem.args, ndim=problem.ndim,
                        method="richardson", full_output=True)
    n = x.size
    assert g.nfev == 6 * n and H.nfev == 3 * n * n + 3 * n + 1
    assert rel_error(g.value, problem.grad(x)) <= 1e-11
    assert rel_error(H.value, problem.hess(x)) <= 1e-9
    # the error estimates bound the actual errors (entry by entry)
    assert np.all(np.abs(g.value - problem.grad(x)) <= g.error + 1e-15)
    assert np.all(np.abs(H.value - problem.hess(x)) <= H.error + 1e-13)
    assert np.array_equal(H.value.reshape(n, n), H.value.reshape(n, n).T)


def test_richardson_needs_five_times_fewer_evaluations_than_numdifftools():
    nd = pytest.importorskip("numdifftools")
    calls = [0]

    def f(x):
        calls[0] += 1
        return float(np.sum(np.sin(x) * np.exp(0.3 * x)) + x[0] * x[-1])

    for n in (2, 5):
        x = np.linspace(-1.0, 1.0, n)
        calls[0] = 0
        nd.Gradient(f)(x)
        nd_grad = calls[0]
        calls[0] = 0
        nd.Hessian(f)(x)
        nd_hess = calls[0]
        ours_g = fastopt.gradient(f, x, method="richardson", full_output=True, jit=False)
        ours_h = fastopt.hessian(f, x, method="richardson", full_output=True, jit=False)
        assert 5 * ours_g.nfev <= nd_grad + 5  # the +5: our one pure-Python probe call
        assert 5 * ours_h.nfev <= nd_hess + 5


@pytest.mark.parametrize("problem", [PROBLEMS[4], PROBLEMS[5]], ids=["saddle", "cubic"])
def test_richardson_at_points_where_the_derivative_is_exactly_zero(problem):
    x = np.zeros(2)
    g = fastopt.gradient(problem.f, x, method="richardson", full_output=True)
    H = fastopt.hessian(problem.f, x, method="richardson", full_output=True)
    assert g.success and H.success
    assert np.max(np.abs(g.value)) <= 1e-12
    assert np.max(np.abs(H.value - problem.hess(x))) <= 1e-9
    assert np.all(np.isfinite(g.error)) and np.all(np.isfinite(H.error))


def _noisy_errors(G, X):
    exact = np.cos(X)
    return np.max(np.abs(G - exact), axis=-1) / np.maximum(1.0, np.max(np.abs(exact), axis=-1))


def test_richardson_on_a_noisy_objective_with_the_noise_step_rule():
    # Noise of relative size delta costs ~6 delta |f| / h0: the default h0 = 0.03 is tuned
    # for clean objectives; docs/derivatives.md gives h0 = 0.03 (delta / eps)^(1/7).
    rng = np.random.default_rng(3)
    X = rng.uniform(-2, 2, size=(50, 3))
    step = 0.03 * (1e-10 / np.finfo(float).eps) ** (1 / 7)
    assert 0.18 < step < 0.2
    G = fastopt.gradient(noisy_sines, X, method="richardson", step=step)
    assert np.max(_noisy_errors(G, X)) <= 1e-8


def test_richardson_default_on_a_noisy_objective_beats_numdifftools_and_scipy():
    nd = pytest.importorskip("numdifftools")
    from scipy.differentiate import jacobian

    X = np.random.default_rng(4).uniform(-2, 2, size=(12, 3))
    ours = np.max(_noisy_errors(fastopt.gradient(noisy_sines, X, method="richardson"), X))

    def f(x):
        return noisy_sines(np.ascontiguousarray(x, dtype=float))

    def f_vectorised(x):  # scipy.differentiate's convention: x of shape (3, ...)
        xs = np.moveaxis(x, 0, -1)
        out = np.empty(xs.shape[:-1])
        for idx in np.ndindex(out.shape):
            out[idx] = f(xs[idx])
        return out

    theirs_nd = np.max(_noisy_errors(np.array([nd.Gradient(f)(x) for x in X]), X))
    theirs_sd = np.max(_noisy_errors(np.array([jacobian(f_vectorised, x).df for x in X]), X))
    assert ours < theirs_nd and ours < theirs_sd
    assert ours <= 1e-7


def test_richardson_jacobian_of_residuals():
    x = np.array([0.3, -1.0, 2.0, 0.5])
    res = fastopt.jacobian(least_squares_residual, x, args=(LS_A, LS_Y), method="richardson",
                           full_output=True)
    assert rel_error(res.value, -LS_A) <= 1e-12
    assert res.nfev == 1 + 6 * 4
    assert res.error.shape == (7, 4)


@pytest.mark.parametrize(("order", "tol"), [(4, 1e-7), (8, 1e-11)])
def test_richardson_orders(order, tol):
    x = np.array([0.4, -0.7])
    g = fastopt.gradient(analytic, x, method="richardson", order=order, full_output=True)
    assert g.nfev == 2 * order
    assert rel_error(g.value, _analytic_grad(x)) <= tol
    assert np.all(np.abs(g.value - _analytic_grad(x)) <= g.error)


# --------------------------------------------------------------------- complex step
@numba.njit
def analytic(x):
    return np.sin(x[0]) * np.exp(x[1]) + x[0] * x[0] * x[0] - x[1] * x[1] * x[1] / (2.0 + x[0])


def _analytic_grad(x):
    a, b = x
    return np.array([np.cos(a) * np.exp(b) + 3 * a * a + b**3 / (2 + a) ** 2,
                     np.sin(a) * np.exp(b) - 3 * b * b / (2 + a)])


@numba.njit
def analytic_vector(x):
    return np.array([np.sin(x[0]) * np.exp(x[1]), x[0] * x[1] * x[1], np.cos(x[0] * x[1])])


def test_complex_step_is_exact_to_roundoff():
    X = np.array([[0.3, -1.2], [-1.5, 0.4], [2.0, 0.0], [0.0, 0.0]])
    G = fastopt.gradient(analytic, X, method="complex", full_output=True)
    assert G.nfev == 4 * 2
    for p in range(4):
        assert rel_error(G.value[p], _analytic_grad(X[p])) <= 1e-14
    J = fastopt.jacobian(analytic_vector, X[0], method="complex")
    a, b = X[0]
    exact = np.array([[np.cos(a) * np.exp(b), np.sin(a) * np.exp(b)],
                      [b * b, 2 * a * b],
                      [-b * np.sin(a * b), -a * np.sin(a * b)]])
    assert rel_error(J, exact) <= 1e-14
    R = fastopt.gradient(rosenbrock, np.array([-1.2, 1.0, 0.5]), method="complex")
    assert rel_error(R, PROBLEMS[3].grad(np.array([-1.2, 1.0, 0.5]))) <= 1e-14


def test_complex_step_with_matrix_variable_and_jit_false():
    def neuron(W, xin, y):
        s = 1.0 / (1.0 + np.exp(-(W @ xin)))
        r = y - s
        return np.sum(r * r)

    W = np.array([[0.1, -0.2, 0.3], [0.5, 0.0, -0.4]])
    exact = PROBLEMS[1].grad(W)
    slow = fastopt.gradient(neuron, W, args=(NEURON_X, NEURON_Y), ndim=2, method="complex",
                            jit=False)
    assert rel_error(slow, exact) <= 1e-14


@numba.njit
def uses_abs(x):
    return np.abs(x[0] + x[1])


def test_complex_step_refuses_objectives_without_complex_support():
    with pytest.raises(TypeError, match="method='complex' needs `f` to accept complex input"):
        fastopt.gradient(least_squares, np.ones(4), args=(LS_A, LS_Y), method="complex")
    with pytest.raises(TypeError, match="return complex values for complex input"):
        fastopt.gradient(uses_abs, np.ones(2), method="complex")
    with pytest.raises(TypeError, match="return complex values for complex input"):
        fastopt.gradient(lambda x: float(abs(x[0])), np.ones(2), method="complex", jit=False)


# --------------------------------------------------------------- Hessian from gradient
@numba.njit
def ls_gradient(x, A, y):
    return -2.0 * A.T @ (y - A @ x)


@numba.njit
def neuron_gradient(W, xin, y):
    s = 1.0 / (1.0 + np.exp(-(W @ xin)))
    return np.outer(-2.0 * (y - s) * s * (1.0 - s), xin)


def test_hessian_from_user_gradient():
    x = np.array([0.3, -1.0, 2.0, 0.5])
    res = fastopt.hessian(least_squares, x, args=(LS_A, LS_Y), grad=ls_gradient,
                          full_output=True)
    assert rel_error(res.value, 2 * LS_A.T @ LS_A) <= 1e-9
    assert res.ngev == 1 + 2 * 4 and res.nfev == 0
    assert np.array_equal(res.value, res.value.T)
    W = np.array([[0.1, -0.2, 0.3], [0.5, 0.0, -0.4]])
    H = fastopt.hessian(None, W, args=(NEURON_X, NEURON_Y), ndim=2, grad=neuron_gradient,
                        method="richardson")
    assert H.shape == (2, 3, 2, 3)
    assert rel_error(H, PROBLEMS[1].hess(W)) <= 1e-10


def test_hessian_from_gradient_rejects_wrong_shapes():
    @numba.njit
    def bad_grad(x, A, y):
        return np.zeros(x.size + 1)

    with pytest.raises(ValueError, match=r"`grad` must return an array of the point shape \(4,\)"):
        fastopt.hessian(least_squares, np.ones(4), args=(LS_A, LS_Y), grad=bad_grad)
    with pytest.raises(TypeError, match="`grad` must return a real float array"):
        fastopt.hessian(None, np.ones(2), grad=lambda x: x[0], jit=True)
    with pytest.raises(TypeError, match="`grad` must be callable"):
        fastopt.hessian(None, np.ones(2), grad=3.0)


# ------------------------------------------------------------------------ Taylor models
def test_taylor_shares_the_hessian_evaluations():
    x = np.array([-1.2, 1.0, 0.5])
    model = fastopt.taylor(rosenbrock, x)
    assert model.nfev == 3 * 3 + 3 + 1 == fastopt.hessian(rosenbrock, x, full_output=True).nfev
    assert model.fun == pytest.approx(rosenbrock(x), rel=1e-15)
    assert rel_error(model.grad, PROBLEMS[3].grad(x)) <= 1e-6
    assert rel_error(model.hess, PROBLEMS[3].hess(x)) <= 1e-5
    rich = fastopt.taylor(rosenbrock, x, method="richardson")
    assert rel_error(rich.grad, PROBLEMS[3].grad(x)) <= 1e-11
    for t in (1e-1, 1e-2):
        d = t * np.array([0.3, -0.5, 0.8])
        # quadratic model of a quartic: remainder O(t^3)
        assert abs(rich(d) - rosenbrock(x + d)) <= 200 * t**3


def test_taylor_matrix_variable_batch_and_first_order():
    W = np.stack([np.zeros((2, 3)), 0.1 * np.ones((2, 3))])
    model = fastopt.taylor(logistic_neuron, W, args=(NEURON_X, NEURON_Y), ndim=2)
    assert model.fun.shape == (2,) and model.grad.shape == (2, 2, 3)
    assert model.hess.shape == (2, 2, 3, 2, 3)
    for b in range(2):
        assert rel_error(model.grad[b], PROBLEMS[1].grad(W[b])) <= 1e-6
        assert rel_error(model.hess[b], PROBLEMS[1].hess(W[b])) <= 1e-5
    d = 1e-3 * np.arange(6.0).reshape(2, 3)
    values = model(d)
    assert values.shape == (2,)
    for b in range(2):
        assert abs(values[b] - logistic_neuron(W[b] + d, NEURON_X, NEURON_Y)) <= 1e-7
    lin = fastopt.taylor(logistic_neuron, W[0], args=(NEURON_X, NEURON_Y), ndim=2, order=1)
    assert lin.hess is None and lin.nfev == 2 * 6 + 1
    assert rel_error(lin.grad, PROBLEMS[1].grad(W[0])) <= 1e-8
    with pytest.raises(ValueError, match="`delta` must end with the point shape"):
        model(np.ones(3))


@pytest.mark.parametrize(("func", "kw"), [
    (fastopt.gradient, {"method": "richardson"}),
    (fastopt.hessian, {"method": "richardson"}),
    (fastopt.jacobian, {"method": "richardson"}),
])
def test_jit_false_same_answers_for_richardson(func, kw):
    def f(x):
        return np.sin(x[0]) * np.exp(0.5 * x[1]) + x[0] * x[1]

    def F(x):
        return np.array([np.sin(x[0]) * np.exp(0.5 * x[1]), x[0] * x[1]])

    obj = F if func is fastopt.jacobian else f
    X = np.array([[0.2, -0.3], [1.0, 2.0]])
    slow = func(obj, X, jit=False, full_output=True, **kw)
    fast = func(obj, X, full_output=True, **kw)
    # same algorithm; numpy's and numba's sin/exp may differ by an ulp, which the
    # differences amplify by 1/h^d: agreement within the rounding part of the estimate
    assert np.all(np.abs(slow.value - fast.value) <= fast.error)


@numba.njit
def user_accurate_kernels(X, out_r, err_r, out_c):
    n = X.shape[1]
    kernels.gradient_richardson_batch(rosenbrock, X, (n,), np.full(n, 0.03), 3,
                                      np.full(n, -np.inf), np.full(n, np.inf), (), out_r, err_r)
    kernels.gradient_complex_batch(rosenbrock, X, (X.shape[1],), np.full(X.shape[1], 1e-20),
                                   (), out_c)


def test_accurate_kernels_from_user_njit():
    X = np.array([[-1.2, 1.0, 0.3], [0.5, 0.5, 0.5]])
    out_r = np.empty_like(X)
    err_r = np.empty_like(X)
    out_c = np.empty_like(X)
    user_accurate_kernels(X, out_r, err_r, out_c)
    for p in range(2):
        assert rel_error(out_r[p], PROBLEMS[3].grad(X[p])) <= 1e-12
        assert rel_error(out_c[p], PROBLEMS[3].grad(X[p])) <= 1e-15


# ------------------------------------------------------------------------------ bounds
@numba.njit
def nan_outside_unit_square(x):
    if x[0] < 0.0 or x[0] > 1.0 or x[1] < 0.0 or x[1] > 1.0:
        return np.nan  # an evaluation outside the box would poison the result
    return np.exp(x[0]) * np.sin(x[1]) + x[0] ** 3


def _square_grad(x):
    return np.array([np.exp(x[0]) * np.sin(x[1]) + 3 * x[0] ** 2, np.exp(x[0]) * np.cos(x[1])])


BOX = [(0.0, 1.0), (0.0, 1.0)]
CORNERS = np.array([[0.0, 0.5], [1.0, 1.0], [1e-9, 1 - 1e-9], [0.5, 0.0], [0.5, 0.5]])


@pytest.mark.parametrize(("method", "order", "tol"), [
    ("central", 2, 1e-8), ("central", 4, 1e-10), ("central", 6, 1e-11),
    ("forward", 1, 1e-6), ("forward", 2, 1e-8), ("backward", 2, 1e-8),
    ("richardson", 6, 1e-8), ("complex", 2, 1e-14),
])
def test_bounds_keep_every_evaluation_inside_with_the_same_order(method, order, tol):
    obj = analytic_box if method == "complex" else nan_outside_unit_square
    res = fastopt.gradient(obj, CORNERS, method=method, order=order, bounds=BOX,
                           full_output=True)
    assert res.success  # a single evaluation outside the box would have given NaN
    for p in range(len(CORNERS)):
        assert rel_error(res.value[p], _square_grad(CORNERS[p])) <= tol


@numba.njit
def analytic_box(x):
    return np.exp(x[0]) * np.sin(x[1]) + x[0] * x[0] * x[0]


@pytest.mark.parametrize("order", [4, 6])
def test_richardson_next_to_a_bound_keeps_its_order(order):
    """One-sided extrapolation converges like h^order, as the central one does inside."""
    x = np.array([[0.0, 0.5]])  # x0 on its lower bound: a forward stencil for coordinate 0
    exact = _square_grad(x[0])
    errors = []
    for step in (0.2, 0.1):
        res = fastopt.gradient(analytic_box, x, method="richardson", order=order, step=step,
                               bounds=BOX, full_output=True)
        errors.append(np.abs(res.value[0] - exact))
    observed = np.log2(errors[0] / errors[1])  # per coordinate
    assert observed[0] >= order - 0.7  # the one-sided coordinate
    assert observed[1] >= order - 0.7  # the central one


def test_bounds_jacobian_and_counts():
    @numba.njit
    def F(x):
        return np.array([nan_outside_unit_square(x), x[0] * x[1]])

    res = fastopt.jacobian(F, CORNERS, bounds=BOX, method="richardson", full_output=True)
    assert res.success
    # probe + f(x) per point + 6 per central coordinate, 10 per one-sided one (5 levels)
    h = 0.03 * np.maximum(1.0, np.abs(CORNERS))  # the default relative step, 0.03
    one_sided = int(np.count_nonzero((CORNERS - h < 0.0) | (CORNERS + h > 1.0)))
    assert one_sided == 6
    assert res.nfev == 1 + len(CORNERS) * (2 * 6 + 1) + 4 * one_sided
    for p in range(len(CORNERS)):
        x = CORNERS[p]
        exact = np.array([_square_grad(x), [x[1], x[0]]])
        assert rel_error(res.value[p], exact) <= 1e-8
    plain = fastopt.gradient(nan_outside_unit_square, CORNERS, bounds=BOX, full_output=True)
    assert plain.nfev == len(CORNERS) * (2 * 2 + 1)


def _square_hess(x):
    e, a, b = np.exp(x[0]), x[1], x[0]
    return np.array([[e * np.sin(a) + 6 * b, e * np.cos(a)], [e * np.cos(a), -e * np.sin(a)]])


@pytest.mark.parametrize("method", ["central", "richardson"])
def test_hessian_and_taylor_with_bounds_stay_inside(method):
    res = fastopt.hessian(nan_outside_unit_square, CORNERS, bounds=BOX, method=method,
                          full_output=True)
    assert res.success  # one evaluation outside the box would have given NaN
    for p in range(len(CORNERS)):
        assert rel_error(res.value[p], _square_hess(CORNERS[p])) <= 1e-5
        assert np.array_equal(res.value[p], res.value[p].T)
    interior = fastopt.hessian(analytic_box, CORNERS[-1:], method=method)
    np.testing.assert_array_equal(res.value[-1:], interior)  # the interior point: as usual
    model = fastopt.taylor(nan_outside_unit_square, CORNERS, bounds=BOX)
    for p in range(len(CORNERS)):
        assert rel_error(model.grad[p], _square_grad(CORNERS[p])) <= 1e-6


@numba.njit
def steep_in_unit_square(x):
    if x[0] < 0.0 or x[0] > 1.0 or x[1] < 0.0 or x[1] > 1.0:
        return np.nan
    return np.exp(3.0 * x[0]) * np.sin(3.0 * x[1])


@pytest.mark.parametrize(("method", "order"), [("central", 2), ("central", 4),
                                               ("richardson", 6)])
def test_hessian_next_to_a_bound_keeps_its_order(method, order):
    """Each entry converges like h^order at a point on a bound, as inside the box."""
    x = np.array([[0.0, 0.5]])  # x0 on its lower bound: one-sided in coordinate 0
    e, s, c = np.exp(0.0), np.sin(1.5), np.cos(1.5)
    exact = 9.0 * np.array([[e * s, e * c], [e * c, -e * s]])
    errors = []
    for step in (0.2, 0.1):  # large steps: truncation, not rounding, dominates
        res = fastopt.hessian(steep_in_unit_square, x, method=method, order=order,
                              step=step, bounds=BOX, full_output=True)
        assert res.success
        errors.append(np.abs(res.value[0] - exact))
        if method == "richardson":
            assert np.all(res.error[0] >= errors[-1])  # the estimates bound the errors
    observed = np.log2(errors[0] / errors[1])
    assert np.all(observed >= order - 0.5), observed


def test_hessian_bounds_nfev_counts_every_call():
    calls = [0]

    def f(x):
        calls[0] += 1
        assert 0.0 <= x[0] <= 1.0 and 0.0 <= x[1] <= 1.0
        return float(np.exp(x[0]) * np.sin(x[1]) + x[0] ** 3)

    for kw in ({}, {"order": 4}, {"method": "richardson"}):
        calls[0] = 0
        res = fastopt.hessian(f, CORNERS, bounds=BOX, jit=False, full_output=True, **kw)
        assert res.nfev == calls[0]
    # with a user gradient, one-sided stencils of the requested order next to a bound
    Hg = fastopt.hessian(None, CORNERS, bounds=BOX, grad=lambda x: np.array(
        [np.exp(x[0]) * np.sin(x[1]) + 3 * x[0] ** 2, np.exp(x[0]) * np.cos(x[1])]),
        jit=False)
    for p in range(len(CORNERS)):
        assert rel_error(Hg[p], _square_hess(CORNERS[p])) <= 1e-8


@pytest.mark.parametrize(("bounds", "exc", "match"), [
    ([(0.0, 1.0)], ValueError, r"`bounds` must have shape \(2, 2\)"),
    ([(1.0, 0.0), (0.0, 1.0)], ValueError, "rows \\(lo, hi\\) with lo < hi"),
    ([(0.0, 0.0), (0.0, 1.0)], ValueError, "rows \\(lo, hi\\) with lo < hi"),
    ([(0.6, 1.0), (0.0, 1.0)], ValueError, "`x` must lie inside `bounds`"),
    ("box", TypeError, "`bounds` must be a real"),
])
def test_bad_bounds(bounds, exc, match):
    for func in (fastopt.gradient, fastopt.hessian):
        with pytest.raises(exc, match=match):
            func(analytic_box, [0.5, 0.5], bounds=bounds)
