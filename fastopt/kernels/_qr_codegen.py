"""Write the source of :mod:`fastopt.kernels._qr_unrolled` (run as a script).

``python fastopt/kernels/_qr_codegen.py > fastopt/kernels/_qr_unrolled.py`` (run by path:
it imports nothing from the package, which imports the module it writes).

The lane-parallel QR of :mod:`fastopt.kernels._eigen` keeps every matrix's tridiagonal
in memory rows, one loop over the lanes per rotation: each rotation's divisions
then wait on the previous rotation through memory, and the loops ran at the speed of
scalar code (measured: the same time with loop vectorisation switched off). For small n
the generated kernels instead hold a lane's whole tridiagonal in local variables
(registers) for one complete QR step -- deflation, Wilkinson shift, bulge chase -- and
run ``CHAINS`` independent lanes interleaved in each loop iteration, so that the
out-of-order core overlaps their division latencies. A step deflates at its end
only (the deflation at its start would repeat it; the caller deflates before the first
step): n = 4, 10^5 matrices, 2 threads 6.2 -> 5.5 ms in all. Every select is an LLVM
``select`` (:func:`fastopt.kernels._pick.pick`), not a branch, so the lane loop
vectorises.

The step is the root-free (Pal-Walker-Kahan) one of `_lanes_tridiagonal_qr`, on squared
off-diagonals, in a form with a shorter chain of dependent operations, since the time of
a step is that chain's latency (measured: one division less per rotation alone, or
vectors twice as wide, changed nothing). With ``x = d_(k+1) - mu`` and ``N = p x - e^2
gam``, computed while the division runs, the rotation takes ``q = 1 / (p r)`` and then
``c = p^2 q``, ``s = e^2 p q``, ``gam' = N p q`` and the next squared bulge ``p' = N^2
q``: one division and a multiplication between two bulges, where the two-division form
waits on ``1 / r`` and then on ``gam'^2 / c``. (Mathematically the same numbers:
``p' = gam'^2 / c = N^2 / (p r)``.) It forms ``N^2``, the product of three squared
entries, so the caller scales each lane's tridiagonal by a power of two to
``||T||_F^2`` in [1, 4) (exact); a bulge ``p`` below ``TINY_BULGE`` counts as zero
(LAPACK's ``c = 0`` case, or the identity on a zero off-diagonal). The chase runs from
the top row to the bottom ``m`` of the lane's lowest unreduced block, through an
off-diagonal already deflated to zero (there the rotation is the identity: the chase
starts afresh), which drops the per-row test for the top of the block; rows from ``m``
on are left exactly as they are. Measured against the two-division step with that
test, 10^5 random matrices, 1 thread, whole calls, three runs of each build
alternating: n = 6 21.4-21.5 -> 19.5-20.2 ms, n = 5 15.1-15.3 -> 13.5-14.2, n = 4
9.3-9.6 -> 8.6-9.2 (n = 8, generic lanes: unchanged, 108-110 ms). The generic lanes
keep the two-division form with the test: in their loop, which runs scalar, it
measured faster (n = 13, QR per block of 64: 136 against 172 us).

The Wilkinson shift is taken without its division, as ``mu = (a + c) / 2 - sign(delta)
sqrt(delta^2 + b)`` (``delta = (a - c) / 2``, ``b = e^2``; the same number as ``c - b /
(delta + sign(delta) sqrt(delta^2 + b))``, with an error of ``~eps ||T||`` where the
correction to ``c`` is smaller than that: any shift gives an exact similarity, and the
steps per block are unchanged, 8.17 at n = 4 and 13.83 at n = 6 on 6 blocks of random
matrices). It shortens the chain by a division: the n = 6 step on 64 lanes 522-528 ->
474-492 ns per call, 1 thread; whole calls, 10^5 random matrices: n = 6 19.9-20.1 ->
18.9-19.9 ms, n = 4 8.7 -> 8.1-8.3.

Steps are generated for every size from 2 up (``QR_SIZES``): once no lane of a block
reaches its bottom row, the rows below are final in every lane, and the block goes on
with the step for its leading rows (``qr_pass_upto_<n>`` picks it; the caller moves the
rows). The larger step would only have left those rows unchanged, so the results are
the same to the last bit, and a step costs about in proportion to its size (n = 6,
random matrices: 5 of a block's 14 steps run at size 6, the rest at 5, 4, 3 and 2).

The Householder tridiagonalisation before the QR (and before the Sturm counts of the
inertia path) is generated the same way: `_lanes_tridiagonal`'s loops over memory rows
become one lane's reduction in local variables, statement for statement the same
arithmetic (10^5 random matrices, 1 thread: n = 4 2.0 -> 0.6 ms, n = 6 6.3 -> 2.5 ms).

The code is generated because it must be straight-line per n; ``tests/test_critical.py``
checks that the committed module is this script's output.
"""
from __future__ import annotations

