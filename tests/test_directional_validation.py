"""Bad input to hvp, directional_*, check_grad and check_hessian: clear errors."""

import functools

import numba
import numpy as np
import pytest

import fastopt


@numba.njit
def sphere(x):
    return np.sum(x * x)


@numba.njit
def vector_valued(x):
    return x * 2.0


@numba.njit
def sphere_grad(x):
    return 2.0 * x


@numba.njit
def grad_too_long(x):
    return np.zeros(x.size + 1)


@numba.njit
def grad_scalar(x):
    return 2.0 * x[0]


@numba.njit
def grad_nan(x):
    g = 2.0 * x
    g[0] = np.nan
    return g


@numba.njit
def sphere_hess(x):
    return 2.0 * np.eye(x.size)


@numba.njit
def hess_inf(x):
    H = 2.0 * np.eye(x.size)
    H[0, 1] = np.inf
    return H


def hess_wrong_at_second_point(x):
    return 2.0 * np.eye(x.size) if x[0] < 1.5 else np.eye(2)


def _second(f, x, v, **kw):  # a valid u: the bad input is v
    return fastopt.second_directional_derivative(f, x, np.ones(np.shape(x)[-1:]), v, **kw)


DIRECTIONAL = [fastopt.hvp, fastopt.directional_derivative, fastopt.directional_curvature,
               _second]
NAME = {fastopt.directional_curvature: "u"}  # the direction argument's name
CHECKS = [
    functools.partial(fastopt.check_grad, grad=sphere_grad),
    functools.partial(fastopt.check_hessian, hess=sphere_hess),
]


def _call_check(check, f, x, **kw):
    return check(f, x=x, **kw)


@pytest.mark.parametrize("func", DIRECTIONAL)
@pytest.mark.parametrize("f", [None, 3.0, "sin", np.ones(3)])
def test_non_callable_f(func, f):
    with pytest.raises(TypeError, match="`f` must be callable"):
        func(f, [1.0, 2.0], [1.0, 0.0])


@pytest.mark.parametrize("check", CHECKS)
@pytest.mark.parametrize("f", [None, "sin"])
def test_non_callable_f_checks(check, f):
    with pytest.raises(TypeError, match="`f` must be callable"):
        _call_check(check, f, [1.0, 2.0])


@pytest.mark.parametrize("func", DIRECTIONAL)
@pytest.mark.parametrize(("x", "exc", "match"), [
    ([], ValueError, "`x` must not be empty"),
    (["a", "b"], TypeError, "`x` must be a real .* string"),
    (np.array([1 + 1j, 2.0]), TypeError, "`x` must be a real .* complex"),
    ([1.0, np.nan], ValueError, "`x` must be finite"),
])
def test_bad_x(func, x, exc, match):
    with pytest.raises(exc, match=match):
        func(sphere, x, [1.0, 0.0])


@pytest.mark.parametrize("func", DIRECTIONAL)
@pytest.mark.parametrize(("v", "exc", "match"), [
    ([1.0, 2.0], ValueError, r"must have the point shape \(3,\) \(one direction for every "
                             r"point\) or the shape of x \(2, 3\) .* got shape \(2,\)"),
    (np.ones((3, 3)), ValueError, r"must have the point shape \(3,\) .* got shape \(3, 3\)"),
    (np.ones((1, 3)), ValueError, r"must have the point shape .* got shape \(1, 3\)"),
    (np.zeros(3), ValueError, "must be a nonzero direction; got all zeros"),
    ([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]], ValueError,
     r"must be a nonzero direction for every point; [uv]\[1\] is all zeros"),
    ([1.0, np.nan, 0.0], ValueError, "must be finite"),
    ([1.0, np.inf, 0.0], ValueError, "must be finite"),
    ([], ValueError, "must not be empty"),
    (np.array([1j, 0, 0]), TypeError, "must be a real .* complex"),
    (["a", "b", "c"], TypeError, "must be a real .* string"),
    (None, TypeError, "must be a real .* object"),
])
def test_bad_direction(func, v, exc, match):
    name = NAME.get(func, "v")
    with pytest.raises(exc, match=f"`{name}` {match}"):
        func(sphere, np.ones((2, 3)), v)


