"""Exhaustive grid search: the Python API layer.

Validation, then the scan of the flat index range in blocks (one parallel kernel call
per block, so that a progress bar can update and Ctrl-C can stop the scan between
blocks), then wrapping. The grid, the candidate order and the kernels are documented in
:mod:`fastopt.kernels._grid`; the user guide is ``docs/grid.md``.
"""

from __future__ import annotations

import math
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable

import numpy as np

from . import _distributed, kernels
from ._jit import python_twin, select
from ._minimize import check_finish, polish
from ._result import GridResult, NonFiniteWarning, Status
from ._validation import (
    check_args,
    check_bounds,
    check_int,
    check_objective,
    check_probe,
)

__all__ = ["grid_search", "MAX_VALUES_BYTES", "MAX_K"]

#: Largest array of values ``return_values=True`` may allocate, in bytes (1 GiB:
#: 134,217,728 float64 values). Larger grids: scan without values, or fill your own
#: arrays range by range with :func:`fastopt.kernels.grid_values`.
MAX_VALUES_BYTES = 2**30

#: Largest `k` (each thread chunk keeps a heap of k candidates).
MAX_K = 1_000_000

_INT64_MAX = 2**63 - 1
#: Relative tolerance when turning `eps` into a number of points, so that a spacing
#: that divides the width up to rounding gives the expected count.
_EPS_RTOL = 1e-12
#: The first block of a scan (points): it measures the speed of the objective.
_FIRST_BLOCK = 4096
#: Target duration of one block: the scan reacts to Ctrl-C and updates its progress bar
#: after each block.
_BLOCK_SECONDS = 0.25
#: A block is at most this many times larger than the previous one (the speed of the
#: objective may vary over the box).
_BLOCK_GROWTH = 1024
#: ``progress=None`` shows a bar when the scan is expected to take longer than this.
_AUTO_PROGRESS_SECONDS = 2.0


