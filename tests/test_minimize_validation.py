"""Every bad input of fastopt.minimize (and grid_search(finish=)) gets a clear error.

Input errors are raised before any evaluation; the pure-Python objective counts its calls
to prove it. Wrong shapes or NaN from a user `grad`/`hess` are found by the kernel and
raised after the run. Most cases use jit=False (nothing to compile).
"""

import numba
import numpy as np
import pytest

import fastopt
from fastopt import _minimize
from fastopt.benchmarking import rosenbrock


class Counting:
    """A pure-Python objective (jit=False) that counts its calls."""

    def __init__(self):
        self.calls = 0

    def __call__(self, x):
        self.calls += 1
        return float(np.sum((x - 0.5) ** 2))


X0 = [0.0, 0.0]

BAD = [
    # x0
    ({"x0": 1.0}, ValueError, r"`x0` must have shape \(n,\) .*got a scalar 1.0"),
    ({"x0": []}, ValueError, "`x0` must not be empty"),
    ({"x0": np.zeros((3, 0))}, ValueError, "`x0` must not be empty"),
    ({"x0": [0.0, np.nan]}, ValueError, "`x0` must be finite; got 1 NaN/inf"),
    ({"x0": [0.0, np.inf]}, ValueError, "`x0` must be finite"),
    ({"x0": ["a", "b"]}, TypeError, "`x0` must be a real"),
    ({"x0": [[0.0, 1.0], [2.0]]}, TypeError, "`x0` must be a real numeric array"),
    ({"x0": [1j, 0.0]}, TypeError, "complex"),
    # bounds
    ({"bounds": [(0.5, 1.0), (-1.0, 1.0)]}, ValueError,
     r"`x0` must lie inside `bounds`; 1 point\(s\) do not, e.g. coordinate 0 of point 0"),
    ({"x0": [[0.0, 0.0], [0.0, 3.0]], "bounds": [(-1, 1), (-1, 1)]}, ValueError,
     r"`x0` must lie inside `bounds`; 1 point\(s\).*coordinate 1 of point 1 is 3.0"),
    ({"bounds": [(-1.0, 1.0)]}, ValueError, r"`bounds` must have shape \(2, 2\).*got shape"),
    ({"bounds": [(-1.0, 1.0, 2.0), (0, 1, 2)]}, ValueError, r"got shape \(2, 3\)"),
    ({"bounds": [(1.0, -1.0), (-1.0, 1.0)]}, ValueError, r"lo < hi; got bounds\[0\]"),
    ({"bounds": [(0.0, 0.0), (-1.0, 1.0)]}, ValueError, r"lo < hi; got bounds\[0\]"),
    ({"bounds": [(np.nan, 1.0), (-1.0, 1.0)]}, ValueError, r"lo < hi; got bounds\[0\]"),
    ({"bounds": [("a", 1), (0, 1)]}, TypeError, "`bounds` must be a real"),
    # method, options
    ({"method": "lbfgs"}, ValueError, "`method` must be one of 'bfgs', 'newton', 'gd'; got"),
    ({"method": None}, ValueError, "`method` must be one of"),
    ({"method": "bfgs", "hess": lambda x: np.eye(2)}, ValueError,
     "`hess` is only used by method='newton'; got method='bfgs'"),
    ({"gtol": 0.0}, ValueError, "`gtol` must be finite and > 0; got 0.0"),
    ({"gtol": -1e-8}, ValueError, "`gtol` must be finite and > 0"),
    ({"gtol": np.nan}, ValueError, "`gtol` must be finite and > 0"),
    ({"gtol": np.inf}, ValueError, "`gtol` must be finite and > 0"),
    ({"gtol": "1e-8"}, TypeError, "`gtol` must be a real scalar"),
    ({"gtol": True}, TypeError, "`gtol` must be a real scalar"),
    ({"maxiter": 0}, ValueError, "`maxiter` must be >= 1; got 0"),
    ({"maxiter": -5}, ValueError, "`maxiter` must be >= 1"),
    ({"maxiter": 2.5}, TypeError, "`maxiter` must be an integer"),
    ({"maxiter": True}, TypeError, "`maxiter` must be an integer"),
    ({"args": 1.0}, TypeError, r"`args` must be a tuple .*write args=\(value,\)"),
    ({"jit": "no"}, TypeError, "`jit` must be True or False"),
    ({"return_path": 1}, TypeError, "`return_path` must be True or False"),
    ({"grad": "g"}, TypeError, r"`grad` must be callable as grad\(x, \*args\)"),
    ({"hess": 3, "method": "newton"}, TypeError, "`hess` must be callable"),
    ({"x0": np.zeros((10**4, 2)), "return_path": True, "maxiter": 10**5}, ValueError,
     r"return_path=True would allocate .* MiB .*MAX_PATH_BYTES"),
]


@pytest.mark.parametrize(("kwargs", "exc", "match"), BAD)
def test_bad_input_raises_before_evaluating(kwargs, exc, match):
    f = Counting()
    kwargs = dict(kwargs)
    x0 = kwargs.pop("x0", X0)
    kwargs.setdefault("jit", False)
    with pytest.raises(exc, match=match):
        fastopt.minimize(f, x0, **kwargs)
    assert f.calls == 0


