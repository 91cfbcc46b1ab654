"""check_grad / check_hessian: correct derivatives pass, the classic slips are flagged."""

import numba
import numpy as np
import pytest
from problems import LS_A, LS_Y, NEURON_X, NEURON_Y, least_squares, logistic_neuron

import fastopt

# ---------------------------------------------------------------- least squares ||y - A x||^2


@numba.njit
def ls_grad(x, A, y):
    return -2.0 * (A.T @ (y - A @ x))


@numba.njit
def ls_grad_no_factor_2(x, A, y):
    return -(A.T @ (y - A @ x))


@numba.njit
def ls_grad_sign(x, A, y):
    return 2.0 * (A.T @ (y - A @ x))


@numba.njit
def ls_grad_A_not_transposed(x, A, y):  # -2 A (y - A x): needs a square A to run at all
    return -2.0 * (A @ (y - A @ x))


@numba.njit
def ls_hess(x, A, y):
    return 2.0 * (A.T @ A)


@numba.njit
def ls_hess_no_factor_2(x, A, y):
    return A.T @ A


# ------------------------------------------------------------ logistic neuron ||y - s(W x)||^2


@numba.njit
def neuron_grad(W, xin, y):
    s = 1.0 / (1.0 + np.exp(-(W @ xin)))
    return np.outer(-2.0 * (y - s) * s * (1.0 - s), xin)


@numba.njit
def neuron_grad_no_factor_2(W, xin, y):
    s = 1.0 / (1.0 + np.exp(-(W @ xin)))
    return np.outer(-(y - s) * s * (1.0 - s), xin)


@numba.njit
def neuron_grad_transposed(W, xin, y):  # outer(x, delta): the transpose of the gradient
    s = 1.0 / (1.0 + np.exp(-(W @ xin)))
    return np.outer(xin, -2.0 * (y - s) * s * (1.0 - s))


@numba.njit
def neuron_grad_no_sigmoid_derivative(W, xin, y):
    s = 1.0 / (1.0 + np.exp(-(W @ xin)))
    return np.outer(-2.0 * (y - s), xin)


@numba.njit
def neuron_grad_sign(W, xin, y):
    s = 1.0 / (1.0 + np.exp(-(W @ xin)))
    return np.outer(2.0 * (y - s) * s * (1.0 - s), xin)


@numba.njit
def neuron_hess(W, xin, y):
    s = 1.0 / (1.0 + np.exp(-(W @ xin)))
    ds = s * (1.0 - s)
    m, d = W.shape
    c = 2.0 * (ds * ds - (y - s) * ds * (1.0 - 2.0 * s))
    H = np.zeros((m, d, m, d))
    for k in range(m):
        H[k, :, k, :] = c[k] * np.outer(xin, xin)
    return H


@numba.njit
def neuron_hess_gauss_newton(W, xin, y):  # drops the residual term: not the Hessian
    s = 1.0 / (1.0 + np.exp(-(W @ xin)))
    ds = s * (1.0 - s)
    m, d = W.shape
    H = np.zeros((m, d, m, d))
    for k in range(m):
        H[k, :, k, :] = 2.0 * ds[k] * ds[k] * np.outer(xin, xin)
    return H


# linear f without extra arguments: also runs the kernels' f(x) builds (no *args)
@numba.njit
def linear(x):
    return 1.0 * x[0] - 2.0 * x[1] + 0.5 * x[2] + 1.0


@numba.njit
def linear_grad(x):
    return np.array([1.0, -2.0, 0.5])


@numba.njit
def linear_grad_wrong(x):
    return np.array([1.0, -2.0, 0.5]) + 1e-3


