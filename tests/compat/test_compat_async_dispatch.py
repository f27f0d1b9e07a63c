"""Dual functions: the same call returns a value in sync code and an awaitable in async code.

Written as Prefect's documentation uses them (``await Variable.get(...)`` inside an ``async def``
flow; ``Variable.get(...)`` in a sync one). Each case was run against Prefect 3.9.1."""

from __future__ import annotations

import asyncio
import inspect

import pytest
from pydantic import SecretStr

from cadenza import flow, task
from cadenza.artifacts import (
    Artifact,
    acreate_link_artifact,
    acreate_markdown_artifact,
    acreate_progress_artifact,
    acreate_table_artifact,
    aupdate_progress_artifact,
    create_link_artifact,
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from cadenza.blocks.core import Block
from cadenza.blocks.system import Secret
from cadenza.variables import Variable


class Warehouse(Block):
    host: str
    password: SecretStr


# Prefect 3.9.1: in an async flow `Variable.get("x")` is awaitable (`await` gives the value),
# `_sync=True` forces the value, a sync task called from the async flow gets the value, an
# async task gets an awaitable; in a sync flow the call returns the value.
def test_variable_get_in_async_and_sync_flows_and_tasks() -> None:
    Variable.set("batch-size", 5)

    @task
    def sync_task() -> int:
        return Variable.get("batch-size")

    @task
    async def async_task() -> tuple[bool, int]:
        pending = Variable.get("batch-size")
        return inspect.isawaitable(pending), await pending

    @flow
    async def async_flow() -> tuple:
        pending = Variable.get("batch-size")
        awaitable = inspect.isawaitable(pending)
        value = await pending
        forced = Variable.get("batch-size", _sync=True)
        return awaitable, value, forced, sync_task(), await async_task()

    @flow
    def sync_flow() -> int:
        return Variable.get("batch-size", default=0)

    assert asyncio.run(async_flow()) == (True, 5, 5, 5, (True, 5))
    assert sync_flow() == 5


# Prefect 3.9.1: outside any run, a coroutine (a running event loop) gets awaitables from
# `Variable.get/set/unset`, and `aget`/`aset`/`aunset` are the explicit async forms;
# `_sync=False` forces the awaitable in sync code.
def test_variables_from_a_plain_coroutine() -> None:
    async def main() -> tuple:
        created = await Variable.set("region", "eu", tags=["infra"])
        pending = Variable.get("region")
        assert inspect.isawaitable(pending)
        value = await pending
        await Variable.aset("region", "us", overwrite=True)
        after = await Variable.aget("region")
        removed = await Variable.unset("region")
        again = await Variable.aunset("region")
        return created.name, value, after, removed, again, await Variable.aget("region", "none")

    assert asyncio.run(main()) == ("region", "eu", "us", True, False, "none")
    pending = Variable.get("region", _sync=False)
    assert inspect.iscoroutine(pending)
    assert asyncio.run(pending) is None
    assert Variable.get("region", default="plain") == "plain"  # sync code: the value


# Prefect 3.9.1: `Block.load`/`block.save` return awaitables in async code (`await
# Secret.load("name")`), `aload`/`asave` are the async forms; sync code gets values.
def test_blocks_save_load_and_delete_from_async_code() -> None:
    @flow
    async def configure() -> tuple[str, str]:
        await Warehouse(host="db", password="pw").save("prod")
        loaded = await Warehouse.load("prod")
        await Secret(value="api-token-value-8d1f").asave("api-token")
        secret = await Secret.load("api-token")
        also = await Block.aload("secret/api-token")
        await secret.adelete()
        return loaded.host, f"{loaded.password.get_secret_value()}:{also.get()}"

    assert asyncio.run(configure()) == ("db", "pw:api-token-value-8d1f")
    assert Warehouse.load("prod").host == "db"  # sync code: the block itself
    assert "api-token" not in Secret.list()

    async def delete_by_class() -> None:
        await Warehouse.delete("prod")

    asyncio.run(delete_by_class())
    assert Warehouse.list() == []


# Prefect 3.9.1: `create_*_artifact` return awaitables in an async flow or task (the awaited
# value is the artifact id) and the id itself in sync code; `acreate_*` are the async forms.
def test_artifact_functions_dispatch() -> None:
    @task
    async def report() -> None:
        await create_table_artifact([{"rows": 3}], key="loaded-rows")
        await acreate_table_artifact({"rows": [4]}, key="loaded-rows")

    @flow
    async def pipeline() -> list:
        ids = [
            await create_markdown_artifact("# v1", key="nightly-report"),
            await acreate_markdown_artifact("# v2", key="nightly-report"),
            await create_link_artifact("https://example.com/a", key="latest-export"),
            await acreate_link_artifact("https://example.com/b", key="latest-export"),
        ]
        progress = await create_progress_artifact(10.0, key="progress")
        await update_progress_artifact(progress, 50.0)
        await aupdate_progress_artifact(progress, 75.0)
        other = await acreate_progress_artifact(1.0)
        await report()
        return [*ids, progress, other]

    ids = asyncio.run(pipeline())
    assert len(set(ids)) == 6
    assert Artifact.get("nightly-report").data == "# v2"
    assert Artifact.get("latest-export").data["link"] == "https://example.com/b"
    assert Artifact.get("loaded-rows").data == {"rows": [4]}
    assert Artifact.get("progress").data == 75.0

    @flow
    def sync_pipeline() -> bool:
        made = create_markdown_artifact("# v3", key="nightly-report")
        return inspect.isawaitable(made)

    assert sync_pipeline() is False
    assert Artifact.get("nightly-report").data == "# v3"


# Prefect 3.9.1: `run_deployment` returns an awaitable in async code (`await
# run_deployment(...)`); `arun_deployment` is the async form; sync code gets the flow run.
def test_run_deployment_from_async_code() -> None:
    from cadenza.deployments import arun_deployment, run_deployment

    @flow
    def etl(n: int = 1) -> int:
        return n

    etl.to_deployment(name="nightly").apply()

    @flow
    async def orchestrate() -> list:
        first = run_deployment("etl/nightly", parameters={"n": 2}, timeout=0)
        assert inspect.isawaitable(first)
        second = await arun_deployment("etl/nightly", parameters={"n": 3}, timeout=0)
        return [await first, second]

    runs = asyncio.run(orchestrate())
    assert [run.parameters for run in runs] == [{"n": 2}, {"n": 3}]
    assert all(run.state is not None and run.state.name == "Scheduled" for run in runs)
    parent_ids = {run.parent_flow_run_id for run in runs}
    assert len(parent_ids) == 1 and None not in parent_ids  # children of the async flow run
    plain = run_deployment("etl/nightly", timeout=0)
    assert not inspect.isawaitable(plain) and plain.state is not None


# Prefect 3.9.1: errors of the sync body surface where the awaitable is awaited.
def test_errors_surface_when_awaited() -> None:
    async def main() -> None:
        pending = Variable.get("Not A Name")
        with pytest.raises(ValueError, match="Invalid variable name"):
            await pending

    asyncio.run(main())


# Prefect 3.9.1: `sync_compatible` (prefect.utilities.asyncutils) turns an async function into
# one that runs to its result in sync code and returns the coroutine in async code.
def test_sync_compatible_user_functions() -> None:
    from cadenza.utilities.asyncutils import run_coro_as_sync, sync_compatible

    @sync_compatible
    async def fetch(n: int) -> int:
        await asyncio.sleep(0)
        return n * 2

    assert fetch(2) == 4

    async def main() -> tuple[int, int]:
        inner = run_coro_as_sync(fetch.aio(5))  # a loop runs here: a thread of its own
        return await fetch(3), inner

    assert asyncio.run(main()) == (6, 10)
