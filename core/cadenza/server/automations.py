"""The automation service: a server loop that reads the event stream, evaluates the enabled
automations' triggers, and hands what fired to the actions (`cadenza.server.actions`).

Every `CADENZA_SERVER_AUTOMATIONS_INTERVAL` seconds a round

1. notes the workers whose lease ran out (``cadenza.worker.offline``, once per lease);
2. reads the stream once from the oldest position any enabled automation still needs — only the
   event names some trigger looks at — (`cadenza.store.event_stream`);
3. for each automation with new events, or a Proactive window that ran out, locks its row,
   evaluates (`cadenza.server.triggers`) against the evaluation saved in it, records each firing
   as a ``cadenza.automation.triggered`` event whose id is derived from what fired, saves the
   evaluation, and commits; then submits the actions of the firings it recorded.

Safe in several server processes on one PostgreSQL: an automation's evaluation runs under its
row lock (``FOR UPDATE SKIP LOCKED``: a process finding it locked leaves it for its next round),
its saved evaluation says which events it has seen, and a firing recorded twice is one row — the
process whose insert went in runs the actions. On PostgreSQL rows may commit out of id order,
so an automation's cursor trails the stream's head by `GRACE` seconds and remembers the events
it evaluated above it.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from typing import Any

import sqlalchemy as sa

from cadenza.automations.matching import sql_prefixes
from cadenza.automations.schemas import AutomationCore, CompoundTrigger, EventTrigger
from cadenza.server.actions import ActionRunner
from cadenza.server.service import ServiceLoop
from cadenza.server.triggers import Firing, Seen, due, evaluate, parts, watches
from cadenza.store import automations as store_automations
from cadenza.store import event_stream
from cadenza.store import events as record_events
from cadenza.store.event_stream import Cursor, EventFilter, StreamEvent
from cadenza.store.sql import DatabaseBusy, SqlDatabase
from cadenza.store.tables import workers

logger = logging.getLogger("cadenza.server")

Trigger = EventTrigger | CompoundTrigger

GRACE = 10.0
"""Seconds (PostgreSQL) within which a row may still commit below the highest id read."""
PAGE = 1_000
MAX_PAGES = 20  # per round; a stream further behind is read on in the next rounds
PERSIST_EVERY = 30.0  # seconds between saves of a cursor that only moved past other events
OFFLINE_LOOKBACK = 3600.0


class AutomationService(ServiceLoop):
    def __init__(self, db: SqlDatabase, interval: float) -> None:
        self.db = db
        self.grace = GRACE if db.engine.dialect.name == "postgresql" else 0.0
        self.actions = ActionRunner(db)
        self._heads: deque[tuple[float, Cursor]] = deque()
        self._seen_until: dict[str, Cursor] = {}  # how far this process looked, per automation
        self._saved_at: dict[str, float] = {}
        self._done: dict[str, set[tuple[str, int]]] = {}  # evaluated above the cursor
        self._triggers: dict[str, tuple[str, Trigger, list[Any]]] = {}
        self._offline_since = time.time() - OFFLINE_LOOKBACK
        super().__init__("automation service", interval, self.run_round)

    def stop(self) -> None:
        super().stop()
        self.actions.shutdown()

    # -- a round -----------------------------------------------------------------------------------
    def run_round(self) -> None:
        now = time.time()
        self._workers_offline(now)
        with self.db.read() as conn:
            automations = store_automations.enabled_automations(conn)
            top = event_stream.head(conn)
        if not automations:
            return
        settled = self._settled(now, top)
        parsed = [(a, *self._parse(a)) for a in automations]
        wanted = [a for a, trigger, _ in parsed if trigger is not None]
        if not wanted:
            return
        start = Cursor(*(min(c) for c in zip(*[self._position(a) for a in wanted], strict=True)))
        items, reached = self._read(start, top, [t for _, t, _ in parsed if t is not None])
        looked = Cursor(min(reached.state, settled.state), min(reached.event, settled.event))
        for automation, trigger, actions in parsed:
            if self.stopping:
                return  # the rest keep their cursors: evaluated by the next round to run
            if trigger is None:
                continue
            try:
                self._consider(automation, trigger, actions, items, looked, reached, now)
            except DatabaseBusy:
                raise  # the next round tries again
            except Exception:  # one automation's trouble must not stop the others
                logger.exception("Evaluating automation %r failed", automation["name"])

    def _consider(self, automation: dict[str, Any], trigger: Trigger, actions: list[Any],
                  items: list[StreamEvent], looked: Cursor, reached: Cursor,
                  now: float) -> None:  # fmt: skip
        """Evaluate one automation if it has new events, a window ran out, or its saved cursor
        is long behind what this process has looked at."""
        aid = automation["id"]
        mine = self._position(automation)
        done = self._done.setdefault(aid, set())
        new = [
            i for i in items
            if _after(i, mine) and (i.source, i.position) not in done
            and watches(trigger, i.event)
        ]  # fmt: skip
        stale = now - self._saved_at.get(aid, 0.0) > PERSIST_EVERY and mine != reached
        if new or due(trigger, automation["evaluation"], now) or stale:
            if not self._evaluate(automation, trigger, actions, new, looked, now):
                return  # another process has it: look again next round
            done.update((i.source, i.position) for i in new)
        ahead = Cursor(max(mine.state, looked.state), max(mine.event, looked.event))
        self._seen_until[aid] = ahead
        done.difference_update([p for p in done if not _after(StreamEvent(*p, {}), ahead)])

    def _parse(self, automation: dict[str, Any]) -> tuple[Trigger | None, list[Any]]:
        """The automation's trigger and actions as models (cached while unchanged); (None, [])
        for one that no longer validates (it is skipped, and said so once)."""
        key = repr((automation["trigger"], automation["actions"]))
        cached = self._triggers.get(automation["id"])
        if cached is None or cached[0] != key:
            try:
                core = AutomationCore.model_validate(
                    {
                        "name": "-",
                        "trigger": automation["trigger"],
                        "actions": automation["actions"],
                    }
                )
                cached = (key, core.trigger, list(core.actions))
            except ValueError as exc:
                logger.error("Automation %r is skipped: %s", automation["name"], exc)
                cached = (key, None, [])  # type: ignore[assignment]  # None marks it invalid
            self._triggers[automation["id"]] = cached  # type: ignore[assignment]  # the cache holds None for an invalid one
        return cached[1], cached[2]

    def _position(self, automation: dict[str, Any]) -> Cursor:
        saved = Cursor(*automation["evaluation"].get("cursor", (0, 0)))
        ahead = self._seen_until.get(automation["id"])
        return saved if ahead is None else Cursor(max(saved[0], ahead[0]), max(saved[1], ahead[1]))

    def _settled(self, now: float, top: Cursor) -> Cursor:
        """The head as it was `grace` seconds ago: every row at or below it has committed
        (the zero cursor until this process has watched that long)."""
        if not self.grace:
            return top
        self._heads.append((now, top))
        settled = Cursor()
        while self._heads and self._heads[0][0] <= now - self.grace:
            settled = self._heads.popleft()[1]
        if settled != Cursor():
            self._heads.appendleft((now - self.grace, settled))
        return settled

    def _read(self, start: Cursor, top: Cursor,
              triggers: list[Trigger]) -> tuple[list[StreamEvent], Cursor]:  # fmt: skip
        flat = [part for t in triggers for part in parts(t)]
        patterns = [p for t in flat for p in (*t.expect, *t.after)]
        prefixes = None if any(not t.expect for t in flat) else sql_prefixes(patterns)
        where = EventFilter(prefixes=prefixes or ())
        items: list[StreamEvent] = []
        cursor = start
        with self.db.read() as conn:
            for _ in range(MAX_PAGES):
                page, after = event_stream.read(conn, where, PAGE, after=cursor, upto=top)
                items.extend(page)
                if after in (cursor, top):
                    cursor = after
                    break
                cursor = after
        return items, cursor

    def _evaluate(self, automation: dict[str, Any], trigger: Trigger, actions: list[Any],
                  items: list[StreamEvent], settled: Cursor, now: float) -> bool:  # fmt: skip
        """Evaluate under the row lock; False if another process holds it (or it changed)."""
        recorded: list[Firing] = []
        with self.db.write() as conn:
            row = store_automations.lock(conn, automation["id"])
            if row is None or row["trigger"] != automation["trigger"]:
                return False  # deleted, disabled, replaced, or being evaluated elsewhere
            evaluation = row["evaluation"]
            seen = Seen(evaluation)
            new = [i for i in items if seen.is_new(i)]
            fired = evaluate(trigger, evaluation, new, now)
            seen.add(new)
            seen.advance(settled)
            for firing in fired:
                if self._record(conn, row, firing):
                    recorded.append(firing)
            store_automations.save_evaluation(conn, row["id"], evaluation)
        self._saved_at[automation["id"]] = now
        for firing in recorded:
            logger.info("Automation %r fired: %s", row["name"], firing.reason)
            self.actions.submit(row, firing, actions)
        return True

    @staticmethod
    def _record(conn: sa.Connection, automation: dict[str, Any], firing: Firing) -> bool:
        """``cadenza.automation.triggered``; False if this firing was recorded before."""
        labels = record_events.resource("automation", automation["id"], automation["name"])
        related = []
        payload: dict[str, Any] = {"reason": firing.reason}
        if firing.event is not None:
            related.append({**firing.event["resource"],
                            record_events.ROLE: "triggering-resource"})  # fmt: skip
            payload["triggering_event"] = {k: firing.event[k] for k in ("id", "event", "occurred")}
        return record_events.emit(conn, "cadenza.automation.triggered", labels, related, payload,
                                  event_id=firing.event_id(automation["id"]))  # fmt: skip

    # -- workers -----------------------------------------------------------------------------------
    def _workers_offline(self, now: float) -> None:
        """``cadenza.worker.offline`` for each worker whose lease ran out since the last look."""
        query = sa.select(workers).where(
            workers.c.lease_expires > self._offline_since, workers.c.lease_expires <= now
        )
        with self.db.read() as conn:
            lapsed = [dict(r._mapping) for r in conn.execute(query)]
        if lapsed:
            with self.db.write() as conn:
                for worker in lapsed:
                    record_events.worker_offline(conn, worker)
        self._offline_since = now - self.interval  # a lease renewed late is not missed


def _after(item: StreamEvent, cursor: Cursor) -> bool:
    return item.position > (cursor.state if item.source == "state" else cursor.event)


__all__ = ["GRACE", "AutomationService"]
