"""fastopt: Numba-JIT parallel finite-difference derivatives, optimality tests and grid search.

The public API is re-exported here; the njit-callable kernels live in
:mod:`fastopt.kernels`. Importing fastopt compiles nothing.
"""

from ._check import check_grad, check_hessian
from ._critical import classify_hessians, classify_points, find_critical_points
from ._differentiate import gradient, hessian, jacobian, taylor
from ._directional import (
    directional_curvature,
    directional_derivative,
    hvp,
    second_directional_derivative,
)
from ._distributed import warm_up_workers
from ._expr import Expression, compile_expression
from ._grid import grid_search
from ._minimize import minimize
from ._result import (
    CriticalPoints,
    DerivativeResult,
    DirectionalResult,
    GradientCheck,
    GridResult,
    HessianCheck,
    HessianClassification,
    MinimizeResult,
    NonFiniteWarning,
    PointClassification,
    PointType,
    Status,
    TaylorModel,
)

__version__ = "0.1.0"

__all__ = [
    "CriticalPoints",
    "DerivativeResult",
    "DirectionalResult",
    "Expression",
    "GradientCheck",
    "HessianCheck",
    "HessianClassification",
    "MinimizeResult",
    "GridResult",
    "NonFiniteWarning",
    "PointClassification",
    "PointType",
    "Status",
    "TaylorModel",
    "__version__",
    "check_grad",
    "check_hessian",
    "compile_expression",
    "classify_hessians",
    "classify_points",
    "directional_curvature",
    "directional_derivative",
    "find_critical_points",
    "gradient",
    "grid_search",
    "hessian",
    "hvp",
    "jacobian",
    "minimize",
    "second_directional_derivative",
    "taylor",
    "warm_up_workers",
]
