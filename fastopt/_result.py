"""Frozen result dataclasses and the integer enums shared with the kernels.

The enums are :class:`enum.IntEnum`, so kernels write plain integers and Python code
compares them with the named members (numba also accepts IntEnum members in njit code).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

__all__ = ["Status", "PointType", "DerivativeResult", "GridResult", "NonFiniteWarning"]


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
    """

    SUCCESS = 0
    NONFINITE = 1
    MAXITER = 2
    INTERRUPTED = 3


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
        The absolute step used for each coordinate of each point (shape of ``x``).
    status : ndarray of int
        :class:`Status` code per point (batch shape; a 0-d array for one point).
    """

    value: np.ndarray
    error: np.ndarray
    nfev: int
    step: np.ndarray
    status: np.ndarray

    @property
    def success(self) -> bool:
        """Whether every point was computed without numerical trouble."""
        return bool(np.all(self.status == Status.SUCCESS))


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

    @property
    def success(self) -> bool:
        """Whether the whole grid was scanned and a finite value found."""
        return self.status == Status.SUCCESS
