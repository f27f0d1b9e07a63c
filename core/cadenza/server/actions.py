"""Carrying out an automation's actions when it fires, and recording each outcome as an event.

Each action of a firing is one job of a small thread pool: a slow webhook never delays the
evaluator or another action. A job tries its action up to `ATTEMPTS` times, waiting longer
after each failure; a failure that retrying cannot mend (`ActionFailed`: no such deployment,
the event is not about a flow run) is not retried. The outcome is an event —
``cadenza.automation.action.executed`` or ``cadenza.automation.action.failed`` with the reason —
whose id is made from the firing and the action's index, so it is recorded once.

Text of notifications and webhook payloads may hold placeholders, ``{{ event.event }}``,
``{{ flow_run.name }}``, ``{{ event.resource["cadenza.resource.name"] }}``: a dotted path (or
``["key"]``) into ``automation``, ``event``, ``reason``, ``flow_run`` and ``deployment``. They
are looked up, never evaluated; one that names nothing renders as nothing.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import sqlalchemy as sa

from cadenza import masking
from cadenza.automations.schemas import (
    ActionTypes,
    CallWebhook,
    CancelFlowRun,
    DeleteFlowRun,
    DoNothing,
    PauseAutomation,
    PauseDeployment,
    PauseWorkPool,
    ResumeAutomation,
    ResumeDeployment,
    ResumeWorkPool,
    RunDeployment,
    SendNotification,
)
from cadenza.blocks.exceptions import BlockError
from cadenza.blocks.registry import get_block_type
from cadenza.blocks.sealing import unseal
from cadenza.blocks.store import BlockRow
from cadenza.server.triggers import Firing
from cadenza.store import automations as store_automations
from cadenza.store import deployments as store_deployments
from cadenza.store import events as record_events
from cadenza.store import run_control
from cadenza.store import work_pools as store_pools
from cadenza.store.run_deletion import delete_flow_runs
from cadenza.store.sql import SqlDatabase
from cadenza.store.tables import blocks

logger = logging.getLogger("cadenza.server")

ATTEMPTS = 3
BACKOFF = 1.0  # seconds before the second attempt; doubled for each one after
MAX_REASON = 2_000


class ActionFailed(Exception):
    """The action cannot succeed as asked (retrying would not help)."""


class ActionRunner:
    """The pool that runs actions (`submit`), and records their outcomes."""

    def __init__(self, db: SqlDatabase, workers: int = 4, backoff: float = BACKOFF) -> None:
        self.db = db
        self.backoff = backoff
        self._stopping = threading.Event()
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="cadenza-action")

    def submit(self, automation: dict[str, Any], firing: Firing, actions: list[Any]) -> None:
        for index, action in enumerate(actions):
            self._pool.submit(self._run, automation, firing, index, action)

    def shutdown(self) -> None:
        self._stopping.set()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _run(self, automation: dict[str, Any], firing: Firing, index: int, action: Any) -> None:
        reason, attempts = "", 0
        while attempts < ATTEMPTS:
            attempts += 1
            try:
                result = execute(self.db, automation, firing, action)
            except ActionFailed as exc:
                reason = str(exc)
                break
            except Exception as exc:  # retried: a database busy, a server that answered 503
                reason = f"{type(exc).__name__}: {exc}"
                if attempts < ATTEMPTS and not self._stopping.wait(
                    self.backoff * 2 ** (attempts - 1)
                ):
                    continue
                break
            else:
                self._record(automation, firing, index, action, "executed", attempts, result)
                return
        reason = masking.mask(reason)  # the secrets of the blocks loaded in this process
        logger.warning(
            "Automation %r: action %d (%s) failed after %d attempt(s): %s",
            automation["name"], index, action.type, attempts, reason,
        )  # fmt: skip
        self._record(automation, firing, index, action, "failed", attempts, reason)

    def _record(self, automation: dict[str, Any], firing: Firing, index: int, action: Any,
                outcome: str, attempts: int, detail: Any) -> None:  # fmt: skip
        invocation = firing.event_id(automation["id"])
        payload: dict[str, Any] = {"action_index": index, "action_type": action.type,
                                   "invocation": invocation, "attempts": attempts}  # fmt: skip
        if outcome == "failed":
            payload["reason"] = str(detail)[:MAX_REASON]
        elif detail:
            payload["result"] = detail
        related = [record_events.related("event", invocation, None, role="automation-triggered")]
        if firing.event is not None:
            resource = firing.event["resource"]
            related.append({**resource, record_events.ROLE: "triggering-resource"})
        labels = record_events.resource("automation", automation["id"], automation["name"])
        try:
            with self.db.write() as conn:
                record_events.emit(
                    conn, f"cadenza.automation.action.{outcome}", labels, related, payload,
                    event_id=f"{invocation}.action.{index}.{outcome}",
                )  # fmt: skip
        except Exception:
            logger.exception("Could not record the outcome of automation %r", automation["name"])


# -- the actions -------------------------------------------------------------------------------


def execute(
    db: SqlDatabase, automation: dict[str, Any], firing: Firing, action: ActionTypes
) -> Any:
    """Carry out one action; what it returns goes into the outcome event."""
    if isinstance(action, DoNothing):
        return None
    if isinstance(action, CancelFlowRun):
        run_id = _inferred(firing, "flow-run")
        why = f"automation {automation['name']!r} fired ({firing.reason})"
        try:
            answer = run_control.cancel_flow_run(db, run_id, why)
        except LookupError as exc:
            raise ActionFailed(str(exc)) from None
        return {"flow_run_id": run_id, "state": answer["state"]["type"]}
    if isinstance(action, DeleteFlowRun):
        run_id = _inferred(firing, "flow-run")
        deletion = delete_flow_runs(db, [run_id])
        if deletion.missing:
            raise ActionFailed(f"no flow run with id {run_id!r} is recorded")
        if deletion.skipped:
            raise ActionFailed(
                f"flow run {run_id!r} is not deleted: {deletion.skipped[0]['reason']}"
            )
        return {"flow_run_id": run_id}
    if isinstance(action, (PauseDeployment, ResumeDeployment)):
        deployment_id = action.deployment_id or _inferred(firing, "deployment")
        with db.write() as conn:
            found = _deployment(conn, deployment_id)
            store_deployments.set_paused(conn, found["id"], isinstance(action, PauseDeployment))
        return {"deployment_id": found["id"]}
    if isinstance(action, RunDeployment):
        return _run_deployment(db, automation, firing, action)
    if isinstance(action, (PauseAutomation, ResumeAutomation)):
        automation_id = action.automation_id or _inferred(firing, "automation")
        enabled = isinstance(action, ResumeAutomation)
        with db.write() as conn:
            try:
                store_automations.set_enabled(conn, automation_id, enabled)
            except LookupError as exc:
                raise ActionFailed(str(exc)) from None
        return {"automation_id": automation_id, "enabled": enabled}
    if isinstance(action, (PauseWorkPool, ResumeWorkPool)):
        pool = action.work_pool_id or _inferred(firing, "work-pool")
        with db.write() as conn:
            try:
                store_pools.set_pool_paused(conn, pool, isinstance(action, PauseWorkPool))
            except LookupError as exc:
                raise ActionFailed(str(exc)) from None
        return {"work_pool": pool}
    if isinstance(action, (SendNotification, CallWebhook)):
        return _notify(db, automation, firing, action)
    raise ActionFailed(f"unknown action {action!r}")


def _inferred(firing: Firing, kind: str) -> str:
    """The id of the `kind` resource the firing's event is about, or is related to."""
    event = firing.event
    prefix = f"cadenza.{kind}."
    if event is not None:
        for labels in [event["resource"], *event["related"]]:
            ident = labels.get(record_events.ID, "")
            if ident.startswith(prefix) and labels.get(record_events.ROLE, kind) == kind:
                return str(ident[len(prefix) :])
    raise ActionFailed(f"the triggering event is not about a {kind}, so none can be inferred")


