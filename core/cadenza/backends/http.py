"""The HTTP backend: record runs on a coordination server (`CADENZA_API_URL`; the API is
docs/reference/http-api.md).

- Flow runs are created and their transitions proposed synchronously: the server's decision is
  the answer (`POST /api/flow_runs`, `POST /api/flow_runs/{id}/set_state`).
- Task runs are decided here with the policy, as the embedded backend does (`Recorder`); their
  rows, transitions and the log lines go to the server as ONE `POST /api/batch` per batch window
  (`CADENZA_FLUSH_INTERVAL`) from a background thread. `flush()` sends now.
- When the server cannot be reached (after the client's retries), requests go in order to this
  process's journal in ``$CADENZA_HOME/spool/`` (see `cadenza.client.spool`), flow-run proposals
  are decided here with the policy so the run goes on, and one warning is logged. The journal is
  replayed in order when the server answers again, or by the next process if this one exits
  first; the server applies a repeated transition id once.
- The request bodies and their order are `cadenza.backends.wire`'s.
- Cache entries and artifacts travel in the same batches (and journal); `read_cache` asks the
  server (`GET /api/cache_entries`) for a key this process has not written itself, and counts
  an unreachable server as a miss.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from cadenza.backends import wire
from cadenza.backends.recording import Recorder, pop_all, take_runs
from cadenza.client.http import (
    ApiClient,
    ApiError,
    ServerUnavailable,
    client_from_settings,
)
from cadenza.client.spool import Spool, server_tag
from cadenza.exceptions import ServerIncompatible
from cadenza.orchestration import CORE_POLICY, Decision, DecisionKind
from cadenza.states import TERMINAL_STATES, StateType

if TYPE_CHECKING:
    from cadenza.backends.base import Run
    from cadenza.runs import FlowRun
    from cadenza.states import State

logger = logging.getLogger("cadenza.client")

#: Seconds the client keeps retrying a request before the server counts as unreachable.
DEFAULT_RETRY_TIME = 10.0
#: While unreachable: first and longest pause between attempts to reach the server again.
PROBE_MIN, PROBE_MAX = 0.25, 5.0

_ACCEPT = DecisionKind.ACCEPT
_ACCEPTED = Decision(DecisionKind.ACCEPT, "accepted")
_ALREADY_APPLIED = Decision(DecisionKind.ACCEPT, "transition already applied")


class HttpBackend(Recorder):
    """Records runs on a server; see the module docstring."""

    def __init__(
        self,
        client: ApiClient | None = None,
        flush_interval: float = 0.05,
        policy=CORE_POLICY,
        spool: Spool | None = None,
    ) -> None:
        super().__init__(policy)
        self.client = (
            client if client is not None else client_from_settings(retry_time=DEFAULT_RETRY_TIME)
        )
        self.flush_interval = flush_interval
        self.spool = spool if spool is not None else Spool()
        # journals are replayed only to the server they were written for
        self.spool.tag = server_tag(self.client.url)
        self._send_lock = threading.RLock()
        # (run id, timestamp, state type) -> (run_count, result_ref) of accepted task-run
        # transitions, which the recorder's rows do not carry; taken with the rows.
        self._extra: dict[tuple[str, float, str], tuple[int, str | None]] = {}
        self._created: set[str] = set()  # flow runs the server knows (or the spool holds)
        self._down = False
        self._version_checked = False
        self._next_probe = 0.0
        self._probe_pause = PROBE_MIN
        self._closed = False
        self._wake = threading.Event()
        try:
            self.client.check_version()
            self._version_checked = True
        except ServerUnavailable as exc:
            self._go_down(exc)
        else:
            self._replay_orphans()
        self._sender = threading.Thread(target=self._send_loop, name="cadenza-sender", daemon=True)
        self._sender.start()
        atexit.register(self.close)

    # -- flow runs: synchronous -----------------------------------------------------------------
    def create_flow_run(self, run: FlowRun) -> None:
        self._created.add(run.id)
        self._sync({"op": "flow_run", "body": wire.flow_run_body(run)})

    def propose(self, run: Run, state: State, transition_id: str | None = None) -> Decision:
        if run.kind != "flow":
            decision = Recorder.propose(self, run, state, transition_id)
            if run.state is state:
                self._extra[(run.id, state.ts, state.type._value_)] = (
                    run.run_count,
                    state.result_ref,
                )
            return decision
        explicit = transition_id is not None
        if not explicit:
            run.proposals += 1
            transition_id = f"{run.id}:{run.proposals}"
        elif run.applied is not None and transition_id in run.applied:
            return _ALREADY_APPLIED
        details = tuple.__getitem__(state, 4)
        body = {
            "transition_id": transition_id,
            "run_count": run.run_count,
            "state": wire.state_body(
                state.type.value,
                state.name,
                state.message,
                state.ts,
                wire.details(details),
                state.result_ref,
            ),
        }
        entry = {"op": "set_state", "run_id": run.id, "body": body}
        answer = self._sync(entry, local=lambda: self._decide_locally(run, state))
        if isinstance(answer, Decision):  # decided here during an outage
            decision = answer
        else:
            kind = DecisionKind(answer.get("decision", "ABORT"))
            decision = Decision(kind, answer.get("reason") or "", float(answer.get("delay") or 0))
        if decision.kind is _ACCEPT:
            if explicit:
                if run.applied is None:
                    run.applied = set()
                run.applied.add(transition_id)
            _apply(run, state)
        return decision

    def _decide_locally(self, run: Run, state: State) -> Decision:
        current = run.state
        if self._rules[(current.type if current is not None else None, state.type)]:
            return self.policy.decide(run, current, state)
        return _ACCEPTED

    def _sync(self, entry: dict, local=None) -> Any:
        """Send `entry` now, after everything queued before it; during an outage journal it
        (with what was queued) and return `local()`'s decision instead."""
        with self._send_lock:
            if self._down:
                self._try_recover()
            if not self._down:
                try:
                    self._send_queued()
                    return self._send(entry)
                except ServerUnavailable as exc:
                    self._go_down(exc)
            self._spool_queued()
            decision = local() if local is not None else None
            if decision is None or decision.kind is _ACCEPT:
                self.spool.append([entry])
            return decision

    # -- task runs and logs: batched ------------------------------------------------------------
    def read_cache(self, key: str) -> tuple[str, float | None] | None:
        entry = self._cache_written.get(key)
        if entry is not None or self._down:
            return entry
        try:
            found = self.client.get_cache_entry(key)
        except (ServerUnavailable, ApiError):  # NotFound, or unreachable: a miss
            return None
        return found["result_ref"], found.get("expiration")

    def ingest(
        self,
        runs: list,
        states: list[tuple],
        logs: list[tuple],
        cache: list[tuple] = (),  # type: ignore[assignment]
        artifacts: list[dict] = (),  # type: ignore[assignment]
    ) -> None:
        """Queue what a capture backend recorded (task runs run in another process)."""
        by_id = {run.id: run for run in runs}
        for row in states:
            run = by_id.get(row[1])
            if run is not None:
                ref = run.result_ref if StateType(row[3]) in TERMINAL_STATES else None
                self._extra[(row[1], row[6], row[3])] = (run.run_count, ref)
        super().ingest(runs, states, logs, cache, artifacts)

    def _take(self) -> list[dict]:
        """The queued rows as journal entries, in the order the server must see them
        (`cadenza.backends.wire.entries`)."""
        return wire.entries(
            take_runs(self._runs),
            pop_all(self._states),
            pop_all(self._logs),
            pop_all(self._cache),
            pop_all(self._artifacts),
            self._created,
            self._extra,
        )

    def _send_queued(self) -> None:
        """Send what is queued; on ServerUnavailable the rows not sent are journaled first."""
        entries = self._take()
        for i, entry in enumerate(entries):
            try:
                self._send(entry)
            except ServerUnavailable:
                self.spool.append(entries[i:])
                raise

    def _spool_queued(self) -> None:
        self.spool.append(self._take())

    def _send(self, entry: dict, retry: bool = True) -> Any:
        """One journal entry to its route. A refusal (4xx) is logged and dropped: sending it
        again would not change the answer."""
        op = entry["op"]
        client = self.client
        try:
            if op == "batch":
                answer = client.batch(entry["body"], retry=retry)
                for item in answer.get("rejected") or ():
                    logger.warning(
                        "The server rejected transition %s: %s",
                        item.get("transition_id"),
                        item.get("reason"),
                    )
                return answer
            if op == "set_state":
                return client.set_state(entry["run_id"], entry["body"], retry=retry)
            if op == "flow_run":
                return client.create_flow_run(entry["body"], retry=retry)
        except ApiError as exc:
            if exc.status in (401, 403):  # wrong key: keep the rows, it may be fixed
                raise ServerUnavailable(f"the server refused the API key: {exc}") from exc
            logger.error("The server refused a %s request: %s", op, exc)
            return {"decision": "ABORT", "reason": exc.detail}
        raise ValueError(f"unknown journal entry {op!r}")

    # -- outages --------------------------------------------------------------------------------
    def _go_down(self, exc: Exception) -> None:
        if not self._down:
            self._down = True
            logger.warning(
                "The cadenza server is unreachable (%s); recording to the journal in %s until "
                "it answers again",
                exc,
                self.spool.directory,
            )
        self._next_probe = time.monotonic() + self._probe_pause
        self._probe_pause = min(PROBE_MAX, self._probe_pause * 2)

    def _try_recover(self, force: bool = False) -> None:
        """While down: one attempt to reach the server and replay the journals. Caller holds
        the send lock."""
        if not force and time.monotonic() < self._next_probe:
            return
        try:
            if not self._version_checked:
                self.client.check_version(retry=False)
                self._version_checked = True
            self.spool.replay(lambda e: self._send(e, retry=False))
        except ServerUnavailable as exc:
            self._go_down(exc)
            return
        except ServerIncompatible as exc:
            logger.error("%s", exc)
            self._go_down(exc)
            return
        self._down = False
        self._probe_pause = PROBE_MIN
        logger.warning("The cadenza server answers again; the journal was replayed")
        self._replay_orphans()

    def _replay_orphans(self) -> None:
        try:
            self.spool.replay_orphans(lambda e: self._send(e, retry=False))
        except ServerUnavailable as exc:
            self._go_down(exc)

    # -- the sender thread ----------------------------------------------------------------------
    def _send_loop(self) -> None:
        while not self._closed:
            self._wake.wait(self.flush_interval)
            if self._closed:
                return
            try:
                self._drain(force=False)
            except Exception as exc:  # keep the thread alive
                logger.error("cadenza: could not send the run record: %s", exc)
                time.sleep(min(1.0, self.flush_interval * 10))

    def _drain(self, force: bool) -> None:
        with self._send_lock:
            if self._down:
                self._try_recover(force)
            if self._down:
                self._spool_queued()
                return
            try:
                self._send_queued()
            except ServerUnavailable as exc:
                self._go_down(exc)

    def relieve(self) -> None:
        self._drain(force=False)

    def flush(self) -> None:
        """Send everything queued now; during an outage, journal it (durably) instead."""
        self._drain(force=True)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._wake.set()
        try:
            self.flush()
        finally:
            atexit.unregister(self.close)
            self.spool.close()
            self.client.close()


def _apply(run: Run, state: State) -> None:
    """An accepted state on the in-memory run (as `Recorder.propose` does)."""
    run.state = state
    ts = state.ts
    if state.type is StateType.RUNNING:
        if run.start_time is None:
            run.start_time = ts
    elif state.type in TERMINAL_STATES:
        run.end_time = ts
        if state.result_ref is not None:
            run.result_ref = state.result_ref
