"""`prefect_test_harness` as Prefect users use it: a session fixture that sends every run of
their tests to a throwaway record. Prefect 3.9.1: the harness starts a temporary server on a new
SQLite database, points PREFECT_API_URL at it, and restores the previous settings on exit."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

from cadenza import flow, task
from cadenza.testing.utilities import (
    assert_does_not_warn,
    exceptions_equal,
    prefect_test_harness,
)


def _runs(home: Path) -> list[str]:
    with sqlite3.connect(home / "cadenza.db") as conn:
        return [name for (name,) in conn.execute("SELECT flow_name FROM flow_runs")]


def test_runs_inside_the_harness_go_to_a_temporary_record(cadenza_home: Path) -> None:
    @task
    def double(x: int) -> int:
        return 2 * x

    @flow
    def inside() -> int:
        return double(21)

    with prefect_test_harness():
        harness_home = Path(os.environ["CADENZA_HOME"])
        assert harness_home != cadenza_home
        assert inside() == 42
        from cadenza.backends import current_backend

        current_backend().flush()
        assert _runs(harness_home) == ["inside"]
    assert os.environ["CADENZA_HOME"] == str(cadenza_home)
    assert not harness_home.exists()  # removed with its record

    @flow
    def outside() -> None:
        pass

    outside()
    assert "inside" not in _runs(cadenza_home)


def test_the_harness_does_not_write_to_a_configured_server(monkeypatch) -> None:
    monkeypatch.setenv("CADENZA_API_URL", "http://127.0.0.1:9/api")  # nothing listens there

    @flow
    def offline() -> str:
        return "recorded locally"

    with prefect_test_harness():
        assert "CADENZA_API_URL" not in os.environ
        assert offline() == "recorded locally"
    assert os.environ["CADENZA_API_URL"] == "http://127.0.0.1:9/api"


def test_a_session_fixture_with_the_harness_in_a_users_test_suite(tmp_path: Path) -> None:
    """The conftest.py Prefect's testing guide shows, with only its import changed."""
    (tmp_path / "conftest.py").write_text(
        textwrap.dedent("""
        import pytest
        from cadenza.testing.utilities import prefect_test_harness

        @pytest.fixture(autouse=True, scope="session")
        def prefect_test_fixture():
            with prefect_test_harness():
                yield
    """)
    )
    (tmp_path / "test_flows.py").write_text(
        textwrap.dedent("""
        from cadenza import flow

        @flow
        def my_favorite_flow():
            return 42

        def test_my_favorite_flow():
            assert my_favorite_flow() == 42
    """)
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env["CADENZA_HOME"] = str(tmp_path / "users-home")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
    users_record = tmp_path / "users-home" / "cadenza.db"
    assert not users_record.exists() or _runs(tmp_path / "users-home") == []


def test_assert_does_not_warn_and_exceptions_equal() -> None:
    with assert_does_not_warn():
        pass
    with pytest.raises(AssertionError, match="DeprecationWarning"), assert_does_not_warn():
        warnings.warn("old", DeprecationWarning, stacklevel=1)
    with assert_does_not_warn(ignore_warnings=[DeprecationWarning]):
        warnings.warn("old", DeprecationWarning, stacklevel=1)
    assert exceptions_equal(ValueError("x"), ValueError("x"))
    assert not exceptions_equal(ValueError("x"), TypeError("x"))
    assert not exceptions_equal(ValueError("x"), ValueError("y"))
