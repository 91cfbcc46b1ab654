"""Shared input checks for the Python API layer.

Every check raises :class:`ValueError` or :class:`TypeError` with a message that names
the argument and says what it must be. None of them does numerics.
"""

from __future__ import annotations

import math
import numbers
import operator
import types
import weakref
from collections.abc import Callable, Sequence

import numba
import numpy as np
from numba.core.registry import CPUDispatcher

__all__ = [
    "as_directions",
    "as_float_array",
    "as_points",
    "check_derivative_function",
    "check_derivative_value",
    "check_positive_float",
    "check_args",
    "check_bounds",
    "check_choice",
    "check_objective",
    "check_positive_steps",
    "check_int",
]


_KIND_NAMES = {"c": "complex", "O": "object", "U": "string", "S": "bytes", "b": "boolean"}


def as_float_array(name: str, x, *, allow_empty: bool = False, finite: bool = True):
    """Return `x` as a C-contiguous float64 array, rejecting non-real or bad input."""
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"`{name}` must be a real numeric array; got {type(x).__name__}") from exc
    kind = arr.dtype.kind
    if kind not in "iuf":
        what = _KIND_NAMES.get(kind, str(arr.dtype))
        raise TypeError(f"`{name}` must be a real (integer or floating) array; got {what} dtype")
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"`{name}` must not be empty; got shape {arr.shape}")
    if arr.dtype != np.float64 or not arr.flags.c_contiguous:
        arr = np.ascontiguousarray(arr, dtype=np.float64)
    if finite and not np.isfinite(arr).all():
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise ValueError(f"`{name}` must be finite; got {bad} NaN/inf entries")
    return arr


def as_points(x, ndim: int, *, finite: bool = True):
    """Split `x` into a flat (N, n) batch of points following the gufunc rule.

    ``finite=False`` accepts NaN/inf coordinates (callers that mark such points per
    entry instead of raising).

    Returns
    -------
    points : ndarray, shape (N, n)
        C-contiguous float64 copy or view of the points.
    batch_shape : tuple
        The leading (batch) axes of `x`.
    point_shape : tuple
        The trailing `ndim` axes of `x` that form one point.
    """
    arr = as_float_array("x", x, finite=finite)
    if not (type(ndim) is int and ndim == 1):
        ndim = check_int("ndim", ndim, minimum=1)
    if ndim > arr.ndim:
        raise ValueError(
            f"`ndim` must be between 1 and x.ndim = {arr.ndim} (the trailing `ndim` axes of x "
            f"form one point); got ndim={ndim}"
        )
    split = arr.ndim - ndim
    batch_shape = arr.shape[:split]
    point_shape = arr.shape[split:]
    return arr.reshape(-1, math.prod(point_shape)), batch_shape, point_shape


def check_int(name: str, value, *, minimum: int | None = None, maximum: int | None = None):
    """Return `value` as an int, or raise if it is not an integer within the range."""
    if isinstance(value, bool | np.bool_):
        raise TypeError(f"`{name}` must be an integer; got {value!r}")
    try:
        ivalue = operator.index(value)
    except TypeError:
        raise TypeError(f"`{name}` must be an integer; got {value!r}") from None
    if minimum is not None and ivalue < minimum:
        raise ValueError(f"`{name}` must be >= {minimum}; got {ivalue}")
    if maximum is not None and ivalue > maximum:
        raise ValueError(f"`{name}` must be <= {maximum}; got {ivalue}")
    return ivalue


def check_choice(name: str, value, choices: Sequence):
    """Raise unless `value` is one of `choices`."""
    if not isinstance(value, str | int) or value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ValueError(f"`{name}` must be one of {options}; got {value!r}")
    return value


def check_args(args):
    """Return `args` if it is a tuple, else raise a TypeError that says how to fix it."""
    if not isinstance(args, tuple):
        raise TypeError(
            f"`args` must be a tuple of extra arguments for f(x, *args); got "
            f"{type(args).__name__} (write args=(value,) for a single argument)"
        )
    return args


_DEFAULT_STEPS: dict = {}


