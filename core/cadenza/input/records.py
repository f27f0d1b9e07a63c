"""Where flow-run inputs and pauses are read and written: the server (`CADENZA_API_URL`), or
the embedded record (`cadenza.store.pause` on ``$CADENZA_HOME/cadenza.db``). Both raise the
same errors: `ObjectNotFound`, `ObjectAlreadyExists`, `NotPausedError`, `FlowPauseTimeout`,
`InvalidRunInput` (cadenza.exceptions).

`open_record()` picks one per call: these are rare calls (a pause, a resume), never on a run's
hot path, so nothing is kept open between them but the embedded record's database engine.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from cadenza._times import epoch_times
from cadenza.exceptions import (
    FlowPauseTimeout,
    InvalidRunInput,
    NotPausedError,
    ObjectAlreadyExists,
    ObjectNotFound,
)
from cadenza.settings import spec

_lock = threading.Lock()
_databases: dict[str, Any] = {}  # embedded record URL -> SqlDatabase


class _Local:
    """The embedded record (or any database URL), through `cadenza.store.pause`."""

    def __init__(self, db: Any) -> None:
        self.db = db
        # lazily: SQLAlchemy loads only when the embedded record's inputs are used
        from cadenza.store import pause

        self.pause = pause

    def resolve(self, ref: str) -> str:
        # lazily: as above
        from cadenza.store.database import connect, default_db_path
        from cadenza.store.queries import resolve_flow_run_id

        conn = connect(default_db_path())
        try:
            return resolve_flow_run_id(conn, ref)
        finally:
            conn.close()

    def run(self, run_id: str) -> dict[str, Any]:
        import sqlalchemy as sa  # lazily: as above

        from cadenza.store.tables import flow_runs

        columns = (flow_runs.c.id, flow_runs.c.deployment_id, flow_runs.c.state_type,
                   flow_runs.c.state_name)  # fmt: skip
        with self.db.read() as conn:
            row = conn.execute(sa.select(*columns).where(flow_runs.c.id == run_id)).first()
        if row is None:
            raise ObjectNotFound(f"no flow run with id {run_id!r} is recorded")
        state = {"type": row.state_type, "name": row.state_name}
        return {"id": row.id, "deployment_id": row.deployment_id, "state": state}

    def create(self, run_id: str, key: str, value: Any, sender: str | None = None,
               replace: bool = False) -> dict[str, Any]:  # fmt: skip
        return dict(self.pause.create_input(self.db, run_id, key, value, sender, replace))

    def read(self, run_id: str, key: str) -> dict[str, Any] | None:
        return self.pause.read_input(self.db, run_id, key)

    def delete(self, run_id: str, key: str) -> bool:
        return bool(self.pause.delete_input(self.db, run_id, key))

    def filter(self, run_id: str, prefix: str, limit: int, exclude: Iterable[str]) -> list[Any]:
        return list(self.pause.filter_inputs(self.db, run_id, prefix, limit, exclude))

    def resume(self, run_id: str, run_input: dict[str, Any] | None) -> dict[str, Any]:
        return dict(self.pause.resume_flow_run(self.db, run_id, run_input))


class _Remote:
    """The server, through `cadenza.client.pause_routes`; its refusals as the store's errors,
    its times (ISO 8601) as epoch seconds, as the embedded record gives them."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def resolve(self, ref: str) -> str:
        return str(self._call(self.client.get_flow_run, ref)["id"])

    def run(self, run_id: str) -> dict[str, Any]:
        return dict(self._call(self.client.get_flow_run, run_id))

    def create(self, run_id: str, key: str, value: Any, sender: str | None = None,
               replace: bool = False) -> dict[str, Any]:  # fmt: skip
        if replace:
            self.delete(run_id, key)
        return dict(
            epoch_times(self._call(self.client.create_flow_run_input, run_id, key, value, sender))
        )

    def read(self, run_id: str, key: str) -> dict[str, Any] | None:
        # lazily: httpx loads with the client
        from cadenza.client.errors import NotFound

        try:
            return dict(epoch_times(self.client.read_flow_run_input(run_id, key)))
        except NotFound:
            return None

    def delete(self, run_id: str, key: str) -> bool:
        from cadenza.client.errors import NotFound  # lazily: as above

        try:
            self.client.delete_flow_run_input(run_id, key)
        except NotFound:
            return False
        return True

    def filter(self, run_id: str, prefix: str, limit: int, exclude: Iterable[str]) -> list[Any]:
        return list(
            epoch_times(
                self._call(self.client.filter_flow_run_input, run_id, prefix, limit, exclude)
            )
        )

    def resume(self, run_id: str, run_input: dict[str, Any] | None) -> dict[str, Any]:
        return dict(self._call(self.client.resume_flow_run, run_id, run_input))

    @staticmethod
    def _call(method: Any, *args: Any) -> Any:
        from cadenza.client.errors import ApiError, NotFound  # lazily: as above

        try:
            return method(*args)
        except NotFound as exc:
            raise ObjectNotFound(exc.detail) from None
        except ApiError as exc:
            if exc.status == 409:
                where = [tuple(e.get("loc") or ()) for e in exc.errors]
                if ("pause_timeout",) in where:
                    raise FlowPauseTimeout(exc.detail) from None
                if ("state",) in where:
                    raise NotPausedError(exc.detail) from None
                raise ObjectAlreadyExists(exc.detail) from None
            if exc.status == 422 and exc.errors:
                problems = [(_field(e.get("loc") or ()), str(e.get("msg"))) for e in exc.errors]
                raise InvalidRunInput(problems) from None
            raise


def _field(loc: Iterable[Any]) -> tuple[str | int, ...]:
    """A server error's location without its ``body.run_input`` / ``body.value`` prefix."""
    parts = tuple(loc)
    if parts[:2] in (("body", "run_input"), ("body", "value")):
        return parts[2:]
    return parts


@contextlib.contextmanager
def open_record() -> Iterator[_Local | _Remote]:
    """The record this process uses (see the module docstring)."""
    if spec.get("CADENZA_API_URL"):
        # lazily: httpx loads only when a server is configured
        from cadenza.client.http import client_from_settings

        client = client_from_settings()
        try:
            yield _Remote(client)
        finally:
            client.close()
        return
    yield _Local(_database())


def _database() -> Any:
    """The embedded record, opened with SQLAlchemy once per process (and URL)."""
    # lazily: SQLAlchemy loads only when the embedded record's inputs are used
    from cadenza.store.sql import SqlDatabase
    from cadenza.store.urls import default_database_url, prepare

    url = default_database_url()
    with _lock:
        db = _databases.get(url)
        if db is None:
            prepare(url)
            db = _databases[url] = SqlDatabase(url)
        return db


__all__ = ["open_record"]
