"""API fuzzing with schemathesis against the OpenAPI description, in-process: never a 5xx."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings

from cadenza.server.app import create_app

_HOME = Path(tempfile.mkdtemp(prefix="cadenza-fuzz-"))
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
APP = create_app(f"sqlite:///{_HOME / 'cadenza.db'}", api_key="")
schema = schemathesis.openapi.from_asgi("/api/openapi.json", APP)


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_errors(case) -> None:
    response = case.call()
    assert response.status_code < 500, (case.method, case.path, response.text)