def check_positive_steps(step, point_shape: tuple, default: float):
    """Return relative steps, shape (n,), from ``None``, a scalar or a per-coordinate array."""
    n = math.prod(point_shape)
    if step is None:
        key = (n, default)
        arr = _DEFAULT_STEPS.get(key)
        if arr is None:
            arr = np.full(n, default)  # shared; kernels never write to it
            if len(_DEFAULT_STEPS) > 1000:
                _DEFAULT_STEPS.clear()
            _DEFAULT_STEPS[key] = arr
        return arr
    arr = np.asarray(step)
    if arr.dtype == bool or arr.dtype.kind not in "iuf":
        raise TypeError(f"`step` must be a positive real number or array; got {arr.dtype} dtype")
    arr = arr.astype(np.float64)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    elif arr.shape == tuple(point_shape) or arr.shape == (n,):
        arr = np.ascontiguousarray(arr.reshape(n))
    else:
        raise ValueError(
            f"`step` must be a scalar or have the point shape {tuple(point_shape)}; "
            f"got shape {arr.shape}"
        )
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"`step` must be finite and > 0; got {step!r}")
    return arr


_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_WRAPPED: dict = {}  # (id(callable), nargs) -> dispatcher, for non-function callables
_CHECKED: dict = {}  # objectives already compiled and checked, by a cheap type key


def _cheap_type_key(a):
    """Return a hashable stand-in for numba.typeof(a), cheap for arrays and scalars."""
    if isinstance(a, np.ndarray):
        fl = a.flags
        return (a.dtype.str, a.ndim, fl.c_contiguous, fl.f_contiguous, fl.writeable, fl.aligned)
    if isinstance(a, float | int | complex | bool | np.generic):
        return type(a)
    try:
        return (type(a), numba.typeof(a))
    except (ValueError, TypeError):
        return object()  # never cached: the full check below reports the problem


def _numba_reason(exc: Exception) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    keep = [ln for ln in lines if not ln.startswith(("During:", "File ", "^"))]
    text = " ".join(keep[:4]) if keep else type(exc).__name__
    return text if len(text) < 600 else text[:600] + " ..."


def _arity_wrapper(f, nargs):
    """Return a plain function ``(x, a0, ..., a_{nargs-1}) -> f(x, a0, ...)`` for numba."""
    names = ", ".join(f"a{k}" for k in range(nargs))
    sep = ", " if nargs else ""
    namespace = {"f": f}
    exec(f"def call(x{sep}{names}):\n    return f(x{sep}{names})\n", namespace)  # noqa: S102
    return namespace["call"]


def _jitted(f, nargs):
    """Return a numba dispatcher for `f`: itself, or compiled once and cached.

    Callables that are not Python functions (numpy ufuncs, callable objects) are wrapped
    in a function of the right arity that numba can compile if it can call them.
    """
    if isinstance(f, CPUDispatcher):
        return f
    key = f if isinstance(f, types.FunctionType) else (id(f), nargs)
    try:
        cached = _COMPILED.get(f) if key is f else _WRAPPED.get(key)
    except TypeError:  # not weak-referenceable
        cached = None
    if cached is None:
        target = f if key is f else _arity_wrapper(f, nargs)
        cached = numba.njit(error_model="numpy")(target)
        try:
            if key is f:
                _COMPILED[f] = cached
            else:
                _WRAPPED[key] = cached
        except TypeError:
            pass
    return cached


