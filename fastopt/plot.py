"""Figures: landscapes with classified critical points, curves, paths, comparisons.

matplotlib is an optional dependency (``pip install fastopt[plot]``) imported only when
a function here is called. The figures are :class:`matplotlib.figure.Figure` objects
created without :mod:`matplotlib.pyplot`: no GUI backend, no display and no global
figure list are involved, so they work the same in scripts, on servers and in tests.
In a notebook the returned figure displays itself; in a script pass ``filename=``.

Functions
---------
landscape
    Filled contours of ``f(x, y)`` over a box, critical points marked by kind
    (minimum, maximum, saddle, degenerate), optional points and optimisation paths.
curve
    ``f(x)`` over an interval, critical points marked by kind.
paths
    Optimisation paths (iterates) drawn over the landscape.
comparison
    Error versus number of evaluations for several methods (grid search versus
    derivative-based methods), log-log.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from ._result import PointType

__all__ = ["comparison", "curve", "landscape", "paths", "KIND_STYLE"]

#: Marker style per :class:`~fastopt.PointType`: (label, marker, colour).
KIND_STYLE = {
    PointType.MINIMUM: ("minimum", "o", "#2ca02c"),
    PointType.MAXIMUM: ("maximum", "^", "#d62728"),
    PointType.SADDLE: ("saddle", "X", "#ff7f0e"),
    PointType.DEGENERATE: ("degenerate", "s", "#9467bd"),
}

_POINT_MARKERS = ("*", "P", "D", "v", "<", ">", "h")
_PATH_COLOURS = ("#ffffff", "#17becf", "#e377c2", "#bcbd22", "#8c564b", "#1f77b4")


def _figure(ax, size=(6.4, 5.0)):
    """Return (figure, axes): the user's axes, or a new pyplot-free figure."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(
            "fastopt.plot needs matplotlib: pip install 'fastopt[plot]' (or matplotlib)"
        ) from None
    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.add_subplot()


def _finish(fig, filename):
    if filename is not None:
        fig.savefig(filename, dpi=110)
    return fig


def _box(bounds, n):
    arr = np.asarray(bounds, dtype=np.float64)
    if n == 1 and arr.shape == (2,):
        arr = arr.reshape(1, 2)
    if arr.shape != (n, 2) or not np.all(np.isfinite(arr)) or np.any(arr[:, 0] >= arr[:, 1]):
        raise ValueError(
            f"`bounds` must be {n} finite (lo, hi) pair{'s' if n > 1 else ''} with lo < hi; "
            f"got {bounds!r}"
        )
    return arr


def _evaluate(f, points, args):
    """Evaluate `f` at every row of `points`."""
    out = np.empty(points.shape[0])
    with np.errstate(all="ignore"):
        for i, p in enumerate(points):
            out[i] = float(f(np.ascontiguousarray(p), *args))
    return out


def _critical_arrays(critical):
    """(x, kind) arrays from a CriticalPoints/PointClassification or an (x, kind) pair."""
    if critical is None:
        return None, None
    if isinstance(critical, tuple) and len(critical) == 2:
        x, kind = critical
    else:
        x, kind = critical.x, critical.kind
    return np.asarray(x, dtype=np.float64), np.asarray(kind).reshape(-1)


