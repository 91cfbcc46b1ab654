"""Every bad input named in the issues gets a clear error that names the argument."""

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
def matrix_valued(x):
    return np.outer(x, x)


@numba.njit
def scalar_valued(x):
    return x[0]


DERIVS = [fastopt.gradient, fastopt.hessian, fastopt.jacobian]


@pytest.mark.parametrize("func", DERIVS)
@pytest.mark.parametrize("f", [None, 3.0, "sin", np.ones(3)])
def test_non_callable_f(func, f):
    with pytest.raises(TypeError, match="`f` must be callable"):
        func(f, [1.0, 2.0])


@pytest.mark.parametrize("func", DERIVS)
@pytest.mark.parametrize(("x", "exc", "match"), [
    ([], ValueError, "`x` must not be empty"),
    (np.empty((3, 0)), ValueError, "`x` must not be empty"),
    (["a", "b"], TypeError, "`x` must be a real .* string"),
    (np.array([1 + 1j, 2.0]), TypeError, "`x` must be a real .* complex"),
    (np.array([object(), 1.0], dtype=object), TypeError, "`x` must be a real .* object"),
    (np.array([True, False]), TypeError, "`x` must be a real .* boolean"),
    ([1.0, np.nan], ValueError, "`x` must be finite"),
    ([1.0, np.inf], ValueError, "`x` must be finite"),
    ([[1.0, 2.0], [3.0]], TypeError, "`x` must be a real numeric array"),
])
def test_bad_x(func, x, exc, match):
    f = vector_valued if func is fastopt.jacobian else sphere
    with pytest.raises(exc, match=match):
        func(f, x)


@pytest.mark.parametrize("func", DERIVS)
@pytest.mark.parametrize(("ndim", "exc", "match"), [
    (0, ValueError, "`ndim` must be >= 1"),
    (-1, ValueError, "`ndim` must be >= 1"),
    (3, ValueError, "`ndim` must be between 1 and x.ndim = 2"),
    (1.5, TypeError, "`ndim` must be an integer"),
])
def test_bad_ndim(func, ndim, exc, match):
    with pytest.raises(exc, match=match):
        func(sphere, np.ones((2, 2)), ndim=ndim)


@pytest.mark.parametrize("func", DERIVS)
@pytest.mark.parametrize(("step", "exc", "match"), [
    (0.0, ValueError, "`step` must be finite and > 0"),
    (-1e-3, ValueError, "`step` must be finite and > 0"),
    (np.nan, ValueError, "`step` must be finite and > 0"),
    (np.inf, ValueError, "`step` must be finite and > 0"),
    ([1e-3, 1e-3, 1e-3], ValueError, r"`step` must be a scalar or have the point shape \(2,\)"),
    ("big", TypeError, "`step` must be a positive real number"),
])
def test_bad_step(func, step, exc, match):
    with pytest.raises(exc, match=match):
        func(sphere, [1.0, 2.0], step=step)


@pytest.mark.parametrize(("func", "method", "order", "match"), [
    (fastopt.gradient, "centre", 2, "`method` must be one of 'central', 'forward', 'backward'"),
    (fastopt.gradient, "central", 3, "`order` must be one of 2, 4, 6 for the 'central'"),
    (fastopt.gradient, "forward", 4, "`order` must be one of 1, 2 for the 'forward'"),
    (fastopt.gradient, "backward", 0, "`order` must be one of 1, 2 for the 'backward'"),
    (fastopt.hessian, "forward", 2, "`method` must be one of 'central'"),
    (fastopt.hessian, "central", 6, "`order` must be one of 2, 4 for the 'central' hessian"),
    (fastopt.jacobian, "central", 1, "`order` must be one of 2, 4, 6 for the 'central'"),
    (fastopt.gradient, "central", True, "`order` must be one of"),
    (fastopt.gradient, None, 2, "`method` must be one of"),
])
def test_unknown_method_or_order(func, method, order, match):
    with pytest.raises(ValueError, match=match):
        func(sphere, [1.0, 2.0], method=method, order=order)


@pytest.mark.parametrize("func", DERIVS)
@pytest.mark.parametrize("args", [[1.0], 1.0, np.ones(2)])
def test_args_not_a_tuple(func, args):
    with pytest.raises(TypeError, match="`args` must be a tuple"):
        func(sphere, [1.0, 2.0], args=args)


@pytest.mark.parametrize("func", [fastopt.gradient, fastopt.hessian])
@pytest.mark.parametrize("f", [vector_valued, matrix_valued])
def test_non_scalar_objective(func, f):
    with pytest.raises(TypeError, match="`f` must return a real scalar"):
        func(f, [1.0, 2.0])


@pytest.mark.parametrize("func", [fastopt.gradient, fastopt.hessian])
def test_non_scalar_objective_pure_python(func):
    with pytest.raises(TypeError, match="`f` must return a real scalar .* shape \\(2,\\)"):
        func(lambda x: x * 2.0, [1.0, 2.0], jit=False)


@pytest.mark.parametrize("f", [scalar_valued, matrix_valued])
def test_jacobian_needs_a_1d_array(f):
    with pytest.raises(TypeError, match="`f` must return a 1-D"):
        fastopt.jacobian(f, [1.0, 2.0])
    with pytest.raises(TypeError, match="`f` must return a 1-D"):
        fastopt.jacobian(f.py_func, [1.0, 2.0], jit=False)


def test_numba_cannot_compile_gives_type_error_with_reason_and_fix():
    def uses_a_dict(x):
        d = {"a": object()}
        return x[0] + len(d)

    with pytest.raises(TypeError, match="numba could not compile .* jit=False"):
        fastopt.gradient(uses_a_dict, [1.0, 2.0])
    g = fastopt.gradient(uses_a_dict, [1.0, 2.0], jit=False)
    np.testing.assert_allclose(g, [1.0, 0.0], atol=1e-8)


def test_args_numba_cannot_type():
    with pytest.raises(TypeError, match="`args` cannot be passed to a numba-compiled"):
        fastopt.gradient(lambda x, d: x[0], [1.0], args=({"a": 1},))


@pytest.mark.parametrize("full", [False, True])
def test_full_output_is_a_flag(full):
    out = fastopt.gradient(sphere, [1.0, 2.0], full_output=full)
    assert isinstance(out, fastopt.DerivativeResult) == full


class _CallableObject:
    def __call__(self, x):
        return float(x[0] ** 2)


def test_non_function_callables():
    # a numpy function numba can call is wrapped and compiled
    np.testing.assert_allclose(fastopt.gradient(np.sum, [0.5, 1.0]), [1.0, 1.0], atol=1e-9)
    # a ufunc returns an array for an array point: the usual clear message
    with pytest.raises(TypeError, match="`f` must return a real scalar"):
        fastopt.gradient(np.sin, [0.5])
    # an object numba cannot call: a TypeError naming the fix; jit=False works
    with pytest.raises(TypeError, match="numba could not compile .* jit=False"):
        fastopt.gradient(_CallableObject(), [0.5])
    np.testing.assert_allclose(fastopt.gradient(_CallableObject(), [0.5], jit=False), [1.0],
                               atol=1e-8)
