"""Bad input to classify_hessians, classify_points and find_critical_points: every case
named in issue 4 raises a clear error (or gets a per-entry status, tested in
test_critical.py)."""

import numba
import numpy as np
import pytest

import fastopt


@numba.njit
def bowl(x):
    return x[0] ** 2 + x[1] ** 2


@numba.njit
def vector(x):
    return x * 2.0


GOOD_H = np.eye(2)


# ----------------------------------------------------------------------------- H
@pytest.mark.parametrize(("H", "match"), [
    (np.ones((2, 3)), r"`H` must have shape \(\.\.\., n, n\).*got shape \(2, 3\)"),
    (np.ones((4, 2, 3)), r"square matrices .*got shape \(4, 2, 3\)"),
    (np.ones(3), r"got shape \(3,\)"),
    (np.ones(()), r"got shape \(\)"),
    (np.ones((0, 0)), r"n >= 1.*got shape \(0, 0\)"),
    (np.ones((3, 0, 0)), r"got shape \(3, 0, 0\)"),
])
def test_hessians_must_be_square(H, match):
    with pytest.raises(ValueError, match=match):
        fastopt.classify_hessians(H)


@pytest.mark.parametrize(("H", "what"), [
    (np.eye(2) * (1 + 1j), "complex"),
    (np.array([["a", "b"], ["c", "d"]]), "string"),
    (np.array([[object(), 1], [1, 1]], dtype=object), "object"),
    (np.eye(2, dtype=bool), "boolean"),
])
def test_hessians_must_be_real(H, what):
    with pytest.raises(TypeError, match=rf"`H` must be a real .*got {what}"):
        fastopt.classify_hessians(H)


def test_hessians_ragged():
    with pytest.raises((TypeError, ValueError), match="`H`"):
        fastopt.classify_hessians([[1.0, 2.0], [3.0]])


def test_asymmetric_hessian_is_rejected_with_its_index():
    H = np.array([np.eye(3), np.eye(3), np.eye(3)])
    H[2, 0, 1] = 1e-6
    for eigenvalues in (True, False):
        with pytest.raises(ValueError, match=r"`H` must be symmetric: H\[2\] has max "
                                             r"\|H_ij - H_ji\| = 1e-06.*swapaxes"):
            fastopt.classify_hessians(H, eigenvalues=eigenvalues)
    stack = np.zeros((2, 3, 2, 2))
    stack[1, 2] = [[1.0, 2.0], [0.0, 1.0]]
    with pytest.raises(ValueError, match=r"H\[1, 2\]"):
        fastopt.classify_hessians(stack)


@pytest.mark.parametrize(("tol", "exc", "match"), [
    (-1e-3, ValueError, r"`tol` must be finite and >= 0; got -0.001"),
    (np.nan, ValueError, r"`tol` must be finite and >= 0"),
    (np.inf, ValueError, r"`tol` must be finite and >= 0"),
    ([1e-3, -1.0], ValueError, r"`tol` must be finite and >= 0"),
    ("small", TypeError, r"`tol` must be None or a real number >= 0"),
    (1j, TypeError, r"`tol` must be None or a real number"),
    (True, TypeError, r"`tol` must be None or a real number"),
    (np.ones(3), ValueError, r"`tol` must be a scalar or broadcastable to the batch shape"
                             r" \(2,\); got shape \(3,\)"),
])
def test_bad_tol(tol, exc, match):
    with pytest.raises(exc, match=match):
        fastopt.classify_hessians(np.array([GOOD_H, GOOD_H]), tol=tol)


def test_bad_eigenvalues_flag():
    with pytest.raises(TypeError, match=r"`eigenvalues` must be True or False; got 'no'"):
        fastopt.classify_hessians(GOOD_H, eigenvalues="no")


