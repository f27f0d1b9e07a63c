"""Every hook spec is implemented by the fixture plugin (`every_hook_plugin`), called by cadenza
with the arguments its spec names, and has an effect a test checks; the set of hook specs is the
set the fixture plugin implements and the set the reference documents."""

from __future__ import annotations

import inspect
import logging
import re
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import every_hook_plugin
import pytest

from cadenza import flow, get_run_logger, task
from cadenza.plugins import hookspecs, registry
from cadenza.task_runners import ReadyTaskRun, ThreadPoolTaskRunner
from cadenza.task_runners.remote import run_packed

ROOT = Path(__file__).resolve().parents[2]
HOOKS_REFERENCE = ROOT / "docs" / "reference" / "hooks.md"


def hook_specs() -> dict[str, Callable[..., Any]]:
    return {n: fn for n, fn in vars(hookspecs).items() if hasattr(fn, "cadenza_spec")}


def implemented(plugin: ModuleType) -> set[str]:
    return {n for n, fn in vars(plugin).items() if hasattr(fn, "cadenza_impl")}


def documented_in_reference() -> set[str]:
    """The hooks docs/reference/hooks.md renders: every ``::: cadenza.plugins.hookspecs.NAME``
    except the module's other members (the Serializer protocol, OBSERVER_HOOKS)."""
    directive = r"^::: cadenza\.plugins\.hookspecs\.(\w+)$"
    rendered = re.findall(directive, HOOKS_REFERENCE.read_text(), re.M)
    others = {n for n, value in vars(hookspecs).items() if not hasattr(value, "cadenza_spec")}
    return {name for name in rendered if name not in others}


def test_the_fixture_plugin_implements_exactly_the_hook_specs_the_reference_documents() -> None:
    specs = set(hook_specs())
    assert specs, "no hook specs found"
    assert implemented(every_hook_plugin) == specs
    assert documented_in_reference() == specs
    assert set(EFFECTS) == specs, "each hook needs an effect check below"


@pytest.fixture
def every_hook(plugin_manager: Any) -> ModuleType:
    """The process's plugin manager: the built-ins and the fixture plugin, calls forgotten."""
    every_hook_plugin.reset()
    info = plugin_manager.add_plugin(every_hook_plugin, "every-hook")
    assert info.error is None, info.error
    return every_hook_plugin


# -- what each hook does, checked through cadenza's own behaviour --------------------------------
EFFECTS: dict[str, Callable[[ModuleType], None]] = {}


def effect(hook: str) -> Callable[[Callable[[ModuleType], None]], Callable[[ModuleType], None]]:
    def register(check: Callable[[ModuleType], None]) -> Callable[[ModuleType], None]:
        EFFECTS[hook] = check
        return check

    return register


@task
def double(x: int) -> int:
    return 2 * x


@effect("register_block_types")
def _block_types(plugin: ModuleType) -> None:
    from cadenza.blocks.core import Block

    block_type = registry.block_types()["every-hook-block"]
    assert block_type.__name__ == "EveryHookBlock"
    block_type(token="every-hook-token").save("saved")
    loaded = Block.load("every-hook-block/saved")  # found by its slug, through the plugin
    assert type(loaded) is block_type
    assert loaded.token.get_secret_value() == "every-hook-token"


@effect("register_storage_backends")
def _storage_backends(plugin: ModuleType) -> None:
    from cadenza.results import load_run_result

    assert registry.storage_types()["every-hook-storage"] is plugin.EveryHookStorage

    @flow(persist_result=True, result_storage=plugin.EveryHookStorage())
    def stored() -> int:
        return 42

    state = stored(return_state=True)
    assert plugin.EveryHookStorage.blobs, "the result was not written to the plugin's storage"
    # read back through the reference, which names the storage by its slug
    assert load_run_result(state.state_details.flow_run_id) == 42


@effect("register_task_runners")
def _task_runners(plugin: ModuleType) -> None:
    runner_type = registry.task_runners()["every-hook-runner"]
    assert runner_type is plugin.EveryHookTaskRunner

    @flow(task_runner=runner_type(max_workers=2))
    def mapped() -> list[int]:
        return double.map([1, 2, 3]).result()

    assert mapped() == [2, 4, 6]


@effect("register_tasks")
def _tasks(plugin: ModuleType) -> None:
    registration = registry.registered("tasks")["every_hook_task"]
    assert registration.value is plugin.every_hook_task
    assert registration.plugin.name == "every-hook"

    @flow
    def uses_prebuilt() -> int:
        return registry.tasks()["every_hook_task"](4)

    assert uses_prebuilt() == 40


@effect("register_serializers")
def _serializers(plugin: ModuleType) -> None:
    from cadenza.results import load_run_result
    from cadenza.serializers import get_serializer

    assert isinstance(get_serializer("Every-Hook"), plugin.EveryHookSerializer)  # any case

    @flow(persist_result=True, result_serializer="every-hook")
    def serialized() -> dict:
        return {"answer": 42}

    state = serialized(return_state=True)
    assert {"answer": 42} in plugin.EveryHookSerializer.dumped
    assert load_run_result(state.state_details.flow_run_id) == {"answer": 42}


