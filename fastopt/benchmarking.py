"""Grid search versus derivative methods on test problems with known minima.

:func:`run` solves every problem of a small catalogue (:data:`PROBLEMS`) in dimensions
``n = 1, 2, ...`` with exhaustive grid search at several spacings ``eps`` (optionally
polished by BFGS: ``"grid+bfgs"``) and with each local derivative method of
:func:`fastopt.minimize` from several random starts, and records one row per run:
evaluations, wall time, ``|f - f*|``, ``||x - x*||`` and success. From the rows,
:meth:`BenchmarkResult.summary` derives the evaluations needed to reach a target
accuracy ``|f - f*| <= target``:

* grid search (a deterministic method): the fewest evaluations among the spacings that
  reach the target;
* a local method run from random starts: the *expected running time* (ERT, as in the
  COCO/BBOB benchmarks) ``sum of nfev over all starts / number of starts that reached
  the target``, i.e. the expected cost of a multistart until the first success; NaN if
  no start reached it.

The grid's cost grows as ``(width / eps)^n``; the local methods' as a low power of ``n``
when they converge to the global minimum (always on convex problems, from a fraction of
the starts on multimodal ones). ``fastopt bench`` runs this from the command line;
``docs/grid_vs_derivatives.md`` shows and explains a real run.

Examples
--------
>>> from fastopt import benchmarking
>>> res = benchmarking.run(problems=["quadratic"], dims=[1, 2], eps=[0.5, 0.1],
...                        methods=["grid", "bfgs"], starts=2)
>>> sorted({r["method"] for r in res.records})
['bfgs', 'grid']
>>> [(s["n"], s["method"]) for s in res.summary()]
[(1, 'grid'), (1, 'bfgs'), (2, 'grid'), (2, 'bfgs')]
"""

from __future__ import annotations

import csv
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numba
import numpy as np

from ._grid import _isatty, _tqdm, grid_search
from ._minimize import METHODS, minimize, polish

__all__ = [
    "PROBLEMS",
    "Problem",
    "BenchmarkResult",
    "run",
    "DEFAULT_EPS",
    "DEFAULT_METHODS",
    "FIELDS",
]

# --------------------------------------------------------------------------- problems


@numba.njit
def rosenbrock(x):
    """Rosenbrock's valley, ``sum 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2``; min 0 at 1."""
    s = 0.0
    for i in range(x.size - 1):
        s += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


@numba.njit
def quadratic(x, A, c):
    """Convex quadratic ``(x - c)^T A (x - c) / 2``; min 0 at c."""
    n = x.size
    s = 0.0
    for i in range(n):
        di = x[i] - c[i]
        t = 0.0
        for j in range(n):
            t += A[i, j] * (x[j] - c[j])
        s += di * t
    return 0.5 * s


@numba.njit
def rastrigin(x):
    """Rastrigin, ``10 n + sum x_i^2 - 10 cos(2 pi x_i)``; min 0 at 0, ~10^n local minima."""
    s = 10.0 * x.size
    for i in range(x.size):
        s += x[i] * x[i] - 10.0 * np.cos(2.0 * np.pi * x[i])
    return s


@numba.njit
def styblinski_tang(x):
    """Styblinski-Tang, ``sum (x_i^4 - 16 x_i^2 + 5 x_i) / 2``; 2^n local minima."""
    s = 0.0
    for i in range(x.size):
        xi = x[i]
        s += 0.5 * (xi * xi * xi * xi - 16.0 * xi * xi + 5.0 * xi)
    return s


def _styblinski_root():
    roots = np.roots([4.0, 0.0, -32.0, 5.0])  # d/dx (x^4 - 16 x^2 + 5 x) = 0
    r = float(np.min(roots.real))
    for _ in range(3):  # Newton polish to full precision
        r -= (4 * r**3 - 32 * r + 5) / (12 * r**2 - 32)
    return r


_ST_X = _styblinski_root()  # -2.903534027771178
_ST_F = 0.5 * (_ST_X**4 - 16 * _ST_X**2 + 5 * _ST_X)  # -39.16616570377142


