"""Write the source of :mod:`fastopt.kernels._qr_unrolled` (run as a script).

``python fastopt/kernels/_qr_codegen.py > fastopt/kernels/_qr_unrolled.py`` (run by path:
it imports nothing from the package, which imports the module it writes).

The lane-parallel QR of :mod:`fastopt.kernels._eigen` keeps every matrix's tridiagonal
in memory rows, one loop over the lanes per rotation: each rotation's sqrt and division
then wait on the previous rotation through memory, and the loops ran at the speed of
scalar code (measured: the same time with loop vectorisation switched off). For small n
the generated kernels instead hold a lane's whole tridiagonal in local variables
(registers) for one complete QR step -- deflation, Wilkinson shift, bulge chase -- and
run ``CHAINS`` independent lanes interleaved in each loop iteration, so that the
out-of-order core overlaps their sqrt/division latencies. Every select is an LLVM
``select`` (:func:`fastopt.kernels._pick.pick`), not a branch, so the lane loop
vectorises. The arithmetic is that of `_lanes_tridiagonal_qr`, step for step.

The code is generated because it must be straight-line per n; ``tests/test_critical.py``
checks that the committed module is this script's output.
"""
from __future__ import annotations

#: Sizes with a generated kernel (compile time grows with n: ~4 s for n = 4, ~7 s for
#: n = 6, paid once per environment thanks to numba's cache).
SIZES = (4, 5, 6)
#: Lanes per block (rows of the scratch are this far apart) and interleaved chains.
WIDTH = 32
CHAINS = 4


def _step(n: int) -> list[str]:
    """Statements of one lane's QR step, with ``@`` for the chain suffix."""
    s: list[str] = []
    w = s.append

    def deflate():
        # zero negligible off-diagonals; m = bottom of the unreduced block (0: done);
        # lo = its top
        for i in range(n - 1):
            w(f"e{i}@ = pick(e{i}@ * e{i}@ <= thr@, 0.0, e{i}@)")
        for i in range(n - 1, 0, -1):
            w(f"m@ = pick((m@ == {i}.0) & (e{i - 1}@ == 0.0), {i - 1}.0, m@)")
        w("lo@ = 0.0")
        for i in range(1, n - 1):
            w(f"lo@ = pick((e{i - 1}@ == 0.0) & ({i}.0 < m@), {i}.0, lo@)")

    w("# deflate: lo .. m is the lane's unreduced block")
    deflate()
    w("# Wilkinson shift: the eigenvalue of the block's bottom 2 x 2 nearer its end")
    w("a@ = d0@")
    w("b@ = e0@")
    w("c@ = d1@")
    for j in range(2, n):
        w(f"sel@ = m@ == {j}.0")
        w(f"a@ = pick(sel@, d{j - 1}@, a@)")
        w(f"b@ = pick(sel@, e{j - 1}@, b@)")
        w(f"c@ = pick(sel@, d{j}@, c@)")
    w("delta@ = 0.5 * (a@ - c@)")
    w("den@ = delta@ + math.copysign(math.sqrt(delta@ * delta@ + b@ * b@), delta@)")
    w("den@ = pick(den@ != 0.0, den@, 1.0)")
    w("mu@ = c@ - (b@ * b@) / den@")
    w("# chase the bulge g down the block; identity rotations outside it")
    w("g@ = 0.0")
    for k in range(n - 1):
        if k == 0:
            w("x@ = d0@ - mu@")
            w("z@ = e0@")
        else:
            w(f"first@ = lo@ == {k}.0")
            w(f"x@ = pick(first@, d{k}@ - mu@, e{k - 1}@)")
            w(f"z@ = pick(first@, e{k}@, g@)")
        w("r@ = math.sqrt(x@ * x@ + z@ * z@)")
        w(f"act@ = (lo@ <= {k}.0) & ({k}.0 < m@)")
        w("ok@ = act@ & (r@ != 0.0)")
        w("inv@ = 1.0 / pick(ok@, r@, 1.0)")
        w("cc@ = pick(ok@, x@ * inv@, 1.0)")
        w("ss@ = pick(ok@, z@ * inv@, 0.0)")
        if k > 0:
            w(f"e{k - 1}@ = pick(act@ & (lo@ < {k}.0), r@, e{k - 1}@)")
        w(f"p@ = d{k}@")
        w(f"q@ = d{k + 1}@")
        w(f"t@ = e{k}@")
        w("cs@ = cc@ * ss@")
        w("c2@ = cc@ * cc@")
        w("s2@ = ss@ * ss@")
        w(f"d{k}@ = c2@ * p@ + 2.0 * cs@ * t@ + s2@ * q@")
        w(f"d{k + 1}@ = s2@ * p@ - 2.0 * cs@ * t@ + c2@ * q@")
        w(f"e{k}@ = cs@ * (q@ - p@) + (c2@ - s2@) * t@")
        if k + 1 <= n - 2:
            w(f"g@ = ss@ * e{k + 1}@")
            w(f"e{k + 1}@ = cc@ * e{k + 1}@")
    w("# deflate again, for the count of lanes not done")
    deflate()
    return s


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
        f"    the diagonal, ``{n} .. {2 * n - 2}`` the off-diagonal, ``{2 * n - 1}`` the"
        " bottom ``m`` of the",
        f"    lane's unreduced block (0: done), ``{2 * n}`` the deflation threshold on"
        " ``e^2``. ``L`` must",
        f"    be {WIDTH}. Returns how many lanes are not done.",
        '    """',
        "    left = 0",
        f"    for ln in range(L // {CHAINS}):",
    ]
    for j in range(CHAINS):
        for r, name in enumerate(rows):
            out.append(f"        {name}_{j} = S[{r * WIDTH + j * half} + ln]")
    for stmt in _step(n):
        if stmt.startswith("#"):
            out.append("        " + stmt)
            continue
        for j in range(CHAINS):
            out.append("        " + stmt.replace("@", f"_{j}"))
    for j in range(CHAINS):
        for r, name in enumerate(rows[:-1]):
            out.append(f"        S[{r * WIDTH + j * half} + ln] = {name}_{j}")
        out.append(f"        left += 1 if m_{j} > 0.0 else 0")
    out.append("    return left")
    return "\n".join(out) + "\n"


def module_source() -> str:
    """Source of the whole module."""
    head = [
        '"""Register-resident QR steps for the lane-parallel eigenvalues of small n.',
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
        f"WIDTH = {WIDTH}",
        "",
    ]
    return "\n".join(head) + "\n" + "\n\n".join(pass_source(n) for n in SIZES)


if __name__ == "__main__":
    print(module_source(), end="")