def test_bad_first_direction_of_second_directional_derivative():
    with pytest.raises(ValueError, match="`u` must be a nonzero direction"):
        fastopt.second_directional_derivative(sphere, [1.0, 2.0], [0.0, 0.0], [1.0, 0.0])
    with pytest.raises(ValueError, match=r"`u` must have the point shape \(2,\)"):
        fastopt.second_directional_derivative(sphere, [1.0, 2.0], [1.0], [1.0, 0.0])


@pytest.mark.parametrize("func", DIRECTIONAL)
@pytest.mark.parametrize(("step", "exc", "match"), [
    (0.0, ValueError, "`step` must be finite and > 0"),
    (-1e-3, ValueError, "`step` must be finite and > 0"),
    (np.nan, ValueError, "`step` must be finite and > 0"),
    (np.inf, ValueError, "`step` must be finite and > 0"),
    ([1e-3, 1e-3], TypeError, "`step` must be a real scalar"),
    ("big", TypeError, "`step` must be a real scalar"),
    (True, TypeError, "`step` must be a real scalar"),
])
def test_bad_step(func, step, exc, match):
    with pytest.raises(exc, match=match):
        func(sphere, [1.0, 2.0], [1.0, 0.0], step=step)


def test_bad_step_hvp_with_grad():
    with pytest.raises(ValueError, match="`step` must be finite and > 0"):
        fastopt.hvp(sphere, [1.0, 2.0], [1.0, 0.0], grad=sphere_grad, step=0.0)


@pytest.mark.parametrize("func", DIRECTIONAL + CHECKS)
@pytest.mark.parametrize("args", [[1.0], 1.0])
def test_args_not_a_tuple(func, args):
    with pytest.raises(TypeError, match="`args` must be a tuple"):
        if func in CHECKS:
            _call_check(func, sphere, [1.0, 2.0], args=args)
        else:
            func(sphere, [1.0, 2.0], [1.0, 0.0], args=args)


@pytest.mark.parametrize("func", DIRECTIONAL)
@pytest.mark.parametrize(("ndim", "exc", "match"), [
    (0, ValueError, "`ndim` must be >= 1"),
    (3, ValueError, "`ndim` must be between 1 and x.ndim = 2"),
    (1.5, TypeError, "`ndim` must be an integer"),
])
def test_bad_ndim(func, ndim, exc, match):
    with pytest.raises(exc, match=match):
        func(sphere, np.ones((2, 2)), np.ones(2), ndim=ndim)


@pytest.mark.parametrize("func", DIRECTIONAL)
def test_non_scalar_objective(func):
    with pytest.raises(TypeError, match="`f` must return a real scalar"):
        func(vector_valued, [1.0, 2.0], [1.0, 0.0])
    with pytest.raises(TypeError, match=r"`f` must return a real scalar .* shape \(2,\)"):
        func(lambda x: x * 2.0, [1.0, 2.0], [1.0, 0.0], jit=False)


# ------------------------------------------------------------------- user derivatives


@pytest.mark.parametrize("grad", [None, 3.0, "grad", np.ones(2)])
def test_non_callable_grad(grad):
    if grad is not None:  # grad=None is hvp's default: finite differences
        with pytest.raises(TypeError, match=r"`grad` must be callable as grad\(x, \*args\)"):
            fastopt.hvp(sphere, [1.0, 2.0], [1.0, 0.0], grad=grad)
    with pytest.raises(TypeError, match=r"`grad` must be callable as grad\(x, \*args\)"):
        fastopt.check_grad(sphere, grad, [1.0, 2.0])
    with pytest.raises(TypeError, match=r"`grad` must be callable"):
        fastopt.check_hessian(sphere, sphere_hess, [1.0, 2.0], grad=1.0 if grad is None else grad)


