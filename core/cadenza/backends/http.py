"""The HTTP backend: record runs on a coordination server (`CADENZA_API_URL`; the API is
docs/reference/http-api.md).

- Flow runs are created and their transitions proposed synchronously: the server's decision is
  the answer (`POST /api/flow_runs`, `POST /api/flow_runs/{id}/set_state`).
- Task runs are decided here with the policy, as the embedded backend does (`Recorder`); their
  rows, transitions and the log lines go to the server as ONE `POST /api/batch` per batch window
  (`CADENZA_FLUSH_INTERVAL`) from a background thread. `flush()` sends now.
- When the server cannot be reached (after the client's retries), requests go in order to this
  process's journal in ``$CADENZA_HOME/spool/`` (see `cadenza.client.spool`), flow-run proposals
  are decided here with the policy so the run goes on, and one warning is logged: the server is
  unreachable, how many records wait in the journal, where. The journal is replayed in order
  when the server answers again, or by the next process if this one exits first; the server
  applies a repeated transition id once. `undelivered()` says, at the end of a flow run, whether
  its record is still waiting (the engine then raises `ServerUnreachable`, unless
  ``CADENZA_CLIENT_OFFLINE_OK``).
- The request bodies and their order are `cadenza.backends.wire`'s: transitions are taken from
  the queue before the runs they name, so a task run's creation always precedes its transitions.
- Nothing the server refuses is dropped in silence. A batch answered 413 is cut in halves and
  sent again; one answered 422 is sent again without the records the server located as bad
  (or in halves, when it did not say), and each refused record — like a transition the server
  rejected, or any other refused request — is set aside in the dead-letter file
  (`cadenza.deadletter`) with the server's reason, shown by `cadenza db doctor`: once, when
  the request it came in is done with (a batch journaled again whole is refused again).
- While a flow run of this process is active, its lease on the server is renewed by heartbeats
  (`cadenza.backends.heartbeat`); a process that dies leaves a run the server marks Crashed.
  A flow run adopted from the server (created there ahead of time; `cadenza.engine.adoption`)
  is created as any other — the server ignores a run it has — and its lease renewed at once.
- Cache entries, artifacts and events (`cadenza.events.emit_event`) travel in the same batches
  (and journal); `read_cache` asks the
  server (`GET /api/cache_entries`) for a key this process has not written itself, and counts
  an unreachable server as a miss.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from cadenza._times import epoch
from cadenza.backends import refusals, wire
from cadenza.backends.heartbeat import Heartbeat
from cadenza.backends.recording import Recorder, pop_all, take_runs
from cadenza.client.http import (
    ApiClient,
    ApiError,
    ServerUnavailable,
    client_from_settings,
)
from cadenza.client.spool import Spool, server_tag
from cadenza.client.waiting import records_phrase, waiting
from cadenza.exceptions import ServerIncompatible
from cadenza.orchestration import CORE_POLICY, Decision, DecisionKind, transitions
from cadenza.settings import spec
from cadenza.states import TERMINAL_STATES

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
        self._created: set[str] = set()  # flow runs the server knows (or the spool holds)
        self._held: list[wire.Request] = []  # neither sent nor journaled yet (journal failed)
        self._journal_trouble: str | None = None
        self._down = False
        self._outage = ""  # why the server counts as unreachable
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
        self.heartbeat = Heartbeat(self.client, spec.get("CADENZA_HEARTBEAT_INTERVAL"))
        self._sender = threading.Thread(target=self._send_loop, name="cadenza-sender", daemon=True)
        self._sender.start()
        atexit.register(self.close)

    # -- flow runs: synchronous -----------------------------------------------------------------
    def create_flow_run(self, run: FlowRun) -> None:
        self._created.add(run.id)
        body = wire.flow_run_body(run)
        body["lease_seconds"] = self.heartbeat.lease  # expires unless renewed (heartbeat.py)
        self._sync(wire.Request("flow_run", body))
        self.heartbeat.add(run.id, run.name)
        if run.state is not None and not self._down:
            # An adopted run (cadenza.engine.adoption): the server has it already and ignored
            # the creation's lease, so the lease is taken over now rather than at the first beat.
            self.heartbeat.beat()

    def propose(self, run: Run, state: State, transition_id: str | None = None) -> Decision:
        if run.kind != "flow":
            return Recorder.propose(self, run, state, transition_id)
        explicit = transition_id is not None
        if not explicit:
            run.proposals += 1
            transition_id = f"{run.id}:{run.proposals}"
        elif run.applied is not None and transition_id in run.applied:
            return _ALREADY_APPLIED
        body = wire.set_state_body(transitions.row(run, state, transition_id))
        request = wire.Request("set_state", body, run.id)
        answer = self._sync(request, local=lambda: transitions.decide(self.policy, run, state))
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
            transitions.accept(run, state, transition_id)
            if state.type in TERMINAL_STATES:
                # decided here during an outage: the server still holds the run active until
                # the journal reaches it, so its lease is renewed until then
                self.heartbeat.discard(run.id, delivered=not isinstance(answer, Decision))
            else:  # active again (a retry after Failed)
                self.heartbeat.add(run.id, run.name)
        return decision

    def _sync(self, request: wire.Request, local=None) -> Any:
        """Send `request` now, after everything queued before it; during an outage journal it
        (with what was queued) and return `local()`'s decision instead."""
        with self._send_lock:
            if self._down:
                self._try_recover()
            if not self._down:
                try:
                    self._send_queued()
                    return self._deliver(request, live=True)
                except ServerUnavailable as exc:
                    self._go_down(exc)
            self._spool_queued()
            decision = local() if local is not None else None
            if decision is None or decision.kind is _ACCEPT:
                self._journal([request])
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
        return found["result_ref"], epoch(found.get("expiration"))  # answered ISO 8601

    def read_states(self, run_ids: list[str]) -> dict[str, tuple[str | None, str | None]]:
        """The states the server holds for `run_ids`; empty while it cannot be reached."""
        if not run_ids or self._down:
            return {}
        try:
            answer = self.client.read_flow_run_states(run_ids, retry=False)
        except (ServerUnavailable, ApiError):
            return {}
        states = answer.get("states") or {}
        return {rid: (s.get("type"), s.get("name")) for rid, s in states.items()}

    def _take(self) -> list[wire.Request]:
        """What waits to be sent, in the order the server must see it: requests held back by
        a failed journal write, then the queues' rows (transitions taken before the runs)."""
        states = pop_all(self._states)
        logs = pop_all(self._logs)
        cache = pop_all(self._cache)
        artifacts = pop_all(self._artifacts)
        events = pop_all(self._events)
        runs = take_runs(self._runs)
        held, self._held = self._held, []
        return held + wire.requests(
            runs, states, logs, cache, artifacts, self._created, events=events
        )

    def _send_queued(self) -> None:
        """Send what is queued; on ServerUnavailable the requests not sent are journaled."""
        pending = self._take()
        for i, request in enumerate(pending):
            try:
                self._deliver(request)
            except ServerUnavailable:
                self._journal(pending[i:])
                raise

    def _spool_queued(self) -> None:
        self._journal(self._take())

    def _journal(self, requests: list[wire.Request]) -> None:
        """Append `requests` to the journal; if the disk refuses (full), keep them in memory
        to send or journal later, and say so once."""
        if not requests:
            return
        try:
            self.spool.append([r.entry for r in requests])
        except OSError as exc:
            self._held = requests + self._held
            problem = f"{type(exc).__name__}: {exc}"
            if problem != self._journal_trouble:
                self._journal_trouble = problem
                logger.error(
                    "Cannot write the journal in %s (%s); %d request(s) for the server are kept "
                    "in memory until it answers or the journal can be written",
                    self.spool.directory,
                    problem,
                    len(self._held),
                )
        else:
            self._journal_trouble = None

    # -- delivery and refusals ------------------------------------------------------------------
    def _send_entry(self, entry: dict, renew: bool = False) -> Any:
        """Replay one journal entry (the spool's `send`): returns once the server took it or
        it was set aside; raises ServerUnavailable to stop the replay there. `renew`: the entry
        is this process's own, so its batches renew the leases of its flow runs (not so for the
        journals of exited processes, whose runs the reaper must be free to mark Crashed)."""
        try:
            request = wire.Request.from_entry(entry)
        except ValueError as exc:
            refusals.set_aside("journal", "journal-entry", entry, str(exc))
            return None
        return self._deliver(request, retry=False, renew=renew, replayed=True)

    def _send_own_entry(self, entry: dict) -> Any:
        return self._send_entry(entry, renew=True)

    def _deliver(
        self, request: wire.Request, retry: bool = True, live: bool = False, renew: bool = True,
        replayed: bool = False,
    ) -> Any:  # fmt: skip
        """Send one request. A refusal is set aside with its reason (see the module docstring);
        `live` marks a flow-run proposal whose answer goes back to the engine, so a decision
        other than ACCEPT is the engine's to handle, not a refusal. A batch sent with `renew`
        (this process runs its flow runs; not a journal replayed) renews their leases too.
        `replayed`: the request comes from a journal, and says so to the server (its metrics).

        Refused records are set aside only once the whole request is done with: when a part
        of a split batch finds the server unavailable, the request is journaled (or stays in
        the journal) whole and its refused records are refused again when it is sent again —
        setting them aside now would keep each of them once per attempt."""
        letters: list[refusals.Letter] = []
        lease = self.heartbeat.lease if renew else None
        answer = self._send(request, retry, live, letters, lease, replayed)
        refusals.set_aside_all(letters)
        return answer

    def _send(self, request: wire.Request, retry: bool, live: bool,
              letters: list[refusals.Letter], lease: float | None = None,
              replayed: bool = False) -> Any:  # fmt: skip
        """`_deliver` without setting aside: the refused records are added to `letters`."""
        op = request.op
        client = self.client
        try:
            if op == "batch":
                answer = client.batch(
                    request.data, retry=retry, lease_seconds=lease, replayed=replayed
                )
                letters.extend(refusals.rejected_transitions(request, answer))
                return answer
            if op == "set_state":
                answer = client.set_state(
                    request.run_id, request.data, retry=retry, replayed=replayed
                )
                if not live and answer.get("decision") != "ACCEPT":
                    reason = f"{answer.get('decision')}: {answer.get('reason')}"
                    letters.append(("server", "flow-run-transition", request.entry, reason))
                return answer
            if op == "flow_run":
                return client.create_flow_run(request.data, retry=retry, replayed=replayed)
        except ApiError as exc:
            if exc.status in (401, 403):  # wrong key: keep the rows, it may be fixed
                raise ServerUnavailable(f"the server refused the API key: {exc}") from exc
            if op == "batch" and exc.status in (413, 422):
                for part in refusals.resendable(request, exc, letters):
                    self._send(part, retry, False, letters, lease, replayed)
                return {"rejected": []}
            letters.append(("server", op, request.entry, f"HTTP {exc.status}: {exc.detail}"))
            return {"decision": "ABORT", "reason": exc.detail}
        raise ValueError(f"unknown request {op!r}")

    # -- outages --------------------------------------------------------------------------------
    def _go_down(self, exc: Exception) -> None:
        if not self._down:
            self._down = True
            self._outage = str(exc).replace(f"cannot reach the server at {self.client.url}: ", "")
            logger.warning("%s", self._waiting_line(start=True))
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
            self.spool.replay(self._send_own_entry)
        except ServerUnavailable as exc:
            self._go_down(exc)
            return
        except (ServerIncompatible, OSError) as exc:  # OSError: the journal's disk (full)
            logger.error("%s", exc)
            self._go_down(exc)
            return
        self._down = False
        self._probe_pause = PROBE_MIN
        logger.warning("The cadenza server answers again; the journal was replayed")
        self._replay_orphans()

    def _replay_orphans(self) -> None:
        try:
            self.spool.replay_orphans(self._send_entry)
        except ServerUnavailable as exc:
            self._go_down(exc)
        except OSError as exc:  # a dead letter or offset could not be written: kept for later
            logger.error("Replaying the journals of exited processes stopped: %s", exc)

    def _waiting_line(self, start: bool) -> str:
        """The one line a run prints while the server is unreachable: at the start (or when it
        stops answering), how many records wait in the journal and where."""
        try:
            count = waiting(self.spool.directory, self.spool.tag).records
        except OSError:
            count = -1
        where = f"in {self.spool.directory}"
        counted = "records" if count < 0 else records_phrase(count)
        if start:
            return (
                f"The cadenza server at {self.client.url} is unreachable ({self._outage}): "
                f"recording to the journal {where} until it answers ({counted} waiting there)"
            )
        return (
            f"The cadenza server at {self.client.url} is unreachable: {counted} wait in the "
            f"journal {where}; `cadenza journal flush` sends them once it answers"
        )

    def undelivered(self) -> str | None:
        """None when everything recorded so far reached the server; else the line saying that
        it is unreachable and what waits in the journal (call after `flush`)."""
        with self._send_lock:
            if not self._down and not self._held:
                return None
            return self._waiting_line(start=False)

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
            self.flush()  # heartbeats go on meanwhile: a long backlog may outlast the lease
            if self._held:
                logger.error(
                    "%d request(s) for the server could be neither sent nor journaled (%s); "
                    "their flow runs are marked Crashed when their leases expire",
                    len(self._held),
                    self._journal_trouble,
                )
        finally:
            self.heartbeat.stop()
            atexit.unregister(self.close)
            self.spool.close()
            self.client.close()


__all__ = ["DEFAULT_RETRY_TIME", "HttpBackend"]
