"""Grid scans and batched derivatives on Dask distributed (issue 8).

One LocalCluster (2 worker processes, 1 thread each) for the whole module. Starting it
and compiling the kernels is the slow part (~5 s per grid kernel and objective in each
process on a 2-core machine), so the fixture compiles every kernel the tests use once,
in both workers and in this process at the same time, and the objectives share numba
signatures (``landscape(x, mode)``: the mode picks ties, NaN regions, ...). References
run with one numba thread: the serial builds, as on the workers (1 core per worker by
the oversubscription rule). The worker-kill test runs last: the nanny restarts the
worker, which then compiles again.
"""

import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numba
import numpy as np
import pytest

import fastopt
from fastopt import Status, kernels
from fastopt import _distributed as dist

distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")

PLATEAUS, HOLES, ALL_NAN, CONSTANT, BOWL, SLOW = range(6)


@numba.njit
def landscape(x, mode):
    if mode == PLATEAUS:  # integer valued, symmetric in sign: many exact ties
        s = 0.0
        for i in range(x.shape[0]):
            s += math.floor(abs(x[i]) * (i + 2))
        return s
    if mode == HOLES:  # NaN where the unconstrained minimum is, +-inf in two strips
        if x[0] > 0.3:
            return np.nan
        if x[x.shape[0] - 1] < -0.7:
            return np.inf
        if x[x.shape[0] - 1] > 0.9:
            return -np.inf
        s = (x[0] - 0.5) ** 2
        for i in range(1, x.shape[0]):
            s += x[i] * x[i]
        return s
    if mode == ALL_NAN:
        return np.nan
    if mode == CONSTANT:  # every point ties
        return 1.0
    if mode == SLOW:  # ~100 cosines a point: a scan that lasts
        s = 0.0
        for r in range(100):
            s += math.cos(x[0] + 0.01 * r) * x[x.shape[0] - 1]
        return s
    s = 0.0
    for i in range(x.shape[0]):
        s += (x[i] - 0.1 * (i + 1)) ** 2
    return s


@numba.njit
def smooth(x, c):
    return x[0] ** 2 * x[1] + c * np.sin(x[1]) + x[x.shape[0] - 1] ** 3


@numba.njit
def vector(x, c):
    return np.array([x[0] * x[1], c * x[0], np.cos(x[1])])


@contextmanager
def one_thread():
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(before)


GRID_WARM_UP = [(-1.0, 1.0)] * 2, dict(num=5, args=(0,), progress=False)


def warm_here():
    """Compile here, with one numba thread, every kernel the tests use (~14 s).

    The other derivative tests use ``jit=False`` (the same kernel source as Python),
    which compiles nothing.
    """
    with one_thread():
        for k in (1, 9):
            fastopt.grid_search(landscape, GRID_WARM_UP[0], k=k, **GRID_WARM_UP[1])
        fastopt.gradient(smooth, np.zeros((2, 3)), args=(1.0,))


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as client, ThreadPoolExecutor(1) as pool:
        here = pool.submit(warm_here)  # meanwhile, the same kernels in each worker:
        for k in (1, 9):
            fastopt.warm_up_workers(client, fastopt.grid_search, landscape,
                                    GRID_WARM_UP[0], k=k, **GRID_WARM_UP[1])
        times = fastopt.warm_up_workers(client, fastopt.gradient, smooth, np.zeros((2, 3)),
                                        args=(1.0,))
        assert set(times) == set(client.nthreads())
        here.result()
        yield client


def local(bounds, num, mode, **kw):
    """The reference: the local scan."""
    with one_thread():
        return fastopt.grid_search(landscape, bounds, num=num, args=(mode,), progress=False,
                                   **kw)