@dataclass(frozen=True)
class Problem:
    """A test problem with a known global minimum in every dimension it supports.

    Attributes
    ----------
    name : str
        Catalogue key.
    f : numba function
        ``f(x, *args(n)) -> float``.
    bounds : callable
        ``bounds(n) -> list of (lo, hi)``: the search box.
    x_star : callable
        ``x_star(n) -> ndarray``: the global minimiser.
    f_star : callable
        ``f_star(n) -> float``: the global minimum.
    args : callable
        ``args(n) -> tuple``: extra arguments of `f`.
    min_n : int
        Smallest supported dimension.
    description : str
        One line for tables.
    """

    name: str
    f: Callable
    bounds: Callable
    x_star: Callable
    f_star: Callable
    args: Callable = field(default=lambda n: ())
    min_n: int = 1
    description: str = ""


def quadratic_args(n: int, cond: float = 1e3, seed: int = 0):
    """Return ``(A, c)`` of the quadratic problem: eigenvalues log-spaced in ``[1, cond]``.

    ``A = Q diag(lambda) Q^T`` with a random rotation ``Q`` (fixed `seed`), minimiser
    ``c`` drawn in ``[-2, 2]^n``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastopt.benchmarking import quadratic_args
    >>> A, c = quadratic_args(3, cond=100.0)
    >>> np.round(np.linalg.cond(A), 6)
    np.float64(100.0)
    """
    rng = np.random.default_rng(seed + 1000 * n)
    lam = np.logspace(0.0, np.log10(cond), n) if n > 1 else np.ones(1)
    Q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    A = (Q * lam) @ Q.T
    A = 0.5 * (A + A.T)
    c = rng.uniform(-2.0, 2.0, n)
    return np.ascontiguousarray(A), c


PROBLEMS = {
    "quadratic": Problem(
        "quadratic", quadratic,
        bounds=lambda n: [(-5.0, 5.0)] * n,
        x_star=lambda n: quadratic_args(n)[1],
        f_star=lambda n: 0.0,
        args=quadratic_args,
        description="convex quadratic, condition number 1e3, rotated",
    ),
    "rosenbrock": Problem(
        "rosenbrock", rosenbrock,
        bounds=lambda n: [(-2.048, 2.048)] * n,
        x_star=lambda n: np.ones(n),
        f_star=lambda n: 0.0,
        min_n=2,
        description="Rosenbrock valley (n >= 2; a second local minimum for n >= 4)",
    ),
    "rastrigin": Problem(
        "rastrigin", rastrigin,
        bounds=lambda n: [(-4.913, 5.327)] * n,
        x_star=lambda n: np.zeros(n),
        f_star=lambda n: 0.0,
        description="Rastrigin, about 10^n local minima (the usual box width 10.24, "
                    "shifted so that no grid of the default spacings contains 0)",
    ),
    "styblinski_tang": Problem(
        "styblinski_tang", styblinski_tang,
        bounds=lambda n: [(-5.0, 5.0)] * n,
        x_star=lambda n: np.full(n, _ST_X),
        f_star=lambda n: _ST_F * n,
        description="Styblinski-Tang, 2^n local minima",
    ),
}

#: Grid spacings run by default.
DEFAULT_EPS = (1.0, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01)
#: Methods run by default: the grid, the polished grid and the local methods.
DEFAULT_METHODS = ("grid", "grid+bfgs", "gd", "newton", "bfgs")
#: The columns of a record (one run).
FIELDS = ("problem", "n", "method", "setting", "nfev", "seconds", "f_error", "x_error",
          "success", "reached", "target")


# ---------------------------------------------------------------------------- results


