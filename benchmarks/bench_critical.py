"""Benchmarks of the optimality tests (issue 4).

Real run (full sizes, about 2 minutes)::

    .venv/bin/python -m pytest benchmarks/bench_critical.py --benchmark-only

Under ``--benchmark-disable`` (the normal test run) every benchmark runs once at small
sizes.

Ratios in docs/optimality.md come from one run (``--benchmark-json``), as both the
median and the minimum over the rounds: the machine is shared, and the minimum is the
estimate least disturbed by other processes taking a core from one of our two threads.

* ``classify_hessians``: one stack of random symmetric matrices ``A + A^T`` (standard
  normal entries) per group; ``numpy.eigvalsh`` is ``numpy.linalg.eigvalsh(H)`` on the
  same stack (eigenvalues only, one thread: LAPACK ``dsyevd`` per matrix).
  ``fastopt`` is :func:`fastopt.classify_hessians` with its default tolerance -- it also
  returns the inertia, the verdicts and the tolerances; groups ``eig`` use
  ``eigenvalues=True``, groups ``inertia`` the inertia-only path. ``fastopt:1thread``:
  ``numba.set_num_threads(1)``. 10^5 matrices for n = 2, 3, 4, 6; 2000 for n = 50.
* ``classify_points``: 10^5 points in 4-D, an njit objective (the 4-D Rosenbrock
  function), default tolerances. ``fastopt`` is the whole call; ``derivatives`` the
  finite differences it makes (``f``, two gradients, two Hessians: 59 evaluations per
  point); ``classification`` the error-model tolerances and both tests on those
  derivatives. The two parts add up to the whole up to the API overhead.
"""

import os

import numba
import numpy as np
import pytest

import fastopt
from fastopt import _critical as api
from fastopt import kernels
from fastopt.kernels import GRAD_REL_STEP, HESS_REL_STEP
from fastopt.kernels._critical import SAFETY
from fastopt.kernels._eigen import TOL_RTOL

SIZES = {2: 100_000, 3: 100_000, 4: 100_000, 6: 100_000, 50: 2_000}
SMALL = {2: 500, 3: 500, 4: 500, 6: 500, 50: 10}
LIBS = ["fastopt", "fastopt:1thread", "numpy.eigvalsh"]


def _stack(n, N, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((N, n, n))
    return A + A.swapaxes(-1, -2)


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("path", ["eig", "inertia"])
@pytest.mark.parametrize("n", list(SIZES))
def test_classify_hessians(benchmark, full, threads, lib, path, n):
    N = SIZES[n] if full else SMALL[n]
    H = _stack(n, N)
    if lib == "fastopt:1thread":
        threads(1)
    if lib == "numpy.eigvalsh":
        def run():
            return np.linalg.eigvalsh(H)
    else:
        eigenvalues = path == "eig"

        def run():
            return fastopt.classify_hessians(H, eigenvalues=eigenvalues)
    run()  # compile / load from cache: never timed
    benchmark.group = f"classify_hessians {path} n={n} N={N}"
    benchmark.extra_info.update(n=n, matrices=N, threads=numba.get_num_threads(),
                                loadavg=round(os.getloadavg()[0], 2))
    rounds = (10 if lib == "numpy.eigvalsh" else 30) if full else 1
    out = benchmark.pedantic(run, rounds=rounds, iterations=1, warmup_rounds=1 if full else 0)
    if lib != "numpy.eigvalsh":  # the same matrices get the same verdicts on both paths
        ref = np.linalg.eigvalsh(H)
        if path == "eig":
            np.testing.assert_allclose(out.eigenvalues, ref, rtol=0,
                                       atol=1e-12 * np.abs(ref).max())
        assert np.array_equal(out.inertia.sum(axis=-1), np.full(N, n))


@numba.njit
def rosenbrock(x):
    s = 0.0
    for i in range(x.size - 1):
        s += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def _points(N, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2.0, 2.0, size=(N, 4))
    x[:10] = 1.0  # a few minima among the non-critical points
    return x


def _classification_only(points, f0, gh, gk, H1, H2):
    N, n = points.shape
    mg, mh, lip = np.empty(N), np.empty(N), np.empty(N)
    kernels.fd_tolerances_batch(points, f0, gh, gk, H1, H2, GRAD_REL_STEP, HESS_REL_STEP,
                                SAFETY, mg, mh, lip)
    eig, inertia = np.empty((N, n)), np.empty((N, 3), np.int8)
    kind, gnorm, tol = np.empty(N, np.int8), np.empty(N), np.empty(N)
    kernels.classify_points_batch(f0, gh, H1, mg, mh, lip, TOL_RTOL * n, eig, inertia, kind,
                                  gnorm, tol)
    return kind


@pytest.mark.parametrize("lib", ["fastopt", "derivatives", "classification"])
def test_classify_points_split(benchmark, full, lib):
    N = 100_000 if full else 300
    x = _points(N)
    ref = fastopt.classify_points(rosenbrock, x)  # compiles everything: never timed
    if lib == "fastopt":
        def run():
            return fastopt.classify_points(rosenbrock, x).kind
    else:
        parts = api._derivatives(rosenbrock, x, (N,), (4,), (), 1, True, True, True)
        if lib == "derivatives":
            def run():
                return api._derivatives(rosenbrock, x, (N,), (4,), (), 1, True, True, True)
        else:
            def run():
                return _classification_only(x, *parts[:5])
    benchmark.group = f"classify_points n=4 N={N}"
    benchmark.extra_info.update(points=N, nfev_per_point=ref.nfev // N,
                                loadavg=round(os.getloadavg()[0], 2))
    out = benchmark.pedantic(run, rounds=10 if full else 1, iterations=1,
                             warmup_rounds=1 if full else 0)
    if lib != "derivatives":
        np.testing.assert_array_equal(out, ref.kind)
    assert np.all(ref.kind[:10] == fastopt.PointType.MINIMUM)
