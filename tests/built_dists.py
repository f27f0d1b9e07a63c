"""Every distribution of this checkout built as `make dist` builds it: ``uv build`` makes an
sdist and, from that sdist, a wheel, so a file missing from either shows in what is installed.

The ``dist_dir`` fixture (tests/conftest.py) builds them once per session, for the packaging
tests (tests/packaging) and the docs' install examples (tests/docs).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# `make` uses the uv on PATH, or bootstraps one into build/uv
UV = shutil.which("uv") or str(ROOT / "build" / "uv" / "bin" / "uv")

# distribution name -> its directory (the Makefile's `dist` target builds the same)
DISTRIBUTIONS = {
    "cadenza": ".",
    "cadenza-dask": "plugins/cadenza-dask",
    "cadenza-otel": "plugins/cadenza-otel",
    "cadenza-ray": "plugins/cadenza-ray",
    "cadenza-aws": "collections/cadenza-aws",
    "cadenza-gcp": "collections/cadenza-gcp",
    "cadenza-sql": "collections/cadenza-sql",
    "cadenza-notify": "collections/cadenza-notify",
    "cadenza-http": "collections/cadenza-http",
    "cadenza-azure": "collections/cadenza-azure",
    "cadenza-shell": "collections/cadenza-shell",
    "cadenza-dbt": "collections/cadenza-dbt",
}


def lock_constraints(path: Path) -> Path:
    """requirements-dev.lock's pins, without its editable lines, written to `path`: installs
    into fresh venvs use them (``UV_CONSTRAINT``) and get the versions the suite is locked to,
    not whatever the index holds today."""
    lines = (ROOT / "requirements-dev.lock").read_text().splitlines()
    pins = [ln for ln in lines if ln and not ln.startswith(("#", " ", "-e "))]
    path.write_text("\n".join(pins) + "\n")
    return path


def wheel_name(dist: str) -> str:
    return dist.replace("-", "_")


def build_all(out: Path) -> Path:
    """Build every distribution into `out` (two at a time: the machine's cores); an
    AssertionError with uv's output when one fails."""
    if not Path(UV).exists():
        raise AssertionError("uv is needed to build the wheels: put it on PATH or run `make venv`")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "UV_PROJECT"))}
    pending = list(DISTRIBUTIONS.items())
    running: list[tuple[str, subprocess.Popen[str]]] = []
    while pending or running:
        while pending and len(running) < 2:
            name, directory = pending.pop(0)
            command = [UV, "build", "-q", "--out-dir", str(out), str(ROOT / directory)]
            proc = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
            )
            running.append((name, proc))
        name, proc = running.pop(0)
        output, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0, f"uv build {DISTRIBUTIONS[name]} failed:\n{output[-4000:]}"
    for name in DISTRIBUTIONS:
        stem = wheel_name(name)
        assert len(list(out.glob(f"{stem}-*.tar.gz"))) == 1, f"{name}: no sdist in {out}"
        assert len(list(out.glob(f"{stem}-*-py3-none-any.whl"))) == 1, f"{name}: no wheel"
    return out
