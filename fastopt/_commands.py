"""The ``scan`` and ``classify`` subcommands of the command line (see :mod:`fastopt.cli`).

Each ``add_*`` function registers a subparser; each ``run_*`` function takes the parsed
namespace and a text stream, prints a readable report (or JSON) and returns the exit
status. Bad input raises :class:`ValueError` with a one-line message, which
:func:`fastopt.cli.main` prints and turns into exit status 2.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys

import numpy as np

from ._expr import compile_expression, parse_expression
from ._result import PointType, Status

__all__ = ["add_classify", "add_scan", "parse_box", "parse_point", "VERDICTS"]

#: The verdict printed for each :class:`PointType`.
VERDICTS = {
    PointType.MINIMUM: "local minimum (gradient zero, Hessian positive definite)",
    PointType.MAXIMUM: "local maximum (gradient zero, Hessian negative definite)",
    PointType.SADDLE: "saddle point (gradient zero, Hessian indefinite)",
    PointType.DEGENERATE: "degenerate critical point (gradient zero, Hessian singular: "
                          "the second-order test is inconclusive)",
    PointType.NOT_CRITICAL: "not a critical point (the gradient is not zero)",
    PointType.NONFINITE: "f or its derivatives are NaN/inf here",
}

_HIMMELBLAU = "(x**2 + y - 11)**2 + (x + y**2 - 7)**2"

#: The examples of ``fastopt scan --help`` (the tests run each one as printed).
SCAN_COMMANDS = (
    f'fastopt scan "{_HIMMELBLAU}" --box "-5:5,-5:5" --num 401 --top 4',
    f'fastopt scan "{_HIMMELBLAU}" --box "-5:5,-5:5" --eps 0.01 --critical '
    "--plot himmelblau.png",
    f'fastopt scan "{_HIMMELBLAU}" --box "-5:5,-5:5" --num 101 --top 4 --finish newton --json',
    'fastopt scan "sin(3*t) + 0.1*t**2" --vars t --box "-pi:pi" --num 1001 --top 3 '
    "--plot curve.png",
)

#: The examples of ``fastopt classify --help``.
CLASSIFY_COMMANDS = (
    'fastopt classify "x**2 - y**2" --at 0,0',
    'fastopt classify "x**3 - y**3" --at 0,0 --at 1,1',
    f'fastopt classify "{_HIMMELBLAU}" --at 3,2 --at -0.270845,-0.923039 --json',
)

SCAN_EXAMPLES = "examples:\n" + "".join(f"  {c}\n" for c in SCAN_COMMANDS) + """
EXPR is a formula in Python syntax: numbers, variables (x, y, z or x0, x1, ...; or
your names with --vars), + - * / **, the functions sin cos tan asin acos atan atan2
sinh cosh tanh asinh acosh atanh exp expm1 log log1p log2 log10 sqrt hypot erf erfc
gamma lgamma abs floor ceil min max, the constants pi, e, tau, and piecewise
definitions "a if x > 0 else b". Nothing else is evaluated.
"""

CLASSIFY_EXAMPLES = "examples:\n" + "".join(f"  {c}\n" for c in CLASSIFY_COMMANDS) + """
Points are comma-separated coordinates in the order of the variables (x, y, z, ...);
each may be a constant expression such as pi/2.
"""

_FLOAT_FORMAT = "{:.6g}"


# --------------------------------------------------------------------------- parsing
def _constant(text: str, what: str) -> float:
    """Return the value of a constant expression such as ``-2``, ``pi/2``, ``1e-3``."""
    raw = text.strip()
    if not raw:
        raise ValueError(f"{what} is empty")
    if raw.lower().lstrip("+-") in ("inf", "infinity", "nan"):
        raise ValueError(f"{what} must be a finite number; got {raw!r}")
    try:
        value = float(raw)
    except ValueError:
        try:
            source, _ = parse_expression(raw)
        except ValueError:
            source = "v["
        if "v[" in source:
            raise ValueError(f"{what} must be a number; got {raw!r}") from None
        namespace = {"__builtins__": {}, "math": math, "np": np, "abs": abs, "min": min,
                     "max": max}
        exec(compile(source, "<fastopt constant>", "exec"), namespace)  # generated source
        try:
            with np.errstate(all="ignore"):
                value = float(namespace["f"](None))
        except (ArithmeticError, ValueError):
            value = math.nan
    if not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number; got {raw!r}")
    return value


def parse_box(text: str) -> np.ndarray:
    """Parse ``"lo:hi,lo:hi,..."`` into an (n, 2) array of finite bounds with lo < hi.

    Examples
    --------
    >>> from fastopt._commands import parse_box
    >>> parse_box("-2:2, 0:pi/2")
    array([[-2.        ,  2.        ],
           [ 0.        ,  1.57079633]])
    """
    usage = "expected lo:hi for each axis, separated by commas, e.g. --box \"-2:2,-1:3\""
    if not text.strip():
        raise ValueError(f"--box is empty: {usage}")
    rows = []
    for i, part in enumerate(text.split(",")):
        pieces = part.split(":")
        if len(pieces) != 2:
            raise ValueError(f"--box: axis {i + 1} is {part.strip()!r}; {usage}")
        lo = _constant(pieces[0], f"--box: the lower bound of axis {i + 1}")
        hi = _constant(pieces[1], f"--box: the upper bound of axis {i + 1}")
        if not lo < hi:
            raise ValueError(
                f"--box: axis {i + 1} must have lo < hi; got {part.strip()!r}"
            )
        if not math.isfinite(hi - lo):
            raise ValueError(f"--box: axis {i + 1} is too wide ({part.strip()!r})")
        rows.append((lo, hi))
    return np.array(rows, dtype=np.float64)


def parse_point(text: str) -> np.ndarray:
    """Parse ``"x,y,..."`` into a 1-D array of finite coordinates.

    Examples
    --------
    >>> from fastopt._commands import parse_point
    >>> parse_point("0, -1.5, pi")
    array([ 0.        , -1.5       ,  3.14159265])
    """
    if not text.strip():
        raise ValueError('--at is empty: give coordinates such as --at "0,0"')
    return np.array([_constant(c, f"--at {text.strip()!r}: coordinate {i + 1}")
                     for i, c in enumerate(text.split(","))])


def _per_axis(text, n, what, convert):
    parts = [p.strip() for p in str(text).split(",")]
    if len(parts) not in (1, n):
        raise ValueError(
            f"{what} must be one value or one per axis ({n}); got {len(parts)} values"
        )
    values = [convert(p) for p in parts]
    return values[0] if len(values) == 1 else values


def _eps(text, n):
    def convert(p):
        try:
            value = float(p)
        except ValueError:
            raise ValueError(f"--eps must be a number > 0; got {p!r}") from None
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"--eps must be a finite number > 0; got {p!r}")
        return value
    return _per_axis(text, n, "--eps", convert)


def _num(text, n):
    def convert(p):
        if not re.fullmatch(r"[0-9]+", p):
            raise ValueError(f"--num must be a whole number >= 1; got {p!r}")
        value = int(p)
        if value < 1:
            raise ValueError(f"--num must be >= 1; got {p!r}")
        return value
    return _per_axis(text, n, "--num", convert)


def _variables(ns):
    return ns.vars if ns.vars else None


# --------------------------------------------------------------------------- output
def _num_str(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "nan"
    return _FLOAT_FORMAT.format(float(v)) if np.isfinite(v) else str(float(v))


def _vec(a) -> str:
    return "(" + ", ".join(_num_str(float(t)) for t in np.ravel(a)) + ")"


def _jsonable(value):
    """Nested lists of floats with NaN/inf as None (JSON has no NaN)."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    return value