LS = (LS_A, LS_Y)
NEURON = (NEURON_X, NEURON_Y)
X_LS = np.array([0.3, -1.0, 2.0, 0.5])  # not a critical point: every slip shows
W0 = np.array([[0.4, -0.3, 0.8], [-0.6, 0.2, 0.1]])
_rng = np.random.default_rng(7)
A_SQ = _rng.normal(size=(4, 4))
Y_SQ = _rng.normal(size=4)
W_SQ = _rng.normal(size=(3, 3))
XIN3 = np.array([0.5, -1.0, 2.0])
Y3 = np.array([0.2, 0.9, 0.4])


def _assert_passes(res, order):
    assert res.ok, res.message
    assert bool(res) is True
    assert res.message.split(":")[0].endswith("OK")
    assert np.all(res.point_ok)
    assert res.max_rel_error <= 1e-6
    if np.all(np.isfinite(res.observed_order)):
        assert np.all(np.abs(np.asarray(res.observed_order) - order) <= 0.4)


def _assert_wrong(res, order=None):
    assert not res.ok, res.message
    assert "WRONG" in res.message
    assert res.max_rel_error > 0.1
    if order is not None:
        assert abs(float(res.observed_order) - order) <= 0.25, res.observed_order


# ------------------------------------------------------------------------ check_grad


@pytest.mark.parametrize(("f", "grad", "x", "args", "ndim"), [
    (least_squares, ls_grad, X_LS, LS, 1),
    (least_squares, ls_grad, A_SQ[0], (A_SQ, Y_SQ), 1),
    (logistic_neuron, neuron_grad, W0, NEURON, 2),
    (logistic_neuron, neuron_grad, W_SQ, (XIN3, Y3), 2),
], ids=["ls", "ls-square", "neuron", "neuron-square"])
def test_correct_gradients_pass(f, grad, x, args, ndim):
    res = fastopt.check_grad(f, grad, x, args=args, ndim=ndim)
    _assert_passes(res, 2)
    assert res.user_value.shape == res.fd_value.shape == res.error.shape == x.shape
    assert res.direction.shape == x.shape and res.t.shape == (12,)
    assert res.remainders.shape == res.noise.shape == (12,)
    assert res.expected_order == 2 and res.ngev == 1
    assert "agrees with central finite differences" in res.message


@pytest.mark.parametrize(("grad", "x", "args", "ndim"), [
    (ls_grad_no_factor_2, X_LS, LS, 1),
    (ls_grad_sign, X_LS, LS, 1),
    (ls_grad_A_not_transposed, A_SQ[1], (A_SQ, Y_SQ), 1),
    (neuron_grad_no_factor_2, W0, NEURON, 2),
    (neuron_grad_sign, W0, NEURON, 2),
    (neuron_grad_no_sigmoid_derivative, W0, NEURON, 2),
    (neuron_grad_transposed, W_SQ, (XIN3, Y3), 2),
], ids=["ls-no-2", "ls-sign", "ls-A-not-transposed", "neuron-no-2", "neuron-sign",
        "neuron-no-sigma-prime", "neuron-square-transposed"])
def test_classic_slips_are_flagged_with_order_1(grad, x, args, ndim):
    f = least_squares if ndim == 1 else logistic_neuron
    res = fastopt.check_grad(f, grad, x, args=args, ndim=ndim)
    _assert_wrong(res, order=1.0)
    assert res.expected_order == 2
    # the worst coordinate is named, and it is where the relative error is largest
    assert res.rel_error[res.worst] == res.max_rel_error
    where = "[" + ", ".join(map(str, res.worst)) + "]"
    assert f"coordinate {where} is" in res.message


def test_transposed_square_gradient_is_diagnosed():
    res = fastopt.check_grad(logistic_neuron, neuron_grad_transposed, W_SQ, args=(XIN3, Y3),
                             ndim=2)
    assert "Its transpose agrees with finite differences" in res.message


def test_transposed_non_square_gradient_is_wrong_not_an_error():
    res = fastopt.check_grad(logistic_neuron, neuron_grad_transposed, W0, args=NEURON, ndim=2)
    assert not res.ok and not res.point_ok
    assert "returns shape (3, 2), the transpose of the point shape (2, 3)" in res.message
    assert "Transposed back: agrees with central finite differences" in res.message
    assert res.user_value.shape == (2, 3)