def _deployment(conn: sa.Connection, ref: str) -> dict[str, Any]:
    try:
        return store_deployments.read_deployment(conn, ref)
    except LookupError as exc:
        raise ActionFailed(str(exc)) from None


def _run_deployment(db: SqlDatabase, automation: dict[str, Any], firing: Firing,
                    action: RunDeployment) -> dict[str, Any]:  # fmt: skip
    deployment_id = action.deployment_id or _inferred(firing, "deployment")
    with db.write() as conn:
        deployment = _deployment(conn, deployment_id)
        try:
            run, _created = store_deployments.create_flow_run(
                conn, deployment, dialect=conn.dialect.name, parameters=action.parameters,
                job_variables=action.job_variables, tags=["automation"],
                idempotency_key=f"{firing.event_id(automation['id'])}.{deployment['id']}",
            )  # fmt: skip
        except ValueError as exc:
            raise ActionFailed(str(exc)) from None
    return {"flow_run_id": run["id"], "deployment_id": deployment["id"]}


def load_block(db: SqlDatabase, block_id: str) -> Any:
    """The saved block with this id, as its type (secrets decrypted with the server's key)."""
    with db.read() as conn:
        row = conn.execute(sa.select(blocks).where(blocks.c.id == block_id)).first()
    if row is None:
        raise ActionFailed(f"no block with id {block_id!r} is saved on this server")
    what = f"block '{row.type_slug}/{row.name}'"
    try:  # a lost key, an unknown type, a schema that changed: retrying will not help
        data = unseal(json.loads(row.data), what)
        cls = get_block_type(row.type_slug)
        saved = BlockRow(row.id, row.type_slug, row.name, data, row.schema_checksum,
                         row.created, row.updated)  # fmt: skip
        return cls._from_row(saved)  # the project's own loader of a stored block
    except (BlockError, LookupError) as exc:
        raise ActionFailed(str(exc)) from None


