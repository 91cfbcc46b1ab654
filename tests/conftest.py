"""Shared fixtures. Objectives live in tests/problems.py (compiled once per session)."""

import numba
import pytest


@pytest.fixture
def one_thread():
    """Run the test body with numba limited to one thread, then restore."""
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(before)