def test_quadratic_remainder_is_exactly_half_t2_dHd():
    res = fastopt.check_grad(least_squares, ls_grad, X_LS, args=LS)
    d = res.direction
    expected = 0.5 * res.t**2 * (d @ (2.0 * LS_A.T @ LS_A) @ d)
    np.testing.assert_allclose(res.remainders, expected, rtol=1e-6)
    assert float(res.observed_order) == pytest.approx(2.0, abs=1e-6)
    wrong = fastopt.check_grad(least_squares, ls_grad_no_factor_2, X_LS, args=LS)
    g = ls_grad(X_LS, *LS)
    linear_part = wrong.t * abs(0.5 * g @ d)  # O(t): the missing half of <g, d>
    assert np.all(np.abs(wrong.remainders - linear_part) <= expected * 1.001)


def test_linear_objective_remainders_at_roundoff_pass():
    x = np.array([0.2, 0.3, -4.0])
    res = fastopt.check_grad(linear, linear_grad, x)
    assert res.ok, res.message
    assert np.isnan(res.observed_order)
    assert np.all(res.remainders <= res.noise)
    assert "round-off level" in res.message
    bad = fastopt.check_grad(linear, linear_grad_wrong, x)
    assert not bad.ok and float(bad.observed_order) == pytest.approx(1.0, abs=0.05)


def test_small_error_is_caught_by_the_comparison():
    """A gradient wrong by 1e-3 in one coordinate of a linear f."""
    res = fastopt.check_grad(linear, linear_grad_wrong, np.zeros(3))
    assert not res.ok
    assert res.max_rel_error == pytest.approx(1e-3 / 0.501, rel=1e-6)
    assert res.worst == (2,)


@numba.njit
def ls_grad_wrong_where_x0_positive(x, A, y):
    g = -2.0 * (A.T @ (y - A @ x))
    if x[0] > 0:
        g[2] *= 0.5
    return g


def test_batch_of_points_gets_per_point_verdicts():
    X = np.stack([X_LS, -X_LS, np.array([-0.1, 0.2, 0.3, 0.4]), np.array([1.0, 0, 0, 0])])
    X = X.reshape(2, 2, 4)
    res = fastopt.check_grad(least_squares, ls_grad_wrong_where_x0_positive, X, args=LS)
    assert res.point_ok.tolist() == [[False, True], [True, False]]
    assert not res.ok
    assert res.observed_order.shape == (2, 2) and res.remainders.shape == (2, 2, 12)
    assert res.worst[:2] in ((0, 0), (1, 1)) and res.worst[2] == 2
    assert "of point [" in res.message
    good = fastopt.check_grad(least_squares, ls_grad, X, args=LS)
    assert good.ok and "at all 4 points" in good.message


def test_custom_direction_t_and_seed():
    d = np.array([1.0, 0.0, 0.0, -1.0])
    t = [0.1, 0.01, 0.001, 1e-4]
    res = fastopt.check_grad(least_squares, ls_grad, X_LS, args=LS, direction=d, t=t)
    assert np.array_equal(res.direction, d) and np.array_equal(res.t, t)
    assert res.ok
    a = fastopt.check_grad(least_squares, ls_grad, X_LS, args=LS, seed=3)
    b = fastopt.check_grad(least_squares, ls_grad, X_LS, args=LS, seed=3)
    c = fastopt.check_grad(least_squares, ls_grad, X_LS, args=LS)
    assert np.array_equal(a.direction, b.direction)
    assert not np.array_equal(a.direction, c.direction)
    assert np.max(np.abs(c.direction / np.maximum(1, np.abs(X_LS)))) == 1.0


def _py_ls(x, A, y):
    r = y - A @ x
    return r @ r