def assert_same_result(res, ref):
    assert res.index == ref.index
    np.testing.assert_array_equal(res.x, ref.x)
    np.testing.assert_array_equal(res.fun, ref.fun)
    np.testing.assert_array_equal(res.indices, ref.indices)
    np.testing.assert_array_equal(res.funs, ref.funs)
    np.testing.assert_array_equal(res.xs, ref.xs)
    assert (res.nfev, res.nnonfinite, res.num) == (ref.nfev, ref.nnonfinite, ref.num)
    assert res.status == ref.status and res.message == ref.message
    np.testing.assert_array_equal(res.spacing, ref.spacing)


# ------------------------------------------------------------------ without a cluster


def test_fastopt_imports_and_works_without_dask():
    script = textwrap.dedent(
        """
        import importlib.abc, sys

        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("dask", "distributed"):
                    raise ImportError(f"blocked {name}")

        sys.meta_path.insert(0, Block())
        import numpy as np
        import fastopt
        assert not [m for m in sys.modules if m.split(".")[0] in ("dask", "distributed")]
        from fastopt._distributed import is_dask_array, maybe_dask
        assert not is_dask_array(np.zeros(3))
        assert maybe_dask(fastopt.gradient, np.zeros(3), f=np.sum) is NotImplemented
        try:
            fastopt.grid_search(lambda x: x[0], [(0, 1)], num=3, client=object())
        except ImportError as exc:
            print(exc)
        """
    )
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True,
                         text=True)
    assert "needs dask.distributed" in out.stdout and "fastopt[dask]" in out.stdout


def test_bad_distributed_options(client):
    bounds = [(-1.0, 1.0)] * 2
    with pytest.raises(TypeError, match="must be a dask.distributed.Client"):
        fastopt.grid_search(landscape, bounds, num=3, args=(0,), client="tcp://127.0.0.1:1")
    with pytest.raises(ValueError, match="pass `client` as well"):
        fastopt.grid_search(landscape, bounds, num=3, args=(0,), chunk_size=10)
    with pytest.raises(ValueError, match="`chunk_size` must be >= 1"):
        fastopt.grid_search(landscape, bounds, num=3, args=(0,), client=client, chunk_size=0)
    with pytest.raises(TypeError, match="`chunk_size` must be an integer"):
        fastopt.grid_search(landscape, bounds, num=3, args=(0,), client=client,
                            chunk_size=2.5)
    with pytest.raises(ValueError, match="more than 100,000 chunks"):
        fastopt.grid_search(landscape, bounds, num=1000, args=(0,), client=client,
                            chunk_size=1)
    with pytest.raises(ValueError, match="return_values=True is not available"):
        fastopt.grid_search(landscape, bounds, num=3, args=(0,), client=client,
                            return_values=True)


def test_plan_chunks_cover_the_range_once():
    for total, kw in [(10**9, {}), (12345, {"chunk_size": 1000}), (7, {"chunk_size": 100}),
                      (10**11, {"threads": 512})]:
        kw = {"threads": 2, "rate": 3e7, **kw}
        ranges = dist.plan_chunks(total, **kw)
        assert ranges[0][0] == 0 and ranges[-1][1] == total
        assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:], strict=False))
        assert all(stop > start for start, stop in ranges)
        assert len(ranges) <= dist.MAX_CHUNKS
    # a short scan on a large cluster: ~sqrt(task-seconds / scheduler seconds per task)
    assert len(dist.plan_chunks(10**11, threads=1024, rate=3e7)) == 1826
    assert len(dist.plan_chunks(10**11, threads=16, rate=3e7)) == 16 * 16
    assert len(dist.plan_chunks(10**9, threads=2, rate=3e7)) == 32


# ------------------------------------------------------------------- distributed scan

