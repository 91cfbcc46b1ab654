"""Optimality tests: eigen/inertia kernels, classify_hessians, classify_points and
find_critical_points against numpy.linalg.eigvalsh and analytic critical points.

Objectives are module-level numba functions compiled once: every 2-D polynomial test
problem is the same function ``poly2`` with a different coefficient array, so the
finite-difference and Newton kernels are compiled once for all of them.
"""

import math

import numba
import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from numba import prange

import fastopt
from fastopt import NonFiniteWarning, kernels
from fastopt import PointType as P
from fastopt.kernels import _critical as kcrit
from fastopt.kernels import _qr_codegen, _qr_unrolled
from fastopt.kernels._claim import claim
from fastopt.kernels._prefetch import prefetch

RNG = np.random.default_rng(20240601)


# ----------------------------------------------------------------------------- objectives
@numba.njit
def poly2(x, C):
    """sum_ij C[i, j] x0^i x1^j."""
    s = 0.0
    for i in range(C.shape[0]):
        for j in range(C.shape[1]):
            if C[i, j] != 0.0:
                s += C[i, j] * x[0] ** i * x[1] ** j
    return s


@numba.njit
def sincos(x):
    return math.sin(x[0]) * math.cos(x[1])


def coef(**terms):
    """coef(x2=1, y2=-1) -> C with C[2, 0] = 1, C[0, 2] = -1; xNyM for mixed terms."""
    C = np.zeros((5, 5))
    for name, value in terms.items():
        i = j = 0
        for part in name.replace("y", " y").split():
            if part.startswith("x"):
                i = int(part[1:] or 1)
            elif part.startswith("y"):
                j = int(part[1:] or 1)
            else:  # c: the constant
                pass
        C[i, j] += value
    return C


BOWL = coef(x2=1.0, y2=1.0)
CAP = coef(x2=-1.0, y2=-1.0)
SADDLE = coef(x2=1.0, y2=-1.0)
CUBIC = coef(x3=1.0, y3=-1.0)
QUARTIC = coef(x4=1.0, y4=1.0)
# (x^2 - 1)^2 + (y^2 - 1)^2
DOUBLE_WELL = coef(x4=1.0, x2=-2.0, y4=1.0, y2=-2.0, c=2.0)
# 100 (y - x^2)^2 + (1 - x)^2
ROSEN = coef(y2=100.0, x2y=-200.0, x4=100.0, c=1.0, x=-2.0, x2=1.0)
NEAR_SINGULAR = coef(x2=1.0, y2=1e-5, y4=1.0)  # definite: eigenvalues 2, 2e-5
SINGULAR = coef(x2=1.0, y4=1.0)  # Hessian diag(2, 0) at 0
QUAD_TINY = coef(x2=1.0, y2=1e-9)  # a quadratic: FD is exact, 2e-9 is resolved
QUAD_SINGULAR = coef(x2=1.0)


def test_coef_helper():
    assert ROSEN[0, 2] == 100 and ROSEN[2, 1] == -200 and ROSEN[4, 0] == 100
    assert ROSEN[0, 0] == 1 and ROSEN[1, 0] == -2 and ROSEN[2, 0] == 1
    x = np.array([0.3, -0.7])
    assert poly2(x, ROSEN) == pytest.approx(100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2)
    assert poly2(x, DOUBLE_WELL) == pytest.approx((x[0] ** 2 - 1) ** 2 + (x[1] ** 2 - 1) ** 2)


# ----------------------------------------------------------------------------- matrices
def random_symmetric(n, rng=RNG):
    A = rng.standard_normal((n, n))
    return A + A.T


def orthogonal(n, rng=RNG):
    Q, R = np.linalg.qr(rng.standard_normal((n, n)))
    return Q * np.sign(np.diag(R))


def clustered(n, rng=RNG):
    """Q diag(d) Q^T with (nearly) repeated eigenvalues, zeros and a wide range."""
    base = rng.choice([-2.0, 0.0, 1.0, 3.0], size=n)
    d = base + rng.standard_normal(n) * 10.0 ** rng.integers(-16, -5, size=n)
    Q = orthogonal(n, rng)
    H = (Q * d) @ Q.T
    return (H + H.T) / 2


def matrix_cases(n):
    cases = [("random", random_symmetric(n)) for _ in range(4)]
    cases += [("clustered", clustered(n)) for _ in range(6)]
    cases += [("zero", np.zeros((n, n))), ("diagonal", np.diag(RNG.standard_normal(n)))]
    cases += [("identity", 3.0 * np.eye(n)), ("rank1", np.outer(*(2 * [RNG.normal(size=n)])))]
    cases += [("huge", random_symmetric(n) * 1e200), ("tiny", random_symmetric(n) * 1e-200)]
    Q = orthogonal(n)
    triple = (Q * np.r_[np.full(min(n, 3), 5.0), np.ones(n - min(n, 3))]) @ Q.T
    cases += [("triple", (triple + triple.T) / 2)]
    return cases


def spectral_norm(H):
    return float(np.max(np.abs(np.linalg.eigvalsh(H)))) if H.size else 0.0


SIZES = [1, 2, 3, 4, 5, 6, 7, 8, 20, 30]


@pytest.mark.parametrize("n", SIZES)
def test_eigenvalues_match_lapack(n):
    cases = matrix_cases(n)
    H = np.array([h for _, h in cases])
    ref = np.linalg.eigvalsh(H)
    res = fastopt.classify_hessians(H)
    one = np.empty((len(cases), n))
    work = np.empty((2 * n + 2, n))
    for k, (_, h) in enumerate(cases):
        kernels.symmetric_eigenvalues(h, work, one[k])
    for k, (name, h) in enumerate(cases):
        scale = max(spectral_norm(h), 1e-300)
        err = np.max(np.abs(res.eigenvalues[k] - ref[k])) / scale
        err1 = np.max(np.abs(one[k] - ref[k])) / scale
        assert err <= 1e-12, (name, err)
        assert err1 <= 1e-12, (name, err1)
        assert np.all(np.diff(res.eigenvalues[k]) >= 0)


@pytest.mark.parametrize("n", [4, 5, 6, 8, 13, 40])
def test_batch_eigenvalues_do_not_depend_on_the_other_matrices(n):
    """Blocks of matrices are solved together (QR lanes): each result is its own."""
    H = np.array([clustered(n) for _ in range(40)] + [random_symmetric(n) for _ in range(60)]
                 + [np.zeros((n, n)), np.eye(n), random_symmetric(n) * 1e200])
    batch = fastopt.classify_hessians(H).eigenvalues
    reversed_ = fastopt.classify_hessians(H[::-1]).eigenvalues[::-1]
    alone = np.array([fastopt.classify_hessians(h).eigenvalues for h in H])
    assert np.array_equal(batch, reversed_) and np.array_equal(batch, alone)


