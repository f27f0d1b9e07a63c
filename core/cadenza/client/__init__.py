"""Clients of the record: Prefect's `get_client` (`cadenza.client.orchestration`) and the
HTTP API's (docs/reference/http-api.md).

`get_client()` answers Prefect's methods (``read_flow_runs``, ``set_flow_run_state``, ...) over
the embedded record, or over the server when ``CADENZA_API_URL`` is set.
`cadenza.client.http.ApiClient` (synchronous) and `AsyncApiClient` are httpx clients of the
server's routes; `cadenza.client.spool` keeps what could not be sent in an on-disk journal.
Importing this package imports nothing (`cadenza.client.slots` is imported by `import cadenza`).
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing

if TYPE_CHECKING:
    from typing import Any

    from cadenza.client.orchestration import get_client as get_client


def __getattr__(name: str) -> Any:
    if name == "get_client":  # lazily: pydantic (and httpx, for a server) load when asked for
        from cadenza.client.orchestration import get_client

        return get_client
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["get_client"]
