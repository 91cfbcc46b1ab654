"""The one place where numba options live.

Every kernel in :mod:`fastopt.kernels` is compiled through :func:`jit`, so the options
below apply uniformly:

* ``error_model="numpy"``: a division by zero gives ``inf``/``nan`` instead of raising,
  so numerical trouble is reported per entry and never aborts a batch.
* ``fastmath=False``: finite differences rely on IEEE rounding (``(x + h) - x``), which
  fast-math reassociation would destroy.
* ``nogil=True``: kernels release the GIL, so they also run in the user's Python threads.
* Kernels that take no function argument are compiled with ``cache=True``; kernels that
  take the objective are specialised per objective, which no cache can help (numba
  issues #6264, #2956).

Threading layer
---------------
fastopt does not override numba's threading layer. numba's default search order is
``tbb -> omp -> workqueue``; with the standard Linux wheels this gives ``omp``, which
supports a parallel fastopt kernel called from inside a user's own ``prange`` loop (the
test suite checks this). ``workqueue`` aborts on such nested parallelism, and ``omp`` is
not fork-safe: if you fork worker processes after using fastopt, set
``NUMBA_THREADING_LAYER=tbb`` (``pip install tbb``) or use the ``spawn`` start method.

The pure-Python path (``jit=False``) runs exactly the same kernel source as plain Python:
:func:`python_twin` rebuilds a kernel with every compiled helper it calls replaced by
its own Python twin.
"""

from __future__ import annotations

import types

import numba

__all__ = ["jit", "python_twin", "serial_twin", "num_threads"]

_OPTIONS = {"error_model": "numpy", "fastmath": False, "nogil": True}


def jit(*, parallel: bool = False, cache: bool = False, inline: bool = False):
    """Return a decorator compiling a kernel with the project's numba options.

    Parameters
    ----------
    parallel : bool
        Compile with ``parallel=True`` so that ``prange`` loops run on numba's threads.
    cache : bool
        Cache the machine code on disk. Only for kernels without a function argument.
    inline : bool
        Inline into callers at numba-IR level (``inline="always"``). Used for helpers
        that take the objective: a compiled call to such a helper costs ~0.1-0.3 s of
        compile time per objective and call depth (measured, numba 0.68), inlining
        removes most of it.

    Returns
    -------
    callable
        A decorator turning a Python function into a numba dispatcher.

    Examples
    --------
    >>> from fastopt._jit import jit
    >>> @jit()
    ... def twice(x):
    ...     return 2.0 * x
    >>> twice(1.5)
    3.0
    """
    if inline:
        return numba.njit(parallel=parallel, cache=cache, inline="always", **_OPTIONS)
    return numba.njit(parallel=parallel, cache=cache, **_OPTIONS)


_SERIAL: dict = {}
_PYTHON: dict = {}


def serial_twin(kernel):
    """Return a serial (``parallel=False``) compilation of a parallel kernel.

    ``prange`` runs as ``range`` in it: small problems avoid the thread start-up cost and
    the larger compile of a parallel kernel.
    """
    twin = _SERIAL.get(kernel)
    if twin is None:
        twin = numba.njit(parallel=False, **_OPTIONS)(kernel.py_func)
        _SERIAL[kernel] = twin
    return twin


def python_twin(kernel):
    """Return the kernel as plain Python, with every compiled helper it calls also Python.

    Used by ``jit=False``: the same source, so the same answers, for objectives numba
    cannot compile.
    """
    if not isinstance(kernel, numba.core.registry.CPUDispatcher):
        return kernel
    twin = _PYTHON.get(kernel)
    if twin is not None:
        return twin
    func = kernel.py_func
    namespace = dict(func.__globals__)
    twin = types.FunctionType(
        func.__code__, namespace, func.__name__, func.__defaults__, func.__closure__
    )
    _PYTHON[kernel] = twin
    for name in func.__code__.co_names:
        value = namespace.get(name)
        if isinstance(value, numba.core.registry.CPUDispatcher):
            namespace[name] = python_twin(value)
    return twin


def num_threads() -> int:
    """Return the number of threads numba's parallel kernels will use now."""
    return numba.get_num_threads()


#: Work (objective evaluations x point size) below which a batch kernel runs serially:
#: waking numba's threads costs a few microseconds, and a serial build compiles faster.
PARALLEL_MIN_WORK = 20_000


def select(kernel, *, work: int, jit: bool):
    """Pick the build of a batch kernel to run: parallel, serial, or pure Python.

    Parameters
    ----------
    kernel : numba dispatcher
        A kernel compiled with ``parallel=True``.
    work : int
        Rough cost: objective evaluations times point size.
    jit : bool
        ``False`` selects the pure-Python twin (same source, same answers).

    Returns
    -------
    callable
        The build to call.
    """
    if not jit:
        return python_twin(kernel)
    if work < PARALLEL_MIN_WORK or num_threads() == 1:
        return serial_twin(kernel)
    return kernel