def check_objective(
    f: Callable,
    point_shape: tuple,
    args: tuple,
    *,
    jit: bool,
    returns: str = "scalar",
    complex_input: bool = False,
    name: str = "f",
):
    """Return the callable the kernels will use for `f`, checking what it returns.

    With ``jit=True`` a plain Python function is compiled with numba (once per function)
    for a float64 (``complex_input``: complex128) array of `point_shape` and the types of
    `args`; the compiled return type must be a scalar (``returns="scalar"``), a 1-D array
    (``"vector"``) or an array of any shape (``"array"``), real, or complex for complex
    input. Nothing is evaluated. With ``jit=False`` `f` is returned unchanged and its
    return value is checked on a probe evaluation by the caller (see :func:`check_probe`).
    `name` is the argument named in error messages.
    """
    if not callable(f):
        raise TypeError(f"`{name}` must be callable as {name}(x, *args); got {type(f).__name__}")
    if not jit:
        return f
    try:
        jf = _jitted(f, len(args))
    except Exception as exc:  # numba refuses the object itself
        raise TypeError(
            f"numba cannot compile `{name}` ({type(f).__name__}): {_numba_reason(exc)}. "
            "Pass a Python function or a numba function, or jit=False."
        ) from None
    key = (jf, len(point_shape), returns, complex_input,
           tuple(_cheap_type_key(a) for a in args))
    if key in _CHECKED:
        return jf
    try:
        arg_types = tuple(numba.typeof(a) for a in args)
    except (ValueError, TypeError) as exc:
        raise TypeError(
            f"`args` cannot be passed to a numba-compiled objective ({_numba_reason(exc)}); "
            "use numpy arrays and numbers, or pass jit=False"
        ) from None
    dtype = numba.types.complex128 if complex_input else numba.types.float64
    sig = (numba.types.Array(dtype, len(point_shape), "C"), *arg_types)
    try:
        jf.compile(sig)
        restype = jf.overloads[sig].signature.return_type
    except Exception as exc:
        fname = getattr(f, "__name__", type(f).__name__)
        if complex_input:
            raise TypeError(
                f"method='complex' needs `{name}` to accept complex input, but numba could "
                f"not compile `{fname}` for a complex128 x of shape {tuple(point_shape)}: "
                f"{_numba_reason(exc)}. Fix: write it with operations defined for complex "
                "numbers (no abs, comparisons, .real), or use method='richardson'."
            ) from None
        raise TypeError(
            f"numba could not compile `{name}` (`{fname}`) for x of shape "
            f"{tuple(point_shape)}: {_numba_reason(exc)}. Fix: write it with numpy/math "
            "operations numba supports (or decorate it with @numba.njit yourself), or pass "
            "jit=False for the slow pure-Python path."
        ) from None
    _check_return_type(restype, returns, complex_input, name)
    if len(_CHECKED) > 10_000:
        _CHECKED.clear()
    _CHECKED[key] = True
    return jf


def _check_return_type(restype, returns, complex_input=False, name="f"):
    t = numba.types
    real = (t.Integer, t.Float, t.Boolean)
    if complex_input:
        inner = restype.dtype if isinstance(restype, t.Array) else restype
        if not isinstance(inner, t.Complex):
            raise TypeError(
                f"method='complex' needs `{name}` to return complex values for complex input; "
                f"it returns {restype} (it probably uses abs, .real or a comparison on x)"
            )
        restype = restype.copy(dtype=t.float64) if isinstance(restype, t.Array) else t.float64
    if returns == "scalar":
        if not isinstance(restype, real):
            raise TypeError(
                f"`{name}` must return a real scalar float for this derivative; it returns "
                f"{restype} (use fastopt.jacobian for vector-valued functions)"
            )
    elif returns == "vector":
        ok = isinstance(restype, t.Array) and restype.ndim == 1
        if not (ok and isinstance(restype.dtype, real)):
            raise TypeError(
                f"`{name}` must return a 1-D real float array for jacobian; it returns {restype}"
            )
    elif not (isinstance(restype, t.Array) and isinstance(restype.dtype, real)):
        raise TypeError(f"`{name}` must return a real float array; it returns {restype}")


def check_probe(value, returns: str = "scalar", *, complex_input: bool = False, name="f"):
    """Check the value of one pure-Python evaluation of `f`; return it as float64.

    With ``complex_input`` the value must be complex and its imaginary part is returned
    unchanged in type (complex128).
    """
    arr = np.asarray(value)
    if complex_input:
        if arr.dtype.kind != "c":
            raise TypeError(
                f"method='complex' needs `{name}` to return complex values for complex input; "
                f"it returned {arr.dtype} (it probably uses abs, .real or a comparison on x)"
            )
        arr = arr.real
    if arr.dtype == bool or arr.dtype.kind not in "iuf":
        raise TypeError(f"`{name}` must return real floats; it returned {arr.dtype} values")
    if returns == "scalar" and arr.ndim != 0:
        raise TypeError(
            f"`{name}` must return a real scalar for this derivative; it returned an array of "
            f"shape {arr.shape} (use fastopt.jacobian for vector-valued functions)"
        )
    if returns == "vector" and arr.ndim != 1:
        raise TypeError(
            f"`{name}` must return a 1-D array for jacobian; it returned shape {arr.shape}"
        )
    return arr.astype(np.float64)