@dataclass
class BenchmarkResult:
    """The rows of a benchmark run and what can be derived from them.

    Attributes
    ----------
    records : list of dict
        One per run, with the keys :data:`FIELDS`: ``problem``, ``n``, ``method``
        (``"grid"``, ``"grid+bfgs"``, ``"gd"``, ``"newton"``, ``"bfgs"``),
        ``setting`` (``"eps=0.1"`` or ``"start=3"``), ``nfev`` (all evaluations of the
        run, polishing included), ``seconds`` (wall time, compilation excluded),
        ``f_error`` = ``|f - f*|``, ``x_error`` = ``||x - x*||_2``, ``success`` (the
        method's own verdict), ``reached`` (``f_error <= target``) and ``target``.
    target : float
        The accuracy ``|f - f*| <= target`` that counts as solved.
    """

    records: list
    target: float

    def summary(self) -> list:
        """Return the evaluations needed to reach the target, per problem, n and method.

        Returns
        -------
        list of dict
            Keys ``problem``, ``n``, ``method``, ``runs``, ``reached`` (runs that reached
            the target), ``evaluations`` (grid: the fewest among the spacings that
            reached it; local methods: ERT = total nfev / number of starts reaching it;
            NaN if none did), ``seconds`` (the same for wall time) and ``best_f_error``.
        """
        groups: dict = {}
        for r in self.records:
            groups.setdefault((r["problem"], r["n"], r["method"]), []).append(r)
        rows = []
        for (problem, n, method), runs in groups.items():
            ok = [r for r in runs if r["reached"]]
            if method.startswith("grid"):
                best = min(ok, key=lambda r: r["nfev"]) if ok else None
                evals = float(best["nfev"]) if best else math.nan
                secs = float(best["seconds"]) if best else math.nan
            else:
                evals = sum(r["nfev"] for r in runs) / len(ok) if ok else math.nan
                secs = sum(r["seconds"] for r in runs) / len(ok) if ok else math.nan
            rows.append({
                "problem": problem, "n": n, "method": method, "runs": len(runs),
                "reached": len(ok), "evaluations": evals, "seconds": secs,
                "best_f_error": min(r["f_error"] for r in runs),
            })
        return rows

    def to_csv(self, path) -> None:
        """Write the records as CSV (header :data:`FIELDS`)."""
        with open(path, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=FIELDS)
            writer.writeheader()
            for r in self.records:
                writer.writerow(r)

    def to_json(self, path) -> None:
        """Write ``{"target", "records", "summary"}`` as JSON (NaN as null)."""
        def clean(rows):
            return [{k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                     for k, v in row.items()} for row in rows]
        with open(path, "w") as fh:
            json.dump({"target": self.target, "records": clean(self.records),
                       "summary": clean(self.summary())}, fh, indent=1)

    def markdown(self) -> str:
        """Return the summary as a markdown table (evaluations to reach the target)."""
        rows = self.summary()
        methods = list(dict.fromkeys(r["method"] for r in rows))
        lines = [
            f"Evaluations to reach |f - f*| <= {self.target:g} (grid: fewest over eps; "
            "local methods: ERT = total nfev / successful starts; - = not reached)",
            "",
            "| problem | n | " + " | ".join(methods) + " |",
            "|---|---:|" + "---:|" * len(methods),
        ]
        table: dict = {}
        for r in rows:
            table.setdefault((r["problem"], r["n"]), {})[r["method"]] = r
        for (problem, n), cells in table.items():
            out = []
            for m in methods:
                r = cells.get(m)
                if r is None:
                    out.append("")
                elif math.isfinite(r["evaluations"]):
                    out.append(f"{r['evaluations']:.3g} ({r['reached']}/{r['runs']})")
                else:
                    out.append(f"- (0/{r['runs']})")
            lines.append(f"| {problem} | {n} | " + " | ".join(out) + " |")
        return "\n".join(lines)

    def plot(self, path) -> None:
        """Save the figure: evaluations to reach the target versus n, log scale.

        One panel per problem: the grid's evaluations at every spacing (thin dashed
        lines, ``(width / eps)^n``), the fewest grid evaluations that reach the target
        (thick), and the ERT of each local method. Needs matplotlib (``fastopt[plot]``);
        uses the Agg backend, nothing is shown.
        """
        try:
            import matplotlib
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "plotting needs matplotlib: pip install matplotlib (or fastopt[plot])"
            ) from exc
        matplotlib.use("Agg", force=False)
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator

        summary = self.summary()
        problems = list(dict.fromkeys(r["problem"] for r in self.records))
        ncol = min(2, len(problems))
        nrow = math.ceil(len(problems) / ncol)
        fig = Figure(figsize=(6.0 * ncol, 4.2 * nrow), layout="constrained")
        axes = fig.subplots(nrow, ncol, squeeze=False).ravel()
        styles = {"grid": ("k", "s"), "grid+bfgs": ("tab:purple", "D"),
                  "gd": ("tab:green", "^"), "newton": ("tab:red", "v"),
                  "bfgs": ("tab:blue", "o")}
        for ax, problem in zip(axes, problems, strict=False):
            grid_rows = [r for r in self.records
                         if r["problem"] == problem and r["method"] == "grid"]
            for setting in dict.fromkeys(r["setting"] for r in grid_rows):
                pts = sorted((r["n"], r["nfev"]) for r in grid_rows if r["setting"] == setting)
                ax.plot(*zip(*pts, strict=True), ls="--", lw=0.8, color="0.6")
                ax.annotate(setting, pts[-1], fontsize=7, color="0.4",
                            xytext=(3, 0), textcoords="offset points")
            for method in dict.fromkeys(r["method"] for r in summary):
                pts = sorted((r["n"], r["evaluations"]) for r in summary
                             if r["problem"] == problem and r["method"] == method
                             and math.isfinite(r["evaluations"]))
                if not pts:
                    continue
                color, marker = styles.get(method, ("tab:gray", "x"))
                label = "grid (fewest reaching target)" if method == "grid" else method
                ax.plot(*zip(*pts, strict=True), marker=marker, color=color, label=label,
                        lw=2.0 if method.startswith("grid") else 1.5)
            ax.set_yscale("log")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_xlabel("dimension n")
            ax.set_ylabel("evaluations of f")
            ax.set_title(f"{problem}: evaluations to reach |f - f*| <= {self.target:g}",
                         fontsize=9)
            ax.grid(True, which="major", alpha=0.3)
            ax.legend(fontsize=7)
        for ax in axes[len(problems):]:
            ax.set_visible(False)
        fig.savefig(path, dpi=110)