# ----------------------------------------------------------------------------- points
@pytest.mark.parametrize(("kwargs", "exc", "match"), [
    (dict(gtol=-1.0), ValueError, r"`gtol` must be finite and >= 0; got -1.0"),
    (dict(tol=-1.0), ValueError, r"`tol` must be finite and >= 0; got -1.0"),
    (dict(gtol=np.nan), ValueError, r"`gtol` must be finite and >= 0"),
    (dict(gtol=[1.0, 2.0, 3.0]), ValueError, r"`gtol` must be a scalar or broadcastable"),
    (dict(tol="x"), TypeError, r"`tol` must be None or a real number"),
    (dict(ndim=0), ValueError, r"`ndim` must be >= 1"),
    (dict(ndim=3), ValueError, r"`ndim` must be between 1 and x.ndim = 2"),
    (dict(args=[1.0]), TypeError, r"`args` must be a tuple"),
    (dict(jit="yes"), TypeError, r"`jit` must be True or False"),
])
def test_classify_points_bad_options(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        fastopt.classify_points(bowl, np.zeros((2, 2)), **kwargs)


def test_classify_points_bad_points_and_objectives():
    with pytest.raises(TypeError, match=r"`x` must be a real .*complex"):
        fastopt.classify_points(bowl, np.zeros((2, 2)) + 1j)
    with pytest.raises(ValueError, match=r"`x` must not be empty"):
        fastopt.classify_points(bowl, np.zeros((0, 2)))
    with pytest.raises(TypeError, match=r"`f` must be callable"):
        fastopt.classify_points("bowl", np.zeros(2))
    with pytest.raises(TypeError, match=r"`f` must return a real scalar"):
        fastopt.classify_points(vector, np.zeros(2))


# ----------------------------------------------------------------------------- search
@pytest.mark.parametrize(("bounds", "exc", "match"), [
    (None, TypeError, r"`bounds` must be a sequence of \(lo, hi\) pairs.*got None"),
    ([1.0, 2.0], ValueError, r"`bounds` must be a sequence of \(lo, hi\) pairs.*shape \(2,\)"),
    ([(0.0, 1.0, 2.0)], ValueError, r"shape \(n, 2\).*got shape \(1, 3\)"),
    (np.zeros((0, 2)), ValueError, r"got shape \(0, 2\)"),
    ([(0.0, 1.0), (1.0, 1.0)], ValueError, r"bounds\[1\] = \(1.0, 1.0\) \(lo >= hi"),
    ([(2.0, 1.0)], ValueError, r"bounds\[0\] = \(2.0, 1.0\) \(lo >= hi: inverted or empty\)"),
    ([(0.0, np.inf)], ValueError, r"`bounds` must be finite"),
    ([(np.nan, 1.0)], ValueError, r"`bounds` must be finite"),
    ([("a", "b")], TypeError, r"`bounds` must be a real"),
])
def test_find_bad_bounds(bounds, exc, match):
    with pytest.raises(exc, match=match):
        fastopt.find_critical_points(bowl, bounds)


@pytest.mark.parametrize(("kwargs", "exc", "match"), [
    (dict(num=1), ValueError, r"`num` must be >= 2; got 1"),
    (dict(num=0), ValueError, r"`num` must be >= 2; got 0"),
    (dict(num=[5, 1]), ValueError, r"`num\[1\]` must be >= 2; got 1"),
    (dict(num=[5, 5, 5]), ValueError, r"`num` must be an int or a sequence of n = 2 ints"),
    (dict(num=2.5), TypeError, r"`num` must be an integer; got 2.5"),
    (dict(num=10**4), ValueError, r"grid of 100000000 Newton starts, more than MAX_STARTS"),
    (dict(maxiter=0), ValueError, r"`maxiter` must be >= 1; got 0"),
    (dict(xtol=0.0), ValueError, r"`xtol` must be finite and > 0"),
    (dict(xtol="tiny"), TypeError, r"`xtol` must be a positive real number"),
    (dict(gtol=-1.0), ValueError, r"`gtol` must be finite and >= 0"),
    (dict(tol=-1.0), ValueError, r"`tol` must be finite and >= 0"),
    (dict(merge_tol=0.0), ValueError, r"`merge_tol` must be > 0"),
    (dict(merge_tol=[1e-3, 1e-3, 1e-3]), ValueError, r"`merge_tol` must be a scalar or "
                                                    r"broadcastable to the batch shape \(2,\)"),
    (dict(args=3), TypeError, r"`args` must be a tuple"),
])
def test_find_bad_options(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        fastopt.find_critical_points(bowl, [(-1.0, 1.0), (-1.0, 1.0)], **kwargs)


def test_find_bad_objective():
    with pytest.raises(TypeError, match=r"`f` must be callable"):
        fastopt.find_critical_points(None, [(-1.0, 1.0)])
    with pytest.raises(TypeError, match=r"`f` must return a real scalar"):
        fastopt.find_critical_points(vector, [(-1.0, 1.0)])
