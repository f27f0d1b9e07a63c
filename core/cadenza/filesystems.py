"""`LocalFileSystem`: result storage in a directory on this machine.

Keys are relative paths under `basepath` (validated by `cadenza.storage.validate_key`); a key
whose real path — after following symlinks — is outside `basepath` is refused with
`InvalidStorageKey`. Writes are atomic (a temp file in the same directory, then ``os.replace``)
and files are created readable by their owner only (0600).

`LocalFileSystem` is also a block (slug ``local-file-system``): ``LocalFileSystem(basepath=
"/data/results").save("results")`` and then ``result_storage="local-file-system/results"``.
Its ``delete(key)`` is the storage method (it deletes a stored blob); delete a saved
LocalFileSystem block with ``LocalFileSystem.delete_by_name(name)``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field, field_validator

from cadenza.blocks.core import Block
from cadenza.exceptions import InvalidStorageKey
from cadenza.settings import spec
from cadenza.storage import validate_key

_TMP_PREFIX = ".cadenza-tmp-"


def default_basepath() -> Path:
    """``$CADENZA_LOCAL_STORAGE_PATH``, else ``$CADENZA_HOME/storage``."""

    configured = spec.get("CADENZA_LOCAL_STORAGE_PATH")
    return Path(configured) if configured is not None else spec.home() / "storage"


class LocalFileSystem(Block):
    """Store blobs as files under ``basepath`` (default: see `default_basepath`).

    A relative ``basepath`` is made absolute against the current directory when the object is
    created, so that a result reference names the same directory in every process.
    """

    _block_type_slug = "local-file-system"
    _block_type_name = "Local File System"
    _description = "Result storage in a directory on this machine."

    type: ClassVar[str] = "local"
    """The storage type slug in result references (`to_ref`)."""

    if TYPE_CHECKING:
        basepath: Path  # None is accepted, and made the default directory by `_absolute`
    else:
        basepath: Path | None = Field(
            default=None,
            validate_default=True,
            description="Directory holding the stored files; unset means $CADENZA_HOME/storage "
            "(or CADENZA_LOCAL_STORAGE_PATH) when the block is created.",
        )

    def __init__(self, basepath: str | os.PathLike[str] | None = None, **data: Any) -> None:
        # Block's __init__, as type checkers synthesize it, knows Block's fields only; pydantic
        # validates the arguments against this model's.
        super().__init__(basepath=basepath, **data)  # type: ignore[call-arg]  # see above

    @field_validator("basepath", mode="before")
    @classmethod
    def _absolute(cls, value: Any) -> Path:
        base = default_basepath() if value is None else Path(value)
        return Path(os.path.abspath(base.expanduser()))

    # -- the StorageBackend protocol ------------------------------------------------------------
    def read_path(self, key: str) -> bytes:
        path = self._path(key)
        try:
            with open(path, "rb") as fh:
                return fh.read()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise FileNotFoundError(f"No stored result at key {key!r} in {self.basepath}") from None

    def write_path(self, key: str, data: bytes) -> None:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"write_path() needs bytes, got {type(data).__name__}")
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._check_inside(path.parent, key)  # a directory swapped for a symlink meanwhile
        fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass

    def list_keys(self, prefix: str = "") -> list[str]:
        if not isinstance(prefix, str):
            raise TypeError(f"list_keys() prefix must be a string, got {type(prefix).__name__}")
        base = self.basepath
        if not base.is_dir():
            return []
        real_base = os.path.realpath(base)
        keys = []
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))]
            rel_dir = os.path.relpath(dirpath, base)
            for name in filenames:
                if name.startswith(_TMP_PREFIX):
                    continue
                key = name if rel_dir == "." else f"{rel_dir.replace(os.sep, '/')}/{name}"
                if not key.startswith(prefix):
                    continue
                full = os.path.join(dirpath, name)
                if _inside(os.path.realpath(full), real_base) and os.path.isfile(full):
                    keys.append(key)
        return sorted(keys)

    # -- describing itself, for result references -----------------------------------------------
    def to_ref(self) -> dict[str, Any]:
        return {"type": self.type, "basepath": str(self.basepath)}

    @classmethod
    def from_ref(cls, desc: dict[str, Any]) -> LocalFileSystem:
        basepath = desc.get("basepath")
        if not isinstance(basepath, str) or not os.path.isabs(basepath):
            raise ValueError(f"A local storage reference needs an absolute basepath: {desc!r}")
        return cls(basepath)

    # -- helpers ---------------------------------------------------------------------------------
    def _path(self, key: str) -> Path:
        path = self.basepath / validate_key(key)
        self._check_inside(path, key)
        return path

    def _check_inside(self, path: Path, key: str) -> None:
        real = os.path.realpath(path)
        if not _inside(real, os.path.realpath(self.basepath)):
            raise InvalidStorageKey(
                f"Invalid storage key {key!r}: it resolves to {real}, outside the storage base "
                f"path {self.basepath} (through a symbolic link)"
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LocalFileSystem) and other.basepath == self.basepath

    def __hash__(self) -> int:
        return hash(("local", self.basepath))

    def __repr__(self) -> str:
        return f"LocalFileSystem(basepath={str(self.basepath)!r})"

    __str__ = __repr__


def _inside(real: str, real_base: str) -> bool:
    return real == real_base or real.startswith(real_base.rstrip(os.sep) + os.sep)


__all__ = ["LocalFileSystem", "default_basepath"]