# -------------------------------------------------------------------------------- run


def _check_names(what, names, allowed):
    names = list(names)
    bad = [m for m in names if m not in allowed]
    if bad or not names:
        raise ValueError(
            f"`{what}` must be a non-empty list of {', '.join(map(repr, allowed))}; "
            f"got {names!r}"
        )
    return names


def run(
    problems: Sequence[str] | None = None,
    dims: Sequence[int] = (1, 2, 3, 4, 5, 6),
    *,
    eps: Sequence[float] = DEFAULT_EPS,
    methods: Sequence[str] = DEFAULT_METHODS,
    starts: int = 10,
    target: float = 1e-4,
    max_grid_points: int = 10**8,
    seed: int = 0,
    progress: Callable | None = None,
) -> BenchmarkResult:
    """Run grid search and the local derivative methods on the test problems.

    Parameters
    ----------
    problems : sequence of str, optional
        Keys of :data:`PROBLEMS` (default: all). Dimensions below a problem's
        ``min_n`` are skipped.
    dims : sequence of int
        Dimensions ``n``.
    eps : sequence of float
        Grid spacings (``grid_search(eps=...)``). Grids of more than `max_grid_points`
        points are skipped.
    methods : sequence of str
        Among ``"grid"``, ``"grid+bfgs"`` (grid, then ``finish="bfgs"``), ``"gd"``,
        ``"newton"``, ``"bfgs"``.
    starts : int
        Random starts (uniform in the box, fixed `seed`) per local method, problem and
        dimension; the same starts for every method.
    target : float
        Accuracy ``|f - f*| <= target`` that counts as reaching the minimum.
    max_grid_points : int
        Largest grid run.
    seed : int
        Seed of the starts.
    progress : callable, optional
        Called as ``progress(record)`` after every run (e.g. ``print``).

    Returns
    -------
    BenchmarkResult
        The records; ``summary()``, ``markdown()``, ``to_csv()``, ``to_json()``,
        ``plot()``.

    Notes
    -----
    Compilation is never timed: a warm-up call compiles the local method for the
    problem, and a grid run's time is its scan time (``GridResult.elapsed``, which
    excludes compilation) plus, for ``"grid+bfgs"``, the polishing of the best grid point
    (exactly what ``grid_search(..., finish="bfgs")`` does). Local methods use their defaults
    (``gtol=1e-8``, finite-difference derivatives) inside the problem's box, one start
    per call, so that each run has its own wall time.
    """
    names = _check_names("problems", PROBLEMS if problems is None else problems, PROBLEMS)
    methods = _check_names("methods", methods, ("grid", "grid+bfgs", *METHODS))
    dims = [int(n) for n in dims]
    if not dims or min(dims) < 1:
        raise ValueError(f"`dims` must be dimensions >= 1; got {dims!r}")
    eps = [float(e) for e in eps]
    if any(not (e > 0) for e in eps):
        raise ValueError(f"`eps` must be spacings > 0; got {eps!r}")
    starts = int(starts)
    if starts < 1:
        raise ValueError(f"`starts` must be >= 1; got {starts}")
    target = float(target)
    if not target > 0:
        raise ValueError(f"`target` must be > 0; got {target!r}")
    records: list = []
    warmed: set = set()
    for name in names:
        prob = PROBLEMS[name]
        for n in _dims_of(prob, dims):
            case = _Case(prob, n, target, seed, starts)
            for method in methods:
                if (name, method) not in warmed:
                    case.warm_up(method)
                    warmed.add((name, method))
                for record in case.runs(method, eps, max_grid_points):
                    records.append(record)
                    if progress is not None:
                        progress(record)
    return BenchmarkResult(records=records, target=target)


