"""Benchmarks of fastopt.grid_search (issue 5).

Real run (full sizes, ~2 minutes)::

    .venv/bin/python -m pytest benchmarks/bench_grid.py --benchmark-only

Under ``--benchmark-disable`` (the normal test run) every benchmark runs once on a small
grid and the 10^9-point memory check is skipped.

* The same Python objective everywhere: fastopt compiles it itself; ``scipy.brute``
  (``scipy.optimize.brute(f, ranges, Ns=num, finish=None)``) calls it as Python, once
  per point, as a scipy user does; ``scipy.brute:njit-f`` gives brute the numba-compiled
  objective (brute's best case: its own per-point overhead remains).
* ``numba-prange-limit``: a hand-written ``@njit(parallel=True)`` loop over the same flat
  grid (prange over chunks of the flat index, divmod decoding, per-chunk argmin): what a
  numba user would write by hand. ``numba-prange-rows-limit``: the faster hand-written
  form, prange over rows with a tight inner loop over the last axis (what fastopt's
  kernels do, without their generality).
* ``...:1thread``: ``numba.set_num_threads(1)`` (the 1 vs 2 threads scaling table; on
  a loaded machine the 1-thread rows compare per-point efficiency more reliably).
* ``test_memory``: peak resident memory of fresh subprocesses before and after one scan
  (``VmHWM`` from /proc/self/status, the peak RSS of the process image; ``ru_maxrss``
  where /proc is missing): scipy.brute and fastopt on the 2-D problem, and fastopt on
  10^9 points in 3-D (must stay within 10 MB).
"""

import json
import math
import subprocess
import sys
import textwrap

import numba
import numpy as np
import pytest
import scipy.optimize

import fastopt


def rastrigin(x):
    s = 10.0 * x.shape[0]
    for i in range(x.shape[0]):
        s += x[i] * x[i] - 10.0 * np.cos(2.0 * np.pi * x[i])
    return s


def styblinski_tang(x):
    s = 0.0
    for i in range(x.shape[0]):
        xi = x[i]
        s += 0.5 * (xi * xi * xi * xi - 16.0 * xi * xi + 5.0 * xi)
    return s


COMPILED = {f: numba.njit(f) for f in (rastrigin, styblinski_tang)}


@numba.njit(parallel=True)
def prange_limit(f, lo, hi, num):
    """Hand-written parallel scan of the flat grid: the speed a numba user gets."""
    n = lo.shape[0]
    total = 1
    for d in range(n):
        total *= num[d]
    step = (hi - lo) / (num - 1)
    nc = 8 * numba.get_num_threads()
    cb = np.empty(nc)
    ci = np.empty(nc, np.int64)
    for c in numba.prange(nc):
        s = total * c // nc
        e = total * (c + 1) // nc
        x = np.empty(n)
        b = np.inf
        bi = -1
        for t in range(s, e):
            r = t
            for d in range(n - 1, -1, -1):
                q = r // num[d]
                x[d] = lo[d] + (r - q * num[d]) * step[d]
                r = q
            v = f(x)
            if v < b:
                b = v
                bi = t
        cb[c] = b
        ci[c] = bi
    k = np.argmin(cb)
    return cb[k], ci[k]


@numba.njit(parallel=True)
def prange_rows_limit(f, lo, hi, num):
    """Hand-written, row by row: prange over rows (all axes but the last), one divmod
    decode per row, a tight inner loop over the last axis; per-row argmin."""
    n = lo.shape[0]
    rows = 1
    for d in range(n - 1):
        rows *= num[d]
    m = num[n - 1]
    step = (hi - lo) / (num - 1)
    rb = np.empty(rows)
    ri = np.empty(rows, np.int64)
    for row in numba.prange(rows):
        x = np.empty(n)
        r = row * 1  # a copy: numba refuses a reassigned prange index
        for d in range(n - 2, -1, -1):
            q = r // num[d]
            x[d] = lo[d] + (r - q * num[d]) * step[d]
            r = q
        b = np.inf
        bi = -1
        for j in range(m):
            x[n - 1] = lo[n - 1] + j * step[n - 1]
            v = f(x)
            if v < b:
                b = v
                bi = row * m + j
        rb[row] = b
        ri[row] = bi
    k = np.argmin(rb)
    return rb[k], ri[k]


# name: (objective, (lo, hi), n, num full, num small)
PROBLEMS = {
    "rastrigin-2d-2000^2": (rastrigin, (-5.12, 5.12), 2, 2000, 200),
    "styblinski-4d-40^4": (styblinski_tang, (-5.0, 5.0), 4, 40, 12),
}
LIBRARIES = [
    "fastopt",
    "fastopt:1thread",
    "scipy.brute",
    "scipy.brute:njit-f",
    "numba-prange-limit",
    "numba-prange-rows-limit",
    "numba-prange-rows-limit:1thread",
]


