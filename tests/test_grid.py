"""fastopt.grid_search and the grid kernels against the materialised grid (issue 5)."""

import math
import signal

import numba
import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import fastopt
from fastopt import GridResult, NonFiniteWarning, Status, kernels
from fastopt import _grid as grid_module
from fastopt._jit import serial_twin

# ----------------------------------------------------------------- objectives (compiled once)


@numba.njit
def sphere_shift(x, c):
    return np.sum((x - c) ** 2)


@numba.njit
def const(x):
    return 1.0


@numba.njit
def plateaus(x):
    """Integer valued, symmetric in sign: many exact ties."""
    s = 0.0
    for i in range(x.shape[0]):
        s += math.floor(abs(x[i]) * (i + 2))
    return s


@numba.njit
def holes(x):
    """NaN for x0 > 0.3 (where the unconstrained minimum is), +-inf in two strips."""
    if x[0] > 0.3:
        return np.nan
    if x[x.shape[0] - 1] < -0.7:
        return np.inf
    if x[x.shape[0] - 1] > 0.9:
        return -np.inf
    return (x[0] - 0.5) ** 2 + np.sum(x[1:] ** 2)


@numba.njit
def all_nan(x):
    return np.nan


@numba.njit
def distance(x, c):
    """1-Lipschitz, minimum 0 at c."""
    return np.sqrt(np.sum((x - c) ** 2))


@numba.njit
def integer_valued(x):
    return int(10 * x[0]) - int(10 * x[1])


def py_poly(x):
    """A plain Python objective (compiled by numba for jit=True, pure Python for jit=False)."""
    a = x[0] - 0.3
    b = x[1] * x[1]
    return a * a * (x[0] + 1.0) + 0.5 * b * b - x[0] * x[1]  # no `**`: libm pow differs


# ---------------------------------------------------------------------------- reference


def axes_of(bounds, num):
    return [
        np.linspace(lo, hi, m) if m > 1 else np.array([lo + (hi - lo) / 2])
        for (lo, hi), m in zip(bounds, num, strict=True)
    ]


def materialise(f, bounds, num, args=()):
    """Grid points (C order) and values of shape num, evaluated one by one."""
    mesh = np.meshgrid(*axes_of(bounds, num), indexing="ij")
    points = np.stack([m.ravel() for m in mesh], axis=1)
    values = np.array([float(f(p.copy(), *args)) for p in points])
    return points, values.reshape(num)


def expected_best(values, k):
    masked = np.where(np.isfinite(values), values, np.inf).ravel()
    order = np.argsort(masked, kind="stable")[:k]
    return order[np.isfinite(masked[order])]


def assert_matches_reference(res, f, bounds, num, args=(), k=1):
    points, values = materialise(f, bounds, num, args)
    order = expected_best(values, k)
    np.testing.assert_array_equal(res.indices, order)
    np.testing.assert_array_equal(res.funs, values.ravel()[order])
    np.testing.assert_array_equal(res.xs, points[order])
    if order.size:
        assert res.index == order[0]
        assert res.fun == values.ravel()[order[0]]
        np.testing.assert_array_equal(res.x, points[order[0]])
    assert res.nnonfinite == np.count_nonzero(~np.isfinite(values))
    assert res.nfev == values.size
    assert res.num == tuple(num)
    return values


CASES = {
    "sphere-args": (sphere_shift, [(-1.0, 1.0), (-2.0, 0.5)], (17, 12), (np.array([0.13, -0.4]),)),
    "constant-ties": (const, [(-1.0, 1.0), (0.0, 3.0), (-5.0, 5.0)], (4, 5, 3), ()),
    "plateau-ties": (plateaus, [(-1.0, 1.0), (-1.0, 1.0)], (21, 21), ()),
    "nan-inf-regions": (holes, [(-1.0, 1.0), (-1.0, 1.0)], (23, 19), ()),
    "one-point-axis": (sphere_shift, [(-1.0, 1.0), (0.0, 2.0)], (9, 1), (np.array([0.3, 0.0]),)),
    "1-d": (plateaus, [(-3.0, 2.0)], (101,), ()),
}


