"""prefect-azure's tasks, called the way its documentation does, in flows against Azurite."""

from __future__ import annotations

from typing import Any

import pytest
from cadenza import flow

from cadenza_azure import (
    AzureContainerNotFoundError,
    blob_storage_download,
    blob_storage_list,
    blob_storage_upload,
)


def test_upload_download_and_list_in_a_flow(azurite: Any, container_name: str, record: Any):
    credentials = azurite.credentials("connection_string")

    @flow
    def example_blob_storage_flow() -> tuple[bytes, list[str], list[str]]:
        for name in ("reports/2024/a.csv", "reports/2025/b.csv", "other.txt"):
            blob_storage_upload(
                data=b"a,b\n1,2\n",
                container=container_name,
                blob=name,
                blob_storage_credentials=credentials,
                overwrite=False,
            )
        data = blob_storage_download(
            container=container_name,
            blob="reports/2024/a.csv",
            blob_storage_credentials=credentials,
        )
        everything = blob_storage_list(
            container=container_name, blob_storage_credentials=credentials
        )
        reports = blob_storage_list(
            container=container_name,
            blob_storage_credentials=credentials,
            name_starts_with="reports/",
        )
        return data, [b.name for b in everything], [b.name for b in reports]

    data, everything, reports = example_blob_storage_flow()
    assert data == b"a,b\n1,2\n"
    assert everything == ["other.txt", "reports/2024/a.csv", "reports/2025/b.csv"]
    assert reports == ["reports/2024/a.csv", "reports/2025/b.csv"]
    rows = record("SELECT task_name, state_type FROM task_runs ORDER BY task_name")
    assert {name for name, _ in rows} == {
        "blob_storage_upload",
        "blob_storage_download",
        "blob_storage_list",
    }
    assert {state for _, state in rows} == {"COMPLETED"}


def test_upload_names_a_blob_when_none_is_given_and_refuses_to_overwrite(
    azurite: Any, container_name: str
):
    credentials = azurite.credentials("sas_token")

    @flow
    def upload_twice() -> str:
        name = blob_storage_upload(b"one", container_name, credentials)
        blob_storage_upload("two", container_name, credentials, blob=name, overwrite=True)
        return name

    name = upload_twice()
    assert len(name) == 36  # a UUID
    assert azurite.container(container_name, create=False).read_path(name) == b"two"

    @flow
    def no_overwrite() -> None:
        blob_storage_upload(b"three", container_name, credentials, blob=name)

    state = no_overwrite(return_state=True)
    assert state.is_failed()
    with pytest.raises(FileExistsError, match="overwrite=True"):
        state.result()


def test_a_wrong_container_fails_the_task_with_a_clear_error(azurite: Any):
    credentials = azurite.credentials("account_key")

    @flow
    def download() -> bytes:
        return blob_storage_download("missing-container", "a.txt", credentials)

    state = download(return_state=True)
    assert state.is_failed()
    with pytest.raises(AzureContainerNotFoundError, match="container 'missing-container'"):
        state.result()


def test_unsafe_blob_names_are_refused(azurite: Any, container_name: str):
    credentials = azurite.credentials()

    @flow
    def escape() -> str:
        return blob_storage_upload(b"x", container_name, credentials, blob="../../etc/passwd")

    state = escape(return_state=True)
    assert state.is_failed()
    assert "'..'" in (state.message or "") or "'..'" in str(state.result(raise_on_failure=False))
