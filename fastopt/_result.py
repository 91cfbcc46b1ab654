"""Frozen result dataclasses and the integer enums shared with the kernels.

The enums are :class:`enum.IntEnum`, so kernels write plain integers and Python code
compares them with the named members (numba also accepts IntEnum members in njit code).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

__all__ = [
    "DirectionalResult", "GradientCheck", "HessianCheck",
    "Status", "PointType", "DerivativeResult", "TaylorModel", "GridResult", "NonFiniteWarning",
    "HessianClassification", "PointClassification", "CriticalPoints",
    "MinimizeResult",
]


class Status(IntEnum):
    """Per-entry outcome of a computation.

    Attributes
    ----------
    SUCCESS
        Computed, every value finite.
    NONFINITE
        The objective returned NaN/inf (or the result overflowed) for this entry; the
        affected values are NaN or inf and every other entry is unaffected.
    MAXITER
        An iterative method stopped at its iteration limit.
    INTERRUPTED
        The computation was interrupted (Ctrl-C); partial results are kept.
    STALLED
        A local method's line search found no acceptable step before the gradient
        test was met (typically the gradient is at the noise level of `f` or of its
        finite differences); the last iterate is kept.
    DIVERGED
        A local method met ``f = -inf`` or iterates that overflowed: `f` is unbounded
        below along the path.
    """

    SUCCESS = 0
    NONFINITE = 1
    MAXITER = 2
    INTERRUPTED = 3
    STALLED = 4
    DIVERGED = 5


class PointType(IntEnum):
    """Verdict of the first- and second-order optimality tests at a point.

    Attributes
    ----------
    MINIMUM
        Gradient zero, Hessian positive definite (second-order sufficient condition).
    MAXIMUM
        Gradient zero, Hessian negative definite.
    SADDLE
        Gradient zero, Hessian indefinite (eigenvalues of both signs).
    DEGENERATE
        Gradient zero, Hessian singular and not indefinite: the second-order test is
        inconclusive.
    NOT_CRITICAL
        The gradient is not zero (first-order test fails).
    NONFINITE
        NaN/inf in the objective, gradient or Hessian at this point.
    """

    MINIMUM = 0
    MAXIMUM = 1
    SADDLE = 2
    DEGENERATE = 3
    NOT_CRITICAL = 4
    NONFINITE = 5


@dataclass(frozen=True, slots=True)
class DerivativeResult:
    """A finite-difference derivative with its bookkeeping.

    Attributes
    ----------
    value : ndarray
        The derivative; the same array the plain call returns.
    error : ndarray
        Estimated absolute error of each entry of `value`; NaN where the method gives no
        estimate (the plain stencils).
    nfev : int
        Number of calls of the objective made by this call, over the whole batch.
    step : ndarray
        The absolute step used for each coordinate of each point (shape of ``x``); for
        Richardson extrapolation the largest of its steps ``h / 2^l``.
    status : ndarray of int
        :class:`Status` code per point (batch shape; a 0-d array for one point).
    ngev : int
        Number of calls of a user gradient (``hessian(..., grad=...)``), else 0.
    """

    value: np.ndarray
    error: np.ndarray
    nfev: int
    step: np.ndarray
    status: np.ndarray
    ngev: int = 0

    @property
    def success(self) -> bool:
        """Whether every point was computed without numerical trouble."""
        return bool(np.all(self.status == Status.SUCCESS))


@dataclass(frozen=True, slots=True)
class TaylorModel:
    """Local Taylor model ``f(x + d) ~ fun + <grad, d> + 1/2 <d, hess d>``.

    Attributes
    ----------
    x : ndarray
        Expansion point(s), batch shape + point shape.
    fun : ndarray
        f(x) per point (batch shape).
    grad : ndarray
        Gradient, shape of `x`.
    hess : ndarray or None
        Hessian, batch shape + point shape + point shape (None for a first-order model).
    nfev : int
        Objective evaluations used for all of it.
    order : int
        1 (linear model) or 2 (quadratic model).

    Examples
    --------
    >>> import numpy as np
    >>> from fastopt import TaylorModel
    >>> m = TaylorModel(x=np.zeros(2), fun=np.array(1.0), grad=np.array([1.0, 0.0]),
    ...                 hess=np.eye(2), nfev=7, order=2)
    >>> float(m([2.0, 1.0]))
    5.5
    """

    x: np.ndarray
    fun: np.ndarray
    grad: np.ndarray
    hess: np.ndarray | None
    nfev: int
    order: int

    def __call__(self, delta):
        """Evaluate the model at ``x + delta``; `delta` has the point shape or x's shape."""
        d = np.asarray(delta, dtype=np.float64)
        pshape = self.grad.shape[self.fun.ndim :]
        n = int(np.prod(pshape))
        if d.shape[d.ndim - len(pshape) :] != pshape:
            raise ValueError(
                f"`delta` must end with the point shape {pshape}; got shape {d.shape}"
            )
        batch = d.shape[: d.ndim - len(pshape)]
        d = d.reshape(batch + (n,))
        g = self.grad.reshape(self.fun.shape + (n,))
        value = self.fun + np.sum(g * d, axis=-1)
        if self.hess is not None:
            H = self.hess.reshape(self.fun.shape + (n, n))
            value = value + 0.5 * np.einsum("...i,...ij,...j->...", d, H, d)
        return value


