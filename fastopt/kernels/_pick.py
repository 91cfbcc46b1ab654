"""``pick(c, a, b)``: ``a if c else b`` as one LLVM ``select``, never a branch.

numba lowers a conditional expression to branches and leaves it to LLVM to turn them
back into a select; in long straight-line kernels (the generated QR steps of
:mod:`fastopt.kernels._qr_unrolled`) that made numba's own compilation the bottleneck
(measured, n = 6: 11 s against 7 s). In plain Python it is the expression itself.
"""
from numba.core import types
from numba.core.extending import intrinsic, overload


def pick(c, a, b):
    """Return ``a if c else b`` (both evaluated)."""
    return a if c else b


@intrinsic
def _select(typingctx, c, a, b):
    if not isinstance(c, types.Boolean) or a != b:
        return None

    def codegen(context, builder, signature, args):
        return builder.select(args[0], args[1], args[2])

    return a(c, a, b), codegen


@overload(pick, inline="always")
def _pick_overload(c, a, b):
    if isinstance(c, types.Boolean) and a == b:
        return lambda c, a, b: _select(c, a, b)
    return None
