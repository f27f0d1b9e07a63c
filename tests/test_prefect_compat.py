"""A flow written as a Prefect 3 user writes it runs after its imports change."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from cadenza import allow_failure, flow, get_run_logger, task, unmapped
from cadenza.cache_policies import INPUTS, TASK_SOURCE
from cadenza.context import get_run_context
from cadenza.futures import as_completed, wait
from cadenza.runtime import flow_run
from cadenza.states import Completed, Failed
from cadenza.task_runners import ThreadPoolTaskRunner
from cadenza.tasks import exponential_backoff, task_input_hash


@task(retries=2, retry_delay_seconds=exponential_backoff(backoff_factor=0.01), log_prints=True)
def extract(source: str) -> list[int]:
    print(f"extracting {source}")
    return [1, 2, 3]


@task(cache_key_fn=task_input_hash, cache_expiration=timedelta(hours=1))
def transform(x: int, factor: int) -> int:
    return x * factor


@task(cache_policy=INPUTS + TASK_SOURCE)
def summarize(values: list[int]) -> int:
    return sum(values)


@task
def might_fail(x: int) -> int:
    if x == 2:
        raise ValueError("two is not allowed")
    return x


@task
def report(value) -> str:
    return f"report: {value!r}"


@task
async def fetch_async(i: int) -> int:
    await asyncio.sleep(0.01)
    return i


@flow(name="etl-pipeline", log_prints=True, task_runner=ThreadPoolTaskRunner(max_workers=4))
def pipeline(source: str = "db", factor: int = 10) -> dict:
    logger = get_run_logger()
    logger.info("starting %s", flow_run.name)
    assert get_run_context().flow_run.name == flow_run.name
    rows = extract(source)
    transformed = transform.map(rows, factor=unmapped(factor))
    total = summarize.submit(transformed)
    risky = [might_fail.submit(x) for x in rows]
    wait(risky)
    states = [f.state for f in risky]
    failed = [s for s in states if s.is_failed()]
    after = report.submit(allow_failure(risky[1]))
    finished = [f.result() for f in as_completed(transformed)]
    return {
        "total": total.result(),
        "failed": len(failed),
        "report": after.result(),
        "finished": sorted(finished),
        "returned_state": isinstance(Completed(), type(Failed())),
    }


@flow
async def async_pipeline(n: int = 3) -> list[int]:
    return await asyncio.gather(*[fetch_async(i) for i in range(n)])


def test_prefect_style_flow_runs_and_is_recorded(record):
    result = pipeline()
    assert result == {
        "total": 60,
        "failed": 1,
        "report": "report: ValueError('two is not allowed')",
        "finished": [10, 20, 30],
        "returned_state": True,
    }
    assert record("SELECT flow_name, state_type FROM flow_runs") == [("etl-pipeline", "COMPLETED")]
    (count,) = record("SELECT count(*) FROM task_runs")[0]
    assert count == 1 + 3 + 1 + 3 + 1


def test_prefect_style_async_flow():
    assert asyncio.run(async_pipeline()) == [0, 1, 2]


def test_return_state_and_result():
    state = pipeline(return_state=True)
    assert state.is_completed()
    assert state.result()["total"] == 60
