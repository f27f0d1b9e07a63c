"""Wheels built from this checkout, installed (not editable) into fresh virtual environments.

Once per session (the ``dist_dir`` fixture, tests/built_dists.py): `uv build` makes an sdist
and, from it, a wheel of every distribution (as `make dist` does), so a file missing from either
fails here; the venvs are made once and shared by the tests of this directory.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fresh_venvs import (
    Footprint,
    ServerInstall,
    Venv,
    make_venv,
    measure,
)

from built_dists import DISTRIBUTIONS, wheel_name


@pytest.fixture(scope="session")
def wheels(dist_dir: Path) -> dict[str, Path]:
    """Distribution name -> its wheel, built through its sdist as `make dist` builds it."""
    return {
        name: next(dist_dir.glob(f"{wheel_name(name)}-*.whl")) for name in DISTRIBUTIONS
    }


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
