"""Grid scans and batched derivatives on Dask distributed (the optional ``dask`` extra).

Nothing here imports dask at module level: ``import fastopt`` works without it, and
dask/distributed are imported only when a ``client`` or a dask array is passed.

Distributed grid scan (``grid_search(..., client=client)``)
-----------------------------------------------------------
The flat index range ``[0, prod(num))`` is cut into contiguous chunks. Only a small
*spec* travels -- the objective (numba pickles it by value), ``lo``, ``hi``, ``num``,
``args`` and a few integers -- once, as a task of its own that every chunk task depends
on; each chunk task gets two integers ``(start, stop)`` and runs the same njit range-scan
kernel as the local scan (:func:`fastopt.kernels.grid_argmin` or
:func:`fastopt.kernels.grid_topk`, serial or parallel build as chosen by
:func:`fastopt._jit.select` with the worker's numba thread count). The per-chunk
candidates ``(value, index)`` (or sorted top-k lists) are combined on the cluster by a
tree of merge tasks (fan-in :data:`FAN_IN`) using :func:`fastopt.kernels.merge_argmin` /
:func:`fastopt.kernels.merge_topk`. The candidate order is total (value, then flat index),
so the result is exactly that of the local scan -- same index, same ties -- whatever the
chunking, the merge order or which worker ran what. No grid, no values ever travel.

Before the timed scan one small task per worker compiles the kernel for the objective in
that worker process and measures its speed; the default chunk size follows from that
speed and the cluster's thread count (:func:`plan_chunks`). Lost workers: the client holds
futures of every chunk and of the merge tree, so the scheduler recomputes whatever a dead
worker held (the spec task included: it is a task, not scattered data).

Numba threads on the workers
----------------------------
Every task fastopt runs on a worker sets numba's thread count (thread-local in numba) for
its own duration, by the oversubscription rule

    workers on the host x threads per worker x numba threads <= cores of the host,

i.e. ``numba threads = max(1, cores // dask threads on the host)`` (capped by
``NUMBA_NUM_THREADS``). The number of dask threads per host comes from the client when
it is known (grid scans; dask arrays built while a client is the default), else from the
worker itself.

Dask arrays
-----------
:func:`maybe_dask` is the hook at the top of ``gradient``, ``jacobian``, ``hessian`` and
``classify_points``: for a ``dask.array.Array`` of points (chunked along batch axes) it
returns lazy dask arrays computed block by block by the same public function on numpy
blocks; the points never travel to the client.
"""

from __future__ import annotations

import math
import os
import statistics
import sys
import threading
import time
import uuid
from contextlib import contextmanager

import numba
import numpy as np

from . import kernels
from ._jit import python_twin, select
from ._validation import check_int

__all__ = [
    "INSTALL_HINT",
    "GridScan",
    "check_client",
    "check_grid_options",
    "classify_points_blocks",
    "gradient_blocks",
    "hessian_blocks",
    "is_dask_array",
    "jacobian_blocks",
    "maybe_dask",
    "numba_threads_for",
    "plan_chunks",
    "warm_up_workers",
]

#: What to install for the distributed features.
INSTALL_HINT = "pip install 'fastopt[dask]' (or pip install 'dask[distributed]')"
#: Most chunks per dask thread of the cluster (load balance, progress and recomputation
#: granularity); fewer when chunks would last less than :data:`CHUNK_SECONDS`.
CHUNKS_PER_THREAD = 16
#: Shortest chunk task: dask's per-task overhead (~1-5 ms) stays below ~2%.
CHUNK_SECONDS = 0.25
#: Scheduler time per task (dask's documented order of magnitude, ~1 ms); it is serial,
#: so many short tasks on a large cluster wait for the scheduler (see plan_chunks).
SCHEDULER_SECONDS = 1e-3
#: Largest number of chunks of one scan.
MAX_CHUNKS = 100_000
#: Fan-in of the merge tree.
FAN_IN = 8
#: The speed probe of each worker scans at least this long (and at most the whole grid).
_PROBE_SECONDS = 0.01
_PROBE_FIRST = 4096


# --------------------------------------------------------------------------- imports


def _import_distributed(what: str):
    try:
        import distributed
    except ImportError as exc:
        raise ImportError(
            f"{what} needs dask.distributed, which is not installed: {INSTALL_HINT}"
        ) from exc
    return distributed


