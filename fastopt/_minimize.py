"""Local derivative methods (gradient descent, Newton, BFGS) from many starts: the API layer.

Validation, allocation, one kernel call (parallel over starts), wrapping. The methods,
the line search, the Newton modification, the BFGS update, the bounds rule, the
stopping tests and the status codes are documented in :mod:`fastopt.kernels._local`
and in ``docs/minimize.md``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from . import kernels
from ._jit import select
from ._result import MinimizeResult, NonFiniteWarning, Status
from ._validation import (
    as_float_array,
    check_args,
    check_choice,
    check_derivative_bounds,
    check_derivative_function,
    check_derivative_value,
    check_int,
    check_objective,
    check_positive_float,
    check_probe,
)

__all__ = ["minimize", "METHODS", "MAX_PATH_BYTES", "check_finish", "polish"]

#: The local methods and their batch kernels.
METHODS = ("bfgs", "newton", "gd")
_KERNELS = {"gd": kernels.gd_batch, "bfgs": kernels.bfgs_batch, "newton": kernels.newton_batch}
#: Default iteration limit per coordinate (``maxiter=None``).
_MAXITER_PER_COORDINATE = {"gd": 1000, "bfgs": 200, "newton": 200}
#: Largest path array ``return_path=True`` may allocate, in bytes (1 GiB).
MAX_PATH_BYTES = 2**30
#: Rough evaluations per start and coordinate, for the serial/parallel choice.
_EVALS_PER_COORDINATE = 100

_MESSAGES = {
    Status.SUCCESS: "converged: projected gradient norm <= gtol",
    Status.MAXITER: "iteration limit reached before the projected gradient norm fell "
                    "below gtol",
    Status.STALLED: "line search found no decrease of f before the projected gradient "
                    "norm fell below gtol (precision loss)",
    Status.NONFINITE: "f or its gradient/Hessian is NaN/inf at the last iterate",
    Status.DIVERGED: "f is unbounded below (f = -inf or the iterates overflowed)",
}


def minimize(
    f: Callable,
    x0,
    *,
    args: tuple = (),
    method: str = "bfgs",
    grad: Callable | None = None,
    hess: Callable | None = None,
    bounds=None,
    gtol: float = 1e-8,
    maxiter: int | None = None,
    jit: bool = True,
    return_path: bool = False,
) -> MinimizeResult:
    r"""Minimise `f` locally from one start or many (in parallel) with derivatives.

    Parameters
    ----------
    f : callable
        ``f(x, *args) -> float`` with ``x`` a float64 array of shape (n,). A numba
        function runs at full speed; a plain Python function is compiled with numba.
        `f` must not modify ``x``.
    x0 : array_like, shape (n,) or batch + (n,)
        One start, or a batch of independent starts (one per row for shape (N, n)),
        run in parallel over numba's threads. Every start must lie inside `bounds`.
    args : tuple, optional
        Extra arguments passed to `f`, `grad` and `hess`.
    method : {"bfgs", "newton", "gd"}, optional
        ``"bfgs"``: quasi-Newton with the inverse-Hessian BFGS update. ``"newton"``:
        Newton with a finite-difference or user Hessian, shifted (``H + tau I``) until
        its Cholesky factorisation exists, so an indefinite Hessian still gives a
        descent direction. ``"gd"``: gradient descent. All use a projected
        backtracking line search with the Armijo condition; see Notes.
    grad : callable, optional
        ``grad(x, *args) -> ndarray (n,)``. Default: central finite differences (order
        2, relative step ``eps**(1/3)``, ``2 n`` evaluations; one-sided next to a
        bound).
    hess : callable, optional
        ``hess(x, *args) -> ndarray (n, n)``, only for ``method="newton"``. Default:
        order-2 finite differences (relative step ``eps**(1/4)``, ``n^2 + n + 1``
        evaluations; one-sided next to a bound).
    bounds : array_like, shape (n, 2), optional
        ``(lo_i, hi_i)`` per coordinate; ``-inf``/``inf`` or None for no bound. The
        iterates, and every point where `f` is evaluated, stay inside the box.
    gtol : float, optional
        Stop when the projected gradient ``||x - P(x - g)||_inf <= gtol`` (``P``: the
        projection onto the box; ``||g||_inf`` without bounds).
    maxiter : int, optional
        Iteration limit per start (>= 1). Default ``200 n`` for BFGS and Newton,
        ``1000 n`` for gradient descent.
    jit : bool, optional
        ``False`` runs the same kernels as plain Python (slow, for objectives numba
        cannot compile); the answers are the same.
    return_path : bool, optional
        Also return the iterates (``path``), e.g. for plots.

    Returns
    -------
    MinimizeResult
        ``x``, ``fun``, ``grad``, ``nit``, ``nfev``, ``ngev``, ``nhev``, ``status``,
        ``success``, ``message`` (and ``path``): scalars for one start, arrays of the
        batch shape for many.

    Raises
    ------
    ValueError, TypeError
        Bad input, before any evaluation: `x0` not finite, empty, a scalar, or outside
        `bounds`; malformed `bounds`; an unknown `method`; `hess` with another method
        than Newton; ``gtol <= 0``; ``maxiter < 1``; an objective numba cannot compile.
        After the run: `grad`/`hess` returned an array of the wrong shape, or NaN/inf
        at a start where `f` is finite.

    Warns
    -----
    NonFiniteWarning
        Some starts ended ``NONFINITE`` or ``DIVERGED`` (one summary warning); the other
        starts are unaffected.

    Notes
    -----
    **Iteration.** From ``x`` with gradient ``g`` a direction ``d`` is formed on the
    *free* coordinates (those not on a bound with ``g`` pointing out of the box; the
    others get ``d_i = 0``): ``-g`` (gd), ``-(H + tau I)^{-1} g`` with the reduced
    Hessian ``H`` and the smallest shift ``tau`` in ``0, beta, 2 beta, ...``
    (``beta = 1e-3 max|H_ij|``) giving a Cholesky factorisation (newton), or
    ``-(B_FF)^{-1} g_F`` with the BFGS model ``B = H^{-1}`` (computed from the
    inverse-Hessian approximation ``H`` as ``H_FF - H_FA H_AA^{-1} H_AF``; ``-H g``
    without binding coordinates) (bfgs). The step is found
    on the projected path ``x(a) = P(x + a d)``: the first of ``a0, a1, ...`` with

    .. math:: f(x(a)) \le f(x) + 10^{-4}\, g^T (x(a) - x) + 4 \epsilon F

    (``F`` the largest ``|f|`` met at the iterates: a rounding allowance), ``a``
    shrinking by safeguarded quadratic interpolation. ``a0 = 1`` for Newton and BFGS
    (``min(1, 1/||d||_inf)`` before BFGS has curvature information), twice the last
    step for gradient descent. BFGS updates
    ``H+ = (I - rho s y^T) H (I - rho y s^T) + rho s s^T`` when
    ``y^T s > sqrt(eps) ||s|| ||y||`` (else skips), with ``H0 = (y^T s / y^T y) I``.

    **Stopping.** ``SUCCESS`` when the projected gradient norm is at most `gtol`;
    ``MAXITER``; ``STALLED`` when the line search finds no acceptable step (the
    gradient is then typically at the noise level of `f` or its finite differences,
    ``~ eps |f| / h``: raise `gtol` or pass `grad`); ``NONFINITE`` when `f` or a
    derivative is NaN/inf at a start or an accepted iterate (NaN trial points of the
    line search are simply backed out of); ``DIVERGED`` when ``f = -inf`` or the
    iterates overflow.

    **Accuracy with finite differences.** The central gradient has a truncation error
    ``~ h^2 |f'''| / 6`` with ``h ~ 6e-6 max(1, |x|)``; the iteration converges to the
    zero of the finite-difference gradient, which lies ``~ H^-1 h^2 f''' / 6`` from the
    true minimiser (about ``1.5e-8`` on Rosenbrock at (1, 1)). Pass `grad` for more.

    **Counting.** ``nfev`` counts every call of `f` by that start: ``2 n`` per
    finite-difference gradient, ``n^2 + n + 1`` per interior finite-difference
    Hessian, one per line-search trial. With ``jit=False`` one extra probe call at the
    first start checks what `f` returns (counted in that start's ``nfev``).

    Examples
    --------
    >>> import numpy as np
    >>> import fastopt
    >>> def rosen(x):
    ...     return 100.0 * (x[1] - x[0] ** 2) ** 2 + (1.0 - x[0]) ** 2
    >>> res = fastopt.minimize(rosen, [-1.2, 1.0])
    >>> res.success, np.round(res.x, 6), res.nit, res.nfev
    (True, array([1., 1.]), 44, 262)
    >>> res = fastopt.minimize(rosen, [-1.2, 1.0], method="newton")
    >>> res.status.name, res.nit
    ('SUCCESS', 25)
    >>> starts = np.random.default_rng(0).uniform(-2, 2, size=(1000, 2))
    >>> res = fastopt.minimize(rosen, starts, bounds=[(-2, 2), (-2, 2)])
    >>> res.x.shape, bool(res.success.all()), int(res.nfev.sum()) > 0
    ((1000, 2), True, True)
    """
    p = _minimize_iv(f, x0, args, method, grad, hess, bounds, gtol, maxiter, jit, return_path)
    starts, batch_shape, n = p["starts"], p["batch_shape"], p["n"]
    args, method, maxiter = p["args"], p["method"], p["maxiter"]
    N = starts.shape[0]
    x = np.empty((N, n))
    fun = np.empty(N)
    g = np.empty((N, n))
    status = np.empty(N, dtype=np.int64)
    counts = np.zeros((N, 4), dtype=np.int64)
    path = np.full((N, maxiter + 1, n), np.nan) if return_path else np.empty((N, 0, n))
    work = N * _EVALS_PER_COORDINATE * n * n if N > 1 else 0
    kernel = select(_KERNELS[method], work=work, jit=jit, noargs=jit and not args)
    derivs = (p["grad"], p["hess"]) if method == "newton" else (p["grad"],)
    call = (p["f"], *derivs, starts, p["lo"], p["hi"], p["gtol"], maxiter, args, x, fun, g,
            status, counts, path)
    if jit:
        kernel(*call)
    else:
        with np.errstate(all="ignore"):
            kernel(*call)
    counts[0, 1] += p["probes"]
    _raise_for_derivatives(p, status, counts, x, fun, g)
    return _wrap(x, fun, g, status, counts, path, batch_shape, p)


# ------------------------------------------------------------------------------ checks


def _check_bool(name, value):
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"`{name}` must be True or False; got {value!r}")
    return bool(value)


def _as_starts(x0):
    arr = as_float_array("x0", x0)
    if arr.ndim == 0:
        raise ValueError(
            "`x0` must have shape (n,) (one start) or (..., n) (a batch of starts, one "
            f"per row); got a scalar {float(arr)!r} (write [{float(arr)!r}] for n = 1)"
        )
    n = arr.shape[-1]
    return arr.reshape(-1, n), arr.shape[:-1], n


def _none_to_inf(bounds):
    """scipy-style bounds may use None for a missing bound: map it to -inf/inf."""
    if isinstance(bounds, list | tuple):
        rows = []
        for row in bounds:
            if isinstance(row, list | tuple) and len(row) == 2:
                lo, hi = row
                rows.append((-np.inf if lo is None else lo, np.inf if hi is None else hi))
            else:
                return bounds
        return rows
    return bounds


def _objective(f, n, args, jit):
    try:
        return check_objective(f, (n,), args, jit=jit, returns="scalar")
    except TypeError as exc:
        msg = str(exc)
        if msg.startswith("`f` must return"):
            raise TypeError(f"minimize needs a real scalar objective: {msg}") from None
        raise


def _minimize_iv(f, x0, args, method, grad, hess, bounds, gtol, maxiter, jit, return_path):
    """Check every input of minimize; return the cleaned values in a dict."""
    if not callable(f):
        raise TypeError(f"`f` must be callable as f(x, *args); got {type(f).__name__}")
    starts, batch_shape, n = _as_starts(x0)
    if isinstance(method, str):
        method = method.lower()
    method = check_choice("method", method, METHODS)
    args = check_args(args)
    jit = _check_bool("jit", jit)
    return_path = _check_bool("return_path", return_path)
    lo, hi = check_derivative_bounds(_none_to_inf(bounds), starts, (n,), name="x0")
    gtol = check_positive_float("gtol", gtol)
    if maxiter is None:
        maxiter = _MAXITER_PER_COORDINATE[method] * n
    else:
        maxiter = check_int("maxiter", maxiter, minimum=1)
    if hess is not None and method != "newton":
        raise ValueError(
            f"`hess` is only used by method='newton'; got method={method!r} (drop hess, "
            "or use method='newton')"
        )
    if return_path:
        nbytes = starts.shape[0] * (maxiter + 1) * n * 8
        if nbytes > MAX_PATH_BYTES:
            raise ValueError(
                f"return_path=True would allocate {nbytes / 2**20:,.0f} MiB for "
                f"{starts.shape[0]} starts x {maxiter + 1} iterates, more than the cap "
                f"fastopt._minimize.MAX_PATH_BYTES = {MAX_PATH_BYTES / 2**20:,.0f} MiB; "
                "lower maxiter or the number of starts"
            )
    func = _objective(f, n, args, jit)
    gfunc = None
    hfunc = None
    if grad is not None:
        gfunc = check_derivative_function("grad", grad, (n,), args, jit=jit, out_shape=(n,))
    if hess is not None:
        hfunc = check_derivative_function("hess", hess, (n,), args, jit=jit,
                                          out_shape=(n, n))
    probes = 0
    if not jit:  # one probe evaluation checks what f returns
        try:
            check_probe(func(starts[0].copy(), *args), "scalar")
        except TypeError as exc:
            raise TypeError(f"minimize needs a real scalar objective: {exc}") from None
        probes = 1
    return {
        "f": func, "grad": gfunc, "hess": hfunc, "starts": starts,
        "batch_shape": batch_shape, "n": n, "method": method, "args": args, "lo": lo,
        "hi": hi, "gtol": gtol, "maxiter": maxiter, "probes": probes,
        "user_grad": grad, "user_hess": hess,
    }


def _where(batch_shape, p):
    if not batch_shape:
        return ""
    index = ", ".join(map(str, np.unravel_index(p, batch_shape)))
    return f" (start x0[{index}])"


def _raise_for_derivatives(p, status, counts, x, fun, g):
    """Raise for user derivatives of the wrong shape, or NaN/inf where f is finite."""
    if p["grad"] is None and p["hess"] is None:
        return  # finite differences: nothing of the user's to blame
    n, args, batch_shape = p["n"], p["args"], p["batch_shape"]
    for code, name, func, shape, what in (
        (kernels.BAD_GRAD_SHAPE, "grad", p["grad"], (n,), "the shape of x"),
        (kernels.BAD_HESS_SHAPE, "hess", p["hess"], (n, n), "(n, n) for x of shape (n,)"),
    ):
        bad = np.flatnonzero(status == code)
        if bad.size:
            q = int(bad[0])
            where = f" at x = {x[q].tolist()!r}{_where(batch_shape, q)}"
            with np.errstate(all="ignore"):
                value = func(x[q].copy(), *args)
            check_derivative_value(name, value, shape, what, finite=False, where=where)
            raise ValueError(f"`{name}` returned an array of the wrong size{where}")
    at_start = (status == Status.NONFINITE) & (counts[:, 0] == 0) & np.isfinite(fun)
    if not at_start.any():
        return
    gbad = at_start & ~np.isfinite(g).all(axis=1)
    if p["grad"] is not None and gbad.any():
        q = int(np.flatnonzero(gbad)[0])
        raise ValueError(
            f"`grad` returned NaN/inf at the start x = {x[q].tolist()!r}"
            f"{_where(batch_shape, q)}, where f is finite: check grad, or start elsewhere"
        )
    hbad = at_start & ~gbad
    if p["hess"] is not None and hbad.any():
        q = int(np.flatnonzero(hbad)[0])
        raise ValueError(
            f"`hess` returned NaN/inf at the start x = {x[q].tolist()!r}"
            f"{_where(batch_shape, q)}, where f and its gradient are finite: check hess, "
            "or start elsewhere"
        )


# ------------------------------------------------------------------------------ result


def _projected_gradient_norm(x, g, lo, hi):
    """``||x - P(x - g)||_inf`` of one start (as the kernels compute it; for messages)."""
    m = 0.0
    for xi, gi, li, hi_ in zip(x.tolist(), g.tolist(), lo.tolist(), hi.tolist(), strict=True):
        v = min(gi, xi - li) if gi > 0 else min(-gi, hi_ - xi) if gi < 0 else abs(gi)
        if not v <= m:
            m = v
    return m


def _message(status, pg, gtol, nit, maxiter):
    s = Status(status)
    if s == Status.SUCCESS:
        return f"converged: projected gradient norm {pg:.3g} <= gtol = {gtol:g} after {nit} " \
               "iterations"
    if s == Status.MAXITER:
        return (f"iteration limit maxiter = {maxiter} reached: projected gradient norm "
                f"{pg:.3g} > gtol = {gtol:g}")
    if s == Status.STALLED:
        return (f"line search found no decrease of f after {nit} iterations: projected "
                f"gradient norm {pg:.3g} > gtol = {gtol:g} (precision loss: the gradient "
                "is at the noise level of f or of its finite differences; raise gtol or "
                "pass grad=)")
    if s == Status.NONFINITE:
        if nit == 0:
            return "f or its gradient/Hessian is NaN/inf at the start"
        return f"f or its gradient/Hessian is NaN/inf at iterate {nit}"
    return f"f is unbounded below: f = -inf or the iterates overflowed at iterate {nit}"


def _wrap(x, fun, g, status, counts, path, batch_shape, p):
    N, n = x.shape
    nbad = int(np.count_nonzero((status == Status.NONFINITE) | (status == Status.DIVERGED)))
    if nbad:
        warnings.warn(
            f"minimize: NaN/inf met at {nbad} of {N} starts (status NONFINITE or DIVERGED); "
            "the other starts are unaffected",
            NonFiniteWarning,
            stacklevel=3,
        )
    if not batch_shape:
        s = Status(int(status[0]))
        nit = int(counts[0, 0])
        pg = _projected_gradient_norm(x[0], g[0], p["lo"], p["hi"])
        return MinimizeResult(
            x=x[0], fun=float(fun[0]), grad=g[0], nit=nit, nfev=int(counts[0, 1]),
            ngev=int(counts[0, 2]), nhev=int(counts[0, 3]), status=s,
            success=s == Status.SUCCESS,
            message=_message(s, pg, p["gtol"], nit, p["maxiter"]),
            path=path[0, : nit + 1].copy() if path.shape[1] else None,
        )
    table = np.array([_MESSAGES.get(Status(k), "") for k in range(max(Status) + 1)])
    shape = tuple(batch_shape)
    return MinimizeResult(
        x=x.reshape(shape + (n,)),
        fun=fun.reshape(shape),
        grad=g.reshape(shape + (n,)),
        nit=counts[:, 0].reshape(shape),
        nfev=counts[:, 1].reshape(shape),
        ngev=counts[:, 2].reshape(shape),
        nhev=counts[:, 3].reshape(shape),
        status=status.astype(np.int8).reshape(shape),
        success=(status == Status.SUCCESS).reshape(shape),
        message=table[status].reshape(shape),
        path=path.reshape(shape + path.shape[1:]) if path.shape[1] else None,
    )


# ------------------------------------------------------------------ grid_search(finish=)


def check_finish(finish):
    """Return the local method for ``grid_search(finish=...)`` (None: no polishing)."""
    if finish is None:
        return None
    if isinstance(finish, str):
        finish = finish.lower()
    return check_choice("finish", finish, (None, *METHODS))


def polish(f, xs, lo, hi, args, method, jit):
    """Polish grid points (rows of `xs`) with `method` inside the box.

    Returns the result (of one start if `xs` has one row) and a one-line summary for the
    grid's message.
    """
    starts = xs[0] if xs.shape[0] == 1 else xs
    res = minimize(f, starts, args=args, method=method, bounds=np.column_stack([lo, hi]),
                   jit=jit)
    if xs.shape[0] == 1:
        summary = (f"polished the best grid point with {method} ({res.nfev} evaluations): "
                   f"{res.message}")
    else:
        summary = (f"polished the {xs.shape[0]} best grid points with {method} "
                   f"({int(res.nfev.sum())} evaluations): "
                   f"{int(res.success.sum())} converged")
    return res, summary
