"""Prefect's future names and helpers: `resolve_futures_to_states` / `..._to_results` over
nested collections, the future class names code imports for isinstance checks and type hints,
and `ConcurrentTaskRunner`. Prefect 3.9.1: both helpers walk lists, tuples, sets and dicts and
wait for each future; `ThreadPoolTaskRunner.submit` returns a `PrefectConcurrentFuture`."""

from __future__ import annotations

from collections import namedtuple

import pytest

from cadenza import flow, task
from cadenza.futures import (
    PrefectConcurrentFuture,
    PrefectFuture,
    PrefectTaskRunFuture,
    resolve_futures_to_results,
    resolve_futures_to_states,
)
from cadenza.states import State
from cadenza.task_runners import ConcurrentTaskRunner, ThreadPoolTaskRunner

Pair = namedtuple("Pair", "left right")


@task
def square(x: int) -> int:
    if x < 0:
        raise ValueError("negative")
    return x * x


def test_futures_anywhere_in_a_collection_resolve_to_results_and_states() -> None:
    @flow(task_runner=ConcurrentTaskRunner(max_workers=4))
    def nested() -> tuple:
        a, b, c = square.submit(2), square.submit(3), square.submit(-1)
        assert isinstance(a, PrefectConcurrentFuture) and isinstance(a, PrefectTaskRunFuture)
        assert isinstance(a, PrefectFuture)
        shape = {"list": [a, (b, {a})], "pair": Pair(a, 7), "plain": "text"}
        results = resolve_futures_to_results(shape)
        states = resolve_futures_to_states({"ok": a, "bad": [c]})
        with pytest.raises(ValueError, match="negative"):
            resolve_futures_to_results([c])
        return results, states

    results, states = nested()
    assert results == {"list": [4, (9, {4})], "pair": Pair(4, 7), "plain": "text"}
    assert isinstance(results["pair"], Pair)
    assert isinstance(states["ok"], State) and states["ok"].is_completed()
    assert states["bad"][0].is_failed()


def test_concurrent_task_runner_is_the_thread_pool() -> None:
    assert ConcurrentTaskRunner is ThreadPoolTaskRunner