class NonFiniteWarning(RuntimeWarning):
    """Some entries of a batch met NaN/inf; they are marked, the rest are right."""


@dataclass(frozen=True, slots=True)
class GridResult:
    """Outcome of :func:`fastopt.grid_search`.

    Attributes
    ----------
    x : ndarray, shape (n,)
        The best grid point (NaN if no finite value was found).
    fun : float
        ``f(x)``: the smallest finite value on the (scanned) grid; NaN if none.
    index : int
        Flat index of `x` in C order (``np.unravel_index(index, num)`` gives the
        per-axis positions); the lowest one among ties, as ``np.argmin``. -1 if none.
    xs : ndarray, shape (m, n)
        The ``m = min(k, number of finite values)`` best points, best first (by value,
        then flat index). ``xs[0]`` is `x`.
    funs : ndarray, shape (m,)
        Their values.
    indices : ndarray of int64, shape (m,)
        Their flat indices.
    nfev : int
        Number of objective evaluations.
    num : tuple of int
        Points per axis; the grid has ``prod(num)`` points.
    spacing : ndarray, shape (n,)
        Grid spacing per axis, ``(hi - lo) / (num - 1)`` (``hi - lo`` where ``num == 1``).
    nnonfinite : int
        Number of grid points where `f` returned NaN or +-inf (skipped).
    status : Status
        ``SUCCESS``; ``INTERRUPTED`` (Ctrl-C or a progress callback raised
        KeyboardInterrupt: the fields describe the scanned prefix of the grid); or
        ``NONFINITE`` (no finite value on the whole grid).
    elapsed : float
        Wall-clock seconds of the scan (excluding input checks and compilation).
    bound : float or None
        With ``lipschitz=L``: a guaranteed upper bound of ``fun - min(f over the box)``,
        ``L * ||spacing||_2 / 2``; ``inf`` when no guarantee holds (interrupted scan, or
        NaN/inf values met). None without `lipschitz`.
    values : ndarray or None
        With ``return_values=True``: every value, shape `num` (NaN where not scanned).
    message : str
        A one-line description of the outcome.
    polished : MinimizeResult or None
        With ``finish=``: the local method's result from the best grid point (from the
        `k` best, batched, if ``k > 1``), inside the bounds; its ``nfev`` counts the
        evaluations of the polishing only. None without `finish` or if the scan did not
        succeed.
    """

    x: np.ndarray
    fun: float
    index: int
    xs: np.ndarray
    funs: np.ndarray
    indices: np.ndarray
    nfev: int
    num: tuple
    spacing: np.ndarray
    nnonfinite: int
    status: Status
    elapsed: float
    bound: float | None
    values: np.ndarray | None
    message: str
    polished: MinimizeResult | None = None

    @property
    def success(self) -> bool:
        """Whether the whole grid was scanned and a finite value found."""
        return self.status == Status.SUCCESS


@dataclass(frozen=True, slots=True)
class DirectionalResult:
    """A directional derivative or Hessian-vector product with its bookkeeping.

    Returned by :func:`fastopt.hvp`, :func:`fastopt.directional_derivative`,
    :func:`fastopt.directional_curvature` and
    :func:`fastopt.second_directional_derivative` with ``full_output=True``.

    Attributes
    ----------
    value : ndarray or float
        The plain call's return value.
    nfev : int
        Calls of the objective over the whole batch.
    ngev : int
        Calls of the user gradient (``hvp(..., grad=...)``), else 0.
    step : ndarray or float
        Per point (batch shape), the step ``t`` along the direction: the points used are
        ``x +- t v`` (``x +- t u`` for the curvature).
    cross_step : ndarray, float or None
        The second step: ``s`` along `u` for ``second_directional_derivative`` (batch
        shape), and for ``hvp`` without `grad` the step ``s_i`` along each coordinate
        axis (shape of ``x``); None otherwise.
    status : ndarray of int
        :class:`Status` code per point (batch shape; a 0-d array for one point).
    """

    value: np.ndarray | float
    nfev: int
    ngev: int
    step: np.ndarray | float
    cross_step: np.ndarray | float | None
    status: np.ndarray

    @property
    def success(self) -> bool:
        """Whether every point was computed without numerical trouble."""
        return bool(np.all(self.status == Status.SUCCESS))


