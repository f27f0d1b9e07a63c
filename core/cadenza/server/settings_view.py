"""The settings a server runs with, as ``GET /settings`` shows them: every ``CADENZA_*`` setting
in effect in the server's process (value, where it came from, what it means) and the two the
server takes besides (its database URL and API key), with every secret masked.

Secret settings show ``********`` when set; a URL's password (the database URL's, or one
written into ``CADENZA_API_URL``) shows as ``***``. Nothing here can reveal a secret's value.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from cadenza.settings import spec
from cadenza.settings.declaration import Secret, Setting

MASK = "********"
DATABASE_URL_ENV = "CADENZA_DATABASE_URL"
_TYPES = {Path: "path", str: "string", bool: "boolean", int: "integer", float: "number"}


def mask_url(text: str) -> str:
    """``text`` with the password of a URL in it replaced by ``***`` (other text unchanged)."""
    try:
        parts = urlsplit(text)
    except ValueError:
        return text
    if not parts.scheme or "@" not in parts.netloc:
        return text
    userinfo, _, host = parts.netloc.rpartition("@")
    user, colon, _password = userinfo.partition(":")
    if not colon:
        return text
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def _shown(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, Secret):
        return MASK
    return mask_url(str(value))


def _row(s: Setting) -> dict[str, Any]:
    row: dict[str, Any] = {
        "name": s.name,
        "type": _TYPES.get(s.type, s.type.__name__),
        "description": s.doc,
        "secret": s.secret,
        "default": None if s.secret else _shown(s.default),
        "error": None,
    }
    try:
        value = spec.get(s.name)
        row.update(value=_shown(value), source=spec.source(s.name))
    except (KeyError, ValueError) as exc:  # the message masks a secret's value
        row.update(value=None, source=None, error=str(exc.args[0] if exc.args else exc))
    return row


def source_of(value: str | None, env: str, default: str | None = None) -> str:
    """Where a value the server was started with came from: ``env`` if it is the environment
    variable's, ``default`` if none was given (or it is the default), else ``argument``."""
    if value is None or value == default:
        return spec.DEFAULT
    return spec.ENV if os.environ.get(env) == value else "argument"


def settings_in_effect(
    database_url: str, database_source: str, api_key: str | None, key_source: str
) -> list[dict[str, Any]]:
    """Every setting of the server's process, then its database URL and API key (``source``:
    ``env``, ``profile``, ``default``, or ``argument`` for what the server was started with)."""
    rows = [_row(s) for s in spec.SETTINGS]
    rows.append({
        "name": DATABASE_URL_ENV, "type": "string", "secret": False, "default": None,
        "value": mask_url(database_url), "source": database_source,
        "description": "Database of the server's record (`cadenza server start --database-url`); "
                       "unset means the SQLite file under CADENZA_HOME.",
        "error": None,
    })  # fmt: skip
    rows.append({
        "name": "CADENZA_SERVER_API_KEY", "type": "string", "secret": True, "default": None,
        "value": MASK if api_key else None, "source": key_source,
        "description": "The key clients must send as `Authorization: Bearer <key>`; unset means "
                       "the server requires none.",
        "error": None,
    })  # fmt: skip
    return rows


__all__ = ["DATABASE_URL_ENV", "MASK", "mask_url", "settings_in_effect", "source_of"]
