"""Fixtures for cadenza-dbt's tests, from the `cadenza.testing` pytest plugin that cadenza
installs: every test gets its own CADENZA_HOME (run record, block store, encryption key)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_home(cadenza_isolated_home: Path) -> Path:
    """The kit's `cadenza_isolated_home`, for every test."""
    return cadenza_isolated_home