def grid_search(
    f: Callable,
    bounds,
    *,
    args: tuple = (),
    num=None,
    eps=None,
    k: int = 1,
    return_values: bool = False,
    progress=None,
    lipschitz: float | None = None,
    finish: str | None = None,
    jit: bool = True,
    client=None,
    chunk_size: int | None = None,
) -> GridResult:
    r"""Minimise `f` over every point of a regular grid on a box (brute force).

    The exhaustive global method: a grid of spacing ``eps`` finds the global minimum of
    a Lipschitz function to within ``L * eps * sqrt(n) / 2`` at the cost of
    ``O(eps**-n)`` evaluations. The grid is never stored: each thread decodes its flat
    index range into points, so memory does not grow with the number of points (except
    with `return_values`).

    Parameters
    ----------
    f : callable
        ``f(x, *args) -> float`` with ``x`` a float64 array of shape (n,). A numba
        function runs at full speed; a plain Python function is compiled with numba.
        `f` must not modify ``x`` (the scan reuses it).
    bounds : array_like, shape (n, 2)
        ``(lo_i, hi_i)`` per axis, finite, ``lo_i < hi_i`` (as ``scipy.optimize``).
    args : tuple, optional
        Extra arguments passed to `f`.
    num : int or sequence of int, optional
        Points per axis (>= 1), the same for every axis or one per axis.
    eps : float or sequence of float, optional
        Largest spacing per axis (> 0): ``num_i = ceil((hi_i - lo_i) / eps_i) + 1``
        (with a relative tolerance of 1e-12, so that e.g. ``bounds=[(0.1, 0.4)]``,
        ``eps=0.1`` gives 4 points, not 5). Give exactly one of `num` and `eps`.
    k : int, optional
        Also return the `k` best points (``xs``, ``funs``, ``indices``), sorted by value,
        then flat index. At most :data:`MAX_K`.
    return_values : bool, optional
        Also return every value, an array of shape ``num`` (for plots). Refused if it
        needs more than :data:`MAX_VALUES_BYTES` (1 GiB).
    progress : bool, callable or None, optional
        ``True``: a tqdm progress bar (needs tqdm). ``False``: none. ``None`` (default):
        a bar only when the scan is expected to take more than 2 s and stderr is a
        terminal (and tqdm is installed). A callable is called as
        ``progress(done, total)`` after every block of the scan; if it raises
        ``KeyboardInterrupt`` the scan stops as on Ctrl-C.
    lipschitz : float, optional
        A Lipschitz constant ``L`` of `f` on the box (Euclidean norm). The result then
        carries ``bound = L * ||spacing||_2 / 2``, see Notes.
    finish : {None, "bfgs", "newton", "gd"}, optional
        Polish the best grid point (the `k` best, batched, for ``k > 1``) with
        :func:`fastopt.minimize` and this method inside `bounds` (default options,
        finite-difference derivatives). The result is in ``polished``; ``x``,
        ``fun`` and ``nfev`` stay those of the grid, ``polished.nfev`` counts the
        local evaluations. Skipped (``polished = None``) unless the scan succeeded.
    jit : bool, optional
        ``False`` runs the same kernels as plain Python (slow, for objectives numba
        cannot compile); the answers are the same.
    client : dask.distributed.Client, optional
        Scan on this Dask cluster (needs ``pip install fastopt[dask]``): the same result
        (same index, same ties) as the local scan; see Notes and ``docs/distributed.md``.
        `f` must be picklable (numba functions and plain functions are) and the modules
        it uses importable on the workers. Not with `return_values`.
    chunk_size : int, optional
        With `client`: grid points per task. Default: from the cluster's thread count
        and the objective's speed measured on the workers (at most 16 chunks per thread,
        each of about 0.25 s).

    Returns
    -------
    GridResult
        ``x``, ``fun``, ``index`` (flat, C order), the k best ``xs``/``funs``/
        ``indices``, ``nfev``, ``num``, ``spacing``, ``nnonfinite``, ``status``,
        ``elapsed``, ``bound``, ``values``, ``message`` and ``polished`` (with
        `finish`); see :class:`GridResult`.

    Raises
    ------
    ValueError, TypeError
        For bad input, before any evaluation: malformed, empty, non-finite or inverted
        `bounds`; both or neither of `num`/`eps`; ``num < 1``; ``eps <= 0``; a grid of
        more than ``2**63 - 1`` points; ``return_values`` above the memory cap; an
        objective numba cannot compile (pass ``jit=False``).
    ImportError
        ``progress=True`` without tqdm; `client` without dask.distributed.

    Notes
    -----
    **Where the points lie.** Axis ``i`` carries ``np.linspace(lo_i, hi_i, num_i)``
    exactly: ``x_i(j) = j * (hi_i - lo_i) / (num_i - 1) + lo_i`` for
    ``j = 0 .. num_i - 1``, the last point exactly ``hi_i``. An axis with ``num_i = 1``
    carries the midpoint ``lo_i + (hi_i - lo_i) / 2``. With `eps` both endpoints are on
    the grid and the spacing is ``(hi_i - lo_i) / (num_i - 1) <= eps_i``. Points are
    numbered in C order (last axis fastest), so ``index`` and ``values.ravel()`` agree
    with ``np.argmin`` over ``values``.

    **Exact argmin.** NaN and +-inf values are skipped (counted in ``nnonfinite``).
    Among equal values the lowest flat index wins, for any number of threads: the result
    is ``np.argmin`` of the materialised values with non-finite entries replaced by
    ``inf``. The k best are ``np.argsort(values, kind="stable")[:k]`` of the same array.

    **Lipschitz bound.** Every point ``y`` of the box has a grid point ``g`` with
    ``|y_i - g_i| <= spacing_i / 2`` on every axis (``spacing_i = hi_i - lo_i`` where
    ``num_i = 1``: the midpoint), so ``||y - g||_2 <= ||spacing||_2 / 2``. Take ``y``
    a minimiser of ``f`` over the box: ``fun <= f(g) <= f(y) + L ||g - y||_2``, hence
    ``0 <= fun - min f <= L * ||spacing||_2 / 2 = bound`` (up to rounding of the
    coordinates, a few ulp). The guarantee needs every point scanned and finite, so
    ``bound`` is ``inf`` after an interruption or when ``nnonfinite > 0``.

    **Ctrl-C.** The scan runs in blocks of about 0.25 s (the first block, 4096 points,
    measures the objective's speed). Ctrl-C (SIGINT, in the main thread) is deferred to
    the end of the running block; the scan then stops and *returns* the best of the
    points scanned so far with ``status == Status.INTERRUPTED`` (``success`` is False,
    ``nfev`` counts the scanned prefix ``[0, nfev)`` of the flat index range, ``values``
    is NaN beyond it). The interrupt is consumed: check ``status`` if your script must
    stop. A `progress` callable that raises ``KeyboardInterrupt`` does the same.

    **Threads.** The kernels use numba's threads (``numba.set_num_threads``); scans
    of fewer than ~20,000 coordinate evaluations run serially. ``elapsed`` excludes
    compilation: the first call with a new objective compiles the kernel (~1 s).

    **Distributed** (`client`). The flat index range is cut into chunks; each task scans
    one with the same kernel, and a tree of merge tasks combines the candidates on the
    cluster; only the objective, the box and index bounds travel, never the grid. Each
    worker first compiles the kernel (one task per worker, not in ``elapsed``) and sets
    numba's threads per task so that workers x threads per worker x numba threads <=
    cores. `progress` is updated as chunks finish (``done`` counts finished chunks'
    points). A lost worker's chunks are recomputed by Dask. Ctrl-C cancels the tasks
    and returns the longest finished prefix of chunks, as above.

    Examples
    --------
    >>> import numpy as np
    >>> import fastopt
    >>> def rastrigin(x):
    ...     return 10.0 * x.size + np.sum(x**2 - 10.0 * np.cos(2 * np.pi * x))
    >>> res = fastopt.grid_search(rastrigin, [(-5.12, 5.12)] * 2, num=1025)
    >>> res.x, res.fun, res.nfev
    (array([0., 0.]), 0.0, 1050625)
    >>> L = np.sqrt(2) * (2 + 20 * np.pi)  # |df/dx_i| <= 2 |x_i| + 20 pi on the box
    >>> res = fastopt.grid_search(rastrigin, [(-1, 1), (-1, 1)], eps=0.01, k=3,
    ...                           lipschitz=L)
    >>> res.num, res.spacing, res.indices
    ((201, 201), array([0.01, 0.01]), array([20200, 19999, 20199]))
    >>> round(res.bound, 3)  # 0 <= fun - min over the box <= bound
    0.648
    >>> from dask.distributed import Client  # doctest: +SKIP
    >>> with Client(n_workers=2, threads_per_worker=1) as client:  # doctest: +SKIP
    ...     res = fastopt.grid_search(rastrigin, [(-5.12, 5.12)] * 2, num=1025,
    ...                               client=client)
    """
    p = _grid_search_iv(f, bounds, args, num, eps, k, return_values, progress, lipschitz, jit)
    lo, hi, num_arr, total = p["lo"], p["hi"], p["num"], p["total"]
    finish = check_finish(finish)
    chunk_size = _distributed.check_grid_options(client, chunk_size, return_values, total)
    n = lo.shape[0]
    func = _objective(f, n, p["args"], jit)
    nfev = 0
    if not jit:  # one probe evaluation checks what f returns
        x0 = np.empty(n)
        kernels.grid_point(lo, hi, num_arr, 0, x0)
        _probe(func(x0, *p["args"]))
        nfev += 1
    values = np.empty(total) if return_values else None
    if client is not None:
        scan = _distributed.GridScan(client, func, lo, hi, num_arr, total, p["args"], p["k"],
                                     jit, chunk_size)
    else:
        scan = _Scan(func, lo, hi, num_arr, total, p["args"], p["k"], values, jit)
    with np.errstate(all="ignore"):
        scan.run(_Progress(progress, total))
    best_v, best_i = scan.best()
    nfev += scan.done
    m = int(np.count_nonzero(best_i >= 0))
    xs = np.empty((m, n))
    kernels.grid_points(lo, hi, num_arr, best_i[:m], xs)
    spacing = np.where(num_arr > 1, (hi - lo) / np.maximum(num_arr - 1, 1), hi - lo)
    if scan.done < total:
        status = Status.INTERRUPTED
        message = f"interrupted after {scan.done} of {total} grid points"
    elif m == 0:
        status = Status.NONFINITE
        message = f"f is NaN/inf at all {total} grid points"
        warnings.warn(
            f"grid_search: {message}; x is NaN", NonFiniteWarning, stacklevel=2
        )
    else:
        status = Status.SUCCESS
        message = f"scanned all {total} grid points"
        if scan.nnonfinite:
            message += f" ({scan.nnonfinite} NaN/inf values skipped)"
    polished = None
    if finish is not None and status == Status.SUCCESS:
        polished, summary = polish(f, xs, lo, hi, p["args"], finish, jit)
        message += f"; {summary}"
    bound = None
    if p["lipschitz"] is not None:
        ok = status == Status.SUCCESS and scan.nnonfinite == 0
        bound = p["lipschitz"] * float(np.linalg.norm(spacing)) / 2.0 if ok else math.inf
    if values is not None:
        values[scan.done :] = np.nan
        values = values.reshape(p["num_tuple"])
    return GridResult(
        x=xs[0].copy() if m else np.full(n, np.nan),
        fun=float(best_v[0]) if m else math.nan,
        index=int(best_i[0]) if m else -1,
        xs=xs,
        funs=best_v[:m].copy(),
        indices=best_i[:m].copy(),
        nfev=int(nfev),
        num=p["num_tuple"],
        spacing=spacing,
        nnonfinite=int(scan.nnonfinite),
        status=status,
        elapsed=scan.elapsed,
        bound=bound,
        values=values,
        message=message,
        polished=polished,
    )