#: Sizes with a generated kernel (compile time grows with n: the QR step takes ~5 s for
#: n = 4, ~9 s for n = 6, paid once per environment thanks to numba's cache).
SIZES = (4, 5, 6)
#: Sizes of the generated QR steps: those of `SIZES` and every smaller one down to 2,
#: which run a block once no lane's unreduced part reaches below its leading rows.
QR_SIZES = tuple(range(2, max(SIZES) + 1))
#: Sizes with a generated Householder reduction: those of `SIZES` and n = 3, whose
#: reduction (one reflection, quick to compile) every build calls for n = 3, whatever
#: its tag (the inertia path; 10^5 random matrices, 1 thread: 0.65 -> 0.35 ms).
TRI_SIZES = (3,) + SIZES
#: Lanes per block (rows of the scratch are this far apart; 64 measured faster than 32
#: and 128, see `_eigen.LANES`) and interleaved chains.
WIDTH = 64
CHAINS = 4
#: Lanes interleaved in the generated Householder reduction (10^5 random matrices, 1
#: thread, per block of 32, before blocks of 64: n = 6 1065 -> 908 ns, n = 5 671 ->
#: 582, n = 4 380 -> 351 against 1 lane at a time; 4 lanes spill and take twice as
#: long).
TRI_CHAINS = 2
#: `_eigen._HH_SKIP`: a Householder column this small relative to ||A||_F^2 is skipped.
HH_SKIP = "1e-40"
#: A squared bulge ``p`` below this (the tridiagonal scaled to ``||T||_F^2`` in [1, 4),
#: `_eigen._lanes_scale`) counts as zero in a QR rotation: it is then LAPACK's ``c = 0``
#: (or, on a zero off-diagonal, the identity). What that drops is below ``2 p^(1/4)
#: ||T||_F`` ~ 1e-19 ``||T||_F`` (the next bulge's cross term ``2 x gam``), and it keeps
#: ``p r`` and ``N^2`` far from underflow.
TINY_BULGE = "1e-80"


def _step(n: int) -> list[str]:
    """Statements of one lane's QR step, with ``@`` for the chain suffix."""
    s: list[str] = []
    w = s.append

    def deflate():
        # zero negligible off-diagonals; m = bottom of the unreduced block (0: done)
        for i in range(n - 1):
            w(f"e{i}@ = pick(e{i}@ <= thr@, 0.0, e{i}@)")
        for i in range(n - 1, 0, -1):
            w(f"m@ = pick((m@ == {i}.0) & (e{i - 1}@ == 0.0), {i - 1}.0, m@)")

    w("# Wilkinson shift: the eigenvalue of the bottom 2 x 2 of the lane's unreduced")
    w("# block (0 .. m, deflated at the end of the previous step, or by the caller")
    w("# before the first) nearer its end")
    w("a@ = d0@")
    w("b@ = e0@")
    w("c@ = d1@")
    for j in range(2, n):
        w(f"sel@ = m@ == {j}.0")
        w(f"a@ = pick(sel@, d{j - 1}@, a@)")
        w(f"b@ = pick(sel@, e{j - 1}@, b@)")
        w(f"c@ = pick(sel@, d{j}@, c@)")
    w("delta@ = 0.5 * (a@ - c@)")
    w("mu@ = 0.5 * (a@ + c@) - math.copysign(math.sqrt(delta@ * delta@ + b@), delta@)")
    w("# root-free chase from the top row to m (gam, p, cc, ss: the rotation state; an")
    w("# off-diagonal already zero restarts it); rows from m on are left as they are")
    w("gam@ = d0@ - mu@")
    w("p@ = gam@ * gam@")
    w("cc@ = 1.0")
    w("ss@ = 0.0")
    for k in range(n - 1):
        w(f"act@ = {k}.0 < m@")
        w(f"bb@ = e{k}@")
        w("r@ = p@ + bb@")
        if k > 0:
            w(f"e{k - 1}@ = pick(act@, ss@ * r@, e{k - 1}@)")
        w(f"x@ = d{k + 1}@ - mu@")
        w("nn@ = p@ * x@ - bb@ * gam@")
        w(f"ok@ = p@ >= {TINY_BULGE}")
        w("bz@ = bb@ == 0.0")
        w("q@ = 1.0 / pick(ok@, p@ * r@, 1.0)")
        w("pq@ = p@ * q@")
        w("cn@ = pick(ok@, p@ * pq@, pick(bz@, 1.0, 0.0))")
        w("ss@ = pick(ok@, bb@ * pq@, pick(bz@, 0.0, 1.0))")
        w("gn@ = pick(ok@, nn@ * pq@, pick(bz@, x@, -gam@))")
        w(f"d{k}@ = pick(act@, gam@ + (d{k + 1}@ - gn@), d{k}@)")
        w("p@ = pick(ok@, (nn@ * nn@) * q@, pick(bz@, x@ * x@, cc@ * bb@))")
        w("cc@ = cn@")
        w("gam@ = gn@")
        w(f"fin@ = m@ == {k + 1}.0")
        w(f"e{k}@ = pick(fin@, ss@ * p@, e{k}@)")
        w(f"d{k + 1}@ = pick(fin@, mu@ + gam@, d{k + 1}@)")
    w("# deflate, for the next step and the count of lanes not done")
    deflate()
    return s


