"""Flow-run inputs: what a paused flow run waits for (`RunInput`), and the key-value inputs
stored per flow run (Prefect's `prefect.input`).

The names load on first use (`RunInput` imports pydantic), so that `cadenza.flow_runs` can use
the key helpers without it.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing

if TYPE_CHECKING:
    from cadenza.input.actions import (
        create_flow_run_input as create_flow_run_input,
    )
    from cadenza.input.actions import (
        create_flow_run_input_from_model as create_flow_run_input_from_model,
    )
    from cadenza.input.actions import delete_flow_run_input as delete_flow_run_input
    from cadenza.input.actions import filter_flow_run_input as filter_flow_run_input
    from cadenza.input.actions import read_flow_run_input as read_flow_run_input
    from cadenza.input.inbox import GetInputHandler as GetInputHandler
    from cadenza.input.keys import Keyset as Keyset
    from cadenza.input.keys import keyset_from_base_key as keyset_from_base_key
    from cadenza.input.keys import keyset_from_paused_state as keyset_from_paused_state
    from cadenza.input.run_input import AutomaticRunInput as AutomaticRunInput
    from cadenza.input.run_input import RunInput as RunInput
    from cadenza.input.run_input import RunInputMetadata as RunInputMetadata
    from cadenza.input.run_input import asend_input as asend_input
    from cadenza.input.run_input import receive_input as receive_input
    from cadenza.input.run_input import send_input as send_input

_WHERE = {
    "AutomaticRunInput": "run_input",
    "acreate_flow_run_input": "actions",
    "acreate_flow_run_input_from_model": "actions",
    "adelete_flow_run_input": "actions",
    "afilter_flow_run_input": "actions",
    "aread_flow_run_input": "actions",
    "GetInputHandler": "inbox",
    "asend_input": "run_input",
    "receive_input": "run_input",
    "send_input": "run_input",
    "Keyset": "keys",
    "RunInput": "run_input",
    "RunInputMetadata": "run_input",
    "create_flow_run_input": "actions",
    "create_flow_run_input_from_model": "actions",
    "delete_flow_run_input": "actions",
    "filter_flow_run_input": "actions",
    "keyset_from_base_key": "keys",
    "keyset_from_paused_state": "keys",
    "read_flow_run_input": "actions",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> object:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'cadenza.input' has no attribute {name!r}")
    # lazily: RunInput imports pydantic; the keys and actions do not
    return getattr(importlib.import_module(f"cadenza.input.{module}"), name)
