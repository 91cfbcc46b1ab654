"""Batched finite differences: ``prange`` over work items of many points.

The work of a batch is a flat list of items (a coordinate of a point, or a Hessian
entry of a point); it is cut into a few contiguous chunks per thread, each chunk keeps
one work buffer, and every item is computed the same way whatever the chunking, so the
results are identical for any number of threads. One point with many coordinates is
spread over the threads just like many points.

Values shared by the items of a point (``f(x)`` for one-sided stencils, ``f(x +- h e_i)``
for Hessians) are computed inside the chunk when there are at least as many points as
chunks (chunks then hold whole points), otherwise serially before the parallel loop (a
few points with many coordinates: a small fraction of the work). Each kernel has a
single ``prange`` loop, which keeps numba's compile time per objective down.

Compiled with ``parallel=True``; :func:`fastopt._jit.serial_twin` gives the serial build
used for small problems.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import prange

from .._jit import jit
from ._complex import _gradient_complex_items, _jacobian_complex_items
from ._fd import (
    _bounded,
    _central_items,
    _gradient_items,
    _has_zero,
    _hessian_pair_items,
    _hessian_side_items,
    _jacobian_central_items,
    _jacobian_items,
    _plain_hessian_points,
    _values_items,
    _vector_values_items,
)
from ._richardson import _gradient_richardson_items, _jacobian_richardson_items

CHUNKS_PER_THREAD = 8


@jit(inline=True)
def num_chunks(total):
    """Return the number of chunks for `total` items: a few per thread, at most `total`."""
    nc = CHUNKS_PER_THREAD * numba.get_num_threads()
    return max(1, min(total, nc))


@jit(inline=True)
def chunk_bounds(total, nchunks, c):
    """Return the half-open item range [lo, hi) of chunk `c` of `nchunks`."""
    return (total * c) // nchunks, (total * (c + 1)) // nchunks


@jit(parallel=True)
def values_batch(f, points, pshape, args, out):
    """``out[p] = f(points[p].reshape(pshape), *args)`` for every point, in parallel.

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import values_batch
    >>> @numba.njit
    ... def f(x):
    ...     return x.sum()
    >>> out = np.empty(2)
    >>> values_batch(f, np.array([[1.0, 2.0], [3.0, 4.0]]), (2,), (), out)
    >>> out
    array([3., 7.])
    """
    total = points.shape[0]
    nc = num_chunks(total)
    for c in prange(nc):
        lo, hi = chunk_bounds(total, nc, c)
        _values_items(f, points, pshape, args, out, lo, hi)


@jit(parallel=True)
def gradient_batch(f, points, pshape, rstep, st, st1, lo, hi, args, out):
    """Gradients of many points in parallel, optionally inside a box.

    Parameters
    ----------
    f : numba function
        Objective ``f(x, *args) -> float`` with ``x`` of shape `pshape`.
    points : ndarray, shape (N, n)
        C-contiguous float64 points, one per row (``n = prod(pshape)``).
    pshape : tuple of int
        Shape of one point as the objective sees it.
    rstep : ndarray, shape (n,)
        Relative steps.
    st : ndarray, shape (2, K)
        Stencil from :func:`fastopt.kernels.stencil`.
    st1 : ndarray, shape (2, K1)
        One-sided stencil of the same order (offsets 0..p), used where `st` would leave
        ``[lo, hi]`` (forward, else backward, else with a shrunk step).
    lo, hi : ndarray, shape (n,)
        Box; ``-inf``/``inf`` for none. No evaluation point leaves it.
    args : tuple
        Extra arguments of `f`.
    out : ndarray, shape (N, n)
        Output.

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import gradient_batch, stencil
    >>> @numba.njit
    ... def f(x):
    ...     return np.sum(x ** 2)
    >>> out = np.empty((2, 2))
    >>> pts = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> st, st1 = stencil("central", 2), stencil("forward", 2)
    >>> lo, hi = np.full(2, -np.inf), np.full(2, np.inf)
    >>> gradient_batch(f, pts, (2,), np.full(2, 1e-5), st, st1, lo, hi, (), out)
    >>> np.round(out, 7)
    array([[2., 4.],
           [6., 8.]])
    """
    N, n = points.shape
    nc = num_chunks(N * n)
    aligned = N >= nc
    need_f0 = _has_zero(st) or _bounded(lo, hi)
    f0 = np.empty(N)
    if need_f0 and not aligned:
        _values_items(f, points, pshape, args, f0, 0, N)
    for c in prange(nc):
        if aligned:
            plo, phi = chunk_bounds(N, nc, c)
            if need_f0:
                _values_items(f, points, pshape, args, f0, plo, phi)
            start, stop = plo * n, phi * n
        else:
            start, stop = chunk_bounds(N * n, nc, c)
        _gradient_items(f, points, pshape, rstep, st, st1, lo, hi, f0, args, out, start, stop)


@jit(parallel=True)
def jacobian_batch(f, points, pshape, rstep, st, st1, lo, hi, args, out):
    """Jacobians of many points in parallel; `out` has shape (N, m, n).

    Arguments as for :func:`gradient_batch`.

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import jacobian_batch, stencil
    >>> @numba.njit
    ... def F(x):
    ...     return np.array([x[0] * x[1]])
    >>> out = np.empty((1, 1, 2))
    >>> st, st1 = stencil("central", 2), stencil("forward", 2)
    >>> lo, hi = np.full(2, -np.inf), np.full(2, np.inf)
    >>> jacobian_batch(F, np.array([[2.0, 3.0]]), (2,), np.full(2, 1e-5), st, st1, lo, hi,
    ...                (), out)
    >>> np.round(out, 8)
    array([[[3., 2.]]])
    """
    N, n = points.shape
    m = out.shape[1]
    nc = num_chunks(N * n)
    aligned = N >= nc
    need_f0 = _has_zero(st) or _bounded(lo, hi)
    f0 = np.empty((N, m))
    if need_f0 and not aligned:
        _vector_values_items(f, points, pshape, args, f0, 0, N)
    for c in prange(nc):
        if aligned:
            plo, phi = chunk_bounds(N, nc, c)
            if need_f0:
                _vector_values_items(f, points, pshape, args, f0, plo, phi)
            start, stop = plo * n, phi * n
        else:
            start, stop = chunk_bounds(N * n, nc, c)
        _jacobian_items(f, points, pshape, rstep, st, st1, lo, hi, f0, args, out, start, stop)


@jit(parallel=True)
def hessian_batch(f, points, pshape, rstep, order, levels, args, out, err, fout, gout):
    """Hessians of many points in parallel; `out` has shape (N, n, n).

    Parameters
    ----------
    f, points, pshape, rstep, args
        As for :func:`gradient_batch`.
    order : int
        2 or 4: accuracy order of the stencils (see :mod:`fastopt.kernels._fd`).
    levels : int
        Order 2 only: number of steps ``h / 2^l`` combined by Richardson extrapolation
        (1: plain stencil; 3: error ``O(h^6)``).
    out : ndarray, shape (N, n, n)
        Output, exactly symmetric.
    err : ndarray, shape (N, n, n) or (0, 0, 0)
        Error estimates (NaN where the method gives none), or an empty array to skip them.
    fout, gout : ndarray, shapes (N,) and (N, n), or empty
        Receive f(x) and the gradient from the Hessian's own axis evaluations (central,
        extrapolated like the Hessian), at no extra cost; empty arrays skip them.

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import hessian_batch
    >>> @numba.njit
    ... def f(x):
    ...     return x[0] ** 2 * x[1]
    >>> out = np.empty((1, 2, 2))
    >>> noerr, nof, nog = np.empty((0, 0, 0)), np.empty(0), np.empty((0, 0))
    >>> pts = np.array([[1.0, 2.0]])
    >>> hessian_batch(f, pts, (2,), np.full(2, 1e-4), 2, 1, (), out, noerr, nof, nog)
    >>> np.round(out, 6)
    array([[[4., 2.],
            [2., 0.]]])
    """
    N, n = points.shape
    npairs = n * (n + 1) // 2
    side = np.empty((N, n + 1, 2 * levels if order == 2 else 4))
    nc = num_chunks(N * npairs)
    aligned = N >= nc
    if not aligned:
        _hessian_side_items(
            f, points, pshape, rstep, order, levels, args, side, 0, N * (n + 1)
        )
    for c in prange(nc):
        if aligned:
            plo, phi = chunk_bounds(N, nc, c)
            _hessian_side_items(
                f, points, pshape, rstep, order, levels, args, side, plo * (n + 1),
                phi * (n + 1),
            )
            lo, hi = plo * npairs, phi * npairs
        else:
            lo, hi = chunk_bounds(N * npairs, nc, c)
        _hessian_pair_items(
            f, points, pshape, rstep, order, levels, args, side, out, err, fout, gout, lo, hi
        )


@jit(parallel=True)
def gradient_central_batch(f, points, pshape, rstep, args, out):
    """Central order-2 gradients of many points in parallel, without bounds.

    :func:`gradient_batch` with the default stencil and no box gives the same numbers;
    this kernel compiles for a new objective in about a third of the time.

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import gradient_central_batch
    >>> @numba.njit
    ... def f(x):
    ...     return np.sum(x ** 2)
    >>> out = np.empty((2, 2))
    >>> gradient_central_batch(f, np.array([[1.0, 2.0], [3.0, 4.0]]), (2,), np.full(2, 1e-5),
    ...                        (), out)
    >>> np.round(out, 7)
    array([[2., 4.],
           [6., 8.]])
    """
    N, n = points.shape
    nc = num_chunks(N * n)
    for c in prange(nc):
        start, stop = chunk_bounds(N * n, nc, c)
        _central_items(f, points, pshape, rstep, args, out, start, stop)


@jit(parallel=True)
def jacobian_central_batch(f, points, pshape, rstep, args, out):
    """Central order-2 Jacobians of many points in parallel, without bounds.

    :func:`jacobian_batch` with the default stencil and no box gives the same numbers;
    this kernel compiles for a new objective in about half the time. `out` has shape
    (N, m, n); an evaluation that does not return m values gives NaN for that column.

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import jacobian_central_batch
    >>> @numba.njit
    ... def F(x):
    ...     return np.array([x[0] * x[1], x[0] + x[1]])
    >>> out = np.empty((1, 2, 2))
    >>> jacobian_central_batch(F, np.array([[2.0, 3.0]]), (2,), np.full(2, 1e-5), (), out)
    >>> np.round(out[0], 7)
    array([[3., 2.],
           [1., 1.]])
    """
    N, n = points.shape
    nc = num_chunks(N * n)
    for c in prange(nc):
        start, stop = chunk_bounds(N * n, nc, c)
        _jacobian_central_items(f, points, pshape, rstep, args, out, start, stop)


@jit(parallel=True)
def hessian_central_batch(f, points, pshape, rstep, args, out, fout, gout):
    """Order-2 Hessians of many points, in parallel over points (n^2 + n + 1 evaluations).

    :func:`hessian_batch` with ``order=2, levels=1`` and no error estimates gives the
    same numbers; this kernel compiles for a new objective about 4x faster and runs ~10 %
    faster, but never splits one point over threads: for a few points with many
    coordinates use :func:`hessian_batch`. `fout` (N,) and `gout` (N, n) receive f(x)
    and the central gradient from the same evaluations, or have size 0 to skip them.

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import hessian_central_batch
    >>> @numba.njit
    ... def f(x):
    ...     return x[0] ** 2 * x[1]
    >>> out = np.empty((1, 2, 2))
    >>> hessian_central_batch(f, np.array([[1.0, 2.0]]), (2,), np.full(2, 1e-4), (), out,
    ...                       np.empty(0), np.empty((0, 0)))
    >>> np.round(out, 6)
    array([[[4., 2.],
            [2., 0.]]])
    """
    N = points.shape[0]
    nc = num_chunks(N)
    for c in prange(nc):
        plo, phi = chunk_bounds(N, nc, c)
        _plain_hessian_points(f, points, pshape, rstep, args, out, fout, gout, plo, phi)


@jit(parallel=True)
def gradient_richardson_batch(f, points, pshape, rstep, levels, lo, hi, args, out, err):
    """Richardson-extrapolated central gradients with error estimates, in parallel.

    ``levels`` central differences at ``h / 2^l`` (2 evaluations each per coordinate)
    are extrapolated to error ``O(h^(2 levels))``; `err` (shape (N, n)) receives the
    error estimates. `lo`, `hi` (shape (n,), ``-inf``/``inf`` for none) bound every
    evaluation point; near a bound one-sided stencils at ``2 levels - 1`` steps keep the
    error order (``4 levels - 2`` evaluations there). See :mod:`fastopt.kernels._richardson`.

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import gradient_richardson_batch
    >>> @numba.njit
    ... def f(x):
    ...     return np.sin(x[0]) * x[1]
    >>> out = np.empty((1, 2)); err = np.empty((1, 2))
    >>> lo, hi = np.full(2, -np.inf), np.full(2, np.inf)
    >>> gradient_richardson_batch(f, np.array([[0.5, 2.0]]), (2,), np.full(2, 0.03), 3,
    ...                           lo, hi, (), out, err)
    >>> bool(abs(out[0, 0] - 2.0 * np.cos(0.5)) < 1e-12)
    True
    """
    N, n = points.shape
    nc = num_chunks(N * n)
    aligned = N >= nc
    need_f0 = _bounded(lo, hi)
    f0 = np.empty(N)
    if need_f0 and not aligned:
        _values_items(f, points, pshape, args, f0, 0, N)
    for c in prange(nc):
        if aligned:
            plo, phi = chunk_bounds(N, nc, c)
            if need_f0:
                _values_items(f, points, pshape, args, f0, plo, phi)
            start, stop = plo * n, phi * n
        else:
            start, stop = chunk_bounds(N * n, nc, c)
        _gradient_richardson_items(
            f, points, pshape, rstep, levels, lo, hi, f0, args, out, err, start, stop
        )


@jit(parallel=True)
def jacobian_richardson_batch(f, points, pshape, rstep, levels, lo, hi, args, out, err):
    """Richardson-extrapolated central Jacobians; `out`, `err` have shape (N, m, n).

    Arguments as for :func:`gradient_richardson_batch`.

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import jacobian_richardson_batch
    >>> @numba.njit
    ... def F(x):
    ...     return np.array([np.exp(x[0]) * x[1]])
    >>> out = np.empty((1, 1, 2)); err = np.empty((1, 1, 2))
    >>> lo, hi = np.full(2, -np.inf), np.full(2, np.inf)
    >>> jacobian_richardson_batch(F, np.array([[0.0, 3.0]]), (2,), np.full(2, 0.03), 3,
    ...                           lo, hi, (), out, err)
    >>> np.round(out, 10)
    array([[[3., 1.]]])
    """
    N, n = points.shape
    m = out.shape[1]
    nc = num_chunks(N * n)
    aligned = N >= nc
    need_f0 = _bounded(lo, hi)
    f0 = np.empty((N, m))
    if need_f0 and not aligned:
        _vector_values_items(f, points, pshape, args, f0, 0, N)
    for c in prange(nc):
        if aligned:
            plo, phi = chunk_bounds(N, nc, c)
            if need_f0:
                _vector_values_items(f, points, pshape, args, f0, plo, phi)
            start, stop = plo * n, phi * n
        else:
            start, stop = chunk_bounds(N * n, nc, c)
        _jacobian_richardson_items(
            f, points, pshape, rstep, levels, lo, hi, f0, args, out, err, start, stop
        )


@jit(parallel=True)
def gradient_complex_batch(f, points, pshape, rstep, args, out):
    """Complex-step gradients ``Im f(x + i h e_k) / h`` in parallel (n evaluations per point).

    `f` must accept a complex128 array of shape `pshape`; see
    :mod:`fastopt.kernels._complex`.

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import gradient_complex_batch
    >>> @numba.njit
    ... def f(x):
    ...     return np.exp(x[0]) * x[1]
    >>> out = np.empty((1, 2))
    >>> gradient_complex_batch(f, np.array([[0.0, 3.0]]), (2,), np.full(2, 1e-20), (), out)
    >>> out
    array([[3., 1.]])
    """
    N, n = points.shape
    nc = num_chunks(N * n)
    for c in prange(nc):
        lo, hi = chunk_bounds(N * n, nc, c)
        _gradient_complex_items(f, points, pshape, rstep, args, out, lo, hi)


@jit(parallel=True)
def jacobian_complex_batch(f, points, pshape, rstep, args, out):
    """Complex-step Jacobians in parallel; `out` has shape (N, m, n).

    Examples
    --------
    >>> import numpy as np, numba
    >>> from fastopt.kernels import jacobian_complex_batch
    >>> @numba.njit
    ... def F(x):
    ...     return np.array([x[0] * x[1], np.sin(x[0])])
    >>> out = np.empty((1, 2, 2))
    >>> jacobian_complex_batch(F, np.array([[0.0, 2.0]]), (2,), np.full(2, 1e-20), (), out)
    >>> out
    array([[[2., 0.],
            [1., 0.]]])
    """
    N, n = points.shape
    nc = num_chunks(N * n)
    for c in prange(nc):
        lo, hi = chunk_bounds(N * n, nc, c)
        _jacobian_complex_items(f, points, pshape, rstep, args, out, lo, hi)


@jit(parallel=True)
def symmetrize_batch(out):
    """Replace each (n, n) matrix of `out` (shape (N, n, n)) by ``(A + A^T) / 2``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastopt.kernels import symmetrize_batch
    >>> A = np.array([[[1.0, 2.0], [4.0, 3.0]]])
    >>> symmetrize_batch(A)
    >>> A
    array([[[1., 3.],
            [3., 3.]]])
    """
    N, n, _ = out.shape
    for p in prange(N):
        for i in range(n):
            for j in range(i + 1, n):
                v = 0.5 * (out[p, i, j] + out[p, j, i])
                out[p, i, j] = v
                out[p, j, i] = v
