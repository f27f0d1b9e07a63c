"""What `pip install cadenza` and `pip install 'cadenza[server]'` weigh in a fresh venv:
site-packages' disk usage as ``du`` counts it (bytecode compiled, as pip leaves it; pip
itself not counted) and the number of distributions installed. Printed for the record (run
with ``-s``); bounded so that a heavy dependency creeping into the runtime fails here.

For comparison, Prefect 3.9.1's install: 258 MB and 105 packages.
"""

from __future__ import annotations

import pytest
from fresh_venvs import Footprint, ServerInstall

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SERVER_ONLY = {"fastapi", "starlette", "uvicorn", "psycopg", "psycopg-binary", "prometheus-client"}


def test_the_runtime_install_is_small(core_footprint: Footprint) -> None:
    print(f"\npip install cadenza: {core_footprint.describe()}")
    assert not core_footprint.distributions & SERVER_ONLY
    assert core_footprint.own_megabytes < 130
    assert core_footprint.packages <= 40


def test_the_server_extra_adds_the_server_and_little_else(
    core_footprint: Footprint, server_install: ServerInstall
) -> None:
    server = server_install.footprint
    print(f"\npip install 'cadenza[server]': {server.describe()}")
    assert {"fastapi", "uvicorn", "psycopg"} <= server.distributions
    added = server.distributions - core_footprint.distributions
    assert server.packages - core_footprint.packages == len(added)
    assert len(added) <= 12, sorted(added)
    assert server.own_megabytes < core_footprint.own_megabytes + 30