@effect("register_worker_types")
def _worker_types(plugin: ModuleType) -> None:
    from cadenza.workers import get_worker_class
    from cadenza.workers.process import ProcessWorker

    worker_type = get_worker_class("every-hook-worker")  # through cadenza.registries
    assert worker_type.__name__ == "EveryHookWorker" and issubclass(worker_type, ProcessWorker)
    assert registry.worker_types()["every-hook-worker"] is worker_type
    assert get_worker_class("process") is ProcessWorker
    worker = worker_type("some-pool", name="w1", limit=2)
    assert (worker.type, worker.name, worker.limit) == ("every-hook-worker", "w1", 2)


@effect("on_flow_run_state")
def _flow_run_states(plugin: ModuleType) -> None:
    @flow
    def observed() -> int:
        return 1

    state = observed(return_state=True)
    calls = plugin.CALLS["on_flow_run_state"]
    transitions = [
        (c["old_state"].type.value if c["old_state"] else None, c["new_state"].type.value)
        for c in calls
    ]
    assert transitions == [(None, "PENDING"), ("PENDING", "RUNNING"), ("RUNNING", "COMPLETED")]
    assert {c["flow_run"].id for c in calls} == {state.state_details.flow_run_id}
    assert calls[-1]["flow_run"].state is calls[-1]["new_state"]  # the run carries it already


@effect("on_task_run_state")
def _task_run_states(plugin: ModuleType) -> None:
    futures = []

    @flow
    def observed() -> int:
        futures.append(double.submit(5))
        return futures[0].result()

    assert observed() == 10
    calls = plugin.CALLS["on_task_run_state"]
    assert {c["task_run"].id for c in calls} == {futures[0].task_run_id}
    assert [c["new_state"].type.value for c in calls][-2:] == ["RUNNING", "COMPLETED"]
    assert calls[0]["old_state"] is None
    assert all(c["task_run"].kind == "task" for c in calls)


@effect("on_log")
def _logs(plugin: ModuleType) -> None:
    seen = {}

    @task
    def chatty() -> None:
        from cadenza.context import TaskRunContext

        seen["task_run_id"] = TaskRunContext.get().task_run.id
        get_run_logger().warning("every hook says %s", "hello")

    @flow
    def logging_flow() -> None:
        chatty()

    before = time.time()
    state = logging_flow(return_state=True)
    (call,) = [c for c in plugin.CALLS["on_log"] if c["message"] == "every hook says hello"]
    assert call["flow_run_id"] == state.state_details.flow_run_id
    assert call["task_run_id"] == seen["task_run_id"]
    assert call["level"] == logging.WARNING
    assert call["logger"].startswith("cadenza")
    assert before <= call["timestamp"] <= time.time()


class _PackingRunner(ThreadPoolTaskRunner):
    """Packs each run as a runner for other processes does, and runs the package here."""

    launches_elsewhere = True

    def launch(self, ready: ReadyTaskRun) -> None:
        ready.collect(run_packed(ready.payload()))


@task
def carried_context() -> dict[str, str] | None:
    from cadenza.context import TaskRunContext

    context = TaskRunContext.get()
    assert context is not None
    return context.task_run.trace_context


@effect("run_trace_context")
def _trace_context(plugin: ModuleType) -> None:
    @flow(task_runner=_PackingRunner())
    def packing() -> Any:
        return carried_context.submit().result()

    state = packing(return_state=True)
    flow_run_id = state.state_details.flow_run_id
    # the packed task run carried its submitter's (the flow run's) trace context to the worker
    assert state.result() == {
        "traceparent": f"00-{plugin.TRACE_ID}-00f067aa0ba902b7-01",
        "tracestate": f"run={flow_run_id}",
    }
    assert plugin.CALLS["run_trace_context"] == [{"run_id": flow_run_id}]


@pytest.mark.parametrize("hook", sorted(hook_specs()))
def test_each_hook_is_called_with_its_arguments_and_has_its_effect(
    hook: str, every_hook: ModuleType
) -> None:
    EFFECTS[hook](every_hook)
    calls = every_hook.CALLS[hook]
    assert calls, f"cadenza never called {hook}"
    arguments = set(inspect.signature(hook_specs()[hook]).parameters)
    for call in calls:
        assert set(call) == arguments


def test_contribution_hooks_are_called_once_per_plugin_manager(every_hook: ModuleType) -> None:
    for _ in range(2):
        registry.block_types(), registry.storage_types(), registry.task_runners()
        registry.tasks(), registry.serializers(), registry.worker_types()
    asked = (*hookspecs.OBSERVER_HOOKS, *hookspecs.CONTEXT_HOOKS)
    contributions = [n for n in hook_specs() if n not in asked]
    assert {n: len(every_hook.CALLS[n]) for n in contributions} == dict.fromkeys(contributions, 1)