@pytest.mark.parametrize("case", CASES)
def test_argmin_equals_materialised_argmin(case):
    f, bounds, num, args = CASES[case]
    res = fastopt.grid_search(f, bounds, num=num, args=args)
    assert isinstance(res, GridResult)
    assert res.status == Status.SUCCESS and res.success
    assert_matches_reference(res, f, bounds, num, args)


@pytest.mark.parametrize("case", CASES)
def test_k_best_equals_stable_argsort(case):
    f, bounds, num, args = CASES[case]
    res = fastopt.grid_search(f, bounds, num=num, args=args, k=7)
    assert_matches_reference(res, f, bounds, num, args, k=7)


@pytest.mark.parametrize("k", [1, 5])
def test_return_values(k):
    f, bounds, num, args = CASES["nan-inf-regions"]
    res = fastopt.grid_search(f, bounds, num=num, args=args, k=k, return_values=True)
    values = assert_matches_reference(res, f, bounds, num, args, k=k)
    assert res.values.shape == num
    np.testing.assert_array_equal(res.values, values)


def test_k_larger_than_the_grid_returns_every_finite_point():
    f, bounds, num, args = CASES["nan-inf-regions"]
    res = fastopt.grid_search(f, bounds, num=(3, 4), k=1000)
    _, values = materialise(f, bounds, (3, 4))
    assert res.xs.shape == (np.count_nonzero(np.isfinite(values)), 2)
    assert_matches_reference(res, f, bounds, (3, 4), k=1000)


def test_all_nonfinite_warns_and_returns_nan():
    with pytest.warns(NonFiniteWarning, match="NaN/inf at all 12 grid points"):
        res = fastopt.grid_search(all_nan, [(0, 1), (0, 1)], num=(3, 4), k=2, lipschitz=1.0)
    assert res.status == Status.NONFINITE and not res.success
    assert res.index == -1 and math.isnan(res.fun) and np.all(np.isnan(res.x))
    assert res.xs.shape == (0, 2) and res.nnonfinite == 12
    assert res.bound == math.inf


def test_integer_valued_objective():
    res = fastopt.grid_search(integer_valued, [(0, 1), (0, 1)], num=11)
    assert res.fun == -10.0 and res.index == 10  # x = (0, 1), first of the ties


# ------------------------------------------------------------------------ point placement


def test_points_are_linspace_and_endpoints_exact():
    bounds = [(0.1, 0.7), (-3.0, 1e-3), (2.0, 5.0)]
    num = (7, 4, 1)
    res = fastopt.grid_search(sphere_shift, bounds, num=num, args=(np.zeros(3),),
                              return_values=True)
    out = np.empty(3)
    lo, hi = np.array(bounds).T.copy()
    for index in range(res.values.size):
        j = np.unravel_index(index, num)
        kernels.grid_point(lo, hi, np.array(num), index, out)
        expected = [a[ji] for a, ji in zip(axes_of(bounds, num), j, strict=True)]
        np.testing.assert_array_equal(out, expected)
    kernels.grid_point(lo, hi, np.array(num), 6 * 4 + 3, out)
    assert out[0] == 0.7 and out[1] == 1e-3 and out[2] == 3.5  # hi exactly; midpoint
    np.testing.assert_array_equal(res.spacing, [(0.7 - 0.1) / 6, (1e-3 + 3.0) / 3, 3.0])


@pytest.mark.parametrize(
    ("bounds", "eps", "num"),
    [
        ([(0.0, 1.0)], 0.1, (11,)),
        ([(0.1, 0.4)], 0.1, (4,)),  # 0.3 / 0.1 = 2.9999999999999996: tolerance
        ([(0.1, 0.4)], 0.07, (6,)),  # ceil(4.29) + 1
        ([(0.1, 0.7), (0.0, 2.0)], [0.25, 1.0], (4, 3)),
        ([(0.0, 1.0)], 5.0, (2,)),  # eps wider than the box: both endpoints
    ],
)
def test_eps_gives_num_and_spacing_at_most_eps(bounds, eps, num):
    res = fastopt.grid_search(sphere_shift, bounds, eps=eps, args=(np.zeros(len(bounds)),),
                              return_values=True)
    assert res.num == num
    assert np.all(res.spacing <= np.asarray(eps) * (1 + 1e-12))
    by_num = fastopt.grid_search(sphere_shift, bounds, num=num, args=(np.zeros(len(bounds)),),
                                 return_values=True)
    np.testing.assert_array_equal(res.values, by_num.values)
    last = np.empty(len(bounds))
    lo, hi = np.array(bounds).T.copy()
    kernels.grid_point(lo, hi, np.array(num), int(np.prod(num)) - 1, last)
    np.testing.assert_array_equal(last, hi)


