"""Fixtures for cadenza-shell's tests: every test gets its own CADENZA_HOME (run record, block
store, encryption key) from the `cadenza.testing` pytest plugin. Every command the tests run is
a real process (bash, sleep); nothing is mocked."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cadenza import masking

sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(autouse=True)
def isolated_home(cadenza_isolated_home: Path) -> Path:
    """The kit's `cadenza_isolated_home`, for every test."""
    return cadenza_isolated_home


@pytest.fixture(autouse=True)
def no_registered_secrets() -> Iterator[None]:
    """Each test starts with no secret registered for masking (registrations are per
    process): a test of masking must register its secret itself."""
    masking.clear()
    yield
    masking.clear()
