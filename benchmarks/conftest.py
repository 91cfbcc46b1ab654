"""Benchmark helpers shared by every benchmarks/bench_*.py file.

Real runs: ``make bench`` (``--benchmark-only``). The test suite runs every benchmark
once with ``--benchmark-disable`` at reduced sizes (see :func:`full_size`), so they
cannot rot.
"""

import sys

import numba
import pytest

sys.path.insert(0, __file__.rsplit("/", 1)[0])  # make `benchmarks/_objectives.py` importable


def full_size(request) -> bool:
    """True under a real benchmark run, False in the test suite."""
    return not request.config.getoption("benchmark_disable")


@pytest.fixture
def threads():
    """Set numba's thread count for one benchmark: ``threads(1)``; restored afterwards."""
    before = numba.get_num_threads()
    yield numba.set_num_threads
    numba.set_num_threads(before)


@pytest.fixture
def full(request):
    """Whether this is a real benchmark run (full problem sizes)."""
    return full_size(request)