def _interleaved(statements: list[str], chains: int) -> list[str]:
    """Loop-body lines: each statement once per chain (``@`` -> ``_<j>``), comments once."""
    out = []
    for stmt in statements:
        if stmt.startswith("#"):
            out.append("        " + stmt)
            continue
        for j in range(chains):
            out.append("        " + stmt.replace("@", f"_{j}"))
    return out


def pass_source(n: int) -> str:
    """Source of ``qr_pass_<n>(S, L)``."""
    half = WIDTH // CHAINS
    rows = [f"d{i}" for i in range(n)] + [f"e{i}" for i in range(n - 1)] + ["m", "thr"]
    out = [
        "@jit(cache=True)",
        f"def qr_pass_{n}(S, L):",
        f'    """One QR step on every lane of a block of {n} x {n} tridiagonals (generated).',
        "",
        f"    ``S`` is flat, row ``r`` of lane ``ln`` at ``S[r * {WIDTH} + ln]``: rows"
        f" ``0 .. {n - 1}``",
        f"    the diagonal, ``{n} .. {2 * n - 2}`` the squared off-diagonal ``e^2``,"
        f" ``{2 * n - 1}`` the bottom",
        f"    ``m`` of the lane's unreduced block (0: done), ``{2 * n}`` the deflation"
        " threshold on",
        f"    ``e^2``. ``L`` must be {WIDTH}; the caller deflates before the first step."
        " Returns",
        "    ``left + 64 * full``: ``left`` lanes are not done, ``full`` of them still reach"
        " the",
        "    bottom row.",
        '    """',
        "    left = 0",
        "    full = 0",
        f"    for ln in range(L // {CHAINS}):",
    ]
    for j in range(CHAINS):
        for r, name in enumerate(rows):
            out.append(f"        {name}_{j} = S[{r * WIDTH + j * half} + ln]")
    out += _interleaved(_step(n), CHAINS)
    for j in range(CHAINS):
        for r, name in enumerate(rows[:-1]):
            out.append(f"        S[{r * WIDTH + j * half} + ln] = {name}_{j}")
        out.append(f"        left += 1 if m_{j} > 0.0 else 0")
        out.append(f"        full += 1 if m_{j} == {n - 1}.0 else 0")
    out.append(f"    return left + {2 * WIDTH} * full")
    return "\n".join(out) + "\n"


def sized_source(n: int) -> str:
    """Source of ``qr_pass_upto_<n>(S, L, size)``: the step of the kernel for ``size``."""
    out = [
        "@jit(inline=True)",
        f"def qr_pass_upto_{n}(S, L, size):",
        f'    """`qr_pass_<size>` on ``S`` laid out for ``size`` ({QR_SIZES[0]} <= size <= {n})'
        ' (generated)."""',
    ]
    for k in range(n, QR_SIZES[0], -1):
        out.append(f"    if size == {k}:")
        out.append(f"        return qr_pass_{k}(S, L)")
    out.append(f"    return qr_pass_{QR_SIZES[0]}(S, L)")
    return "\n".join(out) + "\n"


