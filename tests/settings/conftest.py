"""Fixtures for settings tests: an isolated, empty cadenza home and a clean environment."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cadenza.settings import spec


@pytest.fixture(autouse=True)
def cadenza_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point CADENZA_HOME at an empty temp dir, drop every other CADENZA_* variable."""
    for name in list(os.environ):
        if name.startswith("CADENZA_"):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    monkeypatch.setenv("CADENZA_HOME", str(home))
    spec.reset_cache()
    yield home
    spec.reset_cache()


@pytest.fixture
def write_profiles(cadenza_home: Path) -> Callable[[str], Path]:
    """A function writing ``profiles.toml`` in the isolated home and returning its path."""

    def write(text: str) -> Path:
        cadenza_home.mkdir(parents=True, exist_ok=True)
        path = cadenza_home / "profiles.toml"
        path.write_text(text, encoding="utf-8")
        spec.reset_cache()
        return path

    return write
