"""Files only their owner may read: the run record, the key files, ``profiles.toml``.

The record holds parameters, logs and sealed secrets; the key files unseal them; the profiles
file can hold an API key. Cadenza creates them mode 0600 whatever the umask, and the directories
it creates for them (``$CADENZA_HOME`` first) 0700. A file of this kind found with wider modes
— made by an older cadenza, or by hand — is tightened to 0600 when cadenza opens it, if this
user owns it; `exposed` lists what is still readable by others, for ``cadenza config
validate``. An existing directory is left as it is: sharing it may be deliberate, and its files
are private anyway.

On Windows mode bits do not say who may read a file (its ACL does, and a new file under the
user's profile is private to that user already): `tighten` and `exposed` do nothing there.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700
_OTHERS = stat.S_IRWXG | stat.S_IRWXO
MODES_MEAN_ACCESS = os.name == "posix"
"""Whether a file's mode bits tell who may read it (POSIX); not on Windows."""


def private_dir(path: Path) -> None:
    """Create directory `path` (and its parents) if missing; the directory itself 0700."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)


def create_private(path: Path) -> None:
    """Create `path` empty and 0600 if it does not exist (an existing file is left alone).

    For files another library creates on open: SQLite gives a database's ``-wal`` and ``-shm``
    files the database file's mode, so the record is created here before SQLite opens it.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    os.close(fd)


def open_private(path: Path) -> int:
    """A new file at `path` (which must not exist) opened for writing, mode 0600: a descriptor."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)


def tighten(*paths: Path) -> None:
    """Remove group and other permissions from each existing file this user owns."""
    if not MODES_MEAN_ACCESS:
        return
    for path in paths:
        try:
            mode = os.stat(path).st_mode
            if mode & _OTHERS:
                os.chmod(path, stat.S_IMODE(mode) & ~_OTHERS)
        except OSError:  # missing, or not ours: `exposed` reports what is left
            pass


def exposed(*paths: Path) -> list[tuple[Path, int]]:
    """The existing files among `paths` that others may access, with their modes."""
    found: list[tuple[Path, int]] = []
    if not MODES_MEAN_ACCESS:
        return found
    for path in paths:
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
        except OSError:
            continue
        if mode & _OTHERS:
            found.append((path, mode))
    return found