def check_bounds(bounds):
    """Return the corners ``lo, hi`` (float64, shape (n,)) of a box given like scipy's.

    `bounds` is a sequence of ``(lo_i, hi_i)`` pairs, shape (n, 2), n >= 1, with finite
    ``lo_i < hi_i`` and a finite width ``hi_i - lo_i``.
    """
    what = "`bounds` must be a sequence of (lo, hi) pairs, shape (n, 2) with lo < hi"
    if bounds is None:
        raise TypeError(f"{what}; got None")
    arr = as_float_array("bounds", bounds, allow_empty=True, finite=False)
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] == 0:
        raise ValueError(f"{what}; got shape {arr.shape}")
    lo = np.ascontiguousarray(arr[:, 0])
    hi = np.ascontiguousarray(arr[:, 1])
    bad = np.flatnonzero(~(np.isfinite(lo) & np.isfinite(hi)))
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"`bounds` must be finite; got bounds[{i}] = {tuple(arr[i].tolist())}")
    bad = np.flatnonzero(~(lo < hi))
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"{what}; got bounds[{i}] = {tuple(arr[i].tolist())} (lo >= hi: inverted or empty)"
        )
    with np.errstate(over="ignore"):
        width = hi - lo
    bad = np.flatnonzero(~np.isfinite(width))
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"`bounds` must have a finite width hi - lo; bounds[{i}] = "
            f"{tuple(arr[i].tolist())} overflows"
        )
    return lo, hi


def check_derivative_bounds(bounds, points, point_shape, *, name: str = "x"):
    """Return ``lo, hi`` (shape (n,)) for derivative calls; ``-inf``/``inf`` when None.

    `bounds` has shape (n, 2) (n coordinates of the flattened point) or
    ``point_shape + (2,)``; infinite bounds are allowed, ``lo < hi`` is required, and every
    point of `points` (shape (N, n)) must lie inside the box. `name` is the argument the
    points came from, for error messages.
    """
    n = points.shape[1]
    if bounds is None:
        key = ("unbounded", n)
        cached = _DEFAULT_STEPS.get(key)
        if cached is None:
            cached = (np.full(n, -np.inf), np.full(n, np.inf))
            _DEFAULT_STEPS[key] = cached
        return cached
    what = (f"`bounds` must have shape ({n}, 2) or {tuple(point_shape) + (2,)}, "
            "rows (lo, hi) with lo < hi")
    arr = as_float_array("bounds", bounds, allow_empty=True, finite=False)
    if arr.shape == tuple(point_shape) + (2,):
        arr = arr.reshape(n, 2)
    if arr.shape != (n, 2):
        raise ValueError(f"{what}; got shape {arr.shape}")
    lo = np.ascontiguousarray(arr[:, 0])
    hi = np.ascontiguousarray(arr[:, 1])
    bad = np.flatnonzero(~(lo < hi))
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"{what}; got bounds[{i}] = {tuple(arr[i].tolist())}")
    outside = ~((points >= lo) & (points <= hi))
    if outside.any():
        p, i = np.argwhere(outside)[0]
        count = int(np.count_nonzero(outside.any(axis=1)))
        raise ValueError(
            f"`{name}` must lie inside `bounds`; {count} point(s) do not, e.g. coordinate "
            f"{i} of point {p} is {float(points[p, i])!r}, outside "
            f"[{float(lo[i])!r}, {float(hi[i])!r}]"
        )
    return lo, hi


