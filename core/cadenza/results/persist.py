"""Writing a completed run's result: choose storage, serializer and key; sign; store."""

from __future__ import annotations

import os
import re
from typing import Any

from cadenza._options import flow_result_options
from cadenza.blocks.exceptions import BlockNotFoundError, BlockTypeNotFoundError
from cadenza.context import FlowRunContext
from cadenza.results.envelope import seal
from cadenza.results.refs import ResultRef
from cadenza.results.signing import signing_key
from cadenza.serializers import get_serializer, serializer_name
from cadenza.settings import spec
from cadenza.states import _NO_RESULT, State
from cadenza.storage import StorageBackend, describe, validate_key

# A saved block's name as Prefect writes it: "<block-type-slug>/<block-name>" (block names are
# lowercase letters, digits, - and _; see cadenza.blocks.core.NAME).
_BLOCK_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*/[a-z0-9][a-z0-9_-]*$")


def resolve_storage(value: Any = None) -> Any:
    """The storage backend for a ``result_storage`` option.

    None → ``CADENZA_RESULTS_DEFAULT_STORAGE``, else `LocalFileSystem()` (``$CADENZA_HOME/storage``
    or ``CADENZA_LOCAL_STORAGE_PATH``). A string is a filesystem path (absolute, ``~...``,
    ``./...``, or a bare directory name); a ``"block-type/block-name"`` string (such as
    ``"local-file-system/results"``) names a saved storage block, which is loaded, unless a
    directory of that relative path exists. Objects must implement
    `cadenza.storage.StorageBackend`. A block name that names no saved block is a `ValueError`
    naming it.
    """
    # lazily: pydantic (LocalFileSystem is a block) loads only when needed
    from cadenza.filesystems import LocalFileSystem

    if value is None:
        value = spec.get("CADENZA_RESULTS_DEFAULT_STORAGE")
        if value is None:
            return LocalFileSystem()
    if isinstance(value, os.PathLike):
        return LocalFileSystem(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise ValueError("result_storage is an empty string; give a path or a storage object")
        if _BLOCK_NAME.match(text) and not os.path.isdir(text):
            return _load_storage_block(text, value)
        return LocalFileSystem(text)

    if not isinstance(value, StorageBackend):
        raise TypeError(
            f"result_storage must be a path or a storage backend with read_path, write_path, "
            f"exists, delete and list_keys; got {value!r}"
        )
    return value


def _load_storage_block(name: str, value: Any) -> Any:
    """The saved storage block ``name`` (``block-type/block-name``)."""
    # lazily: pydantic loads only when blocks are used
    from cadenza.blocks.core import Block

    try:
        block = Block.load(name, _sync=True)  # type: ignore[call-arg]  # sync even in async code
    except (BlockNotFoundError, BlockTypeNotFoundError) as exc:
        raise ValueError(
            f"result_storage={value!r} names a saved block (block-type/name), but: {exc}. For a "
            f"directory instead, write './{name}' or an absolute path"
        ) from None
    if not isinstance(block, StorageBackend):
        raise TypeError(
            f"result_storage={value!r} names a saved {type(block).__name__} block, which is not "
            "a storage backend (read_path, write_path, exists, delete, list_keys)"
        )
    return block


def storage_key(owner: Any, run: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """The key of this run's result: ``result_storage_key`` formatted, or the run id."""

    template = getattr(owner, "result_storage_key", None)
    if template is None:
        return validate_key(run.id)
    fields = _fields(owner, run, args, kwargs)
    try:
        key = template.format(**fields)
    except (KeyError, IndexError, AttributeError) as exc:
        raise ValueError(
            f"result_storage_key {template!r} names {exc}, which is not available; use "
            "{parameters[name]}, {run_id}, {task_run.<field>} or {flow_run.<field>}"
        ) from None
    return validate_key(key)


def _fields(owner: Any, run: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    if run.kind == "task":
        parameters = owner.bind(args, kwargs)

        ctx = FlowRunContext.get()
        flow_run = ctx.flow_run if ctx is not None else None
        task_run = run
    else:
        bound = owner.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        parameters = dict(bound.arguments)
        flow_run, task_run = run, None
    return {"parameters": parameters, "run_id": run.id, "task_run": task_run, "flow_run": flow_run}


def persist_state(
    owner: Any, run: Any, state: State[Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> State[Any]:
    """Serialize, sign and store ``state``'s result; return the state with its ``result_ref``.

    The in-memory value is kept only if ``owner.cache_result_in_memory``. Any failure (an
    unserializable value, an unsafe key, a storage error) raises, and the lifecycle fails the run.
    """

    storage_option, serializer_option = owner.result_storage, owner.result_serializer
    if storage_option is None or serializer_option is None:  # a task inherits its flow run's
        inherited = flow_result_options() if run.kind == "task" else None
        if inherited is not None:
            storage_option = storage_option if storage_option is not None else inherited[1]
            serializer_option = serializer_option if serializer_option is not None else inherited[2]
    storage = resolve_storage(storage_option)
    key = storage_key(owner, run, args, kwargs)
    ref = store_value(state.data, storage, key, serializer_option)
    keep = getattr(owner, "cache_result_in_memory", True)
    return state.copy(result_ref=ref, data=state.raw_data if keep else _NO_RESULT)


def store_value(value: Any, storage: Any, key: str, serializer_option: Any = None) -> str:
    """Serialize ``value``, sign it and write it to ``storage`` under ``key``; return the
    result reference that `cadenza.results.load_result` reads it back from.

    ``serializer_option`` is a serializer or its name (None: the default serializer). Any
    failure raises: an unserializable value, a storage that cannot describe itself, a storage
    error.
    """
    serializer = get_serializer(serializer_option)
    description = describe(storage)
    name = serializer_name(serializer)
    payload = serializer.dumps(value)
    if not isinstance(payload, (bytes, bytearray)):
        raise TypeError(f"Serializer {name!r} returned {type(payload).__name__}, not bytes")
    storage.write_path(key, seal(bytes(payload), name, key, signing_key()))
    return ResultRef(description, key, name).dumps()


__all__ = ["persist_state", "resolve_storage", "storage_key", "store_value"]
