"""Variables: named JSON values shared by flows, kept in the record or on the server.

    from cadenza.variables import Variable

    Variable.set("batch_size", 500)
    size = Variable.get("batch_size", default=100)

As in Prefect 3: `Variable.get(name, default=None)` returns the value (``default`` when unset),
`Variable.set(name, value, tags=None, overwrite=False)` refuses to replace an existing variable
unless ``overwrite``, `Variable.unset(name)` says whether there was one; ``aget``/``aset``/
``aunset`` are the async forms, and in async code (an ``async def`` flow, task or coroutine)
``get``/``set``/``unset`` themselves return awaitables, as Prefect's do (`cadenza._dispatch`).
Values are anything JSON can hold. Names are lowercase letters, digits, ``-`` and ``_``. With
``CADENZA_API_URL`` set they live on the server, otherwise in the embedded record
under ``CADENZA_HOME``.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cadenza._dispatch import async_form, dual
from cadenza._times import epoch_times
from cadenza.client.errors import ApiError, NotFound
from cadenza.client.remote import remote_or_none
from cadenza.store.local import LocalRecord, local

if TYPE_CHECKING:
    import builtins  # in the classes below, `list` is their method
    from typing import Protocol

    from cadenza.client.http import ApiClient

NAME = re.compile(r"^[a-z0-9_-]{1,255}$")
MAX_VALUE_BYTES = 1_000_000


def validate_name(name: Any) -> str:
    if not isinstance(name, str) or not NAME.match(name):
        shown = repr(name)[:80]
        raise ValueError(
            f"Invalid variable name {shown}: use 1-255 lowercase letters, digits, '-' and '_'"
        )
    return name


def encode_value(name: str, value: Any) -> str:
    """``value`` as JSON text; ValueError naming the variable if it is not JSON or too big."""
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"Variable {name!r}: the value must be JSON (str, int, float, bool, None, lists and "
            f"dicts of those); {type(value).__name__} is not: {exc}"
        ) from None
    if len(text) > MAX_VALUE_BYTES:
        raise ValueError(
            f"Variable {name!r}: the value is {len(text):,} bytes as JSON; at most "
            f"{MAX_VALUE_BYTES:,} are allowed"
        )
    return text


def validate_tags(tags: Any) -> list[str]:
    if tags is None:
        return []
    if isinstance(tags, str) or not all(isinstance(t, str) for t in tags):
        raise ValueError(f"Variable tags must be a list of strings, got {tags!r}"[:200])
    return list(tags)


def exists_message(name: str) -> str:
    return f"Variable {name!r} already exists; use overwrite=True (or --overwrite) to update it"


@dataclass
class Variable:
    """A variable as stored: its name, value and tags."""

    name: str
    value: Any = None
    tags: list[str] = field(default_factory=list)
    created: float | None = None
    updated: float | None = None

    @classmethod
    @dual
    def get(cls, name: str, default: Any = None) -> Any:
        """The value of variable ``name``, or ``default`` if it is not set."""
        found = _store().get(validate_name(name))
        return default if found is None else found.value

    @classmethod
    @dual
    def set(
        cls, name: str, value: Any, tags: list[str] | None = None, overwrite: bool = False
    ) -> Variable:
        """Set variable ``name`` to ``value``; `ValueError` if it exists and not ``overwrite``."""
        validate_name(name)
        encode_value(name, value)
        return _store().set(name, value, validate_tags(tags), overwrite)

    @classmethod
    @dual
    def unset(cls, name: str) -> bool:
        """Delete variable ``name``; True if it existed."""
        return _store().unset(validate_name(name))

    @classmethod
    def list(cls, tag: str | None = None) -> builtins.list[Variable]:
        """Every variable (with ``tag`` if given), sorted by name."""
        return [v for v in _store().list() if tag is None or tag in v.tags]

    aget = async_form(get)
    aset = async_form(set)
    aunset = async_form(unset)


class VariableStore(LocalRecord):
    """Variables in the embedded record's ``variables`` table."""

    _COLUMNS = "name, value, tags, created, updated"

    @staticmethod
    def _variable(row: tuple[Any, ...]) -> Variable:
        name, value, tags, created, updated = row
        return Variable(name, json.loads(value), json.loads(tags), created, updated)

    def get(self, name: str) -> Variable | None:
        rows = self.query(f"SELECT {self._COLUMNS} FROM variables WHERE name = ?", (name,))
        return self._variable(rows[0]) if rows else None

    def list(self) -> builtins.list[Variable]:
        rows = self.query(f"SELECT {self._COLUMNS} FROM variables ORDER BY name")
        return [self._variable(row) for row in rows]

    def set(self, name: str, value: Any, tags: builtins.list[str], overwrite: bool) -> Variable:
        now = time.time()
        with self.transaction() as conn:
            existing = conn.execute(
                "SELECT created FROM variables WHERE name = ?", (name,)
            ).fetchone()
            if existing is not None and not overwrite:
                raise ValueError(exists_message(name))
            created = existing[0] if existing is not None else now
            conn.execute(
                f"INSERT OR REPLACE INTO variables ({self._COLUMNS}) VALUES (?,?,?,?,?)",
                (name, encode_value(name, value), json.dumps(tags), created, now),
            )
        return Variable(name, value, tags, created, now)

    def unset(self, name: str) -> bool:
        with self.transaction() as conn:
            return conn.execute("DELETE FROM variables WHERE name = ?", (name,)).rowcount > 0


if TYPE_CHECKING:

    class _Store(Protocol):
        """Where variables live: the embedded record (`VariableStore`) or a server."""

        def get(self, name: str) -> Variable | None: ...

        def set(
            self, name: str, value: Any, tags: builtins.list[str], overwrite: bool
        ) -> Variable: ...

        def unset(self, name: str) -> bool: ...

        def list(self) -> builtins.list[Variable]: ...


def _variable(row: dict[str, Any]) -> Variable:
    """A variable as the server answers it (times as ISO 8601 strings, read as epoch seconds)."""
    return Variable(**epoch_times(row))


class RemoteVariableStore:
    """Variables on the server (``CADENZA_API_URL``), through its HTTP API."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client

    def get(self, name: str) -> Variable | None:
        try:
            return _variable(self.client.get_variable(name))
        except NotFound:
            return None

    def list(self) -> builtins.list[Variable]:
        out: builtins.list[Variable] = []
        while True:
            page = self.client.list_variables(limit=1000, offset=len(out))
            out.extend(_variable(row) for row in page)
            if len(page) < 1000:
                return out

    def set(self, name: str, value: Any, tags: builtins.list[str], overwrite: bool) -> Variable:
        try:
            return _variable(self.client.set_variable(name, value, tags, overwrite))
        except ApiError as exc:
            if exc.status == 409:
                raise ValueError(exc.detail) from None
            raise

    def unset(self, name: str) -> bool:
        try:
            self.client.delete_variable(name)
        except NotFound:
            return False
        return True


def _store() -> _Store:
    remote = remote_or_none()
    if remote is not None:
        return RemoteVariableStore(remote)
    return local(VariableStore)


__all__ = ["Variable"]