# ------------------------------------------------------------------------------ checks


def _check_bool(name, value):
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"`{name}` must be True or False; got {value!r}")
    return bool(value)


def _resolve_num(num, eps, lo, hi):
    """Points per axis (Python ints) from `num` or `eps`."""
    n = lo.shape[0]
    if num is not None and eps is not None:
        raise ValueError(
            "give exactly one of `num` (points per axis) and `eps` (grid spacing); got both"
        )
    if num is None and eps is None:
        raise ValueError(
            "give exactly one of `num` (points per axis) and `eps` (grid spacing); "
            "got neither"
        )
    if num is not None:
        if np.ndim(num) == 0:
            return [check_int("num", num, minimum=1)] * n
        arr = np.asarray(num)
        if arr.dtype == bool or arr.dtype.kind not in "iu":
            raise TypeError(
                f"`num` must be an integer or a sequence of {n} integers; got {num!r}"
            )
        if arr.shape != (n,):
            raise ValueError(
                f"`num` must be an integer or have one entry per axis, shape ({n},); "
                f"got shape {arr.shape}"
            )
        return [check_int(f"num[{i}]", int(v), minimum=1) for i, v in enumerate(arr)]
    arr = np.asarray(eps)
    if arr.dtype == bool or arr.dtype.kind not in "iuf":
        raise TypeError(f"`eps` must be a positive real number or one per axis; got {eps!r}")
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    elif arr.shape != (n,):
        raise ValueError(
            f"`eps` must be a scalar or have one entry per axis, shape ({n},); got shape "
            f"{arr.shape}"
        )
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"`eps` must be finite and > 0; got {eps!r}")
    with np.errstate(over="ignore"):
        ratio = (hi - lo) / arr
    out = []
    for i, r in enumerate(ratio):
        near = round(r) if math.isfinite(r) else r
        cells = near if abs(r - near) <= _EPS_RTOL * near else math.ceil(r)
        if not math.isfinite(cells) or cells >= _INT64_MAX:
            raise ValueError(
                f"`eps` is too small: axis {i} would need {r:.3g} points (more than fits "
                "in int64)"
            )
        out.append(int(cells) + 1)
    return out


