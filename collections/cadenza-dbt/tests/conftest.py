"""Fixtures for cadenza-dbt's tests: an isolated cadenza record per test (the `cadenza.testing`
kit), a real dbt with the DuckDB adapter, and the shop project of tests/fixtures.

dbt runs as its own process, so it lives in a virtual environment of its own (dbt-core 1.10
pins pathspec<0.13, which the development environment cannot hold): `dbt_executable` is
``CADENZA_TEST_DBT`` when set, else a venv made once per machine with uv (or venv and pip) and
reused while the pins below stay the same. Each dbt invocation costs seconds, so the builds are
session fixtures that the tests read (test_dbt_build.py).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

#: as the `duckdb` extra of pyproject.toml
DBT_PINS = ("dbt-core>=1.10,<1.11", "dbt-duckdb>=1.9,<1.10")
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def isolated_home(cadenza_isolated_home: Path) -> Path:
    """The kit's `cadenza_isolated_home`, for every test."""
    return cadenza_isolated_home


@pytest.fixture(scope="session")
def dbt_executable() -> str:
    """A dbt executable with the DuckDB adapter."""
    given = os.environ.get("CADENZA_TEST_DBT")
    if given:
        return given
    key = hashlib.sha256(f"{sys.version_info[:2]}{DBT_PINS}".encode()).hexdigest()[:12]
    home = Path(tempfile.gettempdir()) / f"cadenza-test-dbt-{os.getuid()}-{key}"
    with open(f"{home}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another test process may be making it
        if not (home / "installed").is_file():
            _make_venv(home)
    return str(home / "bin" / "dbt")


def _make_venv(home: Path) -> None:
    """Install dbt into a new venv at `home` (in place: a venv's scripts name its path)."""
    shutil.rmtree(home, ignore_errors=True)
    python = home / "bin" / "python"
    uv = shutil.which("uv") or _repo_uv()
    if uv is not None:
        subprocess.run([uv, "venv", "-q", "-p", sys.executable, str(home)], check=True)
        subprocess.run([uv, "pip", "install", "-q", "-p", str(python), *DBT_PINS], check=True)
    else:
        subprocess.run([sys.executable, "-m", "venv", str(home)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *DBT_PINS], check=True)
    (home / "installed").write_text("\n".join(DBT_PINS) + "\n")


def _repo_uv() -> str | None:
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "build" / "uv" / "bin" / "uv"
        if candidate.is_file():
            return str(candidate)
    return None


@pytest.fixture(scope="session")
def shop_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the shop project (dbt writes target/ and its DuckDB file into it)."""
    project = tmp_path_factory.mktemp("dbt") / "shop"
    shutil.copytree(FIXTURES / "shop", project)
    return project