@pytest.mark.parametrize("n", [3, 4, 6, 30])
def test_lapack_and_ql_batches_agree(n):
    H = np.array([clustered(n) for _ in range(20)] + [random_symmetric(n) for _ in range(20)])
    outs = []
    for kernel in (kernels.classify_hessians_batch, kernels.classify_hessians_batch_lapack):
        eig, tol = np.empty((40, n)), np.empty(40)
        inertia, kind = np.empty((40, 3), np.int8), np.empty(40, np.int8)
        assert kernel(H, np.zeros(1), 1e-13, 1e-12, eig, inertia, kind, tol) == -1
        outs.append(eig)
    scale = np.abs(outs[1]).max()
    np.testing.assert_allclose(outs[0], outs[1], rtol=0, atol=1e-12 * scale)


@pytest.mark.parametrize("n", _qr_unrolled.SIZES)
def test_generated_kernels_agree_with_the_generic_lanes(n):
    """The register-resident kernels generated for small n (selected by
    ``size_tag(n)``) give the generic lanes' inertia, kinds and tolerances to the last
    bit (the same Householder arithmetic and Sturm counts), and their eigenvalues within
    round-off (their QR rotation is the one-division form, the generic lanes' the
    two-division one), on clustered, random, zero, identity, NaN and huge matrices, in a
    batch that is not a multiple of 64 (the block size). A tag of another size runs the
    generic lanes, bit for bit."""
    rng = np.random.default_rng(n + 7)
    H = np.array([clustered(n, rng) for _ in range(60)] + [random_symmetric(n, rng)
                                                         for _ in range(60)]
                 + [np.zeros((n, n)), np.eye(n), random_symmetric(n, rng) * 1e200])
    H[5, 0, 1] = np.nan
    outs = []
    # the last: the tag of another generated n (a build other tests compile anyway; a
    # tag of a size without kernels would cost its own ~30 s build in every CI run)
    other = kernels.size_tag(5 if n == 4 else 4)
    for size in ((), kernels.size_tag(n), other):
        N = len(H)
        eig, tol = np.empty((N, n)), np.empty(N)
        inertia, kind = np.empty((N, 3), np.int8), np.empty(N, np.int8)
        assert kernels.classify_hessians_batch(H, np.zeros(1), 1e-13, 1e-12, eig, inertia,
                                               kind, tol, size) == -1
        counts, kind2, tol2 = np.empty((N, 3), np.int8), np.empty(N, np.int8), np.empty(N)
        assert kernels.inertia_hessians_batch(H, np.zeros(1), 1e-13, 1e-12, counts, kind2,
                                              tol2, size) == -1
        outs.append((eig, inertia, kind, tol, counts, kind2, tol2))
    assert len(kernels.size_tag(n)) == n
    for generic, mistagged in zip(outs[0], outs[2], strict=True):
        np.testing.assert_array_equal(generic, mistagged)
    for generic, generated in zip(outs[0][1:], outs[1][1:], strict=True):
        np.testing.assert_array_equal(generic, generated)
    scale = n * np.abs(np.nan_to_num(H)).max(axis=(1, 2))  # >= ||H||_F, no overflow
    ok = np.isfinite(outs[0][0]).all(axis=1)
    assert ok.sum() == len(H) - 1 and np.isfinite(outs[1][0][ok]).all()
    err = np.abs(outs[1][0] - outs[0][0])[ok].max(axis=1)
    assert (err <= 8 * np.finfo(float).eps * scale[ok]).all()


@numba.njit
def _prefetched_sum(H):
    for k in range(H.shape[0]):
        for i in range(H.shape[1]):
            prefetch(H, k, i, 0)
            prefetch(H, k, i, H.shape[2] - 1)
    return H.sum()


def test_prefetch_is_only_a_hint():
    """The prefetch of the lane kernels' next block changes nothing, compiled on any
    strides (reversed, every other column) or run as plain Python."""
    H = np.arange(60.0).reshape(5, 3, 4)
    for view in (H, H[::-1], H[:, :, ::2]):
        assert _prefetched_sum(view) == view.sum()
        assert _prefetched_sum.py_func(view) == view.sum()
    assert prefetch(H, 0, 0, 0) is None


@numba.njit(parallel=True)
def _claimed_by_slots(nc):
    seen = np.zeros(nc, dtype=np.int64)
    counter = np.zeros(1, dtype=np.int64)
    for _ in prange(nc):  # as the batch drivers: worker slots claiming chunks
        c = claim(counter)
        while c < nc:
            seen[c] += 1
            c = claim(counter)
    return seen, counter  # not counter[0]: numba would read it before the loop


def test_claimed_chunks_are_each_handed_out_once():
    """The batch drivers' worker slots claim every chunk exactly once, on all threads
    and on one; each slot's last claim finds the work gone (nc + nc claims)."""
    before = numba.get_num_threads()
    try:
        for threads in (before, 1):
            numba.set_num_threads(threads)
            for nc in (1, 7, 256, 1000):
                seen, counter = _claimed_by_slots(nc)
                assert (seen == 1).all() and counter[0] == 2 * nc
    finally:
        numba.set_num_threads(before)
    counter = np.zeros(1, dtype=np.int64)
    assert [claim(counter) for _ in range(3)] == [0, 1, 2] and counter[0] == 3


def test_generated_qr_module_is_the_generator_output():
    with open(_qr_unrolled.__file__) as fh:
        assert fh.read() == _qr_codegen.module_source()
    assert _qr_unrolled.WIDTH == kernels._eigen.LANES
    assert float(_qr_codegen.HH_SKIP) == kernels._eigen._HH_SKIP


def test_three_by_three_batch_lanes_match_the_one_matrix_kernel_bit_for_bit():
    """Batches of n = 3 run the closed form over blocks of matrices (vectorised); it
    gives the one-matrix kernel's eigenvalues and kinds to the last bit, and leaves the
    matrices it cannot finish (nearly repeated eigenvalues, multiples of I, NaN, extreme
    scales) to the scalar path, in a batch that is not a multiple of 64 (the block size)."""
    rng = np.random.default_rng(11)
    H = np.array([clustered(3, rng) for _ in range(100)]
                 + [random_symmetric(3, rng) for _ in range(100)]
                 + [np.zeros((3, 3)), np.eye(3), -3.0 * np.eye(3),
                    random_symmetric(3, rng) * 1e200, random_symmetric(3, rng) * 1e-170])
    H[7, 0, 1] = np.nan
    with pytest.warns(fastopt.NonFiniteWarning):
        res = fastopt.classify_hessians(H)
    work, inertia = np.empty((8, 3)), np.empty(3, np.int64)
    for k in range(len(H)):
        one = np.empty(3)
        kind = kernels.classify_hessian(H[k], res.tol[k], work, one, inertia)
        np.testing.assert_array_equal(res.eigenvalues[k], one)
        assert res.kind[k] == kind
        if k != 7:
            np.testing.assert_array_equal(res.inertia[k], inertia)