def _table(out, header, rows):
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    out.write("  " + "  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True))
              + "\n")
    for r in rows:
        out.write("  " + "  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True))
                  + "\n")


def _kind_name(kind) -> str:
    return PointType(int(kind)).name.lower().replace("_", " ")


# --------------------------------------------------------------------------- scan
def add_scan(sub) -> None:
    """Register the ``scan`` subcommand."""
    p = sub.add_parser(
        "scan",
        help="grid search of an expression over a box (+ polishing, critical points, plot)",
        description="Evaluate EXPR at every point of a regular grid on a box and report the "
                    "best points; optionally polish the best with a local method, find and "
                    "classify every critical point in the box, and draw the landscape.",
        epilog=SCAN_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("expr", metavar="EXPR", help="the function, e.g. \"x**2 - y**2\"")
    p.add_argument("--box", required=True, metavar="LO:HI,...",
                   help="the box, one lo:hi per variable, e.g. \"-2:2,-2:2\"")
    grid = p.add_mutually_exclusive_group(required=True)
    grid.add_argument("--eps", metavar="H",
                      help="largest grid spacing (> 0), one value or one per axis")
    grid.add_argument("--num", metavar="N",
                      help="grid points per axis (>= 1), one value or one per axis")
    p.add_argument("--vars", metavar="NAMES",
                   help="variable names in coordinate order, e.g. \"a,b\" (default: x, y, z "
                        "or x0, x1, ...)")
    p.add_argument("--top", type=int, default=1, metavar="K",
                   help="list the K best grid points (default 1)")
    p.add_argument("--finish", choices=("newton", "bfgs", "gd"),
                   help="polish the best grid point (the K best with --top) with this local "
                        "method, inside the box")
    p.add_argument("--critical", action="store_true",
                   help="find and classify every critical point in the box (Newton from a "
                        "grid of starts)")
    p.add_argument("--plot", metavar="FILE",
                   help="draw the landscape (1 or 2 variables) into FILE, e.g. out.png")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar (default: one on long scans when stderr is a "
                        "terminal)")
    p.set_defaults(run=run_scan)


def run_scan(ns, out=None) -> int:
    """Run ``fastopt scan``; return the exit status."""
    import fastopt

    out = sys.stdout if out is None else out
    box = parse_box(ns.box)
    n = box.shape[0]
    if ns.top < 1:
        raise ValueError(f"--top must be >= 1; got {ns.top}")
    if ns.plot is not None and n > 2:
        raise ValueError(f"--plot draws 1 or 2 variables; the box has {n} axes")
    try:
        expr = compile_expression(ns.expr, variables=_variables(ns), n=n)
    except ValueError as exc:  # say "the box has 2 axes", not "the point has 2 coordinates"
        msg = re.sub(r"the point has (\d+) coordinates?",
                     lambda m: f"the box has {m.group(1)} ax{'es' if m.group(1) != '1' else 'is'}",
                     str(exc))
        raise ValueError(msg) from None
    grid_kw = {"eps": _eps(ns.eps, n)} if ns.eps is not None else {"num": _num(ns.num, n)}
    if ns.finish:
        grid_kw["finish"] = ns.finish
    res = fastopt.grid_search(expr.func, box, k=ns.top,
                              progress=False if ns.no_progress else None, **grid_kw)
    report = {
        "expression": expr.text,
        "variables": list(expr.variables),
        "box": box,
        "grid": {"num": list(res.num), "spacing": res.spacing, "nfev": res.nfev,
                 "seconds": res.elapsed, "status": res.status.name,
                 "nonfinite": res.nnonfinite, "message": res.message},
        "best": {"x": res.x, "fun": res.fun},
        "top": [{"x": x, "fun": v} for x, v in zip(res.xs, res.funs, strict=True)],
        "finish": None,
        "critical": None,
        "plot": None,
    }
    finish = getattr(res, "polished", None)
    if finish is not None:
        xs = np.reshape(finish.x, (-1, n))
        fields = [np.reshape(np.asarray(a, dtype=object), -1) for a in
                  (finish.fun, finish.nit, finish.nfev, finish.status, finish.message)]
        report["finish"] = {
            "method": ns.finish,
            "points": [{"x": x, "fun": float(fun), "nit": int(nit), "nfev": int(nfev),
                        "status": Status(int(st)).name, "message": str(msg)}
                       for x, fun, nit, nfev, st, msg in zip(xs, *fields, strict=True)],
        }
    crit = None
    if ns.critical:
        crit = fastopt.find_critical_points(expr.func, box)
        report["critical"] = [
            {"x": crit.x[i], "fun": crit.fun[i], "kind": _kind_name(crit.kind[i]),
             "eigenvalues": crit.eigenvalues[i], "grad_norm": crit.grad_norm[i]}
            for i in range(len(crit))
        ]
    if ns.plot is not None:
        _scan_plot(ns.plot, expr, box, res, finish, ns.finish, crit)
        report["plot"] = ns.plot
    if ns.json:
        out.write(json.dumps(_jsonable(report), indent=2) + "\n")
    else:
        _print_scan(out, expr, box, res, report, crit)
    return 0


def _scan_plot(filename, expr, box, res, finish, method, crit):
    from . import plot

    points = {"grid best": res.x}
    if finish is not None:
        points[f"polished ({method})"] = np.reshape(finish.x, (-1, expr.n))
    title = f"f({', '.join(expr.variables)}) = {expr.text}"
    if len(title) > 70:
        title = title[:67] + "..."
    if expr.n == 1:
        plot.curve(expr.func, box, critical=crit, points=points, label=expr.variables[0],
                   title=title, filename=filename)
    else:
        plot.landscape(expr.func, box, critical=crit, points=points,
                       labels=expr.variables, title=title, filename=filename)


def _print_scan(out, expr, box, res, report, crit):
    w = out.write
    names = ", ".join(expr.variables)
    w(f"f({names}) = {expr.text}\n")
    w("box: " + " x ".join(f"[{_num_str(lo)}, {_num_str(hi)}]" for lo, hi in box) + "\n")
    w(f"grid: {' x '.join(map(str, res.num))} = {res.nfev:,} points, spacing "
      f"{' x '.join(_num_str(s) for s in res.spacing)}, scanned in {res.elapsed:.3g} s\n")
    if res.status != Status.SUCCESS or res.nnonfinite:
        w(f"note: {res.message}\n")
    w("\n")
    if not np.all(np.isfinite(res.x)):
        w("no finite value of f on the grid\n")
    else:
        title = "best grid point" if len(res.funs) == 1 else f"{len(res.funs)} best grid points"
        w(f"{title}:\n")
        rows = [[str(i + 1), *(_num_str(c) for c in x), _num_str(v)]
                for i, (x, v) in enumerate(zip(res.xs, res.funs, strict=True))]
        _table(out, ["rank", *expr.variables, "f"], rows)
    fin = report["finish"]
    if fin is not None:
        w(f"\npolished with {fin['method']} (from the grid point of the same rank):\n")
        rows = [[str(i + 1), *(_num_str(c) for c in p["x"]), _num_str(p["fun"]),
                 str(p["nit"]), str(p["nfev"]), p["status"].lower()]
                for i, p in enumerate(fin["points"])]
        _table(out, ["rank", *expr.variables, "f", "iterations", "evaluations", "status"],
               rows)
    if crit is not None:
        w(f"\ncritical points in the box: {len(crit)} (Newton from {crit.nstart} starts, "
          f"{crit.nfev:,} evaluations)\n")
        if len(crit):
            rows = [[_kind_name(crit.kind[i]), *(_num_str(c) for c in crit.x[i]),
                     _num_str(crit.fun[i]), _vec(crit.eigenvalues[i])]
                    for i in range(len(crit))]
            _table(out, ["kind", *expr.variables, "f", "Hessian eigenvalues"], rows)
    if report["plot"] is not None:
        w(f"\nplot written to {report['plot']}\n")


# --------------------------------------------------------------------------- classify
def add_classify(sub) -> None:
    """Register the ``classify`` subcommand."""
    p = sub.add_parser(
        "classify",
        help="gradient, Hessian, eigenvalues and the verdict at given points",
        description="The first- and second-order optimality tests of EXPR at each point "
                    "given with --at: is it a minimum, a maximum, a saddle, degenerate, or "
                    "not critical? Derivatives are finite differences; the tolerances come "
                    "from their error model.",
        epilog=CLASSIFY_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("expr", metavar="EXPR", help="the function, e.g. \"x**2 - y**2\"")
    p.add_argument("--at", action="append", required=True, metavar="X,Y,...",
                   help="a point (repeat for several), e.g. --at 0,0")
    p.add_argument("--vars", metavar="NAMES",
                   help="variable names in coordinate order, e.g. \"a,b\"")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(run=run_classify)


def run_classify(ns, out=None) -> int:
    """Run ``fastopt classify``; return the exit status."""
    import fastopt

    out = sys.stdout if out is None else out
    points = [parse_point(t) for t in ns.at]
    n = points[0].size
    for t, p in zip(ns.at, points, strict=True):
        if p.size != n:
            raise ValueError(
                f"every --at needs the same number of coordinates; {ns.at[0]!r} has {n}, "
                f"{t!r} has {p.size}"
            )
    expr = compile_expression(ns.expr, variables=_variables(ns), n=n)
    res = fastopt.classify_points(expr.func, np.array(points))
    results = []
    for i, p in enumerate(points):
        results.append({
            "at": p, "fun": res.fun[i], "gradient": res.gradient[i],
            "grad_norm": res.grad_norm[i], "gtol": res.gtol[i], "hessian": res.hessian[i],
            "eigenvalues": res.eigenvalues[i], "tol": res.tol[i],
            "kind": _kind_name(res.kind[i]), "verdict": VERDICTS[PointType(int(res.kind[i]))],
        })
    if ns.json:
        report = {"expression": expr.text, "variables": list(expr.variables),
                  "points": results, "nfev": res.nfev}
        out.write(json.dumps(_jsonable(report), indent=2) + "\n")
        return 0
    w = out.write
    names = ", ".join(expr.variables)
    w(f"f({names}) = {expr.text}\n")
    for r in results:
        w(f"\nat ({names}) = {_vec(r['at'])}\n")
        w(f"  f           = {_num_str(r['fun'])}\n")
        w(f"  gradient    = {_vec(r['gradient'])}, norm {_num_str(r['grad_norm'])} "
          f"(zero if <= {_num_str(r['gtol'])})\n")
        H = np.atleast_2d(r["hessian"])
        for j, row in enumerate(H):
            label = "  Hessian     = " if j == 0 else "                "
            w(f"{label}{_vec(row)}\n")
        w(f"  eigenvalues = {_vec(r['eigenvalues'])} (zero if |.| <= {_num_str(r['tol'])})\n")
        w(f"  verdict: {r['verdict']}\n")
    w(f"\n{res.nfev} evaluations of f (finite differences)\n")
    return 0