def check_client(client):
    """Return `client` if it is a connected synchronous ``dask.distributed.Client``.

    Raises
    ------
    ImportError
        dask.distributed is not installed.
    TypeError
        `client` is not a ``distributed.Client``, or is asynchronous.
    ValueError
        The client is closed.
    """
    distributed = _import_distributed("`client`")
    if not isinstance(client, distributed.Client):
        raise TypeError(
            "`client` must be a dask.distributed.Client (or None for a local scan); got "
            f"{type(client).__module__}.{type(client).__name__}"
        )
    if client.asynchronous:
        raise TypeError("`client` must be a synchronous Client; got an asynchronous one")
    if client.status != "running":
        raise ValueError(f"`client` is not connected (status {client.status!r})")
    return client


def check_grid_options(client, chunk_size, return_values: bool, total: int):
    """Check the distributed options of ``grid_search``; return the cleaned `chunk_size`.

    Parameters
    ----------
    client : distributed.Client or None
        The ``client`` argument.
    chunk_size : int or None
        Points per chunk task (None: chosen from the cluster, see :func:`plan_chunks`).
    return_values : bool
        Refused with a client: the values would have to travel back.
    total : int
        Number of grid points.

    Returns
    -------
    int or None
        `chunk_size` as an int.
    """
    if client is None:
        if chunk_size is not None:
            raise ValueError(
                "`chunk_size` sets the chunks of a distributed scan: pass `client` as well, "
                "or leave chunk_size=None"
            )
        return None
    check_client(client)
    if return_values:
        raise ValueError(
            "return_values=True is not available with `client`: every value would have to "
            "travel back to the client; scan without values, or locally"
        )
    if chunk_size is not None:
        chunk_size = check_int("chunk_size", chunk_size, minimum=1)
        if -(-total // chunk_size) > MAX_CHUNKS:
            raise ValueError(
                f"`chunk_size` = {chunk_size} cuts the {total} grid points into more than "
                f"{MAX_CHUNKS:,} chunks (dask's per-task overhead would dominate); pass a "
                f"chunk_size of at least {-(-total // MAX_CHUNKS)}, or None"
            )
    return chunk_size


# --------------------------------------------------------------------- numba threads


def _cores() -> int:
    try:
        from distributed.system import CPU_COUNT  # cgroup and affinity aware

        return int(CPU_COUNT)
    except ImportError:
        pass
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def host_threads(client) -> dict:
    """Dask threads per host of the cluster: ``{host: sum of nthreads of its workers}``."""
    from distributed.comm.addressing import get_address_host

    table: dict = {}
    for address, nthreads in client.nthreads().items():
        host = get_address_host(address)
        table[host] = table.get(host, 0) + int(nthreads)
    return table


def numba_threads_for(cores: int, dask_threads: int) -> int:
    """Numba threads per dask thread by the oversubscription rule.

    ``workers x threads per worker x numba threads <= cores`` on each host, so
    ``max(1, cores // dask_threads)`` where `dask_threads` counts the threads of all
    workers on the host; never more than numba's ``NUMBA_NUM_THREADS``.

    Examples
    --------
    >>> import numba
    >>> from fastopt._distributed import numba_threads_for
    >>> numba_threads_for(cores=2, dask_threads=2)   # 2 workers x 1 thread on 2 cores
    1
    >>> k = numba_threads_for(cores=64, dask_threads=4)  # 4 x 1 on 64 cores: 16
    >>> k == min(16, numba.config.NUMBA_NUM_THREADS)
    True
    """
    k = max(1, int(cores) // max(1, int(dask_threads)))
    return min(k, numba.config.NUMBA_NUM_THREADS)


def _task_threads(hosts) -> int | None:
    """Numba threads for the task running in this thread (None: leave numba alone)."""
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):
        worker = None
    if worker is not None:
        from distributed.comm.addressing import get_address_host

        used = (hosts or {}).get(get_address_host(worker.address)) or worker.state.nthreads
        return numba_threads_for(_cores(), used)
    if threading.current_thread() is threading.main_thread():
        return None  # dask's synchronous scheduler: the caller's own setting
    # dask's local threaded scheduler: its pool has num_workers (default: cores) threads
    import dask

    used = dask.config.get("num_workers", None) or _cores()
    return numba_threads_for(_cores(), used)


@contextmanager
def _numba_threads(hosts):
    """Within a task: numba's thread count set by the oversubscription rule, then restored."""
    k = _task_threads(hosts)
    if k is None:
        yield
        return
    before = numba.get_num_threads()
    numba.set_num_threads(k)
    try:
        yield
    finally:
        numba.set_num_threads(before)


# ------------------------------------------------------------------------- grid scan


class _ScanSpec:
    """Everything a chunk task needs besides (start, stop); travels once per worker.

    A plain class: dask would traverse a tuple or dataclass (and read a tuple starting
    with a callable, e.g. in ``args``, as a task).
    """

    __slots__ = ("f", "lo", "hi", "num", "args", "k", "jit", "work", "hosts")

    def __init__(self, f, lo, hi, num, args, k, jit, work, hosts):
        self.f, self.lo, self.hi, self.num, self.args = f, lo, hi, num, args
        self.k, self.jit, self.work, self.hosts = k, jit, work, hosts

    def __reduce__(self):
        return _ScanSpec, (self.f, self.lo, self.hi, self.num, self.args, self.k, self.jit,
                           self.work, self.hosts)


def _identity(value):
    return value


def _scan_range(spec: _ScanSpec, start: int, stop: int):
    """Chunk task: the best candidate, or sorted top-k list, of ``[start, stop)``."""
    with _numba_threads(spec.hosts), np.errstate(all="ignore"):
        if spec.k > 1:
            kernel = select(kernels.grid_topk, work=spec.work, jit=spec.jit)
            values, indices = np.empty(spec.k), np.empty(spec.k, np.int64)
            nbad = kernel(spec.f, spec.lo, spec.hi, spec.num, start, stop, spec.args,
                          values, indices)
            return values, indices, int(nbad)
        kernel = select(kernels.grid_argmin, work=spec.work, jit=spec.jit)
        best, index, nbad = kernel(spec.f, spec.lo, spec.hi, spec.num, start, stop, spec.args)
        return float(best), int(index), int(nbad)


def _merge(k: int, jit: bool, *parts):
    """Merge task: combine chunk (or merge) results exactly (any order gives the same)."""
    nbad = sum(int(p[2]) for p in parts)
    if k > 1:
        merge = kernels.merge_topk if jit else python_twin(kernels.merge_topk)
        values, indices = np.full(k, np.inf), np.full(k, -1, np.int64)
        for pv, pi, _ in parts:
            tv, ti = np.empty(k), np.empty(k, np.int64)
            merge(values, indices, pv, pi, tv, ti)
            values, indices = tv, ti
        return values, indices, nbad
    merge = kernels.merge_argmin if jit else python_twin(kernels.merge_argmin)
    best, index = math.inf, -1
    for b, i, _ in parts:
        best, index = merge(best, index, float(b), int(i))
    return float(best), int(index), nbad


def _warm(spec: _ScanSpec, stop: int) -> float:
    """Warm-up task, one per worker: compile the chunk kernel here, return its speed.

    The speed (points per second of one task) is measured on ``[0, m)``, ``m`` growing
    until the scan lasts :data:`_PROBE_SECONDS` (at most the whole grid).
    """
    _scan_range(spec, 0, 0)  # compiles the build the chunk tasks will use
    m = min(_PROBE_FIRST, stop)
    while True:
        t0 = time.perf_counter()
        _scan_range(spec, 0, m)
        seconds = time.perf_counter() - t0
        if seconds >= _PROBE_SECONDS or m >= stop:
            return m / max(seconds, 1e-9)
        m = min(stop, 8 * m)


def plan_chunks(total: int, *, threads: int, rate: float, chunk_size: int | None = None):
    """Cut ``[0, total)`` into chunk ranges ``[(start, stop), ...]``.

    With `chunk_size`: ranges of that many points (the last one shorter). Otherwise
    chunks of equal size (+-1), as many as

    * ``sqrt(W / SCHEDULER_SECONDS)``, ``W = total / rate`` the scan's task-seconds:
      this minimises the scheduler's serial time (``SCHEDULER_SECONDS`` per task) plus
      the length of one chunk (the load-balancing tail);
    * but at least one per dask thread (`threads`), at most :data:`CHUNKS_PER_THREAD`
      per thread, and none shorter than :data:`CHUNK_SECONDS` at `rate` points per
      second per task.

    Examples
    --------
    >>> from fastopt._distributed import plan_chunks
    >>> plan_chunks(10, threads=2, rate=1e9, chunk_size=4)
    [(0, 4), (4, 8), (8, 10)]
    >>> len(plan_chunks(10**9, threads=2, rate=3e7))  # 33 s of work: 16 per thread
    32
    >>> len(plan_chunks(10**11, threads=1024, rate=3e7))  # sqrt(3333 / 1e-3)
    1826
    >>> plan_chunks(1000, threads=2, rate=3e7)  # far less than 0.25 s: one chunk
    [(0, 1000)]
    """
    if chunk_size is not None:
        return [(s, min(total, s + chunk_size)) for s in range(0, total, chunk_size)]
    threads = max(1, threads)
    seconds = total / max(rate, 1e-300)
    longest = max(1, min(math.ceil(seconds / CHUNK_SECONDS), total, MAX_CHUNKS))
    balanced = round(math.sqrt(seconds / SCHEDULER_SECONDS))
    nchunks = min(max(balanced, threads), CHUNKS_PER_THREAD * threads, longest)
    return [(c * total // nchunks, (c + 1) * total // nchunks) for c in range(nchunks)]


class GridScan:
    """The distributed scan behind ``grid_search(..., client=client)``.

    The same interface as the local block loop of :mod:`fastopt._grid` (``run``,
    ``best``, ``done``, ``nnonfinite``, ``elapsed``), so ``grid_search`` wraps either
    into the same :class:`~fastopt.GridResult`.
    """

    def __init__(self, client, func, lo, hi, num, total, args, k, jit, chunk_size=None):
        self.client, self.func, self.lo, self.hi, self.num = client, func, lo, hi, num
        self.total, self.args, self.k, self.jit = total, args, k, jit
        self.chunk_size = chunk_size
        self.state = (0, math.inf, -1, 0)
        self.topk_state = (np.full(k, np.inf), np.full(k, -1, np.int64))
        self.elapsed = 0.0
        self.chunks: list = []

    @property
    def done(self):
        return self.state[0]

    @property
    def nnonfinite(self):
        return self.state[3]

    def _commit(self, done, result):
        if self.k > 1:
            values, indices, nbad = result
            self.topk_state = (np.asarray(values, float), np.asarray(indices, np.int64))
            self.state = (done, math.inf, -1, int(nbad))
        else:
            best, index, nbad = result
            self.state = (done, float(best), int(index), int(nbad))

    def run(self, progress):
        """Warm the workers up, scan every chunk on the cluster, merge; report progress.

        Ctrl-C (or a progress callable raising KeyboardInterrupt) cancels the scan and
        keeps the merged result of the longest finished prefix of chunks.
        """
        distributed = _import_distributed("grid_search(client=...)")
        client, total = self.client, self.total
        token = uuid.uuid4().hex
        futures, chunks, ranges = [], [], []
        t_start = time.perf_counter()
        try:
            nthreads = client.nthreads()
            if not nthreads:
                client.wait_for_workers(1)
                nthreads = client.nthreads()
            work = (self.chunk_size or total) * self.lo.shape[0]
            spec = _ScanSpec(self.func, self.lo, self.hi, self.num, self.args, self.k,
                             self.jit, work, host_threads(client))
            spec_future = client.submit(_identity, spec, key=f"fastopt-grid-spec-{token}")
            futures.append(spec_future)
            warm = [
                client.submit(_warm, spec_future, total, key=f"fastopt-grid-warm-{token}-{i}",
                              workers=[w], allow_other_workers=True)
                for i, w in enumerate(nthreads)
            ]
            try:
                rate = statistics.median(client.gather(warm))
            finally:  # released now: a lost worker's warm-up is not recomputed
                client.cancel(warm)
            ranges = plan_chunks(total, threads=sum(nthreads.values()), rate=rate,
                                 chunk_size=self.chunk_size)
            t_start = time.perf_counter()
            chunks = client.map(
                _scan_range, [spec_future] * len(ranges), [r[0] for r in ranges],
                [r[1] for r in ranges],
                key=[f"fastopt-grid-scan-{token}-{i}" for i in range(len(ranges))],
            )
            futures += chunks
            root, merges = self._tree(chunks, token)
            futures += merges
            size = {fut.key: stop - start for fut, (start, stop) in zip(chunks, ranges,
                                                                        strict=True)}
            done = 0
            for fut in distributed.as_completed(chunks):
                if fut.status != "finished":
                    fut.result()  # raises the task's error (or CancelledError)
                done += size[fut.key]
                seconds = time.perf_counter() - t_start
                progress.update(done, size[fut.key], (total - done) * seconds / max(done, 1))
            self._commit(total, root.result())
        except KeyboardInterrupt:
            self._commit(*self._prefix(chunks, ranges))
        finally:
            self.elapsed = time.perf_counter() - t_start
            progress.close()
            if futures:
                client.cancel(futures)
        self.chunks = ranges

    def _tree(self, chunks, token):
        """Submit the merge tree over the chunk futures; return (root, merge futures)."""
        level, merges, depth = chunks, [], 0
        while len(level) > 1:
            level = [
                self.client.submit(_merge, self.k, self.jit, *level[i : i + FAN_IN],
                                   key=f"fastopt-grid-merge-{token}-{depth}-{i}")
                for i in range(0, len(level), FAN_IN)
            ]
            merges += level
            depth += 1
        return level[0], merges

    def _prefix(self, chunks, ranges):
        """(done, merged result) of the longest prefix of finished chunks."""
        finished = []
        for fut in chunks:
            if fut.status != "finished":
                break
            finished.append(fut)
        parts = self.client.gather(finished) if finished else []
        done = ranges[len(finished) - 1][1] if finished else 0
        return done, _merge(self.k, self.jit, *parts)

    def best(self):
        """Return the best candidates found, sorted, padded with (inf, -1)."""
        if self.k > 1:
            return self.topk_state
        _, best, index, _ = self.state
        return np.array([best]), np.array([index], dtype=np.int64)


# ------------------------------------------------------------------------ dask arrays


def is_dask_array(x) -> bool:
    """Whether `x` is a ``dask.array.Array``, without importing dask.

    Examples
    --------
    >>> import numpy as np
    >>> from fastopt._distributed import is_dask_array
    >>> is_dask_array(np.zeros(3))
    False
    """
    if not type(x).__module__.startswith("dask"):
        return False
    da = sys.modules.get("dask.array")
    return da is not None and isinstance(x, da.Array)


class _BlockSpec:
    """What a block task needs besides its blocks (an opaque object for dask)."""

    def __init__(self, func, f, kwargs, hosts, per_point):
        self.func, self.f, self.kwargs = func, f, kwargs
        self.hosts, self.per_point = hosts, per_point


def _run_block(points, *per_point_blocks, spec: _BlockSpec):
    kwargs = dict(spec.kwargs)
    kwargs.update(zip(spec.per_point, per_point_blocks, strict=True))
    with _numba_threads(spec.hosts):
        return spec.func(spec.f, np.asarray(points), **kwargs)


class _Call:
    """``func(f, x, **kwargs)`` as an opaque object (dask traverses tuples and dicts)."""

    def __init__(self, func, f, x, kwargs, hosts):
        self.func, self.f, self.x, self.kwargs, self.hosts = func, f, x, kwargs, hosts


def _timed_call(call: _Call) -> float:
    t0 = time.perf_counter()
    with _numba_threads(call.hosts), np.errstate(all="ignore"):
        call.func(call.f, call.x, **call.kwargs)
    return time.perf_counter() - t0


def warm_up_workers(client, func, f, x, **kwargs) -> dict:
    """Run ``func(f, x, **kwargs)`` once in every worker process: compile there.

    Each worker process compiles the kernels for an objective the first time it runs
    them (about 1-7 s per kernel and objective). ``grid_search(..., client=client)``
    warms the workers up by itself; use this before timing, or before computing dask
    arrays of derivatives, so that no block pays the compilation. The call runs in a
    task with the numba thread count of later tasks (the oversubscription rule), hence
    compiles the same build (serial or parallel) they will use; pass an `x` about the
    size of one block. Workers started later (a restart after a failure, adaptive
    scaling) compile on their first task.

    Parameters
    ----------
    client : distributed.Client
        The cluster.
    func : callable
        A fastopt function called as ``func(f, x, **kwargs)``: ``fastopt.gradient``,
        ``fastopt.hessian``, ``fastopt.classify_points``, ``fastopt.grid_search``, ...
    f : callable
        The objective (the same function object as later: numba identifies compiled
        functions by object, so a redefined function compiles again).
    x : array_like
        Example points (NumPy), or the bounds for ``grid_search``.
    **kwargs
        Passed to `func`, e.g. ``args=``; the same types as later.

    Returns
    -------
    dict
        Seconds spent per worker address.

    Examples
    --------
    >>> import numpy as np
    >>> import fastopt
    >>> from dask.distributed import Client  # doctest: +SKIP
    >>> client = Client(n_workers=2, threads_per_worker=1)  # doctest: +SKIP
    >>> def f(x):
    ...     return np.sum(x**2)
    >>> fastopt.warm_up_workers(client, fastopt.gradient, f,  # doctest: +SKIP
    ...                         np.zeros((10_000, 3)))
    {'tcp://127.0.0.1:40123': 2.1, 'tcp://127.0.0.1:39871': 2.2}
    """
    check_client(client)
    call = _Call(func, f, x, kwargs, host_threads(client))
    token = uuid.uuid4().hex
    futures = {
        w: client.submit(_timed_call, call, key=f"fastopt-warm-up-{token}-{i}", workers=[w],
                         allow_other_workers=True)
        for i, w in enumerate(client.nthreads())
    }
    try:
        return dict(zip(futures, client.gather(list(futures.values())), strict=True))
    finally:
        client.cancel(list(futures.values()))


def _take(result, *, field, cast, nbatch):
    """Field task: one output of a block result (a count becomes a 1x...x1 block)."""
    value = result if field is None else getattr(result, field)
    if cast == "count":
        return np.full((1,) * nbatch, int(value), dtype=np.int64)
    return np.asarray(value).astype(cast, copy=False)


def _default_hosts():
    """Dask threads per host from the default distributed client, if there is one."""
    distributed = sys.modules.get("distributed")
    if distributed is None:
        return {}
    try:
        client = distributed.get_client()
    except ValueError:
        return {}
    try:
        return host_threads(client)
    except Exception:  # noqa: BLE001 - a closing client: fall back to the worker's view
        return {}


def _blockwise(func, f, x, kwargs, fields, *, name):
    """Apply ``func(f, block, **kwargs)`` to every batch block of the dask array `x`.

    `fields` maps an output field (None: the result itself) to ``(trailing shape,
    dtype)`` or to ``"count"`` (an int per block, summed into a 0-d array). Returns
    ``{field: dask array}``.
    """
    import dask.array as da

    ndim, _ = _layout(x, kwargs)
    nbatch = x.ndim - ndim
    single = nbatch == 0
    if single:  # one point: a batch of one
        x, nbatch = x[None], 1
    x = x.rechunk({ax: -1 for ax in range(nbatch, x.ndim)})  # a point is never split
    batch_shape = x.shape[:nbatch]
    batch_chunks = x.chunks[:nbatch]
    per_point, extra = [], []
    for key in ("gtol", "tol"):
        value = kwargs.get(key)
        if value is not None and np.ndim(value) > 0:  # one tolerance per point
            arr = da.broadcast_to(da.asarray(value), batch_shape).rechunk(batch_chunks)
            per_point.append(key)
            extra += [arr, tuple(range(nbatch))]
    kwargs = {k: v for k, v in kwargs.items() if k not in per_point}
    spec = _BlockSpec(func, f, kwargs, _default_hosts(), tuple(per_point))
    token = f"{name}-{uuid.uuid4().hex}"
    results = da.blockwise(
        _run_block, tuple(range(nbatch)), x, tuple(range(x.ndim)), *extra,
        spec=spec, concatenate=True, dtype=object, name=f"fastopt-{token}",
        meta=np.empty((0,) * nbatch, dtype=object),
    )
    out = {}
    for field, how in fields.items():
        label = f"fastopt-{token}-{field or 'value'}"
        if how == "count":
            counts = results.map_blocks(
                _take, field=field, cast="count", nbatch=nbatch, name=label, dtype=np.int64,
                chunks=tuple((1,) * len(c) for c in batch_chunks),
                meta=np.empty((0,) * nbatch, dtype=np.int64),
            )
            out[field] = counts.sum()
            continue
        trailing, dtype = how
        arr = results.map_blocks(
            _take, field=field, cast=dtype, nbatch=nbatch, name=label, dtype=dtype,
            new_axis=list(range(nbatch, nbatch + len(trailing))),
            chunks=batch_chunks + tuple((s,) for s in trailing),
            meta=np.empty((0,) * (nbatch + len(trailing)), dtype=dtype),
        )
        out[field] = arr[0] if single else arr
    return out


def _layout(x, kwargs):
    """``(ndim, point shape)`` of the dask array `x`; raise on a bad `ndim` or shape."""
    ndim = check_int("ndim", kwargs.get("ndim", 1), minimum=1)
    if ndim > x.ndim:
        raise ValueError(
            f"`ndim` = {ndim} trailing axes form one point, but `x` has only {x.ndim} axes"
        )
    if any(math.isnan(s) for s in x.shape):
        raise ValueError(
            "`x` has unknown chunk sizes (NaN in its shape); call x.compute_chunk_sizes() "
            "first"
        )
    return ndim, tuple(x.shape[x.ndim - ndim :])


def _derivative_blocks(func, what, f, x, kwargs, value_shape):
    from ._result import DerivativeResult

    full = kwargs.get("full_output", False)
    if not isinstance(full, bool | np.bool_):
        raise TypeError(f"`full_output` must be True or False; got {full!r}")
    _, pshape = _layout(x, kwargs)
    trailing = value_shape(pshape)
    if not full:
        out = _blockwise(func, f, x, kwargs, {None: (trailing, np.float64)}, name=what)
        return out[None]
    fields = {
        "value": (trailing, np.float64),
        "error": (trailing, np.float64),
        "step": (pshape, np.float64),
        "status": ((), np.int8),
        "nfev": "count",
        "ngev": "count",
    }
    out = _blockwise(func, f, x, kwargs, fields, name=what)
    return DerivativeResult(**out)


def gradient_blocks(f, x, **kwargs):
    """:func:`fastopt.gradient` of a dask array of points, block by block (lazy).

    Parameters
    ----------
    f : callable
        The objective, as for :func:`fastopt.gradient`; it travels to the workers
        (numba pickles compiled functions by value; modules they use must be importable
        there).
    x : dask.array.Array
        Points; the trailing `ndim` axes form one point and should be one chunk (they
        are rechunked otherwise); chunk the batch axes.
    **kwargs
        The keyword arguments of :func:`fastopt.gradient`, passed to every block.

    Returns
    -------
    dask.array.Array or DerivativeResult
        The gradients, chunked as `x`; with ``full_output=True`` a
        :class:`~fastopt.DerivativeResult` of dask arrays (``nfev``, ``ngev``: 0-d).

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> from fastopt._distributed import gradient_blocks
    >>> def f(x):
    ...     return x[0] ** 2 + 3.0 * x[1]
    >>> x = da.ones((1000, 2), chunks=(250, 2))
    >>> g = gradient_blocks(f, x)
    >>> g.chunks
    ((250, 250, 250, 250), (2,))
    >>> np.round(g[:2].compute(), 6)
    array([[2., 3.],
           [2., 3.]])
    """
    from ._differentiate import gradient

    return _derivative_blocks(gradient, "gradient", f, x, kwargs, lambda p: p)


def hessian_blocks(f, x, **kwargs):
    """:func:`fastopt.hessian` of a dask array of points, block by block (lazy).

    Parameters and returns as :func:`gradient_blocks`; the output chunks are the batch
    chunks of `x` followed by the point shape twice.

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> from fastopt._distributed import hessian_blocks
    >>> def f(x):
    ...     return x[0] ** 2 * x[1]
    >>> H = hessian_blocks(f, da.ones((10, 2), chunks=(5, 2)))
    >>> H.shape, np.round(H[0].compute(), 5)
    ((10, 2, 2), array([[2., 2.],
           [2., 0.]]))
    """
    from ._differentiate import hessian

    return _derivative_blocks(hessian, "hessian", f, x, kwargs, lambda p: p + p)


def jacobian_blocks(f, x, **kwargs):
    """:func:`fastopt.jacobian` of a dask array of points, block by block (lazy).

    The output length ``m`` of ``f`` must be known to build the graph: `f` is evaluated
    once on the client at the first point of `x` (computing that one point only).

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> from fastopt._distributed import jacobian_blocks
    >>> def F(x):
    ...     return np.array([x[0] * x[1], x[0], 1.0])
    >>> J = jacobian_blocks(F, da.ones((6, 2), chunks=(3, 2)))
    >>> J.shape
    (6, 3, 2)
    """
    from ._differentiate import jacobian

    _, pshape = _layout(x, kwargs)
    nbatch = x.ndim - len(pshape)
    first = np.asarray(x[(0,) * nbatch].compute(), dtype=np.float64).reshape(pshape)
    value = f(first, *kwargs.get("args", ()))
    m = int(np.asarray(value).size)
    return _derivative_blocks(jacobian, "jacobian", f, x, kwargs, lambda p: (m,) + p)


def classify_points_blocks(f, x, **kwargs):
    """:func:`fastopt.classify_points` of a dask array of points, block by block (lazy).

    Returns a :class:`~fastopt.PointClassification` whose arrays are dask arrays
    (chunked along the batch axes of `x`) and whose ``nfev`` is a 0-d dask array.
    Compute the fields you need together (``dask.compute(res.kind, res.eigenvalues)``):
    each block is then classified once. Array-valued `gtol` / `tol` (one per point) are
    broadcast to the batch shape and chunked as `x`.

    Examples
    --------
    >>> import dask.array as da
    >>> import fastopt
    >>> from fastopt._distributed import classify_points_blocks
    >>> def f(x):
    ...     return x[0] ** 2 - x[1] ** 2
    >>> res = classify_points_blocks(f, da.zeros((4, 2), chunks=(2, 2)))
    >>> [fastopt.PointType(k).name for k in res.kind.compute()]
    ['SADDLE', 'SADDLE', 'SADDLE', 'SADDLE']
    """
    from ._critical import _inertia_dtype, classify_points
    from ._result import PointClassification

    _, pshape = _layout(x, kwargs)
    n = math.prod(pshape)
    fields = {
        "kind": ((), np.int8),
        "grad_norm": ((), np.float64),
        "eigenvalues": ((n,), np.float64),
        "inertia": ((3,), _inertia_dtype(n)),
        "gtol": ((), np.float64),
        "tol": ((), np.float64),
        "fun": ((), np.float64),
        "gradient": (pshape, np.float64),
        "hessian": (pshape + pshape, np.float64),
        "nfev": "count",
    }
    out = _blockwise(classify_points, f, x, kwargs, fields, name="classify_points")
    return PointClassification(**out)


_BLOCKS = {
    "gradient": gradient_blocks,
    "hessian": hessian_blocks,
    "jacobian": jacobian_blocks,
    "classify_points": classify_points_blocks,
}


def maybe_dask(func, /, x, **kwargs):
    """Run `func` block by block when `x` is a dask array (the hook of the batch API).

    Parameters
    ----------
    func : callable
        The public function calling the hook: ``gradient``, ``hessian``, ``jacobian`` or
        ``classify_points``.
    x : object
        Its points.
    **kwargs
        Its other arguments, ``f`` included (the hook passes ``**locals()``).

    Returns
    -------
    NotImplemented or result
        ``NotImplemented`` unless `x` is a ``dask.array.Array`` (then the caller goes on
        as usual); otherwise the lazy result of ``func`` applied block by block.

    Examples
    --------
    >>> import numpy as np
    >>> import fastopt
    >>> from fastopt._distributed import maybe_dask
    >>> maybe_dask(fastopt.gradient, np.zeros(2), f=np.sum) is NotImplemented
    True
    """
    if not is_dask_array(x):
        return NotImplemented
    try:
        blocks = _BLOCKS[func.__name__]
    except KeyError:
        raise TypeError(f"{func.__name__} does not accept dask arrays") from None
    f = kwargs.pop("f")
    return blocks(f, x, **kwargs)
