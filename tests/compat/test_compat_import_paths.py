"""Prefect 3 import paths and names that real code uses, at cadenza's same paths:
``cadenza.utilities.*``, ``cadenza.runtime.{flow_run,task_run,deployment}``,
``cadenza.concurrency.{sync,asyncio}`` and a task runner given as a class.

Each behaviour was checked against Prefect 3.9.1 (noted at each test)."""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import json
import textwrap
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

import cadenza
from cadenza import flow, task


# Prefect 3.9.1: `prefect.utilities.annotations` holds quote, opaque, unmapped, allow_failure,
# BaseAnnotation, NotSet (a class used as a marker) and the deprecated Quote.
def test_utilities_annotations_are_the_engines_own() -> None:
    from cadenza.utilities import annotations

    assert annotations.unmapped is cadenza.unmapped
    assert annotations.quote is cadenza.quote
    assert annotations.allow_failure is cadenza.allow_failure
    assert issubclass(annotations.opaque, annotations.BaseAnnotation)
    assert isinstance(annotations.NotSet, type)
    with pytest.warns(DeprecationWarning, match="quote"):
        quoted = annotations.Quote([1])
    assert isinstance(quoted, annotations.quote) and quoted.unwrap() == [1]


# Prefect 3.9.1: `opaque(x)` waits for a future and passes its result, but does not look for
# futures inside a collection it wraps (they reach the task unresolved); `quote` resolves
# nothing; a plain argument is resolved all the way down.
def test_opaque_resolves_the_top_level_future_only() -> None:
    from cadenza.futures import CadenzaFuture
    from cadenza.utilities.annotations import opaque, quote

    @task
    def make(n: int) -> dict[str, int]:
        return {"n": n}

    @task
    def inspect_arg(value: object) -> str:
        if isinstance(value, dict):
            return "dict"
        if isinstance(value, list):
            return "list of futures" if isinstance(value[0], CadenzaFuture) else "list"
        return type(value).__name__

    @flow
    def pipeline() -> list[str]:
        future = make.submit(1)
        return [
            inspect_arg(opaque(future)),
            inspect_arg(opaque([future])),
            inspect_arg([future]),
            inspect_arg(quote([future])),
        ]

    assert pipeline() == ["dict", "list of futures", "list", "list of futures"]


# Prefect 3.9.1: `stable_hash("a", b"b")` is the md5 hex of the concatenated bytes;
# `hash_objects` hashes (args, kwargs) and returns None for what it cannot serialize
# (HashError with raise_on_failure=True); `file_hash` hashes a file's bytes.
def test_utilities_hashing(tmp_path: Path) -> None:
    import hashlib

    from cadenza.utilities.hashing import HashError, file_hash, hash_objects, stable_hash

    assert stable_hash("a", b"b") == hashlib.md5(b"ab").hexdigest()
    assert stable_hash("a", hash_algo=hashlib.sha256) == hashlib.sha256(b"a").hexdigest()
    assert hash_objects({"b": 1, "a": [1, 2]}, x=1) == hash_objects({"a": [1, 2], "b": 1}, x=1)
    assert hash_objects(1) != hash_objects(2)
    assert hash_objects(dt.date(2024, 1, 1)) is not None  # not JSON: cloudpickled
    unpicklable = __import__("threading").Lock()
    assert hash_objects(unpicklable) is None
    with pytest.raises(HashError, match="Cannot hash"):
        hash_objects(unpicklable, raise_on_failure=True)
    path = tmp_path / "data.csv"
    path.write_bytes(b"a,b\n1,2\n")
    assert file_hash(str(path)) == hashlib.md5(b"a,b\n1,2\n").hexdigest()