@numba.njit(error_model="numpy")  # as the library's kernels: 1 / 0 is inf, not an error
def _tridiagonal_both_ways(H):
    """Diagonal and subdiagonal of each 3 x 3 in H, by the generic memory-row lanes and
    by the selector every build calls (the generated reduction for n = 3)."""
    n, N, E = 3, H.shape[0], kernels._eigen
    out = np.empty((2, N, 2 * n - 1))
    for way in range(2):
        for k0 in range(0, N, E.LANES):
            L = min(E.LANES, N - k0)
            A, V = np.zeros((n, n, E.LANES)), np.zeros((E._NV + 2 * n, E.LANES))
            E._lanes_load(H, k0, L, A, V)
            if way == 0:
                E._lanes_tridiagonal(A, n, L, V)
            else:
                E._lanes_tridiagonal_sized((), A, n, L, V)
            for ln in range(L):
                for i in range(n):
                    out[way, k0 + ln, i] = A[i, i, ln]
                for i in range(n - 1):
                    out[way, k0 + ln, n + i] = A[i + 1, i, ln]
    return out


def test_generated_three_by_three_reduction_is_the_generic_one_bit_for_bit():
    """The inertia path's Householder reduction for n = 3 (generated, used whatever the
    size tag) gives the generic lanes' tridiagonal to the last bit, on clustered,
    random, zero, diagonal (skipped reflection) and huge matrices, in a batch that is
    not a multiple of 64 (the block size)."""
    rng = np.random.default_rng(3)
    H = np.array([clustered(3, rng) for _ in range(40)]
                 + [random_symmetric(3, rng) for _ in range(40)]
                 + [np.zeros((3, 3)), np.diag([1.0, -2.0, 3.0]), np.eye(3),
                    random_symmetric(3, rng) * 1e150])
    H[9, 2, 0] = H[9, 0, 2] = 0.0
    generic, generated = _tridiagonal_both_ways(H)
    np.testing.assert_array_equal(generic, generated)
    ref = np.linalg.eigvalsh(H)
    for k in range(len(H)):  # and it is a tridiagonal similar to H
        d, e = generated[k, :3], generated[k, 3:]
        T = np.diag(d) + np.diag(e, 1) + np.diag(e, -1)
        np.testing.assert_allclose(np.linalg.eigvalsh(T), ref[k], rtol=0,
                                   atol=1e-14 * np.abs(H[k]).sum())


def test_three_by_three_closed_form_and_fallback():
    # well separated: closed form; repeated pair and triple: QL fallback; both accurate
    Q = orthogonal(3)
    for d in ([1.0, 2.0, 4.0], [1.0, 1.0 + 1e-9, 3.0], [2.0, 2.0, 2.0], [-1.0, -1.0, -1e-12],
              [0.0, 0.0, 1e-300]):
        H = (Q * d) @ Q.T
        H = (H + H.T) / 2
        out = np.empty(3)
        kernels.symmetric_eigenvalues(H, np.empty((8, 3)), out)
        np.testing.assert_allclose(out, np.linalg.eigvalsh(H), rtol=0,
                                   atol=1e-13 * max(abs(np.array(d)).max(), 1e-300))


@pytest.mark.parametrize("n", SIZES)
def test_inertia_counts_match_eigenvalues(n):
    cases = [random_symmetric(n) for _ in range(10)] + [np.diag(RNG.normal(size=n))]
    cases.append(np.diag(np.r_[np.zeros(n // 2), np.ones(n - n // 2)]))
    work = np.empty((2 * n + 2, n))
    for H in cases:
        ev = np.linalg.eigvalsh(H)
        tol = 1e-9 * max(1.0, np.abs(ev).max())
        neg, zero, pos = kernels.symmetric_inertia(H, 0.0, work)
        if np.all(np.abs(ev) > tol):
            assert (neg, zero, pos) == (np.sum(ev < 0), 0, np.sum(ev > 0))
        inertia = np.empty(3, np.int64)
        kind = kernels.classify_hessian_inertia(H, tol, work, inertia)
        expected = (np.sum(ev < -tol), np.sum(np.abs(ev) <= tol), np.sum(ev > tol))
        assert tuple(inertia) == expected
        inertia2 = np.empty(3, np.int64)
        kind2 = kernels.classify_hessian(H, tol, work, np.empty(n), inertia2)
        assert kind == kind2 and tuple(inertia2) == expected


def test_shifted_inertia_falls_back_to_bunch_kaufman():
    # zero diagonal: the unpivoted factorisation meets a zero pivot, Bunch-Kaufman does not
    H = np.array([[0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0],
                  [0.0, 0.0, 0.0, 2.0], [0.0, 0.0, 2.0, 0.0]])
    assert kernels.symmetric_inertia(H, 0.0, np.empty((10, 4))) == (2, 0, 2)
    assert kernels.symmetric_inertia(H, 1.5, np.empty((10, 4))) == (3, 0, 1)
    assert kernels.symmetric_inertia(H, 2.0, np.empty((10, 4))) == (3, 1, 0)


# ----------------------------------------------------------------------------- properties
def _symmetric_from(seed, n, kind):
    rng = np.random.default_rng(seed)
    if kind == 0:
        return random_symmetric(n, rng)
    if kind == 1:
        return clustered(n, rng)
    return np.diag(rng.choice([-1.0, 0.0, 1.0], size=n))


settings_ = settings(max_examples=40, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow])


@settings_
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 9), kind=st.integers(0, 2))
@example(seed=0, n=3, kind=2)
def test_property_eigenvalues_invariant_under_orthogonal_similarity(seed, n, kind):
    H = _symmetric_from(seed, n, kind)
    Q = orthogonal(n, np.random.default_rng(seed + 1))
    G = Q @ H @ Q.T
    G = (G + G.T) / 2
    a = fastopt.classify_hessians(np.array([H, G]), tol=0.0).eigenvalues
    scale = max(spectral_norm(H), 1.0)
    np.testing.assert_allclose(a[0], a[1], rtol=0, atol=1e-12 * scale)


@settings_
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 9), kind=st.integers(0, 2),
       rel=st.sampled_from([0.0, 1e-12, 1e-3, 0.3]))
def test_property_inertia_and_eigenvalue_paths_agree(seed, n, kind, rel):
    H = _symmetric_from(seed, n, kind)
    tol = rel * max(spectral_norm(H), 1.0)
    eig = fastopt.classify_hessians(H, tol=tol)
    ine = fastopt.classify_hessians(H, tol=tol, eigenvalues=False)
    ev = eig.eigenvalues
    # counts follow from the eigenvalues with the same tol ...
    assert tuple(eig.inertia) == (np.sum(ev < -tol), np.sum(np.abs(ev) <= tol),
                                  np.sum(ev > tol))
    # ... and the inertia path agrees unless an eigenvalue is within round-off of +-tol
    margin = 1e-10 * max(spectral_norm(H), 1.0)
    if np.all(np.abs(np.abs(ev) - tol) > margin):
        assert tuple(ine.inertia) == tuple(eig.inertia)
        assert ine.kind == eig.kind
    assert eig.inertia.sum() == n