def _grid_search_iv(f, bounds, args, num, eps, k, return_values, progress, lipschitz, jit):
    """Check every input of grid_search; return the cleaned values in a dict."""
    if not callable(f):
        raise TypeError(f"`f` must be callable as f(x, *args); got {type(f).__name__}")
    lo, hi = check_bounds(bounds)
    args = check_args(args)
    num_list = _resolve_num(num, eps, lo, hi)
    total = math.prod(num_list)
    if total > _INT64_MAX:
        raise ValueError(
            f"the grid has prod(num) = {total:.3e} points, more than fits in int64 "
            f"(2**63 - 1); got num = {tuple(num_list)}"
        )
    k = check_int("k", k, minimum=1, maximum=MAX_K)
    return_values = _check_bool("return_values", return_values)
    if return_values and total * 8 > MAX_VALUES_BYTES:
        raise ValueError(
            f"return_values=True would allocate {total * 8 / 2**20:,.0f} MiB for "
            f"{total} values, more than the cap fastopt._grid.MAX_VALUES_BYTES = "
            f"{MAX_VALUES_BYTES / 2**20:,.0f} MiB; scan without values, or fill arrays "
            "range by range with fastopt.kernels.grid_values"
        )
    if not (progress is None or isinstance(progress, bool) or callable(progress)):
        raise TypeError(
            f"`progress` must be None, True, False or a callable progress(done, total); "
            f"got {progress!r}"
        )
    if progress is True and _tqdm() is None:
        raise ImportError(
            "progress=True needs tqdm: pip install tqdm (or fastopt[progress]), or pass "
            "progress=False"
        )
    if lipschitz is not None:
        if isinstance(lipschitz, bool | np.bool_):
            raise TypeError(f"`lipschitz` must be a real number >= 0; got {lipschitz!r}")
        lip = np.asarray(lipschitz)
        if lip.dtype.kind not in "iuf" or lip.ndim != 0:
            raise TypeError(f"`lipschitz` must be a real number >= 0; got {lipschitz!r}")
        if not math.isfinite(float(lip)) or float(lip) < 0:
            raise ValueError(f"`lipschitz` must be a finite real number >= 0; got {lipschitz!r}")
        lipschitz = float(lip)
    jit = _check_bool("jit", jit)
    return {
        "lo": lo,
        "hi": hi,
        "num": np.array(num_list, dtype=np.int64),
        "num_tuple": tuple(num_list),
        "total": total,
        "args": args,
        "k": k,
        "lipschitz": lipschitz,
    }


