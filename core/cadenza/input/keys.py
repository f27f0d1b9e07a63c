"""The keys of a pause's flow-run inputs (Prefect's names): a paused run that waits for input
saves the input's JSON schema under ``<state name>-<pause key>-schema`` (and a description under
``...-description``); resuming it stores the input under ``...-response``."""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing

if TYPE_CHECKING:
    from typing import Any, Literal

    from cadenza.states import State

    Keyset = dict[Literal["description", "response", "schema"], str]
else:
    Keyset = dict


def keyset_from_base_key(base_key: str) -> Keyset:
    """``{"description", "response", "schema"}`` keys made from `base_key`."""
    return {
        "description": f"{base_key}-description",
        "response": f"{base_key}-response",
        "schema": f"{base_key}-schema",
    }


def keyset_from_paused_state(state: State[Any]) -> Keyset:
    """The keyset of a Paused (or Suspended) state: ``paused-<pause key>-...``."""
    if not state.is_paused():
        raise RuntimeError(f"{state.type.value!r} is unsupported.")
    base_key = f"{(state.name or '').lower()}-{state.state_details.pause_key}"
    return keyset_from_base_key(base_key)


__all__ = ["Keyset", "keyset_from_base_key", "keyset_from_paused_state"]