# --------------------------------------------------------------------------- Lipschitz


def test_lipschitz_bound_holds_and_is_tight():
    bounds = [(-1.0, 1.0), (0.0, 3.0)]
    num = (11, 7)  # spacing (0.2, 0.5)
    spacing = np.array([0.2, 0.5])
    half = np.linalg.norm(spacing) / 2
    # minimum 0 at the centre of a cell: the distance to the nearest grid point is
    # exactly ||spacing|| / 2, the worst case of the bound
    centre = np.array([-1.0 + 3.5 * 0.2, 4.5 * 0.5])
    res = fastopt.grid_search(distance, bounds, num=num, args=(centre,), lipschitz=1.0)
    assert res.bound == pytest.approx(half, rel=1e-15)
    assert 0.0 <= res.fun - 0.0 <= res.bound * (1 + 1e-12)
    assert res.fun == pytest.approx(res.bound, rel=1e-9)
    rng = np.random.default_rng(5)
    for c in rng.uniform([-1.0, 0.0], [1.0, 3.0], size=(20, 2)):
        r = fastopt.grid_search(distance, bounds, num=num, args=(c,), lipschitz=2.5)
        assert r.fun <= 2.5 * half * (1 + 1e-12) and r.bound == pytest.approx(2.5 * half)


def test_lipschitz_bound_is_inf_without_guarantee():
    f, bounds, num, args = CASES["nan-inf-regions"]
    res = fastopt.grid_search(f, bounds, num=num, lipschitz=1.0)
    assert res.nnonfinite > 0 and res.bound == math.inf
    assert fastopt.grid_search(const, [(0, 1)], num=3).bound is None


# ---------------------------------------------------------- determinism across threads


@pytest.fixture
def restore_threads():
    before = numba.get_num_threads()
    yield
    numba.set_num_threads(before)


def _summary(res):
    return (res.index, res.fun, res.indices.tolist(), res.funs.tolist(), res.nnonfinite)


@pytest.mark.parametrize(("f", "k"), [(plateaus, 9), (holes, 1)])
def test_same_answer_for_1_and_2_threads(f, k, restore_threads):
    bounds, num = [(-1.0, 1.0), (-1.0, 1.0)], (301, 257)  # parallel path, many chunks
    results = {}
    for threads in (1, 2):
        numba.set_num_threads(threads)
        results[threads] = _summary(fastopt.grid_search(f, bounds, num=num, k=k))
    assert results[1] == results[2]
    _, values = materialise(f, bounds, num)
    assert results[1][2] == expected_best(values, k).tolist()


def test_parallel_kernels_same_answer_for_1_and_2_threads(restore_threads):
    lo, hi, num = np.array([-1.0, -1.0]), np.array([1.0, 1.0]), np.array([97, 89])
    total = 97 * 89
    out = {}
    for threads in (1, 2):
        numba.set_num_threads(threads)
        v, i = np.empty(6), np.empty(6, np.int64)
        vals = np.empty(total - 5)
        out[threads] = (
            kernels.grid_argmin(plateaus, lo, hi, num, 3, total - 2, ()),
            kernels.grid_topk(plateaus, lo, hi, num, 3, total - 2, (), v, i),
            v.tolist(),
            i.tolist(),
            kernels.grid_values(plateaus, lo, hi, num, 3, total - 2, (), vals),
            vals.tolist(),
        )
    assert out[1] == out[2]
    assert out[1][0] == kernels.grid_scan_range(plateaus, lo, hi, num, 3, total - 2, ())


# --------------------------------------------------------------------- kernels, merges


