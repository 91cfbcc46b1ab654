"""The ``fastopt`` command line.

Subcommands
-----------
demo
    The guided tour that ``make demo`` runs.
bench
    Grid search versus gradient descent, Newton and BFGS on test problems
    (:mod:`fastopt.benchmarking`).

Exit status: 0 on success, 2 on bad usage (one-line error on stderr).
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr and exit status 2."""

    def error(self, message):  # noqa: D102
        self.exit(2, f"fastopt: error: {message}\n")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="fastopt",
        description="Finite-difference derivatives, optimality tests and grid search.",
        epilog="Example: fastopt demo",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    demo = sub.add_parser(
        "demo",
        help="run the guided tour (what `make demo` runs)",
        description="A readable report: finite-difference versus analytic derivatives.",
        epilog="Example: fastopt demo",
    )
    demo.set_defaults(run=_run_demo)
    from .benchmarking import add_bench_command

    add_bench_command(sub)
    return parser


def _run_demo(ns) -> int:
    from ._demo import run

    run(sys.stdout)
    return 0


def main(argv=None) -> int:
    """Run the command line; return the exit status."""
    parser = _build_parser()
    ns = parser.parse_args(argv)
    if not getattr(ns, "command", None):
        parser.print_help()
        return 2
    try:
        return ns.run(ns)
    except (ValueError, TypeError) as exc:
        print(f"fastopt: error: {exc}", file=sys.stderr)
        return 2