@pytest.mark.parametrize("hess", [None, 3.0, "hess"])
def test_non_callable_hess(hess):
    with pytest.raises(TypeError, match=r"`hess` must be callable as hess\(x, \*args\)"):
        fastopt.check_hessian(sphere, hess, [1.0, 2.0])


def _grad_calls():
    def hvp(grad, x, **kw):
        return fastopt.hvp(sphere, x, np.ones(np.shape(x)[-1]), grad=grad, **kw)

    def check(grad, x, **kw):
        return fastopt.check_grad(sphere, grad, x, **kw)

    def check_h(grad, x, **kw):
        return fastopt.check_hessian(sphere, sphere_hess, x, grad=grad, **kw)

    return [hvp, check, check_h]


@pytest.mark.parametrize("call", _grad_calls())
def test_grad_returning_the_wrong_shape(call):
    with pytest.raises(ValueError, match=r"`grad` must return an array of shape \(2,\) \(the "
                                         r"point shape\); it returned shape \(3,\)"):
        call(grad_too_long, [1.0, 2.0])
    with pytest.raises(TypeError, match=r"`grad` must return a real float array of shape "
                                        r"\(2,\); it returns float64"):
        call(grad_scalar, [1.0, 2.0])
    with pytest.raises(ValueError, match=r"`grad` must return an array of shape \(2,\)"):
        call(lambda x: [1.0], [1.0, 2.0], jit=False)
    with pytest.raises(TypeError, match="`grad` must return real floats; it returned <U1"):
        call(lambda x: np.array(["a", "b"]), [1.0, 2.0], jit=False)


def test_grad_of_a_matrix_variable_must_have_the_point_shape():
    with pytest.raises(TypeError, match=r"`grad` must return a real float array of shape "
                                        r"\(2, 3\); it returns array\(float64, 1d"):
        fastopt.check_grad(sphere, lambda W: 2.0 * W.ravel(), np.ones((2, 3)), ndim=2)
    with pytest.raises(ValueError, match=r"shape \(2, 3\) \(the point shape\); it returned "
                                         r"shape \(6, 1\)"):
        fastopt.hvp(sphere, np.ones((2, 3)), np.ones((2, 3)), ndim=2,
                    grad=lambda W: 2.0 * W.reshape(6, 1))


@pytest.mark.parametrize("call", _grad_calls()[1:])
def test_grad_returning_nan_is_an_error_for_the_checks(call):
    with pytest.raises(ValueError, match="`grad` returned 1 NaN/inf entries at x"):
        call(grad_nan, [1.0, 2.0])


def test_hvp_grad_returning_nan_marks_the_points():
    with pytest.warns(fastopt.NonFiniteWarning, match="at 1 of 1 points"):
        res = fastopt.hvp(sphere, [1.0, 2.0], [1.0, 0.0], grad=grad_nan, full_output=True)
    assert res.status == fastopt.Status.NONFINITE and np.isnan(res.value[0])


def test_grad_numba_cannot_compile():
    def uses_a_dict(x):
        d = {"a": object()}
        return 2.0 * x + len(d)

    with pytest.raises(TypeError, match="numba could not compile `grad` .* jit=False"):
        fastopt.check_grad(sphere, uses_a_dict, [1.0, 2.0])
    with pytest.raises(TypeError, match="numba could not compile `grad`"):
        fastopt.hvp(sphere, [1.0, 2.0], [1.0, 0.0], grad=uses_a_dict)