SCANS = {
    # name: (mode, bounds, num, k, chunk_size)
    "plateau-ties": (PLATEAUS, [(-1.0, 1.0)] * 3, (31, 30, 29), 1, 997),
    "plateau-ties-top-k": (PLATEAUS, [(-1.0, 1.0)] * 3, (31, 30, 29), 9, 997),
    "nan-inf-regions": (HOLES, [(-1.0, 1.0)] * 3, (25, 26, 27), 1, 1000),
    "nan-inf-regions-top-k": (HOLES, [(-1.0, 1.0)] * 3, (25, 26, 27), 5, 333),
    "all-ties": (CONSTANT, [(-1.0, 1.0), (0.0, 3.0), (-5.0, 5.0)], (40, 5, 3), 4, 7),
    "one-point-axis": (BOWL, [(-1.0, 1.0), (0.0, 2.0)], (101, 1), 3, 10),
    "1-d-one-chunk": (PLATEAUS, [(-3.0, 2.0)], (101,), 1, None),
    "default-chunks": (HOLES, [(-1.0, 1.0)] * 3, (120, 110, 100), 1, None),
}


@pytest.mark.parametrize("case", SCANS)
def test_distributed_scan_equals_local_scan(client, case):
    mode, bounds, num, k, chunk_size = SCANS[case]
    ref = local(bounds, num, mode, k=k)
    res = fastopt.grid_search(landscape, bounds, num=num, args=(mode,), k=k, client=client,
                              chunk_size=chunk_size, progress=False)
    assert res.status == Status.SUCCESS
    assert_same_result(res, ref)


def test_all_nan_grid(client):
    with pytest.warns(fastopt.NonFiniteWarning, match="NaN/inf at all 200 grid points"):
        res = fastopt.grid_search(landscape, [(0.0, 1.0)] * 2, num=(20, 10), args=(ALL_NAN,),
                                  client=client, chunk_size=30, progress=False)
    assert res.status == Status.NONFINITE and res.index == -1 and res.nnonfinite == 200
    assert np.isnan(res.fun) and res.nfev == 200


def test_progress_from_finished_chunks(client):
    calls = []
    res = fastopt.grid_search(landscape, [(-1.0, 1.0)] * 2, num=(50, 40), args=(PLATEAUS,),
                              client=client, chunk_size=300,
                              progress=lambda done, total: calls.append((done, total)))
    assert len(calls) == 7  # ceil(2000 / 300) chunks
    assert [d for d, _ in calls] == sorted(d for d, _ in calls) and calls[-1] == (2000, 2000)
    assert res.status == Status.SUCCESS


def test_interrupt_keeps_the_finished_prefix(client):
    bounds, num = [(-1.0, 1.0)] * 2, (60, 50)

    def stop(done, total):
        raise KeyboardInterrupt

    res = fastopt.grid_search(landscape, bounds, num=num, args=(HOLES,), k=3, client=client,
                              chunk_size=100, progress=stop)
    assert res.status == Status.INTERRUPTED and res.nfev % 100 == 0 and res.nfev < 3000
    assert res.bound is None and f"interrupted after {res.nfev} of 3000" in res.message
    lo, hi = np.array(bounds).T.copy()
    values, indices = np.empty(3), np.empty(3, np.int64)
    nbad = kernels.grid_topk_range(landscape, lo, hi, np.array(num), 0, res.nfev, (HOLES,),
                                   values, indices)
    m = int(np.count_nonzero(indices >= 0))
    np.testing.assert_array_equal(res.indices, indices[:m])
    assert res.nnonfinite == nbad


def test_plain_python_objective_travels_by_value(client):
    def ring(x):  # defined here: not importable by the workers, pickled by value
        r = math.sqrt(x[0] * x[0] + x[1] * x[1])
        return (r - 0.5) ** 2 + 0.01 * x[0]

    # jit=False: the pure-Python kernels run on the workers too (and nothing compiles)
    kw = dict(num=(41, 39), k=4, progress=False, jit=False)
    ref = fastopt.grid_search(ring, [(-1, 1), (-1, 1)], **kw)
    res = fastopt.grid_search(ring, [(-1, 1), (-1, 1)], client=client, chunk_size=200, **kw)
    assert_same_result(res, ref)


