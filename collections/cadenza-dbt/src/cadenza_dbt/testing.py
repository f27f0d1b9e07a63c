"""A dbt with the DuckDB adapter for tests: `dbt_for_tests` makes a virtual environment of its
own once per machine (dbt runs as its own process, so it need not share the caller's packages:
dbt-core 1.10 pins ``pathspec<0.13``, which newer tools cannot use) and gives its ``dbt``.

``CADENZA_TEST_DBT``, when set, names a dbt executable to use instead. The venv is made with uv
when one is on PATH or in a checkout's ``build/uv`` (about 2 s from uv's cache), else with
``venv`` and pip, under a file lock so that parallel test processes make it once.
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

#: as the `duckdb` extra of cadenza-dbt's pyproject.toml
DBT_PINS = ("dbt-core>=1.10,<1.11", "dbt-duckdb>=1.9,<1.10")
ENVIRONMENT_VARIABLE = "CADENZA_TEST_DBT"


def dbt_for_tests(cache_dir: str | os.PathLike[str] | None = None) -> str:
    """A dbt executable with the DuckDB adapter: ``CADENZA_TEST_DBT``, else the one in a venv
    under ``cache_dir`` (default: the temporary directory), made there first if needed."""
    given = os.environ.get(ENVIRONMENT_VARIABLE)
    if given:
        return given
    key = hashlib.sha256(f"{sys.version_info[:2]}{DBT_PINS}".encode()).hexdigest()[:12]
    base = Path(cache_dir) if cache_dir is not None else Path(tempfile.gettempdir())
    home = base / f"cadenza-test-dbt-{os.getuid()}-{key}"
    base.mkdir(parents=True, exist_ok=True)
    with open(f"{home}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another test process may be making it
        if not (home / "installed").is_file():
            _make_venv(home)
    return str(home / "bin" / "dbt")


def _make_venv(home: Path) -> None:
    """Install dbt into a new venv at `home` (in place: a venv's scripts name its path)."""
    shutil.rmtree(home, ignore_errors=True)
    python = home / "bin" / "python"
    uv = shutil.which("uv") or _checkout_uv()
    if uv is not None:
        subprocess.run([uv, "venv", "-q", "-p", sys.executable, str(home)], check=True)
        subprocess.run([uv, "pip", "install", "-q", "-p", str(python), *DBT_PINS], check=True)
    else:
        subprocess.run([sys.executable, "-m", "venv", str(home)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *DBT_PINS], check=True)
    (home / "installed").write_text("\n".join(DBT_PINS) + "\n")


def _checkout_uv() -> str | None:
    """The uv a cadenza checkout's Makefile bootstraps into build/uv, if this runs from one."""
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "build" / "uv" / "bin" / "uv"
        if candidate.is_file():
            return str(candidate)
    return None


__all__ = ["DBT_PINS", "ENVIRONMENT_VARIABLE", "dbt_for_tests"]
