"""Interactive workflows as Prefect's documentation writes them: flow runs that send each other
inputs (`send_to`, `send_input`) and receive them one by one (`receive`, `receive_input`),
answering with `respond`. Prefect 3.9.1: keys are ``<model name lowercased>-auto-<uuid>``, the
sender of an input sent from a flow run is that flow run, iterating a handler ends at its
timeout, and `next()` raises TimeoutError."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from cadenza import flow
from cadenza.input import GetInputHandler, RunInput, receive_input, send_input
from cadenza.input.actions import filter_flow_run_input
from cadenza.runtime import flow_run


class NumberData(RunInput):
    number: int


RECEIVER = textwrap.dedent("""
    import asyncio
    import sys
    from pathlib import Path
    from cadenza import flow
    from cadenza.input import RunInput
    from cadenza.runtime import flow_run

    class NumberData(RunInput):
        number: int

    @flow
    async def receiver_flow():
        Path(sys.argv[1]).write_text(flow_run.id)
        answered = 0
        async for data in NumberData.receive(timeout=20, poll_interval=0.1):
            await data.respond(NumberData(number=data.number ** 2))
            answered += 1
            if answered == 3:
                return answered

    print(asyncio.run(receiver_flow()))
""")

SENDER = textwrap.dedent("""
    import asyncio
    import sys
    from cadenza import flow
    from cadenza.input import RunInput

    class NumberData(RunInput):
        number: int

    @flow
    async def sender_flow(receiver_flow_run_id: str):
        squares = []
        answers = NumberData.receive(timeout=20, poll_interval=0.1)
        for n in (3, 4, 5):
            await NumberData(number=n).send_to(receiver_flow_run_id)
            squared = await answers.next()
            squares.append(squared.number)
        return squares

    print(asyncio.run(sender_flow(sys.argv[1])))
""")


def test_two_flow_runs_in_two_processes_talk_through_inputs(tmp_path: Path) -> None:
    env = {**os.environ, "CADENZA_HOME": str(tmp_path / "home")}
    id_file = tmp_path / "receiver-id"
    receiver = subprocess.Popen(
        [sys.executable, "-c", RECEIVER, str(id_file)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not (id_file.exists() and id_file.read_text()):
            assert time.monotonic() < deadline and receiver.poll() is None, receiver.stderr
            time.sleep(0.05)
        sent = subprocess.run([sys.executable, "-c", SENDER, id_file.read_text()], env=env,
                              capture_output=True, text=True, timeout=60)  # fmt: skip
        assert sent.returncode == 0, sent.stderr
        assert sent.stdout.strip() == "[9, 16, 25]"
        out, err = receiver.communicate(timeout=60)
        assert receiver.returncode == 0, err
        assert out.strip() == "3"
    finally:
        if receiver.poll() is None:
            receiver.kill()


def test_send_input_of_a_plain_value_and_receive_input_of_its_type() -> None:
    got: list[object] = []
    ready = threading.Event()
    ids: list[str] = []

    @flow
    def greeter() -> list[str]:
        ids.append(flow_run.id)
        ready.set()
        names = []
        for name in receive_input(str, timeout=3, poll_interval=0.05):
            names.append(name)
            if len(names) == 2:
                break
        return names

    worker = threading.Thread(target=lambda: got.append(greeter()))
    worker.start()
    assert ready.wait(10)
    send_input("alice", flow_run_id=ids[0])
    send_input(42, flow_run_id=ids[0])  # another type: another key prefix, not received
    send_input("bob", flow_run_id=ids[0], sender="the-test")
    worker.join(20)
    assert got == [["alice", "bob"]]
    keys = [i["key"] for i in filter_flow_run_input("", limit=10, flow_run_id=ids[0])]
    assert sum(k.startswith("strautomaticruninput-auto-") for k in keys) == 2
    assert sum(k.startswith("intautomaticruninput-auto-") for k in keys) == 1


def test_with_metadata_tells_who_sent_it_and_respond_needs_a_flow_run() -> None:
    @flow
    def inbox() -> str:
        send_input("hello", flow_run_id=flow_run.id, sender="a-script")
        received = receive_input(str, timeout=2, poll_interval=0.05, with_metadata=True).next()
        assert received.value == "hello" and received.metadata.sender == "a-script"
        with pytest.raises(RuntimeError, match="not sent by a flow run"):
            received.respond(NumberData(number=1))
        return received.metadata.receiver

    assert inbox()


def test_a_handler_ends_at_its_timeout_and_next_raises() -> None:
    @flow
    def waits() -> list[int]:
        handler = NumberData.receive(timeout=0.3, poll_interval=0.05)
        assert isinstance(handler, GetInputHandler)
        items = list(handler)
        with pytest.raises(TimeoutError, match="numberdata-auto"):
            NumberData.receive(timeout=0.2, poll_interval=0.05).next()
        with pytest.raises(TimeoutError):
            list(NumberData.receive(timeout=0.2, poll_interval=0.05, raise_timeout_error=True))
        return items

    started = time.monotonic()
    assert waits() == []
    assert time.monotonic() - started < 5


def test_each_input_is_received_once_past_the_excluded_keys_window() -> None:
    @flow
    def many() -> int:
        for n in range(520):
            send_input(NumberData(number=n), flow_run_id=flow_run.id)
        handler = NumberData.receive(timeout=0.5, poll_interval=0.05)
        numbers = [item.number for item in handler]
        assert numbers == list(range(520))
        return len(numbers)

    assert many() == 520


def test_the_input_actions_are_awaitable_in_async_code() -> None:
    # Prefect 3.9.1: create/read/delete_flow_run_input are async-dispatched, with a* forms
    import asyncio

    from cadenza.input import (
        acreate_flow_run_input,
        aread_flow_run_input,
        create_flow_run_input,
        delete_flow_run_input,
        read_flow_run_input,
    )

    @flow
    async def uses_inputs() -> list:
        await create_flow_run_input("colour", "blue")
        await acreate_flow_run_input("size", 3)
        got = [await read_flow_run_input("colour"), await aread_flow_run_input("size")]
        await delete_flow_run_input("colour")
        got.append(await read_flow_run_input("colour"))
        return got

    @flow
    def sync_inputs() -> object:
        create_flow_run_input("k", {"v": 1})
        return read_flow_run_input("k")

    assert asyncio.run(uses_inputs()) == ["blue", 3, None]
    assert sync_inputs() == {"v": 1}
