"""`GcsBucket`: a Google Cloud Storage bucket as a block, and as result storage.

Keys are relative to ``bucket_folder`` and pass through `cadenza.storage.validate_key`, so
``../x`` or ``/etc/passwd`` are refused before any request is made. The storage methods
(``read_path``, ``write_path``, ``exists``, ``delete``, ``list_keys``) make the block a
`cadenza.storage.StorageBackend`: pass it as ``result_storage=``. The file and folder helpers
have prefect-gcp's names (`cadenza_gcp._transfers`).

Saved blocks: ``GcsBucket.delete("name")`` on the class deletes a saved block, as on any block,
but on an instance ``bucket.delete(key)`` deletes an *object*; delete a saved GcsBucket block with
``GcsBucket.delete_by_name(name)``.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING, Any, ClassVar

from cadenza.blocks.core import Block
from cadenza.storage import validate_key
from pydantic import ConfigDict, Field, PrivateAttr, field_validator

from cadenza_gcp._errors import gcs_errors, gs_url
from cadenza_gcp._refs import credentials_from_ref, credentials_ref
from cadenza_gcp._transfers import TransferMixin
from cadenza_gcp.credentials import GcpCredentials

if TYPE_CHECKING:
    from google.cloud.storage import Blob, Bucket, Client

_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$")


class GcsBucket(TransferMixin, Block):
    """A Cloud Storage bucket (and optional folder inside it) for files and flow results.

    Example:
        ```python
        from cadenza import flow, task
        from cadenza_gcp import GcpCredentials, GcsBucket

        bucket = GcsBucket(
            bucket="acme-results",
            bucket_folder="nightly",
            gcp_credentials=GcpCredentials.load("prod"),
        )

        @task(persist_result=True, result_storage=bucket)
        def extract() -> list[dict]: ...
        ```
    """

    model_config = ConfigDict(hide_input_in_errors=True)

    _block_type_slug = "gcs-bucket"
    _block_type_name = "GCS Bucket"
    _logo_url = "https://cdn.simpleicons.org/googlecloudstorage"
    _documentation_url = "https://cadenza.dev/collections/gcp/"

    slug: ClassVar[str] = "gcs-bucket"
    """The storage type slug in result references (`to_ref`)."""

    bucket: str = Field(description="Name of the bucket.")
    gcp_credentials: GcpCredentials = Field(
        default_factory=GcpCredentials,
        description="Credentials for the bucket; default: Google's default credential chain.",
    )
    bucket_folder: str = Field(
        default="",
        description="Folder inside the bucket that every key is relative to (e.g. `results/`).",
    )

    _client: Any = PrivateAttr(default=None)
    _client_lock: Any = PrivateAttr(default_factory=threading.Lock)

    # -- validation -----------------------------------------------------------------------------
    @field_validator("bucket")
    @classmethod
    def _check_bucket(cls, value: str) -> str:
        if not _BUCKET_NAME.match(value) or ".." in value:
            raise ValueError(
                f"Invalid bucket name {value!r}: 3-222 lowercase letters, digits, '-', '_' and "
                "'.', starting and ending with a letter or digit"
            )
        return value

    @field_validator("bucket_folder")
    @classmethod
    def _normalise_folder(cls, value: str) -> str:
        """``"a//b/"`` → ``"a/b/"``; ``""`` stays; unsafe folders are refused like keys."""
        if value.strip("/") == "":
            return ""
        return validate_key(value.strip("/")) + "/"

    # -- the SDK objects ------------------------------------------------------------------------
    def get_client(self) -> Client:
        """The storage client of this block (made on first use, then reused)."""
        with self._client_lock:
            if self._client is None:
                self._client = self.gcp_credentials.get_cloud_storage_client()
            return self._client

    def get_bucket(self) -> Bucket:
        """The ``google.cloud.storage.Bucket`` (no request is made)."""
        return self.get_client().bucket(self.bucket)

    def create_bucket(self, location: str | None = None, **create_kwargs: Any) -> Bucket:
        """Create the bucket in the credentials' project.

        Args:
            location: e.g. ``"EU"``; default: Cloud Storage's default (``US``).
            **create_kwargs: passed to ``Client.create_bucket``.

        Returns:
            The new bucket.
        """
        with gcs_errors("create bucket", self.bucket):
            return self.get_client().create_bucket(self.bucket, location=location, **create_kwargs)

    def _object_name(self, key: str) -> str:
        """The object name of ``key``: ``bucket_folder`` + the validated key."""
        return self.bucket_folder + validate_key(key)

    def _blob(self, key: str) -> Blob:
        return self.get_bucket().blob(self._object_name(key))

    @property
    def basepath(self) -> str:
        """``gs://bucket/bucket_folder``."""
        return gs_url(self.bucket, self.bucket_folder)

    # -- the StorageBackend protocol ------------------------------------------------------------
    def read_path(self, path: str) -> bytes:
        """The bytes stored at key ``path``; `FileNotFoundError` naming bucket and key if none."""
        blob = self._blob(path)
        with gcs_errors("read", self.bucket, blob.name):
            data: bytes = blob.download_as_bytes()  # the SDK is untyped
            return data

    def write_path(self, path: str, content: bytes) -> str:
        """Store ``content`` at key ``path`` (one upload: readers never see a partial object).

        Returns:
            The object's name in the bucket (``bucket_folder`` + key), as prefect-gcp does.
        """
        if not isinstance(content, (bytes, bytearray, memoryview)):
            raise TypeError(f"write_path() needs bytes, got {type(content).__name__}")
        blob = self._blob(path)
        with gcs_errors("write", self.bucket, blob.name):
            blob.upload_from_string(bytes(content), content_type="application/octet-stream")
        name: str = blob.name
        return name

    def exists(self, path: str) -> bool:
        """Whether an object is stored at key ``path``."""
        blob = self._blob(path)
        with gcs_errors("check", self.bucket, blob.name):
            found: bool = blob.exists()
            return found

    def delete(self, path: str) -> None:  # Block.delete(name) deletes a saved block
        """Delete the object at key ``path``; a missing object is not an error."""
        self.delete_object(path, missing_ok=True)

    def delete_object(self, path: str, missing_ok: bool = True) -> bool:
        """Delete the object at key ``path``.

        Returns:
            True if an object was deleted, False if there was none (and ``missing_ok``).

        Raises:
            FileNotFoundError: there was none and ``missing_ok`` is false.
        """
        blob = self._blob(path)
        try:
            with gcs_errors("delete", self.bucket, blob.name):
                blob.delete()
        except FileNotFoundError:
            if missing_ok:
                return False
            raise
        return True

    def list_keys(self, prefix: str = "") -> list[str]:
        """Every key starting with ``prefix`` (a plain string prefix), sorted."""
        folder_prefix = self.bucket_folder + _validate_prefix(prefix)
        with gcs_errors("list", self.bucket, folder_prefix or None):
            names = [
                blob.name
                for blob in self.get_client().list_blobs(self.bucket, prefix=folder_prefix)
            ]
        skip = len(self.bucket_folder)
        return sorted(name[skip:] for name in names if not name.endswith("/"))

    # -- listing with prefect-gcp's names -------------------------------------------------------
    def list_blobs(self, folder: str = "") -> list[Blob]:
        """The objects under ``folder`` (relative to ``bucket_folder``), as SDK ``Blob``s,
        folder placeholder objects excluded (prefect-gcp's ``list_blobs``)."""
        prefix = self.bucket_folder + _validate_prefix(folder.rstrip("/") + "/" if folder else "")
        with gcs_errors("list", self.bucket, prefix or None):
            blobs = list(self.get_client().list_blobs(self.bucket, prefix=prefix))
        return [blob for blob in blobs if not blob.name.endswith("/")]

    def list_folders(self, folder: str = "") -> list[str]:
        """The folders (key prefixes ending before a ``/``) under ``folder``, relative to
        ``bucket_folder``, sorted."""
        base = _validate_prefix(folder.rstrip("/") + "/" if folder else "")
        folders = set()
        for key in self.list_keys(base):
            parts = key.split("/")[:-1]
            for depth in range(base.count("/") + 1, len(parts) + 1):
                folders.add("/".join(parts[:depth]))
        return sorted(folders)

    def copy_object(self, from_path: str, to_path: str, to_bucket: GcsBucket | None = None) -> str:
        """Copy the object at key ``from_path`` to key ``to_path`` of ``to_bucket`` (default:
        this bucket), server side.

        Returns:
            The new object's name in its bucket.
        """
        target = to_bucket if to_bucket is not None else self
        source = self._blob(from_path)
        new_name = target._object_name(to_path)
        with gcs_errors("copy", self.bucket, source.name):
            self.get_bucket().copy_blob(source, target.get_bucket(), new_name)
        return new_name

    # -- describing itself, for result references -----------------------------------------------
    def to_ref(self) -> dict[str, Any]:
        """The bucket, folder and where credentials come from — never the credentials.

        A saved (or loaded) GcsBucket is named (``"block"``); otherwise its credentials are
        named if saved, else their non-secret fields are kept and a secret key is dropped, so
        another process falls back to Google's default credential chain.
        """
        ref: dict[str, Any] = {
            "type": self.slug,
            "bucket": self.bucket,
            "bucket_folder": self.bucket_folder,
        }
        if self._block_document_name is not None:
            ref["block"] = f"{self.get_block_type_slug()}/{self._block_document_name}"
        else:
            ref["credentials"] = credentials_ref(self.gcp_credentials)
        return ref

    @classmethod
    def from_ref(cls, desc: dict[str, Any]) -> GcsBucket:
        """The bucket described by `to_ref`'s dict (loading the saved blocks it names)."""
        bucket, folder = desc.get("bucket"), desc.get("bucket_folder", "")
        if not isinstance(bucket, str):
            raise ValueError(f"A GCS storage reference needs a bucket: {desc!r}")
        if desc.get("block"):
            saved = cls.load(desc["block"])
            return cls(bucket=bucket, bucket_folder=folder, gcp_credentials=saved.gcp_credentials)
        credentials = credentials_from_ref(desc.get("credentials"))
        return cls(bucket=bucket, bucket_folder=folder, gcp_credentials=credentials)

    # -- value semantics (the cached client is not part of the block) ---------------------------
    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and (
            other.bucket,
            other.bucket_folder,
            other.gcp_credentials,
        ) == (self.bucket, self.bucket_folder, self.gcp_credentials)

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


__all__ = ["GcsBucket"]
