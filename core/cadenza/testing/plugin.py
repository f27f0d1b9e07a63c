"""The pytest plugin (entry point ``pytest11``): fixtures for isolated cadenza tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cadenza.backends import current_backend, reset_backend
from cadenza.plugins import registry
from cadenza.plugins.manager import create_plugin_manager
from cadenza.settings import spec


@pytest.fixture
def cadenza_isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh ``CADENZA_HOME`` (its own run record, storage and keys) for one test; the
    process's backend is closed afterwards, so the next test opens its own."""

    home = tmp_path / "cadenza-isolated-home"
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("CADENZA_HOME", str(home))
    monkeypatch.setenv("CADENZA_LOGGING_CONSOLE", "false")
    reset_backend()
    spec.reset_cache()
    yield home
    reset_backend()
    spec.reset_cache()


@pytest.fixture
def cadenza_record(cadenza_isolated_home: Path):
    """Query the isolated record after a flush: ``cadenza_record("SELECT ...", *params)``."""
    import sqlite3

    def query(sql: str, *params: object) -> list[tuple]:

        backend = current_backend()
        if backend is not None:
            backend.flush()
        conn = sqlite3.connect(cadenza_isolated_home / "cadenza.db")
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    return query


@pytest.fixture
def cadenza_plugin_manager(cadenza_isolated_home: Path) -> Iterator[Any]:
    """A plugin manager with the core's built-ins and no entry points, installed as the
    process's manager for the test: add yours with ``cadenza_plugin_manager.add_plugin(module,
    "name")`` and the registries (`cadenza.plugins.registry`) see them."""

    pm = create_plugin_manager(entry_points=False)
    registry.reset(pm)
    yield pm
    registry.reset()


__all__ = ["cadenza_isolated_home", "cadenza_plugin_manager", "cadenza_record"]