def test_paths_agree_on_a_large_random_stack():
    for n in (2, 3, 4, 6, 12, 30):
        H = np.array([random_symmetric(n) for _ in range(300)] + [clustered(n)
                                                                   for _ in range(300)])
        a = fastopt.classify_hessians(H)
        b = fastopt.classify_hessians(H, eigenvalues=False)
        ev = a.eigenvalues
        tol = a.tol[:, None]
        clear = np.all(np.abs(np.abs(ev) - tol) > 1e-10 * np.abs(ev).max(), axis=1)
        assert clear.mean() > 0.45  # not vacuous: about half (the clustered stacks sit at 0)
        np.testing.assert_array_equal(a.kind[clear], b.kind[clear])
        np.testing.assert_array_equal(a.inertia[clear], b.inertia[clear])
        np.testing.assert_array_equal(a.tol, b.tol)


# ----------------------------------------------------------------------------- API
@pytest.mark.parametrize("n", [3, 4, 6, 13, 40])
def test_inertia_path_counts_match_lapack_on_hard_stacks(n):
    """The batch inertia path (tridiagonalisation + Sturm counts for 3 <= n <= 64) on
    exactly singular matrices with repeated eigenvalues -1, 0, 1, zero, tiny and huge
    matrices and a NaN: the counts of eigvalsh's eigenvalues with the same tolerance."""
    rng = np.random.default_rng(n)
    Q = np.array([orthogonal(n, rng) for _ in range(120)])
    D = rng.integers(-1, 2, size=(120, n)).astype(float)
    singular = np.einsum("kij,kj,klj->kil", Q, D, Q)
    H = np.concatenate([singular, [random_symmetric(n, rng) for _ in range(40)],
                        [np.zeros((n, n)), random_symmetric(n, rng) * 1e-170,
                         random_symmetric(n, rng) * 1e160]])
    res = fastopt.classify_hessians(H, eigenvalues=False)
    ev = np.linalg.eigvalsh(H)
    tol = res.tol[:, None]
    expected = np.stack([(ev < -tol).sum(1), (np.abs(ev) <= tol).sum(1), (ev > tol).sum(1)], 1)
    np.testing.assert_array_equal(res.inertia, expected)
    assert np.array_equal(res.inertia[:120], np.stack([(D < 0).sum(1), (D == 0).sum(1),
                                                       (D > 0).sum(1)], 1))
    # each matrix's verdict is its own: the same alone, in the batch and reversed
    rev = fastopt.classify_hessians(H[::-1], eigenvalues=False).inertia[::-1]
    alone = np.array([fastopt.classify_hessians(h, eigenvalues=False).inertia for h in H[::7]])
    assert np.array_equal(res.inertia, rev) and np.array_equal(res.inertia[::7], alone)
    # NaN in one matrix: NONFINITE there only
    H[5, 1, 2] = np.nan
    with pytest.warns(fastopt.NonFiniteWarning):
        bad = fastopt.classify_hessians(H, eigenvalues=False)
    assert bad.kind[5] == fastopt.PointType.NONFINITE
    keep = np.arange(len(H)) != 5
    np.testing.assert_array_equal(bad.inertia[keep], res.inertia[keep])


@pytest.mark.parametrize("n", [4, 5, 6, 13, 40, 64])
def test_eigenvalue_lanes_match_lapack_on_hard_stacks(n):
    """The batch eigenvalue path (Householder + tridiagonal QR for 4 <= n <= 64) on
    exactly singular matrices with repeated eigenvalues -1, 0, 1, clustered and random
    ones, and zero, tiny and huge matrices (1e+-95 in the lanes, 1e-170 and 1e160 on
    the scalar path): eigvalsh's eigenvalues to 1e-12 ||H||."""
    rng = np.random.default_rng(n + 1000)
    Q = np.array([orthogonal(n, rng) for _ in range(50)])
    D = rng.integers(-1, 2, size=(50, n)).astype(float)
    H = np.concatenate([np.einsum("kij,kj,klj->kil", Q, D, Q),
                        [clustered(n, rng) for _ in range(30)],
                        [random_symmetric(n, rng) for _ in range(30)],
                        # inside the lanes' range, far from 1 (their power-of-two scaling)
                        [random_symmetric(n, rng) * 1e-95, clustered(n, rng) * 1e-90,
                         random_symmetric(n, rng) * 1e95],
                        [np.zeros((n, n)), random_symmetric(n, rng) * 1e-170,
                         random_symmetric(n, rng) * 1e160]])
    res = fastopt.classify_hessians(H)
    ref = np.linalg.eigvalsh(H)
    err = np.abs(res.eigenvalues - ref).max(axis=1)
    assert np.all(err <= 1e-12 * np.abs(ref).max(axis=1)), err.max()
    assert np.array_equal(res.eigenvalues[-3], np.zeros(n))


def test_two_by_two_inertia_lanes_match_the_eigenvalue_path_exactly():
    """n = 2 batches: the vectorised pass (both paths run it; the eigenvalue path keeps
    its eigenvalues) against the inertia-only path and the scalar closed form of the
    one-matrix kernel, bit for bit, with eigenvalues exactly at +-tol, per-matrix
    tolerances, and the matrices it leaves to the scalar path (zero, tiny, huge, an
    off-diagonal below its sqrt range, NaN)."""
    rng = np.random.default_rng(2)
    H = rng.standard_normal((1000, 2, 2))
    H = H + H.swapaxes(1, 2)
    H[:300] = np.round(H[:300])  # [[0, 1], [1, 0]] and the like: eigenvalues at +-1
    H[300] = 0.0
    H[301] *= 1e-150
    H[302] *= 1e150
    H[303] = [[1.0, 1e-160], [1e-160, 1.0]]
    for tol in (None, 1.0, 0.0, rng.uniform(0.0, 2.0, 1000)):
        a = fastopt.classify_hessians(H, tol=tol)
        b = fastopt.classify_hessians(H, tol=tol, eigenvalues=False)
        np.testing.assert_array_equal(a.inertia, b.inertia)
        np.testing.assert_array_equal(a.kind, b.kind)
        np.testing.assert_array_equal(a.tol, b.tol)
    # the eigenvalues of the batch pass are the one-matrix kernel's, bit for bit (but
    # for the 1e+-150-scaled ones, which that kernel rescales first: to round-off)
    work, one = np.empty((6, 2)), np.empty(2)
    batch = fastopt.classify_hessians(H).eigenvalues
    for k in range(len(H)):
        kernels.symmetric_eigenvalues(H[k], work, one)
        if k in (301, 302):
            np.testing.assert_allclose(batch[k], one, rtol=4e-16, atol=0)
        else:
            np.testing.assert_array_equal(batch[k], one)
    ev = np.linalg.eigvalsh(H[:300])
    assert np.sum(np.abs(ev) == 1.0) > 50  # the ties are there ...
    ones = fastopt.classify_hessians(H[:300], tol=1.0, eigenvalues=False).inertia
    np.testing.assert_array_equal(ones[:, 1], np.sum(np.abs(ev) <= 1.0, axis=1))  # ... zero
    H[7, 0, 1] = np.nan
    with pytest.warns(fastopt.NonFiniteWarning):
        bad = fastopt.classify_hessians(H, eigenvalues=False)
    assert bad.kind[7] == fastopt.PointType.NONFINITE
    rest = fastopt.classify_hessians(np.delete(H, 7, 0), eigenvalues=False)
    np.testing.assert_array_equal(np.delete(bad.inertia, 7, 0), rest.inertia)


