"""Key files in ``$CADENZA_HOME`` (the block encryption key, the result signing key).

A key file is created 0600 on first use in a home that has never used one. Once something was
sealed or signed with a key, losing its file must not quietly start a new key (everything sealed
before would become unreadable, with a confusing error later): the caller shows what depends on
the old key, and `missing_key` turns that into an error naming the file and the two ways on —
restore it, or start over deliberately with ``cadenza config new-key``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cadenza._private import open_private, private_dir, tighten
from cadenza.exceptions import MissingKeyError

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from typing import TypeVar

    E = TypeVar("E", bound=Exception)


def read_key_file(path: Path) -> bytes | None:
    """The key file's bytes (its mode tightened to 0600 if it was wider), or None if missing."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    tighten(path)
    return data


def create_key_file(path: Path, content: bytes) -> None:
    """Write a new key atomically: a complete temp file (mode 0600) hard-linked into place, so
    that two processes racing here agree on one key and none reads a half-written file. If the
    file already exists (another process won), it is kept. The directory is created 0700."""
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = open_private(tmp)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process won the race; use its key
    finally:
        os.unlink(tmp)


def missing_key(
    path: Path, label: str, depends: str, override: str, kind: str, error: type[E]
) -> E:
    """The error for a key file that is gone while `depends` (e.g. "block 'secret/db'") cannot
    be read without its key. `label` names the key, `override` the variable that can supply it
    instead, `kind` the argument of ``cadenza config new-key``; `error` is the class raised."""
    return error(
        f"The {label} file {path} is missing, and {depends} cannot be read without that key. "
        f"Restore {path} from a backup (or set {override} to the key). To give up what was "
        f"sealed with the lost key and start over with a new one, run `cadenza config new-key "
        f"{kind}`; cadenza never replaces a lost key by itself."
    )


__all__ = ["MissingKeyError", "create_key_file", "missing_key", "read_key_file"]
