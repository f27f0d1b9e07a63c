"""`S3Bucket`: an S3 bucket (or a folder of one) as a block, file system and result storage.

Method names and signatures are prefect-aws's (``prefect_aws.s3.S3Bucket``): ``read_path``,
``write_path``, ``upload_from_path``, ``download_object_to_path``, ``list_objects``, ... . It is
also a `cadenza.storage.StorageBackend` (``exists``, ``delete``, ``list_keys``), so it can be
passed as ``result_storage=`` or saved and named as ``result_storage="s3-bucket/<name>"``.

Keys are relative to ``bucket_folder`` and pass through `cadenza.storage.validate_key` (no
``..``, no absolute paths), so a key can never reach outside the folder. A persisted result's
reference (`S3Bucket.to_ref`) names the bucket, the folder and *where the credentials come
from* — a saved block's name, or boto3's default chain — never the credentials themselves.

The prebuilt S3 tasks (``s3_upload``, ``s3_download``, ...) live in `cadenza_aws.s3_tasks` and
are importable from here too, as in prefect-aws.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

from cadenza.blocks.core import Block, secret_values
from cadenza.storage import validate_key
from pydantic import Field, field_validator

from cadenza_aws._errors import translate
from cadenza_aws._validation import check_bucket_name
from cadenza_aws.credentials import AwsCredentials
from cadenza_aws.s3_tasks import s3_copy, s3_delete, s3_download, s3_list_objects, s3_upload


def _load_now(block_type: Any, name: str) -> Any:
    """The block saved as ``name``, loaded at once even when the caller is async code (where
    ``load`` alone returns an awaitable, as in Prefect)."""
    return block_type.load(name, _sync=True)

class S3Bucket(Block):
    """An S3 bucket, or a folder of one, with the credentials to reach it."""

    _block_type_slug = "s3-bucket"
    _block_type_name = "S3 Bucket"
    _logo_url = "https://cdn.simpleicons.org/amazons3"
    _documentation_url = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/Welcome.html"

    slug: ClassVar[str] = "s3-bucket"
    """The storage type in result references (`to_ref`)."""

    bucket_name: str = Field(description="The name of the bucket.")
    credentials: AwsCredentials = Field(
        default_factory=AwsCredentials,
        description="The credentials to reach the bucket with (default: boto3's chain).",
    )
    bucket_folder: str = Field(
        default="",
        description="A folder of the bucket that every key is relative to (default: its root).",
    )

    @field_validator("bucket_name")
    @classmethod
    def _bucket_name(cls, value: str) -> str:
        return check_bucket_name(value)

    @field_validator("bucket_folder")
    @classmethod
    def _bucket_folder(cls, value: str) -> str:
        value = value.strip("/")
        return validate_key(value) if value else ""

    # -- keys --------------------------------------------------------------------------------------
    def _object_key(self, key: str) -> str:
        """The S3 key of ``key``: validated, under ``bucket_folder``."""
        key = validate_key(key)
        return f"{self.bucket_folder}/{key}" if self.bucket_folder else key

    def _url(self, object_key: str) -> str:
        return f"s3://{self.bucket_name}/{object_key}"

    def _client(self) -> Any:
        return self.credentials.get_s3_client()

    def _error(self, exc: BaseException, operation: str, object_key: str = "") -> Exception:
        return translate(
            exc,
            operation=operation,
            target=self._url(object_key),
            secrets=secret_values(self.credentials),
            bucket=self.bucket_name,
        )

    # -- the StorageBackend protocol (and prefect-aws's WritableFileSystem) ------------------------
    def read_path(self, path: str) -> bytes:
        """The content of the object at ``path``; `S3NotFoundError` (a `FileNotFoundError`)
        naming the bucket and key if there is none."""
        object_key = self._object_key(path)
        try:
            response = self._client().get_object(Bucket=self.bucket_name, Key=object_key)
            return bytes(response["Body"].read())
        except Exception as exc:
            raise self._error(exc, "GetObject", object_key) from None

    def write_path(self, path: str, content: bytes) -> str:
        """Store ``content`` at ``path`` (one PUT: readers see the old or the new object);
        returns the object's S3 key."""
        if not isinstance(content, (bytes, bytearray, memoryview)):
            raise TypeError(f"write_path() needs bytes, got {type(content).__name__}")
        object_key = self._object_key(path)
        try:
            self._client().put_object(Bucket=self.bucket_name, Key=object_key, Body=bytes(content))
        except Exception as exc:
            raise self._error(exc, "PutObject", object_key) from None
        return object_key

    def exists(self, key: str) -> bool:
        """Whether an object is stored at ``key``."""
        object_key = self._object_key(key)
        try:
            self._client().head_object(Bucket=self.bucket_name, Key=object_key)
        except Exception as exc:
            error = self._error(exc, "HeadObject", object_key)
            if isinstance(error, FileNotFoundError):
                return False
            raise error from None
        return True

    def delete(self, key: str) -> None:  # Block.delete(name) deletes a saved block
        """Delete the object at ``key``; a missing object is not an error. (To delete a saved
        S3Bucket *block*, use ``S3Bucket.delete_by_name(name)``.)"""
        object_key = self._object_key(key)
        try:
            self._client().delete_object(Bucket=self.bucket_name, Key=object_key)
        except Exception as exc:
            raise self._error(exc, "DeleteObject", object_key) from None

    def list_keys(self, prefix: str = "") -> list[str]:
        """Every key (relative to ``bucket_folder``) starting with ``prefix``, sorted."""
        if not isinstance(prefix, str):
            raise TypeError(f"list_keys() prefix must be a string, got {type(prefix).__name__}")
        base = f"{self.bucket_folder}/" if self.bucket_folder else ""
        objects = self._list(base + prefix)
        return sorted(obj["Key"][len(base) :] for obj in objects if not obj["Key"].endswith("/"))

    # -- prefect-aws's object methods ------------------------------------------------------------
    def list_objects(
        self,
        folder: str = "",
        delimiter: str = "",
        page_size: int | None = None,
        max_items: int | None = None,
        jmespath_query: str | None = None,
    ) -> list[dict[str, Any]]:
        """The objects under ``folder`` (relative to ``bucket_folder``), as S3 describes them:
        dicts with ``Key`` (the full S3 key), ``Size``, ``LastModified``, ``ETag``, ...

        ``delimiter="/"`` stops at the next folder level; ``page_size``, ``max_items`` and
        ``jmespath_query`` are passed to boto3's paginator.
        """
        folder = folder.rstrip("/")  # "x/" lists the folder x; a leading "/" is refused
        prefix = self._object_key(folder) + "/" if folder else ""
        if not folder and self.bucket_folder:
            prefix = f"{self.bucket_folder}/"
        return self._list(prefix, delimiter, page_size, max_items, jmespath_query)

    def _list(
        self,
        prefix: str,
        delimiter: str = "",
        page_size: int | None = None,
        max_items: int | None = None,
        jmespath_query: str | None = None,
    ) -> list[dict[str, Any]]:
        pagination = {
            k: v for k, v in (("PageSize", page_size), ("MaxItems", max_items)) if v is not None
        }
        try:
            paginator = self._client().get_paginator("list_objects_v2")
            pages = paginator.paginate(
                Bucket=self.bucket_name,
                Prefix=prefix,
                Delimiter=delimiter,
                PaginationConfig=pagination,
            )
            if jmespath_query:
                return [item for item in pages.search(jmespath_query) if item is not None]
            return [obj for page in pages for obj in page.get("Contents", [])]
        except Exception as exc:
            raise self._error(exc, "ListObjectsV2", prefix) from None

    def upload_from_path(
        self, from_path: str | Path, to_path: str | None = None, **upload_kwargs: Any
    ) -> str:
        """Upload the local file ``from_path`` to the key ``to_path`` (default: the file's
        name); large files go up in parts. Returns the object's S3 key."""
        from_path = Path(from_path)
        if not from_path.is_file():
            raise FileNotFoundError(f"No local file {str(from_path)!r} to upload")
        object_key = self._object_key(to_path if to_path is not None else from_path.name)
        try:
            self._client().upload_file(
                str(from_path), self.bucket_name, object_key, **upload_kwargs
            )
        except Exception as exc:
            raise self._error(exc, "Upload", object_key) from None
        return object_key

    def upload_from_file_object(
        self, from_file_object: BinaryIO, to_path: str, **upload_kwargs: Any
    ) -> str:
        """Upload a binary file object to the key ``to_path``; returns the object's S3 key."""
        object_key = self._object_key(to_path)
        try:
            self._client().upload_fileobj(
                from_file_object, self.bucket_name, object_key, **upload_kwargs
            )
        except Exception as exc:
            raise self._error(exc, "Upload", object_key) from None
        return object_key

    def download_object_to_path(
        self, from_path: str, to_path: str | Path | None = None, **download_kwargs: Any
    ) -> Path:
        """Download the object at ``from_path`` to the local file ``to_path`` (default: its
        name, in the current directory), creating parent directories. Returns the local path."""
        object_key = self._object_key(from_path)
        target = Path(to_path if to_path is not None else Path(object_key).name).absolute()
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._client().download_file(
                self.bucket_name, object_key, str(target), **download_kwargs
            )
        except Exception as exc:
            raise self._error(exc, "Download", object_key) from None
        return target

    download_to_path = download_object_to_path  # type: ignore[pydantic-field]  # a method alias

    def download_object_to_file_object(
        self, from_path: str, to_file_object: BinaryIO, **download_kwargs: Any
    ) -> BinaryIO:
        """Download the object at ``from_path`` into a binary file object; returns it."""
        object_key = self._object_key(from_path)
        try:
            self._client().download_fileobj(
                self.bucket_name, object_key, to_file_object, **download_kwargs
            )
        except Exception as exc:
            raise self._error(exc, "Download", object_key) from None
        return to_file_object

    def copy_object(
        self, from_path: str, to_path: str, to_bucket: S3Bucket | str | None = None
    ) -> str:
        """Copy the object at ``from_path`` to ``to_path`` — in this bucket, or in
        ``to_bucket`` (another `S3Bucket`, whose folder applies, or a bucket name). Returns
        the new object's S3 key."""
        source_key = self._object_key(from_path)
        to_bucket = self if to_bucket is None else to_bucket
        if isinstance(to_bucket, S3Bucket):
            target_bucket, target_key = to_bucket.bucket_name, to_bucket._object_key(to_path)
        else:
            target_bucket = check_bucket_name(to_bucket)
            target_key = validate_key(to_path)
        try:
            self._client().copy_object(
                CopySource={"Bucket": self.bucket_name, "Key": source_key},
                Bucket=target_bucket,
                Key=target_key,
            )
        except Exception as exc:
            raise self._error(exc, "CopyObject", source_key) from None
        return target_key

    # -- describing itself, for result references --------------------------------------------------
    def to_ref(self) -> dict[str, Any]:
        """Bucket, folder and where the credentials come from — never the credentials.

        ``credentials`` is ``{"block": "aws-credentials/<name>"}`` when they were saved or
        loaded by name, ``{"s3_bucket_block": "<name>"}`` when this bucket was, and otherwise
        their non-secret settings (region, profile, endpoint): another process then takes the
        keys from boto3's default chain (a warning says so when this block holds a secret).
        """
        return {
            "type": self.slug,
            "bucket_name": self.bucket_name,
            "bucket_folder": self.bucket_folder,
            "credentials": self._credentials_ref(),
        }

    def _credentials_ref(self) -> dict[str, Any]:
        if self.credentials._block_document_name is not None:
            slug = AwsCredentials.get_block_type_slug()
            return {"block": f"{slug}/{self.credentials._block_document_name}"}
        if self._block_document_name is not None:
            return {"s3_bucket_block": self._block_document_name}
        if self.credentials.has_secrets():
            warnings.warn(
                f"S3Bucket {self.bucket_name!r}: its credentials hold a secret but are not a "
                "saved block, so a result reference cannot name them; processes reading these "
                "results use boto3's default credential chain. Save the AwsCredentials block "
                "(credentials.save('name')) to have readers use it.",
                stacklevel=3,
            )
        return self.credentials.public_settings()

    @classmethod
    def from_ref(cls, desc: dict[str, Any]) -> S3Bucket:
        """The bucket a `to_ref` dict describes, its credentials loaded by name if saved."""
        creds = desc.get("credentials") or {}
        if not isinstance(creds, dict):
            raise ValueError(f"An s3-bucket reference has invalid credentials: {creds!r}")
        if "block" in creds:
            credentials = _load_now(AwsCredentials, creds["block"])
        elif "s3_bucket_block" in creds:
            credentials = _load_now(cls, creds["s3_bucket_block"]).credentials
        else:
            credentials = AwsCredentials(**creds)
        return cls(
            bucket_name=desc.get("bucket_name"),
            bucket_folder=desc.get("bucket_folder") or "",
            credentials=credentials,
        )


__all__ = [
    "S3Bucket",
    "check_bucket_name",
    "s3_copy",
    "s3_delete",
    "s3_download",
    "s3_list_objects",
    "s3_upload",
]
