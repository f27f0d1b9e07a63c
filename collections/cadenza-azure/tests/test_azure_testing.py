"""`cadenza_azure.testing`: installing and running Azurite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cadenza_azure.testing import Azurite, azurite_executable, install_azurite


def test_without_npm_the_error_says_what_to_install(tmp_path: Path, monkeypatch: Any):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(RuntimeError, match=r"npm was not found: install Node\.js and npm"):
        install_azurite(tmp_path / "cache")


def test_an_installed_azurite_is_reused_without_npm(azurite: Azurite, monkeypatch: Any):
    cache = Path(azurite.command[0]).parents[2]
    monkeypatch.setenv("PATH", "/nonexistent")
    assert install_azurite(cache) == azurite_executable(cache)


def test_the_service_listens_on_loopback_and_stops_by_pid(azurite: Azurite, tmp_path: Path):
    assert azurite.account_url.startswith("http://127.0.0.1:")
    assert azurite.is_running()
    second = Azurite(azurite.command[0]).start()
    try:
        assert second.port != azurite.port
        assert Path(second.location).is_dir()
        container = second.container("second-one")
        container.write_path("k", b"v")
        assert container.read_path("k") == b"v"
    finally:
        second.stop()
    assert not second.is_running()
    assert not Path(second.location).exists()
