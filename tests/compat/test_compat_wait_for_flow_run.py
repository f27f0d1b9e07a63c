"""`wait_for_flow_run`: wait, by id, for a flow run that runs elsewhere (another thread here;
a worker, for a deployment's run started with ``run_deployment(..., timeout=0)``). Prefect
3.9.1: it returns the flow run in its final state, raises FlowRunWaitTimeout after `timeout`
seconds, and is awaited in async code."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from cadenza import flow
from cadenza.client.orchestration import get_client
from cadenza.exceptions import FlowRunWaitTimeout
from cadenza.flow_runs import wait_for_flow_run
from cadenza.runtime import flow_run


def test_wait_for_a_run_another_thread_finishes() -> None:
    started = threading.Event()
    ids: list[str] = []

    @flow
    def slow() -> int:
        ids.append(flow_run.id)
        started.set()
        time.sleep(1.0)
        return 1

    worker = threading.Thread(target=slow)
    worker.start()
    assert started.wait(10)
    run = wait_for_flow_run(ids[0], timeout=30, poll_interval=1)
    assert run.state.is_completed() and str(run.id) == ids[0]
    worker.join(10)


def test_a_run_not_final_in_time_is_a_wait_timeout() -> None:
    release = threading.Event()
    ids: list[str] = []

    @flow
    def blocked() -> None:
        ids.append(flow_run.id)
        release.wait(30)

    worker = threading.Thread(target=blocked)
    worker.start()
    try:
        while not ids:
            time.sleep(0.05)
        with pytest.raises(FlowRunWaitTimeout, match="exceeded watch timeout of 1 seconds"):
            wait_for_flow_run(ids[0], timeout=1, poll_interval=1)
    finally:
        release.set()
        worker.join(10)


def test_awaited_in_async_code_with_an_async_client() -> None:
    @flow
    def quick() -> str:
        return flow_run.id

    run_id = quick()

    async def main() -> object:
        async with get_client() as client:
            return await wait_for_flow_run(run_id, timeout=10, client=client, log_states=True)

    run = asyncio.run(main())
    assert run.state.is_completed()
