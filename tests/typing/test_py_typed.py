"""Every distribution ships ``py.typed`` (PEP 561) in its wheel, so type checkers read the
annotations of an installed cadenza, collection or plugin instead of treating it as untyped.

The wheels are built from this checkout with uv (hatchling, as ``pip install`` would).
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UV = shutil.which("uv") or str(ROOT / "build" / "uv" / "bin" / "uv")

# (distribution directory, import package)
DISTRIBUTIONS = [
    (".", "cadenza"),
    ("plugins/cadenza-dask", "cadenza_dask"),
    ("plugins/cadenza-otel", "cadenza_otel"),
    ("plugins/cadenza-ray", "cadenza_ray"),
    ("collections/cadenza-aws", "cadenza_aws"),
    ("collections/cadenza-gcp", "cadenza_gcp"),
    ("collections/cadenza-sql", "cadenza_sql"),
    ("collections/cadenza-http", "cadenza_http"),
    ("collections/cadenza-azure", "cadenza_azure"),
    ("collections/cadenza-shell", "cadenza_shell"),
]


@pytest.mark.parametrize(("directory", "package"), DISTRIBUTIONS)
def test_the_wheel_holds_py_typed_beside_the_package(
    directory: str, package: str, tmp_path: Path
) -> None:
    if not Path(UV).exists():
        pytest.skip("uv is not installed (make venv bootstraps it into build/uv)")
    proc = subprocess.run(
        [UV, "build", "--wheel", "-q", "-o", str(tmp_path), str(ROOT / directory)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, f"building {directory} failed:\n{proc.stderr[-3000:]}"
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert f"{package}/py.typed" in names, f"{wheel.name} has no {package}/py.typed"