def check_positive_float(name: str, value, *, allow_zero: bool = False) -> float:
    """Return `value` as a finite float > 0 (>= 0 with `allow_zero`), or raise."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a real scalar; got {value!r}")
    fvalue = float(value)
    if not math.isfinite(fvalue) or fvalue < 0.0 or (fvalue == 0.0 and not allow_zero):
        sign = ">=" if allow_zero else ">"
        raise ValueError(f"`{name}` must be finite and {sign} 0; got {value!r}")
    return fvalue


def as_directions(name: str, v, batch_shape: tuple, point_shape: tuple):
    """Return directions as a C-contiguous (M, n) float64 array, M = 1 (shared) or N.

    `v` must have the point shape (one direction for every point) or the full shape
    ``batch_shape + point_shape`` of x (one direction per point), be finite, and no
    direction may be zero.
    """
    arr = as_float_array(name, v)
    n = math.prod(point_shape)
    full = tuple(batch_shape) + tuple(point_shape)
    if arr.shape == tuple(point_shape):
        dirs = arr.reshape(1, n)
    elif arr.shape == full:
        dirs = arr.reshape(-1, n)
    else:
        raise ValueError(
            f"`{name}` must have the point shape {tuple(point_shape)} (one direction for "
            f"every point) or the shape of x {full} (one direction per point); got shape "
            f"{arr.shape}"
        )
    zero = ~np.any(dirs != 0.0, axis=1)
    if zero.any():
        if dirs.shape[0] == 1:
            raise ValueError(f"`{name}` must be a nonzero direction; got all zeros")
        at = np.unravel_index(int(np.flatnonzero(zero)[0]), batch_shape)
        raise ValueError(
            f"`{name}` must be a nonzero direction for every point; "
            f"{name}[{', '.join(map(str, at))}] is all zeros"
        )
    return dirs


def check_derivative_function(
    name: str, func: Callable, point_shape: tuple, args: tuple, *, jit: bool, out_shape: tuple
):
    """Return the callable for a user derivative ``func(x, *args) -> array``.

    Like :func:`check_objective` for a user-supplied gradient (``out_shape`` = point
    shape) or Hessian (point shape + point shape): with ``jit=True`` a plain Python
    function is compiled with numba (once) and its return type must be a real array with
    ``len(out_shape)`` dimensions. The exact shape and finiteness are checked on values
    by :func:`check_derivative_value`.
    """
    if not callable(func):
        raise TypeError(
            f"`{name}` must be callable as {name}(x, *args); got {type(func).__name__}"
        )
    if not jit:
        return func
    try:
        jf = _jitted(func, len(args))
    except Exception as exc:  # numba refuses the object itself
        raise TypeError(
            f"numba cannot compile `{name}` ({type(func).__name__}): {_numba_reason(exc)}. "
            "Pass a Python function or a numba function, or jit=False."
        ) from None
    key = (jf, len(point_shape), ("derivative", len(out_shape)),
           tuple(_cheap_type_key(a) for a in args))
    if key in _CHECKED:
        return jf
    try:
        arg_types = tuple(numba.typeof(a) for a in args)
    except (ValueError, TypeError) as exc:
        raise TypeError(
            f"`args` cannot be passed to a numba-compiled `{name}` ({_numba_reason(exc)}); "
            "use numpy arrays and numbers, or pass jit=False"
        ) from None
    sig = (numba.types.Array(numba.types.float64, len(point_shape), "C"), *arg_types)
    try:
        jf.compile(sig)
        restype = jf.overloads[sig].signature.return_type
    except Exception as exc:
        fname = getattr(func, "__name__", type(func).__name__)
        raise TypeError(
            f"numba could not compile `{name}` (`{fname}`) for x of shape "
            f"{tuple(point_shape)}: {_numba_reason(exc)}. Fix: write it with numpy/math "
            "operations numba supports (or decorate it with @numba.njit yourself), or pass "
            "jit=False for the slow pure-Python path."
        ) from None
    t = numba.types
    ok = isinstance(restype, t.Array) and restype.ndim == len(out_shape)
    if not (ok and isinstance(restype.dtype, t.Integer | t.Float)):
        raise TypeError(
            f"`{name}` must return a real float array of shape {tuple(out_shape)}; it "
            f"returns {restype}"
        )
    if len(_CHECKED) > 10_000:
        _CHECKED.clear()
    _CHECKED[key] = True
    return jf


def check_derivative_value(name: str, value, shape: tuple, what: str, *, finite: bool = True,
                           where: str = ""):
    """Check one array returned by a user derivative; return it as float64.

    It must be real, of exactly `shape` (described by `what`, e.g. "the point shape"),
    and finite unless ``finite=False``. `where` is appended to messages (e.g. " at x[2]").
    """
    try:
        arr = np.asarray(value)
    except Exception:  # ragged lists and the like
        raise TypeError(
            f"`{name}` must return a real array; it returned {type(value).__name__}{where}"
        ) from None
    if arr.dtype == bool or arr.dtype.kind not in "iuf":
        raise TypeError(f"`{name}` must return real floats; it returned {arr.dtype} values{where}")
    if arr.shape != tuple(shape):
        raise ValueError(
            f"`{name}` must return an array of shape {tuple(shape)} ({what}); it returned "
            f"shape {arr.shape}{where}"
        )
    if finite and not np.isfinite(arr).all():
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise ValueError(
            f"`{name}` returned {bad} NaN/inf entries{where}; it must be finite where the "
            "derivative is checked"
        )
    return arr.astype(np.float64)
