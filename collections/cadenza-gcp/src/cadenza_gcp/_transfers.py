"""File and folder transfers of `GcsBucket`, with prefect-gcp's method names and signatures.

Every ``from_path``/``to_path`` on the bucket side is a key relative to ``bucket_folder``,
validated like any storage key; local paths are ordinary filesystem paths.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from cadenza.storage import validate_key

from cadenza_gcp._errors import gcs_errors, gs_url

if TYPE_CHECKING:
    from google.cloud.storage import Blob, Bucket


class TransferMixin:
    """Upload and download helpers; mixed into `GcsBucket` (which provides ``_blob``,
    ``list_blobs``, ``bucket`` and ``bucket_folder``)."""

    bucket: str
    bucket_folder: str

    if TYPE_CHECKING:

        def _blob(self, key: str) -> Blob: ...
        def get_bucket(self) -> Bucket: ...
        def list_blobs(self, folder: str = "") -> list[Blob]: ...

    def upload_from_path(
        self, from_path: str | Path, to_path: str | None = None, **upload_kwargs: Any
    ) -> str:
        """Upload the local file ``from_path`` to key ``to_path`` (default: its file name).

        Returns:
            The object's name in the bucket.
        """
        source = Path(from_path)
        if not source.is_file():
            raise FileNotFoundError(f"Cannot upload {str(source)!r}: no such file")
        blob = self._blob(to_path if to_path is not None else source.name)
        with gcs_errors("upload", self.bucket, blob.name):
            blob.upload_from_filename(str(source), **upload_kwargs)
        name: str = blob.name  # the SDK is untyped
        return name

    def upload_from_file_object(
        self, from_file_object: IO[bytes], to_path: str, **upload_kwargs: Any
    ) -> str:
        """Upload the contents of a binary file object to key ``to_path``.

        Returns:
            The object's name in the bucket.
        """
        blob = self._blob(to_path)
        with gcs_errors("upload", self.bucket, blob.name):
            blob.upload_from_file(from_file_object, **upload_kwargs)
        name: str = blob.name
        return name

    def upload_from_folder(
        self, from_folder: str | Path, to_folder: str | None = None, **upload_kwargs: Any
    ) -> str:
        """Upload every file under the local ``from_folder`` to keys under ``to_folder``
        (default: the bucket folder itself), keeping relative paths.

        Returns:
            The folder's object name prefix in the bucket.
        """
        source = Path(from_folder)
        if not source.is_dir():
            raise NotADirectoryError(f"Cannot upload {str(source)!r}: not a directory")
        prefix = f"{to_folder.strip('/')}/" if to_folder and to_folder.strip("/") else ""
        files = sorted(p for p in source.rglob("*") if p.is_file())
        if not files:
            raise ValueError(f"Cannot upload {str(source)!r}: it contains no files")
        for file in files:
            self.upload_from_path(
                file, prefix + file.relative_to(source).as_posix(), **upload_kwargs
            )
        return self.bucket_folder + prefix

    def download_object_to_path(
        self, from_path: str, to_path: str | Path | None = None, **download_kwargs: Any
    ) -> Path:
        """Download the object at key ``from_path`` to the local file ``to_path`` (default: its
        file name in the current directory), creating parent directories.

        Returns:
            The absolute local path.
        """
        blob = self._blob(from_path)
        target = Path(to_path if to_path is not None else Path(from_path).name).absolute()
        target.parent.mkdir(parents=True, exist_ok=True)
        with gcs_errors("download", self.bucket, blob.name):
            try:
                blob.download_to_filename(str(target), **download_kwargs)
            except BaseException:
                target.unlink(missing_ok=True)  # the SDK leaves an empty file behind
                raise
        return target

    def download_object_to_file_object(
        self, from_path: str, to_file_object: IO[bytes], **download_kwargs: Any
    ) -> IO[bytes]:
        """Download the object at key ``from_path`` into a binary file object.

        Returns:
            ``to_file_object``.
        """
        blob = self._blob(from_path)
        with gcs_errors("download", self.bucket, blob.name):
            blob.download_to_file(to_file_object, **download_kwargs)
        return to_file_object

    def download_folder_to_path(
        self, from_folder: str, to_folder: str | Path | None = None, **download_kwargs: Any
    ) -> Path:
        """Download every object under key prefix ``from_folder`` into the local ``to_folder``
        (default: the current directory), keeping relative paths.

        Returns:
            The absolute local folder.
        """
        target = Path(to_folder if to_folder is not None else ".").absolute()
        folder = validate_key(from_folder) + "/" if from_folder.strip("/") else ""
        blobs = self.list_blobs(folder)
        if not blobs:
            raise FileNotFoundError(
                f"Cannot download {gs_url(self.bucket, self.bucket_folder + folder)}: no "
                "objects under it"
            )
        skip = len(self.bucket_folder) + len(folder)
        # every name is checked before anything is written: an object named "a/../../x" (by
        # another program) must not write outside the target folder
        planned = [(blob, target / validate_key(blob.name[skip:])) for blob in blobs]
        for blob, local in planned:
            local.parent.mkdir(parents=True, exist_ok=True)
            with gcs_errors("download", self.bucket, blob.name):
                blob.download_to_filename(str(local), **download_kwargs)
        return target


__all__ = ["TransferMixin"]
