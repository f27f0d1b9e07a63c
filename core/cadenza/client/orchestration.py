"""Prefect's client, at Prefect's path: ``from cadenza.client.orchestration import get_client``.

    async with get_client() as client:
        runs = await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(
                type=FlowRunFilterStateType(any_=[StateType.FAILED]))),
            sort=FlowRunSort.START_TIME_DESC, limit=3)

    with get_client(sync_client=True) as client:
        client.set_flow_run_state(run.id, Cancelled())

Without ``CADENZA_API_URL`` the client reads and writes the embedded record under
``CADENZA_HOME`` (no server to start, as Prefect's falls back to a temporary one); with it, the
server. Both answer through one interface (`SyncCadenzaClient` over `EmbeddedRecord` or
`HttpRecord`); `CadenzaClient`, the async form, runs each call in a worker thread.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from cadenza.client.prefect_client import SyncCadenzaClient

_PREFECT_METHODS = frozenset(
    name for name in vars(SyncCadenzaClient) if not name.startswith("_") and name != "close"
)


def _record(httpx_settings: dict[str, Any] | None) -> Any:
    # lazily: each record imports its own stack (SQLAlchemy for the embedded one, httpx for
    # a server); a client needs one of them
    from cadenza.client.remote import server_configured

    if server_configured():
        # lazily: httpx loads only when a server is configured
        from cadenza.client.http import client_from_settings
        from cadenza.client.http_record import HttpRecord

        return HttpRecord(client_from_settings(**_httpx_options(httpx_settings)))
    # lazily: SQLAlchemy loads only for the embedded record
    from cadenza.client.embedded_record import EmbeddedRecord

    return EmbeddedRecord()


def _httpx_options(httpx_settings: dict[str, Any] | None) -> dict[str, Any]:
    """What of Prefect's ``httpx_settings`` the API client takes: ``timeout`` (seconds); the
    other httpx options are not the API client's to change and are left alone."""
    timeout = (httpx_settings or {}).get("timeout")
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool):
        return {"timeout": float(timeout)}
    return {}


class CadenzaClient:
    """The async form of `SyncCadenzaClient` (Prefect's ``PrefectClient``): the same methods,
    each returning an awaitable; ``async with get_client() as client``."""

    def __init__(self, sync: SyncCadenzaClient) -> None:
        self._sync = sync
        self._native: Any = None

    @property
    def sync_client(self) -> SyncCadenzaClient:
        """The synchronous client this one runs each call of in a worker thread."""
        return self._sync

    async def __aenter__(self) -> CadenzaClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._native is not None:
            await self._native.aclose()
        await asyncio.to_thread(self._sync.close)

    def __enter__(self) -> CadenzaClient:
        raise RuntimeError(
            "The async client is used with 'async with get_client() as client'; "
            "use get_client(sync_client=True) in synchronous code"
        )

    def __exit__(self, *exc: object) -> None:  # pragma: no cover - __enter__ refuses
        return None

    def __getattr__(self, name: str) -> Any:
        if name in _PREFECT_METHODS:
            method = getattr(self._sync, name)

            @functools.wraps(method)
            async def call(*args: Any, **kwargs: Any) -> Any:
                return await asyncio.to_thread(method, *args, **kwargs)

            return call
        api = getattr(self._sync.record, "api", None)
        if api is not None and not name.startswith("_"):  # the server's routes, async
            if self._native is None:
                # lazily: the async httpx client is made only when a route method is asked for
                from cadenza.client.http import AsyncApiClient

                self._native = AsyncApiClient(api.url.removesuffix("/api"), api_key=_key(api))
            return getattr(self._native, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *_PREFECT_METHODS})


def _key(api: Any) -> str | None:
    header = api._http.headers.get("Authorization", "")
    return header.removeprefix("Bearer ") or None


def get_client(
    httpx_settings: dict[str, Any] | None = None, sync_client: bool = False
) -> CadenzaClient | SyncCadenzaClient:
    """A client of the record (see the module docstring): `CadenzaClient` (async) by default,
    `SyncCadenzaClient` with ``sync_client=True``. `httpx_settings` is Prefect's; only its
    ``timeout`` means something here (a server's request timeout, in seconds)."""
    sync = SyncCadenzaClient(_record(httpx_settings))
    return sync if sync_client else CadenzaClient(sync)


PrefectClient = CadenzaClient
SyncPrefectClient = SyncCadenzaClient

__all__ = ["CadenzaClient", "PrefectClient", "SyncCadenzaClient", "SyncPrefectClient", "get_client"]
