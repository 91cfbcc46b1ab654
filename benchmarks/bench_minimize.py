"""Benchmarks of fastopt.minimize (issue 6).

Real run (the 10^4-start scipy loop alone takes several minutes)::

    .venv/bin/python -m pytest benchmarks/bench_minimize.py --benchmark-only \
        --benchmark-columns=min,median,rounds --benchmark-group-by=group

Under ``--benchmark-disable`` (the normal test run) every benchmark runs once at a small
size.

* ``multistart``: BFGS from many random starts in [-2, 2]^10 on the 10-D Rosenbrock
  function (the numba function of fastopt.benchmarking). ``fastopt``: one call,
  ``minimize(f, starts)``, parallel over starts, central finite-difference gradients,
  ``gtol=1e-8``. ``fastopt:1thread``: the same with ``numba.set_num_threads(1)``.
  ``scipy``: a loop of ``scipy.optimize.minimize(f, x0, method="BFGS")`` on the same njit
  objective with its default finite-difference gradient (2-point) and ``gtol=1e-5``: it
  does less work per start than fastopt (looser tolerance, cheaper gradient), so the
  ratio is conservative. ``extra_info`` records how many starts reached the minimum.
* ``single start``: one BFGS run, n = 2 from the standard start (-1.2, 1), n = 10 from
  the origin (from (-1.2, 1, -1.2, ...) scipy ends in the local minimum near
  (-1, 1, ..., 1)). ``extra_info``: iterations, evaluations, microseconds per iteration, and the
  per-iteration overhead, ``(time - nfev * t_f) / nit``, where ``t_f`` is the cost of one
  evaluation as each library makes it (inside compiled code for fastopt, a Python call of
  the njit function for scipy).
"""

import time

import numba
import numpy as np
import pytest
import scipy.optimize

import fastopt
from fastopt.benchmarking import rosenbrock

LIBRARIES = ["fastopt", "fastopt:1thread", "scipy"]


@numba.njit
def _eval_loop(f, x, m):
    s = 0.0
    for k in range(m):
        x[0] = 0.5 + k * 1e-12
        s += f(x)
    return s


def _seconds_per_eval(lib, n):
    """Cost of one evaluation of the objective as `lib` makes it."""
    x = np.full(n, 0.5)
    if lib.startswith("fastopt"):
        _eval_loop(rosenbrock, x, 10)
        m = 2_000_000
        t0 = time.perf_counter()
        _eval_loop(rosenbrock, x, m)
        return (time.perf_counter() - t0) / m
    m = 200_000
    t0 = time.perf_counter()
    for _ in range(m):
        rosenbrock(x)
    return (time.perf_counter() - t0) / m


@pytest.fixture
def lib_threads(lib, threads):
    if lib == "fastopt:1thread":
        threads(1)
    return numba.get_num_threads()


@pytest.mark.parametrize("lib", LIBRARIES)
def test_multistart_bfgs(benchmark, full, lib, lib_threads):
    n = 10
    N = 10_000 if full else 20
    starts = np.random.default_rng(0).uniform(-2.0, 2.0, size=(N, n))
    if lib.startswith("fastopt"):
        def run():
            res = fastopt.minimize(rosenbrock, starts)
            return res.x, res.nfev
        run()  # compile (warm-up), never timed
        rounds = 3 if full else 1
    else:
        def run():
            out = [scipy.optimize.minimize(rosenbrock, x0, method="BFGS") for x0 in starts]
            return np.array([r.x for r in out]), np.array([r.nfev for r in out])
        rosenbrock(starts[0])  # compile the objective, never timed
        rounds = 1
    benchmark.group = f"multistart BFGS, Rosenbrock n={n}, {N} starts"
    x, nfev = benchmark.pedantic(run, rounds=rounds, iterations=1, warmup_rounds=0)
    at_min = np.abs(x - 1.0).max(axis=1) < 1e-4
    benchmark.extra_info.update(starts=N, threads=lib_threads,
                                reached_min=int(at_min.sum()),
                                nfev_per_start=float(np.median(nfev)))
    assert at_min.mean() > 0.5


@pytest.mark.parametrize("n", [2, 10])
@pytest.mark.parametrize("lib", LIBRARIES)
def test_single_start_bfgs(benchmark, full, lib, lib_threads, n):
    x0 = np.array([-1.2, 1.0]) if n == 2 else np.zeros(n)
    if lib.startswith("fastopt"):
        def run():
            return fastopt.minimize(rosenbrock, x0)
    else:
        def run():
            return scipy.optimize.minimize(rosenbrock, x0, method="BFGS")
    res = run()  # compile (warm-up), never timed
    benchmark.group = f"single start BFGS, Rosenbrock n={n}"
    rounds = 30 if full else 1
    benchmark.pedantic(run, rounds=rounds, iterations=1, warmup_rounds=0)
    median = benchmark.stats.stats.median if benchmark.stats else float("nan")
    t_f = _seconds_per_eval(lib, n) if full else float("nan")
    benchmark.extra_info.update(
        nit=int(res.nit), nfev=int(res.nfev),
        us_per_iter=round(median / res.nit * 1e6, 2),
        overhead_us_per_iter=round((median - res.nfev * t_f) / res.nit * 1e6, 2),
        error=float(np.abs(res.x - 1.0).max()),
    )
    assert res.success and np.abs(res.x - 1.0).max() < 1e-4
