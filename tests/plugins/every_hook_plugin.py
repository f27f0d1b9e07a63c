"""A fixture plugin that implements every hook spec of `cadenza.plugins.hookspecs`.

It is a module, as an entry point names one, and records each call of each hook with the
keyword arguments it received (`CALLS`), so that tests/plugins/test_every_hook.py can check that
cadenza calls every hook, with what, and that what it contributes is used. A new hook spec needs
an implementation here and a check there, or test_every_hook.py fails naming it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any, ClassVar

from cadenza import hookimpl, task
from cadenza.task_runners import ThreadPoolTaskRunner

CALLS: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
"""hook name -> the keyword arguments of each call, in order."""


def reset() -> None:
    CALLS.clear()
    EveryHookStorage.blobs.clear()
    EveryHookSerializer.dumped.clear()


# -- what the contribution hooks contribute ------------------------------------------------------


def _block_type() -> type:
    from pydantic import SecretStr

    from cadenza.blocks.core import Block

    class EveryHookBlock(Block):
        """A block type contributed by the every-hook fixture plugin."""

        _block_type_slug = "every-hook-block"

        token: SecretStr

    return EveryHookBlock


class EveryHookStorage:
    """Result storage in this process's memory, shared by every instance."""

    slug = "every-hook-storage"
    blobs: ClassVar[dict[str, bytes]] = {}

    def read_path(self, key: str) -> bytes:
        try:
            return self.blobs[key]
        except KeyError:
            raise FileNotFoundError(key) from None

    def write_path(self, key: str, data: bytes) -> None:
        self.blobs[key] = data

    def exists(self, key: str) -> bool:
        return key in self.blobs

    def delete(self, key: str) -> None:
        self.blobs.pop(key, None)

    def list_keys(self, prefix: str = "") -> list[str]:
        return sorted(key for key in self.blobs if key.startswith(prefix))

    def to_ref(self) -> dict[str, Any]:
        return {"type": self.slug}

    @classmethod
    def from_ref(cls, ref: dict[str, Any]) -> EveryHookStorage:
        return cls()


class EveryHookTaskRunner(ThreadPoolTaskRunner):
    """The thread pool, under a slug of its own."""

    slug = "every-hook-runner"


class EveryHookSerializer:
    """JSON with a marker in front, so that a stored result shows which serializer wrote it."""

    type = "every-hook"
    dumped: ClassVar[list[Any]] = []

    def dumps(self, obj: Any) -> bytes:
        self.dumped.append(obj)
        return b"every-hook:" + json.dumps(obj).encode()

    def loads(self, data: bytes) -> Any:
        return json.loads(data.removeprefix(b"every-hook:"))


def _worker_type() -> type:
    from cadenza.workers.process import ProcessWorker

    class EveryHookWorker(ProcessWorker):
        """The process worker, under a type of its own."""

        type = "every-hook-worker"

    return EveryHookWorker


@task(name="every_hook_task")
def every_hook_task(x: int) -> int:
    """A prebuilt task contributed by the every-hook fixture plugin."""
    return x * 10


# -- the hooks ----------------------------------------------------------------------------------


@hookimpl
def register_block_types() -> list[type]:
    CALLS["register_block_types"].append({})
    return [_block_type()]


@hookimpl
def register_storage_backends() -> list[type]:
    CALLS["register_storage_backends"].append({})
    return [EveryHookStorage]


@hookimpl
def register_task_runners() -> list[type]:
    CALLS["register_task_runners"].append({})
    return [EveryHookTaskRunner]


@hookimpl
def register_tasks() -> list[Any]:
    CALLS["register_tasks"].append({})
    return [every_hook_task]


@hookimpl
def register_serializers() -> list[tuple[str, Any]]:
    CALLS["register_serializers"].append({})
    return [("every-hook", EveryHookSerializer)]


@hookimpl
def register_worker_types() -> list[type]:
    CALLS["register_worker_types"].append({})
    return [_worker_type()]


@hookimpl
def on_flow_run_state(flow_run: Any, old_state: Any, new_state: Any) -> None:
    CALLS["on_flow_run_state"].append(
        {"flow_run": flow_run, "old_state": old_state, "new_state": new_state}
    )


@hookimpl
def on_task_run_state(task_run: Any, old_state: Any, new_state: Any) -> None:
    CALLS["on_task_run_state"].append(
        {"task_run": task_run, "old_state": old_state, "new_state": new_state}
    )


@hookimpl
def on_log(
    flow_run_id: str | None,
    task_run_id: str | None,
    level: int,
    logger: str,
    message: str,
    timestamp: float,
) -> None:
    CALLS["on_log"].append(
        {
            "flow_run_id": flow_run_id,
            "task_run_id": task_run_id,
            "level": level,
            "logger": logger,
            "message": message,
            "timestamp": timestamp,
        }
    )


TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


@hookimpl
def run_trace_context(run_id: str) -> dict[str, str] | None:
    CALLS["run_trace_context"].append({"run_id": run_id})
    return {"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01", "tracestate": f"run={run_id}"}