def test_jit_false_same_verdict_and_nfev_counts_every_call():
    calls = [0]

    def counted(x, A, y):
        calls[0] += 1
        return _py_ls(x, A, y)

    gcalls = [0]

    def grad(x, A, y):
        gcalls[0] += 1
        return -2.0 * A.T @ (y - A @ x)

    X = np.stack([X_LS, 2 * X_LS])
    slow = fastopt.check_grad(counted, grad, X, args=LS, jit=False)
    fast = fastopt.check_grad(least_squares, ls_grad, X, args=LS)
    assert slow.ok and fast.ok
    assert slow.nfev == calls[0]
    assert slow.ngev == gcalls[0] == 2
    # FD gradient 4 n per point (+1 probe in fastopt.gradient), Taylor 1 + 12 per point, +1
    assert fast.nfev == 2 * (4 * 4 + 13) and slow.nfev == fast.nfev + 2
    np.testing.assert_allclose(slow.fd_value, fast.fd_value, rtol=1e-12)
    np.testing.assert_allclose(slow.remainders, fast.remainders, rtol=1e-6)


# --------------------------------------------------------------------- check_hessian


def test_check_hessian_least_squares():
    res = fastopt.check_hessian(least_squares, ls_hess, X_LS, args=LS)
    assert res.ok, res.message
    assert res.user_value.shape == (4, 4) and res.fd_value.shape == (4, 4)
    assert res.gradient_source == "finite differences" and res.expected_order == 3
    assert "round-off level" in res.message  # quadratic: nothing of order 3
    wrong = fastopt.check_hessian(least_squares, ls_hess_no_factor_2, X_LS, args=LS)
    assert not wrong.ok and "WRONG" in wrong.message
    assert float(wrong.observed_order) == pytest.approx(2.0, abs=0.05)
    assert wrong.worst == tuple(np.unravel_index(np.argmax(wrong.rel_error), (4, 4)))
    withg = fastopt.check_hessian(least_squares, ls_hess, X_LS, args=LS, grad=ls_grad)
    assert withg.ok and withg.gradient_source == "grad" and withg.ngev == 1


def test_check_hessian_matrix_variable():
    res = fastopt.check_hessian(logistic_neuron, neuron_hess, W0, args=NEURON, ndim=2)
    assert res.ok, res.message
    assert res.user_value.shape == (2, 3, 2, 3)
    assert float(res.observed_order) == pytest.approx(3.0, abs=0.4)
    gn = fastopt.check_hessian(logistic_neuron, neuron_hess_gauss_newton, W0, args=NEURON,
                               ndim=2)
    assert not gn.ok and "WRONG" in gn.message
    assert float(gn.observed_order) == pytest.approx(2.0, abs=0.25)
    assert len(gn.worst) == 4
    # a correct Hessian with a wrong gradient: the remainder is O(t), pointing at grad
    badg = fastopt.check_hessian(logistic_neuron, neuron_hess, W0, args=NEURON, ndim=2,
                                 grad=neuron_grad_no_factor_2)
    assert not badg.ok and "SUSPECT" in badg.message and "check_grad" in badg.message
    assert float(badg.observed_order) == pytest.approx(1.0, abs=0.25)
    good = fastopt.check_hessian(logistic_neuron, neuron_hess, W0, args=NEURON, ndim=2,
                                 grad=neuron_grad)
    assert good.ok, good.message


def test_nan_objective_at_x_is_an_error():
    def log_sum(x):
        return np.sum(np.log(x))

    with pytest.raises(ValueError, match="`f` is NaN/inf at x"):
        fastopt.check_grad(log_sum, lambda x: 1.0 / x, np.array([-1.0, 2.0]), jit=False)
    with pytest.raises(ValueError, match=r"`f` is NaN/inf at point \[1\]"):
        fastopt.check_hessian(log_sum, lambda x: np.diag(-1.0 / x**2),
                              np.array([[1.0, 2.0], [-1.0, 2.0]]), jit=False)
