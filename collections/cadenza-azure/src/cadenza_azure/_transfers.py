"""File and folder transfers of `AzureBlobStorageContainer`, with prefect-azure's method names
and signatures (synchronous here: call them without ``await``).

Every path on the container side is a key relative to ``base_folder``, validated like any
storage key; local paths are ordinary filesystem paths. Uploads keep the SDK's default of not
replacing an existing blob (`FileExistsError`) unless ``overwrite=True`` is passed, as in
prefect-azure; `write_path` always replaces.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from azure.storage.blob import BlobClient


class TransferMixin:
    """Upload and download helpers; mixed into `AzureBlobStorageContainer` (which provides
    ``_blob``, ``_blob_name``, ``_errors``, ``_names``, ``list_keys`` and ``write_path``)."""

    base_folder: str

    if TYPE_CHECKING:

        def _blob(self, key: str) -> BlobClient: ...
        def _blob_name(self, key: str) -> str: ...
        def _errors(self, action: str, name: str | None = None) -> Any: ...
        def list_keys(self, prefix: str = "") -> list[str]: ...
        def write_path(self, path: str, content: bytes) -> str: ...

    # -- downloads ------------------------------------------------------------------------------
    def download_object_to_file_object(
        self, from_path: str, to_file_object: IO[bytes], **download_kwargs: Any
    ) -> IO[bytes]:
        """Write the blob at key ``from_path`` into a binary file object; returns it."""
        with self._errors("download", self._blob_name(from_path)):
            self._blob(from_path).download_blob(**download_kwargs).readinto(to_file_object)
        return to_file_object

    def download_object_to_path(
        self, from_path: str, to_path: str | Path, **download_kwargs: Any
    ) -> Path:
        """Download the blob at key ``from_path`` to the local file ``to_path`` (its folders are
        made); returns the path."""
        target = Path(to_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        with self._errors("download", self._blob_name(from_path)):
            downloader = self._blob(from_path).download_blob(**download_kwargs)
            with target.open("wb") as out:
                downloader.readinto(out)
        return target

    def download_folder_to_path(
        self, from_folder: str, to_folder: str | Path, **download_kwargs: Any
    ) -> Path:
        """Download every blob under the folder ``from_folder`` ("" for all of ``base_folder``)
        into the local folder ``to_folder``, keeping the layout below it; returns the folder."""
        prefix = from_folder.strip("/") + "/" if from_folder.strip("/") else ""
        target = Path(to_folder)
        for key in self.list_keys(prefix):
            self.download_object_to_path(key, target / key[len(prefix) :], **download_kwargs)
        return target

    def get_directory(self, from_path: str | None = None, local_path: str | None = None) -> None:
        """Download the folder ``from_path`` (default: all) to ``local_path`` (default: the
        current directory) — the deployment-storage interface."""
        self.download_folder_to_path(from_path or "", local_path or ".")

    # -- uploads --------------------------------------------------------------------------------
    def upload_from_file_object(
        self, from_file_object: IO[bytes], to_path: str, **upload_kwargs: Any
    ) -> str:
        """Upload the contents of a binary file object to key ``to_path``; returns the key."""
        with self._errors("upload", self._blob_name(to_path)):
            self._blob(to_path).upload_blob(from_file_object, **upload_kwargs)
        return to_path

    def upload_from_path(self, from_path: str | Path, to_path: str, **upload_kwargs: Any) -> str:
        """Upload the local file ``from_path`` to key ``to_path``; returns the key."""
        source = Path(from_path)
        if not source.is_file():
            raise FileNotFoundError(f"Cannot upload {str(source)!r}: no such file")
        with source.open("rb") as data:
            return self.upload_from_file_object(data, to_path, **upload_kwargs)

    def upload_from_folder(
        self, from_folder: str | Path, to_folder: str = "", **upload_kwargs: Any
    ) -> str:
        """Upload every file below the local folder ``from_folder`` under the folder
        ``to_folder``, keeping the layout; returns the folder's full name in the container."""
        source = Path(from_folder)
        if not source.is_dir():
            raise ValueError(f"{str(source)!r} is not a directory")
        folder = to_folder.strip("/")
        for path in sorted(source.rglob("*")):
            if path.is_file():
                relative = path.relative_to(source).as_posix()
                key = f"{folder}/{relative}" if folder else relative
                self.upload_from_path(path, key, **upload_kwargs)
        return self.base_folder + (folder + "/" if folder else "")

    def put_directory(
        self,
        local_path: str | None = None,
        to_path: str | None = None,
        ignore_file: str | None = None,
    ) -> int:
        """Upload the local folder ``local_path`` (default: the current directory) under
        ``to_path``, replacing what is there, leaving out files that match a pattern of
        ``ignore_file`` (one ``fnmatch`` pattern a line) — the deployment-storage interface.

        Returns:
            How many files were uploaded.
        """
        source = Path(local_path or ".").expanduser()
        patterns: list[str] = []
        if ignore_file:
            lines = Path(ignore_file).read_text().splitlines()
            patterns = [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]
        folder = (to_path or "").strip("/")
        count = 0
        for path in sorted(source.rglob("*")):
            relative = path.relative_to(source).as_posix()
            if not path.is_file() or any(fnmatch.fnmatch(relative, p) for p in patterns):
                continue
            self.write_path(f"{folder}/{relative}" if folder else relative, path.read_bytes())
            count += 1
        return count


__all__ = ["TransferMixin"]