def test_f_not_callable():
    with pytest.raises(TypeError, match=r"`f` must be callable as f\(x, \*args\); got int"):
        fastopt.minimize(3, X0)


def test_f_returning_an_array():
    with pytest.raises(TypeError, match="minimize needs a real scalar objective"):
        fastopt.minimize(lambda x: np.array([1.0, 2.0]), X0, jit=False)


def test_f_numba_cannot_compile():
    def f(x):
        return {"a": x}[1]  # a dict lookup numba rejects

    with pytest.raises(TypeError, match="numba could not compile `f`.*jit=False"):
        fastopt.minimize(f, X0)


def test_bounds_with_none_like_scipy():
    f = Counting()
    res = fastopt.minimize(f, [0.0, 0.0], bounds=[(None, 0.25), (-1.0, None)], jit=False)
    assert res.success
    np.testing.assert_allclose(res.x, [0.25, 0.5], atol=1e-8)


# ----------------------------------------------- user derivatives checked after the run


def g_wrong_size(x):
    return np.zeros(3)


def g_nan(x):
    return np.full(2, np.nan)


def h_wrong_shape(x):
    return np.eye(3)


def h_nan(x):
    return np.full((2, 2), np.nan)


def g_ok(x):
    return 2.0 * (x - 0.5)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"grad": g_wrong_size}, r"`grad` must return an array of shape \(2,\) \(the shape of "
                                 r"x\); it returned shape \(3,\) at x = \[0.0, 0.0\]"),
        ({"grad": g_nan}, r"`grad` returned NaN/inf at the start x = \[0.0, 0.0\], where f is"),
        ({"grad": g_ok, "hess": h_wrong_shape, "method": "newton"},
         r"`hess` must return an array of shape \(2, 2\).*it returned shape \(3, 3\)"),
        ({"grad": g_ok, "hess": h_nan, "method": "newton"},
         r"`hess` returned NaN/inf at the start x = \[0.0, 0.0\], where f and its gradient"),
        ({"hess": h_nan, "method": "newton"}, "`hess` returned NaN/inf at the start"),
        ({"grad": lambda x: [0.0, 1.0, 2.0]}, r"it returned shape \(3,\)"),
        ({"grad": lambda x: 1.0}, r"it returned shape \(\)"),
    ],
)
def test_user_derivatives_wrong_shape_or_nan(kwargs, match):
    with pytest.raises(ValueError, match=match):
        fastopt.minimize(Counting(), X0, jit=False, **kwargs)


def test_user_derivative_errors_name_the_start():
    starts = np.array([[0.0, 0.0], [1.0, 1.0]])

    def g(x):
        return np.zeros(2) if x[0] == 0.0 else np.zeros(5)

    with pytest.raises(ValueError, match=r"at x = \[1.0, 1.0\] \(start x0\[1\]\)"):
        fastopt.minimize(Counting(), starts, grad=g, jit=False)


@numba.njit
def grad_wrong_size_jit(x):
    return np.zeros(x.size + 1)


@numba.njit
def grad_matrix_jit(x):
    return np.zeros((2, 2))


def test_user_grad_wrong_shape_compiled():
    with pytest.raises(ValueError, match=r"`grad` must return an array of shape \(2,\)"):
        fastopt.minimize(rosenbrock, X0, grad=grad_wrong_size_jit)
    with pytest.raises(TypeError, match=r"`grad` must return a real float array of shape"):
        fastopt.minimize(rosenbrock, X0, grad=grad_matrix_jit)


def test_nan_from_f_at_a_start_is_a_status_not_an_error():
    def f(x):
        return np.nan if x[0] > 1 else float(np.sum(x**2))

    with pytest.warns(fastopt.NonFiniteWarning, match="1 of 2 starts"):
        res = fastopt.minimize(f, [[0.5, 0.5], [2.0, 0.0]], jit=False)
    assert list(res.status) == [fastopt.Status.SUCCESS, fastopt.Status.NONFINITE]


# ------------------------------------------------------------- grid_search(finish=...)


@pytest.mark.parametrize(
    ("finish", "exc", "match"),
    [
        ("lbfgs", ValueError, "`finish` must be one of None, 'bfgs', 'newton', 'gd'; got"),
        (3, ValueError, "`finish` must be one of"),
        (True, ValueError, "`finish` must be one of"),
    ],
)
def test_grid_search_bad_finish(finish, exc, match):
    f = Counting()
    with pytest.raises(exc, match=match):
        fastopt.grid_search(f, [(0.0, 1.0)], num=5, finish=finish, jit=False)
    assert f.calls == 0


def test_grid_search_finish_pure_python():
    f = Counting()
    res = fastopt.grid_search(f, [(0.0, 1.0), (0.0, 2.0)], num=4, finish="newton", jit=False)
    assert res.polished.success
    np.testing.assert_allclose(res.polished.x, [0.5, 0.5], atol=1e-8)
    assert f.calls == res.nfev + res.polished.nfev


def test_messages_list_methods():
    assert _minimize.METHODS == ("bfgs", "newton", "gd")