@dataclass(frozen=True, slots=True)
class GradientCheck:
    """Outcome of :func:`fastopt.check_grad`: a user gradient against `f` itself.

    Attributes
    ----------
    ok : bool
        True when, at every point, the gradient agrees with finite differences within
        the tolerance *and* the Taylor remainder decreases at the expected order (or is
        at round-off level throughout).
    message : str
        The verdict in words, naming the worst coordinate.
    user_value : ndarray
        The user's gradient (shape of ``x``; transposed back if `grad` returned the
        transpose of a non-square matrix point, which is reported as wrong).
    fd_value : ndarray
        Central order-4 finite-difference gradient (shape of ``x``).
    error : ndarray
        ``|user_value - fd_value|`` (shape of ``x``).
    rel_error : ndarray
        ``error / max(|user|, |fd|, noise / rtol)`` per coordinate: relative error, with
        values below the finite-difference noise level counted at that level. A
        coordinate passes when it is ``<= rtol``.
    max_rel_error : float
        The largest `rel_error`.
    worst : tuple of int
        Index into ``x`` of the coordinate with the largest `rel_error`.
    tolerance : ndarray
        Allowed ``error`` per coordinate: ``max(rtol * max(|user|, |fd|), noise + atol)``.
    direction : ndarray
        The direction ``d`` of the Taylor test (shape of ``x``).
    t : ndarray, shape (K,)
        The steps of the Taylor test.
    remainders : ndarray
        ``|f(x + t d) - f(x) - t <g, d>|`` per point and step (batch shape + (K,)).
    noise : ndarray
        Round-off level of each remainder; remainders below it are left out of the fit.
    observed_order : float or ndarray
        Least-squares slope of ``log(remainder)`` against ``log(t)`` over the remainders
        above round-off, per point; NaN when fewer than two are.
    expected_order : int
        2: the remainder of a correct gradient is ``O(t^2)`` (``O(t)`` for a wrong one).
    point_ok : ndarray of bool
        The verdict per point (batch shape; 0-d for one point).
    nfev : int
        Calls of the objective.
    ngev : int
        Calls of the user gradient.
    """

    ok: bool
    message: str
    user_value: np.ndarray
    fd_value: np.ndarray
    error: np.ndarray
    rel_error: np.ndarray
    max_rel_error: float
    worst: tuple
    tolerance: np.ndarray
    direction: np.ndarray
    t: np.ndarray
    remainders: np.ndarray
    noise: np.ndarray
    observed_order: np.ndarray | float
    expected_order: int
    point_ok: np.ndarray
    nfev: int
    ngev: int

    def __bool__(self) -> bool:
        """Return the verdict, so that ``assert fastopt.check_grad(...)`` works."""
        return bool(self.ok)


@dataclass(frozen=True, slots=True)
class HessianCheck:
    """Outcome of :func:`fastopt.check_hessian`: a user Hessian against `f` itself.

    Attributes
    ----------
    ok, message, error, rel_error, max_rel_error, tolerance
        As in :class:`GradientCheck`, for Hessian entries (``error`` etc. have shape
        batch + point + point).
    direction, t, noise, point_ok, nfev, ngev
        As in :class:`GradientCheck`.
    user_value : ndarray
        The user's Hessian.
    fd_value : ndarray
        Central order-4 finite-difference Hessian.
    worst : tuple of int
        Index of the entry with the largest `rel_error`.
    remainders : ndarray
        ``|f(x + t d) - f(x) - t <g, d> - t^2/2 <d, H d>|`` per point and step.
    observed_order : float or ndarray
        Fitted order of the remainders (NaN when fewer than two are above round-off).
    expected_order : int
        3: the remainder of a correct Hessian (and gradient) is ``O(t^3)``; a wrong
        Hessian leaves ``O(t^2)``, a wrong gradient ``O(t)``.
    gradient_source : str
        ``"grad"`` (the user's gradient was used in the remainder) or
        ``"finite differences"``.
    nhev : int
        Calls of the user Hessian.
    """

    ok: bool
    message: str
    user_value: np.ndarray
    fd_value: np.ndarray
    error: np.ndarray
    rel_error: np.ndarray
    max_rel_error: float
    worst: tuple
    tolerance: np.ndarray
    direction: np.ndarray
    t: np.ndarray
    remainders: np.ndarray
    noise: np.ndarray
    observed_order: np.ndarray | float
    expected_order: int
    point_ok: np.ndarray
    gradient_source: str
    nfev: int
    ngev: int
    nhev: int

    def __bool__(self) -> bool:
        """Return the verdict, so that ``assert fastopt.check_hessian(...)`` works."""
        return bool(self.ok)