def _objective(f, n, args, jit):
    try:
        return check_objective(f, (n,), args, jit=jit, returns="scalar")
    except TypeError as exc:
        msg = str(exc)
        if msg.startswith("`f` must return"):
            raise TypeError(f"grid_search needs a real scalar objective: {msg}") from None
        raise


def _probe(value):
    try:
        check_probe(value, "scalar")
    except TypeError as exc:
        raise TypeError(f"grid_search needs a real scalar objective: {exc}") from None


def _tqdm():
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm


# -------------------------------------------------------------------------------- scan


class _Progress:
    """Progress reporting between blocks: a tqdm bar or the user's callable."""

    def __init__(self, progress, total):
        self.total = total
        self.callback = progress if callable(progress) else None
        self.mode = progress if isinstance(progress, bool) else None
        self.bar = None
        if self.mode is True:
            self.bar = self._open(0)

    def _open(self, initial):
        tqdm = _tqdm()
        if tqdm is None:
            return None
        return tqdm(
            total=self.total, initial=initial, unit="pt", unit_scale=True, desc="grid_search"
        )

    def update(self, done, last, seconds_left):
        """Report that `done` points are scanned, `last` of them in the last block."""
        if self.callback is not None:
            self.callback(done, self.total)
            return
        if self.bar is not None:
            self.bar.update(last)
        elif (
            self.mode is None
            and done < self.total
            and seconds_left > _AUTO_PROGRESS_SECONDS
            and _isatty()
        ):
            self.bar = self._open(done)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _isatty():
    try:
        return bool(sys.stderr.isatty())
    except (AttributeError, ValueError):
        return False


class _DeferSigint:
    """Within the block: Ctrl-C sets a flag instead of raising (main thread only).

    Installed only over Python's default handler, so that a handler of the user's (or of
    their framework) keeps working; KeyboardInterrupt raised anyway is caught by the
    block loop.
    """

    def __init__(self):
        self.flag = False
        self.previous = None

    def _handler(self, signum, frame):
        self.flag = True

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            try:
                if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
                    self.previous = signal.signal(signal.SIGINT, self._handler)
            except (ValueError, TypeError, OSError):
                self.previous = None
        return self

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
        return False


