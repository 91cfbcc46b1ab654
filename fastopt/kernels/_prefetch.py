"""``prefetch(A, i, j, k)``: ask the CPU to bring ``A[i, j, k]`` into cache, no waiting.

The lane kernels of :mod:`fastopt.kernels._eigen` load a block of 64 matrices, then
compute on it for microseconds; the next block's load then waits on main memory, which
the hardware prefetcher does not foresee across that pause. Prefetching the next
block before computing on the current one hides that wait (measured, n = 6, 10^5
matrices, 1 thread: 25.6 -> 24.5 ms for the eigenvalues). It is LLVM's
``llvm.prefetch`` (a no-op where the target has no prefetch instruction; it never
faults, and it does not change any result). In plain Python it does nothing.
"""
from llvmlite import ir
from numba.core import cgutils, types
from numba.core.extending import intrinsic, overload


def prefetch(A, i, j, k):
    """Hint that ``A[i, j, k]`` will be read soon (no effect on results)."""


@intrinsic
def _prefetch3(typingctx, A, i, j, k):
    if not (isinstance(A, types.Array) and A.ndim == 3):
        return None

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        inds = [context.cast(builder, v, t, types.intp)
                for v, t in zip(args[1:], signature.args[1:], strict=True)]
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, inds)
        i8p = builder.bitcast(ptr, ir.IntType(8).as_pointer())
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p.type, i32, i32, i32])
        fn = builder.module.declare_intrinsic("llvm.prefetch", [i8p.type], fnty)
        # read, keep in all cache levels, data cache
        builder.call(fn, [i8p, i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return types.void(A, i, j, k), codegen


@overload(prefetch, inline="always")
def _prefetch_overload(A, i, j, k):
    if isinstance(A, types.Array) and A.ndim == 3:
        return lambda A, i, j, k: _prefetch3(A, i, j, k)
    return None
