"""A service account key never leaks: not in errors, logs, the run record or references.

The key is a freshly generated RSA key (well-formed, valid nowhere). Its token endpoint is the
emulator, which refuses the token request at once: the failure is real, local and fast.
"""

from __future__ import annotations

import json
import logging

import pytest
from cadenza import flow
from pydantic import ValidationError

from cadenza_gcp import GcpAuthenticationError, GcpCredentials, GcpCredentialsError, GcsBucket
from cadenza_gcp.cloud_storage import cloud_storage_download_blob_as_bytes
from cadenza_gcp.tasks import gcs_download, gcs_upload


def _record_text(record) -> str:
    """Everything the run record holds as text about runs, states and logs."""
    queries = [
        "SELECT message FROM logs",
        "SELECT coalesce(state_message, '') || parameters FROM flow_runs",
        "SELECT coalesce(state_message, '') || coalesce(result_ref, '') FROM task_runs",
        "SELECT coalesce(message, '') || coalesce(details, '') FROM run_states",
    ]
    return "\n".join(str(v) for q in queries for (v,) in record(q))


@pytest.fixture
def sa_bucket(gcs_emulator, bucket_name, service_account_info):
    """A bucket on the emulator reached with the (wrong) service account key, saved by name so
    its secrets are registered for masking, as they are for any saved block."""
    credentials = GcpCredentials(
        service_account_info=service_account_info, api_endpoint=gcs_emulator.endpoint
    )
    credentials.save("wrong-key")
    return GcsBucket(bucket=bucket_name, gcp_credentials=GcpCredentials.load("wrong-key"))


def test_the_leak_detector_detects(private_key_pem, leaked):
    assert leaked(private_key_pem)
    assert leaked("log line: " + private_key_pem.splitlines()[3])
    assert not leaked("nothing secret here")


def test_a_refused_key_is_a_clear_error_without_the_key(sa_bucket, leaked):
    with pytest.raises(GcpAuthenticationError, match="could not obtain an access token") as info:
        sa_bucket.read_path("anything")
    text = f"{info.value} {info.value!r} {info.value.__cause__!r}"
    assert sa_bucket.bucket in str(info.value)
    assert not leaked(text)


def test_a_refused_key_in_a_flow_leaks_nowhere(sa_bucket, record, caplog, capsys, leaked):
    @flow(log_prints=True)
    def uses_the_key(bucket: GcsBucket) -> bytes:
        print(f"reading with {bucket!r}")
        return gcs_download(bucket, "report.csv")

    caplog.set_level(logging.DEBUG)
    with pytest.raises(GcpAuthenticationError) as info:
        uses_the_key(sa_bucket)
    captured = capsys.readouterr()
    shown = [
        str(info.value),
        repr(info.value),
        caplog.text,
        captured.out,
        captured.err,
        _record_text(record),
    ]
    for text in shown:
        assert not leaked(text)
    states = record("SELECT state_type FROM task_runs WHERE task_name = 'gcs_download'")
    assert states == [("FAILED",)]
    assert "could not obtain an access token" in _record_text(record)


def test_a_prefect_named_task_with_a_refused_key_leaks_nowhere(
    gcs_emulator, bucket_name, service_account_info, record, caplog, leaked
):
    credentials = GcpCredentials(
        service_account_info=service_account_info, api_endpoint=gcs_emulator.endpoint
    )

    @flow
    def ported() -> bytes:
        return cloud_storage_download_blob_as_bytes(bucket_name, "a.csv", credentials)

    with pytest.raises(GcpAuthenticationError) as info:
        ported()
    assert not leaked(f"{info.value!r} {caplog.text} {_record_text(record)}")


def test_secrets_printed_by_user_code_are_masked(sa_bucket, record, private_key_pem):
    @flow(log_prints=True)
    def careless() -> None:
        info = sa_bucket.gcp_credentials.service_account_info.get_secret_value()
        print(info["private_key"])

    careless()
    logs = "\n".join(m for (m,) in record("SELECT message FROM logs"))
    assert "********" in logs and private_key_pem not in logs


@pytest.mark.parametrize(
    "bad_key",
    [
        "-----BEGIN PRIVATE KEY-----\nTm90IGEga2V5IGF0IGFsbCwganVzdCB0ZXh0Cg==\n"
        "-----END PRIVATE KEY-----\n",
        "-----BEGIN RSA PRIVATE KEY-----\n"
        "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n"
        "-----END RSA PRIVATE KEY-----\n",
    ],
    ids=["not-der", "truncated"],
)
def test_a_malformed_private_key_is_a_clear_error_that_does_not_echo_it(
    service_account_info, bad_key, gcs_bucket
):
    info = {**service_account_info, "private_key": bad_key}
    credentials = GcpCredentials(service_account_info=info)  # the shape is right
    with pytest.raises(GcpCredentialsError, match="not a valid PEM-encoded RSA private key") as exc:
        credentials.get_cloud_storage_client()
    body = bad_key.splitlines()[1]
    assert body not in str(exc.value) and body not in repr(exc.value)
    assert exc.value.__cause__ is None and exc.value.__suppress_context__

    bucket = GcsBucket(bucket=gcs_bucket.bucket, gcp_credentials=credentials)

    @flow
    def with_bad_key() -> str:
        return gcs_upload(bucket, "k", b"v")

    with pytest.raises(GcpCredentialsError) as in_flow:
        with_bad_key()
    assert body not in f"{in_flow.value!r}"


def test_a_malformed_service_account_info_is_refused_without_echoing_it(private_key_pem, leaked):
    incomplete = {"private_key": private_key_pem, "project_id": "p"}
    with pytest.raises(ValidationError) as info:
        GcpCredentials(service_account_info=incomplete)
    message = str(info.value)
    assert "missing client_email, token_uri" in message
    assert not leaked(message) and not leaked(repr(info.value))

    with pytest.raises(ValidationError) as as_text:
        GcpCredentials(service_account_info=json.dumps(incomplete)[:-5])  # broken JSON
    assert "not valid JSON" in str(as_text.value) and not leaked(str(as_text.value))

    not_a_key = {"client_email": "a@b.c", "token_uri": "https://t", "private_key": "hunter2-x"}
    with pytest.raises(ValidationError, match="not a PEM-encoded private key") as bad:
        GcpCredentials(service_account_info=not_a_key)
    assert "hunter2-x" not in str(bad.value)


def test_the_key_is_encrypted_in_the_saved_block(sa_bucket, isolated_home, private_key_pem):
    sa_bucket.save("results")
    from cadenza.backends import current_backend

    backend = current_backend()
    if backend is not None:
        backend.flush()
    stored = b"".join(p.read_bytes() for p in isolated_home.glob("cadenza.db*"))
    for line in private_key_pem.splitlines()[1:-1]:
        assert line.encode() not in stored
