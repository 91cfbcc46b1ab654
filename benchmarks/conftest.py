"""Benchmark helpers shared by every benchmarks/bench_*.py file.

Real runs: ``make bench`` (``--benchmark-only``). The test suite runs every benchmark
once with ``--benchmark-disable`` at reduced sizes (see :func:`full_size`), so they
cannot rot.
"""

import sys

import numba
import pytest

# the benchmark modules importable by name (also in dask worker processes, which inherit
# sys.path and unpickle objectives defined in these modules)
sys.path.insert(0, __file__.rsplit("/", 1)[0])


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


def pytest_collection_modifyitems(config, items):
    """Under ``--benchmark-disable`` drop the cases marked ``full_only``.

    They are larger sizes of cases that also run small (or measurements that only mean
    something in a real run), so the test suite deselects them rather than skipping.
    """
    if not config.getoption("benchmark_disable"):
        return
    drop = [item for item in items if item.get_closest_marker("full_only")]
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = [item for item in items if not item.get_closest_marker("full_only")]