def test_split_ranges_merge_to_the_full_answer():
    """The distributed-scan recipe: scan pieces anywhere, merge (value, index) pairs."""
    lo, hi, num = np.array([-1.0, -1.0]), np.array([1.0, 1.0]), np.array([40, 33])
    total = 40 * 33
    full = kernels.grid_scan_range(plateaus, lo, hi, num, 0, total, ())
    fv, fi = np.empty(8), np.empty(8, np.int64)
    kernels.grid_topk_range(plateaus, lo, hi, num, 0, total, (), fv, fi)
    rng = np.random.default_rng(1)
    for _ in range(10):
        cuts = np.unique(np.r_[0, rng.integers(0, total, 6), total])
        pieces = list(zip(cuts[:-1], cuts[1:], strict=True))
        rng.shuffle(pieces)  # merge order does not matter
        best, index, nbad = math.inf, -1, 0
        tv, ti = np.full(8, np.inf), np.full(8, -1, np.int64)
        for s, e in pieces:
            b, i, nb = kernels.grid_scan_range(plateaus, lo, hi, num, s, e, ())
            best, index = kernels.merge_argmin(best, index, b, i)
            nbad += nb
            pv, pi = np.empty(8), np.empty(8, np.int64)
            kernels.grid_topk_range(plateaus, lo, hi, num, s, e, (), pv, pi)
            ov, oi = np.empty(8), np.empty(8, np.int64)
            kernels.merge_topk(tv, ti, pv, pi, ov, oi)
            tv, ti = ov, oi
        assert (best, index, nbad) == full
        assert ti.tolist() == fi.tolist() and tv.tolist() == fv.tolist()


def test_merge_argmin_tie_and_empty_rules():
    assert kernels.merge_argmin(1.0, 7, 1.0, 3) == (1.0, 3)
    assert kernels.merge_argmin(1.0, 3, 1.0, 7) == (1.0, 3)
    assert kernels.merge_argmin(0.5, 9, 1.0, 3) == (0.5, 9)
    assert kernels.merge_argmin(math.inf, -1, 2.0, 4) == (2.0, 4)
    assert kernels.merge_argmin(2.0, 4, math.inf, -1) == (2.0, 4)
    assert kernels.merge_argmin(math.inf, -1, math.inf, -1)[1] == -1


def test_empty_range_and_indices_beyond_2_to_53():
    lo, hi = np.zeros(3), np.ones(3)
    num = np.array([2**21, 2**21, 2**20], dtype=np.int64)
    total = 2**62
    assert kernels.grid_scan_range(sphere_shift, lo, hi, num, 5, 5, (hi,)) == (math.inf, -1, 0)
    for kernel in (kernels.grid_argmin, serial_twin(kernels.grid_argmin),
                   kernels.grid_scan_range):
        best, index, nbad = kernel(sphere_shift, lo, hi, num, total - 50, total, (hi,))
        assert (best, index, nbad) == (0.0, total - 1, 0)
    x = np.empty(3)
    kernels.grid_point(lo, hi, num, total - 2, x)
    assert x[0] == 1.0 and x[1] == 1.0 and x[2] == (2**20 - 2) * (1.0 / (2**20 - 1))


@numba.njit
def user_simulation(lo, hi, num, c):
    """A user's njit code running a scan and decoding the winner."""
    best, index, nbad = kernels.grid_scan_range(sphere_shift, lo, hi, num, 0, 121, (c,))
    x = np.empty(lo.shape[0])
    kernels.grid_point(lo, hi, num, index, x)
    vals = np.empty(3)
    idx = np.empty(3, np.int64)
    kernels.grid_topk_range(sphere_shift, lo, hi, num, 0, 121, (c,), vals, idx)
    return best, index, x, idx


@numba.njit(parallel=True)
def user_prange(lo, hi, num, centres):
    """A user's prange over problems, a serial scan (and a parallel one) per problem."""
    m = centres.shape[0]
    out = np.empty(m, np.int64)
    out_par = np.empty(m, np.int64)
    for p in numba.prange(m):
        out[p] = kernels.grid_scan_range(sphere_shift, lo, hi, num, 0, 121, (centres[p],))[1]
        out_par[p] = kernels.grid_argmin(sphere_shift, lo, hi, num, 0, 121, (centres[p],))[1]
    return out, out_par


