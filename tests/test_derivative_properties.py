"""Properties of the finite-difference derivatives, checked with hypothesis."""

import numba
import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import fastopt

EPS = np.finfo(float).eps


@numba.njit
def quadratic(x, Q, b, c):
    return 0.5 * x @ (Q @ x) + b @ x + c


@numba.njit
def smooth(x):
    return np.sum(np.sin(x) * np.exp(0.1 * x)) + x[0] * x[-1]


coords = st.floats(-10, 10, allow_nan=False, allow_infinity=False)


@st.composite
def quadratic_problems(draw):
    n = draw(st.integers(1, 5))
    M = draw(arrays(np.float64, (n, n), elements=st.floats(-3, 3)))
    b = draw(arrays(np.float64, (n,), elements=st.floats(-3, 3)))
    c = draw(st.floats(-3, 3))
    x = draw(arrays(np.float64, (n,), elements=coords))
    return M + M.T, b, c, x


def _roundoff_bound(Q, b, c, x, h, k):
    """Rounding error of a k-th difference: a few ulps of the largest |f| on the stencil."""
    reach = np.abs(x) + 2 * np.max(h)
    fmax = 0.5 * np.abs(Q).sum() * np.max(reach) ** 2 + np.abs(b) @ reach + abs(c) + 1.0
    return 64 * EPS * fmax / np.min(h) ** k


@settings(max_examples=60, deadline=None)
@given(quadratic_problems())
@example((np.array([[2.0]]), np.array([0.0]), 0.0, np.array([0.0])))
def test_quadratics_are_differentiated_to_roundoff(problem):
    Q, b, c, x = problem
    res = fastopt.gradient(quadratic, x, args=(Q, b, c), full_output=True)
    exact = Q @ x + b
    assert np.max(np.abs(res.value - exact)) <= _roundoff_bound(Q, b, c, x, res.step, 1)
    resh = fastopt.hessian(quadratic, x, args=(Q, b, c), full_output=True)
    assert np.max(np.abs(resh.value - Q)) <= _roundoff_bound(Q, b, c, x, resh.step, 2)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 5)), elements=coords))
def test_hessians_symmetric_and_batched_equals_looped(X):
    H = fastopt.hessian(smooth, X)
    G = fastopt.gradient(smooth, X)
    assert np.array_equal(H, np.swapaxes(H, -1, -2))
    for p in range(X.shape[0]):
        assert np.array_equal(H[p], fastopt.hessian(smooth, X[p]))
        assert np.array_equal(G[p], fastopt.gradient(smooth, X[p]))


@settings(max_examples=10, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(300, 900), st.integers(2, 5)), elements=coords))
def test_results_independent_of_thread_count(X):
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = fastopt.gradient(smooth, X), fastopt.hessian(smooth, X)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = fastopt.gradient(smooth, X), fastopt.hessian(smooth, X)
    finally:
        numba.set_num_threads(before)
    assert np.array_equal(one[0], two[0]) and np.array_equal(one[1], two[1])
