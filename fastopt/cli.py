"""The ``fastopt`` command line.

Subcommands
-----------
scan
    Grid search of an expression over a box; optional polishing, classified critical
    points, a plot, JSON (:mod:`fastopt._commands`).
classify
    Gradient, Hessian, eigenvalues and the verdict of an expression at given points.
demo
    The guided tour that ``make demo`` runs.
bench
    Grid search versus gradient descent, Newton and BFGS on test problems
    (:mod:`fastopt.benchmarking`).

Exit status: 0 on success, 2 on bad usage (one-line error on stderr).
"""

from __future__ import annotations

import argparse
import re
import sys
import warnings

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr and exit status 2."""

    def error(self, message):  # noqa: D102
        self.exit(2, f"fastopt: error: {message}\n")

    def _parse_optional(self, arg_string):
        # values such as --box "-2:2,-1:1", --at "-1,0" or "-x**2" are arguments, not
        # options: argparse only recognises plain negative numbers by itself
        if re.match(r"-[0-9.]|-[^-].*[^A-Za-z0-9_=-]", arg_string):
            return None
        return super()._parse_optional(arg_string)


_EXAMPLES = """\
examples:
  fastopt scan "(x**2 + y - 11)**2 + (x + y**2 - 7)**2" --box "-5:5,-5:5" --eps 0.01 --critical
  fastopt classify "x**3 - y**3" --at 0,0
  fastopt demo
  fastopt bench --dims 1-4 --out bench

Run "fastopt COMMAND --help" for the options and examples of each command.
Exit status: 0 on success, 2 on bad usage (with a one-line error on stderr).
"""


def _version() -> str:
    from . import __version__

    return __version__


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="fastopt",
        description="Finite-difference derivatives, optimality tests and grid search.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"fastopt {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    from ._commands import add_classify, add_scan

    add_scan(sub)
    add_classify(sub)
    demo = sub.add_parser(
        "demo",
        help="run the guided tour (what `make demo` runs)",
        description="The basics of numerical optimization in one readable report: "
                    "finite-difference versus exact derivatives, the optimality test, grid "
                    "search versus Newton and BFGS, every critical point of a function "
                    "classified, and figures. 30-45 s on 2 cores, mostly numba compiling.",
        epilog="examples:\n  fastopt demo\n  fastopt demo --out figures --no-plots\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_argument("--out", default="fastopt-demo", metavar="DIR",
                      help="folder for the figures (default: fastopt-demo)")
    demo.add_argument("--no-plots", action="store_true", help="write no figures")
    demo.set_defaults(run=_run_demo)
    from .benchmarking import add_bench_command

    add_bench_command(sub)
    return parser


def _run_demo(ns) -> int:
    from ._demo import run

    run(sys.stdout, folder=ns.out, plots=not ns.no_plots)
    return 0


def main(argv=None) -> int:
    """Run the command line; return the exit status (also for --help and usage errors)."""
    parser = _build_parser()
    try:
        ns = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else 2
    if not getattr(ns, "command", None):
        commands = ", ".join(_commands(parser))
        print(f"fastopt: error: give a command ({commands}); see fastopt --help",
              file=sys.stderr)
        return 2
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            status = ns.run(ns)
    except (ValueError, TypeError) as exc:
        print(f"fastopt: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except ImportError as exc:  # an optional dependency (matplotlib, tqdm) is missing
        print(f"fastopt: error: {_one_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("fastopt: interrupted", file=sys.stderr)
        return 130
    for w in caught:
        print(f"fastopt: warning: {_one_line(w.message)}", file=sys.stderr)
    return status


def _commands(parser) -> list:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices)
    return []


def _one_line(message) -> str:
    return " ".join(str(message).split())