def test_inertia_path_with_zero_tolerance_on_exactly_singular_matrices():
    """tol = 0: a zero eigenvalue of a diagonal (already tridiagonal) matrix counts as
    zero, not as negative or positive."""
    d = np.array([[1.0, 0.0, -1.0, 0.0], [0.0, 0.0, 0.0, 0.0], [2.0, -3.0, 0.0, 5.0]])
    H = np.array([np.diag(r) for r in d])
    res = fastopt.classify_hessians(H, tol=0.0, eigenvalues=False)
    np.testing.assert_array_equal(res.inertia, [[1, 2, 1], [0, 4, 0], [1, 1, 2]])


def test_classify_hessians_kinds_and_semidefinite():
    H = np.array([np.eye(3), -np.eye(3), np.diag([1.0, -1.0, 2.0]), np.diag([1.0, 0.0, 2.0]),
                  np.diag([-1.0, 0.0, -2.0]), np.zeros((3, 3)), np.diag([1.0, 0.0, -2.0])])
    for eigenvalues in (True, False):
        res = fastopt.classify_hessians(H, eigenvalues=eigenvalues)
        assert [P(k).name for k in res.kind] == [
            "MINIMUM", "MAXIMUM", "SADDLE", "DEGENERATE", "DEGENERATE", "DEGENERATE", "SADDLE"]
        assert res.positive_semidefinite.tolist() == [True, False, False, True, False, True,
                                                      False]
        assert res.negative_semidefinite.tolist() == [False, True, False, False, True, True,
                                                      False]
        assert res.inertia.tolist()[3] == [0, 1, 2]
        assert (res.eigenvalues is None) == (not eigenvalues)


def test_classify_hessians_tolerance():
    H = np.diag([1.0, 1e-6])
    assert fastopt.classify_hessians(H).kind == P.MINIMUM
    res = fastopt.classify_hessians(H, tol=1e-5)
    assert res.kind == P.DEGENERATE and res.tol == 1e-5
    # per-matrix tolerances broadcast over the batch shape
    res = fastopt.classify_hessians(np.array([[H, H]]), tol=[[1e-7, 1e-5]])
    assert res.kind.tolist() == [[P.MINIMUM, P.DEGENERATE]]
    # the default is round-off: 16 n eps ||H||_F
    assert fastopt.classify_hessians(H).tol == pytest.approx(16 * 2 * np.finfo(float).eps)


def test_classify_hessians_shapes_and_integers():
    H = np.array([[2, 1], [1, 2]])
    res = fastopt.classify_hessians(H)
    assert res.kind.shape == () and res.eigenvalues.shape == (2,) and res.inertia.shape == (3,)
    np.testing.assert_allclose(res.eigenvalues, [1.0, 3.0])
    stack = RNG.normal(size=(4, 5, 3, 3))
    stack = stack + stack.swapaxes(-1, -2)
    res = fastopt.classify_hessians(stack)
    assert res.kind.shape == (4, 5) and res.eigenvalues.shape == (4, 5, 3)
    assert res.inertia.shape == (4, 5, 3) and res.tol.shape == (4, 5)
    empty = fastopt.classify_hessians(np.zeros((0, 3, 3)))
    assert empty.kind.shape == (0,) and empty.eigenvalues.shape == (0, 3)


def test_classify_hessians_symmetrises_round_off_only():
    H = clustered(4)
    Hn = H.copy()
    Hn[0, 1] += 1e-15 * np.abs(H).max()
    res = fastopt.classify_hessians(Hn)
    np.testing.assert_allclose(res.eigenvalues, np.linalg.eigvalsh((Hn + Hn.T) / 2),
                               atol=1e-13 * np.abs(H).max())


def test_classify_hessians_nan_entry_is_nonfinite_only():
    H = np.array([np.eye(2), np.eye(2), -np.eye(2)])
    H[1, 0, 1] = np.nan
    for eigenvalues in (True, False):
        with pytest.warns(NonFiniteWarning, match="1 of 3"):
            res = fastopt.classify_hessians(H, eigenvalues=eigenvalues)
        assert res.kind.tolist() == [P.MINIMUM, P.NONFINITE, P.MAXIMUM]
        assert res.inertia[1].tolist() == [-1, -1, -1]
        assert not res.positive_semidefinite[1] and not res.negative_semidefinite[1]
        if eigenvalues:
            assert np.isnan(res.eigenvalues[1]).all()
            assert res.eigenvalues[0].tolist() == [1.0, 1.0]
    H3 = np.array([np.eye(5), np.eye(5)])
    H3[0, 2, 2] = np.inf
    with pytest.warns(NonFiniteWarning):
        assert fastopt.classify_hessians(H3).kind.tolist() == [P.NONFINITE, P.MINIMUM]


def test_same_results_with_one_and_two_threads(one_thread):
    H = np.array([random_symmetric(4) for _ in range(3000)])
    a = fastopt.classify_hessians(H)
    b = fastopt.classify_hessians(H, eigenvalues=False)
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    c = fastopt.classify_hessians(H)
    d = fastopt.classify_hessians(H, eigenvalues=False)
    np.testing.assert_array_equal(a.eigenvalues, c.eigenvalues)
    np.testing.assert_array_equal(a.kind, c.kind)
    np.testing.assert_array_equal(b.inertia, d.inertia)


# ----------------------------------------------------------------------------- from njit
@numba.njit(parallel=True)
def user_classify_many(H, tol):
    N, n = H.shape[0], H.shape[1]
    kinds = np.empty(N, np.int64)
    kinds2 = np.empty(N, np.int64)
    eig = np.empty((N, n))
    counts = np.empty((N, 3), np.int64)
    for k in prange(N):
        work = np.empty((2 * n + 2, n))
        inertia = np.empty(3, np.int64)
        kinds[k] = kernels.classify_hessian(H[k], tol, work, eig[k], inertia)
        kinds2[k] = kernels.classify_hessian_inertia(H[k], tol, work, inertia)
        neg, zero, pos = kernels.symmetric_inertia(H[k], 0.0, work)
        counts[k, 0], counts[k, 1], counts[k, 2] = neg, zero, pos
        if kernels.kind_from_inertia(neg, zero, pos) != kinds[k] and tol == 0.0:
            kinds[k] = -1
    return kinds, kinds2, eig, counts


