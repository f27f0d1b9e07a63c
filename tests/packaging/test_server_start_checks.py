"""What `cadenza server start` checks before it prints its banner, in one line each, exit
status 1, no traceback: a library of the ``server`` extra that is missing (made unimportable
here; tests/packaging/test_wheel_install.py checks it from a real install), and a busy port."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cadenza.cli.main import cli
from cadenza.testing.services import free_port

HINT = "pip install 'cadenza[server]'"


@pytest.mark.parametrize("library", ["uvicorn", "fastapi", "prometheus_client"])
def test_a_missing_server_library_is_named_with_the_extra(
    library: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [m for m in sys.modules if m.split(".")[0] in {library, "cadenza"}]:
        if name.startswith(("cadenza.server", library)):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, library, None)  # `import <library>` raises
    result = CliRunner().invoke(cli, ["server", "start", "--port", str(free_port())])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"Error: `cadenza server start` needs the server extra ({library} is not installed): "
        f"{HINT}"
    ]


def test_a_missing_postgresql_driver_is_named_with_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in [m for m in sys.modules if m.split(".")[0] == "psycopg"]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "psycopg", None)
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    result = CliRunner().invoke(
        cli, ["server", "start", "--port", str(free_port()), "--database-url", url]
    )
    assert result.exit_code == 1, result.output
    assert result.output.splitlines() == [
        f"Error: `cadenza server start` needs the server extra (psycopg is not installed): {HINT}"
    ]


def test_a_busy_port_fails_before_the_banner(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        url = f"sqlite:///{tmp_path / 'cadenza.db'}"
        result = CliRunner().invoke(
            cli, ["server", "start", "--port", str(port), "--database-url", url]
        )
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"Error: Port {port} on 127.0.0.1 is already in use (another server?): stop it or "
        "choose another port with --port"
    ]
    assert not (tmp_path / "cadenza.db").exists()  # refused before the database was touched