def _semidefinite(inertia: np.ndarray, column: int) -> np.ndarray:
    """No eigenvalue on the wrong side of the tolerance (False where not computed)."""
    return (inertia[..., column] == 0) & (inertia[..., 1] >= 0)


@dataclass(frozen=True, slots=True)
class HessianClassification:
    """Second-order test of a stack of symmetric matrices (:func:`fastopt.classify_hessians`).

    Attributes
    ----------
    kind : ndarray of int8
        :class:`PointType` per matrix (batch shape): MINIMUM (all eigenvalues > tol),
        MAXIMUM (all < -tol), SADDLE (some > tol and some < -tol), DEGENERATE
        (otherwise), NONFINITE (NaN/inf entries).
    eigenvalues : ndarray or None
        Ascending eigenvalues, shape batch + (n,) (NaN rows for NONFINITE); None for
        ``eigenvalues=False``.
    inertia : ndarray of int
        Counts ``(neg, zero, pos)`` of eigenvalues ``< -tol``, in ``[-tol, tol]``,
        ``> tol``, shape batch + (3,); ``-1`` for NONFINITE.
    tol : ndarray
        The zero tolerance used per matrix (batch shape).

    Examples
    --------
    >>> import numpy as np
    >>> import fastopt
    >>> res = fastopt.classify_hessians(np.diag([2.0, 0.0]))
    >>> res.kind == fastopt.PointType.DEGENERATE, bool(res.positive_semidefinite)
    (np.True_, True)
    """

    kind: np.ndarray
    eigenvalues: np.ndarray | None
    inertia: np.ndarray
    tol: np.ndarray

    @property
    def positive_semidefinite(self) -> np.ndarray:
        """No eigenvalue below ``-tol``: the necessary condition for a minimum holds."""
        return _semidefinite(self.inertia, 0)

    @property
    def negative_semidefinite(self) -> np.ndarray:
        """No eigenvalue above ``tol``: the necessary condition for a maximum holds."""
        return _semidefinite(self.inertia, 2)


@dataclass(frozen=True, slots=True)
class PointClassification:
    """First- and second-order tests at a batch of points (:func:`fastopt.classify_points`).

    Attributes
    ----------
    kind : ndarray of int8
        :class:`PointType` per point (batch shape): NOT_CRITICAL if
        ``grad_norm > gtol``, else the verdict of the Hessian's eigenvalues against
        `tol`; NONFINITE if NaN/inf occurred anywhere for that point.
    grad_norm : ndarray
        Euclidean norm of the finite-difference gradient.
    eigenvalues : ndarray
        Ascending eigenvalues of the finite-difference Hessian, batch + (n,).
    inertia : ndarray of int
        ``(neg, zero, pos)`` counts against `tol`, batch + (3,); ``-1`` if NONFINITE.
    gtol, tol : ndarray
        The tolerances used per point (from the error model unless given).
    fun : ndarray
        ``f(x)`` per point.
    gradient, hessian : ndarray
        The finite-difference derivatives, batch + point shape (+ point shape).
    nfev : int
        Objective evaluations over the whole batch.

    Examples
    --------
    >>> import numpy as np
    >>> import fastopt
    >>> def f(x):
    ...     return x[0] ** 2 - x[1] ** 2
    >>> res = fastopt.classify_points(f, [[0.0, 0.0], [1.0, 0.0]])
    >>> [fastopt.PointType(k).name for k in res.kind]
    ['SADDLE', 'NOT_CRITICAL']
    """

    kind: np.ndarray
    grad_norm: np.ndarray
    eigenvalues: np.ndarray
    inertia: np.ndarray
    gtol: np.ndarray
    tol: np.ndarray
    fun: np.ndarray
    gradient: np.ndarray
    hessian: np.ndarray
    nfev: int

    @property
    def positive_semidefinite(self) -> np.ndarray:
        """No eigenvalue below ``-tol``: the necessary condition for a minimum holds."""
        return _semidefinite(self.inertia, 0)

    @property
    def negative_semidefinite(self) -> np.ndarray:
        """No eigenvalue above ``tol``: the necessary condition for a maximum holds."""
        return _semidefinite(self.inertia, 2)


