"""Shared pytest configuration: the markers the suite uses (`--strict-markers` is on)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "conformance: runs the shared AWS-recorded conformance cases (deselect with -m 'not conformance')"
    )


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio unless a module says otherwise (trio is tested where it matters)."""
    return "asyncio"


# The sample project runs on its own (its own pytest.ini and rootdir), from test_pytest_plugin.py.
collect_ignore = ["plugin_project"]
