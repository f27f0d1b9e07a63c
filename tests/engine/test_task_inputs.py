"""Each task run records which task runs fed it (Prefect's ``task_inputs``): the run graph."""

from __future__ import annotations

import json

from cadenza import flow, task, unmapped


@task
def source() -> int:
    return 1


@task
def inc(x: int) -> int:
    return x + 1


@task
def add(x: int, y: int) -> int:
    return x + y


@task
def total(xs: list[int]) -> int:
    return sum(xs)


@task
def noop() -> None:
    return None


def _inputs(record) -> dict[str, dict[str, list[str]] | None]:
    rows = record("SELECT name, task_inputs FROM task_runs ORDER BY created")
    return {name: json.loads(raw) if raw else None for name, raw in rows}


def _ids(record) -> dict[str, str]:
    return dict(record("SELECT name, id FROM task_runs"))


def test_a_diamond_records_its_edges_by_parameter(record):
    @flow
    def diamond() -> int:
        a = source.submit()
        b = inc.submit(a)
        c = inc.submit(x=a)
        return add.submit(b, y=c).result()

    assert diamond() == 4
    ids, inputs = _ids(record), _inputs(record)
    assert inputs["source-0"] is None
    assert inputs["inc-1"] == {"x": [ids["source-0"]]}
    assert inputs["inc-2"] == {"x": [ids["source-0"]]}
    assert inputs["add-3"] == {"x": [ids["inc-1"]], "y": [ids["inc-2"]]}


def test_wait_for_states_and_containers_are_edges(record):
    @flow
    def ordered() -> None:
        a = source.submit()
        noop.submit(wait_for=[a])
        state = source(return_state=True)
        inc(state)  # a direct call given a state
        total.submit([a, a]).wait()  # a future inside a list counts once

    ordered()
    ids, inputs = _ids(record), _inputs(record)
    assert inputs["noop-1"] == {"wait_for": [ids["source-0"]]}
    assert inputs["inc-3"] == {"x": [ids["source-2"]]}
    assert inputs["total-4"] == {"xs": [ids["source-0"]]}


def test_mapped_runs_each_record_their_own_upstream(record):
    @flow
    def mapped() -> list[int]:
        a = source.submit()
        firsts = inc.map([1, 2, 3])
        return add.map(firsts, unmapped(a)).result()

    assert mapped() == [3, 4, 5]
    ids, inputs = _ids(record), _inputs(record)
    for i, name in enumerate(("add-4", "add-5", "add-6")):
        assert inputs[name] == {"x": [ids[f"inc-{i + 1}"]], "y": [ids["source-0"]]}
    assert all(inputs[f"inc-{i}"] is None for i in (1, 2, 3))


def test_independent_tasks_record_no_edges(record):
    @flow
    def flat() -> None:
        for i in range(3):
            inc.submit(i)
        inc(5)
        total([1, 2])  # a container of plain values is no edge

    flat()
    assert set(_inputs(record).values()) == {None}


def test_async_tasks_record_their_inputs(record):
    import asyncio

    @task
    async def twice(x: int) -> int:
        return 2 * x

    @flow
    async def flowing() -> int:
        first = await twice(1, return_state=True)
        return await twice(first)

    assert asyncio.run(flowing()) == 4
    ids, inputs = _ids(record), _inputs(record)
    assert inputs["twice-1"] == {"x": [ids["twice-0"]]}