def test_hess_returning_the_wrong_shape_or_nonfinite():
    match = r"`hess` must return a real float array of shape \(2, 2\); it returns array\("
    with pytest.raises(TypeError, match=match):
        fastopt.check_hessian(sphere, sphere_grad, [1.0, 2.0])
    with pytest.raises(ValueError, match=r"`hess` must return an array of shape \(2, 2\) "
                                         r"\(point shape \+ point shape\); it returned shape "
                                         r"\(3, 3\)"):
        fastopt.check_hessian(sphere, lambda x: np.eye(3), [1.0, 2.0])
    with pytest.raises(ValueError, match=r"it returned shape \(2, 2\) at point \[1\]"):
        fastopt.check_hessian(sphere.py_func, hess_wrong_at_second_point,
                              np.array([[1.0, 0.0, 0.0], [2.0, 0.0, 0.0]]), jit=False)
    with pytest.raises(ValueError, match="`hess` returned 1 NaN/inf entries at x"):
        fastopt.check_hessian(sphere, hess_inf, [1.0, 2.0])
    with pytest.raises(TypeError, match=r"`hess` must return a real float array of shape "
                                        r"\(2, 3, 2, 3\); it returns array\(float64, 2d"):
        fastopt.check_hessian(sphere, lambda W: 2.0 * np.eye(6), np.ones((2, 3)), ndim=2)
    with pytest.raises(ValueError, match=r"shape \(2, 3, 2, 3\) \(point shape \+ point "
                                         r"shape\); it returned shape \(6, 6\)"):
        fastopt.check_hessian(sphere.py_func, lambda W: 2.0 * np.eye(6), np.ones((2, 3)),
                              ndim=2, jit=False)


@pytest.mark.parametrize("check", CHECKS)
@pytest.mark.parametrize(("kw", "exc", "match"), [
    ({"rtol": 0.0}, ValueError, "`rtol` must be finite and > 0"),
    ({"rtol": -1e-6}, ValueError, "`rtol` must be finite and > 0"),
    ({"rtol": np.nan}, ValueError, "`rtol` must be finite and > 0"),
    ({"rtol": "tight"}, TypeError, "`rtol` must be a real scalar"),
    ({"atol": -1.0}, ValueError, "`atol` must be finite and >= 0"),
    ({"roundoff": 0.0}, ValueError, "`roundoff` must be finite and > 0"),
    ({"t": [1e-2, 1e-3]}, ValueError, "`t` must be a 1-D array of at least 3 distinct positive"),
    ({"t": [1e-2, 0.0, 1e-3]}, ValueError, "`t` must be a 1-D array of at least 3"),
    ({"t": [1e-2, -1e-3, 1e-4]}, ValueError, "`t` must be a 1-D array of at least 3"),
    ({"t": [1e-2, 1e-2, 1e-4]}, ValueError, "`t` must be a 1-D array of at least 3 distinct"),
    ({"t": [1e-2, np.inf, 1e-4]}, ValueError, "`t` must be a 1-D array of at least 3"),
    ({"t": np.ones((3, 3)) / 10}, ValueError, "`t` must be a 1-D array"),
    ({"t": ["a", "b", "c"]}, TypeError, "`t` must be a real"),
    ({"seed": -1}, ValueError, "`seed` must be >= 0"),
    ({"seed": 1.5}, TypeError, "`seed` must be an integer"),
    ({"direction": [0.0, 0.0]}, ValueError, "`direction` must be a nonzero direction"),
    ({"direction": [1.0, 2.0, 3.0]}, ValueError, r"`direction` must have the point shape"),
    ({"direction": [1.0, np.nan]}, ValueError, "`direction` must be finite"),
])
def test_bad_check_options(check, kw, exc, match):
    with pytest.raises(exc, match=match):
        _call_check(check, sphere, [1.0, 2.0], **kw)


@pytest.mark.parametrize("check", CHECKS)
def test_check_bad_x(check):
    with pytest.raises(ValueError, match="`x` must be finite"):
        _call_check(check, sphere, [1.0, np.inf])
    with pytest.raises(ValueError, match="`ndim` must be between 1 and x.ndim = 1"):
        _call_check(check, sphere, [1.0, 2.0], ndim=2)