def test_kernels_from_user_njit_and_prange():
    lo, hi, num = np.array([-1.0, -1.0]), np.array([1.0, 1.0]), np.array([11, 11])
    c = np.array([0.21, -0.58])
    best, index, x, idx = user_simulation(lo, hi, num, c)
    res = fastopt.grid_search(sphere_shift, [(-1, 1), (-1, 1)], num=11, args=(c,), k=3)
    assert (best, index) == (res.fun, res.index)
    np.testing.assert_array_equal(x, res.x)
    np.testing.assert_array_equal(idx, res.indices)
    centres = np.random.default_rng(2).uniform(-1, 1, size=(16, 2))
    serial, nested = user_prange(lo, hi, num, centres)
    expected = [
        fastopt.grid_search(sphere_shift, [(-1, 1), (-1, 1)], num=11, args=(cc,)).index
        for cc in centres
    ]
    assert serial.tolist() == expected and nested.tolist() == expected


# ---------------------------------------------------------------------------- jit=False


@pytest.mark.parametrize("k", [1, 4])
def test_jit_false_gives_identical_answers(k):
    bounds, num = [(-1.0, 1.0), (-1.5, 1.5)], (37, 29)
    fast = fastopt.grid_search(py_poly, bounds, num=num, k=k, return_values=True)
    slow = fastopt.grid_search(py_poly, bounds, num=num, k=k, return_values=True, jit=False)
    assert _summary(fast) == _summary(slow)
    np.testing.assert_array_equal(fast.values, slow.values)
    np.testing.assert_array_equal(fast.xs, slow.xs)
    assert slow.nfev == fast.nfev + 1  # the probe evaluation
    assert_matches_reference(fast, py_poly, bounds, num, k=k)


def test_jit_false_runs_objectives_numba_cannot_compile():
    table = {"a": 1.5}

    def uses_dict(x):
        return table["a"] * (x[0] - 0.25) ** 2

    with pytest.raises(TypeError, match="numba could not compile"):
        fastopt.grid_search(uses_dict, [(0, 1)], num=5)
    res = fastopt.grid_search(uses_dict, [(0, 1)], num=5, jit=False)
    assert res.index == 1 and res.fun == 0.0


# --------------------------------------------------------------------- interrupt, progress


class Stop:
    """A progress callback that raises KeyboardInterrupt (or SIGINT) at call `at`."""

    def __init__(self, at=1, sigint=False):
        self.at, self.sigint, self.calls = at, sigint, []

    def __call__(self, done, total):
        self.calls.append((done, total))
        if len(self.calls) == self.at:
            if self.sigint:
                signal.raise_signal(signal.SIGINT)
            else:
                raise KeyboardInterrupt


@pytest.mark.parametrize("sigint", [False, True])
@pytest.mark.parametrize("k", [1, 3])
def test_interrupt_returns_best_so_far(sigint, k):
    f, bounds, num = holes, [(-1.0, 1.0), (-1.0, 1.0)], (150, 150)
    stop = Stop(at=1, sigint=sigint)
    res = fastopt.grid_search(f, bounds, num=num, k=k, progress=stop, lipschitz=1.0,
                              return_values=True)
    first = grid_module._FIRST_BLOCK
    assert stop.calls == [(first, 150 * 150)]
    assert res.status == Status.INTERRUPTED and not res.success
    assert res.nfev == first and "interrupted after 4096 of 22500" in res.message
    assert res.bound == math.inf
    _, values = materialise(f, bounds, num)
    prefix = values.ravel()[:first]
    order = expected_best(prefix, k)
    np.testing.assert_array_equal(res.indices, order)
    np.testing.assert_array_equal(res.funs, prefix[order])
    assert res.nnonfinite == np.count_nonzero(~np.isfinite(prefix))
    np.testing.assert_array_equal(res.values.ravel()[:first], prefix)
    assert np.all(np.isnan(res.values.ravel()[first:]))
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_interrupt_at_a_later_block():
    num = (300, 300, 300)  # the second block is at most 1024 * 4096 points: not the rest
    stop = Stop(at=2)
    res = fastopt.grid_search(plateaus, [(-1.0, 1.0)] * 3, num=num, progress=stop, k=4)
    assert res.status == Status.INTERRUPTED and res.nfev == stop.calls[1][0] < 300**3
    axis = np.linspace(-1.0, 1.0, 300)
    j = np.unravel_index(np.arange(res.nfev), num)
    values = sum(np.floor(np.abs(axis[j[i]]) * (i + 2)) for i in range(3))
    np.testing.assert_array_equal(res.indices, expected_best(values, 4))


