"""Small symmetric eigenvalue and inertia solvers, and the second-order test of a matrix.

Every kernel works on the *symmetric part* ``(A + A^T) / 2`` of its input, copied into a
caller-provided work buffer of shape ``(2 n + 2, n)`` (``A`` is never modified). Entries
are rescaled by the largest one only when that is outside ``[1e-100, 1e100]``, so that
no square overflows or underflows.

Eigenvalues (all backward stable: the computed eigenvalues are exact for a matrix within
``c n eps ||A||`` of ``A``, so they match LAPACK to a small multiple of ``eps ||A||``,
including (nearly) repeated eigenvalues and zero matrices):

=============  ====================================================================
n              algorithm
=============  ====================================================================
1              the entry
2              closed form ``m -+ sqrt(p^2 + b^2)``, ``m = (a + c) / 2``,
               ``p = (a - c) / 2`` (``hypot`` near over/underflow)
3              trigonometric closed form (Cardano); QL when ``1 - r^2 < 1e-4``, see
               below; batches: one branch-free pass over blocks of 64 matrices
               (vectorised), the same numbers
4 .. 64        batches: Householder tridiagonalisation + implicit-shift QR on blocks of
               64 matrices at once, each loop running over the block innermost
               (vectorised, no data-dependent branch): every matrix of a block runs
               its own Wilkinson-shifted QR steps on its own unreduced block, in the
               root-free form of Pal, Walker and Kahan (squared off-diagonals, no
               square root per rotation; the recurrence of LAPACK's ``dsterf``); a
               matrix outside its block is left exactly as it is, so its eigenvalues
               do not depend on its neighbours; an off-diagonal entry deflates when
               ``e^2 <= eps^2 ||A||_F^2`` (Weyl: each eigenvalue moves by at most
               ``eps ||A||_F``); NaN/inf, extreme scales and no convergence in
               ``30 n`` steps go to the scalar QL below. For n = 4, 5, 6 the same
               Householder reduction and QR steps run in generated code
               (:mod:`fastopt.kernels._qr_unrolled`) that holds each matrix in
               registers and narrows to the leading rows that are still unreduced;
               its rotation is the one-division form of the same step, on each
               matrix scaled by a power of two (results agree to round-off)
>= 4           one matrix, batches of n >= 65 in :func:`classify_hessians_batch`,
               and the fallback above: Householder tridiagonalisation +
               implicit-shift QL (EISPACK ``tql1``) in the thread-local buffer
>= 65          batches in :func:`fastopt.classify_hessians`: LAPACK ``dsyevd``
               through ``np.linalg.eigvalsh`` (:func:`classify_hessians_batch_lapack`)
=============  ====================================================================

The n = 3 closed form writes the eigenvalues as ``q + 2 p cos(phi + 2 pi j / 3)`` with
``q = tr(A) / 3``, ``p = ||A - q I||_F / sqrt(6)`` and ``cos(3 phi) = r =
det((A - q I) / p) / 2``. The computed ``r`` carries an error ``~eps ||A|| / p`` that
``acos`` amplifies by ``1 / sqrt(1 - r^2)``: the eigenvalue error is
``~eps ||A|| / sqrt(1 - r^2)``, unbounded for a nearly repeated pair (``r -> +-1``). So
the closed form is used only when ``1 - r^2 >= 1e-4`` (error below ``~1e-13 ||A||``);
other matrices (about 0.5 % of random ones, all nearly repeated ones) go to QL.

Inertia (:func:`symmetric_inertia`) by Sylvester's law of inertia on a symmetric
``L D L^T`` factorisation: for n <= 8 first *without* pivoting (branch-free, about twice
as fast), accepted when ``S = sum_k max(1, max_i |l_ik|)^2 |d_k|`` -- a bound on
``|L| |D| |L^T|`` that bounds the backward error by ``~n eps S`` -- is at most
``8 ||A||_F``; otherwise with Bunch-Kaufman pivoting (LAPACK ``dsytf2``: growth at most
``2.57^(n-1)``; a 2x2 pivot always has one eigenvalue of each sign). About ``n^3 / 6``
flops per factorisation.

Classification with a tolerance ``tol >= 0`` (:func:`classify_hessian`): with ``neg``
the number of eigenvalues ``< -tol``, ``pos`` the number ``> tol`` and
``zero = n - neg - pos``: MINIMUM if ``pos == n``, MAXIMUM if ``neg == n``, SADDLE if
``pos > 0`` and ``neg > 0``, DEGENERATE otherwise (then ``neg == 0``, positive
semidefinite within tol, or ``pos == 0``, negative semidefinite).

The inertia-only path (:func:`classify_hessian_inertia`) gets the same counts without
eigenvalues. It factorises ``A`` once: by Ostrowski's theorem the eigenvalues of
``L D L^T`` are ``theta_k d_(k)`` with ``theta_k >= sigma_min(L)^2 >= 1 / (n (1 +
m)^(2n - 2))`` (``m`` the largest multiplier), so when the smallest pivot is large
enough no eigenvalue lies in ``[-tol, tol]`` and the inertia of ``A`` is the answer
(the common case for the default round-off tol). Otherwise ``pos`` = positive pivots of
``A - tol I`` and ``neg`` = negative pivots of ``A + tol I`` (exact by Sylvester). For
n <= 2 it uses the closed form, so both paths agree exactly; for n >= 3 they agree
except for eigenvalues within round-off (``~n eps ||A||_F``) of ``+-tol``.

Batches of 3 <= n <= 64 (:func:`inertia_hessians_batch`) take another route, 64
matrices at a time with every loop running over the block innermost (vectorised), and
with no data-dependent branch: Householder reduction to a tridiagonal ``T`` (backward
stable, ``~(4/3) n^3`` flops), then the Sturm counts of ``T -+ tol I``: the signs of
the pivots ``q_i = d_i -+ tol - e_(i-1)^2 / q_(i-1)``, whose count is exact for a
tridiagonal matrix within a few ulps of ``T`` without any pivoting (Kahan; the basis of
LAPACK's bisection ``dstebz``). So the counts are exact for a matrix within
``~n eps ||A||_F`` of ``A`` -- the same guarantee as above -- with no stability test
and no second pass; only NaN/inf, zero and extreme-scale matrices take the scalar path.

A matrix with a NaN/inf entry gets kind NONFINITE, NaN eigenvalues and inertia
``(-1, -1, -1)``; no kernel raises.

Performance notes: batch drivers make one compiled call per chunk (at most 256 per
batch), never one per matrix: a shared array passed to a compiled call is reference
counted on every call, and two threads counting the same array fight over one cache
line (measured per matrix: 2 threads 4x *slower* than 1). The chunk is a compiled
call rather than code inlined into the ``prange`` body because numba's parallel
lowering kept the lane loops scalar there (measured). Lane loops index views that start
at the block: an index not known to be ``>= 0`` costs numba's wraparound select, which
also keeps a loop scalar. A vectorised lane loop whose every iteration is a long chain
of dependent divisions (a QR step) runs at the latency of that chain:
the generic lane QR, with one memory-row loop per rotation, measured no faster than
with vectorisation switched off; the generated kernels keep a lane's state in registers
for a whole step and interleave four independent lanes (3x faster at n = 4). The
Householder reduction (both paths) gains the same way from registers (n = 6: 6.3 against
2.5 ms per 10^5 matrices, 1 thread). A square root costs about three divisions here
(4-wide: 18.6 against ~6 cycles of throughput, measured), which is why the QR is
root-free: two divisions and no square root per rotation, where the textbook rotation
takes one of each (n = 6, 10^5 matrices, 1 thread: 25.4 -> 23.5 ms in all). The
generated kernels then run at the latency of the chain from one rotation's bulge to the
next, so theirs is a form with one division on it (`_qr_codegen`). While a
block computes, the next block's matrices are prefetched (``llvm.prefetch``) from n = 6
on: its load otherwise waits on main memory (n = 6: 25.6 -> 24.5 ms); for smaller
matrices the hardware prefetcher alone is faster (`_PREFETCH_MIN_N`).
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange, types
from numba.core.extending import overload

from .._jit import jit
from .._result import PointType
from . import _qr_unrolled
from ._batch import chunk_bounds
from ._claim import claim
from ._prefetch import prefetch

#: Smallest n whose batch eigenvalues go to LAPACK (``np.linalg.eigvalsh``): the
#: lane-parallel kernels cover n <= 64 and are faster there (n = 50, 2000 matrices,
#: 2 threads: 63 against 126 ms; numba 0.68, OpenBLAS 0.3).
LAPACK_MIN_N = 65

#: Default relative zero tolerance of :func:`fastopt.classify_hessians`:
#: ``tol = TOL_RTOL * n * ||H||_F``, the round-off of a backward-stable eigensolver.
TOL_RTOL = 16.0 * float(np.finfo(np.float64).eps)

#: Asymmetry accepted as round-off: ``max |H_ij - H_ji| <= SYM_RTOL * n * ||H||_F``.
SYM_RTOL = 64.0 * float(np.finfo(np.float64).eps)

_MINIMUM = int(PointType.MINIMUM)
_MAXIMUM = int(PointType.MAXIMUM)
_SADDLE = int(PointType.SADDLE)
_DEGENERATE = int(PointType.DEGENERATE)
_NONFINITE = int(PointType.NONFINITE)

_EPS = float(np.finfo(np.float64).eps)
_BK_ALPHA = (1.0 + math.sqrt(17.0)) / 8.0
_R3_GUARD = 1e-4
# cos(acos(r) / 3) ~ polynomial in u = sqrt((1 + r) / 2), least squares, error 2.3e-5
_C3 = (-0.00833724, 0.03755303, -0.10588565, 0.57664134, 0.50002336)
_LDL_LIMIT = 8.0
#: Chunks of a batch (each with its own work buffer). A fixed count, not a multiple of
#: the thread count: ``numba.get_num_threads()`` would make the kernels uncacheable.
MAX_CHUNKS = 256
#: Largest n for which the unpivoted L D L^T is tried first (random matrices of larger n
#: fail its stability test too often for it to pay: 30 % at n = 8, 70 % at n = 12).
_LDL_MAX_N = 8


# ----------------------------------------------------------------------------- loading
@jit(inline=True)
def _load(H, k, w, row0):
    """w[row0:row0 + n, :n] = (H[k] + H[k]^T) / 2 / scale; return (finite, scale, fro, asym).

    ``scale`` is 1, or the largest |entry| when that lies outside [1e-100, 1e100];
    ``fro`` is the Frobenius norm and ``asym`` the largest |H_ij - H_ji| of H[k].
    Inlined, so that the shared H is not reference counted per call.
    """
    n = H.shape[1]
    chk = 0.0
    amax = 0.0
    ssq = 0.0
    asym = 0.0
    for i in range(n):
        v = H[k, i, i]
        chk += v - v  # NaN if any entry is NaN/inf
        w[row0 + i, i] = v
        amax = max(amax, abs(v))
        ssq += v * v
        for j in range(i):
            u = H[k, i, j]
            t = H[k, j, i]
            chk += (u - u) + (t - t)
            asym = max(asym, abs(u - t))
            s = 0.5 * u + 0.5 * t
            w[row0 + i, j] = s
            w[row0 + j, i] = s
            amax = max(amax, abs(s))
            ssq += 2.0 * s * s
    if chk != 0.0:
        return False, 1.0, np.nan, np.nan
    scale = 1.0
    if amax > 1e100 or (0.0 < amax < 1e-100):
        scale = amax
        ssq = _rescale(w, n, row0, 1.0 / amax)
    return True, scale, math.sqrt(ssq) * scale, asym


@jit(cache=True)
def _rescale(w, n, row0, inv):
    """Multiply w[row0:row0 + n, :n] by inv; return the sum of squares of the result."""
    ssq = 0.0
    for i in range(row0, row0 + n):
        for j in range(n):
            t = w[i, j] * inv
            w[i, j] = t
            ssq += t * t
    return ssq


@jit(cache=True)
def _copy_shift(w, n, src, shift):
    """w[:n, :n] = w[src:src + n, :n] - shift I (lower triangle and diagonal)."""
    for i in range(n):
        for j in range(i):
            w[i, j] = w[src + i, j]
        w[i, i] = w[src + i, i] - shift


# ----------------------------------------------------------------------------- eigenvalues
@jit(cache=True)
def _eig2(a, b, c):
    """Ascending eigenvalues of [[a, b], [b, c]]."""
    m = 0.5 * a + 0.5 * c
    p = 0.5 * a - 0.5 * c
    big = max(abs(p), abs(b))
    if 1e-140 < big < 1e140:
        r = math.sqrt(p * p + b * b)
    else:
        r = math.hypot(p, b)
    return m - r, m + r


@jit(inline=True)
def _eig3_closed(a, b, c, d, e, f):
    """Solve the n = 3 case without a branch: (q, p2, ok, lo, mid, hi), see _eig3.

    Meaningful only when ``ok`` (the guard ``1 - r^2 >= 1e-4`` holds) and ``p2 > 0``.
    Branch-free so that a loop over many matrices vectorises (`_lanes_three`).
    """
    tr = a + b + c
    q = tr / 3.0
    a1 = a - q
    b1 = b - q
    c1 = c - q
    p2 = (a1 * a1 + b1 * b1 + c1 * c1 + 2.0 * (d * d + e * e + f * f)) / 6.0
    p = math.sqrt(p2)
    det = a1 * (b1 * c1 - e * e) - d * (d * c1 - e * f) + f * (d * e - b1 * f)
    r = det / (2.0 * p2 * p)
    ok = 1.0 - r * r >= _R3_GUARD  # also False for NaN (p2 = 0, underflow)
    u = math.sqrt(0.5 + 0.5 * r)
    t = (((_C3[0] * u + _C3[1]) * u + _C3[2]) * u + _C3[3]) * u + _C3[4]
    for _ in range(3):
        t -= (4.0 * t * t * t - 3.0 * t - r) / (12.0 * t * t - 3.0)
    s3 = math.sqrt(max(3.0 * (1.0 - t * t), 0.0))
    hi = q + 2.0 * p * t
    lo = q - p * (t + s3)
    mid = q - p * (t - s3)
    return q, p2, ok, lo, min(max(mid, lo), hi), hi


@jit(cache=True)
def _eig3_values(a, b, c, d, e, f):
    """Solve [[a, d, f], [d, b, e], [f, e, c]] in closed form: (ok, lo, mid, hi), see _eig3."""
    q, p2, ok, lo, mid, hi = _eig3_closed(a, b, c, d, e, f)
    if p2 == 0.0:
        return True, q, q, q
    if not ok:
        return False, q, q, q
    return True, lo, mid, hi


@jit(cache=True)
def _eig3(w):
    """N = 3 closed form into w[3, :3] (unscaled); False if ill-conditioned (see module).

    ``cos(phi)`` is the largest root ``t`` of the Chebyshev cubic ``4 t^3 - 3 t = r``:
    a polynomial in ``u = sqrt((1 + r) / 2)`` (error < 3e-5) and three Newton steps
    (quadratic; the guard keeps ``T3'(t) >= 0.03``) replace ``acos`` and ``cos``,
    which cost three times as much. The other roots follow by deflation:
    ``(-t -+ sqrt(3 (1 - t^2))) / 2``.
    """
    ok, lo, mid, hi = _eig3_values(w[0, 0], w[1, 1], w[2, 2], w[1, 0], w[2, 1], w[2, 0])
    if ok:
        w[3, 0] = lo
        w[3, 1] = mid
        w[3, 2] = hi
    return ok


@jit(cache=True)
def _tridiagonalize(w, n):
    """Householder reduction of the symmetric w[:n, :n] (destroyed).

    Writes the diagonal to w[n, :n] and the subdiagonal to w[n + 1, :n] (last entry 0).
    Row n + 1 is also the scratch vector: entry k is written after its last use as such.
    """
    for k in range(n - 2):
        x0 = w[k + 1, k]
        sigma = 0.0
        for i in range(k + 2, n):
            sigma += w[i, k] * w[i, k]
        w[n, k] = w[k, k]
        if sigma == 0.0:
            w[n + 1, k] = x0
            continue
        mu = math.sqrt(x0 * x0 + sigma)
        alpha = -mu if x0 >= 0.0 else mu
        w[k + 1, k] = x0 - alpha  # v = x - alpha e1, stored in column k
        beta = 1.0 / (mu * (mu + abs(x0)))  # 2 / (v . v)
        vp = 0.0
        for i in range(k + 1, n):  # p = beta A22 v
            s = 0.0
            for j in range(k + 1, n):
                s += w[i, j] * w[j, k]
            s *= beta
            w[n + 1, i] = s
            vp += s * w[i, k]
        kk = 0.5 * beta * vp
        for i in range(k + 1, n):  # q = p - (beta v.p / 2) v
            w[n + 1, i] -= kk * w[i, k]
        for i in range(k + 1, n):  # A22 -= v q^T + q v^T
            vi = w[i, k]
            qi = w[n + 1, i]
            for j in range(k + 1, i + 1):
                t = w[i, j] - vi * w[n + 1, j] - qi * w[j, k]
                w[i, j] = t
                w[j, i] = t
        w[n + 1, k] = alpha
    if n >= 2:
        w[n, n - 2] = w[n - 2, n - 2]
        w[n + 1, n - 2] = w[n - 1, n - 2]
    w[n, n - 1] = w[n - 1, n - 1]
    w[n + 1, n - 1] = 0.0


@jit(cache=True)
def _tql(w, n):
    """Eigenvalues of the tridiagonal (w[n], w[n + 1]) into w[n], implicit-shift QL.

    EISPACK ``tql1`` / Numerical Recipes ``tqli`` without eigenvectors; an off-diagonal
    entry is negligible when ``|e_m| <= eps (|d_m| + |d_m+1|)``.
    """
    D = n
    E = n + 1
    for l in range(n):  # noqa: E741
        it = 0
        while True:
            m = l
            while m < n - 1:
                dd = abs(w[D, m]) + abs(w[D, m + 1])
                if abs(w[E, m]) <= _EPS * dd:
                    break
                m += 1
            if m == l or it >= 60:
                break
            it += 1
            el = w[E, l]
            g = (w[D, l + 1] - w[D, l]) / (2.0 * el)
            r = math.sqrt(g * g + 1.0) if abs(g) < 1e150 else abs(g)
            g = w[D, m] - w[D, l] + el / (g + (r if g >= 0.0 else -r))
            s = 1.0
            c = 1.0
            p = 0.0
            i = m - 1
            deflated = False
            while i >= l:
                ei = w[E, i]
                f = s * ei
                b = c * ei
                r = math.sqrt(f * f + g * g)
                w[E, i + 1] = r
                if r == 0.0:
                    w[D, i + 1] -= p
                    w[E, m] = 0.0
                    deflated = True
                    break
                rinv = 1.0 / r
                s = f * rinv
                c = g * rinv
                g = w[D, i + 1] - p
                r = (w[D, i] - g) * s + 2.0 * c * b
                p = s * r
                w[D, i + 1] = g + p
                g = c * r - b
                i -= 1
            if deflated:
                continue
            w[D, l] -= p
            w[E, l] = g
            w[E, m] = 0.0


@jit(cache=True)
def _eig_small(w, n, scale):
    """Ascending eigenvalues of the loaded w[:n, :n] (destroyed) into w[n, :n] * scale."""
    if n == 1:
        w[1, 0] = w[0, 0] * scale
        return
    if n == 2:
        lo, hi = _eig2(w[0, 0], w[1, 0], w[1, 1])
        w[2, 0] = lo * scale
        w[2, 1] = hi * scale
        return
    if not (n == 3 and _eig3(w)):
        _tridiagonalize(w, n)
        _tql(w, n)
        for i in range(1, n):  # insertion sort of w[n, :n]
            v = w[n, i]
            j = i - 1
            while j >= 0 and w[n, j] > v:
                w[n, j + 1] = w[n, j]
                j -= 1
            w[n, j + 1] = v
    if scale != 1.0:
        for i in range(n):
            w[n, i] *= scale


@jit(inline=True)
def _nchunks(total):
    """Return the number of chunks for `total` items: MAX_CHUNKS, at most `total`."""
    return max(1, min(total, MAX_CHUNKS))


@jit(cache=True)
def _counts(w, n, tol):
    """(neg, zero, pos): eigenvalues in w[n, :n] below -tol, in [-tol, tol], above tol."""
    neg = 0
    pos = 0
    for i in range(n):
        v = w[n, i]
        neg += v < -tol
        pos += v > tol
    return neg, n - neg - pos, pos


# ----------------------------------------------------------------------------- inertia
@jit(cache=True)
def _bk(w, n):
    """Inertia (neg, zero, pos) of the symmetric matrix in the lower triangle of w[:n, :n].

    Bunch-Kaufman ``L D L^T`` (LAPACK ``dsytf2``, lower), D only; w is destroyed.
    """
    neg = 0
    zero = 0
    pos = 0
    k = 0
    while k < n:
        absakk = abs(w[k, k])
        imax = k
        colmax = 0.0
        for i in range(k + 1, n):
            v = abs(w[i, k])
            if v > colmax:
                colmax = v
                imax = i
        if colmax == 0.0:  # column already eliminated: w[k, k] is a 1x1 pivot
            d = w[k, k]
            pos += d > 0.0
            neg += d < 0.0
            zero += d == 0.0
            k += 1
            continue
        kstep = 1
        kp = k
        if absakk < _BK_ALPHA * colmax:
            rowmax = 0.0
            for j in range(k, imax):
                rowmax = max(rowmax, abs(w[imax, j]))
            for i in range(imax + 1, n):
                rowmax = max(rowmax, abs(w[i, imax]))
            if absakk * rowmax >= _BK_ALPHA * colmax * colmax:
                kp = k
            elif abs(w[imax, imax]) >= _BK_ALPHA * rowmax:
                kp = imax
            else:
                kp = imax
                kstep = 2
        kk = k + kstep - 1
        if kp != kk:  # symmetric interchange of kk and kp in the lower triangle
            for i in range(kp + 1, n):
                t = w[i, kk]
                w[i, kk] = w[i, kp]
                w[i, kp] = t
            for j in range(kk + 1, kp):
                t = w[j, kk]
                w[j, kk] = w[kp, j]
                w[kp, j] = t
            t = w[kk, kk]
            w[kk, kk] = w[kp, kp]
            w[kp, kp] = t
            if kstep == 2:
                t = w[k + 1, k]
                w[k + 1, k] = w[kp, k]
                w[kp, k] = t
        if kstep == 1:
            d = w[k, k]
            pos += d > 0.0
            neg += d < 0.0
            r = 1.0 / d
            for j in range(k + 1, n):
                t = w[j, k] * r
                for i in range(j, n):
                    w[i, j] -= w[i, k] * t
        else:
            d11 = w[k, k]
            d21 = w[k + 1, k]
            d22 = w[k + 1, k + 1]
            det = d11 * d22 - d21 * d21
            # |d11 d22| < 0.41 d21^2 for a Bunch-Kaufman 2x2 pivot: det < 0, one
            # eigenvalue of each sign
            neg += 1
            pos += 1
            if det != 0.0:
                rdet = 1.0 / det
                for j in range(k + 2, n):
                    c1 = w[j, k]
                    c2 = w[j, k + 1]
                    y1 = (d22 * c1 - d21 * c2) * rdet
                    y2 = (d11 * c2 - d21 * c1) * rdet
                    for i in range(j, n):
                        w[i, j] -= w[i, k] * y1 + w[i, k + 1] * y2
        k += kstep
    return neg, zero, pos


@jit(cache=True)
def _ldl(w, n, limit):
    """Inertia of the lower triangle of w[:n, :n] by L D L^T *without* pivoting.

    Returns (ok, neg, zero, pos, dmin, mmax, S): ``ok`` is False unless the bound ``S``
    on ``|L| |D| |L^T|`` (module docstring) is at most `limit` (a zero pivot gives
    ``S = inf``), and the caller then falls back to Bunch-Kaufman; ``dmin`` is the
    smallest |pivot| and ``mmax`` the largest |multiplier| (at least 1).
    """
    neg = 0
    pos = 0
    s = 0.0
    dmin = np.inf
    mmax = 1.0
    for k in range(n):
        d = w[k, k]
        neg += d < 0.0
        pos += d > 0.0
        dmin = min(dmin, abs(d))
        r = 1.0 / d
        mk = 1.0
        for j in range(k + 1, n):
            lj = w[j, k] * r
            mk = max(mk, abs(lj))
            for i in range(j, n):
                w[i, j] -= w[i, k] * lj
        s += mk * mk * abs(d)
        mmax = max(mmax, mk)
    return s <= limit, neg, n - neg - pos, pos, dmin, mmax, s


@jit(cache=True)
def _shifted_inertia(w, n, shift, limit):
    """Inertia of the pristine copy w[n + 2:2n + 2] minus shift I (scaled units)."""
    _copy_shift(w, n, n + 2, shift)
    if n <= _LDL_MAX_N:
        ok, neg, zero, pos, _, _, _ = _ldl(w, n, limit)
        if ok:
            return neg, zero, pos
        _copy_shift(w, n, n + 2, shift)
    return _bk(w, n)


@jit(cache=True)
def _inertia_tol(w, n, scale, fro, tol):
    """(neg, zero, pos) with tolerance tol of the matrix loaded (scaled) at w[n + 2:].

    n <= 2: from the closed-form eigenvalues (the numbers of the eigenvalue path).
    n >= 3: first one factorisation of H itself; by Ostrowski's theorem its eigenvalues
    are ``theta_k d_(k)`` with ``theta_k >= sigma_min(L)^2 >= 1 / (n (1 + m)^(2n - 2))``
    (``m`` the largest multiplier), so if ``min |d_k|`` exceeds ``tol`` times that
    factor (plus the backward error ``2 n eps S``) no eigenvalue lies in ``[-tol,
    tol]`` and the inertia of H is the answer -- the common case for a small tol.
    Otherwise pos = positive pivots of H - tol I and, unless that is all of them,
    neg = negative pivots of H + tol I.
    """
    if n <= 2:
        _copy_shift(w, n, n + 2, 0.0)
        for i in range(n):
            for j in range(i):
                w[j, i] = w[i, j]
        _eig_small(w, n, scale)
        return _counts(w, n, tol)
    ts = tol / scale
    limit = _LDL_LIMIT * (fro + n * tol) / scale
    if n <= _LDL_MAX_N:
        _copy_shift(w, n, n + 2, 0.0)
        ok, neg, zero, pos, dmin, mmax, S = _ldl(w, n, limit)
        if ok and zero == 0:
            theta = 1.0 / (n * (1.0 + mmax) ** (2 * n - 2))
            if dmin * theta > ts + 2.0 * n * _EPS * S:
                return neg, 0, pos
        if ok and tol == 0.0:
            return neg, zero, pos
    negp, zerop, pos = _shifted_inertia(w, n, ts, limit)
    if pos == n:
        return 0, 0, n
    if tol == 0.0:
        return negp, zerop, pos
    neg, _, _ = _shifted_inertia(w, n, -ts, limit)
    return neg, n - neg - pos, pos


# ----------------------------------------------------------------------------- one matrix
@jit(cache=True)
def kind_from_inertia(neg, zero, pos):
    """Return the :class:`~fastopt.PointType` code of a critical point from its inertia.

    Parameters
    ----------
    neg, zero, pos : int
        Numbers of eigenvalues below ``-tol``, within ``[-tol, tol]`` and above ``tol``.

    Returns
    -------
    int
        MINIMUM if all are positive, MAXIMUM if all are negative, SADDLE if both signs
        occur, DEGENERATE otherwise; NONFINITE if ``neg < 0`` (the not-computed marker).

    Examples
    --------
    >>> from fastopt import PointType
    >>> from fastopt.kernels import kind_from_inertia
    >>> PointType(kind_from_inertia(1, 0, 1)).name
    'SADDLE'
    """
    if neg < 0:
        return _NONFINITE
    # branch-free (random verdicts would mispredict); the three cases are exclusive
    is_min = (neg == 0) & (zero == 0)
    is_max = (pos == 0) & (zero == 0)
    is_saddle = (pos > 0) & (neg > 0)
    return (
        _DEGENERATE
        - (_DEGENERATE - _MINIMUM) * is_min
        - (_DEGENERATE - _MAXIMUM) * is_max
        - (_DEGENERATE - _SADDLE) * is_saddle
    )


@jit(cache=True)
def symmetric_eigenvalues(A, work, out):
    """Ascending eigenvalues of the symmetric part of one matrix, serially.

    Safe inside a user's ``prange``: allocates nothing (QL for every n >= 4, no LAPACK).

    Parameters
    ----------
    A : ndarray, shape (n, n)
        The matrix (float64, C-contiguous); only ``(A + A^T) / 2`` is used, `A` is not
        modified.
    work : ndarray, shape (2 n + 2, n)
        Scratch space, float64, C-contiguous.
    out : ndarray, shape (n,)
        Output: the eigenvalues in ascending order; all NaN if `A` has a NaN/inf entry.

    Examples
    --------
    >>> import numpy as np
    >>> from fastopt.kernels import symmetric_eigenvalues
    >>> A = np.array([[2.0, 1.0, 0.0], [1.0, 2.0, 0.0], [0.0, 0.0, -1.0]])
    >>> out = np.empty(3)
    >>> symmetric_eigenvalues(A, np.empty((8, 3)), out)
    >>> np.round(out, 12)
    array([-1.,  1.,  3.])
    """
    n = A.shape[0]
    finite, scale, _, _ = _load(A.reshape(1, n, n), 0, work, 0)
    if not finite:
        out[:] = np.nan
        return
    _eig_small(work, n, scale)
    for i in range(n):
        out[i] = work[n, i]


@jit(cache=True)
def symmetric_inertia(A, shift, work):
    """Inertia ``(neg, zero, pos)`` of ``(A + A^T) / 2 - shift * I``, serially.

    Counts the negative, zero and positive eigenvalues without computing them, by an
    ``L D L^T`` factorisation (Sylvester's law of inertia; see the module docstring).
    Exact zeros count as zero; to count eigenvalues beyond a tolerance use
    :func:`classify_hessian_inertia`. Safe inside a user's ``prange``.

    Parameters
    ----------
    A : ndarray, shape (n, n)
        The matrix; only its symmetric part is used, `A` is not modified.
    shift : float
        Diagonal shift.
    work : ndarray, shape (2 n + 2, n)
        Scratch space.

    Returns
    -------
    (int, int, int)
        ``(neg, zero, pos)``; ``(-1, -1, -1)`` if `A` has a NaN/inf entry.

    Examples
    --------
    >>> import numpy as np
    >>> from fastopt.kernels import symmetric_inertia
    >>> A = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> symmetric_inertia(A, 0.0, np.empty((6, 2)))
    (1, 0, 1)
    """
    n = A.shape[0]
    finite, scale, fro, _ = _load(A.reshape(1, n, n), 0, work, n + 2)
    if not finite:
        return -1, -1, -1
    limit = _LDL_LIMIT * (fro + n * abs(shift)) / scale
    return _shifted_inertia(work, n, shift / scale, limit)


@jit(cache=True)
def classify_hessian(H, tol, work, eig_out, inertia_out):
    """Second-order test of one symmetric matrix by its eigenvalues, serially.

    Safe inside a user's ``prange``; allocates nothing.

    Parameters
    ----------
    H : ndarray, shape (n, n)
        The Hessian (float64, C-contiguous); only its symmetric part is used.
    tol : float
        Eigenvalues with ``|lambda| <= tol`` count as zero (``tol >= 0``).
    work : ndarray, shape (2 n + 2, n)
        Scratch space.
    eig_out : ndarray, shape (n,)
        Output: ascending eigenvalues (NaN if `H` has a NaN/inf entry).
    inertia_out : ndarray of int, shape (3,)
        Output: counts ``(neg, zero, pos)`` of eigenvalues ``< -tol``, in
        ``[-tol, tol]`` and ``> tol`` (``-1`` each for a non-finite `H`).

    Returns
    -------
    int
        The :class:`~fastopt.PointType` code: MINIMUM, MAXIMUM, SADDLE, DEGENERATE or
        NONFINITE.

    Examples
    --------
    >>> import numpy as np
    >>> from fastopt import PointType
    >>> from fastopt.kernels import classify_hessian
    >>> H = np.array([[2.0, 0.0], [0.0, -2.0]])
    >>> inertia = np.empty(3, dtype=np.int64)
    >>> kind = classify_hessian(H, 1e-10, np.empty((6, 2)), np.empty(2), inertia)
    >>> PointType(kind).name, inertia
    ('SADDLE', array([1, 0, 1]))
    """
    n = H.shape[0]
    finite, scale, _, _ = _load(H.reshape(1, n, n), 0, work, 0)
    if not finite:
        eig_out[:] = np.nan
        inertia_out[:] = -1
        return _NONFINITE
    _eig_small(work, n, scale)
    for i in range(n):
        eig_out[i] = work[n, i]
    neg, zero, pos = _counts(work, n, tol)
    inertia_out[0] = neg
    inertia_out[1] = zero
    inertia_out[2] = pos
    return kind_from_inertia(neg, zero, pos)


@jit(cache=True)
def classify_hessian_inertia(H, tol, work, inertia_out):
    """Second-order test of one symmetric matrix without its eigenvalues, serially.

    Same counts as :func:`classify_hessian` -- exactly for n <= 2, and for larger n up
    to round-off for eigenvalues within ``~n eps ||H||_F`` of ``+-tol`` -- from ``L D
    L^T`` factorisations (Sylvester's law of inertia; one of H when no eigenvalue can be
    within tol of zero, else ``pos`` = positive pivots of ``H - tol I`` and ``neg`` =
    negative pivots of ``H + tol I``). Safe inside a user's ``prange``.

    Parameters
    ----------
    H : ndarray, shape (n, n)
        The Hessian; only its symmetric part is used.
    tol : float
        Zero tolerance for eigenvalues (``>= 0``).
    work : ndarray, shape (2 n + 2, n)
        Scratch space.
    inertia_out : ndarray of int, shape (3,)
        Output: ``(neg, zero, pos)`` as in :func:`classify_hessian`.

    Returns
    -------
    int
        The :class:`~fastopt.PointType` code.

    Examples
    --------
    >>> import numpy as np
    >>> from fastopt import PointType
    >>> from fastopt.kernels import classify_hessian_inertia
    >>> H = np.diag([1.0, 1e-12, 3.0, 2.0])
    >>> inertia = np.empty(3, dtype=np.int64)
    >>> kind = classify_hessian_inertia(H, 1e-9, np.empty((10, 4)), inertia)
    >>> PointType(kind).name, inertia
    ('DEGENERATE', array([0, 1, 3]))
    """
    n = H.shape[0]
    finite, scale, fro, _ = _load(H.reshape(1, n, n), 0, work, n + 2)
    if not finite:
        inertia_out[:] = -1
        return _NONFINITE
    neg, zero, pos = _inertia_tol(work, n, scale, fro, tol)
    inertia_out[0] = neg
    inertia_out[1] = zero
    inertia_out[2] = pos
    return kind_from_inertia(neg, zero, pos)


# ----------------------------------------------------------------------------- batches
@jit(inline=True)
def _two(H, k, atol, rtol, srtol, tol):
    """N = 2 without a work buffer: write tol[k]; return (finite, lo, hi, asymmetric)."""
    a = H[k, 0, 0]
    u = H[k, 0, 1]
    v = H[k, 1, 0]
    c = H[k, 1, 1]
    finite = (a - a) + (u - u) + (v - v) + (c - c) == 0.0  # NaN for any NaN/inf
    b = 0.5 * u + 0.5 * v
    amax = max(abs(a), abs(b), abs(c))
    if 1e-140 < amax < 1e140:
        fro = math.sqrt(a * a + c * c + 2.0 * b * b)
    else:
        fro = math.hypot(math.hypot(a, c), math.sqrt(2.0) * b)
    lo, hi = _eig2(a, b, c)
    t = atol[k] if atol.shape[0] > 1 else atol[0]
    if rtol != 0.0:
        t += rtol * fro
    tol[k] = t
    return finite, lo, hi, abs(u - v) > srtol * fro


@jit(inline=True)
def _three(H, k, atol, rtol, srtol, tol):
    """N = 3 from registers: (done, lo, mid, hi, asymmetric); writes tol[k] when done.

    Not done (the caller takes the general path) for NaN/inf, extreme scales and nearly
    repeated eigenvalues.
    """
    a, b, c, d, e, f, ssq, asym = _sym3(H, k)
    if not 1e-280 < ssq < 1e280:  # also NaN/inf anywhere
        return False, 0.0, 0.0, 0.0, False
    ok, lo, mid, hi = _eig3_values(a, b, c, d, e, f)
    if not ok:
        return False, 0.0, 0.0, 0.0, False
    fro = math.sqrt(ssq)
    t = atol[k] if atol.shape[0] > 1 else atol[0]
    if rtol != 0.0:
        t += rtol * fro
    tol[k] = t
    return True, lo, mid, hi, asym > srtol * fro


@jit(inline=True)
def _sym3(H, k):
    """Return the symmetric part of the 3 x 3 H[k]: (a, b, c, d, e, f, ssq, asym).

    ``[[a, d, f], [d, b, e], [f, e, c]]``; ``ssq`` its squared Frobenius norm, summed in
    the order of `_load` (and the lane loader), so that every path gives the same
    ||H||_F, hence the same tolerance, to the last bit (NaN/inf for any NaN/inf entry);
    ``asym`` the largest ``|H_ij - H_ji|``. Branch-free (vectorises in `_lanes_three`).
    """
    a = H[k, 0, 0]
    b = H[k, 1, 1]
    c = H[k, 2, 2]
    u10 = H[k, 1, 0]
    u01 = H[k, 0, 1]
    u21 = H[k, 2, 1]
    u12 = H[k, 1, 2]
    u20 = H[k, 2, 0]
    u02 = H[k, 0, 2]
    d = 0.5 * u10 + 0.5 * u01
    e = 0.5 * u21 + 0.5 * u12
    f = 0.5 * u20 + 0.5 * u02
    ssq = a * a + b * b + 2.0 * d * d + c * c + 2.0 * f * f + 2.0 * e * e
    asym = max(abs(u10 - u01), abs(u21 - u12), abs(u20 - u02))
    return a, b, c, d, e, f, ssq, asym


@jit(inline=True)
def _begin(H, k, w, row0, atol, rtol, srtol, tol):
    """Load H[k] into w at row0 and write tol[k]; return (finite, scale, fro, asymmetric)."""
    finite, scale, fro, asym = _load(H, k, w, row0)
    t = atol[k] if atol.shape[0] > 1 else atol[0]
    if rtol != 0.0:
        t += rtol * fro
    tol[k] = t
    return finite, scale, fro, asym > srtol * fro


@jit(inline=True)
def _finish(k, neg, zero, pos, inertia, kind):
    inertia[k, 0] = neg
    inertia[k, 1] = zero
    inertia[k, 2] = pos
    kind[k] = kind_from_inertia(neg, zero, pos)


# ------------------------------------------------------------ lane-parallel kernels
#: Matrices per block of the lane-parallel paths (every loop runs over the block
#: innermost so that the compiler vectorises it; the block size must be a run-time
#: value: a loop with a constant trip count is unrolled into scalar code instead,
#: measured). 64 against 32, 10^5 random matrices, 1 thread, whole calls: inertia
#: n = 3 2.23-2.40 -> 1.76-1.87 ms, n = 4 3.38-3.67 -> 2.90-3.17, n = 6 7.55-7.90 ->
#: 6.98-7.22; eigenvalues n = 4 10.5-11.0 -> 9.9-10.2, n = 6 22.8-23.1 -> 21.9-22.6
#: (fewer per-block overheads, longer lane loops); n = 13 and n = 50 no slower; 128
#: was slower again (the scratch outgrows the L1 cache).
LANES = _qr_unrolled.WIDTH  # 64

# rows of the per-lane scratch V (shape (_NV + 2 n, LANES)): the sums of the loader ...
_SSQ, _ASQ = 0, 1
# ... the tridiagonal QR of the eigenvalue path ...
_M, _LO, _MU, _X, _Z, _THR = 2, 3, 4, 5, 6, 7
_SC = _LO  # the generated kernels' scale (`_lanes_scale`): they have no lo row
# ... and the Householder reduction and Sturm counts (rows _NV .. _NV + 2 n hold the
# reflector u and A u, then the tridiagonal matrix's diagonal and off-diagonal for QR)
_TOL, _SIG, _BETA, _K, _QM, _QP, _NEG, _LE, _PIV = 8, 9, 10, 11, 12, 13, 14, 15, 16
_NV = 17
#: n range of the lane-parallel eigenvalue path (Householder + tridiagonal QR). Measured
#: against the kernels it replaced, 2 threads, random matrices: n = 4 15.1 against
#: 15.7 ms (Jacobi lanes, 10^5 matrices), n = 8 77 against 125 ms (Jacobi lanes),
#: n = 16 56 against 113 ms (scalar QL, 2 * 10^4), n = 50 63 against 126 ms (LAPACK,
#: 2000); n = 3 keeps its closed form (3.4 against 8.0 ms).
_EIG_LANES_MIN_N = 4
_EIG_LANES_MAX_N = 64
#: Iteration cap of the lane QR, per n and block (random matrices need about 2.3 per n:
#: the slowest lane of a block sets the count).
_QR_MAXIT_PER_N = 30
#: n range of the lane-parallel inertia path (Householder tridiagonalisation + Sturm
#: counts). Measured per matrix, random matrices, 1 thread, against the scalar path
#: (unpivoted / Bunch-Kaufman L D L^T): n = 4 46 against 126 ns, n = 6 112 against
#: 374 ns, n = 12 0.62 against 1.40 us, n = 32 8.4 against 12.5 us, n = 64 60 against
#: 70 us (larger n not measured).
_LANES_INERTIA_MIN_N = 3
_LANES_INERTIA_MAX_N = 64
#: A Householder column whose squared norm is below this times ||A||_F^2 is left as it
#: is: what that drops (at most 1e-20 ||A||_F) is far below round-off, and it keeps the
#: unnormalised reflector's ``beta = 2 / ||v||^2`` and ``beta A v`` finite (with the
#: lane range of `_lanes_prepare`, below ~1e140).
_HH_SKIP = 1e-40
#: Block size of the n = 2 inertia pass (no per-lane matrix scratch, so larger blocks
#: are free: 256 against 32 measured 0.54 against 0.65 ms per 10^5 matrices, 1 thread).
_TWO_LANES = 256
_TINY = float(np.finfo(np.float64).tiny)


@jit(inline=True)
def _lanes_load(H, k0, L, A, V):
    """Load the symmetric part of H[k0 + ln] into A[:, :, ln], with two sums per lane.

    V[_SSQ] is the squared Frobenius norm, summed in the order of `_load` (the same
    tolerance on every path, to the last bit); V[_ASQ] the sum of the squares of
    ``H_ij - H_ji``. Only the lower triangle of A is written (all the lane kernels read).

    Only sums over the lanes: a maximum or a NaN check per entry as well measured twice
    as slow (n = 6: 6.1 against 3.2 ms per 10^5 matrices). NaN/inf shows in V[_SSQ].
    """
    n = H.shape[1]
    Hb = H[k0:k0 + L]  # indices >= 0: no wraparound select, which keeps loops scalar
    ssq, asq = V[_SSQ], V[_ASQ]
    for ln in range(L):
        ssq[ln] = 0.0
        asq[ln] = 0.0
    for i in range(n):
        for ln in range(L):
            v = Hb[ln, i, i]
            A[i, i, ln] = v
            ssq[ln] += v * v
        for j in range(i):
            for ln in range(L):
                u = Hb[ln, i, j]
                t = Hb[ln, j, i]
                s = 0.5 * u + 0.5 * t
                A[i, j, ln] = s
                d = u - t
                ssq[ln] += 2.0 * s * s
                asq[ln] += d * d


@jit(inline=True)
def _fill_atol(tb, atol, k0, L):
    """tb[:L] = the absolute tolerances of lanes k0 .. k0 + L (atol per matrix or one).

    A separate pass: reading ``atol[ln * per]`` inside a lane loop (a load whose stride
    is a run-time value) kept that loop scalar (measured, n = 2: 0.75 against 0.34 ms
    per 10^5 matrices, 1 thread).
    """
    if atol.shape[0] > 1:
        for ln in range(L):
            tb[ln] = atol[k0 + ln]
    else:
        a0 = atol[0]
        for ln in range(L):
            tb[ln] = a0


@jit(inline=True)
def _lanes_prepare(k0, L, atol, rtol, A, V, tol, fallback):
    """After `_lanes_load`: the lanes the scalar path must redo, and the tolerances.

    ``fallback[ln]`` is set for a lane that is not finite with ``||A||_F`` in
    [1e-100, 1e100]: then no square over- or underflows in the lane algorithms. Those
    matrices (NaN/inf, extreme scales, and zero: ``ssq`` underflows to 0 for entries
    below ~1e-162) go to the scalar path, which rescales; their lanes are zeroed here to
    keep the arithmetic finite. The others get ``V[_TOL] = tol[k] = atol + rtol
    ||H||_F``, as `_begin` computes it, to the last bit. One vectorised pass (views
    from k0: an index not known to be >= 0 costs a wraparound select, which keeps a loop
    scalar, measured).
    """
    n = A.shape[0]
    ssq, T = V[_SSQ], V[_TOL]
    tb = tol[k0:k0 + L]
    _fill_atol(tb, atol, k0, L)
    out = 0
    for ln in range(L):
        q = ssq[ln]
        bad = not ((1e-200 <= q) & (q <= 1e200))
        fallback[ln] = bad
        out += 1 if bad else 0  # (an integer sum: a float one would not vectorise)
        t = tb[ln] + rtol * math.sqrt(q)
        T[ln] = t
        tb[ln] = t
    if out > 0:
        for ln in range(L):
            if fallback[ln]:
                for i in range(n):
                    for j in range(n):
                        A[i, j, ln] = 0.0
                ssq[ln] = 0.0
                T[ln] = 0.0


@jit(inline=True)
def _lanes_store_rows(k0, L, n, V, inertia, kind):
    """`_lanes_store` for any ``inertia``: row by row."""
    neg, le = V[_NEG], V[_LE]
    kb = kind[k0:k0 + L]
    ib = inertia[k0:k0 + L]
    for ln in range(L):
        ng, z, ps, kd = _store_counts(neg[ln], le[ln], n)
        kb[ln] = kd
        ib[ln, 0] = ng
        ib[ln, 1] = z
        ib[ln, 2] = ps


@jit(inline=True)
def _lanes_store_flat(k0, L, n, V, inertia, kind):
    """`_lanes_store` for a C-contiguous ``inertia``: through its flat view."""
    neg, le = V[_NEG], V[_LE]
    kb = kind[k0:k0 + L]
    flat = inertia.reshape(-1)[3 * k0:3 * (k0 + L)]  # from k0: no wraparound select
    for ln in range(L):
        ng, z, ps, kd = _store_counts(neg[ln], le[ln], n)
        kb[ln] = kd
        j = 3 * ln
        flat[j] = ng
        flat[j + 1] = z
        flat[j + 2] = ps


def _lanes_store(k0, L, n, V, inertia, kind):
    """Store inertia[k] and kind[k] of every lane, as `_finish` does, without a branch.

    From ``V[_NEG]`` (eigenvalues < -tol) and ``V[_LE]`` (eigenvalues <= tol). Fallback
    lanes get numbers too: the scalar path overwrites them. Numba only: a C-contiguous
    ``inertia`` is written through its flat view (n = 2, 10^5 matrices, 1 thread: 0.12
    against 0.25 ms for these stores, measured), any other row by row.
    """


@overload(_lanes_store)
def _lanes_store_overload(k0, L, n, V, inertia, kind):
    if isinstance(inertia, types.Array) and inertia.layout == "C":
        return lambda k0, L, n, V, inertia, kind: _lanes_store_flat(k0, L, n, V, inertia,
                                                                    kind)
    return lambda k0, L, n, V, inertia, kind: _lanes_store_rows(k0, L, n, V, inertia, kind)


@jit(inline=True)
def _lanes_store_eig(D, n, L, eb):
    """eb[ln, i] = D[i, ln]: each lane's eigenvalues into its output row.

    Row by row, in a loop of its own: stores n apart inside a lane loop kept it scalar.
    """
    for ln in range(L):
        for i in range(n):
            eb[ln, i] = D[i, ln]


@jit(inline=True)
def _store_counts(negf, lef, n):
    """(neg, zero, pos, kind) from the float counts below -tol and up to tol, no branch."""
    ng = int(negf)
    lq = int(lef)
    lq = lq if lq > ng else ng  # the counts are monotone in exact arithmetic
    ps = n - lq
    is_min = lq == 0  # kind_from_inertia without its NONFINITE branch
    is_max = ng == n
    is_saddle = (ng > 0) & (ps > 0)
    kd = (_DEGENERATE - (_DEGENERATE - _MINIMUM) * is_min
          - (_DEGENERATE - _MAXIMUM) * is_max - (_DEGENERATE - _SADDLE) * is_saddle)
    return ng, lq - ng, ps, kd


@jit(inline=True)
def _lanes_first_asymmetric(H, k0, L, srtol, V, fallback):
    """Return the first lane asymmetric beyond `srtol` (fallback lanes aside), or -1.

    Asymmetric: ``max |H_ij - H_ji| > srtol ||H||_F``. From ``V[_ASQ]``, the sum of the
    squared asymmetries, the exact maximum is needed only when that sum exceeds
    ``limit^2 / 4`` (then the largest may exceed the limit).
    """
    ssq, asq = V[_SSQ], V[_ASQ]
    r2 = 0.25 * srtol * srtol
    count = 0
    for ln in range(L):
        count += 1 if asq[ln] > r2 * ssq[ln] else 0
    if count == 0:
        return -1
    n = H.shape[1]
    for ln in range(L):
        if fallback[ln] or not asq[ln] > r2 * ssq[ln]:
            continue
        limit = srtol * math.sqrt(ssq[ln])
        k = k0 + ln
        for i in range(n):
            for j in range(i):
                if abs(H[k, i, j] - H[k, j, i]) > limit:
                    return ln
    return -1


@jit(inline=True)
def _lanes_tridiagonal(A, n, L, V):
    """Householder reduction of each lane's symmetric A to tridiagonal form, in place.

    Uses and updates the lower triangle only; afterwards the diagonal is ``A[i, i]`` and
    the subdiagonal ``A[i + 1, i]``. Column k (below the diagonal: x) is reflected by
    ``I - beta v v^T``, ``v = x + sign(x_0) ||x|| e_1``, ``beta = 2 / ||v||^2``, then
    ``A22 <- A22 - v w^T - w v^T`` with ``p = beta A22 v``, ``w = p - (beta / 2)
    (v^T p) v``.
    Backward stable: the tridiagonal matrix is similar to one within ``~n eps ||A||_F``
    of A. Scratch rows of V: _SIG, _BETA, _K and ``V[_NV:_NV + 2 n]`` (v, p).
    """
    sig, beta, K, ssq = V[_SIG], V[_BETA], V[_K], V[_SSQ]
    U = V[_NV:_NV + n]
    P = V[_NV + n:_NV + 2 * n]
    for k in range(n - 2):
        for ln in range(L):
            sig[ln] = 0.0
        for i in range(k + 1, n):
            for ln in range(L):
                x = A[i, k, ln]
                sig[ln] += x * x
        for ln in range(L):
            s = sig[ln]
            x0 = A[k + 1, k, ln]
            r = math.copysign(math.sqrt(s), x0)
            act = s > _HH_SKIP * ssq[ln]
            b = 1.0 / (s + r * x0)  # 2 / ||v||^2 for v = x + r e1
            beta[ln] = b if act else 0.0
            U[k + 1, ln] = x0 + r
            A[k + 1, k, ln] = -r if act else x0
        for i in range(k + 2, n):
            for ln in range(L):
                U[i, ln] = A[i, k, ln]
        for i in range(k + 1, n):  # P = A22 v from the lower triangle
            for ln in range(L):
                P[i, ln] = A[i, i, ln] * U[i, ln]
            for j in range(k + 1, i):
                for ln in range(L):
                    a = A[i, j, ln]
                    P[i, ln] += a * U[j, ln]
                    P[j, ln] += a * U[i, ln]
        for ln in range(L):
            K[ln] = 0.0
        for i in range(k + 1, n):
            for ln in range(L):
                p = beta[ln] * P[i, ln]
                P[i, ln] = p
                K[ln] += p * U[i, ln]
        for ln in range(L):
            K[ln] *= 0.5 * beta[ln]
        for i in range(k + 1, n):
            for ln in range(L):
                P[i, ln] -= K[ln] * U[i, ln]
        for i in range(k + 1, n):
            for j in range(k + 1, i + 1):
                for ln in range(L):
                    A[i, j, ln] -= U[i, ln] * P[j, ln] + P[i, ln] * U[j, ln]


@jit(inline=True)
def _lanes_sturm(A, n, L, V):
    """Sturm counts of each lane's tridiagonal A (from `_lanes_tridiagonal`) at -+tol.

    ``V[_NEG]`` = eigenvalues ``< -tol`` = negative pivots of ``T + tol I``, ``V[_LE]``
    = eigenvalues ``<= tol`` = negative pivots of ``T - tol I``, with tol from V[_TOL].
    The pivot recurrence ``q_i = d_i - sigma - e_(i-1)^2 / q_(i-1)`` needs no pivoting:
    its count is exact for a tridiagonal matrix within a few ulps of T (Kahan; the basis
    of LAPACK's bisection ``dstebz``). A pivot below ``pivmin`` in magnitude becomes
    ``+pivmin`` at ``-tol`` (an eigenvalue at ``-tol`` is not below it) and
    ``-pivmin`` at ``+tol`` (one at ``+tol`` is counted), which also makes ``tol = 0``
    exact for exactly singular tridiagonals.
    """
    neg, le, qm, qp, piv, T = V[_NEG], V[_LE], V[_QM], V[_QP], V[_PIV], V[_TOL]
    for ln in range(L):
        piv[ln] = 1.0
    for i in range(n - 1):
        for ln in range(L):
            e = A[i + 1, i, ln]
            e2 = e * e
            piv[ln] = e2 if e2 > piv[ln] else piv[ln]
    for ln in range(L):
        pm = piv[ln] * _TINY
        piv[ln] = pm
        a = A[0, 0, ln]
        t = T[ln]
        x = a + t
        x = x if abs(x) >= pm else pm
        y = a - t
        y = y if abs(y) >= pm else -pm
        qm[ln] = x
        qp[ln] = y
        neg[ln] = 1.0 if x < 0.0 else 0.0
        le[ln] = 1.0 if y < 0.0 else 0.0
    for i in range(1, n):
        for ln in range(L):
            e = A[i, i - 1, ln]
            e2 = e * e
            a = A[i, i, ln]
            t = T[ln]
            pm = piv[ln]
            x = (a + t) - e2 / qm[ln]
            x = x if abs(x) >= pm else pm
            y = (a - t) - e2 / qp[ln]
            y = y if abs(y) >= pm else -pm
            qm[ln] = x
            qp[ln] = y
            neg[ln] += 1.0 if x < 0.0 else 0.0
            le[ln] += 1.0 if y < 0.0 else 0.0


@jit(inline=True)
def _lanes_scale(V, L):
    """V[_SC] = each lane's power of two ``2^-h`` that brings ``||A||_F^2`` into [1, 4).

    ``h`` is half the binary exponent of V[_SSQ], rounded down (clamped to +-340, so a
    zeroed fallback lanes get a finite scale). Scaling by a power of two is exact, and
    the generated QR steps (`_lanes_qr_registers`) run on unit-sized numbers: their
    rotation forms products of three squared entries, which at ``||A||_F`` of 1e+-100
    would over- or underflow.
    Integer operations on the bit patterns, so the loop vectorises.
    """
    bits = V[_SSQ].view(np.int64)
    out = V[_SC].view(np.int64)
    for ln in range(L):
        h = (((bits[ln] >> 52) & 2047) - 1023) >> 1
        h = min(max(h, -340), 340)
        out[ln] = (1023 - h) << 52


@jit(inline=True)
def _lanes_unscale(D, n, L, V):
    """Undo `_lanes_scale` on the eigenvalues D[:n] (exact: a power of two).

    V[_SC] becomes the inverse scale ``2^h`` (the exponent field ``2046 - f`` for ``f``),
    and D is multiplied by it: a division per entry measured ~0.6 ms per 10^5 n = 6
    matrices, 1 thread.
    """
    bits = V[_SC].view(np.int64)
    for ln in range(L):
        bits[ln] = (2046 - ((bits[ln] >> 52) & 2047)) << 52
    sc = V[_SC]
    for i in range(n):
        for ln in range(L):
            D[i, ln] = D[i, ln] * sc[ln]


@jit(inline=True)
def _lanes_tridiagonal_qr(A, n, L, V):
    """Eigenvalues of each lane's tridiagonal A (from `_lanes_tridiagonal`), unsorted.

    Implicit symmetric QR steps with Wilkinson shifts on the unreduced block ``[lo, m]``
    of every lane at once, in the root-free form of Pal, Walker and Kahan (the one of
    LAPACK's ``dsterf``, behind ``numpy.linalg.eigvalsh``): it carries the squares
    ``e^2`` of the off-diagonal and needs no square root per rotation, only two
    divisions (a square root costs three divisions' time here, measured). A lane's
    bottom entry ``m`` deflates when ``e_(m-1)^2 <= eps^2 ||A||_F^2`` (each eigenvalue
    moves by at most ``eps ||A||_F``, Weyl). Lanes outside their block are left exactly
    as they are, so a lane's result does not depend on its neighbours. The eigenvalues
    are left in ``V[_NV:_NV + n]``; returns True when every lane converged (otherwise
    the lanes with ``V[_M] > 0`` did not).
    """
    D = V[_NV:_NV + n]
    E = V[_NV + n:_NV + 2 * n]
    m, lo, mu, X, Z, thr, ssq = V[_M], V[_LO], V[_MU], V[_X], V[_Z], V[_THR], V[_SSQ]
    G, P, C, S = X, Z, V[_SIG], V[_BETA]  # the rotation state of the chase (free rows)
    for i in range(n):
        for ln in range(L):
            D[i, ln] = A[i, i, ln]
    for i in range(n - 1):
        for ln in range(L):
            e = A[i + 1, i, ln]
            E[i, ln] = e * e
    for ln in range(L):
        E[n - 1, ln] = 0.0
        m[ln] = n - 1
        thr[ln] = (_EPS * _EPS) * ssq[ln]
        X[ln] = 0.0
        Z[ln] = 0.0
        mu[ln] = 0.0
    for _ in range(_QR_MAXIT_PER_N * n):
        # (every select below picks between values already loaded: a select that loads
        # inside a branch keeps the loop scalar)
        for ln in range(L):
            lo[ln] = -1.0
        for i in range(n - 1, 0, -1):  # one pass up: deflate at the bottom, find the
            for ln in range(L):  # top of each unreduced block, gather its bottom 2x2
                e = E[i - 1, ln]
                mm = m[ln]
                l0 = lo[ln]
                x0 = X[ln]
                z0 = Z[ln]
                u0 = mu[ln]
                a = D[i - 1, ln]
                c = D[i, ln]
                small = e <= thr[ln]
                e = 0.0 if small else e
                E[i - 1, ln] = e
                mm = i - 1.0 if small & (mm == i) else mm
                m[ln] = mm
                lo[ln] = float(i) if small & (i < mm) & (l0 < 0.0) else l0
                sel = mm == i
                X[ln] = a if sel else x0
                Z[ln] = e if sel else z0
                mu[ln] = c if sel else u0
        top = 0.0
        for ln in range(L):
            mm = m[ln]
            top = mm if mm > top else top
            l0 = lo[ln]
            lo[ln] = l0 if l0 > 0.0 else 0.0
        if top == 0.0:
            return True
        for ln in range(L):  # Wilkinson shift: the eigenvalue of that 2x2 nearer d_m
            b = Z[ln]
            c = mu[ln]
            delta = 0.5 * (X[ln] - c)
            den = delta + math.copysign(math.sqrt(delta * delta + b), delta)
            den = den if den != 0.0 else 1.0
            mu[ln] = c - b / den
        for k in range(int(top)):  # chase down every block
            km = k - 1 if k > 0 else n - 1  # E[n - 1] stays 0: a harmless target at k = 0
            for ln in range(L):
                l0 = lo[ln]
                mm = m[ln]
                u = mu[ln]
                dk = D[k, ln]
                d1 = D[k + 1, ln]
                bb = E[k, ln]
                ekm = E[km, ln]
                first = (l0 == k) | (k == 0)
                g = dk - u if first else G[ln]
                p = g * g if first else P[ln]
                cc = 1.0 if first else C[ln]
                ss = 0.0 if first else S[ln]
                act = (l0 <= k) & (k < mm)
                r = p + bb
                E[km, ln] = ss * r if act & (l0 < k) else ekm
                inv = 1.0 / (r if act else 1.0)
                cn = p * inv
                sn = bb * inv
                gn = cn * (d1 - u) - sn * g
                D[k, ln] = g + (d1 - gn) if act else dk
                nz = cn != 0.0
                pn = (gn * gn) / (cn if nz else 1.0) if nz else cc * bb
                cc = cn if act else cc
                ss = sn if act else ss
                g = gn if act else g
                p = pn if act else p
                fin = act & (mm == k + 1.0)
                E[k, ln] = ss * p if fin else bb
                D[k + 1, ln] = u + g if fin else d1
                G[ln] = g
                P[ln] = p
                C[ln] = cc
                S[ln] = ss
    return False


@jit(inline=True)
def _lanes_sort(D, n, L):
    """Sort each lane's column of D[:n] ascending (odd-even transposition, no branch)."""
    for p in range(n):
        for i in range(p % 2, n - 1, 2):
            for ln in range(L):
                a = D[i, ln]
                b = D[i + 1, ln]
                D[i, ln] = a if a < b else b
                D[i + 1, ln] = b if a < b else a


@jit(inline=True)
def _lanes_shrink(S, V, L, size):
    """Lay the block's QR scratch ``S`` out for its leading ``top + 1`` rows; return that.

    Called when no lane's unreduced part reaches the bottom row ``size - 1``: ``top``,
    the largest bottom ``m`` of the block, is then below it, and rows ``top + 1 ..
    size - 1`` hold final eigenvalues of every lane (each lane's ``e`` is zero from its
    ``m`` down), which go to ``V[_NV + i]``. The off-diagonal, ``m`` and threshold rows
    move up to where the kernel for ``top + 1`` reads them (each row to a lower one, in
    ascending order: no row is overwritten before it is read).
    """
    W = LANES
    M = (2 * size - 1) * W
    top = 0.0
    for ln in range(W):
        mm = S[M + ln]
        top = mm if mm > top else top
    s = int(top) + 1
    for i in range(s, size):
        for ln in range(L):
            V[_NV + i, ln] = S[i * W + ln]
    for r in range(s - 1):
        for ln in range(W):
            S[(s + r) * W + ln] = S[(size + r) * W + ln]
    for ln in range(W):
        S[(2 * s - 1) * W + ln] = S[M + ln]
        S[2 * s * W + ln] = S[2 * size * W + ln]
    return s


@jit(inline=True)
def _lanes_qr_registers(A, n, L, V, S, qr_pass):
    """`_lanes_tridiagonal_qr` by the generated register-resident kernels for n.

    ``qr_pass`` is ``_qr_unrolled.qr_pass_upto_<n>``: a whole QR step per lane in local
    variables, 4 lanes interleaved (measured, 10^5 random matrices, 1 thread: n = 4
    8 against 24 ms, n = 6 21 against 57 ms). Once no lane's unreduced part reaches the
    bottom row, the block continues with the kernel for its leading ``top + 1`` rows
    (`_lanes_shrink`): the rows below are done in every lane, where the larger kernel
    would leave them unchanged, so the results are the same to the
    last bit (n = 6, random matrices: 5 of the 14 steps of a block run at n = 6, the
    others at 5, 4, 3, 2). The deflation test and the shifts of the generic lanes; the
    rotation is their root-free one in a one-division form (see `_qr_codegen`), on each
    lane's tridiagonal scaled by a power of two (`_lanes_scale`), so results agree with
    theirs to round-off. Lanes beyond ``L`` are padded as done. Leaves the eigenvalues
    (unsorted, unscaled) in ``V[_NV:_NV + n]`` and ``V[_M] > 0`` for a lane that did not
    converge.
    """
    W = LANES  # the generated kernels' row stride, _qr_unrolled.WIDTH
    ssq, sc = V[_SSQ], V[_SC]
    _lanes_scale(V, L)
    for i in range(n):
        for ln in range(L):
            S[i * W + ln] = A[i, i, ln] * sc[ln]
    for i in range(n - 1):
        for ln in range(L):
            e = A[i + 1, i, ln] * sc[ln]
            S[(n + i) * W + ln] = e * e
    for ln in range(L):
        S[(2 * n - 1) * W + ln] = n - 1.0
        s = sc[ln]
        S[2 * n * W + ln] = ((_EPS * _EPS) * ssq[ln]) * (s * s)
    for ln in range(L, W):
        for i in range(2 * n + 1):
            S[i * W + ln] = 0.0  # a done lane: m = 0
    # the first deflation (each generated step deflates at its end, for the next one)
    M, THR = (2 * n - 1) * W, 2 * n * W
    for i in range(n - 1):
        E = (n + i) * W
        for ln in range(L):
            e = S[E + ln]
            S[E + ln] = 0.0 if e <= S[THR + ln] else e
    for i in range(n - 1, 0, -1):
        E = (n + i - 1) * W
        for ln in range(L):
            mm = S[M + ln]
            S[M + ln] = i - 1.0 if (mm == i) & (S[E + ln] == 0.0) else mm
    converged = False
    size = n
    full = 1
    for _ in range(_QR_MAXIT_PER_N * n):
        if full == 0:  # no lane reaches the bottom row (and some lane is not done)
            size = _lanes_shrink(S, V, L, size)
        left = qr_pass(S, W, size)
        if left == 0:
            converged = True
            break
        full = left // (2 * W)
    for i in range(size):
        for ln in range(L):
            V[_NV + i, ln] = S[i * W + ln]
    M = (2 * size - 1) * W
    for ln in range(L):
        V[_M, ln] = S[M + ln]
    _lanes_unscale(V[_NV:_NV + n], n, L, V)
    return converged


def _lanes_qr(size, A, n, L, V, S):
    """Run the QR of the eigenvalue lanes (numba only; see the overload below).

    The generated kernel for n = ``len(size)`` in ``_qr_unrolled.SIZES``,
    `_lanes_tridiagonal_qr` otherwise.
    """


def _generated(size, name):
    """(n, kernel): the generated ``<name>_<n>`` for the tag type `size`, or (-1, None).

    The tuple's length selects the kernel at compile time, so a build compiles only its
    own generated kernels (each takes seconds to compile).
    """
    count = size.count if isinstance(size, types.BaseTuple) else -1
    kernel = getattr(_qr_unrolled, f"{name}_{count}", None)
    return (count, kernel) if kernel is not None else (-1, None)


@overload(_lanes_qr, jit_options={"error_model": "numpy"})
def _lanes_qr_overload(size, A, n, L, V, S):
    count, qr_pass = _generated(size, "qr_pass_upto")
    if qr_pass is None:
        return lambda size, A, n, L, V, S: _lanes_tridiagonal_qr(A, n, L, V)

    def impl(size, A, n, L, V, S):
        if n != count:  # a tag for another n: the generic lanes, never a wrong kernel
            return _lanes_tridiagonal_qr(A, n, L, V)
        return _lanes_qr_registers(A, n, L, V, S, qr_pass)

    return impl


def _lanes_tridiagonal_sized(size, A, n, L, V):
    """Run `_lanes_tridiagonal` (numba only; see the overload below).

    The generated kernel for n = ``len(size)`` in ``_qr_unrolled.SIZES`` (the same
    arithmetic in registers: 10^5 random matrices, 1 thread, n = 4 2.0 -> 0.6 ms, n = 6
    6.3 -> 2.5 ms), and for n = 3 whatever the tag (one reflection, cheap to compile,
    0.65 -> 0.35 ms), `_lanes_tridiagonal` otherwise.
    """


@overload(_lanes_tridiagonal_sized, jit_options={"error_model": "numpy"})
def _lanes_tridiagonal_sized_overload(size, A, n, L, V):
    count, kernel = _generated(size, "tridiagonal")
    if kernel is None:  # no tag with a kernel: n = 3 still has its generated reduction
        count, kernel = 3, _qr_unrolled.tridiagonal_3

    def impl(size, A, n, L, V):
        if n == count:
            kernel(A.reshape(-1), V[_SSQ], L)
        elif n == 3:
            _qr_unrolled.tridiagonal_3(A.reshape(-1), V[_SSQ], L)
        else:  # a tag for another n: the generic lanes
            _lanes_tridiagonal(A, n, L, V)

    return impl


def size_tag(n):
    """Return the ``size`` argument of :func:`classify_hessians_batch` for n x n matrices.

    A tuple of n zeros when a generated QR kernel exists for n, else ``()``: its type
    selects the kernel at compile time, so each n compiles only its own.

    Examples
    --------
    >>> from fastopt.kernels import size_tag
    >>> size_tag(4), size_tag(9)
    ((0, 0, 0, 0), ())
    """
    return (0,) * n if n in _qr_unrolled.SIZES else ()


@jit(inline=True)
def _lanes_eig(H, k0, L, atol, rtol, srtol, A, V, S, eig, inertia, kind, tol, fallback,
               size):
    """Eigenvalues and classification of H[k0:k0 + L]: Householder + lane QR.

    Lanes this path does not finish (NaN/inf, extreme scale, no convergence) get
    ``fallback[ln] = True`` and nothing written. Returns the first finished lane whose
    matrix is asymmetric beyond `srtol`, or -1.
    """
    n = H.shape[1]
    _lanes_load(H, k0, L, A, V)
    _lanes_prepare(k0, L, atol, rtol, A, V, tol, fallback)
    _lanes_tridiagonal_sized(size, A, n, L, V)
    converged = _lanes_qr(size, A, n, L, V, S)
    D = V[_NV:_NV + n]
    _lanes_sort(D, n, L)
    neg, le, T = V[_NEG], V[_LE], V[_TOL]
    eb = eig[k0:k0 + L]
    for ln in range(L):
        neg[ln] = 0.0
        le[ln] = 0.0
    for i in range(n):
        for ln in range(L):
            v = D[i, ln]
            t = T[ln]
            neg[ln] += 1.0 if v < -t else 0.0
            le[ln] += 1.0 if v <= t else 0.0
    _lanes_store_eig(D, n, L, eb)
    _lanes_store(k0, L, n, V, inertia, kind)
    if not converged:
        for ln in range(L):
            fallback[ln] = fallback[ln] or V[_M, ln] != 0.0
    return _lanes_first_asymmetric(H, k0, L, srtol, V, fallback)


@jit(inline=True)
def _lanes_inertia(H, k0, L, atol, rtol, srtol, A, V, inertia, kind, tol, fallback, size):
    """Inertia and classification of H[k0:k0 + L] by tridiagonalisation + Sturm counts.

    No pivoting and no stability test: every lane with finite entries of moderate scale
    is finished here (the others get ``fallback[ln] = True`` and nothing written).
    Returns the first finished lane whose matrix is asymmetric beyond `srtol`, or -1.
    """
    n = H.shape[1]
    _lanes_load(H, k0, L, A, V)
    _lanes_prepare(k0, L, atol, rtol, A, V, tol, fallback)
    _lanes_tridiagonal_sized(size, A, n, L, V)
    _lanes_sturm(A, n, L, V)
    _lanes_store(k0, L, n, V, inertia, kind)
    return _lanes_first_asymmetric(H, k0, L, srtol, V, fallback)


@jit(inline=True)
def _lanes_two(H, k0, L, atol, rtol, srtol, V, inertia, kind, tol, fallback):
    """Inertia and classification of the 2 x 2 matrices H[k0:k0 + L], as `_two` does.

    Two passes: the arithmetic over the block (vectorised: every select picks between
    values already loaded), then the integer stores, with no branch. The same numbers as
    `_two` to the last bit; lanes outside its plain ``sqrt`` range (NaN/inf, zero,
    entries beyond 1e-140 .. 1e140) get ``fallback[ln] = True`` and outputs that the
    scalar path overwrites. The eigenvalues are left in V[_QM] and V[_QP] (for
    `_lanes_two_store_eig`). Returns the first finished lane whose matrix is asymmetric
    beyond `srtol`, or -1.
    """
    neg, le, bad, lo2, hi2 = V[_NEG], V[_LE], V[_PIV], V[_QM], V[_QP]
    # views from k0: indices known to be >= 0 need no wraparound select, which would
    # keep the loop scalar (measured)
    Hb = H[k0:k0 + L]
    tb = tol[k0:k0 + L]
    _fill_atol(tb, atol, k0, L)
    nbad = 0
    for ln in range(L):
        a = Hb[ln, 0, 0]
        u = Hb[ln, 0, 1]
        v = Hb[ln, 1, 0]
        c = Hb[ln, 1, 1]
        at = tb[ln]
        b = 0.5 * u + 0.5 * v
        m = 0.5 * a + 0.5 * c
        p = 0.5 * a - 0.5 * c
        aa = abs(a)
        ab = abs(b)
        ac = abs(c)
        ap = abs(p)
        amax = aa if aa > ab else ab
        amax = amax if amax > ac else ac
        big = ap if ap > ab else ab
        inside = (1e-140 < amax) & (amax < 1e140) & ((big == 0.0) | (1e-140 < big))
        fro = math.sqrt(a * a + c * c + 2.0 * b * b)
        r = math.sqrt(p * p + b * b)
        t = at + rtol * fro
        tb[ln] = t
        e0 = m - r
        e1 = m + r
        lo2[ln] = e0
        hi2[ln] = e1
        neg[ln] = (1.0 if e0 < -t else 0.0) + (1.0 if e1 < -t else 0.0)
        le[ln] = 2.0 - ((1.0 if e0 > t else 0.0) + (1.0 if e1 > t else 0.0))
        fallback[ln] = not inside
        isbad = inside & (abs(u - v) > srtol * fro)
        bad[ln] = 1.0 if isbad else 0.0
        nbad += 1 if isbad else 0  # (an integer sum: a float one would not vectorise)
    _lanes_store(k0, L, 2, V, inertia, kind)  # fallback lanes: the scalar path rewrites
    return _first_flagged(bad, L, nbad)


@jit(inline=True)
def _lanes_two_store_eig(V, eig, k0, L):
    """eig[k0 + ln] = the eigenvalues `_lanes_two` left in V[_QM], V[_QP] (ascending)."""
    lo2, hi2 = V[_QM], V[_QP]
    eb = eig[k0:k0 + L]
    for ln in range(L):
        eb[ln, 0] = lo2[ln]
        eb[ln, 1] = hi2[ln]


@jit(inline=True)
def _first_flagged(bad, L, nbad):
    """Return the first lane with ``bad[ln] != 0`` (there are `nbad`), or -1."""
    if nbad > 0:
        for ln in range(L):
            if bad[ln] != 0.0:
                return ln
    return -1


@jit(inline=True)
def _lanes_three(H, k0, L, atol, rtol, srtol, V, eig, inertia, kind, tol, fallback):
    """Eigenvalues and classification of the 3 x 3 matrices H[k0:k0 + L], as `_three`.

    The closed form over the block in one branch-free pass (vectorised), then the rows
    of eigenvalues and the integer outputs. The same numbers as `_three` to the last
    bit; the lanes it would not finish (NaN/inf, extreme scales, nearly repeated
    eigenvalues, multiples of the identity) get ``fallback[ln] = True`` and outputs the
    scalar path overwrites. Returns the first finished lane whose matrix is asymmetric
    beyond `srtol`, or -1.
    """
    neg, le, bad = V[_NEG], V[_LE], V[_PIV]
    D0, D1, D2 = V[_NV], V[_NV + 1], V[_NV + 2]
    Hb = H[k0:k0 + L]  # indices >= 0: no wraparound select (see `_lanes_two`)
    tb = tol[k0:k0 + L]
    _fill_atol(tb, atol, k0, L)
    nbad = 0
    for ln in range(L):
        a, b, c, d, e, f, ssq, asym = _sym3(Hb, ln)
        _, p2, ok, lo, mid, hi = _eig3_closed(a, b, c, d, e, f)
        # (NaN/inf: ssq is NaN/inf, outside the range; p2 = 0: a multiple of I)
        ok = ok & (p2 != 0.0) & (1e-280 < ssq) & (ssq < 1e280)
        fro = math.sqrt(ssq)
        t = tb[ln] + rtol * fro
        tb[ln] = t
        D0[ln] = lo
        D1[ln] = mid
        D2[ln] = hi
        neg[ln] = (1.0 if lo < -t else 0.0) + (1.0 if mid < -t else 0.0) + (
            1.0 if hi < -t else 0.0)
        le[ln] = (1.0 if lo <= t else 0.0) + (1.0 if mid <= t else 0.0) + (
            1.0 if hi <= t else 0.0)
        fallback[ln] = not ok
        isbad = ok & (asym > srtol * fro)
        bad[ln] = 1.0 if isbad else 0.0
        nbad += 1 if isbad else 0  # (an integer sum: a float one would not vectorise)
    _lanes_store_eig(V[_NV:_NV + 3], 3, L, eig[k0:k0 + L])
    _lanes_store(k0, L, 3, V, inertia, kind)
    return _first_flagged(bad, L, nbad)


#: Smallest n whose lane blocks prefetch the next block: below it the hardware prefetcher
#: alone is faster (10^5 random matrices, 1 thread, without / with the prefetch: inertia
#: n = 3 2.56 / 3.09 ms, n = 4 3.26 / 3.78; eigenvalues n = 4 10.7 / 11.0; n = 5 no
#: difference beyond noise; n = 6 inertia 8.0 / 7.6, eigenvalues 23.4 / 23.2)
_PREFETCH_MIN_N = 6


@jit(inline=True)
def _prefetch_block(H, k0, k1):
    """Prefetch H[k0:k1]: every row's first and last entry and every 8th.

    That touches each cache line of the rows, for any strides.
    """
    n = H.shape[1]
    for k in range(k0, k1):
        for i in range(n):
            for j in range(0, n, 8):
                prefetch(H, k, i, j)
            prefetch(H, k, i, n - 1)


@jit(cache=True)
def _eig_chunk(H, lo, hi, atol, rtol, srtol, eig, inertia, kind, tol, size):
    """Eigenvalues and classes of H[lo:hi]; return the first asymmetric index or -1.

    A compiled call per chunk rather than code inlined into the parallel loop: numba's
    parallel lowering kept the lane loops scalar (measured, n = 2 inertia: 1.27
    against 0.89 ms per 10^5 matrices, 1 thread). Called a few hundred times per
    batch, so the reference counts of the shared arrays cost nothing measurable.
    """
    n = H.shape[1]
    lanes = _EIG_LANES_MIN_N <= n <= _EIG_LANES_MAX_N
    blocks = lanes or n == 3 or n == 2
    block = _TWO_LANES if n == 2 else LANES
    firstbad = -1
    w = np.empty((2 * n + 2, n))
    A = np.empty((n, n, LANES if lanes else 0))
    V = np.empty((_NV + 2 * n, block if blocks else 0))
    S = np.empty((2 * n + 1) * LANES if lanes else 0)
    fallback = np.zeros(hi - lo, dtype=np.bool_)
    if blocks:
        for k0 in range(lo, hi, block):
            L = min(block, hi - k0)
            if n >= _PREFETCH_MIN_N:  # while this block computes
                _prefetch_block(H, k0 + L, min(k0 + 2 * L, hi))
            if lanes:
                first = _lanes_eig(H, k0, L, atol, rtol, srtol, A, V, S, eig, inertia,
                                   kind, tol, fallback[k0 - lo:], size)
            elif n == 2:  # the inertia path's pass, then its eigenvalues
                first = _lanes_two(H, k0, L, atol, rtol, srtol, V, inertia, kind, tol,
                                   fallback[k0 - lo:])
                _lanes_two_store_eig(V, eig, k0, L)
            else:
                first = _lanes_three(H, k0, L, atol, rtol, srtol, V, eig, inertia, kind,
                                     tol, fallback[k0 - lo:])
            if first >= 0 and firstbad < 0:
                firstbad = k0 + first
    if blocks and not fallback.any():
        return firstbad
    for k in range(lo, hi):
        if blocks and not fallback[k - lo]:
            continue
        done = False
        if n == 2:
            finite, e0, e1, bad = _two(H, k, atol, rtol, srtol, tol)
            w[2, 0] = e0
            w[2, 1] = e1
            done = True
        elif n == 3:
            done, e0, e1, e2, bad = _three(H, k, atol, rtol, srtol, tol)
            finite = True
            w[3, 0] = e0
            w[3, 1] = e1
            w[3, 2] = e2
        if not done:
            finite, scale, fro, bad = _begin(H, k, w, 0, atol, rtol, srtol, tol)
            if finite:
                _eig_small(w, n, scale)
        if not finite:
            for i in range(n):
                eig[k, i] = np.nan
            _finish(k, -1, -1, -1, inertia, kind)
            continue
        if bad and (firstbad < 0 or k < firstbad):
            firstbad = k
        t = tol[k]
        neg = 0
        pos = 0
        for i in range(n):
            v = w[n, i]
            eig[k, i] = v
            neg += v < -t
            pos += v > t
        _finish(k, neg, n - neg - pos, pos, inertia, kind)
    return firstbad


@jit(cache=True)
def _inertia_chunk(H, lo, hi, atol, rtol, srtol, inertia, kind, tol, size):
    """Inertia and classes of H[lo:hi] (as `_eig_chunk`, without eigenvalues)."""
    n = H.shape[1]
    lanes = n == 2 or _LANES_INERTIA_MIN_N <= n <= _LANES_INERTIA_MAX_N
    block = _TWO_LANES if n == 2 else LANES
    firstbad = -1
    w = np.empty((2 * n + 2, n))
    A = np.empty((n, n, LANES if lanes and n > 2 else 0))
    V = np.empty((_NV + 2 * n, block if lanes else 0))
    fallback = np.zeros(hi - lo, dtype=np.bool_)
    if lanes:
        for k0 in range(lo, hi, block):
            L = min(block, hi - k0)
            if n >= _PREFETCH_MIN_N:
                _prefetch_block(H, k0 + L, min(k0 + 2 * L, hi))
            if n == 2:
                first = _lanes_two(H, k0, L, atol, rtol, srtol, V, inertia, kind, tol,
                                   fallback[k0 - lo:])
            else:
                first = _lanes_inertia(H, k0, L, atol, rtol, srtol, A, V, inertia, kind,
                                       tol, fallback[k0 - lo:], size)
            if first >= 0 and firstbad < 0:
                firstbad = k0 + first
    if lanes and not fallback.any():
        return firstbad
    for k in range(lo, hi):
        if lanes and not fallback[k - lo]:
            continue
        neg = zero = pos = 0
        if n == 2:
            finite, e0, e1, bad = _two(H, k, atol, rtol, srtol, tol)
            t = tol[k]
            neg = (e0 < -t) + (e1 < -t)
            pos = (e0 > t) + (e1 > t)
            zero = 2 - neg - pos
        else:
            finite, scale, fro, bad = _begin(H, k, w, n + 2, atol, rtol, srtol, tol)
            if finite:
                neg, zero, pos = _inertia_tol(w, n, scale, fro, tol[k])
        if not finite:
            _finish(k, -1, -1, -1, inertia, kind)
            continue
        if bad and (firstbad < 0 or k < firstbad):
            firstbad = k
        _finish(k, neg, zero, pos, inertia, kind)
    return firstbad


@jit(inline=True)
def _lane_chunk_bounds(N, nchunks, c, unit):
    """Item range [lo, hi) of chunk `c`: whole units of `unit` items, only the last partial.

    A partial block costs the generated QR kernels a whole one (they always step all 64
    lanes); chunks cut at arbitrary items left one per chunk (n = 4, 10^5 matrices, 1
    thread: 0.5 ms of 12.6).
    """
    blo, bhi = chunk_bounds(-(-N // unit), nchunks, c)
    return blo * unit, min(N, bhi * unit)


@jit(inline=True)
def _chunk_unit(n, lanes):
    """Items per unit of a batch's chunks: a lane block, or four of n = 2's pass.

    A chunk of ~400 2 x 2 matrices (256 chunks of 10^5) is ~3 us of work, on which the
    chunk's own set-up showed: 10^5 matrices, inertia, 2 threads 0.43-0.47 -> 0.36-0.38
    ms, 1 thread 0.70 -> 0.64-0.67; eigenvalues, 1 thread, n = 2 0.81 -> 0.74 ms, n = 3
    (whole 64-matrix blocks instead of arbitrary cuts) 2.55 -> 2.44 ms.
    """
    if n == 2:
        return 4 * _TWO_LANES
    return LANES if lanes or n == 3 else 1


@jit(inline=True)
def _first_of(firstbad):
    for c in range(firstbad.shape[0]):
        if firstbad[c] >= 0:
            return firstbad[c]
    return -1


@jit(parallel=True, cache=True)
def classify_hessians_batch(H, atol, rtol, srtol, eig, inertia, kind, tol, size=()):
    """Second-order test of many symmetric matrices by their eigenvalues, in parallel.

    Each matrix ``H[k]`` gets the tolerance ``tol[k] = atol[k] + rtol * ||H[k]||_F`` and
    is classified as by :func:`classify_hessian`. The batch is cut into up to 256
    contiguous chunks, each with its own work buffer, which the threads claim one after
    another (a stalled thread holds up one chunk, not a fixed share of the batch), so
    the results are the same for any number of threads. Blocks of 64 matrices by
    Householder + tridiagonal QR for 4 <= n <= 64, QL one matrix at a time otherwise
    (nothing allocated per matrix);
    :func:`classify_hessians_batch_lapack` uses LAPACK, faster from
    ``n = LAPACK_MIN_N`` on.

    Parameters
    ----------
    H : ndarray, shape (N, n, n)
        C-contiguous float64 matrices; only their symmetric parts are used.
    atol : ndarray, shape (N,) or (1,)
        Absolute tolerance per matrix (or one for all), ``>= 0``.
    rtol : float
        Tolerance relative to the Frobenius norm of each matrix, ``>= 0``.
    srtol : float
        Allowed asymmetry: a matrix with ``max |H_ij - H_ji| > srtol * ||H||_F`` is
        reported through the return value (it is classified by its symmetric part).
    eig : ndarray, shape (N, n)
        Output: ascending eigenvalues (NaN rows for non-finite matrices).
    inertia : ndarray of int, shape (N, 3)
        Output: ``(neg, zero, pos)`` counts (``-1`` for non-finite matrices).
    kind : ndarray of int, shape (N,)
        Output: :class:`~fastopt.PointType` codes.
    tol : ndarray, shape (N,)
        Output: the tolerance used for each matrix.
    size : tuple, optional
        ``size_tag(n)``: selects at compile time the generated Householder and QR
        kernels for n (n = 4, 5, 6, about 3x faster). Omitted, or a tag of another
        length: the generic lanes, the same results to the last bit, without compiling
        the generated kernels (seconds each).

    Returns
    -------
    int
        The index of the first matrix that is asymmetric beyond `srtol`, or -1.

    Examples
    --------
    >>> import numpy as np
    >>> from fastopt.kernels import classify_hessians_batch
    >>> H = np.array([np.eye(2), -np.eye(2), np.diag([1.0, -1.0]), np.zeros((2, 2))])
    >>> eig, tol = np.empty((4, 2)), np.empty(4)
    >>> inertia, kind = np.empty((4, 3), np.int8), np.empty(4, np.int8)
    >>> classify_hessians_batch(H, np.array([1e-9]), 0.0, 1e-12, eig, inertia, kind, tol)
    -1
    >>> kind  # MINIMUM, MAXIMUM, SADDLE, DEGENERATE
    array([0, 1, 2, 3], dtype=int8)
    """
    N = H.shape[0]
    lanes = _EIG_LANES_MIN_N <= H.shape[1] <= _EIG_LANES_MAX_N
    unit = _chunk_unit(H.shape[1], lanes)
    nc = _nchunks(-(-N // unit))  # chunks of at least one full unit
    firstbad = np.full(nc, -1, dtype=np.int64)
    counter = np.zeros(1, dtype=np.int64)
    for _ in prange(nc):  # worker slots claiming chunks (see _claim)
        c = claim(counter)
        while c < nc:
            lo, hi = _lane_chunk_bounds(N, nc, c, unit)
            firstbad[c] = _eig_chunk(H, lo, hi, atol, rtol, srtol, eig, inertia, kind,
                                     tol, size)
            c = claim(counter)
    return _first_of(firstbad)


@jit(parallel=True)
def classify_hessians_batch_lapack(H, atol, rtol, srtol, eig, inertia, kind, tol):
    """As :func:`classify_hessians_batch`, with LAPACK ``dsyevd`` for the eigenvalues.

    Faster from ``n = LAPACK_MIN_N`` on; allocates per matrix. Not cached on disk (numba
    cannot cache LAPACK calls): the first call in a process compiles it (a few seconds).

    Examples
    --------
    >>> import numpy as np
    >>> from fastopt.kernels import classify_hessians_batch_lapack
    >>> H = np.eye(30)[None] * np.array([1.0, -1.0])[:, None, None]
    >>> eig, tol = np.empty((2, 30)), np.empty(2)
    >>> inertia, kind = np.empty((2, 3), np.int8), np.empty(2, np.int8)
    >>> classify_hessians_batch_lapack(H, np.zeros(1), 1e-14, 1e-12, eig, inertia, kind, tol)
    -1
    >>> kind
    array([0, 1], dtype=int8)
    """
    N = H.shape[0]
    n = H.shape[1]
    nc = _nchunks(N)
    firstbad = np.full(nc, -1, dtype=np.int64)
    counter = np.zeros(1, dtype=np.int64)
    for _ in prange(nc):  # worker slots claiming chunks (see _claim)
        w = np.empty((2 * n + 2, n))
        c = claim(counter)
        while c < nc:
            lo, hi = chunk_bounds(N, nc, c)
            for k in range(lo, hi):
                finite, scale, fro, bad = _begin(H, k, w, 0, atol, rtol, srtol, tol)
                if not finite:
                    for i in range(n):
                        eig[k, i] = np.nan
                    _finish(k, -1, -1, -1, inertia, kind)
                    continue
                if bad and firstbad[c] < 0:
                    firstbad[c] = k
                ev = np.linalg.eigvalsh(w[:n])
                t = tol[k]
                neg = 0
                pos = 0
                for i in range(n):
                    v = ev[i] * scale
                    eig[k, i] = v
                    neg += v < -t
                    pos += v > t
                _finish(k, neg, n - neg - pos, pos, inertia, kind)
            c = claim(counter)
    return _first_of(firstbad)


@jit(parallel=True, cache=True)
def inertia_hessians_batch(H, atol, rtol, srtol, inertia, kind, tol, size=()):
    """Second-order test of many symmetric matrices without eigenvalues, in parallel.

    As :func:`classify_hessians_batch` without the ``eig`` output, for any n: n = 2 by
    the closed form (one vectorised pass over blocks of 256 matrices), 3 <= n <= 64 by
    Householder tridiagonalisation + Sturm counts on blocks of 64 matrices, larger n
    (and matrices those paths leave: NaN/inf, zero, extreme scales) as
    :func:`classify_hessian_inertia` does (``L D L^T`` factorisations). ``size``: as
    for :func:`classify_hessians_batch` (here it selects the generated Householder
    kernel, n = 6: about 1.4x faster in all).

    Examples
    --------
    >>> import numpy as np
    >>> from fastopt.kernels import inertia_hessians_batch
    >>> H = np.array([np.diag([1.0, 2.0, 3.0, 4.0]), np.diag([1.0, 0.0, -3.0, 4.0])])
    >>> inertia, kind, tol = np.empty((2, 3), np.int8), np.empty(2, np.int8), np.empty(2)
    >>> inertia_hessians_batch(H, np.array([1e-9]), 0.0, 1e-12, inertia, kind, tol)
    -1
    >>> inertia
    array([[0, 0, 4],
           [1, 1, 2]], dtype=int8)
    """
    N = H.shape[0]
    n = H.shape[1]
    lanes = n == 2 or _LANES_INERTIA_MIN_N <= n <= _LANES_INERTIA_MAX_N
    unit = _chunk_unit(H.shape[1], lanes)
    nc = _nchunks(-(-N // unit))  # chunks of at least one full unit
    firstbad = np.full(nc, -1, dtype=np.int64)
    counter = np.zeros(1, dtype=np.int64)
    for _ in prange(nc):  # worker slots claiming chunks (see _claim)
        c = claim(counter)
        while c < nc:
            lo, hi = _lane_chunk_bounds(N, nc, c, unit)
            firstbad[c] = _inertia_chunk(H, lo, hi, atol, rtol, srtol, inertia, kind, tol,
                                         size)
            c = claim(counter)
    return _first_of(firstbad)