class _Case:
    """One problem in one dimension."""

    def __init__(self, prob, n, target, seed, nstarts):
        self.prob, self.n, self.target = prob, n, target
        self.bounds = prob.bounds(n)
        self.args = prob.args(n)
        self.x_star = np.asarray(prob.x_star(n), dtype=float)
        self.f_star = float(prob.f_star(n))
        lo, hi = np.array(self.bounds).T
        rng = np.random.default_rng(seed + n)
        self.starts = rng.uniform(lo, hi, size=(nstarts, n))

    def warm_up(self, method):
        """Compile what the timed runs use (grid_search compiles its scan untimed)."""
        if method in METHODS or method == "grid+bfgs":
            minimize(self.prob.f, self.starts[0], args=self.args,
                     method="bfgs" if method == "grid+bfgs" else method,
                     bounds=self.bounds, maxiter=2)

    def record(self, method, setting, nfev, seconds, x, fun, success):
        f_error = abs(float(fun) - self.f_star)
        x_error = float(np.linalg.norm(np.asarray(x) - self.x_star))
        return {
            "problem": self.prob.name, "n": self.n, "method": method, "setting": setting,
            "nfev": int(nfev), "seconds": seconds, "f_error": f_error, "x_error": x_error,
            "success": bool(success), "reached": bool(f_error <= self.target),
            "target": self.target,
        }

    def runs(self, method, eps, max_grid_points):
        if method.startswith("grid"):
            lo, hi = np.array(self.bounds).T
            for e in _grid_eps(self.bounds, eps, max_grid_points):
                res = grid_search(self.prob.f, self.bounds, args=self.args, eps=e,
                                  progress=False)
                seconds = res.elapsed  # the scan, compilation excluded
                nfev, x, fun, ok = res.nfev, res.x, res.fun, res.success
                if method == "grid+bfgs" and res.success:
                    # what grid_search(..., finish="bfgs") does, timed on its own
                    t0 = time.perf_counter()
                    polished, _ = polish(self.prob.f, res.xs, lo, hi, self.args, "bfgs",
                                         True)
                    seconds += time.perf_counter() - t0
                    nfev += polished.nfev
                    x, fun, ok = polished.x, polished.fun, ok and polished.success
                yield self.record(method, f"eps={e:g}", nfev, seconds, x, fun, ok)
            return
        for i, x0 in enumerate(self.starts):
            t0 = time.perf_counter()
            res = minimize(self.prob.f, x0, args=self.args, method=method,
                           bounds=self.bounds)
            seconds = time.perf_counter() - t0
            yield self.record(method, f"start={i}", res.nfev, seconds, res.x, res.fun,
                              res.success)