def test_an_error_of_the_objective_on_a_worker_reaches_the_caller(client):
    def fragile(x):
        if x[0] > 0.9:
            raise ArithmeticError("objective failed at x[0] > 0.9")
        return x[0] * x[1]

    with pytest.raises(ArithmeticError, match="objective failed"):
        fastopt.grid_search(fragile, [(-1, 1), (-1, 1)], num=(30, 30), client=client,
                            chunk_size=100, jit=False, progress=False)

    def leftover():  # the scan's tasks are cancelled (asynchronously)
        return [k for k in client.who_has() if str(k).startswith("fastopt-grid")]

    deadline = time.monotonic() + 10
    while leftover() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not leftover()


def test_workers_follow_the_oversubscription_rule(client):
    hosts = dist.host_threads(client)
    assert sum(hosts.values()) == 2
    threads = [  # what a task running on each worker sets
        client.submit(dist._task_threads, hosts, workers=[w], pure=False).result()
        for w in client.nthreads()
    ]
    assert threads == [max(1, dist._cores() // 2)] * 2
    assert dist.numba_threads_for(cores=8, dask_threads=2) == min(
        4, numba.config.NUMBA_NUM_THREADS)


# -------------------------------------------------------------------------- dask arrays


def points(shape, seed=0):
    return np.random.default_rng(seed).uniform(-1.0, 1.0, size=shape)


def blocks_nfev(func, f, xd, **kw):
    """Sum of nfev of `func` called on each block of `xd` (with NumPy)."""
    return sum(func(f, xd.blocks[i].compute(), **kw).nfev for i in np.ndindex(xd.numblocks))


@pytest.mark.parametrize(("which", "jit"), [("gradient", True), ("hessian", False)])
def test_dask_array_derivatives_equal_numpy(client, which, jit):
    x = points((600, 3))
    xd = da.from_array(x, chunks=(250, 3))
    blocks = {"gradient": dist.gradient_blocks, "hessian": dist.hessian_blocks}[which]
    f = smooth if jit else smooth.py_func
    out = blocks(f, xd, args=(1.5,), jit=jit)
    assert isinstance(out, da.Array)
    tail = (3,) if which == "gradient" else (3, 3)
    assert out.chunks == ((250, 250, 100),) + tuple((s,) for s in tail)
    with one_thread():
        ref = getattr(fastopt, which)(f, x, args=(1.5,), jit=jit)
    np.testing.assert_array_equal(client.compute(out).result(), ref)


def test_dask_array_two_batch_axes_split_point_axis(client):
    x = points((6, 5, 3), seed=1)
    xd = da.from_array(x, chunks=(4, 2, 2))  # the split point axis is merged
    out = dist.gradient_blocks(smooth, xd, args=(0.5,))
    assert out.chunks == ((4, 2), (2, 2, 1), (3,))
    with one_thread():
        ref = fastopt.gradient(smooth, x, args=(0.5,))
    np.testing.assert_array_equal(client.compute(out).result(), ref)


def test_dask_array_matrix_points_full_output_pure_python(client):
    def trace_cubed(x):  # matrix points (ndim=2); jit=False: nothing to compile
        return (x[0, 0] + x[1, 1]) ** 3 + x[0, 1] * x[1, 0]

    x = points((4, 3, 2, 2), seed=4)
    xd = da.from_array(x, chunks=(3, 2, 2, 2))
    kw = dict(ndim=2, full_output=True, order=4, jit=False)
    res = dist.gradient_blocks(trace_cubed, xd, **kw)
    ref = fastopt.gradient(trace_cubed, x, **kw)
    value, step, status, nfev = client.compute([res.value, res.step, res.status,
                                                res.nfev], sync=True)
    assert res.value.chunks == ((3, 1), (2, 1), (2,), (2,))
    np.testing.assert_array_equal(value, ref.value)
    np.testing.assert_array_equal(step, ref.step)
    np.testing.assert_array_equal(status, ref.status)
    # nfev sums the blocks' counts (jit=False evaluates f once more per call)
    assert int(nfev) == blocks_nfev(fastopt.gradient, trace_cubed, xd, **kw) > ref.nfev


def test_dask_array_jacobian_and_hook(client):
    x = points((40, 2), seed=2)
    xd = da.from_array(x, chunks=(15, 2))
    kw = dict(args=(2.0,), jit=False)
    jac = dist.maybe_dask(fastopt.jacobian, f=vector.py_func, x=xd, **kw)
    assert jac.shape == (40, 3, 2) and jac.chunks[0] == (15, 15, 10)
    ref = fastopt.jacobian(vector.py_func, x, **kw)
    np.testing.assert_array_equal(client.compute(jac).result(), ref)
    assert dist.maybe_dask(fastopt.jacobian, f=vector, x=x) is NotImplemented


def test_dask_array_classify_points(client):
    x = np.concatenate([points((30, 2), seed=3), [[0.0, 0.0], [0.0, 0.5]]])
    xd = da.from_array(x, chunks=(10, 2))
    tol = np.linspace(1e-6, 1e-3, x.shape[0])  # one tolerance per point travels per block
    kw = dict(args=(0.0,), tol=tol, jit=False)
    res = dist.classify_points_blocks(smooth.py_func, xd, **kw)
    ref = fastopt.classify_points(smooth.py_func, x, **kw)
    kind, eig, inertia, hess, nfev = client.compute(
        [res.kind, res.eigenvalues, res.inertia, res.hessian, res.nfev], sync=True)
    np.testing.assert_array_equal(kind, ref.kind)
    np.testing.assert_array_equal(eig, ref.eigenvalues)
    np.testing.assert_array_equal(inertia, ref.inertia)
    np.testing.assert_array_equal(hess, ref.hessian)
    assert inertia.dtype == ref.inertia.dtype
    assert int(nfev) == sum(
        fastopt.classify_points(smooth.py_func, x[i : i + 10], args=(0.0,),
                                tol=tol[i : i + 10], jit=False).nfev
        for i in range(0, 32, 10)
    )


def test_dask_array_bad_input(client):
    xd = da.zeros((4, 2), chunks=(2, 2))
    with pytest.raises(ValueError, match="`ndim` = 3 trailing axes"):
        dist.gradient_blocks(smooth, xd, ndim=3)
    with pytest.raises(TypeError, match="does not accept dask arrays"):
        dist.maybe_dask(fastopt.taylor, f=smooth, x=xd)


# ------------------------------------------------------------------ fault tolerance


def recomputed_scan_tasks(dask_scheduler):
    """Chunk keys the scheduler sent to a worker more than once (a lost worker's)."""
    counts = {}
    for t in dask_scheduler.transition_log:
        if str(t.key).startswith("fastopt-grid-scan-") and t.finish == "processing":
            counts[t.key] = counts.get(t.key, 0) + 1
    return sorted(str(key) for key, c in counts.items() if c > 1)


def test_killing_a_worker_mid_scan_gives_the_same_answer(client):
    bounds, num, mode = [(-1.0, 1.0)] * 3, (126, 126, 126), SLOW  # 2M points, ~1 s
    pids = client.run(os.getpid)
    victim_address, victim = sorted(pids.items())[0]
    killed = []

    def kill_once(done, total):
        if not killed:  # the first chunk finished: both workers are busy with the next
            os.kill(victim, signal.SIGKILL)
            killed.append(done)

    assert client.run_on_scheduler(recomputed_scan_tasks) == []
    res = fastopt.grid_search(landscape, bounds, num=num, args=(mode,), client=client,
                              chunk_size=126**3 // 24, progress=kill_once)
    assert killed and killed[0] < 126**3
    with pytest.raises(ProcessLookupError):
        os.kill(victim, 0)
    assert victim_address not in client.nthreads()  # the scheduler lost that worker
    assert client.run_on_scheduler(recomputed_scan_tasks)  # ... and rescheduled its chunks
    assert res.status == Status.SUCCESS
    assert_same_result(res, local(bounds, num, mode))
    client.wait_for_workers(2, timeout=60)  # the nanny restarted it
