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

Objectives without extra arguments
----------------------------------
Kernels call the objective as ``f(x, *args)``. With an empty ``args`` numba's star-call
stops LLVM from optimising the objective into the loop: measured 1.7-3x slower on cheap
objectives (numba 0.68; overloads and inlined wrappers do not help, only a literal
``f(x)`` in the source does). :func:`noargs_twin` therefore derives, from the same
source, a build in which every ``f(x, *args)`` reads ``f(x)``; the API uses it when
``args == ()``.

Compile time and speed, measured here (numba 0.68, 2 cores)
-----------------------------------------------------------
* Compile time per objective grows with the number of call sites of the objective and
  with every option a kernel supports, because numba specialises the whole kernel for
  each objective. The default derivative calls therefore have their own lean kernels
  (``gradient_central_batch``, ``jacobian_central_batch``, ``hessian_central_batch``:
  0.5-0.6 s per objective against 1.1-2.5 s for the general kernels).
* Each compiled (not inlined) layer between the API and the objective costs ~1 s of
  compile time per objective (the per-start loops of the local methods are inlined for
  this reason).
* An ``inline="always"`` helper that takes the work arrays and calls the objective once
  per Hessian entry made the serial Hessian build 4x slower at run time than the same
  arithmetic written in the loop body: keep per-entry work in the loop.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import types

import numba
from numba.core.registry import CPUDispatcher

__all__ = ["jit", "noargs_twin", "num_threads", "python_twin", "runs_serially", "select",
           "serial_twin"]

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
    if not isinstance(kernel, CPUDispatcher):
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
        if isinstance(value, CPUDispatcher):
            namespace[name] = python_twin(value)
    return twin


_NOARGS: dict = {}


class _DropStarArgs(ast.NodeTransformer):
    """Rewrite ``g(..., *args)`` as ``g(...)``."""

    def visit_Call(self, node):  # noqa: D102
        self.generic_visit(node)
        node.args = [
            a for a in node.args
            if not (isinstance(a, ast.Starred) and isinstance(a.value, ast.Name)
                    and a.value.id == "args")
        ]
        return node


def _uses_star_args(func) -> bool:
    src = textwrap.dedent(inspect.getsource(func))
    return any(
        isinstance(node, ast.Starred) and isinstance(node.value, ast.Name)
        and node.value.id == "args"
        for node in ast.walk(ast.parse(src))
    )


def noargs_twin(kernel):
    """Return the build of `kernel` for objectives called without extra arguments.

    Same source and options, with every ``f(x, *args)`` rewritten to ``f(x)`` (also in
    the compiled helpers it calls). Kernels that never star-call are returned as they are.
    """
    if not isinstance(kernel, CPUDispatcher):
        return kernel
    twin = _NOARGS.get(kernel)
    if twin is not None:
        return twin
    func = kernel.py_func
    helpers = {
        name: noargs_twin(value)
        for name in func.__code__.co_names
        if isinstance(value := func.__globals__.get(name), CPUDispatcher)
    }
    changed = {k: v for k, v in helpers.items() if v is not func.__globals__[k]}
    if not changed and not _uses_star_args(func):
        _NOARGS[kernel] = kernel
        return kernel
    tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    tree.body[0].decorator_list = []
    tree = ast.fix_missing_locations(_DropStarArgs().visit(tree))
    namespace = dict(func.__globals__)
    namespace.update(changed)
    exec(compile(tree, inspect.getsourcefile(func) or "<kernel>", "exec"), namespace)
    options = {k: v for k, v in kernel.targetoptions.items() if k != "nopython"}
    twin = numba.njit(**options)(namespace[func.__name__])
    _NOARGS[kernel] = twin
    return twin


def num_threads() -> int:
    """Return the number of threads numba's parallel kernels will use now."""
    return numba.get_num_threads()


#: Work (objective evaluations x point size) below which a batch kernel runs serially:
#: waking numba's threads costs a few microseconds, and a serial build compiles faster.
PARALLEL_MIN_WORK = 20_000


def select(kernel, *, work: int, jit: bool, noargs: bool = False):
    """Pick the build of a batch kernel to run: parallel, serial, or pure Python.

    Parameters
    ----------
    kernel : numba dispatcher
        A kernel compiled with ``parallel=True``.
    work : int
        Rough cost: objective evaluations times point size.
    jit : bool
        ``False`` selects the pure-Python twin (same source, same answers).
    noargs : bool
        The objective takes no extra arguments: use :func:`noargs_twin`.

    Returns
    -------
    callable
        The build to call.
    """
    if not jit:
        return python_twin(kernel)
    if noargs:
        kernel = noargs_twin(kernel)
    if runs_serially(work):
        return serial_twin(kernel)
    return kernel


def runs_serially(work: int) -> bool:
    """Whether :func:`select` picks the serial build for this much work."""
    return work < PARALLEL_MIN_WORK or num_threads() == 1
