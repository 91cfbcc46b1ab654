"""The njit-callable layer of fastopt.

Everything listed in ``__all__`` is a numba kernel (or a constant or a small Python
helper that prepares kernel arguments) that users may call from their own ``@njit``
code. Conventions: objective first, contiguous float64 arrays, preallocated ``out`` last,
no defaults. The ``*_point`` kernels are serial and safe inside a user's ``prange``; the
``*_batch`` kernels are parallel over work items.
"""

from ._batch import (
    chunk_bounds,
    gradient_batch,
    gradient_complex_batch,
    gradient_richardson_batch,
    hessian_batch,
    jacobian_batch,
    jacobian_complex_batch,
    jacobian_richardson_batch,
    num_chunks,
    symmetrize_batch,
    values_batch,
)
from ._bounded import hessian_bounded_batch
from ._fd import (
    CENTRAL2,
    FORWARD1,
    GRADIENT_ORDERS,
    HESSIAN_ORDERS,
    gradient_central,
    gradient_point,
    hessian_point,
    jacobian_point,
    stencil,
)
from ._grid import (
    grid_argmin,
    grid_point,
    grid_points,
    grid_scan_range,
    grid_topk,
    grid_topk_range,
    grid_values,
    merge_argmin,
    merge_topk,
    topk_of_values,
)
from ._steps import EPS, absolute_steps, default_relative_step, step_size

__all__ = [
    "CENTRAL2",
    "EPS",
    "FORWARD1",
    "GRADIENT_ORDERS",
    "HESSIAN_ORDERS",
    "absolute_steps",
    "chunk_bounds",
    "default_relative_step",
    "gradient_batch",
    "gradient_central",
    "gradient_complex_batch",
    "gradient_richardson_batch",
    "gradient_point",
    "grid_argmin",
    "grid_point",
    "grid_points",
    "grid_scan_range",
    "grid_topk",
    "grid_topk_range",
    "grid_values",
    "hessian_batch",
    "hessian_bounded_batch",
    "hessian_point",
    "jacobian_batch",
    "jacobian_complex_batch",
    "jacobian_point",
    "jacobian_richardson_batch",
    "merge_argmin",
    "merge_topk",
    "num_chunks",
    "stencil",
    "step_size",
    "symmetrize_batch",
    "topk_of_values",
    "values_batch",
]