# Prefect 3.9.1: `visit_collection(expr, fn, return_data=True)` rebuilds lists, tuples, sets,
# dicts (keys too), dataclasses and annotations from fn's answers; `max_depth` bounds the walk;
# `context=` passes a dict as fn's second argument; `remove_annotations` unwraps them.
def test_utilities_collections() -> None:
    import dataclasses

    from cadenza.utilities.annotations import quote
    from cadenza.utilities.collections import (
        AutoEnum,
        StopVisiting,
        batched_iterable,
        listrepr,
        visit_collection,
    )

    def double(x: object) -> object:
        return x * 2 if isinstance(x, int) else x

    assert visit_collection({"a": [1, (2, 3)]}, double, return_data=True) == {"a": [2, (4, 6)]}
    assert visit_collection([1, [2]], double, return_data=True, max_depth=1) == [2, [2]]
    assert visit_collection([1, quote([2])], double, return_data=True, remove_annotations=True) == [
        2,
        [4],
    ]
    kept = visit_collection([1, quote([2])], double, return_data=True)
    assert isinstance(kept[1], quote) and kept[1].unwrap() == [4]
    assert visit_collection({1, 2}, double, return_data=True) == {2, 4}

    @dataclasses.dataclass
    class Point:
        x: int

    assert visit_collection(Point(1), double, return_data=True) == Point(2)
    seen: list[tuple[object, object]] = []
    assert (
        visit_collection({"a": [1]}, lambda x, ctx: seen.append((x, ctx["k"])), context={"k": 7})
        is None
    )
    assert seen == [({"a": [1]}, 7), ("a", 7), ([1], 7), (1, 7)]

    def stop_at_lists(x: object) -> object:
        if isinstance(x, list):
            raise StopVisiting
        return double(x)

    assert visit_collection((1, [2]), stop_at_lists, return_data=True) == (2, [2])

    class Sort(AutoEnum):
        NAME = AutoEnum.auto()

    assert Sort.NAME == "NAME" and Sort.NAME.value == "NAME" and repr(Sort.NAME) == "Sort.NAME"
    assert list(batched_iterable(range(5), 2)) == [(0, 1), (2, 3), (4,)]
    assert listrepr([1, "a"]) == "1 a"


# Prefect 3.9.1: `prefect.utilities.asyncutils` has run_coro_as_sync, sync_compatible,
# is_async_fn and run_sync_in_worker_thread.
def test_utilities_asyncutils() -> None:
    from cadenza.utilities.asyncutils import (
        is_async_fn,
        run_coro_as_sync,
        run_sync_in_worker_thread,
    )

    async def answer() -> int:
        return 42

    assert run_coro_as_sync(answer()) == 42
    assert is_async_fn(answer) and not is_async_fn(len)
    assert asyncio.run(run_sync_in_worker_thread(sum, [1, 2])) == 3


FLOW_RUN = [
    "id", "tags", "scheduled_start_time", "name", "flow_name", "flow_version", "parameters",
    "parent_flow_run_id", "parent_deployment_id", "root_flow_run_id", "run_count", "api_url",
    "ui_url", "job_variables",
]  # fmt: skip
TASK_RUN = ["id", "tags", "name", "parameters", "run_count", "task_name", "api_url", "ui_url"]
DEPLOYMENT = ["id", "flow_run_id", "name", "parameters", "version"]


# Prefect 3.9.1: the runtime modules' `__all__` are these names; outside a run every attribute
# is None but tags ([]), parameters ({}), run_count (0) and scheduled_start_time (now, UTC);
# `from prefect.runtime import flow_run, task_run, deployment` works, `hasattr(m, "__path__")`
# is False (AttributeError, not another error), and `dir`, `inspect.getmembers` and
# `unittest.mock.patch` work on them; an unknown name raises AttributeError.
def test_runtime_modules_outside_a_run() -> None:
    from cadenza.runtime import deployment, flow_run, task_run

    for module, names in ((flow_run, FLOW_RUN), (task_run, TASK_RUN), (deployment, DEPLOYMENT)):
        assert set(names) <= set(module.__all__) and set(names) <= set(dir(module))
        assert not hasattr(module, "__path__") and not hasattr(module, "__wrapped__")
        assert module.__spec__ is not None and module.__file__.endswith(".py")
        members = dict(inspect.getmembers(module))
        assert set(names) <= set(members)
        with pytest.raises(AttributeError, match="no attribute 'nope'"):
            _ = module.nope
    empty = {"tags": [], "parameters": {}, "run_count": 0}
    for module, names in ((flow_run, FLOW_RUN), (task_run, TASK_RUN), (deployment, DEPLOYMENT)):
        for name in names:
            if name != "scheduled_start_time":
                assert getattr(module, name) == empty.get(name), (module.__name__, name)
    now = dt.datetime.now(dt.timezone.utc)
    assert abs((flow_run.scheduled_start_time - now).total_seconds()) < 5
    with mock.patch("cadenza.runtime.flow_run.name", "patched"):
        assert flow_run.name == "patched"
    assert flow_run.name is None
    namespace: dict[str, object] = {}
    exec("from cadenza.runtime.flow_run import *", namespace)
    assert namespace["parameters"] == {}


