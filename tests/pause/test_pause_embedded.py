"""Pausing on the embedded record: a flow in its own process pauses, another process
(``cadenza runs resume-paused``, or `resume_flow_run` here) resumes it through the record, and
the flow goes on in the same process with the validated input. Bad input is refused by field and
the run stays Paused; a timeout fails the run; a cancellation ends the wait."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from pause_helpers import Flows, cli, wait_state

from cadenza import flow, pause_flow_run, resume_flow_run, suspend_flow_run, task
from cadenza.exceptions import InvalidRunInput, NotPausedError, ObjectNotFound

pytestmark = pytest.mark.usefixtures("embedded")

APPROVAL = """
from cadenza import flow, pause_flow_run
from cadenza.context import FlowRunContext
from cadenza.input import RunInput

class Approval(RunInput):
    approved: bool
    note: str = ""

@flow
def approve():
    event("started", run_id=FlowRunContext.get().flow_run.id)
    got = pause_flow_run(wait_for_input=Approval, timeout=120)
    event("resumed", approved=got.approved, note_length=len(got.note),
          note_head=got.note[:20], type=type(got).__name__)
    return got.approved

state = approve(return_state=True)
event("done", state=state.type.value, message=state.message)
"""


def read_run(home: Path):
    def read(run_id: str) -> dict[str, Any] | None:
        conn = sqlite3.connect(home / "cadenza.db")
        try:
            row = conn.execute(
                "SELECT state_type, state_name, state_message FROM flow_runs WHERE id = ?",
                (run_id,),
            ).fetchone()
        finally:
            conn.close()
        if row is None:
            return None
        return {"state": {"type": row[0], "name": row[1], "message": row[2]}}

    return read


def test_a_paused_flow_goes_on_in_its_process_with_the_input_given_by_another_process(
    flows: Flows, cadenza_home: Path
) -> None:
    proc = flows.start(APPROVAL)
    run_id = flows.wait_event(proc, "started")["run_id"]
    read = read_run(cadenza_home)
    paused = wait_state(read, run_id, "PAUSED")
    assert paused["state"]["name"] == "Paused"

    wrong = cli("runs", "resume-paused", run_id, "--input", "approved=maybe")
    assert wrong.returncode == 2, wrong.stdout + wrong.stderr
    assert wrong.stderr.strip() == "Error: Invalid run input: approved: must be of type boolean"
    missing = cli("runs", "resume-paused", run_id[:13], "--input", "note=hi")
    assert missing.returncode == 2
    assert "approved: is required" in missing.stderr
    extra = cli("runs", "resume-paused", run_id, "--input-json", '{"approved": true, "x": 1}')
    assert extra.returncode == 2 and "x: is not a field of this input" in extra.stderr
    assert read(run_id)["state"]["type"] == "PAUSED"  # refused input leaves it paused

    started = time.time()
    ok = cli("runs", "resume-paused", run_id, "--input", "approved=true", "--input", "note=ok")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == f"Flow run {run_id} resumed: Running (it goes on)"
    resumed = flows.wait_event(proc, "resumed")
    assert resumed == {**resumed, "approved": True, "note_head": "ok", "type": "Approval"}
    done = flows.wait_event(proc, "done")
    assert done["state"] == "COMPLETED"
    assert proc.wait(30) == 0
    print(f"\nresume latency (embedded, CLI process): {resumed['at'] - started:.3f} s")

    again = cli("runs", "resume-paused", run_id)
    assert again.returncode == 1
    assert "is Completed, not paused" in again.stderr


def test_a_plain_type_is_wrapped_and_the_value_itself_is_returned(
    flows: Flows, cadenza_home: Path
) -> None:
    proc = flows.start(
        """
        from cadenza import flow, pause_flow_run
        from cadenza.context import FlowRunContext

        @flow
        def count():
            event("started", run_id=FlowRunContext.get().flow_run.id)
            n = pause_flow_run(wait_for_input=int, timeout=120, poll_interval=0.1)
            event("resumed", value=n, type=type(n).__name__)
            words = pause_flow_run(list[str], key="words")
            event("resumed-2", value=words)

        count()
        """
    )
    run_id = flows.wait_event(proc, "started")["run_id"]
    read = read_run(cadenza_home)
    wait_state(read, run_id, "PAUSED")
    with pytest.raises(InvalidRunInput, match=r"^Invalid run input: value: must be of type"):
        resume_flow_run(run_id, {"value": "seven"})
    resume_flow_run(run_id, {"value": 7})
    assert flows.wait_event(proc, "resumed")["value"] == 7
    assert flows.wait_event(proc, "resumed")["type"] == "int"
    wait_state(read, run_id, "PAUSED")
    with pytest.raises(InvalidRunInput, match=r"value\.1: must be of type string"):
        resume_flow_run(run_id, {"value": ["a", 2]})
    resume_flow_run(run_id, {"value": ["a", "b"]})
    assert flows.wait_event(proc, "resumed-2")["value"] == ["a", "b"]
    assert proc.wait(30) == 0


def test_a_pause_not_resumed_in_time_fails_the_run(flows: Flows, cadenza_home: Path) -> None:
    proc = flows.start(
        """
        from cadenza import flow, pause_flow_run
        from cadenza.context import FlowRunContext

        @flow
        def waits():
            event("started", run_id=FlowRunContext.get().flow_run.id)
            pause_flow_run(timeout=1)

        state = waits(return_state=True)
        event("done", state=state.type.value, message=state.message)
        """
    )
    run_id = flows.wait_event(proc, "started")["run_id"]
    done = flows.wait_event(proc, "done", timeout=30)
    assert done["state"] == "FAILED"
    assert "Flow run was paused and never resumed within 1 s" in done["message"]
    assert read_run(cadenza_home)(run_id)["state"]["type"] == "FAILED"
    late = cli("runs", "resume-paused", run_id)
    assert late.returncode == 1 and "is Failed, not paused" in late.stderr


def test_cancelling_a_paused_run_ends_its_wait(flows: Flows, cadenza_home: Path) -> None:
    proc = flows.start(
        """
        from cadenza import flow, pause_flow_run
        from cadenza.context import FlowRunContext

        @flow
        def waits():
            event("started", run_id=FlowRunContext.get().flow_run.id)
            pause_flow_run(timeout=300)
            event("resumed")

        state = waits(return_state=True)
        event("done", state=state.type.value)
        """
    )
    run_id = flows.wait_event(proc, "started")["run_id"]
    read = read_run(cadenza_home)
    wait_state(read, run_id, "PAUSED")
    started = time.time()
    cancel = cli("runs", "cancel", run_id)
    assert cancel.returncode == 0, cancel.stderr
    done = flows.wait_event(proc, "done", timeout=30)
    assert done["state"] == "CANCELLED"
    assert not [e for e in flows.events(proc) if e["kind"] == "resumed"]
    assert read(run_id)["state"]["type"] == "CANCELLED"
    print(f"\ncancel latency while paused (embedded): {done['at'] - started:.3f} s")


def test_hostile_input_is_refused_by_name_or_kept_whole(flows: Flows, cadenza_home: Path) -> None:
    proc = flows.start(APPROVAL)
    run_id = flows.wait_event(proc, "started")["run_id"]
    read = read_run(cadenza_home)
    wait_state(read, run_id, "PAUSED")

    bad_json = cli("runs", "resume-paused", run_id, "--input-json", '{"approved": tru')
    assert bad_json.returncode == 2
    assert "Invalid value for --input-json: not JSON" in bad_json.stderr
    not_object = cli("runs", "resume-paused", run_id, "--input-json", "[1]")
    assert not_object.returncode == 2 and "expected a JSON object" in not_object.stderr
    no_equals = cli("runs", "resume-paused", run_id, "--input", "approved")
    assert no_equals.returncode == 2 and "expected NAME=VALUE" in no_equals.stderr
    with pytest.raises(InvalidRunInput) as surrogate:
        resume_flow_run(run_id, {"approved": True, "note": "bad \ud800 text"})
    assert str(surrogate.value) == (
        "Invalid run input: note: holds a lone surrogate (not valid Unicode text)"
    )
    with pytest.raises(InvalidRunInput, match="must be a JSON object"):
        resume_flow_run(run_id, ["approved"])  # type: ignore[arg-type]  # a bad input on purpose
    unknown = cli("runs", "resume-paused", "no-such-run")
    assert unknown.returncode == 1 and "no-such-run" in unknown.stderr
    assert read(run_id)["state"]["type"] == "PAUSED"

    big = "x" * 1_000_000
    resume_flow_run(run_id, {"approved": False, "note": big})
    resumed = flows.wait_event(proc, "resumed")
    assert resumed["note_length"] == 1_000_000 and resumed["approved"] is False
    assert proc.wait(30) == 0


def test_pausing_needs_a_flow_run_and_not_a_task_run() -> None:
    with pytest.raises(RuntimeError, match=r"^Flow runs can only be paused from within a flow"):
        pause_flow_run()
    with pytest.raises(ValueError, match="'timeout' must be a non-negative number"):
        pause_flow_run(timeout=-1)

    @task
    def pauses_itself() -> None:
        pause_flow_run(timeout=5)

    @flow
    def calls_it() -> None:
        pauses_itself()

    state = calls_it(return_state=True)
    assert state.is_failed()
    assert "Cannot pause task runs: call it in the flow's own function" in str(state.message)


def test_only_a_run_of_a_deployment_can_be_suspended() -> None:
    @flow
    def suspends() -> None:
        suspend_flow_run(timeout=60)

    state = suspends(return_state=True)
    assert state.is_failed()
    assert "cannot be suspended: it is not a run of a deployment" in str(state.message)


def test_resuming_what_is_not_paused_is_refused() -> None:
    @flow
    def quick() -> int:
        return 1

    state = quick(return_state=True)
    with pytest.raises(NotPausedError, match="is Completed, not paused"):
        resume_flow_run(state.state_details.flow_run_id)
    with pytest.raises(ObjectNotFound, match="no flow run with id 'nope'"):
        resume_flow_run("nope")


def test_an_async_flow_awaits_its_pause_without_blocking_its_event_loop(
    cadenza_home: Path,
) -> None:
    import asyncio
    import threading

    from cadenza.context import FlowRunContext

    seen: dict[str, Any] = {}

    def resumer() -> None:
        while "run_id" not in seen:
            time.sleep(0.01)
        wait_state(read_run(cadenza_home), seen["run_id"], "PAUSED")
        resume_flow_run(seen["run_id"], {"value": 5})

    @flow
    async def waits() -> Any:
        seen["run_id"] = FlowRunContext.get().flow_run.id
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.05)
                ticks += 1

        beat = asyncio.create_task(ticker())
        value = await pause_flow_run(wait_for_input=int, timeout=60)
        beat.cancel()
        return value, ticks

    thread = threading.Thread(target=resumer, daemon=True)
    thread.start()
    value, ticks = asyncio.run(waits())
    thread.join(10)
    assert value == 5
    assert ticks >= 2  # the loop went on while the flow waited
