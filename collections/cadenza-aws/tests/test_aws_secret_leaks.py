"""Secrets never leak: not in errors, logs, the run record or result references.

These tests run against a moto server of their own with IAM authentication switched on
(`MotoServer.enable_iam_auth`), so a wrong secret access key is refused with
``SignatureDoesNotMatch`` exactly as AWS refuses it — a real authentication failure.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cadenza import flow, task

from cadenza_aws import (
    AwsAuthError,
    AwsCredentials,
    AwsSecret,
    S3Bucket,
    S3NotFoundError,
    aws_secrets_manager_get_secret,
    s3_download,
    s3_upload,
)
from cadenza_aws.testing import MotoServer, start_moto_server

# a moto server of its own, with IAM checks on
pytestmark = pytest.mark.integration

BUCKET = "auth-bucket"
SECRET_NAME = "auth/db-password"


@pytest.fixture(scope="module")
def auth_server() -> Iterator[tuple[MotoServer, str, str]]:
    """A moto server checking signatures against IAM, with one bucket and one secret;
    yields (server, access key id, secret access key) of its administrator."""
    with start_moto_server() as server:
        server.create_bucket(BUCKET)
        server.client("secretsmanager").create_secret(Name=SECRET_NAME, SecretString="pw-1234")
        key_id, secret_key = server.enable_iam_auth()
        yield server, key_id, secret_key


@pytest.fixture
def wrong_secret() -> str:
    return f"WRONG-secret-{uuid.uuid4().hex}"


@pytest.fixture
def bad_credentials(auth_server: Any, wrong_secret: str) -> AwsCredentials:
    """The administrator's key id with a wrong secret key, saved and loaded by name."""
    server, key_id, _ = auth_server
    server.credentials(aws_access_key_id=key_id, aws_secret_access_key=wrong_secret).save("bad")
    return AwsCredentials.load("bad")


def _everything_said(exc: BaseException) -> str:
    return " ".join([str(exc), repr(exc), *traceback.format_exception(exc)])


def _record_bytes(home: Path) -> bytes:
    from cadenza.backends import current_backend

    backend = current_backend()
    if backend is not None:
        backend.flush()
    return b"".join(p.read_bytes() for p in home.glob("cadenza.db*"))


def test_the_right_secret_works_so_the_failures_below_are_about_the_secret(auth_server: Any):
    server, key_id, secret_key = auth_server
    good = server.credentials(aws_access_key_id=key_id, aws_secret_access_key=secret_key)
    bucket = S3Bucket(bucket_name=BUCKET, credentials=good)
    bucket.write_path("ok", b"1")
    assert bucket.read_path("ok") == b"1"


def test_a_wrong_secret_key_is_refused_without_showing_it(
    bad_credentials: AwsCredentials, wrong_secret: str, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)  # botocore's debug logs included
    bucket = S3Bucket(bucket_name=BUCKET, credentials=bad_credentials)
    for call in (lambda: bucket.read_path("ok"), lambda: bucket.write_path("k", b"1")):
        with pytest.raises(AwsAuthError) as info:
            call()
        assert isinstance(info.value, PermissionError)
        assert info.value.code == "SignatureDoesNotMatch"
        assert f"s3://{BUCKET}/" in str(info.value)
        assert wrong_secret not in _everything_said(info.value)
    assert wrong_secret not in repr(bucket) + str(bucket) + bucket.model_dump_json()
    assert wrong_secret not in caplog.text


def test_an_unknown_access_key_is_refused(auth_server: Any):
    server, _, _ = auth_server
    stranger = server.credentials(
        aws_access_key_id="AKIAUNKNOWNKEY000000", aws_secret_access_key="stranger-secret-key"
    )
    with pytest.raises(AwsAuthError, match="InvalidAccessKeyId") as info:
        S3Bucket(bucket_name=BUCKET, credentials=stranger).read_path("ok")
    assert "stranger-secret-key" not in _everything_said(info.value)


def test_a_failing_task_leaves_the_secret_out_of_logs_and_record(
    bad_credentials: AwsCredentials,
    wrong_secret: str,
    record: Any,
    cadenza_isolated_home: Path,
    caplog: pytest.LogCaptureFixture,
):
    caplog.set_level(logging.DEBUG)

    @flow
    def leaky(credentials: AwsCredentials) -> None:
        s3_upload(b"data", BUCKET, credentials, key="x")

    with pytest.raises(AwsAuthError) as info:
        leaky(bad_credentials)
    assert wrong_secret not in _everything_said(info.value)

    ((state, message),) = record("SELECT state_type, state_message FROM task_runs")
    assert state == "FAILED" and "SignatureDoesNotMatch" in message
    flow_rows = record("SELECT parameters, state_message FROM flow_runs")
    logs = record("SELECT message FROM logs")
    states = record("SELECT message, details FROM run_states")
    shown = repr([flow_rows, logs, states])
    assert "SignatureDoesNotMatch" in shown
    assert wrong_secret not in shown
    assert wrong_secret.encode() not in _record_bytes(cadenza_isolated_home)
    assert wrong_secret not in caplog.text


def test_secrets_manager_with_a_wrong_secret_key(
    bad_credentials: AwsCredentials, wrong_secret: str, record: Any, cadenza_isolated_home: Path
):
    with pytest.raises(AwsAuthError, match="SignatureDoesNotMatch") as info:
        AwsSecret(secret_name=SECRET_NAME, aws_credentials=bad_credentials).read_secret()
    assert wrong_secret not in _everything_said(info.value)

    @flow
    def read_it() -> Any:
        return aws_secrets_manager_get_secret(SECRET_NAME, bad_credentials)

    with pytest.raises(AwsAuthError) as info:
        read_it()
    assert wrong_secret not in _everything_said(info.value)
    assert wrong_secret.encode() not in _record_bytes(cadenza_isolated_home)


def test_persisting_with_a_wrong_secret_fails_the_run_without_showing_it(
    bad_credentials: AwsCredentials, wrong_secret: str, record: Any, cadenza_isolated_home: Path
):
    storage = S3Bucket(bucket_name=BUCKET, credentials=bad_credentials)

    @task(persist_result=True, result_storage=storage)
    def produce() -> int:
        return 1

    @flow
    def pipeline() -> None:
        state = produce(return_state=True)
        assert state.is_failed(), state
        assert "Could not persist the result" in state.message, state.message

    pipeline()
    ((message,),) = record("SELECT state_message FROM task_runs")
    assert "SignatureDoesNotMatch" in message and wrong_secret not in message
    assert wrong_secret.encode() not in _record_bytes(cadenza_isolated_home)


def test_errors_from_the_service_do_not_show_the_secret_either(
    moto_server: MotoServer, record: Any, cadenza_isolated_home: Path
):
    secret = f"unknown-bucket-secret-{uuid.uuid4().hex}"
    credentials = moto_server.credentials(aws_secret_access_key=secret)

    @flow
    def unknown_bucket() -> bytes:
        return s3_download("no-such-bucket-anywhere", "k", credentials)

    with pytest.raises(S3NotFoundError, match="no-such-bucket-anywhere") as info:
        unknown_bucket()
    assert secret not in _everything_said(info.value)
    assert secret.encode() not in _record_bytes(cadenza_isolated_home)
