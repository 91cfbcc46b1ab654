"""fastopt: Numba-JIT parallel finite-difference derivatives, optimality tests and grid search.

The public API is re-exported here; the njit-callable kernels live in
:mod:`fastopt.kernels`. Importing fastopt compiles nothing.
"""

from ._differentiate import gradient, hessian, jacobian, taylor
from ._grid import grid_search
from ._result import (
    DerivativeResult,
    GridResult,
    NonFiniteWarning,
    PointType,
    Status,
    TaylorModel,
)

__version__ = "0.1.0"

__all__ = [
    "DerivativeResult",
    "GridResult",
    "NonFiniteWarning",
    "PointType",
    "Status",
    "TaylorModel",
    "__version__",
    "gradient",
    "grid_search",
    "hessian",
    "jacobian",
    "taylor",
]
