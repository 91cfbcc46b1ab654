"""Every bad input of fastopt.grid_search gets a clear error before any evaluation."""

import numpy as np
import pytest

import fastopt
from fastopt import _grid as grid_module


class Counting:
    """A pure-Python objective (jit=False) that counts its calls."""

    def __init__(self):
        self.calls = 0

    def __call__(self, x):
        self.calls += 1
        return float(x[0])


GOOD = [(0.0, 1.0), (-1.0, 1.0)]

BAD = [
    # bounds
    ({"bounds": None, "num": 3}, TypeError, r"`bounds` must be a sequence of \(lo, hi\) pairs"),
    ({"bounds": [], "num": 3}, ValueError, r"`bounds` must be a sequence .* got shape \(0,\)"),
    ({"bounds": np.empty((0, 2)), "num": 3}, ValueError, r"shape \(n, 2\).*got shape \(0, 2\)"),
    ({"bounds": [0.0, 1.0], "num": 3}, ValueError, r"shape \(n, 2\).*got shape \(2,\)"),
    ({"bounds": [(0, 1, 2)], "num": 3}, ValueError, r"got shape \(1, 3\)"),
    ({"bounds": [(0, 1), (2,)], "num": 3}, TypeError, "`bounds` must be a real numeric array"),
    ({"bounds": [("a", "b")], "num": 3}, TypeError, "`bounds` must be a real"),
    ({"bounds": [(0j, 1j)], "num": 3}, TypeError, "complex"),
    ({"bounds": [(1.0, 0.0)], "num": 3}, ValueError, r"bounds\[0\] = \(1.0, 0.0\) \(lo >= hi"),
    ({"bounds": [(0, 1), (2.0, 2.0)], "num": 3}, ValueError, r"bounds\[1\].*lo >= hi"),
    ({"bounds": [(0.0, np.inf)], "num": 3}, ValueError, r"`bounds` must be finite; got bounds\[0"),
    ({"bounds": [(np.nan, 1.0)], "num": 3}, ValueError, "`bounds` must be finite"),
    ({"bounds": [(-1e308, 1e308)], "num": 3}, ValueError, "finite width hi - lo"),
    # num / eps
    ({"num": None}, ValueError, "exactly one of `num`.*and `eps`.*got neither"),
    ({"num": 3, "eps": 0.1}, ValueError, "exactly one of `num`.*got both"),
    ({"num": 0}, ValueError, "`num` must be >= 1; got 0"),
    ({"num": -4}, ValueError, "`num` must be >= 1"),
    ({"num": [3, 0]}, ValueError, r"`num\[1\]` must be >= 1; got 0"),
    ({"num": 2.5}, TypeError, "`num` must be an integer"),
    ({"num": True}, TypeError, "`num` must be an integer"),
    ({"num": [2.0, 3.0]}, TypeError, "`num` must be an integer or a sequence of 2 integers"),
    ({"num": [2, 3, 4]}, ValueError, r"one entry per axis, shape \(2,\); got shape \(3,\)"),
    ({"num": 2**32}, ValueError, r"prod\(num\) = 1.845e\+19 points, more than fits in int64"),
    ({"num": None, "eps": 0.0}, ValueError, "`eps` must be finite and > 0"),
    ({"num": None, "eps": -0.1}, ValueError, "`eps` must be finite and > 0"),
    ({"num": None, "eps": np.nan}, ValueError, "`eps` must be finite and > 0"),
    ({"num": None, "eps": [0.1, 0.0]}, ValueError, "`eps` must be finite and > 0"),
    ({"num": None, "eps": [0.1]}, ValueError, r"`eps` must be a scalar or have one entry per"),
    ({"num": None, "eps": "0.1"}, TypeError, "`eps` must be a positive real number"),
    ({"num": None, "eps": 1e-300}, ValueError, "`eps` is too small: axis 0"),
    ({"num": None, "eps": 1e-10}, ValueError, "more than fits in int64"),
    # k, return_values, progress, lipschitz, args, jit
    ({"k": 0}, ValueError, "`k` must be >= 1; got 0"),
    ({"k": 1.5}, TypeError, "`k` must be an integer"),
    ({"k": grid_module.MAX_K + 1}, ValueError, "`k` must be <= 1000000"),
    ({"return_values": 1}, TypeError, "`return_values` must be True or False"),
    ({"num": 2**14, "return_values": True}, ValueError, "return_values=True would allocate"),
    ({"progress": "yes"}, TypeError, "`progress` must be None, True, False or a callable"),
    ({"lipschitz": -1.0}, ValueError, "`lipschitz` must be a finite real number >= 0"),
    ({"lipschitz": np.inf}, ValueError, "`lipschitz` must be a finite real number >= 0"),
    ({"lipschitz": [1.0, 2.0]}, TypeError, "`lipschitz` must be a real number"),
    ({"lipschitz": "1"}, TypeError, "`lipschitz` must be a real number"),
    ({"lipschitz": True}, TypeError, "`lipschitz` must be a real number"),
    ({"args": [1.0]}, TypeError, "`args` must be a tuple"),
    ({"jit": "no"}, TypeError, "`jit` must be True or False"),
]


@pytest.mark.parametrize(("kwargs", "error", "match"), BAD)
def test_bad_input_raises_before_any_evaluation(kwargs, error, match):
    f = Counting()
    options = {"bounds": GOOD, "num": 3, "jit": False} | kwargs
    bounds = options.pop("bounds")
    with pytest.raises(error, match=match):
        fastopt.grid_search(f, bounds, **options)
    assert f.calls == 0


def test_f_not_callable():
    with pytest.raises(TypeError, match="`f` must be callable as f"):
        fastopt.grid_search("x**2", GOOD, num=3)


def test_vector_valued_objective_is_refused():
    def vector(x):
        return x * 2.0

    with pytest.raises(TypeError, match="grid_search needs a real scalar objective"):
        fastopt.grid_search(vector, GOOD, num=3)
    with pytest.raises(TypeError, match="grid_search needs a real scalar objective"):
        fastopt.grid_search(vector, GOOD, num=3, jit=False)


def test_uncompilable_objective_says_how_to_fix():
    def uses_object(x):
        return float(object() is None) + x[0]

    with pytest.raises(TypeError, match="numba could not compile.*jit=False"):
        fastopt.grid_search(uses_object, GOOD, num=3)


def test_progress_true_without_tqdm(monkeypatch):
    monkeypatch.setattr(grid_module, "_tqdm", lambda: None)
    f = Counting()
    with pytest.raises(ImportError, match="progress=True needs tqdm"):
        fastopt.grid_search(f, GOOD, num=3, progress=True, jit=False)
    assert f.calls == 0
    assert fastopt.grid_search(f, GOOD, num=3, jit=False).success  # auto: silently no bar


def test_values_cap_is_documented_and_exact(monkeypatch):
    monkeypatch.setattr(grid_module, "MAX_VALUES_BYTES", 8 * 9)
    f = Counting()
    res = fastopt.grid_search(f, GOOD, num=3, return_values=True, jit=False)
    assert res.values.shape == (3, 3)
    with pytest.raises(ValueError, match="more than the cap fastopt._grid.MAX_VALUES_BYTES"):
        fastopt.grid_search(f, GOOD, num=(3, 4), return_values=True, jit=False)
