"""Reading and writing flow-run inputs (Prefect's `prefect.input.actions`): JSON values stored
per flow run under a key, on the server or in the embedded record (`cadenza.input.records`).
`flow_run_id` defaults to the flow run the caller is in. Each returns an awaitable when called
from async code (`cadenza._dispatch.dual`); the ``a``-prefixed forms always do."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cadenza._dispatch import async_form, dual
from cadenza.context import FlowRunContext
from cadenza.input.records import open_record

if TYPE_CHECKING:
    from collections.abc import Iterable

    from pydantic import BaseModel


def ensure_flow_run_id(flow_run_id: Any = None) -> str:
    """`flow_run_id` as a string, or the current flow run's id."""
    if flow_run_id:
        return str(flow_run_id)
    context = FlowRunContext.get()
    if context is None:
        raise RuntimeError("Must either provide a flow run ID or be within a flow run.")
    return context.flow_run.id


@dual
def create_flow_run_input(
    key: str, value: Any, flow_run_id: Any = None, sender: str | None = None
) -> None:
    """Store `value` (JSON) as input `key` of the flow run; `ObjectAlreadyExists` if it has one."""
    run_id = ensure_flow_run_id(flow_run_id)
    with open_record() as record:
        record.create(run_id, key, value, sender)


@dual
def create_flow_run_input_from_model(
    key: str, model_instance: BaseModel, flow_run_id: Any = None, sender: str | None = None
) -> None:
    """Store a pydantic model instance (as its JSON) as input `key` of the flow run."""
    if sender is None:
        context = FlowRunContext.get()
        if context is not None:
            sender = f"cadenza.flow-run.{context.flow_run.id}"
    value = model_instance.model_dump(mode="json")
    create_flow_run_input(key, value, flow_run_id=flow_run_id, sender=sender, _sync=True)  # type: ignore[call-arg]  # sync even in async code


@dual
def read_flow_run_input(key: str, flow_run_id: Any = None) -> Any:
    """The value of input `key` of the flow run, or None if it has none."""
    run_id = ensure_flow_run_id(flow_run_id)
    with open_record() as record:
        found = record.read(run_id, key)
    return None if found is None else found["value"]


@dual
def delete_flow_run_input(key: str, flow_run_id: Any = None) -> None:
    """Delete input `key` of the flow run (nothing happens if it has none)."""
    run_id = ensure_flow_run_id(flow_run_id)
    with open_record() as record:
        record.delete(run_id, key)


@dual
def filter_flow_run_input(
    key_prefix: str,
    limit: int = 1,
    exclude_keys: Iterable[str] | None = None,
    flow_run_id: Any = None,
) -> list[dict[str, Any]]:
    """The flow run's inputs whose key starts with `key_prefix`, oldest first: each a dict with
    ``key``, ``value`` (decoded), ``sender``, ``created``."""
    run_id = ensure_flow_run_id(flow_run_id)
    with open_record() as record:
        return record.filter(run_id, key_prefix, limit, exclude_keys or ())


acreate_flow_run_input = async_form(create_flow_run_input)
acreate_flow_run_input_from_model = async_form(create_flow_run_input_from_model)
aread_flow_run_input = async_form(read_flow_run_input)
adelete_flow_run_input = async_form(delete_flow_run_input)
afilter_flow_run_input = async_form(filter_flow_run_input)

__all__ = [
    "acreate_flow_run_input",
    "acreate_flow_run_input_from_model",
    "adelete_flow_run_input",
    "afilter_flow_run_input",
    "aread_flow_run_input",
    "create_flow_run_input",
    "create_flow_run_input_from_model",
    "delete_flow_run_input",
    "ensure_flow_run_id",
    "filter_flow_run_input",
    "read_flow_run_input",
]