def _dims_of(prob, dims):
    """Return the dimensions of `dims` that problem `prob` is defined in."""
    return [n for n in dims if n >= prob.min_n]


def _grid_eps(bounds, eps, max_grid_points):
    """Return the spacings of `eps` whose grid over `bounds` has at most `max_grid_points`."""
    widths = [hi - lo for lo, hi in bounds]
    return [e for e in eps
            if math.prod(math.ceil(w / e - 1e-12) + 1 for w in widths) <= max_grid_points]


def count_runs(problems=None, dims=(1, 2, 3, 4, 5, 6), *, eps=DEFAULT_EPS,
               methods=DEFAULT_METHODS, starts=10, max_grid_points=10**8) -> int:
    """Return how many records :func:`run` with the same arguments produces.

    Examples
    --------
    >>> from fastopt.benchmarking import count_runs
    >>> count_runs(["rosenbrock"], [2, 3], eps=[0.1], methods=["grid", "bfgs"], starts=5)
    12
    """
    total = 0
    for name in PROBLEMS if problems is None else problems:
        prob = PROBLEMS[name]
        for n in _dims_of(prob, dims):
            bounds = prob.bounds(n)
            for method in methods:
                if method.startswith("grid"):
                    total += len(_grid_eps(bounds, eps, max_grid_points))
                else:
                    total += starts
    return total


# ------------------------------------------------------------------------ command line

_BENCH_EXAMPLES = """\
examples:
  fastopt bench                                  # everything: 4 problems, n = 1..6
  fastopt bench --problems rosenbrock,quadratic --dims 1-4 --starts 5
  fastopt bench --dims 1-3 --eps 0.5,0.1 --methods grid,bfgs --out /tmp/bench --no-plot

Writes OUT/grid_vs_derivatives.csv (one row per run), .json (rows and summary) and .png
(evaluations to reach the target versus n), and prints the summary table (markdown).
"""


def _name_list(allowed):
    def parse(text):
        names = [t.strip() for t in text.split(",") if t.strip()]
        bad = [t for t in names if t not in allowed]
        if bad or not names:
            import argparse

            raise argparse.ArgumentTypeError(
                f"expected a comma-separated list of {', '.join(allowed)}; got {text!r}"
            )
        return names
    return parse


def _dims(text):
    import argparse

    try:
        out = []
        for part in text.split(","):
            if "-" in part:
                a, b = part.split("-")
                out.extend(range(int(a), int(b) + 1))
            else:
                out.append(int(part))
    except ValueError:
        out = []
    if not out or min(out) < 1:
        raise argparse.ArgumentTypeError(
            f"expected dimensions >= 1 like 1-6 or 1,2,4; got {text!r}"
        )
    return out


def _floats(text):
    import argparse

    try:
        out = [float(t) for t in text.split(",")]
    except ValueError:
        out = []
    if not out or not all(v > 0 and math.isfinite(v) for v in out):
        raise argparse.ArgumentTypeError(
            f"expected a comma-separated list of positive numbers; got {text!r}"
        )
    return out


def _positive(kind):
    def parse(text):
        import argparse

        try:
            v = kind(text)
        except ValueError:
            v = None
        if v is None or not v > 0:
            raise argparse.ArgumentTypeError(f"expected a positive number; got {text!r}")
        return v
    return parse


