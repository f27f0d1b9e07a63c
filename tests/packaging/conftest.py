"""Wheels built from this checkout, installed (not editable) into fresh virtual environments.

Once per session: `uv build` makes an sdist and, from it, a wheel of every distribution (as
`make dist` does), so a file missing from either fails here; the venvs are made once and shared
by the tests of this directory.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fresh_venvs import (
    DISTRIBUTIONS,
    ROOT,
    UV,
    Footprint,
    ServerInstall,
    Venv,
    make_venv,
    measure,
)


@pytest.fixture(scope="session")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Distribution name -> its wheel, built through its sdist as `make dist` builds it."""
    if not Path(UV).exists():  # `make` always has one: it bootstraps uv when none is on PATH
        pytest.fail("uv is needed to build the wheels: put it on PATH or run `make venv`")
    out = tmp_path_factory.mktemp("dist")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "UV_PROJECT"))}
    builds = {}
    for name, directory in DISTRIBUTIONS.items():
        command = [UV, "build", "-q", "--out-dir", str(out / name), str(ROOT / directory)]
        builds[name] = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
        )
    found = {}
    for name, proc in builds.items():
        output, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0, f"uv build {DISTRIBUTIONS[name]} failed:\n{output[-4000:]}"
        assert len(list((out / name).glob("*.tar.gz"))) == 1, f"{name}: no sdist"
        (wheel,) = (out / name).glob("*.whl")
        found[name] = wheel
    return found


@pytest.fixture(scope="session")
def core_venv(tmp_path_factory: pytest.TempPathFactory, wheels: dict[str, Path]) -> Venv:
    """`pip install cadenza`: the runtime alone."""
    venv = make_venv(tmp_path_factory.mktemp("core-install"))
    venv.install(wheels["cadenza"])
    return venv


@pytest.fixture(scope="session")
def core_footprint(core_venv: Venv) -> Footprint:
    return measure(core_venv)


@pytest.fixture(scope="session")
def server_install(
    tmp_path_factory: pytest.TempPathFactory, wheels: dict[str, Path]
) -> Iterator[ServerInstall]:
    """`pip install 'cadenza[server]'`, measured; then, in the same venv, the SQL and AWS
    collections and the template's copier (`cadenza[templates]`), all from their wheels."""
    venv = make_venv(tmp_path_factory.mktemp("server-install"))
    venv.install(f"{wheels['cadenza']}[server]")
    footprint = measure(venv)
    venv.install(f"{wheels['cadenza']}[server,templates]", wheels["cadenza-sql"],
                 wheels["cadenza-aws"])  # fmt: skip
    yield ServerInstall(venv, footprint)
