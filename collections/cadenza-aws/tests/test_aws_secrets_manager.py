"""`AwsSecret` and `aws_secrets_manager_get_secret` against moto's Secrets Manager."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest
from cadenza import flow, get_run_logger

from cadenza_aws import (
    AwsCredentials,
    AwsSecret,
    SecretNotFoundError,
    aws_secrets_manager_get_secret,
)


@pytest.fixture
def secret_name() -> str:
    return f"cadenza/test-{uuid.uuid4().hex[:8]}"


def test_write_creates_then_updates_and_read_returns_bytes(
    aws_credentials: AwsCredentials, secret_name: str, moto_server: Any
):
    secret = AwsSecret(secret_name=secret_name, aws_credentials=aws_credentials)
    arn = secret.write_secret(b"first-value")
    assert arn.startswith("arn:aws:secretsmanager:") and secret_name in arn
    assert secret.read_secret() == b"first-value"
    assert secret.write_secret("second-value") == arn
    assert secret.read_secret() == b"second-value"
    assert secret.read_secret(version_stage="AWSPREVIOUS") == b"first-value"

    raw = moto_server.client("secretsmanager").get_secret_value(SecretId=secret_name)
    assert raw["SecretString"] == "second-value"


def test_delete_secret(aws_credentials: AwsCredentials, secret_name: str):
    secret = AwsSecret(secret_name=secret_name, aws_credentials=aws_credentials)
    arn = secret.write_secret(b"short-lived")
    assert secret.delete_secret(force_delete_without_recovery=True) == arn
    with pytest.raises(SecretNotFoundError, match=secret_name):
        secret.read_secret()


def test_delete_secret_checks_its_arguments(aws_credentials: AwsCredentials):
    secret = AwsSecret(secret_name="x-secret", aws_credentials=aws_credentials)
    with pytest.raises(ValueError, match="7 to 30"):
        secret.delete_secret(recovery_window_in_days=3)
    with pytest.raises(ValueError, match="not both"):
        secret.delete_secret(recovery_window_in_days=7, force_delete_without_recovery=True)


def test_missing_secret_is_a_lookup_error_naming_it(aws_credentials: AwsCredentials):
    secret = AwsSecret(secret_name="never-written", aws_credentials=aws_credentials)
    with pytest.raises(LookupError, match="'never-written'"):
        secret.read_secret()


def test_the_task_reads_string_and_binary_secrets_in_a_flow(
    aws_credentials: AwsCredentials, moto_server: Any, record: Any
):
    client = moto_server.client("secretsmanager")
    name = f"db-{uuid.uuid4().hex[:6]}"
    client.create_secret(Name=name, SecretString="db-password-value")
    client.create_secret(Name=f"{name}-bin", SecretBinary=b"\x00\xffbinary")

    @flow
    def read_both() -> tuple:
        text = aws_secrets_manager_get_secret(name, aws_credentials)
        data = aws_secrets_manager_get_secret(f"{name}-bin", aws_credentials)
        get_run_logger().log(logging.WARNING, "connecting with %s", text)
        return text, data

    assert read_both() == ("db-password-value", b"\x00\xffbinary")
    messages = " ".join(m for (m,) in record("SELECT message FROM logs"))
    assert "connecting with ********" in messages
    assert "db-password-value" not in messages
    rows = record("SELECT task_name, state_type FROM task_runs")
    assert rows == [("aws_secrets_manager_get_secret", "COMPLETED")] * 2


def test_the_task_fails_clearly_for_a_missing_secret(aws_credentials: AwsCredentials, record):
    @flow
    def missing() -> Any:
        return aws_secrets_manager_get_secret("no-such-secret", aws_credentials)

    with pytest.raises(SecretNotFoundError, match="secret 'no-such-secret'"):
        missing()
    ((state,),) = record("SELECT state_type FROM task_runs")
    assert state == "FAILED"


def test_a_saved_secret_block_loads_and_reads(aws_credentials: AwsCredentials, secret_name: str):
    AwsSecret(secret_name=secret_name, aws_credentials=aws_credentials).save("api-key")
    loaded = AwsSecret.load("api-key")
    loaded.write_secret("sk-from-saved-block")
    assert loaded.read_secret() == b"sk-from-saved-block"
