"""Complex-step derivatives.

For an objective analytic in each coordinate and written so that it accepts complex
input, ``f(x + i h e_k) = f(x) + i h df/dx_k - h^2/2 f_kk - i h^3/6 f_kkk + ...``, so

    df/dx_k = Im f(x + i h e_k) / h + O(h^2)

with no subtraction, hence no cancellation: ``h`` can be tiny (default ``1e-20 max(1,
|x_k|)``) and the result is accurate to a few ulps. One evaluation per coordinate.
The objective must not use ``abs``, ``.real``, comparisons or other non-analytic
operations on ``x``.
"""

from __future__ import annotations

import numpy as np

from .._jit import jit
from ._fd import _next_item


@jit(inline=True)
def _load_complex(w, points, p):
    for j in range(w.size):
        w[j] = points[p, j]


@jit(inline=True)
def _gradient_complex_items(f, points, pshape, rstep, args, out, start, stop):
    """Items (p, i); `out[p, i] = Im f(x + i h e_i) / h`."""
    if start >= stop:
        return
    N, n = points.shape
    w = np.empty(n, dtype=np.complex128)
    wp = w.reshape(pshape)
    p = start // n
    i = start - p * n
    _load_complex(w, points, p)
    for _ in range(start, stop):
        xi = points[p, i]
        h = rstep[i] * max(1.0, abs(xi))
        w[i] = complex(xi, h)
        out[p, i] = f(wp, *args).imag / h
        w[i] = xi
        p, i, new_point = _next_item(p, i, n)
        if new_point and p < N:
            _load_complex(w, points, p)


@jit(inline=True)
def _jacobian_complex_items(f, points, pshape, rstep, args, out, start, stop):
    """Items (p, i); `out[p, :, i] = Im F(x + i h e_i) / h` (NaN on a length mismatch)."""
    if start >= stop:
        return
    N, n = points.shape
    m = out.shape[1]
    w = np.empty(n, dtype=np.complex128)
    wp = w.reshape(pshape)
    p = start // n
    i = start - p * n
    _load_complex(w, points, p)
    for _ in range(start, stop):
        xi = points[p, i]
        h = rstep[i] * max(1.0, abs(xi))
        w[i] = complex(xi, h)
        fk = f(wp, *args).ravel()
        w[i] = xi
        for r in range(m):
            out[p, r, i] = fk[r].imag / h if fk.size == m else np.nan
        p, i, new_point = _next_item(p, i, n)
        if new_point and p < N:
            _load_complex(w, points, p)
