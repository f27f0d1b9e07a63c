"""Clients of the coordination server's HTTP API (docs/reference/http-api.md).

`cadenza.client.http.ApiClient` (synchronous) and `AsyncApiClient` are httpx clients with the
same route methods; `get_client()` makes one for the configured server, as Prefect's does.
`cadenza.client.spool` keeps what could not be sent in an on-disk journal. Importing this
package does not import httpx.
"""

from __future__ import annotations

from typing import Any


def get_client(sync_client: bool = False, **kwargs: Any) -> Any:
    """A client of ``CADENZA_API_URL``: async by default (``async with get_client() as c``),
    synchronous with ``sync_client=True``. ValueError when no server is configured."""
    # lazily: httpx loads only when a client is asked for
    from cadenza.client.http import get_client as make

    return make(sync_client=sync_client, **kwargs)


__all__ = ["get_client"]