def test_progress_callback_sees_every_block_and_a_full_scan():
    calls = []
    res = fastopt.grid_search(plateaus, [(-1.0, 1.0)] * 3, num=60,
                              progress=lambda d, t: calls.append((d, t)))
    done = [d for d, _ in calls]
    assert done == sorted(done) and done[-1] == 60**3 and calls[0][0] == 4096
    assert all(t == 60**3 for _, t in calls) and res.status == Status.SUCCESS


def test_progress_bar_true_false_and_auto(capsys):
    pytest.importorskip("tqdm")
    fastopt.grid_search(plateaus, [(-1.0, 1.0)] * 2, num=100, progress=True)
    assert "grid_search" in capsys.readouterr().err
    fastopt.grid_search(plateaus, [(-1.0, 1.0)] * 2, num=100, progress=False)
    fastopt.grid_search(plateaus, [(-1.0, 1.0)] * 2, num=100)  # auto: short scan, no tty
    assert capsys.readouterr().err == ""


def test_progress_auto_shows_a_bar_for_long_scans_on_a_terminal(capsys, monkeypatch):
    pytest.importorskip("tqdm")
    monkeypatch.setattr(grid_module, "_isatty", lambda: True)
    monkeypatch.setattr(grid_module, "_AUTO_PROGRESS_SECONDS", 0.0)  # "long" = any
    fastopt.grid_search(plateaus, [(-1.0, 1.0)] * 3, num=60)
    assert "grid_search" in capsys.readouterr().err
    monkeypatch.setattr(grid_module, "_AUTO_PROGRESS_SECONDS", 1e9)
    fastopt.grid_search(plateaus, [(-1.0, 1.0)] * 3, num=60)
    assert capsys.readouterr().err == ""


def test_next_block_rule():
    assert grid_module._next_block(4096, 1e12, 10**12) == 4096 * grid_module._BLOCK_GROWTH
    assert grid_module._next_block(4096, 1e6, 10**9) == 250_000
    assert grid_module._next_block(4096, 1e6, 300_000) == 300_000  # the rest in one go
    assert grid_module._next_block(4096, 1.0, 10**9) == 1


# ------------------------------------------------------------------------------ property


small_bounds = st.tuples(
    st.floats(-10, 10, allow_nan=False), st.floats(0.01, 10, allow_nan=False)
).map(lambda t: (t[0], t[0] + t[1]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    bounds=st.lists(small_bounds, min_size=1, max_size=3),
    nums=st.lists(st.integers(1, 7), min_size=3, max_size=3),
    k=st.integers(1, 6),
    start_frac=st.floats(0, 1),
    centre=st.floats(-1, 1),
)
@example(bounds=[(-1.0, 1.0)], nums=[5, 1, 1], k=3, start_frac=0.0, centre=0.0)
def test_property_equals_materialised_argmin(bounds, nums, k, start_frac, centre):
    num = tuple(nums[: len(bounds)])
    lo, hi = np.array(bounds).T.copy()
    c = lo + (hi - lo) * (centre + 1) / 2  # plateaus around c: ties
    res = fastopt.grid_search(plateaus_around, bounds, num=num, k=k, args=(c,))
    assert_matches_reference(res, plateaus_around, bounds, num, (c,), k=k)
    # the parallel kernel on a sub-range equals the materialised argmin of that range
    total = int(np.prod(num))
    start = int(start_frac * total)
    _, values = materialise(plateaus_around, bounds, num, (c,))
    best, index, nbad = kernels.grid_argmin(plateaus_around, lo, hi, np.array(num), start,
                                            total, (c,))
    sub = values.ravel()[start:]
    order = expected_best(sub, 1)
    assert index == (start + order[0] if order.size else -1)
    assert nbad == 0


@numba.njit
def plateaus_around(x, c):
    s = 0.0
    for i in range(x.shape[0]):
        s += math.floor(2.0 * abs(x[i] - c[i]))
    return s
