"""The core's own features, registered through the same hooks as any collection's.

`BUILTIN_PLUGINS` is the one list of them. Each is its own plugin, so that one failing (say, a
module it needs is missing) is reported by name while the others still load.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cadenza.plugins.markers import hookimpl
from cadenza.serializers import CloudPickleSerializer, JSONSerializer, PickleSerializer
from cadenza.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner

if TYPE_CHECKING:
    from collections.abc import Callable


class TaskRunners:
    """The thread pool (the default task runner) and the process pool."""

    @hookimpl
    def register_task_runners(self) -> list[type]:

        return [ThreadPoolTaskRunner, ProcessPoolTaskRunner]


class LocalStorage:
    """`cadenza.filesystems.LocalFileSystem`: results in a directory on this machine — a
    storage backend, and a block type so that it can be saved and loaded by name."""

    @hookimpl
    def register_storage_backends(self) -> list[type]:
        # lazily: pydantic (LocalFileSystem is a block) loads only when needed
        from cadenza.filesystems import LocalFileSystem

        return [LocalFileSystem]

    @hookimpl
    def register_block_types(self) -> list[type]:
        # lazily: pydantic (LocalFileSystem is a block) loads only when needed
        from cadenza.filesystems import LocalFileSystem

        return [LocalFileSystem]


class Serializers:
    """The ``pickle``, ``cloudpickle`` and ``json`` result serializers."""

    @hookimpl
    def register_serializers(self) -> list[tuple[str, Callable[[], Any]]]:

        return [
            ("pickle", PickleSerializer),
            ("cloudpickle", CloudPickleSerializer),
            ("json", JSONSerializer),
        ]


class SystemBlocks:
    """The `Secret` block, and the notification blocks automations send through."""

    @hookimpl
    def register_block_types(self) -> list[type]:
        # lazily: pydantic loads only when blocks are used
        from cadenza.blocks.notifications import CustomWebhookNotificationBlock
        from cadenza.blocks.system import Secret
        from cadenza.blocks.webhook import Webhook

        return [Secret, CustomWebhookNotificationBlock, Webhook]


class Workers:
    """`cadenza.workers.process.ProcessWorker`: the ``process`` work-pool type."""

    @hookimpl
    def register_worker_types(self) -> list[type]:
        # lazily: the worker modules load only when worker types are looked up
        from cadenza.workers.process import ProcessWorker

        return [ProcessWorker]


#: (plugin name, plugin class), registered in this order before any entry-point plugin.
BUILTIN_PLUGINS: tuple[tuple[str, type], ...] = (
    ("builtin.task_runners", TaskRunners),
    ("builtin.storage", LocalStorage),
    ("builtin.serializers", Serializers),
    ("builtin.blocks", SystemBlocks),
    ("builtin.workers", Workers),
)


__all__ = [
    "BUILTIN_PLUGINS",
    "LocalStorage",
    "Serializers",
    "SystemBlocks",
    "TaskRunners",
    "Workers",
]
