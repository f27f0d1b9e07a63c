"""`AzureBlobStorageContainer` against a real Azurite: every kind of credentials, listing,
large blobs, the file and folder helpers, and clear errors for a wrong container, a bad key and
an unreachable endpoint."""

from __future__ import annotations

import io
import os
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from cadenza.exceptions import InvalidStorageKey

from cadenza_azure import (
    AzureAuthenticationError,
    AzureBlobStorageContainer,
    AzureBlobStorageCredentials,
    AzureConnectionError,
    AzureContainerNotFoundError,
)
from cadenza_azure.testing import ACCOUNT_KEY

# a well-formed key that is not the account's
WRONG_KEY = "V3JvbmdLZXlXcm9uZ0tleVdyb25nS2V5V3JvbmdLZXlXcm9uZ0tleVdyb25nS2V5V3JvbmdLZXk="


@pytest.mark.parametrize("kind", ["connection_string", "account_key", "sas_token"])
def test_round_trip_with_each_kind_of_credentials(azurite: Any, container_name: str, kind: str):
    container = azurite.container(container_name, base_folder="kind", kind=kind, create=False)
    assert container.write_path("greeting.txt", b"hello azure") == "kind/greeting.txt"
    assert container.read_path("greeting.txt") == b"hello azure"
    assert container.exists("greeting.txt")
    assert container.list_keys() == ["greeting.txt"]
    container.delete("greeting.txt")
    assert not container.exists("greeting.txt")


def test_a_one_megabyte_blob_round_trips(container: AzureBlobStorageContainer):
    payload = os.urandom(1024 * 1024)
    container.write_path("big/one-mb.bin", payload)
    assert container.read_path("big/one-mb.bin") == payload
    (blob,) = container.get_container_client().list_blobs(name_starts_with="data/big/")
    assert blob.size == 1024 * 1024


def test_listing_with_a_prefix(container: AzureBlobStorageContainer):
    for key in ("2024/01/a.csv", "2024/02/b.csv", "2025/01/c.csv", "2024-notes.txt"):
        container.write_path(key, b"x")
    assert container.list_keys("2024/") == ["2024/01/a.csv", "2024/02/b.csv"]
    assert container.list_keys("2024") == ["2024-notes.txt", "2024/01/a.csv", "2024/02/b.csv"]
    assert container.list_keys("2026/") == []
    assert len(container.list_keys()) == 4
    # prefect-azure's list_blobs: the full names in the container, under the base folder
    assert container.list_blobs()[0] == "data/2024-notes.txt"
    with pytest.raises(InvalidStorageKey):
        container.list_keys("../")


def test_the_base_folder_keeps_keys_apart(azurite: Any, container_name: str):
    root = azurite.container(container_name, create=False)
    nested = azurite.container(container_name, base_folder="/a//b/", create=False)
    assert nested.base_folder == "a/b/"
    nested.write_path("k", b"1")
    assert root.list_keys() == ["a/b/k"]
    assert root.read_path("a/b/k") == b"1"
    with pytest.raises(ValueError, match=r"base_folder\n.*Invalid storage key '\.\./up'"):
        AzureBlobStorageContainer(container_name="ok-name", base_folder="../up")


def test_a_missing_blob_is_file_not_found_naming_it(container: AzureBlobStorageContainer):
    with pytest.raises(FileNotFoundError, match="no blob 'data/nothing/here'") as info:
        container.read_path("nothing/here")
    assert not isinstance(info.value, AzureContainerNotFoundError)
    assert container.delete_blob("nothing/here") is False
    with pytest.raises(FileNotFoundError):
        container.delete_blob("nothing/here", missing_ok=False)


def test_a_wrong_container_is_a_clear_error_naming_it(azurite: Any):
    container = azurite.container("no-such-container", create=False)
    calls = {
        "read": lambda: container.read_path("k"),
        "write": lambda: container.write_path("k", b"x"),
        "check": lambda: container.exists("k"),
        "delete": lambda: container.delete("k"),
        "list": lambda: container.list_keys(),
    }
    for action, call in calls.items():
        with pytest.raises(AzureContainerNotFoundError) as info:
            call()
        message = str(info.value)
        assert "container 'no-such-container' does not exist" in message, message
        assert message.startswith(f"Cannot {action} "), message
        assert azurite.account_url in message
        assert isinstance(info.value, FileNotFoundError)  # storage callers catch this
        assert info.value.__cause__ is None and info.value.__suppress_context__


def test_an_invalid_container_name_is_refused_before_any_request():
    with pytest.raises(ValueError, match="Invalid container name 'Bad_Name'"):
        AzureBlobStorageContainer(container_name="Bad_Name")