@dataclass(frozen=True, slots=True)
class CriticalPoints:
    """The critical points found in a box (:func:`fastopt.find_critical_points`).

    One entry per distinct critical point, sorted by `fun` (ties by `x`).

    Attributes
    ----------
    x : ndarray
        The points, shape (k, n).
    fun : ndarray
        ``f(x)``, shape (k,).
    kind : ndarray of int8
        :class:`PointType`: MINIMUM, MAXIMUM, SADDLE or DEGENERATE.
    eigenvalues : ndarray
        Ascending Hessian eigenvalues, shape (k, n).
    grad_norm : ndarray
        Gradient norm at `x` (at most `gtol`).
    inertia : ndarray of int
        ``(neg, zero, pos)`` per point, shape (k, 3).
    hits : ndarray of int
        Number of Newton starts that ended at each point.
    nstart : int
        Number of Newton starts (grid points).
    nfev : int
        Objective evaluations in total.

    Examples
    --------
    >>> import numpy as np
    >>> import fastopt
    >>> def f(x):
    ...     return (x[0] ** 2 - 1.0) ** 2
    >>> res = fastopt.find_critical_points(f, [(-2.0, 2.1)], num=20)
    >>> np.round(res.x.ravel(), 6) + 0.0, [fastopt.PointType(k).name for k in res.kind]
    (array([-1.,  1.,  0.]), ['MINIMUM', 'MINIMUM', 'MAXIMUM'])
    """

    x: np.ndarray
    fun: np.ndarray
    kind: np.ndarray
    eigenvalues: np.ndarray
    grad_norm: np.ndarray
    inertia: np.ndarray
    hits: np.ndarray
    nstart: int
    nfev: int

    def __len__(self) -> int:
        """Return the number of critical points found."""
        return int(self.fun.shape[0])


@dataclass(frozen=True, slots=True)
class MinimizeResult:
    """Outcome of :func:`fastopt.minimize` (scipy's field names).

    For one start (``x0`` of shape (n,)) the fields are scalars; for a batch of starts
    (``x0`` of shape ``batch + (n,)``) they are arrays of the batch shape (``x`` and
    ``grad``: ``batch + (n,)``), one entry per start.

    Attributes
    ----------
    x : ndarray
        The final iterate(s).
    fun : float or ndarray
        ``f(x)``.
    grad : ndarray
        The gradient at `x` (finite-difference or the user's); NaN where not computed.
    nit : int or ndarray
        Iterations (accepted steps).
    nfev : int or ndarray
        Calls of `f`, including every call inside finite differences and line searches.
    ngev, nhev : int or ndarray
        Calls of the user's `grad` and `hess` (0 with finite differences).
    status : Status or ndarray of int8
        ``SUCCESS`` (projected gradient norm <= gtol), ``MAXITER``, ``STALLED`` (line
        search failed), ``NONFINITE`` (NaN/inf in f or its derivatives) or
        ``DIVERGED`` (f unbounded below).
    success : bool or ndarray of bool
        ``status == SUCCESS``.
    message : str or ndarray of str
        The outcome in words.
    path : ndarray or None
        With ``return_path=True``: the iterates, ``x0`` first. One start: shape
        ``(nit + 1, n)``; a batch: ``batch + (maxiter + 1, n)``, rows after ``nit``
        NaN.

    Examples
    --------
    >>> import numpy as np
    >>> import fastopt
    >>> def f(x):
    ...     return (x[0] - 1.0) ** 2 + 10.0 * (x[1] + 2.0) ** 2
    >>> res = fastopt.minimize(f, [0.0, 0.0])
    >>> res.success, np.round(res.x, 8) + 0.0, res.status.name
    (True, array([ 1., -2.]), 'SUCCESS')
    """

    x: np.ndarray
    fun: float | np.ndarray
    grad: np.ndarray
    nit: int | np.ndarray
    nfev: int | np.ndarray
    ngev: int | np.ndarray
    nhev: int | np.ndarray
    status: Status | np.ndarray
    success: bool | np.ndarray
    message: str | np.ndarray
    path: np.ndarray | None = None
