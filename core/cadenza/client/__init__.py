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


def get_client(httpx_settings: dict[str, Any] | None = None, sync_client: bool = False) -> Any:
    """Prefect's ``get_client``: a client of the record, async by default (``async with
    get_client() as client``), synchronous with ``sync_client=True``. Without
    ``CADENZA_API_URL`` it reads and writes the embedded record; with it, the server."""
    # lazily: pydantic (and httpx, for a server) load only when a client is asked for
    from cadenza.client.orchestration import get_client as make

    return make(httpx_settings=httpx_settings, sync_client=sync_client)


__all__ = ["get_client"]
