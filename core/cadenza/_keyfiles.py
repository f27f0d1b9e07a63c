"""Key files in ``$CADENZA_HOME`` (the block encryption key, the result signing key)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def create_key_file(path: Path, content: bytes) -> None:
    """Write a new key atomically: a complete temp file (mode 0600) hard-linked into place, so
    that two processes racing here agree on one key and none reads a half-written file. If the
    file already exists (another process won), it is kept."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
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
