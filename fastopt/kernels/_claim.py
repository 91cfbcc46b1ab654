"""``claim(counter)``: take the next work chunk of a batch, atomically across threads.

numba's ``prange`` splits its iterations into one fixed range per thread, so a batch
whose threads do not run at the same speed -- a thread descheduled on a shared
machine, or chunks that cost more than others (matrices left to the scalar path) --
takes as long as its slowest thread. A batch driver that instead runs ``prange`` over
worker slots, each claiming chunk after chunk from a shared counter until none is left,
lets the threads that run take the work of those that stall. Each chunk's results
depend only on its index, so they are the same for any schedule and thread count.

It is an LLVM ``atomicrmw add`` (monotonic: the end of the parallel region orders the
results for the caller). In plain Python it is an ordinary increment. numba's parfor
pass does not see the write: a read of the counter after the ``prange`` loop, in the
same function, may be moved before the loop (measured: it read 0); only the claims
inside the loop, or the caller after the function returns, see the count.
"""
from llvmlite import ir
from numba.core import cgutils, types
from numba.core.extending import intrinsic, overload


def claim(counter):
    """Return ``counter[0]`` and add one to it (atomically in compiled code).

    Examples
    --------
    >>> import numpy as np
    >>> counter = np.zeros(1, dtype=np.int64)
    >>> claim(counter), claim(counter), counter
    (0, 1, array([2]))
    """
    c = int(counter[0])
    counter[0] = c + 1
    return c


@intrinsic
def _fetch_add(typingctx, counter):
    if not (isinstance(counter, types.Array) and counter.ndim == 1
            and counter.dtype == types.int64):
        return None

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary,
                                       [context.get_constant(types.intp, 0)])
        return builder.atomic_rmw("add", ptr, ir.Constant(ir.IntType(64), 1), "monotonic")

    return types.int64(counter), codegen


@overload(claim, inline="always")
def _claim_overload(counter):
    if isinstance(counter, types.Array) and counter.ndim == 1 and counter.dtype == types.int64:
        return lambda counter: _fetch_add(counter)
    return None