# Prefect 3.9.1: inside runs the attributes describe them: a subflow's parent_flow_run_id
# and root_flow_run_id, the task's parameters (defaults included), run counts, tags,
# job_variables {} outside a deployment, deployment.flow_run_id the flow run in progress.
def test_runtime_inside_flows_subflows_and_tasks() -> None:
    from cadenza.runtime import deployment, flow_run, task_run

    @task(tags=["io"])
    def load(path: str, retries: int = 2) -> dict:
        return {
            "parameters": task_run.parameters, "task_name": task_run.task_name,
            "run_count": task_run.run_count, "tags": task_run.tags,
            "root": flow_run.root_flow_run_id, "flow_run": flow_run.id,
        }  # fmt: skip

    @flow
    def child(path: str) -> dict:
        return {
            "id": flow_run.id, "parent": flow_run.parent_flow_run_id,
            "root": flow_run.root_flow_run_id, "task": load(path),
        }  # fmt: skip

    @flow(version="7")
    def parent(path: str = "s3://bucket") -> dict:
        return {
            "id": flow_run.id, "flow_version": flow_run.flow_version,
            "root": flow_run.root_flow_run_id, "parent": flow_run.parent_flow_run_id,
            "job_variables": flow_run.job_variables, "deployment_run": deployment.flow_run_id,
            "deployment": deployment.id, "scheduled": flow_run.scheduled_start_time,
            "child": child(path),
        }  # fmt: skip

    seen = parent()
    assert seen["root"] == seen["id"] and seen["parent"] is None and seen["flow_version"] == "7"
    assert seen["job_variables"] == {} and seen["deployment"] is None
    assert seen["deployment_run"] == seen["id"]
    assert isinstance(seen["scheduled"], dt.datetime) and seen["scheduled"].tzinfo is not None
    sub = seen["child"]
    assert sub["parent"] == seen["id"] and sub["root"] == seen["id"] and sub["id"] != seen["id"]
    assert sub["task"] == {
        "parameters": {"path": "s3://bucket", "retries": 2}, "task_name": "load",
        "run_count": 1, "tags": ["io"], "root": seen["id"], "flow_run": sub["id"],
    }  # fmt: skip


# Prefect 3.9.1: PREFECT__RUNTIME__FLOW_RUN__<NAME> sets an attribute for tests, cast to the
# type of its real value (run_count: int); cadenza reads CADENZA__RUNTIME__... and Prefect's.
def test_runtime_attributes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from cadenza.runtime import deployment, flow_run, task_run

    monkeypatch.setenv("CADENZA__RUNTIME__FLOW_RUN__RUN_COUNT", "3")
    monkeypatch.setenv("PREFECT__RUNTIME__TASK_RUN__NAME", "mocked")
    monkeypatch.setenv("CADENZA__RUNTIME__DEPLOYMENT__NAME", "nightly")
    assert flow_run.run_count == 3 and task_run.name == "mocked" and deployment.name == "nightly"
    monkeypatch.setenv("CADENZA__RUNTIME__FLOW_RUN__PARAMETERS", "{}")
    with pytest.raises(ValueError, match="patch it"):
        _ = flow_run.parameters


