"""API fuzzing with schemathesis against the OpenAPI description, in-process: never a 5xx, and
every answer — errors included — has a status and a body that the description declares."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from cadenza.server.app import create_app

# property-based: hundreds of generated requests per route
pytestmark = pytest.mark.slow

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
def test_no_server_errors_and_answers_as_described(case) -> None:
    case.call_and_validate(
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ]
    )