def _tridiagonal_step(n: int) -> list[str]:
    """Statements of one lane's Householder reduction, as `_lanes_tridiagonal` does it.

    ``ai_j@`` is entry (i, j) of the lower triangle, ``u`` the reflector, ``p`` the
    vector ``beta A22 u`` and then ``w``; the same operations in the same order as the
    memory-row loops, so the results are the same to the last bit. ``@`` stands for the
    chain suffix.
    """
    s: list[str] = []
    w = s.append

    def a(i, j):
        return f"a{max(i, j)}_{min(i, j)}@"

    for k in range(n - 2):
        w(f"# column {k}")
        w("sig@ = 0.0")
        for i in range(k + 1, n):
            w(f"sig@ += {a(i, k)} * {a(i, k)}")
        w(f"x0@ = {a(k + 1, k)}")
        w("r@ = math.copysign(math.sqrt(sig@), x0@)")
        w(f"act@ = sig@ > {HH_SKIP} * ssq@")
        w("b@ = 1.0 / (sig@ + r@ * x0@)")
        w("beta@ = pick(act@, b@, 0.0)")
        w(f"u{k + 1}@ = x0@ + r@")
        w(f"{a(k + 1, k)} = pick(act@, -r@, x0@)")
        for i in range(k + 2, n):
            w(f"u{i}@ = {a(i, k)}")
        for i in range(k + 1, n):
            w(f"p{i}@ = {a(i, i)} * u{i}@")
            for j in range(k + 1, i):
                w(f"p{i}@ += {a(i, j)} * u{j}@")
                w(f"p{j}@ += {a(i, j)} * u{i}@")
        w("kk@ = 0.0")
        for i in range(k + 1, n):
            w(f"p{i}@ = beta@ * p{i}@")
            w(f"kk@ += p{i}@ * u{i}@")
        w("kk@ *= 0.5 * beta@")
        for i in range(k + 1, n):
            w(f"p{i}@ -= kk@ * u{i}@")
        for i in range(k + 1, n):
            for j in range(k + 1, i + 1):
                w(f"{a(i, j)} -= u{i}@ * p{j}@ + p{i}@ * u{j}@")
    return s


def tridiagonal_source(n: int) -> str:
    """Source of ``tridiagonal_<n>(A, ssq, L)``."""
    half = WIDTH // TRI_CHAINS
    out = [
        "@jit(cache=True)",
        f"def tridiagonal_{n}(A, ssq, L):",
        f'    """Householder tridiagonalisation of the lanes of a block of {n} x {n} matrices.',
        "",
        f"    ``A`` is the flat lane scratch of shape ({n}, {n}, {WIDTH}): entry (i, j) of"
        f" lane ``ln`` at",
        f"    ``A[(i * {n} + j) * {WIDTH} + ln]``, lower triangle read; the diagonal and"
        " subdiagonal",
        "    are written back. ``ssq`` is each lane's squared Frobenius norm. Lanes ``0 .. L``"
        " are",
        f"    reduced ({TRI_CHAINS} interleaved, {half} apart: lanes from ``L`` on may be"
        " computed too, on",
        f"    whatever the scratch holds; ``A`` and ``ssq`` must have all {WIDTH}) (generated).",
        '    """',
        f"    for ln in range(min(L, {half})):",
    ]
    for j in range(TRI_CHAINS):
        out.append(f"        ssq_{j} = ssq[{j * half} + ln]")
        for i in range(n):
            for jj in range(i + 1):
                out.append(f"        a{i}_{jj}_{j} = A[{(i * n + jj) * WIDTH + j * half} + ln]")
    out += _interleaved(_tridiagonal_step(n), TRI_CHAINS)
    for j in range(TRI_CHAINS):
        for i in range(n):
            out.append(f"        A[{(i * n + i) * WIDTH + j * half} + ln] = a{i}_{i}_{j}")
            if i + 1 < n:
                out.append(f"        A[{((i + 1) * n + i) * WIDTH + j * half} + ln] ="
                           f" a{i + 1}_{i}_{j}")
    return "\n".join(out) + "\n"


def module_source() -> str:
    """Source of the whole module."""
    head = [
        '"""Register-resident Householder and QR steps for the lane kernels of small n.',
        "",
        "GENERATED by ``python fastopt/kernels/_qr_codegen.py``: do not edit; see that",
        "module for the design.",
        '"""',
        "import math",
        "",
        "from .._jit import jit",
        "from ._pick import pick",
        "",
        f"SIZES = {SIZES!r}",
        f"QR_SIZES = {QR_SIZES!r}",
        f"TRI_SIZES = {TRI_SIZES!r}",
        f"WIDTH = {WIDTH}",
        "",
    ]
    parts = ([pass_source(n) for n in QR_SIZES] + [sized_source(n) for n in SIZES]
             + [tridiagonal_source(n) for n in TRI_SIZES])
    return "\n".join(head) + "\n" + "\n\n".join(parts)


if __name__ == "__main__":
    print(module_source(), end="")