# Prefect 3.9.1: in a run started from a deployment, `deployment.id/name/version/parameters`
# describe the deployment and the run's parameters, `flow_run.job_variables` the run's job
# variables and `scheduled_start_time` when it was scheduled; a subflow still sees the
# deployment and has it as `parent_deployment_id`.
def test_runtime_in_a_deployment_run(tmp_path: Path) -> None:
    from cadenza.deployments import run_deployment
    from cadenza.deployments.deployment import RunnerDeployment
    from cadenza.deployments.execute import execute
    from cadenza.variables import Variable

    (tmp_path / "flows.py").write_text(textwrap.dedent("""
        from cadenza import flow
        from cadenza.runtime import deployment, flow_run
        from cadenza.variables import Variable

        @flow
        def sub():
            parent_deployment = flow_run.parent_deployment_id
            return {"deployment": deployment.name, "parent_deployment": parent_deployment}

        @flow
        def report(day: int = 1):
            seen = {
                "id": deployment.id, "name": deployment.name, "version": deployment.version,
                "parameters": deployment.parameters, "flow_run_id": deployment.flow_run_id,
                "run": flow_run.id, "job_variables": flow_run.job_variables,
                "scheduled": flow_run.scheduled_start_time.isoformat(), "sub": sub(),
            }
            Variable.set("seen", seen, overwrite=True)
    """))  # fmt: skip
    deployment_id = RunnerDeployment(
        name="nightly", flow_name="report", entrypoint="flows.py:report", path=str(tmp_path),
        version="1.2",
    ).apply()  # fmt: skip
    when = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    run = run_deployment("report/nightly", parameters={"day": 5}, timeout=0,
                         job_variables={"env": {"MODE": "fast"}}, scheduled_time=when)  # fmt: skip
    assert execute(run.id) == 0
    seen = json.loads(json.dumps(Variable.get("seen")))
    assert seen["id"] == deployment_id and seen["name"] == "nightly" and seen["version"] == "1.2"
    assert seen["parameters"] == {"day": 5} and seen["flow_run_id"] == seen["run"] == run.id
    assert seen["job_variables"] == {"env": {"MODE": "fast"}}
    assert dt.datetime.fromisoformat(seen["scheduled"]) == when
    assert seen["sub"] == {"deployment": "nightly", "parent_deployment": deployment_id}


def _shape(fn: Any) -> list[tuple[str, str, object]]:
    return [
        (p.name, p.kind.name, "<required>" if p.default is inspect.Parameter.empty else p.default)
        for p in inspect.signature(fn).parameters.values()
    ]


CONCURRENCY = [
    ("names", "POSITIONAL_OR_KEYWORD", "<required>"), ("occupy", "POSITIONAL_OR_KEYWORD", 1),
    ("timeout_seconds", "POSITIONAL_OR_KEYWORD", None),
    ("max_retries", "POSITIONAL_OR_KEYWORD", None),
    ("lease_duration", "POSITIONAL_OR_KEYWORD", 300), ("strict", "POSITIONAL_OR_KEYWORD", False),
    ("holder", "POSITIONAL_OR_KEYWORD", None),
    ("raise_on_lease_renewal_failure", "POSITIONAL_OR_KEYWORD", None),
]  # fmt: skip
RATE_LIMIT = [
    ("names", "POSITIONAL_OR_KEYWORD", "<required>"), ("occupy", "POSITIONAL_OR_KEYWORD", 1),
    ("timeout_seconds", "POSITIONAL_OR_KEYWORD", None), ("strict", "POSITIONAL_OR_KEYWORD", False),
]  # fmt: skip


# Prefect 3.9.1: inspect.signature of prefect.concurrency.sync/asyncio's `concurrency` and
# `rate_limit` gives these names, kinds and defaults (recorded from Prefect's venv); the
# asyncio forms are an async context manager and a coroutine function.
def test_concurrency_signatures_are_prefects() -> None:
    from cadenza.concurrency import asyncio as aconcurrency
    from cadenza.concurrency import sync

    for module in (sync, aconcurrency):
        assert _shape(module.concurrency) == CONCURRENCY, module.__name__
        assert _shape(module.rate_limit) == RATE_LIMIT, module.__name__
    assert inspect.iscoroutinefunction(aconcurrency.rate_limit)
    with pytest.raises(TypeError, match="create_if_missing"):
        sync.rate_limit("api", create_if_missing=True)  # type: ignore[call-arg]  # on purpose


# Prefect 3.9.1: `@flow(task_runner=ThreadPoolTaskRunner)` (the class) is instantiated; so
# is a class given through `with_options`.
def test_a_task_runner_given_as_a_class_is_instantiated() -> None:
    from cadenza.task_runners import ThreadPoolTaskRunner

    @task
    def double(x: int) -> int:
        return x * 2

    @flow(task_runner=ThreadPoolTaskRunner)
    def fan_out() -> list[int]:
        return [f.result() for f in double.map([1, 2, 3])]

    assert isinstance(fan_out.task_runner, ThreadPoolTaskRunner)
    assert fan_out() == [2, 4, 6]
    again = fan_out.with_options(task_runner=ThreadPoolTaskRunner)
    assert isinstance(again.task_runner, ThreadPoolTaskRunner) and again() == [2, 4, 6]