@numba.njit
def count_saddles(H):
    n = H.shape[1]
    work = np.empty((2 * n + 2, n))
    inertia = np.empty(3, np.int64)
    count = 0
    for k in range(H.shape[0]):
        if kernels.classify_hessian_inertia(H[k], 1e-12, work, inertia) == P.SADDLE:
            count += 1
    return count


def test_point_type_inside_njit():
    H = np.array([np.diag([1.0, -1.0, 2.0]), np.eye(3), np.diag([-1.0, 3.0, 0.0])])
    assert count_saddles(H) == 2


def test_kernels_inside_a_user_prange():
    H = np.array([random_symmetric(4) for _ in range(200)])
    kinds, kinds2, eig, counts = user_classify_many(H, 0.0)
    np.testing.assert_allclose(eig, np.linalg.eigvalsh(H), atol=1e-12 * np.abs(H).max())
    np.testing.assert_array_equal(kinds, kinds2)
    np.testing.assert_array_equal(counts[:, 0], np.sum(eig < 0, axis=1))
    np.testing.assert_array_equal(kinds, fastopt.classify_hessians(H, tol=0.0).kind)


@numba.njit(parallel=True)
def user_points(f, X, C):
    N, n = X.shape
    kinds = np.empty(N, np.int64)
    ends = np.empty((N, n))
    lo = np.full(n, -2.0)
    hi = np.full(n, 2.0)
    for p in prange(N):
        eig = np.empty(n)
        inertia = np.empty(3, np.int64)
        x = X[p].copy()
        out = np.empty(n)
        kernels.newton_critical_point(f, x, lo, hi, (C,), 100, 1e-10, out)
        ends[p] = out
        kind, gnorm, gtol, tol = kernels.classify_point(f, out, (C,), -1.0, -1.0, eig,
                                                        inertia)
        kinds[p] = kind
    return kinds, ends


def test_point_kernels_from_a_user_prange():
    starts = np.array([[0.8, 0.85], [-0.9, 0.1], [0.1, -0.9], [0.05, 0.1]])
    kinds, ends = user_points(poly2, starts, DOUBLE_WELL)
    expected = np.sign(np.round(starts))  # nearest well / hilltop coordinate: -1, 0, 1
    np.testing.assert_allclose(ends, expected, atol=1e-8)
    assert [P(k).name for k in kinds] == ["MINIMUM", "SADDLE", "SADDLE", "MAXIMUM"]


@numba.njit
def user_newton_and_test(f, x0, C):
    out = np.empty(2)
    code, nit, nfev, gnorm = kernels.newton_critical_point(
        f, x0, np.full(2, -3.0), np.full(2, 3.0), (C,), 100, 1e-10, out)
    eig = np.empty(2)
    inertia = np.empty(3, np.int64)
    kind, gn, gtol, tol = kernels.classify_point(f, out, (C,), 1e-6, 1e-6, eig, inertia)
    return code, out, kind, eig


def test_point_kernels_from_user_njit():
    code, x, kind, eig = user_newton_and_test(poly2, np.array([0.8, 0.7]), ROSEN)
    assert code == kernels.NEWTON_CONVERGED
    np.testing.assert_allclose(x, [1.0, 1.0], atol=1e-6)
    assert kind == P.MINIMUM
    np.testing.assert_allclose(eig, np.linalg.eigvalsh([[802, -400], [-400, 200]]), rtol=1e-5)


def test_newton_finite_differences_match_the_shared_kernels():
    x = np.array([0.3, -1.2])
    g = np.empty(2)
    H = np.empty((2, 2))
    side = np.empty((3, 2))
    _fd_point(sincos, x.copy(), g, H, side)
    g_ref = np.empty(2)
    kernels.gradient_point(sincos, x, np.full(2, kernels.GRAD_REL_STEP), kernels.CENTRAL2, (),
                           g_ref)
    H_ref = np.empty((2, 2))
    kernels.hessian_point(sincos, x, np.full(2, kernels.HESS_REL_STEP), 2, (), H_ref)
    np.testing.assert_allclose(g, g_ref, rtol=1e-12)
    np.testing.assert_allclose(H, H_ref, rtol=1e-9, atol=1e-12)


@numba.njit
def _fd_point(f, x, g, H, side):
    kcrit._fd_gradient(f, x, x, (), kcrit.GRAD_REL_STEP, g)
    kcrit._fd_hessian(f, x, x, (), kcrit.HESS_REL_STEP, side, H)


# ----------------------------------------------------------------------------- points
KNOWN = [
    ("bowl", BOWL, [0.0, 0.0], "MINIMUM"),
    ("cap", CAP, [0.0, 0.0], "MAXIMUM"),
    ("saddle", SADDLE, [0.0, 0.0], "SADDLE"),
    ("cubic", CUBIC, [0.0, 0.0], "DEGENERATE"),
    ("quartic", QUARTIC, [0.0, 0.0], "DEGENERATE"),
    ("rosenbrock", ROSEN, [1.0, 1.0], "MINIMUM"),
    ("double-well min", DOUBLE_WELL, [-1.0, 1.0], "MINIMUM"),
    ("double-well saddle", DOUBLE_WELL, [0.0, -1.0], "SADDLE"),
    ("double-well max", DOUBLE_WELL, [0.0, 0.0], "MAXIMUM"),
    ("rosenbrock elsewhere", ROSEN, [-1.2, 1.0], "NOT_CRITICAL"),
    ("saddle elsewhere", SADDLE, [1e-3, 0.0], "NOT_CRITICAL"),
]


@pytest.mark.parametrize(("name", "C", "x", "kind"), KNOWN, ids=[k[0] for k in KNOWN])
def test_classify_points_known_points(name, C, x, kind):
    res = fastopt.classify_points(poly2, np.array([x]), args=(C,))
    assert P(res.kind[0]).name == kind
    assert res.tol[0] > 0 and res.gtol[0] > 0
    if kind != "NOT_CRITICAL":
        assert res.grad_norm[0] <= res.gtol[0]


def test_classify_points_sincos_and_eigenvalues():
    h = math.pi / 2
    x = np.array([[h, 0.0], [-h, 0.0], [0.0, h], [math.pi, -h], [0.4, 0.2]])
    res = fastopt.classify_points(sincos, x)
    assert [P(k).name for k in res.kind] == ["MAXIMUM", "MINIMUM", "SADDLE", "SADDLE",
                                             "NOT_CRITICAL"]
    np.testing.assert_allclose(res.eigenvalues[:4], [[-1, -1], [1, 1], [-1, 1], [-1, 1]],
                               atol=1e-6)
    np.testing.assert_allclose(res.fun[:4], [1.0, -1.0, 0.0, 0.0], atol=1e-15)
    assert res.gradient.shape == (5, 2) and res.hessian.shape == (5, 2, 2)
    assert res.nfev == 5 * (2 * 2 ** 2 + 6 * 2 + 3)


