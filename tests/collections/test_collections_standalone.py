"""Each first-party collection installs on its own and passes its own tests there.

For each, uv makes a fresh virtual environment with the core (from this checkout) and
``pip install ./collections/cadenza-<name>[test]`` (not editable: the installed distribution is
what is tested), and the collection's test suite runs from its own directory with its own
pytest configuration, starting its real services (moto, the GCS emulator, PostgreSQL).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UV = shutil.which("uv") or str(ROOT / "build" / "uv" / "bin" / "uv")

pytestmark = pytest.mark.slow


def _run(*args: str | Path, env: dict[str, str], cwd: Path | None = None) -> str:
    proc = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=600, env=env, cwd=cwd
    )
    assert proc.returncode == 0, f"{args} failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-4000:]}"
    return proc.stdout


@pytest.mark.parametrize("name", ["aws", "gcp", "sql"])
def test_the_collection_installs_alone_and_passes_its_suite(name: str, tmp_path: Path) -> None:
    source = ROOT / "collections" / f"cadenza-{name}"
    venv = tmp_path / "venv"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CADENZA_", "VIRTUAL_ENV"))}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    _run(UV, "venv", "-q", venv, "--python", sys.executable, env=env)
    python = venv / "bin" / "python"
    _run(UV, "pip", "install", "-q", "--compile-bytecode", "-p", python, ROOT,
         f"{source}[test]", env=env)  # fmt: skip
    where = _run(python, "-c", f"import cadenza_{name}; print(cadenza_{name}.__file__)", env=env)
    assert str(venv) in where, f"cadenza_{name} was imported from {where}, not the new venv"
    out = _run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", env=env, cwd=source)
    assert " passed" in out and " failed" not in out, out[-2000:]
