"""The kinds of things plugins contribute: which hook, how each item is checked and named."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NamedTuple

from cadenza.task_runners.base import TaskRunner
from cadenza.tasks import Task

_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def kebab(name: str) -> str:
    """``S3Bucket`` → ``s3-bucket``, ``GCSBucket`` → ``gcs-bucket``."""
    return _WORD_BOUNDARY.sub("-", name).lower()


class Kind(NamedTuple):
    """One contribution hook: ``entry(item) -> (name, value)`` raises TypeError/ValueError."""

    key: str
    hook: str
    noun: str
    entry: Callable[[Any], tuple[str, Any]]


def _class(item: Any, what: str) -> type:
    if not isinstance(item, type):
        raise TypeError(f"expected a {what} class, got {item!r}")
    return item


def _slug_attr(cls: type, *attrs: str) -> str:
    for attr in attrs:
        value = getattr(cls, attr, None)
        if isinstance(value, str):
            return value
    return kebab(cls.__name__)


def _block_type(item: Any) -> tuple[str, Any]:
    # lazily: pydantic loads only when blocks are used
    from cadenza.blocks.core import Block

    cls = _class(item, "block")
    if not issubclass(cls, Block) or cls is Block:
        raise TypeError(f"block type {cls.__qualname__} is not a cadenza Block subclass")
    return cls.get_block_type_slug(), cls  # its own _block_type_slug, else lower-kebab name


def _storage(item: Any) -> tuple[str, Any]:
    cls = _class(item, "storage backend")
    block_slug = getattr(cls, "get_storage_type_slug", None)  # a Block: as its to_ref() says
    slug = block_slug() if callable(block_slug) else _slug_attr(cls, "slug", "type")
    if not _SLUG.match(slug):
        raise ValueError(
            f"storage backend {cls.__qualname__} has slug {slug!r}; a slug is lower-case letters, "
            "digits, - or _"
        )
    missing = [m for m in ("read_path", "write_path", "exists", "delete") if not hasattr(cls, m)]
    if missing:
        raise TypeError(
            f"storage backend {cls.__qualname__} lacks {', '.join(missing)} "
            "(see cadenza.storage.StorageBackend)"
        )
    return slug, cls


def _task_runner(item: Any) -> tuple[str, Any]:

    cls = _class(item, "task runner")
    if not issubclass(cls, TaskRunner):
        raise TypeError(f"task runner {cls.__qualname__} is not a cadenza TaskRunner subclass")
    return _slug_attr(cls, "slug"), cls


def _task(item: Any) -> tuple[str, Any]:

    if not isinstance(item, Task):
        raise TypeError(f"expected a @task object, got {item!r}")
    return item.name, item


def _serializer(item: Any) -> tuple[str, Any]:
    if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)):
        raise TypeError(f"expected a (name, factory) pair, got {item!r}")
    name, factory = item
    if not callable(factory):
        raise TypeError(f"the factory of serializer {name!r} is not callable: {factory!r}")
    return name.strip().lower(), factory


def _worker_type(item: Any) -> tuple[str, Any]:
    # lazily: the worker modules load only when worker types are looked up
    from cadenza.workers.base import BaseWorker

    cls = _class(item, "worker")
    if not issubclass(cls, BaseWorker) or cls is BaseWorker:
        raise TypeError(f"worker type {cls.__qualname__} is not a cadenza BaseWorker subclass")
    slug = cls.type
    if not isinstance(slug, str) or not _SLUG.match(slug):
        raise ValueError(
            f"worker {cls.__qualname__} has type {slug!r}; a type is lower-case letters, "
            "digits, - or _"
        )
    return slug, cls


KINDS: tuple[Kind, ...] = (
    Kind("block_types", "register_block_types", "block type", _block_type),
    Kind("storage_backends", "register_storage_backends", "storage backend", _storage),
    Kind("task_runners", "register_task_runners", "task runner", _task_runner),
    Kind("tasks", "register_tasks", "task", _task),
    Kind("serializers", "register_serializers", "serializer", _serializer),
    Kind("worker_types", "register_worker_types", "worker type", _worker_type),
)
BY_KEY = {kind.key: kind for kind in KINDS}
