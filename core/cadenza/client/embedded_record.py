"""`EmbeddedRecord`: what the client of `cadenza.client.orchestration` reads and writes when no
server is configured — the SQLite record under ``CADENZA_HOME``, as Prefect's client works
against its temporary server.

It answers the same plain dicts as `HttpRecord` (the server's answers), from the very functions
the server's routes call: `cadenza.store.filtered_reads` for runs, logs and artifacts,
`SqlDatabase.set_state` for transitions, `cadenza.store.deployments` for deployments.
Variables and saved blocks are read through the modules the composition root hands over
(`cadenza.client.slots`). Importing this module imports SQLAlchemy.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, TypeVar

from cadenza.client import slots
from cadenza.exceptions import ObjectNotFound
from cadenza.store import deployments, filtered_reads, run_deletion, work_pools
from cadenza.store.local import LocalRecord, local
from cadenza.store.sql import SqlDatabase
from cadenza.store.tables import artifacts
from cadenza.store.urls import default_database_url, prepare

T = TypeVar("T")


class _Reads(LocalRecord):
    """One sqlite3 connection of this process for the filtered reads."""

    def run(self, read: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with self._lock:
            return read(self._connection(), *args, **kwargs)


def _module(name: str) -> Any:
    fill = slots.embedded_module
    if fill is None:  # pragma: no cover - `import cadenza` fills it before any client exists
        raise RuntimeError("cadenza.client.slots.embedded_module is not filled; import cadenza")
    return fill(name)


class EmbeddedRecord:
    """The embedded record (``$CADENZA_HOME/cadenza.db``)."""

    where = "the embedded record"

    def __init__(self) -> None:
        url = default_database_url()
        prepare(url)
        self.db = SqlDatabase(url)
        self.dialect = self.db.engine.dialect.name
        self.reads = local(_Reads)

    def close(self) -> None:
        self.db.close()

    # -- runs and logs --------------------------------------------------------------------------
    def read_flow_runs(self, body: dict[str, Any], **page: Any) -> list[dict[str, Any]]:
        return self.reads.run(filtered_reads.read_flow_runs, body, **page)

    def count_flow_runs(self, body: dict[str, Any]) -> int:
        return self.reads.run(filtered_reads.count_flow_runs, body)

    def read_task_runs(self, body: dict[str, Any], **page: Any) -> list[dict[str, Any]]:
        return self.reads.run(filtered_reads.read_task_runs, body, **page)

    def read_logs(self, log_filter: Any, **page: Any) -> list[dict[str, Any]]:
        return self.reads.run(filtered_reads.read_logs, log_filter, **page)

    def set_state(
        self, kind: str, run_id: str, state: dict[str, Any], force: bool
    ) -> dict[str, Any]:
        """Propose `state` (a request's ``state``) for the run; the decision as the API says it."""
        details = state.get("details") or {}
        proposal = SimpleNamespace(
            **{**state, "details": SimpleNamespace(model_dump=lambda exclude_none=False: details)}
        )
        decision = self.db.set_state(kind, run_id, str(uuid.uuid4()), None, proposal, force)
        return {"decision": decision.kind.value, "reason": decision.reason,
                "delay": decision.delay}  # fmt: skip

    def delete_flow_run(self, run_id: str) -> bool:
        report = run_deletion.delete_flow_runs(self.db, [run_id], force=True)
        return run_id not in report.missing

    # -- deployments and work pools -------------------------------------------------------------
    def read_deployment(self, ref: str) -> dict[str, Any]:
        with self.db.read() as conn:
            return deployments.read_deployment(conn, ref)

    def create_flow_run_from_deployment(self, deployment_id: str, **body: Any) -> dict[str, Any]:
        with self.db.write() as conn:
            deployment = deployments.read_deployment(conn, deployment_id)
            run, _ = deployments.create_flow_run(conn, deployment, dialect=self.dialect, **body)
            return run

    def read_work_pool(self, name: str) -> dict[str, Any]:
        with self.db.read() as conn:
            return work_pools.read_pool(conn, name)

    # -- variables ------------------------------------------------------------------------------
    def _variables(self) -> Any:
        module = _module("variables")
        return module, local(module.VariableStore)

    def read_variable(self, name: str) -> dict[str, Any] | None:
        module, store = self._variables()
        found = store.get(module.validate_name(name))
        return None if found is None else vars(found)

    def read_variables(self, limit: int | None) -> list[dict[str, Any]]:
        store = self._variables()[1]
        rows = [vars(v) for v in store.list()]
        return rows if limit is None else rows[:limit]

    def set_variable(
        self, name: str, value: Any, tags: list[str] | None, overwrite: bool
    ) -> dict[str, Any]:
        module, store = self._variables()
        module.validate_name(name)
        module.encode_value(name, value)
        made: dict[str, Any] = vars(store.set(name, value, module.validate_tags(tags), overwrite))
        return made

    def delete_variable(self, name: str) -> bool:
        module, store = self._variables()
        return bool(store.unset(module.validate_name(name)))

    # -- blocks and artifacts -------------------------------------------------------------------
    def read_block(self, type_slug: str, name: str, include_secrets: bool) -> dict[str, Any]:
        rows = self.reads.run(
            lambda conn: conn.execute(
                "SELECT id, type_slug, name, data, created, updated FROM blocks "
                "WHERE type_slug = ? AND name = ?", (type_slug, name),
            ).fetchall()
        )  # fmt: skip
        if not rows:
            raise ObjectNotFound(f"No block '{type_slug}/{name}' is saved in {self.where}")
        block_id, slug, short, data, created, updated = rows[0]
        sealing = _module("block_sealing")
        stored = json.loads(data)
        open_data = sealing.unseal(stored, f"block '{slug}/{short}'") if include_secrets else (
            sealing.mask(stored))  # fmt: skip
        return {"id": block_id, "type_slug": slug, "name": short, "data": open_data,
                "created": created, "updated": updated}  # fmt: skip

    def create_artifact(self, row: dict[str, Any]) -> dict[str, Any]:
        with self.db.write() as conn:
            conn.execute(artifacts.insert().values({**row, "data": json.dumps(row["data"])}))
        return row

    def read_artifacts(self, artifact_filter: Any, **page: Any) -> list[dict[str, Any]]:
        return self.reads.run(filtered_reads.read_artifacts, artifact_filter, **page)


__all__ = ["EmbeddedRecord"]