def add_bench_command(subparsers) -> None:
    """Register the ``fastopt bench`` subcommand on an argparse subparsers object."""
    import argparse

    p = subparsers.add_parser(
        "bench",
        help="grid search versus gradient descent, Newton and BFGS on test problems",
        description="Run exhaustive grid search at several spacings and the local\n"
                    "derivative methods from random starts on test problems with known\n"
                    "minima (n = 1..6); record evaluations, time and accuracy per run\n"
                    "(fastopt.benchmarking).",
        epilog=_BENCH_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--problems", type=_name_list(tuple(PROBLEMS)), default=list(PROBLEMS),
                   metavar="NAMES", help=f"comma-separated, of {', '.join(PROBLEMS)} "
                                         "(default: all)")
    p.add_argument("--dims", type=_dims, default=list(range(1, 7)), metavar="SPEC",
                   help="dimensions, e.g. 1-6 (default) or 1,2,4")
    p.add_argument("--eps", type=_floats, default=list(DEFAULT_EPS), metavar="LIST",
                   help="grid spacings (default: " + ",".join(map(str, DEFAULT_EPS)) + ")")
    p.add_argument("--methods", type=_name_list(("grid", "grid+bfgs", *METHODS)),
                   default=list(DEFAULT_METHODS), metavar="LIST",
                   help="of grid, grid+bfgs, gd, newton, bfgs (default: all)")
    p.add_argument("--starts", type=_positive(int), default=10, metavar="N",
                   help="random starts per local method (default: 10)")
    p.add_argument("--target", type=_positive(float), default=1e-4, metavar="T",
                   help="accuracy |f - f*| <= T that counts as solved (default: 1e-4)")
    p.add_argument("--max-grid-points", type=_positive(int), default=10**8, metavar="N",
                   help="skip larger grids (default: 1e8)")
    p.add_argument("--seed", type=int, default=0, help="seed of the starts (default: 0)")
    p.add_argument("--out", default=".", metavar="DIR",
                   help="folder for the CSV, JSON and PNG files (default: .)")
    p.add_argument("--no-plot", action="store_true", help="write no figure")
    p.add_argument("--no-progress", "--quiet", dest="quiet", action="store_true",
                   help="no progress on stderr (default: a progress bar when stderr is "
                        "a terminal and tqdm is installed, otherwise one line per run)")
    p.set_defaults(run=_run_command)


def _run_command(ns) -> int:
    import os
    import sys

    def lines(r):
        print(f"  {r['problem']:>15} n={r['n']} {r['method']:>9} {r['setting']:>9}: "
              f"nfev {r['nfev']:>10}  |f - f*| {r['f_error']:.2e}  {r['seconds']:.3g} s",
              file=sys.stderr)

    def tick(r):
        bar.set_postfix_str(f"{r['problem']} n={r['n']} {r['method']}", refresh=False)
        bar.update(1)

    bar = None
    report = None if ns.quiet else lines
    if report is not None and _isatty() and (tqdm := _tqdm()) is not None:
        total = count_runs(ns.problems, ns.dims, eps=ns.eps, methods=ns.methods,
                           starts=ns.starts, max_grid_points=ns.max_grid_points)
        bar = tqdm(total=total, unit="run", desc="fastopt bench", file=sys.stderr)
        report = tick
    try:
        res = run(ns.problems, ns.dims, eps=ns.eps, methods=ns.methods, starts=ns.starts,
                  target=ns.target, max_grid_points=ns.max_grid_points, seed=ns.seed,
                  progress=report)
    finally:
        if bar is not None:
            bar.close()
    os.makedirs(ns.out, exist_ok=True)
    base = os.path.join(ns.out, "grid_vs_derivatives")
    res.to_csv(base + ".csv")
    res.to_json(base + ".json")
    written = [base + ".csv", base + ".json"]
    if not ns.no_plot:
        res.plot(base + ".png")
        written.append(base + ".png")
    print(res.markdown())
    print("\nwrote " + ", ".join(written))
    return 0