def test_nearly_singular_definite_versus_singular_at_default_settings():
    res = fastopt.classify_points(poly2, np.zeros((1, 2)), args=(NEAR_SINGULAR,))
    assert res.kind[0] == P.MINIMUM  # eigenvalue 2e-5 resolved: FD noise ~3e-8
    assert res.eigenvalues[0, 0] == pytest.approx(2e-5, rel=0.01)
    assert res.tol[0] < 2e-5
    res = fastopt.classify_points(poly2, np.zeros((1, 2)), args=(SINGULAR,))
    assert res.kind[0] == P.DEGENERATE  # FD Hessian diag(2, 2 k^2 ~ 3e-8): truly singular
    assert 0 < res.eigenvalues[0, 0] < res.tol[0]
    assert res.positive_semidefinite[0]
    # exact quadratics: the FD Hessian has no truncation error, 2e-9 is resolved
    assert fastopt.classify_points(poly2, np.zeros((1, 2)), args=(QUAD_TINY,)).kind[0] == \
        P.MINIMUM
    assert fastopt.classify_points(poly2, np.zeros((1, 2)), args=(QUAD_SINGULAR,)).kind[0] == \
        P.DEGENERATE
    # and tolerances can be overridden
    res = fastopt.classify_points(poly2, np.zeros((1, 2)), args=(SINGULAR,), tol=1e-10)
    assert res.kind[0] == P.MINIMUM and res.tol[0] == 1e-10
    res = fastopt.classify_points(poly2, np.zeros((1, 2)), args=(NEAR_SINGULAR,), tol=1e-4)
    assert res.kind[0] == P.DEGENERATE


def test_degenerate_point_a_hair_away_is_still_degenerate():
    # Newton ends near, not at, the degenerate point of x^3 - y^3: the Hessian there is
    # tiny and indefinite, but no larger than its change over the location uncertainty
    x = np.array([[-3.7e-11, -4.2e-10], [2e-7, 1e-7], [0.0, 0.0]])
    res = fastopt.classify_points(poly2, x, args=(CUBIC,))
    assert res.kind.tolist() == [P.DEGENERATE] * 3
    # far enough away the point is not critical at all
    assert fastopt.classify_points(poly2, np.array([[1e-3, 0.0]]), args=(CUBIC,)).kind[0] == \
        P.NOT_CRITICAL


def test_classify_points_gtol_override():
    res = fastopt.classify_points(poly2, np.array([[1e-3, 0.0]]), args=(SADDLE,), gtol=1e-2)
    assert res.kind[0] == P.SADDLE and res.gtol[0] == 1e-2
    res = fastopt.classify_points(poly2, np.array([[1e-3, 0.0], [0.0, 0.0]]), args=(SADDLE,),
                                  gtol=[1e-6, 1e-2], tol=1e-3)
    assert res.kind.tolist() == [P.NOT_CRITICAL, P.SADDLE]
    assert res.tol.tolist() == [1e-3, 1e-3]


def test_classify_points_nan_points_are_nonfinite_only():
    x = np.array([[1.0, 1.0], [np.nan, 1.0], [0.0, 0.0], [1.0, np.inf]])
    with pytest.warns(NonFiniteWarning, match="2 of 4"):
        res = fastopt.classify_points(poly2, x, args=(ROSEN,))
    assert res.kind.tolist() == [P.MINIMUM, P.NONFINITE, P.NOT_CRITICAL, P.NONFINITE]
    assert np.isnan(res.eigenvalues[1]).all() and res.inertia[3].tolist() == [-1, -1, -1]
    clean = fastopt.classify_points(poly2, x[[0, 2]], args=(ROSEN,))
    np.testing.assert_array_equal(clean.eigenvalues, res.eigenvalues[[0, 2]])


def test_classify_points_overflowing_objective_is_nonfinite_only():
    C = coef(x4=1e300, y2=1.0)  # x^4 term overflows for |x| >~ 1e2
    with pytest.warns(NonFiniteWarning, match="1 of 2"):
        res = fastopt.classify_points(poly2, np.array([[0.0, 0.0], [1e3, 0.0]]), args=(C,))
    assert res.kind.tolist() == [P.DEGENERATE, P.NONFINITE]


def test_classify_points_batch_shape_and_pure_python():
    x = np.zeros((2, 3, 2))
    x[1, 2] = [0.5, 0.5]
    res = fastopt.classify_points(poly2, x, args=(SADDLE,))
    assert res.kind.shape == (2, 3) and res.eigenvalues.shape == (2, 3, 2)
    assert res.gradient.shape == (2, 3, 2) and res.hessian.shape == (2, 3, 2, 2)
    assert res.kind[1, 2] == P.NOT_CRITICAL and res.kind[0, 0] == P.SADDLE

    def py_saddle(x):
        return x[0] ** 2 - x[1] ** 2

    pts = np.array([[0.0, 0.0], [0.5, 0.5]])
    a = fastopt.classify_points(py_saddle, pts, jit=False)
    b = fastopt.classify_points(poly2, pts, args=(SADDLE,))
    np.testing.assert_array_equal(a.kind, b.kind)
    np.testing.assert_allclose(a.eigenvalues, b.eigenvalues, rtol=1e-6)


def test_classify_points_matrix_variable():
    @numba.njit
    def trace_form(W):
        return W[0, 0] ** 2 - W[1, 1] ** 2 + W[0, 1] * W[1, 0]

    res = fastopt.classify_points(trace_form, np.zeros((2, 2)), ndim=2)
    assert res.kind == P.SADDLE
    np.testing.assert_allclose(res.eigenvalues, [-2, -1, 1, 2], atol=1e-6)


# ----------------------------------------------------------------------------- search
def _names(res):
    return [P(k).name for k in res.kind]


SINGLE = [
    ("bowl", BOWL, "MINIMUM", 1e-6),
    ("cap", CAP, "MAXIMUM", 1e-6),
    ("saddle", SADDLE, "SADDLE", 1e-6),
    # degenerate points are only located to ~(gtol / |f'''|)^(1/2): x^3 at 0 gives a
    # finite-difference gradient h^2 ~ 4e-11 and x^4 a gradient 4 x^3 < gtol for |x| < 1e-5
    ("cubic", CUBIC, "DEGENERATE", 1e-4),
    ("quartic", QUARTIC, "DEGENERATE", 1e-4),
]

BOX = [(-1.1, 0.9), (-0.85, 1.2)]  # asymmetric: no grid point sits on a critical point


