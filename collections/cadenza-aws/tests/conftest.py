"""Fixtures for cadenza-aws's tests: an isolated cadenza record per test (from the
`cadenza.testing` pytest plugin) and one real moto server for the session.

moto runs as its own process (``moto_server -H 127.0.0.1 -p PORT``, started and stopped by PID
through `cadenza_aws.testing`); the blocks and tasks reach it over HTTP exactly as they reach
AWS. Each test gets a bucket of its own, so tests cannot see each other's objects.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cadenza_aws.testing import MotoServer, start_moto_server


@pytest.fixture(autouse=True)
def isolated_home(cadenza_isolated_home: Path) -> Path:
    """Every test gets its own cadenza record (the `cadenza.testing` kit's fixture)."""
    return cadenza_isolated_home


@pytest.fixture
def record(cadenza_record: Any) -> Any:
    """Query the record after a flush: ``record("SELECT ...", *params)``."""
    return cadenza_record


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """The session's moto server (S3, Secrets Manager, IAM ...) on 127.0.0.1."""
    with start_moto_server() as server:
        yield server


@pytest.fixture(autouse=True)
def no_ambient_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No AWS configuration of the machine running the tests leaks into them."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                 "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def aws_credentials(moto_server: MotoServer) -> Any:
    """An unsaved `AwsCredentials` for the moto server."""
    return moto_server.credentials()


@pytest.fixture
def bucket_name(moto_server: MotoServer) -> str:
    """A new, empty bucket on the moto server."""
    return moto_server.create_bucket(f"test-{uuid.uuid4().hex[:12]}")


@pytest.fixture
def s3(moto_server: MotoServer) -> Any:
    """A plain boto3 S3 client, to check what the code under test did."""
    return moto_server.client("s3")