def _scaled(values, scale):
    """Values for colouring, and a colour-bar label suffix."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return values, ""
    lo = float(finite.min())
    if scale == "auto":
        q50, q99 = np.quantile(finite, [0.5, 0.99])
        skewed = (q99 - lo) > 20.0 * max(q50 - lo, 1e-300)
        scale = "log" if skewed else "linear"
    if scale == "log":
        return np.log10(1.0 + (values - lo)), f"log10(1 + f - {lo:.3g})"
    if scale != "linear":
        raise ValueError(f"`scale` must be 'auto', 'linear' or 'log'; got {scale!r}")
    return values, "f"


def _mark_critical(ax, x, kind, one_d=False, fvals=None):
    for k, (label, marker, colour) in KIND_STYLE.items():
        sel = kind == k
        if not np.any(sel):
            continue
        if one_d:
            ax.plot(x[sel, 0], fvals[sel], marker, color=colour, markersize=8,
                    markeredgecolor="black", linestyle="none", label=label, zorder=5)
        else:
            ax.plot(x[sel, 0], x[sel, 1], marker, color=colour, markersize=9,
                    markeredgecolor="black", linestyle="none", label=label, zorder=5)


def landscape(
    f: Callable | None,
    bounds,
    *,
    args: tuple = (),
    num: int = 200,
    values=None,
    critical=None,
    points: Mapping | None = None,
    paths: Mapping | None = None,
    levels: int = 30,
    scale: str = "auto",
    labels: Sequence[str] = ("x", "y"),
    title: str | None = None,
    ax=None,
    filename=None,
):
    """Draw filled contours of a 2-D function with its critical points marked by kind.

    Parameters
    ----------
    f : callable or None
        ``f(x, *args) -> float`` with ``x`` of shape (2,) (any Python or numba
        function). May be None when `values` is given.
    bounds : array_like, shape (2, 2)
        The box ``[(x_lo, x_hi), (y_lo, y_hi)]``.
    args : tuple, optional
        Extra arguments of `f`.
    num : int, optional
        Points per axis at which `f` is evaluated (``num**2`` calls).
    values : array_like, shape (num_x, num_y), optional
        Precomputed values on ``np.linspace`` grids of the box (first axis x), e.g.
        ``grid_search(..., return_values=True).values``; then `f` is not called.
    critical : CriticalPoints, PointClassification or (x, kind), optional
        Points to mark by kind: minimum (green circle), maximum (red triangle), saddle
        (orange cross), degenerate (purple square), see :data:`KIND_STYLE`. Points of
        other kinds (not critical, NaN) are not drawn.
    points : mapping of str to array_like, optional
        Extra labelled points (each shape (2,) or (m, 2)), e.g. ``{"grid best": x}``.
    paths : mapping of str to array_like, optional
        Optimisation paths: label -> iterates of shape (k, 2), drawn as lines from a
        hollow start marker to a filled end marker.
    levels : int, optional
        Number of contour levels.
    scale : {"auto", "linear", "log"}, optional
        Colour scale. ``"log"`` colours ``log10(1 + f - min f)``, which shows the
        structure near the minima of functions with a large range; ``"auto"`` picks it
        when the values are very skewed.
    labels : sequence of str, optional
        Axis labels (the variable names).
    title : str, optional
        Axes title.
    ax : matplotlib Axes, optional
        Draw into these axes instead of a new figure.
    filename : str or path, optional
        Save the figure there (format from the extension, e.g. ``.png``).

    Returns
    -------
    matplotlib.figure.Figure
        The figure (in a notebook it displays itself).

    Raises
    ------
    ImportError
        If matplotlib is not installed (``pip install fastopt[plot]``).

    Examples
    --------
    >>> import fastopt
    >>> from fastopt import plot
    >>> def f(x):
    ...     return x[0] ** 2 - x[1] ** 2
    >>> box = [(-1.0, 1.0), (-1.0, 1.0)]
    >>> crit = fastopt.find_critical_points(f, box, num=5)
    >>> fig = plot.landscape(f, box, num=50, critical=crit, title="x^2 - y^2")
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['saddle']
    """
    box = _box(bounds, 2)
    if values is None:
        if f is None:
            raise TypeError("landscape needs `f` or `values`")
        num = int(num)
        if num < 2:
            raise ValueError(f"`num` must be >= 2; got {num}")
        xs = np.linspace(box[0, 0], box[0, 1], num)
        ys = np.linspace(box[1, 0], box[1, 1], num)
        grid = np.stack(np.meshgrid(xs, ys, indexing="ij"), axis=-1).reshape(-1, 2)
        vals = _evaluate(f, grid, args).reshape(num, num)
    else:
        vals = np.asarray(values, dtype=np.float64)
        if vals.ndim != 2 or min(vals.shape) < 2:
            raise ValueError(f"`values` must be a 2-D array of at least 2 x 2; got {vals.shape}")
        xs = np.linspace(box[0, 0], box[0, 1], vals.shape[0])
        ys = np.linspace(box[1, 0], box[1, 1], vals.shape[1])
    fig, ax = _figure(ax)
    shown, cbar_label = _scaled(vals, scale)
    masked = np.ma.masked_invalid(shown.T)
    if masked.count() >= 1:
        cs = ax.contourf(xs, ys, masked, levels=levels, cmap="viridis")
        ax.contour(xs, ys, masked, levels=cs.levels[::3], colors="k", linewidths=0.3,
                   alpha=0.5)
        fig.colorbar(cs, ax=ax, label=cbar_label)
    cx, kind = _critical_arrays(critical)
    if cx is not None and cx.size:
        _mark_critical(ax, cx.reshape(-1, 2), kind)
    for i, (label, pts) in enumerate((points or {}).items()):
        p = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
        ax.plot(p[:, 0], p[:, 1], _POINT_MARKERS[i % len(_POINT_MARKERS)], color="white",
                markeredgecolor="black", markersize=12, linestyle="none", label=label,
                zorder=6)
    for i, (label, it) in enumerate((paths or {}).items()):
        p = np.asarray(it, dtype=np.float64).reshape(-1, 2)
        colour = _PATH_COLOURS[i % len(_PATH_COLOURS)]
        ax.plot(p[:, 0], p[:, 1], "-", color=colour, linewidth=1.5, label=label, zorder=7)
        ax.plot(p[:, 0], p[:, 1], ".", color=colour, markersize=4, zorder=7)
        ax.plot(p[0, 0], p[0, 1], "o", markerfacecolor="none", markeredgecolor=colour,
                markersize=9, zorder=7)
        ax.plot(p[-1, 0], p[-1, 1], "o", color=colour, markeredgecolor="black",
                markersize=6, zorder=8)
    ax.set_xlim(box[0])
    ax.set_ylim(box[1])
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    if title:
        ax.set_title(title)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper right", fontsize="small", framealpha=0.85)
    return _finish(fig, filename)


def paths(f, bounds, iterates: Mapping, **kwargs):
    """Draw optimisation paths over the landscape of a 2-D function.

    Parameters
    ----------
    f : callable
        ``f(x, *args) -> float`` with ``x`` of shape (2,).
    bounds : array_like, shape (2, 2)
        The box.
    iterates : mapping of str to array_like
        Method label -> iterates, shape (k, 2) (e.g. the path of Newton's method).
    **kwargs
        Passed to :func:`landscape` (``args``, ``critical``, ``points``, ``title``,
        ``filename``, ...).

    Returns
    -------
    matplotlib.figure.Figure
        The figure.

    Examples
    --------
    >>> import numpy as np
    >>> from fastopt import plot
    >>> def f(x):
    ...     return (x[0] - 1.0) ** 2 + 4.0 * x[1] ** 2
    >>> steps = np.array([[-1.5, 1.0], [0.0, -0.5], [0.8, 0.1], [1.0, 0.0]])
    >>> fig = plot.paths(f, [(-2, 2), (-1.5, 1.5)], {"my method": steps}, num=40)
    >>> fig.axes[0].get_legend().get_texts()[0].get_text()
    'my method'
    """
    return landscape(f, bounds, paths=iterates, **kwargs)


def curve(
    f: Callable | None,
    bounds,
    *,
    args: tuple = (),
    num: int = 400,
    values=None,
    critical=None,
    points: Mapping | None = None,
    label: str = "x",
    title: str | None = None,
    ax=None,
    filename=None,
):
    """Draw the graph of a 1-D function with its critical points marked by kind.

    Parameters
    ----------
    f : callable or None
        ``f(x, *args) -> float`` with ``x`` of shape (1,). May be None with `values`.
    bounds : array_like, shape (1, 2) or (2,)
        The interval ``(lo, hi)``.
    args : tuple, optional
        Extra arguments of `f`.
    num : int, optional
        Number of evaluation points.
    values : array_like, shape (m,), optional
        Precomputed values on ``np.linspace(lo, hi, m)``.
    critical : CriticalPoints, PointClassification or (x, kind), optional
        Critical points marked by kind, as in :func:`landscape`.
    points : mapping of str to array_like, optional
        Extra labelled abscissae.
    label : str, optional
        Name of the variable (x-axis label).
    title : str, optional
        Axes title.
    ax : matplotlib Axes, optional
        Draw into these axes.
    filename : str or path, optional
        Save the figure there.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.

    Examples
    --------
    >>> import fastopt
    >>> from fastopt import plot
    >>> def f(x):
    ...     return x[0] ** 3 - 3.0 * x[0]
    >>> crit = fastopt.find_critical_points(f, [(-2.0, 2.0)], num=9)
    >>> fig = plot.curve(f, [(-2.0, 2.0)], critical=crit)
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['f', 'minimum', 'maximum']
    """
    box = _box(bounds, 1)
    if values is None:
        if f is None:
            raise TypeError("curve needs `f` or `values`")
        xs = np.linspace(box[0, 0], box[0, 1], int(num))
        vals = _evaluate(f, xs.reshape(-1, 1), args)
    else:
        vals = np.asarray(values, dtype=np.float64).reshape(-1)
        xs = np.linspace(box[0, 0], box[0, 1], vals.size)
    fig, ax = _figure(ax, size=(6.4, 4.2))
    ax.plot(xs, vals, "-", color="#1f77b4", linewidth=1.5, label="f")
    cx, kind = _critical_arrays(critical)
    if cx is not None and cx.size:
        cx = cx.reshape(-1, 1)
        fv = getattr(critical, "fun", None)
        fv = np.asarray(fv).reshape(-1) if fv is not None else _evaluate(f, cx, args)
        _mark_critical(ax, cx, kind, one_d=True, fvals=fv)
    for i, (name, pts) in enumerate((points or {}).items()):
        p = np.asarray(pts, dtype=np.float64).reshape(-1, 1)
        pv = _evaluate(f, p, args) if f is not None else np.interp(p[:, 0], xs, vals)
        ax.plot(p[:, 0], pv, _POINT_MARKERS[i % len(_POINT_MARKERS)], color="white",
                markeredgecolor="black", markersize=12, linestyle="none", label=name,
                zorder=6)
    ax.set_xlim(box[0])
    ax.set_xlabel(label)
    ax.set_ylabel("f")
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title)
    ax.legend(fontsize="small")
    return _finish(fig, filename)


def comparison(
    rows: Sequence[Mapping],
    *,
    x: str = "nfev",
    y: str = "error",
    floor: float = 1e-17,
    title: str | None = None,
    ax=None,
    filename=None,
):
    """Draw error versus cost of several methods, log-log (grid versus derivatives).

    Parameters
    ----------
    rows : sequence of mappings
        One per run, with the keys ``"method"`` and the `x` and `y` keys, e.g.
        ``{"method": "grid", "nfev": 10201, "error": 3e-4}``. Runs of the same method
        are joined by a line in order of `x` (a grid refined step by step); a method
        with one run is a single marker.
    x, y : str, optional
        Keys of the cost (default evaluations, ``"nfev"``; ``"seconds"`` works too)
        and of the error.
    floor : float, optional
        Errors below this (exact zeros) are drawn at `floor` so that they appear on a
        log axis.
    title : str, optional
        Axes title.
    ax : matplotlib Axes, optional
        Draw into these axes.
    filename : str or path, optional
        Save the figure there.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.

    Examples
    --------
    >>> from fastopt import plot
    >>> rows = [{"method": "grid", "nfev": 121, "error": 0.05},
    ...         {"method": "grid", "nfev": 10201, "error": 6e-4},
    ...         {"method": "newton", "nfev": 90, "error": 1e-15}]
    >>> fig = plot.comparison(rows, title="error versus evaluations")
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['grid', 'newton']
    """
    if not rows:
        raise ValueError("`rows` must contain at least one run")
    methods: dict[str, list] = {}
    for row in rows:
        try:
            methods.setdefault(str(row["method"]), []).append((float(row[x]), float(row[y])))
        except KeyError as exc:
            raise ValueError(
                f"every row needs the keys 'method', {x!r} and {y!r}; missing {exc}"
            ) from None
    fig, ax = _figure(ax, size=(6.4, 4.4))
    for i, (name, pts) in enumerate(methods.items()):
        pts.sort()
        cost = np.array([p[0] for p in pts])
        err = np.array([max(abs(p[1]), floor) if math.isfinite(p[1]) else np.nan for p in pts])
        style = "-o" if len(pts) > 1 else _POINT_MARKERS[i % len(_POINT_MARKERS)]
        ax.plot(cost, err, style, markersize=8 if len(pts) > 1 else 12, label=name,
                markeredgecolor="black")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel({"nfev": "function evaluations", "seconds": "time [s]"}.get(x, x))
    ax.set_ylabel(y)
    ax.grid(alpha=0.3, which="both")
    if title:
        ax.set_title(title)
    ax.legend(fontsize="small")
    return _finish(fig, filename)