def _notify(db: SqlDatabase, automation: dict[str, Any], firing: Firing,
            action: SendNotification | CallWebhook) -> dict[str, Any]:  # fmt: skip
    block = load_block(db, action.block_document_id)
    context = _context(db, automation, firing)
    if isinstance(action, SendNotification):
        if not callable(getattr(block, "notify", None)):
            raise ActionFailed(f"block {action.block_document_id!r} cannot send notifications")
        block.notify(render(action.body, context), subject=render(action.subject, context))
    else:
        text = render(action.payload, context)
        if callable(getattr(block, "call", None)):
            try:
                payload: Any = json.loads(text) if text.strip() else None
            except ValueError:
                payload = text
            block.call(payload)
        elif callable(getattr(block, "notify", None)):
            block.notify(text)
        else:
            raise ActionFailed(f"block {action.block_document_id!r} is not a webhook")
    return {"block_document_id": action.block_document_id}


def _context(db: SqlDatabase, automation: dict[str, Any], firing: Firing) -> dict[str, Any]:
    context: dict[str, Any] = {
        "automation": {k: automation.get(k) for k in ("id", "name", "description")},
        "event": firing.event or {}, "reason": firing.reason, "now": time.time(),
    }  # fmt: skip
    with db.read() as conn:
        for kind, key, read in (
            ("flow-run", "flow_run", store_deployments.flow_run_summary),
            ("deployment", "deployment", store_deployments.read_deployment),
        ):
            try:
                context[key] = read(conn, _inferred(firing, kind))
            except (ActionFailed, LookupError):
                context[key] = {}
    return context


_PLACEHOLDER = re.compile(
    r"\{\{\s*([A-Za-z_]\w*(?:\.\w+|\[\s*(?:\"[^\"]*\"|'[^']*')\s*\])*)\s*\}\}"
)
_STEP = re.compile(r"\.(\w+)|\[\s*(?:\"([^\"]*)\"|'([^']*)')\s*\]")


def render(template: str, context: dict[str, Any]) -> str:
    """`template` with each ``{{ path }}`` replaced by what it names in `context`."""

    def value(match: re.Match[str]) -> str:
        path = match.group(1)
        head = re.match(r"[A-Za-z_]\w*", path)
        assert head is not None  # the placeholder pattern starts with a name
        current: Any = context.get(head.group())
        for step in _STEP.finditer(path, head.end()):
            key = next(g for g in step.groups() if g is not None)
            current = current.get(key) if isinstance(current, dict) else None
        if current is None:
            return ""
        return current if isinstance(current, str) else json.dumps(current, default=str)

    return _PLACEHOLDER.sub(value, template)


__all__ = ["ATTEMPTS", "ActionFailed", "ActionRunner", "execute", "load_block", "render"]
