"""Read and write ``$CADENZA_HOME/profiles.toml``.

The file holds the name of the active profile and one table of ``CADENZA_*`` keys per profile::

    active = "default"

    [profiles.default]
    CADENZA_LOGGING_LEVEL = "DEBUG"

    [profiles.dev]
    CADENZA_API_URL = "http://127.0.0.1:4200/api"

`read` returns the parsed document (an empty one when the file does not exist) and raises
`ValueError` naming the file when it is not valid TOML or not of this shape (with the standard
library's ``tomllib``: reading is on the path of every run). `write` edits the file with
``tomlkit``, changing only the keys, tables and ``active`` line that differ, so the user's
comments, blank lines, quoting and key order stay as they were, and replaces it atomically. The
file can hold an API key, so it is written 0600 (its directory created 0700), and `read`
tightens a wider one it finds.
"""

from __future__ import annotations

import os
from pathlib import Path

from cadenza._private import open_private, private_dir, tighten

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import Any

FILENAME = "profiles.toml"
DEFAULT_PROFILE = "default"

_BARE_KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


class ProfilesDoc:
    """The parsed profiles file: ``active`` (None when the file names none) and ``profiles``.

    ``profiles`` maps a profile name to its table of ``CADENZA_*`` keys; values are the TOML
    values as written (str, bool, int or float).
    """

    __slots__ = ("active", "path", "profiles")

    def __init__(
        self,
        path: Path,
        active: str | None = None,
        profiles: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.path = path
        self.active = active
        self.profiles: dict[str, dict[str, Any]] = profiles if profiles is not None else {}

    def __repr__(self) -> str:
        return f"ProfilesDoc({str(self.path)!r}, active={self.active!r}, {self.profiles!r})"


def profiles_path(home: Path) -> Path:
    """The profiles file under the given cadenza home."""
    return home / FILENAME


def read(path: Path) -> ProfilesDoc:
    """Parse the profiles file at ``path``; a missing file yields an empty document.

    Raises `ValueError` naming the file when it is not valid TOML, when ``active`` is not a
    string, or when ``profiles`` or one of its entries is not a table of scalar values.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ProfilesDoc(path)
    except OSError as exc:
        raise ValueError(f"cannot read profiles file {path}: {exc}") from None
    tighten(path)
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]  # the same API, before 3.11
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"profiles file {path} is not valid TOML: {exc}") from None
    active = data.get("active")
    if active is not None and not isinstance(active, str):
        raise ValueError(f"profiles file {path}: 'active' must be a string, got {active!r}")
    tables = data.get("profiles", {})
    if not isinstance(tables, dict):
        raise ValueError(f"profiles file {path}: 'profiles' must be a table of tables")
    profiles: dict[str, dict[str, Any]] = {}
    for name, table in tables.items():
        if not isinstance(table, dict):
            raise ValueError(f"profiles file {path}: [profiles.{name}] must be a table")
        for key, value in table.items():
            if not isinstance(value, (str, bool, int, float)):
                raise ValueError(
                    f"profiles file {path}: [profiles.{name}] {key} must be a string, boolean "
                    f"or number, got {value!r}"
                )
        profiles[name] = dict(table)
    return ProfilesDoc(path, active, profiles)


def _key(name: str) -> str:
    if name and _BARE_KEY_CHARS.issuperset(name):
        return name
    return _value(name)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        text = repr(value)
        return {"inf": "inf", "-inf": "-inf", "nan": "nan"}.get(text, text)
    import json

    # JSON string escapes are a subset of TOML basic-string escapes.
    return json.dumps(str(value), ensure_ascii=False)


def dumps(doc: ProfilesDoc) -> str:
    """Render a document as TOML (the inverse of `read` for documents of this shape)."""
    lines: list[str] = []
    if doc.active is not None:
        lines.append(f"active = {_value(doc.active)}")
    for name, table in doc.profiles.items():
        if lines:
            lines.append("")
        lines.append(f"[profiles.{_key(name)}]")
        lines.extend(f"{_key(k)} = {_value(v)}" for k, v in table.items())
    return "\n".join(lines) + "\n"


def render(doc: ProfilesDoc) -> str:
    """The TOML `write` writes: the file at ``doc.path`` (when it exists) with only what differs
    from `doc` changed; keys and profiles new to it are added after the existing ones."""
    # lazily: tomlkit takes ~0.1 s to import and only commands that change the file need it
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        edited = tomlkit.parse(doc.path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        edited = tomlkit.document()
    except (OSError, TOMLKitError) as exc:
        raise ValueError(f"cannot edit profiles file {doc.path}: {exc}") from None
    if doc.active is None:
        edited.pop("active", None)
    elif edited.get("active") != doc.active:
        edited["active"] = doc.active
    tables = edited.get("profiles")
    if tables is None:
        if not doc.profiles:
            return tomlkit.dumps(edited)
        tables = tomlkit.table(is_super_table=True)
        edited["profiles"] = tables
    for name in [n for n in tables if n not in doc.profiles]:
        del tables[name]
    for name, values in doc.profiles.items():
        if name not in tables:
            tables[name] = tomlkit.table()
        table = tables[name]
        for key in [k for k in table if k not in values]:
            del table[key]
        for key, value in values.items():
            if not _same(table.get(key), value):
                table[key] = value
    return tomlkit.dumps(edited)


def _same(item: Any, value: Any) -> bool:
    """Whether the TOML item `item` already holds `value` (``true`` is not ``1``)."""
    current = item.unwrap() if hasattr(item, "unwrap") else item
    return type(current) is type(value) and bool(current == value)


def write(doc: ProfilesDoc) -> None:
    """Write ``doc`` to ``doc.path`` atomically (a 0600 temp file renamed into place), creating
    the directory (0700); an existing file keeps its comments and layout (`render`)."""
    path = doc.path
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)  # left by a process with this pid that died mid-write
    try:
        with os.fdopen(open_private(tmp), "w", encoding="utf-8") as fh:
            fh.write(render(doc))
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


__all__ = [
    "DEFAULT_PROFILE",
    "FILENAME",
    "ProfilesDoc",
    "dumps",
    "profiles_path",
    "read",
    "render",
    "write",
]