@pytest.mark.parametrize(("name", "C", "kind", "atol"), SINGLE, ids=[s[0] for s in SINGLE])
def test_find_single_critical_point(name, C, kind, atol):
    res = fastopt.find_critical_points(poly2, BOX, args=(C,), num=15)
    assert _names(res) == [kind], res
    np.testing.assert_allclose(res.x[0], [0.0, 0.0], atol=atol)
    assert res.nstart == 225 and res.hits.sum() <= 225 and res.nfev > 0
    assert res.grad_norm[0] <= 1e-8
    if name == "quartic":  # a minimum the second-order test cannot confirm
        assert res.inertia[0].tolist() == [0, 2, 0]
        assert np.all(res.eigenvalues[0] > 0)
    if name == "cubic":
        assert res.inertia[0].tolist() == [0, 2, 0]


def test_find_rosenbrock_minimum():
    res = fastopt.find_critical_points(poly2, [(-2.0, 2.0), (-1.0, 3.0)], args=(ROSEN,), num=15)
    assert _names(res) == ["MINIMUM"]
    np.testing.assert_allclose(res.x[0], [1.0, 1.0], atol=1e-6)
    np.testing.assert_allclose(res.eigenvalues[0], np.linalg.eigvalsh([[802, -400],
                                                                       [-400, 200]]), rtol=1e-5)


def _expected_table(points):
    """Sorted by (kind, x) for comparison independent of ties in fun."""
    return sorted(points, key=lambda p: (p[1], tuple(np.round(p[0], 6))))


def _check_against(res, expected, atol=1e-6):
    assert len(res) == len(expected), (_names(res), res.x)
    assert np.all(np.diff(res.fun) >= 0)
    got = _expected_table([(x, P(k).name) for x, k in zip(res.x, res.kind, strict=True)])
    want = _expected_table([(np.array(x, float), k) for x, k in expected])
    for (gx, gk), (wx, wk) in zip(got, want, strict=True):
        assert gk == wk
        np.testing.assert_allclose(gx, wx, atol=atol)


def test_find_double_well_all_nine_points():
    # (x^2 - 1)^2 + (y^2 - 1)^2: grad = 4 (x^3 - x, y^3 - y) vanishes for x, y in {-1, 0, 1}
    # Hessian diag(12 x^2 - 4, 12 y^2 - 4): +8 at +-1, -4 at 0
    expected = []
    for x in (-1.0, 0.0, 1.0):
        for y in (-1.0, 0.0, 1.0):
            nzero = (x == 0) + (y == 0)
            kind = ["MINIMUM", "SADDLE", "MAXIMUM"][nzero]
            expected.append(([x, y], kind))
    res = fastopt.find_critical_points(poly2, [(-1.6, 1.5), (-1.45, 1.55)],
                                       args=(DOUBLE_WELL,), num=25)
    _check_against(res, expected)
    np.testing.assert_allclose(res.fun, [0, 0, 0, 0, 1, 1, 1, 1, 2], atol=1e-12)
    assert _names(res)[-1] == "MAXIMUM" and _names(res)[:4] == ["MINIMUM"] * 4


def test_find_sincos_twelve_points():
    # f = sin x cos y: grad = (cos x cos y, -sin x sin y) = 0 iff
    #   cos x = 0 and sin y = 0: x = +-pi/2, y in {-pi, 0, pi}: f = +-1, extrema
    #   cos y = 0 and sin x = 0: x in {-pi, 0, pi}, y = +-pi/2: f = 0, saddles
    h, pi = math.pi / 2, math.pi
    expected = []
    for x in (-h, h):
        for y in (-pi, 0.0, pi):
            value = math.sin(x) * math.cos(y)
            expected.append(([x, y], "MAXIMUM" if value > 0 else "MINIMUM"))
    for x in (-pi, 0.0, pi):
        for y in (-h, h):
            expected.append(([x, y], "SADDLE"))
    res = fastopt.find_critical_points(sincos, [(-3.5, 3.4), (-3.3, 3.6)], num=30)
    _check_against(res, expected)
    assert _names(res).count("MINIMUM") == 3 and _names(res).count("MAXIMUM") == 3


def test_find_same_result_with_one_and_two_threads(one_thread):
    a = fastopt.find_critical_points(sincos, [(-3.5, 3.4), (-3.3, 3.6)], num=30)
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    b = fastopt.find_critical_points(sincos, [(-3.5, 3.4), (-3.3, 3.6)], num=30)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.kind, b.kind)
    np.testing.assert_array_equal(a.hits, b.hits)


def test_find_nothing_and_boundary():
    # a plane has no critical point: every start stalls on the boundary
    res = fastopt.find_critical_points(poly2, BOX, args=(coef(x=1.0, y=2.0),), num=6)
    assert len(res) == 0 and res.x.shape == (0, 2) and res.nstart == 36
    # a box that contains only some of the double well's points
    res = fastopt.find_critical_points(poly2, [(0.5, 1.5), (-0.4, 0.3)], args=(DOUBLE_WELL,),
                                       num=7)
    _check_against(res, [([1.0, 0.0], "SADDLE")])


def test_lane_store_writes_any_inertia_layout_alike():
    """The lane store writes a C-contiguous inertia through its flat view and any other
    row by row: the same numbers either way, only the lanes asked for."""
    from fastopt.kernels._eigen import _LE, _NEG, _NV, _lanes_store

    @numba.njit
    def store(k0, L, n, V, inertia, kind):
        _lanes_store(k0, L, n, V, inertia, kind)

    n, L, k0 = 3, 20, 5
    rng = np.random.default_rng(4)
    V = np.zeros((_NV + 2 * n, 32))
    V[_NEG] = rng.integers(0, n + 1, 32)
    V[_LE] = np.minimum(n, V[_NEG] + rng.integers(0, n + 1, 32))
    flat, kind_a = np.full((40, 3), 9, np.int8), np.full(40, 9, np.int8)
    strided, kind_b = np.full((40, 6), 9, np.int8)[:, ::2], np.full(40, 9, np.int8)
    store(k0, L, n, V, flat, kind_a)
    store(k0, L, n, V, strided, kind_b)
    np.testing.assert_array_equal(flat, strided)
    np.testing.assert_array_equal(kind_a, kind_b)
    neg, le = V[_NEG, :L].astype(int), V[_LE, :L].astype(int)
    np.testing.assert_array_equal(flat[k0:k0 + L], np.c_[neg, le - neg, n - le])
    expect = [int(kernels.kind_from_inertia(a, b - a, n - b))
              for a, b in zip(neg, le, strict=True)]
    np.testing.assert_array_equal(kind_a[k0:k0 + L], expect)
    assert (flat[:k0] == 9).all() and (flat[k0 + L:] == 9).all()
    assert (kind_a[:k0] == 9).all() and (kind_a[k0 + L:] == 9).all()
