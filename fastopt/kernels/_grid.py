"""Exhaustive grid search: flat index -> point decoding, range scans, exact merges.

The grid
--------
Axis ``d`` of the box ``[lo, hi]`` carries ``num[d]`` points

    x_d(j) = j * step_d + lo_d,   step_d = (hi_d - lo_d) / (num_d - 1),   j = 0 .. num_d - 1,

except that the last point is exactly ``hi_d``: the coordinates are bit for bit those of
``np.linspace(lo_d, hi_d, num_d)``. An axis with ``num_d == 1`` carries the single
midpoint ``lo_d + (hi_d - lo_d) / 2`` (so that the covering radius of every axis is half
its spacing, see :func:`fastopt.grid_search`).

Points are numbered by a *flat index* in C order (last axis fastest),
``np.ravel_multi_index(j, num)``: the value at flat index ``t`` is ``values.ravel()[t]``
of the array ``values`` of shape ``num``. The grid is never stored: a scan decodes its
first index with one divmod per axis, then advances an odometer.

Candidates and their order
--------------------------
A candidate is a pair ``(value, index)``; only finite values are candidates (NaN and
+-inf are skipped and counted). ``(v1, i1)`` is better than ``(v2, i2)`` when ``v1 < v2``,
or ``v1 == v2`` and ``i1 < i2``. The empty candidate ``(inf, -1)`` loses to every other.
This is a total order, so the best candidate of a set does not depend on how the set was
cut: scanning any partition of ``[0, total)`` into ranges and merging the pieces with
:func:`merge_argmin` (in any order) gives exactly ``np.argmin`` over the materialised
grid (non-finite entries replaced by ``+inf``), for any number of threads or machines.
Top-k lists are sorted best first and padded with ``(inf, -1)``; :func:`merge_topk`
merges two of them.

Kernels
-------
=================  ========  =================================================
kernel             parallel  purpose
=================  ========  =================================================
grid_point         no        decode one flat index into a point
grid_points        no        decode many flat indices
grid_scan_range    no        best candidate of ``[start, stop)``
grid_topk_range    no        k best candidates of ``[start, stop)``
grid_argmin        yes       best candidate of ``[start, stop)``, chunked prange
grid_topk          yes       k best candidates of ``[start, stop)``
grid_values        yes       every value of ``[start, stop)`` plus the best
merge_argmin       no        merge two candidates
merge_topk         no        merge two sorted top-k lists
topk_of_values     no        k best candidates of a stored array of values
=================  ========  =================================================

The serial kernels are safe inside a user's ``prange`` loop. The parallel ones cut
``[start, stop)`` into a few contiguous chunks per thread, scan each chunk serially into
a per-chunk ``(best, index)`` (or top-k buffer) and merge the chunks serially, so their
answers are identical for any thread count. The objective ``f(x, *args)`` receives a
float64 array of shape ``(n,)`` that the scan reuses: it must not modify ``x``.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import prange

from .._jit import jit
from ._batch import num_chunks

# --------------------------------------------------------------------------- decoding


@jit(cache=True)
def _fill_steps(lo, hi, num, step):
    for d in range(lo.shape[0]):
        step[d] = (hi[d] - lo[d]) / (num[d] - 1) if num[d] > 1 else 0.0


@jit()
def _coord(lo_d, hi_d, num_d, step_d, j):
    """Coordinate `j` of one axis (as np.linspace; the midpoint if num_d == 1).

    Scalar arguments only: it is called once per point, and an array argument would cost
    a reference-count increment and decrement (atomic) per call.
    """
    if j == num_d - 1:
        if num_d == 1:
            return lo_d + 0.5 * (hi_d - lo_d)
        return hi_d
    return j * step_d + lo_d


@jit(cache=True)
def _decode(lo, hi, num, step, index, j, x):
    r = index
    for d in range(lo.shape[0] - 1, -1, -1):
        q = r // num[d]
        jd = r - q * num[d]
        j[d] = jd
        x[d] = _coord(lo[d], hi[d], num[d], step[d], jd)
        r = q


@jit(inline=True)
def _carry(lo, hi, num, step, j, x, jlast):
    """Set the last axis to position `jlast` (<= num[-1]); carry into the other axes."""
    d = lo.shape[0] - 1
    jd = jlast
    while jd == num[d] and d > 0:
        j[d] = 0
        x[d] = _coord(lo[d], hi[d], num[d], step[d], 0)
        d -= 1
        jd = j[d] + 1
    j[d] = jd
    x[d] = _coord(lo[d], hi[d], num[d], step[d], jd)


@jit(inline=True)
def _chunk_start(start, total, nchunks, c):
    """First index of chunk `c` of `nchunks` of [start, start + total), without overflow."""
    cc = np.int64(c)  # a prange index may be unsigned: int64 arithmetic, never float
    q = total // nchunks
    r = total - q * nchunks
    return start + cc * q + min(cc, r)


@jit(inline=True)
def _interleaved(c, nchunks):
    """Chunk handled by prange iteration `c`, spreading each thread's chunks over the range.

    numba gives each thread a contiguous run of prange iterations; mapping them to chunks
    ``t, t + T, t + 2T, ...`` balances objectives whose cost varies over the box (an
    early exit in a NaN region, an iterative solver). Results do not depend on it.
    """
    cc = np.int64(c)
    threads = numba.get_num_threads()
    per = nchunks // threads
    if per * threads != nchunks:
        return cc
    return (cc % per) * threads + cc // per


@jit(cache=True)
def grid_point(lo, hi, num, index, out):
    """Write the grid point with flat index `index` into `out`.

    Parameters
    ----------
    lo, hi : ndarray, shape (n,)
        Lower and upper corners of the box (float64, ``lo < hi``).
    num : ndarray of int64, shape (n,)
        Points per axis (>= 1).
    index : int
        Flat index in C order, ``0 <= index < prod(num)``.
    out : ndarray, shape (n,)
        Output, float64.

    Examples
    --------
    >>> import numpy as np
    >>> from fastopt.kernels import grid_point
    >>> out = np.empty(2)
    >>> grid_point(np.array([0.0, -1.0]), np.array([1.0, 1.0]), np.array([3, 5]), 7, out)
    >>> out  # j = (1, 2): np.linspace(0, 1, 3)[1], np.linspace(-1, 1, 5)[2]
    array([0.5, 0. ])
    """
    n = lo.shape[0]
    step = np.empty(n)
    j = np.empty(n, np.int64)
    _fill_steps(lo, hi, num, step)
    _decode(lo, hi, num, step, index, j, out)


@jit(cache=True)
def grid_points(lo, hi, num, indices, out):
    """Write the grid points with flat indices `indices` into the rows of `out`.

    Parameters
    ----------
    lo, hi, num
        The grid, as for :func:`grid_point`.
    indices : ndarray of int64, shape (m,)
        Flat indices; a negative index (an empty candidate) gives a row of NaN.
    out : ndarray, shape (m, n)
        Output, float64.

    Examples
    --------
    >>> import numpy as np
    >>> from fastopt.kernels import grid_points
    >>> out = np.empty((3, 1))
    >>> grid_points(np.array([0.0]), np.array([1.0]), np.array([5]), np.array([0, 4, -1]), out)
    >>> out.ravel()
    array([ 0.,  1., nan])
    """
    n = lo.shape[0]
    step = np.empty(n)
    j = np.empty(n, np.int64)
    _fill_steps(lo, hi, num, step)
    for p in range(indices.shape[0]):
        if indices[p] < 0:
            out[p, :] = np.nan
        else:
            _decode(lo, hi, num, step, indices[p], j, out[p])


# --------------------------------------------------------------------- candidate order


@jit(inline=True)
def _worse(v1, i1, v2, i2):
    """Whether candidate (v1, i1) is worse than (v2, i2); both non-empty."""
    return v1 > v2 or (v1 == v2 and i1 > i2)


@jit(cache=True)
def merge_argmin(value_a, index_a, value_b, index_b):
    """Return the better of two candidates ``(value, index)``, as ``np.argmin`` would.

    The smaller value wins; equal values go to the smaller index; an empty candidate
    (index < 0) loses. Associative and commutative, so range results can be merged in
    any order (across threads, processes or machines).

    Examples
    --------
    >>> from fastopt.kernels import merge_argmin
    >>> merge_argmin(1.0, 7, 1.0, 3)
    (1.0, 3)
    >>> merge_argmin(float("inf"), -1, 2.5, 9)
    (2.5, 9)
    """
    if index_b < 0:
        return value_a, index_a
    if index_a < 0:
        return value_b, index_b
    if _worse(value_a, index_a, value_b, index_b):
        return value_b, index_b
    return value_a, index_a


@jit(cache=True)
def _sift_down(hv, hix, c, size, v, i):
    """Place candidate (v, i) at slot c of the max-heap (worst at the root) hv[:size]."""
    while True:
        left = 2 * c + 1
        if left >= size:
            break
        m = left
        right = left + 1
        if right < size and _worse(hv[right], hix[right], hv[left], hix[left]):
            m = right
        if _worse(hv[m], hix[m], v, i):
            hv[c] = hv[m]
            hix[c] = hix[m]
            c = m
        else:
            break
    hv[c] = v
    hix[c] = i


@jit(cache=True)
def _heap_offer(hv, hix, count, v, i):
    """Offer candidate (v, i) to the bounded max-heap hv[:count]; return the new count."""
    k = hv.shape[0]
    if count < k:
        c = count
        while c > 0:
            p = (c - 1) // 2
            if _worse(v, i, hv[p], hix[p]):
                hv[c] = hv[p]
                hix[c] = hix[p]
                c = p
            else:
                break
        hv[c] = v
        hix[c] = i
        return count + 1
    if _worse(hv[0], hix[0], v, i):
        _sift_down(hv, hix, 0, k, v, i)
    return count


@jit(cache=True)
def _heap_finish(hv, hix, count):
    """Sort the heap hv[:count] best first (heapsort) and pad with (inf, -1)."""
    for end in range(count - 1, 0, -1):
        v = hv[end]
        i = hix[end]
        hv[end] = hv[0]
        hix[end] = hix[0]
        _sift_down(hv, hix, 0, end, v, i)
    for p in range(count, hv.shape[0]):
        hv[p] = np.inf
        hix[p] = -1


@jit(cache=True)
def merge_topk(values_a, indices_a, values_b, indices_b, out_values, out_indices):
    """Merge two sorted top-k lists of disjoint ranges into the k best, k = len(out).

    Inputs are sorted best first and padded with ``(inf, -1)`` (as written by
    :func:`grid_topk_range`); they may have any lengths. The output is sorted by value,
    then index, and padded the same way. It must not alias an input.

    Examples
    --------
    >>> import numpy as np
    >>> from fastopt.kernels import merge_topk
    >>> va, ia = np.array([1.0, 2.0]), np.array([5, 0])
    >>> vb, ib = np.array([1.0, np.inf]), np.array([2, -1])
    >>> ov, oi = np.empty(3), np.empty(3, np.int64)
    >>> merge_topk(va, ia, vb, ib, ov, oi)
    >>> ov, oi
    (array([1., 1., 2.]), array([2, 5, 0]))
    """
    a = 0
    b = 0
    na = values_a.shape[0]
    nb = values_b.shape[0]
    for p in range(out_values.shape[0]):
        has_a = a < na and indices_a[a] >= 0
        has_b = b < nb and indices_b[b] >= 0
        if has_a and (not has_b or not _worse(values_a[a], indices_a[a], values_b[b],
                                              indices_b[b])):
            out_values[p] = values_a[a]
            out_indices[p] = indices_a[a]
            a += 1
        elif has_b:
            out_values[p] = values_b[b]
            out_indices[p] = indices_b[b]
            b += 1
        else:
            out_values[p] = np.inf
            out_indices[p] = -1


# ------------------------------------------------------------------------ serial scans


# The scans walk the flat range one row (the last axis) at a time: the inner loop only
# moves the last coordinate, and the odometer carries into the other axes at row ends.
# The objective is called as ``f(*xargs)`` with ``xargs = (x,) + args`` built once per
# scan: ``f(x, *args)`` would build that tuple, and increment and decrement the
# reference count of ``x`` (atomically), at every call (measured ~30% on a cheap
# objective, numba 0.68). For the same reason the helper called per point (`_coord`)
# takes scalars, and the row carry is inlined. Helpers without the objective that run
# once per chunk, or only when a candidate enters the top k (the heap), are separate
# cached functions: inlining them into every objective's kernel doubled its compile time.


@jit(inline=True)
def _scan(f, lo, hi, num, start, stop, args):
    best = np.inf
    index = -1
    nbad = 0
    if stop <= start:
        return best, index, nbad
    n = lo.shape[0]
    step = np.empty(n)
    j = np.empty(n, np.int64)
    x = np.empty(n)
    _fill_steps(lo, hi, num, step)
    _decode(lo, hi, num, step, start, j, x)
    xargs = (x,) + args
    last = n - 1
    lo_l, hi_l, num_l, step_l = lo[last], hi[last], num[last], step[last]
    t = start
    while t < stop:
        j0 = j[last]
        run = min(num_l - j0, stop - t)
        for r in range(run):
            x[last] = _coord(lo_l, hi_l, num_l, step_l, j0 + r)
            v = float(f(*xargs))
            if math.isfinite(v):
                if v < best:
                    best = v
                    index = t + r
            else:
                nbad += 1
        t += run
        _carry(lo, hi, num, step, j, x, j0 + run)
    return best, index, nbad


@jit(inline=True)
def _topk_scan(f, lo, hi, num, start, stop, args, values, indices):
    k = values.shape[0]
    count = 0
    nbad = 0
    if stop > start:
        n = lo.shape[0]
        step = np.empty(n)
        j = np.empty(n, np.int64)
        x = np.empty(n)
        _fill_steps(lo, hi, num, step)
        _decode(lo, hi, num, step, start, j, x)
        xargs = (x,) + args
        last = n - 1
        lo_l, hi_l, num_l, step_l = lo[last], hi[last], num[last], step[last]
        worst = np.inf  # value at the root of the full heap: larger values cannot enter
        t = start
        while t < stop:
            j0 = j[last]
            run = min(num_l - j0, stop - t)
            for r in range(run):
                x[last] = _coord(lo_l, hi_l, num_l, step_l, j0 + r)
                v = float(f(*xargs))
                if math.isfinite(v):
                    # indices increase along the scan: a tie with the root cannot enter
                    if count < k or v < worst:
                        count = _heap_offer(values, indices, count, v, t + r)
                        if count == k:
                            worst = values[0]
                else:
                    nbad += 1
            t += run
            _carry(lo, hi, num, step, j, x, j0 + run)
    _heap_finish(values, indices, count)
    return nbad


@jit(inline=True)
def _values_scan(f, lo, hi, num, start, stop, args, out, offset):
    """As _scan, also writing out[t - offset] = f(x_t)."""
    best = np.inf
    index = -1
    nbad = 0
    if stop <= start:
        return best, index, nbad
    n = lo.shape[0]
    step = np.empty(n)
    j = np.empty(n, np.int64)
    x = np.empty(n)
    _fill_steps(lo, hi, num, step)
    _decode(lo, hi, num, step, start, j, x)
    xargs = (x,) + args
    last = n - 1
    lo_l, hi_l, num_l, step_l = lo[last], hi[last], num[last], step[last]
    t = start
    while t < stop:
        j0 = j[last]
        run = min(num_l - j0, stop - t)
        for r in range(run):
            x[last] = _coord(lo_l, hi_l, num_l, step_l, j0 + r)
            v = float(f(*xargs))
            out[t + r - offset] = v
            if math.isfinite(v):
                if v < best:
                    best = v
                    index = t + r
            else:
                nbad += 1
        t += run
        _carry(lo, hi, num, step, j, x, j0 + run)
    return best, index, nbad


@jit()
def grid_scan_range(f, lo, hi, num, start, stop, args):
    """Best grid point of the flat index range ``[start, stop)``, serially.

    Safe to call from a user's ``@njit`` code and inside a user's ``prange`` loop; the
    building block of a distributed scan (scan ranges anywhere, merge the results with
    :func:`merge_argmin`).

    Parameters
    ----------
    f : numba function
        Objective ``f(x, *args) -> float`` with ``x`` a float64 array of shape (n,); must
        not modify ``x``.
    lo, hi : ndarray, shape (n,)
        Box corners, float64, ``lo < hi``.
    num : ndarray of int64, shape (n,)
        Points per axis (>= 1); the grid is described in :mod:`fastopt.kernels._grid`.
    start, stop : int
        Flat index range, ``0 <= start <= stop <= prod(num)``.
    args : tuple
        Extra arguments of `f`.

    Returns
    -------
    best : float
        Smallest finite value in the range (``inf`` if none).
    index : int
        Its flat index, the lowest one among ties (-1 if no finite value).
    nnonfinite : int
        Number of NaN/inf values met (skipped).

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import grid_scan_range
    >>> @numba.njit
    ... def f(x):
    ...     return (x[0] - 0.3) ** 2 + x[1] ** 2
    >>> lo, hi, num = np.array([-1.0, -1.0]), np.array([1.0, 1.0]), np.array([11, 11])
    >>> best, index, nbad = grid_scan_range(f, lo, hi, num, 0, 121, ())
    >>> index, np.unravel_index(index, (11, 11)), nbad
    (71, (np.int64(6), np.int64(5)), 0)
    """
    return _scan(f, lo, hi, num, start, stop, args)


@jit()
def grid_topk_range(f, lo, hi, num, start, stop, args, values, indices):
    """Find the k best grid points of ``[start, stop)``, serially; k = ``len(values)``.

    Writes the k best candidates into `values` and `indices`, sorted by value then index
    and padded with ``(inf, -1)`` if the range has fewer than k finite values. Merge the
    lists of several ranges with :func:`merge_topk`.

    Parameters
    ----------
    f, lo, hi, num, start, stop, args
        As for :func:`grid_scan_range`.
    values : ndarray, shape (k,)
        Output values, float64.
    indices : ndarray of int64, shape (k,)
        Output flat indices.

    Returns
    -------
    int
        Number of NaN/inf values met (skipped).

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import grid_topk_range
    >>> @numba.njit
    ... def f(x):
    ...     return abs(x[0])
    >>> vals, idx = np.empty(3), np.empty(3, np.int64)
    >>> grid_topk_range(f, np.array([-1.0]), np.array([1.0]), np.array([5]), 0, 5, (),
    ...                 vals, idx)
    0
    >>> vals, idx
    (array([0. , 0.5, 0.5]), array([2, 1, 3]))
    """
    return _topk_scan(f, lo, hi, num, start, stop, args, values, indices)


@jit(cache=True)
def topk_of_values(values, offset, out_values, out_indices):
    """Find the k best finite entries of an array; their indices are ``offset + p``.

    Same order and padding as :func:`grid_topk_range`; k = ``len(out_values)``.

    Returns
    -------
    int
        Number of NaN/inf entries (skipped).

    Examples
    --------
    >>> import numpy as np
    >>> from fastopt.kernels import topk_of_values
    >>> ov, oi = np.empty(2), np.empty(2, np.int64)
    >>> topk_of_values(np.array([3.0, np.nan, 1.0, 1.0]), 10, ov, oi)
    1
    >>> ov, oi
    (array([1., 1.]), array([12, 13]))
    """
    count = 0
    nbad = 0
    for p in range(values.shape[0]):
        v = values[p]
        if math.isfinite(v):
            count = _heap_offer(out_values, out_indices, count, v, offset + p)
        else:
            nbad += 1
    _heap_finish(out_values, out_indices, count)
    return nbad


# ---------------------------------------------------------------------- parallel scans


@jit(parallel=True)
def grid_argmin(f, lo, hi, num, start, stop, args):
    """Best grid point of ``[start, stop)``, in parallel; as :func:`grid_scan_range`.

    The range is cut into a few contiguous chunks per thread; per-chunk
    ``(best, index, nnonfinite)`` are merged serially, so the answer is the same for any
    thread count.

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import grid_argmin
    >>> @numba.njit
    ... def f(x, c):
    ...     return np.sum((x - c) ** 2)
    >>> lo, hi, num = np.zeros(3), np.ones(3), np.array([101, 101, 101])
    >>> best, index, nbad = grid_argmin(f, lo, hi, num, 0, 101 ** 3, (np.full(3, 0.5),))
    >>> best, np.unravel_index(index, (101, 101, 101))
    (0.0, (np.int64(50), np.int64(50), np.int64(50)))
    """
    total = max(stop - start, 0)
    nc = num_chunks(total)
    cb = np.empty(nc)
    ci = np.empty(nc, np.int64)
    cn = np.empty(nc, np.int64)
    for it in prange(nc):
        c = _interleaved(it, nc)
        s = _chunk_start(start, total, nc, c)
        e = _chunk_start(start, total, nc, c + 1)
        b, i, nb = _scan(f, lo, hi, num, s, e, args)
        cb[c] = b
        ci[c] = i
        cn[c] = nb
    best = np.inf
    index = -1
    nbad = 0
    for c in range(nc):
        best, index = merge_argmin(best, index, cb[c], ci[c])
        nbad += cn[c]
    return best, index, nbad


@jit(parallel=True)
def grid_topk(f, lo, hi, num, start, stop, args, values, indices):
    """Find the k best grid points of ``[start, stop)`` in parallel, as `grid_topk_range`.

    Each chunk keeps its own bounded heap of k candidates (memory ``O(k * chunks)``);
    the chunk lists are merged serially with :func:`merge_topk`.

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import grid_topk
    >>> @numba.njit
    ... def f(x):
    ...     return x[0] * x[0]
    >>> vals, idx = np.empty(3), np.empty(3, np.int64)
    >>> grid_topk(f, np.array([-2.0]), np.array([2.0]), np.array([9]), 0, 9, (), vals, idx)
    0
    >>> vals, idx
    (array([0.  , 0.25, 0.25]), array([4, 3, 5]))
    """
    k = values.shape[0]
    total = max(stop - start, 0)
    nc = num_chunks(total)
    cv = np.empty((nc, k))
    ci = np.empty((nc, k), np.int64)
    cn = np.empty(nc, np.int64)
    for it in prange(nc):
        c = _interleaved(it, nc)
        s = _chunk_start(start, total, nc, c)
        e = _chunk_start(start, total, nc, c + 1)
        cn[c] = _topk_scan(f, lo, hi, num, s, e, args, cv[c], ci[c])
    tv = np.empty(k)
    ti = np.empty(k, np.int64)
    values[:] = np.inf
    indices[:] = -1
    nbad = 0
    for c in range(nc):
        merge_topk(values, indices, cv[c], ci[c], tv, ti)
        values[:] = tv
        indices[:] = ti
        nbad += cn[c]
    return nbad


@jit(parallel=True)
def grid_values(f, lo, hi, num, start, stop, args, out):
    """Every value of ``[start, stop)`` into ``out[: stop - start]``, plus the best.

    NaN/inf values are stored as returned. Returns ``(best, index, nnonfinite)`` as
    :func:`grid_scan_range`.

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import grid_values
    >>> @numba.njit
    ... def f(x):
    ...     return x[0] + 10.0 * x[1]
    >>> out = np.empty(4)
    >>> grid_values(f, np.zeros(2), np.ones(2), np.array([2, 2]), 0, 4, (), out)
    (0.0, 0, 0)
    >>> out.reshape(2, 2)
    array([[ 0., 10.],
           [ 1., 11.]])
    """
    total = max(stop - start, 0)
    nc = num_chunks(total)
    cb = np.empty(nc)
    ci = np.empty(nc, np.int64)
    cn = np.empty(nc, np.int64)
    for it in prange(nc):
        c = _interleaved(it, nc)
        s = _chunk_start(start, total, nc, c)
        e = _chunk_start(start, total, nc, c + 1)
        b, i, nb = _values_scan(f, lo, hi, num, s, e, args, out, start)
        cb[c] = b
        ci[c] = i
        cn[c] = nb
    best = np.inf
    index = -1
    nbad = 0
    for c in range(nc):
        best, index = merge_argmin(best, index, cb[c], ci[c])
        nbad += cn[c]
    return best, index, nbad
