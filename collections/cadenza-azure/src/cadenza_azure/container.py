"""`AzureBlobStorageContainer`: a Blob Storage container as a block, and as result storage.

Keys are relative to ``base_folder`` and pass through `cadenza.storage.validate_key`, so
``../x`` or ``/etc/passwd`` are refused before any request is made. The storage methods
(``read_path``, ``write_path``, ``exists``, ``delete``, ``list_keys``) make the block a
`cadenza.storage.StorageBackend`: pass it as ``result_storage=``. The file and folder helpers
have prefect-azure's names (`cadenza_azure._transfers`).

Saved blocks: ``AzureBlobStorageContainer.delete("name")`` on the class deletes a saved block, as
on any block, but on an instance ``container.delete(key)`` deletes a *blob*; delete a saved block
of this type with ``AzureBlobStorageContainer.delete_by_name(name)``.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING, Any, ClassVar

from cadenza.blocks.core import Block
from cadenza.storage import validate_key
from pydantic import ConfigDict, Field, PrivateAttr, field_validator

from cadenza_azure._errors import azure_errors, blob_url
from cadenza_azure._refs import credentials_from_ref, credentials_ref
from cadenza_azure._transfers import TransferMixin
from cadenza_azure.credentials import AzureBlobStorageCredentials

if TYPE_CHECKING:
    from azure.storage.blob import BlobClient, BlobServiceClient, ContainerClient

# Azure's rule: 3-63 lowercase letters, digits and single hyphens, starting with a letter or digit
_CONTAINER_NAME = re.compile(r"^(?=.{3,63}$)[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9]))*$")


class AzureBlobStorageContainer(TransferMixin, Block):
    """A Blob Storage container (and optional folder inside it) for files and flow results.

    Example:
        ```python
        from cadenza import flow, task
        from cadenza_azure import AzureBlobStorageContainer, AzureBlobStorageCredentials

        container = AzureBlobStorageContainer(
            container_name="results",
            base_folder="nightly",
            credentials=AzureBlobStorageCredentials.load("prod"),
        )

        @task(persist_result=True, result_storage=container)
        def extract() -> list[dict]: ...
        ```
    """

    model_config = ConfigDict(hide_input_in_errors=True)

    _block_type_slug = "azure-blob-storage-container"
    _block_type_name = "Azure Blob Storage Container"
    _logo_url = "https://cdn.simpleicons.org/microsoftazure"
    _documentation_url = "https://cadenza.dev/collections/azure/"

    slug: ClassVar[str] = "azure-blob-storage-container"
    """The storage type slug in result references (`to_ref`)."""

    container_name: str = Field(description="The name of the Blob Storage container.")
    credentials: AzureBlobStorageCredentials = Field(
        default_factory=AzureBlobStorageCredentials,
        description="The credentials to use; default: AZURE_STORAGE_CONNECTION_STRING.",
    )
    base_folder: str = Field(
        default="",
        description="Folder inside the container that every key is relative to (e.g. `results/`).",
    )

    _client: Any = PrivateAttr(default=None)
    _client_lock: Any = PrivateAttr(default_factory=threading.Lock)

    # -- validation -----------------------------------------------------------------------------
    @field_validator("container_name")
    @classmethod
    def _check_container(cls, value: str) -> str:
        if not _CONTAINER_NAME.match(value):
            raise ValueError(
                f"Invalid container name {value!r}: 3-63 lowercase letters, digits and single "
                "hyphens, starting and ending with a letter or digit"
            )
        return value

    @field_validator("base_folder", mode="before")
    @classmethod
    def _normalise_folder(cls, value: Any) -> Any:
        """``None`` or ``""`` → ``""``; ``"a//b/"`` → ``"a/b/"``; unsafe folders are refused
        like keys."""
        if value is None or (isinstance(value, str) and value.strip("/") == ""):
            return ""
        if not isinstance(value, str):
            return value  # pydantic reports the type
        return validate_key(value.strip("/")) + "/"

    # -- the SDK objects ------------------------------------------------------------------------
    def get_client(self) -> BlobServiceClient:
        """The service client of this block (made on first use, then reused)."""
        with self._client_lock:
            if self._client is None:
                self._client = self.credentials.get_client()
            client: BlobServiceClient = self._client
            return client

    def get_container_client(self) -> ContainerClient:
        """The SDK's ``ContainerClient`` for this container (no request is made)."""
        return self.get_client().get_container_client(self.container_name)

    def create_container(self, exist_ok: bool = True) -> None:
        """Create the container in the account (nothing happens if it exists and ``exist_ok``)."""
        from azure.core.exceptions import ResourceExistsError

        with azure_errors("create container", self.account_url, self.container_name):
            try:
                self.get_container_client().create_container()
            except ResourceExistsError:
                if not exist_ok:
                    raise FileExistsError(
                        f"Container {self.container_name!r} already exists at {self.account_url}"
                    ) from None

    @property
    def account_url(self) -> str:
        """The Blob service URL of the credentials (no secret in it)."""
        return self.credentials.endpoint

    @property
    def basepath(self) -> str:
        """``ACCOUNT_URL/container/base_folder``."""
        return blob_url(self.account_url, self.container_name, self.base_folder)

    def _blob_name(self, key: str) -> str:
        """The blob name of ``key``: ``base_folder`` + the validated key."""
        return self.base_folder + validate_key(key)

    def _blob(self, key: str) -> BlobClient:
        return self.get_container_client().get_blob_client(self._blob_name(key))

    def _errors(self, action: str, name: str | None = None) -> Any:
        return azure_errors(action, self.account_url, self.container_name, name)

    # -- the StorageBackend protocol ------------------------------------------------------------
    def read_path(self, path: str) -> bytes:
        """The bytes stored at key ``path``; `FileNotFoundError` naming container and key if
        there are none (`AzureContainerNotFoundError` if the container does not exist)."""
        name = self._blob_name(path)
        with self._errors("read", name):
            return self._blob(path).download_blob().readall()

    def write_path(self, path: str, content: bytes) -> str:
        """Store ``content`` at key ``path``, replacing any blob there (one block-blob upload:
        readers never see a partial blob).

        Returns:
            The blob's name in the container (``base_folder`` + key).
        """
        if not isinstance(content, (bytes, bytearray, memoryview)):
            raise TypeError(f"write_path() needs bytes, got {type(content).__name__}")
        name = self._blob_name(path)
        with self._errors("write", name):
            self._blob(path).upload_blob(bytes(content), overwrite=True)
        return name

    def exists(self, path: str) -> bool:
        """Whether a blob is stored at key ``path`` (a missing container is an error, not
        False: the block is misconfigured)."""
        name = self._blob_name(path)
        try:
            with self._errors("check", name):
                self._blob(path).get_blob_properties()
        except FileNotFoundError as exc:
            from cadenza_azure.exceptions import AzureContainerNotFoundError

            if isinstance(exc, AzureContainerNotFoundError):
                raise
            return False
        return True

    def delete(self, path: str) -> None:  # Block.delete(name) deletes a saved block
        """Delete the blob at key ``path``; a missing blob is not an error."""
        self.delete_blob(path, missing_ok=True)

    def delete_blob(self, path: str, missing_ok: bool = True) -> bool:
        """Delete the blob at key ``path``.

        Returns:
            True if a blob was deleted, False if there was none (and ``missing_ok``).

        Raises:
            FileNotFoundError: there was none and ``missing_ok`` is false.
        """
        from cadenza_azure.exceptions import AzureContainerNotFoundError

        name = self._blob_name(path)
        try:
            with self._errors("delete", name):
                self._blob(path).delete_blob()
        except AzureContainerNotFoundError:
            raise
        except FileNotFoundError:
            if missing_ok:
                return False
            raise
        return True

    def list_keys(self, prefix: str = "") -> list[str]:
        """Every key starting with ``prefix`` (a plain string prefix), sorted."""
        names = self._names(self.base_folder + _validate_prefix(prefix))
        skip = len(self.base_folder)
        return sorted(name[skip:] for name in names)

    def list_blobs(self) -> list[str]:
        """The names of the blobs under ``base_folder`` (full names in the container), as
        prefect-azure's ``list_blobs``."""
        return sorted(self._names(self.base_folder))

    def _names(self, prefix: str) -> list[str]:
        with self._errors("list", prefix or None):
            client = self.get_container_client()
            return [blob.name for blob in client.list_blobs(name_starts_with=prefix or None)]

    # -- describing itself, for result references -----------------------------------------------
    def to_ref(self) -> dict[str, Any]:
        """The container, folder and where credentials come from — never the credentials.

        A saved (or loaded) container block is named (``"block"``); otherwise its credentials
        are named if saved, else only their non-secret fields are kept, and another process
        falls back to ``AZURE_STORAGE_CONNECTION_STRING`` (or Azure AD with an account URL).
        """
        ref: dict[str, Any] = {
            "type": self.slug,
            "container_name": self.container_name,
            "base_folder": self.base_folder,
        }
        if self._block_document_name is not None:
            ref["block"] = f"{self.get_block_type_slug()}/{self._block_document_name}"
        else:
            ref["credentials"] = credentials_ref(self.credentials)
        return ref

    @classmethod
    def from_ref(cls, desc: dict[str, Any]) -> AzureBlobStorageContainer:
        """The container described by `to_ref`'s dict (loading the saved blocks it names)."""
        container, folder = desc.get("container_name"), desc.get("base_folder", "")
        if not isinstance(container, str):
            raise ValueError(f"An Azure storage reference needs a container_name: {desc!r}")
        if desc.get("block"):
            saved = cls.load(desc["block"])
            credentials = saved.credentials
        else:
            credentials = credentials_from_ref(desc.get("credentials"))
        return cls(container_name=container, base_folder=folder, credentials=credentials)

    # -- value semantics (the cached client is not part of the block) ---------------------------
    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and (
            other.container_name,
            other.base_folder,
            other.credentials,
        ) == (self.container_name, self.base_folder, self.credentials)

    __hash__ = None  # type: ignore[assignment]  # equal by value and mutable: unhashable

    def __getstate__(self) -> dict[Any, Any]:
        """Pickled (e.g. to a worker process) without its client and lock."""
        state = super().__getstate__()
        private = dict(state.get("__pydantic_private__") or {})
        private.pop("_client", None)
        private.pop("_client_lock", None)
        state["__pydantic_private__"] = private
        return state

    def __setstate__(self, state: Any) -> None:
        super().__setstate__(state)
        private = self.__pydantic_private__ or {}
        private.setdefault("_client", None)
        private.setdefault("_client_lock", threading.Lock())
        object.__setattr__(self, "__pydantic_private__", private)


def _validate_prefix(prefix: str) -> str:
    """A listing prefix, checked like a key (no ``..``, not absolute) but keeping a final
    ``/``; ``""`` lists everything."""
    if not isinstance(prefix, str):
        raise TypeError(f"prefix must be a string, got {type(prefix).__name__}")
    if not prefix:
        return ""
    normalised = validate_key(prefix)
    return normalised + "/" if prefix.endswith("/") else normalised


__all__ = ["AzureBlobStorageContainer"]