@pytest.mark.parametrize("where", ["account_key", "connection_string"])
def test_a_bad_key_is_a_clear_error_without_the_key(azurite: Any, container_name: str, where: str):
    if where == "account_key":
        credentials = AzureBlobStorageCredentials(
            account_url=azurite.account_url, account_key=WRONG_KEY, max_retries=0
        )
    else:
        credentials = AzureBlobStorageCredentials(
            connection_string=azurite.connection_string.replace(ACCOUNT_KEY, WRONG_KEY),
            max_retries=0,
        )
    container = AzureBlobStorageContainer(container_name=container_name, credentials=credentials)
    with pytest.raises(AzureAuthenticationError) as info:
        container.write_path("k", b"x")
    message = str(info.value)
    assert "refused the credentials" in message and "403" in message
    assert container_name in message
    assert WRONG_KEY not in message and WRONG_KEY[:20] not in message
    assert "AccountKey" not in message
    assert isinstance(info.value, PermissionError)


def test_a_bad_sas_token_is_a_clear_error_without_the_token(azurite: Any, container_name: str):
    token = azurite.sas_token()
    forged = token.replace("sig=", "sig=AAAA")
    credentials = AzureBlobStorageCredentials(
        account_url=azurite.account_url, sas_token=forged, max_retries=0
    )
    container = AzureBlobStorageContainer(container_name=container_name, credentials=credentials)
    with pytest.raises(AzureAuthenticationError) as info:
        container.read_path("k")
    assert "sig=" not in str(info.value)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens once it is closed


def test_an_unreachable_endpoint_is_a_clear_error_naming_the_url_and_fails_fast():
    url = f"http://127.0.0.1:{_closed_port()}/devstoreaccount1"
    credentials = AzureBlobStorageCredentials(
        account_url=url, account_key=ACCOUNT_KEY, max_retries=1, connection_timeout=2
    )
    container = AzureBlobStorageContainer(container_name="results", credentials=credentials)
    started = time.monotonic()
    with pytest.raises(AzureConnectionError) as info:
        container.read_path("k")
    elapsed = time.monotonic() - started
    message = str(info.value)
    assert f"the storage endpoint {url} could not be reached" in message, message
    assert f"{url}/results/k" in message
    assert isinstance(info.value, ConnectionError)
    assert elapsed < 30, elapsed  # one retry after a short backoff, not the SDK's minutes


def test_an_unreachable_endpoint_from_a_connection_string_names_its_blob_endpoint():
    url = f"http://127.0.0.1:{_closed_port()}/devstoreaccount1"
    connection_string = (
        f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={ACCOUNT_KEY};"
        f"BlobEndpoint={url};"
    )
    container = AzureBlobStorageContainer(
        container_name="results",
        credentials=AzureBlobStorageCredentials(connection_string=connection_string, max_retries=0),
    )
    with pytest.raises(AzureConnectionError, match=f"endpoint {url} could not be reached") as info:
        container.list_keys()
    assert ACCOUNT_KEY not in str(info.value)


def test_file_and_folder_helpers(container: AzureBlobStorageContainer, tmp_path: Path):
    source = tmp_path / "src"
    (source / "sub").mkdir(parents=True)
    (source / "a.txt").write_text("A")
    (source / "sub" / "b.txt").write_text("B")
    assert container.upload_from_folder(source, "site") == "data/site/"
    assert container.list_keys("site/") == ["site/a.txt", "site/sub/b.txt"]

    out = container.download_folder_to_path("site", tmp_path / "out")
    assert (out / "sub" / "b.txt").read_text() == "B"

    assert container.upload_from_path(source / "a.txt", "single.txt") == "single.txt"
    with pytest.raises(FileExistsError, match="overwrite=True"):
        container.upload_from_path(source / "a.txt", "single.txt")
    container.upload_from_file_object(io.BytesIO(b"new"), "single.txt", overwrite=True)
    buffer = io.BytesIO()
    container.download_object_to_file_object("single.txt", buffer)
    assert buffer.getvalue() == b"new"
    target = container.download_object_to_path("single.txt", tmp_path / "x" / "single.txt")
    assert target.read_bytes() == b"new"

    ignore = tmp_path / ".ignore"
    ignore.write_text("sub/*\n")
    assert container.put_directory(str(source), "deploy", ignore_file=str(ignore)) == 1
    assert container.list_keys("deploy/") == ["deploy/a.txt"]
    container.get_directory("deploy", str(tmp_path / "restored"))
    assert (tmp_path / "restored" / "a.txt").read_text() == "A"


def test_create_container(azurite: Any):
    container = azurite.container("made-by-a-test", create=False)
    container.create_container()
    container.create_container()  # exists: fine
    with pytest.raises(FileExistsError, match="made-by-a-test"):
        container.create_container(exist_ok=False)
    container.write_path("k", b"v")
    assert container.read_path("k") == b"v"