def _disabled(request):
    return request.config.getoption("benchmark_disable")


def _runner(library, f, bounds, num):
    """The same Python objective `f` everywhere: fastopt compiles it itself, the
    hand-written limit and ``scipy.brute:njit-f`` get ``numba.njit(f)``, ``scipy.brute``
    calls it as Python (what a scipy user runs)."""
    lo, hi = np.array(bounds).T.copy()
    nums = np.full(len(bounds), num, dtype=np.int64)
    if library.startswith("fastopt"):
        return lambda: fastopt.grid_search(f, bounds, num=num, progress=False).fun
    if library.startswith("scipy.brute"):
        g = COMPILED[f] if library.endswith("njit-f") else f
        return lambda: float(scipy.optimize.brute(g, bounds, Ns=num, finish=None,
                                                  full_output=True)[1])
    limit = prange_limit if library == "numba-prange-limit" else prange_rows_limit
    # (":1thread" variants: the `threads` fixture sets numba's thread count)
    return lambda: limit(COMPILED[f], lo, hi, nums)[0]


@pytest.fixture
def threads(library):
    before = numba.get_num_threads()
    if library.endswith(":1thread"):
        numba.set_num_threads(1)
    yield numba.get_num_threads()
    numba.set_num_threads(before)


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize("problem", PROBLEMS)
def test_grid_scan(benchmark, request, problem, library, threads):
    f, (lo, hi), n, num_full, num_small = PROBLEMS[problem]
    num = num_small if _disabled(request) else num_full
    bounds = [(lo, hi)] * n
    run = _runner(library, f, bounds, num)
    if library.startswith("scipy"):
        COMPILED[f](np.zeros(n))  # compile the njit objective, never timed
    else:
        run()  # compile (warm-up), never timed
    benchmark.group = problem
    benchmark.extra_info.update(points=num**n, threads=threads)
    rounds = 2 if library.startswith("scipy") else 15
    fun = benchmark.pedantic(run, rounds=rounds, iterations=1, warmup_rounds=0)
    reference = fastopt.grid_search(f, bounds, num=num, progress=False).fun
    assert fun == pytest.approx(reference, rel=1e-9, abs=1e-9)


_MEMORY_SCRIPT = textwrap.dedent(
    """
    import json, resource, sys, time
    import numba, numpy as np, scipy.optimize
    import fastopt

    @numba.njit
    def rastrigin(x):
        s = 10.0 * x.shape[0]
        for i in range(x.shape[0]):
            s += x[i] * x[i] - 10.0 * np.cos(2.0 * np.pi * x[i])
        return s

    @numba.njit
    def bowl(x):
        return (x[0] - 0.1) ** 2 + (x[1] + 0.2) ** 2 + (x[2] - 0.3) ** 2

    which, n, num = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    f = rastrigin if n == 2 else bowl
    bounds = [(-5.12, 5.12)] * n
    if which == "fastopt":
        run = lambda: fastopt.grid_search(f, bounds, num=num, progress=False).fun
        fastopt.grid_search(f, bounds, num=150, progress=False)  # compile (parallel build)
    else:
        run = lambda: float(scipy.optimize.brute(f, bounds, Ns=num, finish=None,
                                                 full_output=True)[1])
        f(np.zeros(n))  # compile
    def peak_kib():
        # VmHWM: peak resident set of this process image. ru_maxrss would do, but
        # Linux carries it over from the parent across exec (pytest is large).
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    before = peak_kib()
    t0 = time.perf_counter()
    fun = run()
    seconds = time.perf_counter() - t0
    after = peak_kib()
    print(json.dumps({"fun": fun, "seconds": seconds, "rss_before_MB": before / 1024,
                      "rss_peak_MB": after / 1024, "delta_MB": (after - before) / 1024}))
    """
)


@pytest.mark.full_only  # a peak-memory subprocess: only meaningful in a real run
@pytest.mark.parametrize(
    ("which", "n", "num"),
    [("scipy.brute", 2, 2000), ("fastopt", 2, 2000), ("fastopt", 3, 1000)],
    ids=["scipy.brute-2d-2000^2", "fastopt-2d-2000^2", "fastopt-3d-1000^3=1e9"],
)
def test_memory(benchmark, which, n, num):
    info = {}

    def run():
        out = subprocess.run(
            [sys.executable, "-c", _MEMORY_SCRIPT, which, str(n), str(num)],
            check=True, capture_output=True, text=True,
        )
        info.update(json.loads(out.stdout.strip().splitlines()[-1]))

    benchmark.group = "memory (one scan in a fresh process)"
    benchmark.pedantic(run, rounds=1, iterations=1, warmup_rounds=0)
    benchmark.extra_info.update(info, points=num**n)
    print(f"\n{which} {n}-d {num}^{n}: {info}")
    assert math.isfinite(info["fun"])
    if which == "fastopt":
        assert info["delta_MB"] <= 10.0