def _next_block(last, rate, remaining):
    """Return the size of the next block of the scan.

    About _BLOCK_SECONDS at `rate` points/s, at most _BLOCK_GROWTH times the `last`
    block; all the `remaining` points if they are at most 25% more.
    """
    block = int(min(_BLOCK_GROWTH * last, max(1.0, rate * _BLOCK_SECONDS)))
    return remaining if remaining <= block + block // 4 else block


class _Scan:
    """The block loop: state committed after each block, so an interrupt loses nothing."""

    def __init__(self, func, lo, hi, num, total, args, k, values, jit):
        self.func, self.lo, self.hi, self.num = func, lo, hi, num
        self.total, self.args, self.k, self.values = total, args, k, values
        if values is not None:
            self.kind, kernel = "values", kernels.grid_values
        elif k > 1:
            self.kind, kernel = "topk", kernels.grid_topk
        else:
            self.kind, kernel = "argmin", kernels.grid_argmin
        self.kernel = select(kernel, work=total * lo.shape[0], jit=jit)
        self.merge_topk = kernels.merge_topk if jit else python_twin(kernels.merge_topk)
        self.merge_argmin = kernels.merge_argmin if jit else python_twin(kernels.merge_argmin)
        # committed state: (done, best value, best index, nnonfinite) or top-k arrays
        self.state = (0, math.inf, -1, 0)
        self.topk_state = (np.full(k, np.inf), np.full(k, -1, np.int64))
        self.elapsed = 0.0

    @property
    def done(self):
        return self.state[0]

    @property
    def nnonfinite(self):
        return self.state[3]

    def _block(self, start, stop):
        """Scan [start, stop); return the new (uncommitted) state."""
        done, best, index, nbad = self.state
        f, lo, hi, num, args = self.func, self.lo, self.hi, self.num, self.args
        if self.kind == "topk":
            bv, bi = np.empty(self.k), np.empty(self.k, np.int64)
            nb = self.kernel(f, lo, hi, num, start, stop, args, bv, bi)
            rv, ri = self.topk_state
            tv, ti = np.empty(self.k), np.empty(self.k, np.int64)
            self.merge_topk(rv, ri, bv, bi, tv, ti)
            return (stop, best, index, nbad + int(nb)), (tv, ti)
        if self.kind == "values":
            out = self.values[start:stop]
            b, i, nb = self.kernel(f, lo, hi, num, start, stop, args, out)
        else:
            b, i, nb = self.kernel(f, lo, hi, num, start, stop, args)
        best, index = self.merge_argmin(best, index, float(b), int(i))
        return (stop, float(best), int(index), nbad + int(nb)), self.topk_state

    def run(self, progress):
        self._block(0, 0)  # compiles the kernel for this objective, outside the timing
        total = self.total
        block = min(total, _FIRST_BLOCK)
        t_start = time.perf_counter()
        try:
            with _DeferSigint() as sigint:
                while self.done < total and not sigint.flag:
                    start = self.done
                    stop = min(total, start + block)
                    t0 = time.perf_counter()
                    new_state, new_topk = self._block(start, stop)
                    self.state, self.topk_state = new_state, new_topk  # commit
                    rate = (stop - start) / max(time.perf_counter() - t0, 1e-9)
                    block = _next_block(stop - start, rate, total - stop)
                    progress.update(stop, stop - start, (total - stop) / rate)
        except KeyboardInterrupt:
            pass  # the committed state is the best of the scanned prefix
        finally:
            self.elapsed = time.perf_counter() - t_start
            progress.close()

    def best(self):
        """Return the best candidates found, sorted, padded with (inf, -1)."""
        if self.values is not None and self.k > 1:
            vals, idx = np.empty(self.k), np.empty(self.k, np.int64)
            kernels.topk_of_values(self.values[: self.done], 0, vals, idx)
            return vals, idx
        if self.kind == "topk":
            return self.topk_state
        _, best, index, _ = self.state
        return np.array([best]), np.array([index], dtype=np.int64)
