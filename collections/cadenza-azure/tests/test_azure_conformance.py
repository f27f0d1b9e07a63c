"""cadenza-azure passes the core's conformance suites for everything it registers, against a
real Azurite: read/write/exists/delete/list, unsafe keys such as ``../../etc/passwd`` refused by
every method, 8 MB blobs, result references, use as result storage; blocks saved and loaded by
name with their secrets masked and encrypted at rest."""

from __future__ import annotations

from typing import Any

import pytest
from cadenza.testing import BlockConformance, StorageBackendConformance

from cadenza_azure import AzureBlobStorageContainer, AzureBlobStorageCredentials
from cadenza_azure.testing import ACCOUNT_KEY


class TestContainerWithSavedConnectionString(StorageBackendConformance):
    """Keys under a base folder, credentials saved as a block (references name the block)."""

    @pytest.fixture
    def storage(self, azurite: Any, container_name: str) -> AzureBlobStorageContainer:
        credentials = azurite.credentials("connection_string")
        credentials.save("conformance-azurite")
        return AzureBlobStorageContainer(
            container_name=container_name,
            base_folder="results/conformance",
            credentials=credentials,
        )


class TestContainerRootWithSavedAccountKey(StorageBackendConformance):
    """Keys at the top of the container, authenticated with the account key."""

    @pytest.fixture
    def storage(self, azurite: Any, container_name: str) -> AzureBlobStorageContainer:
        credentials = azurite.credentials("account_key")
        credentials.save("conformance-key")
        return AzureBlobStorageContainer(container_name=container_name, credentials=credentials)


class TestContainerFromTheEnvironment(StorageBackendConformance):
    """No credentials on the block: AZURE_STORAGE_CONNECTION_STRING, in every process."""

    @pytest.fixture
    def storage(
        self, azurite: Any, container_name: str, monkeypatch: pytest.MonkeyPatch
    ) -> AzureBlobStorageContainer:
        monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azurite.connection_string)
        return AzureBlobStorageContainer(container_name=container_name, base_folder="env")


class TestConnectionStringCredentialsBlock(BlockConformance):
    @pytest.fixture
    def block(self) -> AzureBlobStorageCredentials:
        return AzureBlobStorageCredentials(
            connection_string=(
                "DefaultEndpointsProtocol=https;AccountName=acmeprod;"
                f"AccountKey={ACCOUNT_KEY};EndpointSuffix=core.windows.net"
            )
        )


class TestAccountKeyCredentialsBlock(BlockConformance):
    @pytest.fixture
    def block(self) -> AzureBlobStorageCredentials:
        return AzureBlobStorageCredentials(
            account_url="https://acmeprod.blob.core.windows.net",
            account_key=ACCOUNT_KEY,
            max_retries=1,
        )


class TestSasCredentialsBlock(BlockConformance):
    @pytest.fixture
    def block(self) -> AzureBlobStorageCredentials:
        return AzureBlobStorageCredentials(
            account_url="https://acmeprod.blob.core.windows.net",
            sas_token="sv=2024-08-04&ss=b&srt=sco&sp=rl&se=2030-01-01T00:00:00Z&sig=c2lnbmF0dXJlLXZhbHVl",
        )


class TestContainerBlock(BlockConformance):
    @pytest.fixture
    def block(self) -> AzureBlobStorageContainer:
        return AzureBlobStorageContainer(
            container_name="acme-results",
            base_folder="nightly/",
            credentials=AzureBlobStorageCredentials(
                account_url="https://acmeprod.blob.core.windows.net", account_key=ACCOUNT_KEY
            ),
        )
