"""Connection strings, account keys and SAS tokens never leak: not in reprs, validation errors,
failures, run logs, the run record or result references."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from cadenza import flow, get_run_logger
from pydantic import ValidationError

from cadenza_azure import (
    AzureAuthenticationError,
    AzureBlobStorageContainer,
    AzureBlobStorageCredentials,
    AzureCredentialsError,
    blob_storage_download,
)
from cadenza_azure.testing import ACCOUNT_KEY

WRONG_KEY = "U2VjcmV0S2V5VGhhdElzV3JvbmdTZWNyZXRLZXlUaGF0SXNXcm9uZ1NlY3JldEtleVRoYXRJcw=="


def _record_text(record: Any) -> str:
    """Everything the run record holds as text about runs, states and logs."""
    queries = [
        "SELECT message FROM logs",
        "SELECT coalesce(state_message, '') || parameters FROM flow_runs",
        "SELECT coalesce(state_message, '') || coalesce(result_ref, '') FROM task_runs",
        "SELECT coalesce(message, '') || coalesce(details, '') FROM run_states",
    ]
    return "\n".join(str(v) for q in queries for (v,) in record(q))


def test_secrets_are_not_in_repr_str_or_json(azurite: Any):
    for kind in ("connection_string", "account_key", "sas_token"):
        credentials = azurite.credentials(kind)
        container = AzureBlobStorageContainer(container_name="abc", credentials=credentials)
        for shown in (repr(credentials), str(credentials), repr(container), str(container)):
            assert ACCOUNT_KEY not in shown and "sig=" not in shown, kind
        dumped = json.dumps(container.to_ref()) + container.model_dump_json()
        assert ACCOUNT_KEY not in dumped and "sig=" not in dumped, kind


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"account_key": "not base64 at all!" + WRONG_KEY}, "account_key is not a base64"),
        ({"connection_string": "just " + WRONG_KEY}, "is not a connection string"),
        (
            {"connection_string": f"AccountName=a;AccountKey={WRONG_KEY}!!"},
            "AccountKey is not a base64",
        ),
        ({"sas_token": "sv=2024&sig=" + WRONG_KEY}, "needs account_url"),
        ({"sas_token": "sv=2024&nosignature" + WRONG_KEY, "account_url": "https://a.b"}, "no sig="),
    ],
)
def test_validation_errors_name_the_field_and_never_echo_the_value(fields: dict, expected: str):
    with pytest.raises(ValidationError) as info:
        AzureBlobStorageCredentials(**fields)
    message = str(info.value)
    assert expected in message
    assert WRONG_KEY not in message and WRONG_KEY[:16] not in message


def test_both_sources_or_no_source(monkeypatch: pytest.MonkeyPatch):
    with pytest.raises(ValidationError, match="not both"):
        AzureBlobStorageCredentials(
            connection_string=f"AccountName=a;AccountKey={ACCOUNT_KEY}",
            account_url="https://a.blob.core.windows.net",
        )
    monkeypatch.delenv("AZURE_STORAGE_CONNECTION_STRING", raising=False)
    container = AzureBlobStorageContainer(container_name="abc")
    with pytest.raises(AzureCredentialsError, match="AZURE_STORAGE_CONNECTION_STRING"):
        container.read_path("k")
    url_only = AzureBlobStorageCredentials(account_url="https://acme.blob.core.windows.net")
    assert url_only.source == "default_credential"
    with pytest.raises(AzureCredentialsError, match="pip install azure-identity"):
        url_only.get_client()


def test_a_refused_key_in_a_flow_leaks_nowhere(
    azurite: Any, container_name: str, record: Any, caplog: Any, capsys: Any
):
    credentials = AzureBlobStorageCredentials(
        account_url=azurite.account_url, account_key=WRONG_KEY, max_retries=0
    )
    credentials.save("wrong-key")  # saved blocks' secrets are masked in run logs
    loaded = AzureBlobStorageCredentials.load("wrong-key")

    @flow(log_prints=True)
    def uses_the_key() -> bytes:
        print(f"reading with {loaded!r}")
        get_run_logger().info("the key is %s", WRONG_KEY)  # masked by value
        return blob_storage_download(container_name, "report.csv", loaded)

    caplog.set_level(logging.INFO)  # the SDK's request log is at INFO, headers redacted
    with pytest.raises(AzureAuthenticationError, match="refused the credentials") as info:
        uses_the_key()
    captured = capsys.readouterr()
    record_text = _record_text(record)
    for text in (
        str(info.value),
        repr(info.value),
        caplog.text,
        captured.out,
        captured.err,
        record_text,
    ):
        assert WRONG_KEY not in text
        assert WRONG_KEY[:24] not in text
    assert "refused the credentials" in record_text
    states = record("SELECT state_type FROM task_runs WHERE task_name = 'blob_storage_download'")
    assert states == [("FAILED",)]


def test_a_sas_token_never_reaches_an_error(azurite: Any):
    token = azurite.sas_token()
    credentials = AzureBlobStorageCredentials(
        account_url=azurite.account_url, sas_token=token, max_retries=0
    )
    container = AzureBlobStorageContainer(container_name="nope-missing", credentials=credentials)
    with pytest.raises(FileNotFoundError) as info:
        container.read_path("k")
    text = f"{info.value} {info.value!r}"
    assert "sig=" not in text and token not in text
    assert info.value.__cause__ is None
