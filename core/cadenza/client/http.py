"""`ApiClient`: a synchronous httpx client of the server's API v1 (docs/reference/http-api.md).

Every request is retried on connection errors, 429 and 5xx with exponential backoff and jitter,
waiting at least what a `Retry-After` header asks, for at most `retry_time` seconds in all; then
`ServerUnavailable` is raised. Other 4xx answers raise `ApiError` (`NotFound` for 404) with the
server's `detail`. `check_version` fails with `ServerIncompatible` when the URL is not a cadenza
server or speaks another API version.
"""

from __future__ import annotations

import email.utils
import random
import sys
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any, NoReturn

from cadenza.client.concurrency_routes import ConcurrencyRoutes
from cadenza.client.control_routes import ControlRoutes
from cadenza.client.deployment_routes import DeploymentRoutes
from cadenza.client.errors import ApiError, NotFound, ServerUnavailable
from cadenza.client.event_routes import EventRoutes
from cadenza.client.live import EventParser, parse_events, stream_request
from cadenza.client.pause_routes import PauseRoutes
from cadenza.client.record_routes import RecordRoutes
from cadenza.client.retention_routes import RetentionRoutes
from cadenza.client.ui_routes import UiRoutes
from cadenza.exceptions import ServerIncompatible
from cadenza.settings import spec


def _import_httpx() -> Any:  # the httpx module
    """``import httpx`` without its command-line tool.

    httpx's ``__init__`` imports ``httpx._main`` (its CLI: click, rich, pygments) whenever those
    are installed, as they are with cadenza: about 0.1 s of a flow's start-up against a server,
    a fifth of it, for a tool a library never calls. A ``None`` entry in ``sys.modules`` makes
    that import fail, and httpx then defines a stand-in ``main`` (the ``httpx`` command runs in
    its own process and is unaffected). The entry is removed again afterwards.
    """
    if "httpx" in sys.modules:
        return sys.modules["httpx"]
    blocked = "httpx._main" not in sys.modules
    if blocked:
        sys.modules["httpx._main"] = None  # type: ignore[assignment]  # None blocks it, see above
    try:
        import httpx
    finally:
        if blocked and sys.modules.get("httpx._main", 0) is None:
            del sys.modules["httpx._main"]
    return httpx


httpx = _import_httpx()

API_VERSION = 1

CONNECT_TIMEOUT = 10.0
"""At most this long to connect: a server that does not accept a connection is unreachable."""
_JSON_HEADERS = {"Content-Type": "application/json"}
_STREAM_TIMEOUT = httpx.Timeout(30.0, read=None)  # a quiet stream is normal: keep-alives
DEFAULT_RETRY_TIME = 10.0


def api_base(url: str) -> str:
    """The API root for `url`: ``http://host:4200`` and ``http://host:4200/api`` both name
    ``http://host:4200/api``."""
    url = url.rstrip("/")
    return url if url.endswith("/api") else f"{url}/api"


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds asked by a `Retry-After` header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def _tls_for(url: str) -> Any:
    """What httpx should verify TLS with: the default (certifi's CAs) for ``https://``; for a
    plain ``http://`` server, which never speaks TLS, a context that trusts nothing — it still
    verifies, so it fails closed if TLS were ever attempted, and it skips loading the CA bundle
    (about 50 ms of a flow's start-up)."""
    if url.startswith("https:"):
        return True
    import ssl

    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def _timeout(seconds: float | None) -> httpx.Timeout:
    """The client's timeouts: `seconds` (default `CADENZA_API_REQUEST_TIMEOUT`) for an answer,
    at most `CONNECT_TIMEOUT` of them to connect."""
    seconds = spec.get("CADENZA_API_REQUEST_TIMEOUT") if seconds is None else seconds
    return httpx.Timeout(seconds, connect=min(seconds, CONNECT_TIMEOUT))


def _present(params: dict[str, Any] | None) -> dict[str, Any] | None:
    """Query parameters without the ones left as None."""
    return {k: v for k, v in params.items() if v is not None} if params else params


class _Attempts:
    """The retry schedule of one request: `after(answer)` is None when ``answer`` (a response or
    a transport error) is final and good, the seconds to wait before the next attempt when it
    is worth retrying; it raises `ApiError`/`NotFound` for a 4xx and `ServerUnavailable` when
    the retry time is spent."""

    def __init__(self, client: _Retrying, method: str, path: str, retry: bool) -> None:
        self.client, self.method, self.path = client, method, path
        self.deadline = time.monotonic() + (client.retry_time if retry else 0.0)
        self.attempt = 0

    def after(self, answer: httpx.Response | Exception) -> float | None:
        client = self.client
        self.attempt += 1
        wait_at_least = 0.0
        if isinstance(answer, Exception):
            problem = f"cannot reach the server at {client.url}: {type(answer).__name__}: {answer}"
        else:
            status = answer.status_code
            if status < 400:
                return None
            if status == 404:
                raise NotFound(status, _detail(answer))
            if status != 429 and status < 500:
                raise ApiError(status, _detail(answer), _errors(answer))
            problem = f"the server at {client.url} answered {status} to {self.method} {self.path}"
            wait_at_least = retry_after_seconds(answer.headers.get("Retry-After")) or 0.0
        delay = min(client.max_backoff, client.backoff * 2 ** (self.attempt - 1))
        delay = max(wait_at_least, random.uniform(delay / 2, delay))
        if time.monotonic() + delay > self.deadline:
            raise ServerUnavailable(problem)
        return delay


class _Retrying:
    """The retry policy of both clients (see the module docstring)."""

    url: str
    retry_time: float
    backoff: float
    max_backoff: float

    def _setup(self, url: str, api_key: str | None, retry_time: float, backoff: float,
               max_backoff: float) -> dict[str, str]:  # fmt: skip
        self.url = api_base(url)
        self.retry_time = retry_time
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.server_version: dict[str, Any] | None = None
        headers = {"User-Agent": "cadenza-client"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        return headers

    def _attempts(self, method: str, path: str, retry: bool) -> _Attempts:
        return _Attempts(self, method, path, retry)

    def _refused_stream(self, answer: httpx.Response) -> NoReturn:
        """Raise for a `GET /stream` answered with an error (its body read)."""
        self._attempts("GET", "/stream", False).after(answer)  # raises for a 4xx
        raise ApiError(answer.status_code, answer.text)

    def _decode(self, path: str, response: httpx.Response) -> Any:
        if response.status_code == 204:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise ServerIncompatible(
                f"{self.url}{path} did not answer JSON; is it a cadenza server?"
            ) from exc

    def _version_error(self, exc: ApiError) -> Exception:
        if isinstance(exc, NotFound):
            return ServerIncompatible(
                f"{self.url} is not a cadenza server (no {self.url}/version route)"
            )
        if exc.status == 401:
            return exc
        return ServerIncompatible(f"{self.url} is not a cadenza server: {exc}")

    def _accept_version(self, answer: Any) -> dict[str, Any]:
        if not isinstance(answer, dict) or "api_version" not in answer:
            raise ServerIncompatible(f"{self.url} is not a cadenza server (unexpected /version)")
        if answer["api_version"] != API_VERSION:
            raise ServerIncompatible(
                f"the server at {self.url} speaks API version {answer['api_version']!r} "
                f"(cadenza {answer.get('cadenza_version', '?')}); this client speaks "
                f"version {API_VERSION}"
            )
        self.server_version = answer
        return answer


class _Routes(
    RecordRoutes,
    DeploymentRoutes,
    ControlRoutes,
    RetentionRoutes,
    ConcurrencyRoutes,
    PauseRoutes,
    EventRoutes,
    UiRoutes,
):
    """The API's routes, shared by both clients: each returns ``self._json(...)`` — the
    decoded answer from `ApiClient`, an awaitable of it from `AsyncApiClient`."""

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        raise NotImplementedError


class ApiClient(_Routes, _Retrying):
    """A synchronous connection to one server. Thread-safe (httpx clients are); close it."""

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        timeout: float | None = None,
        *,
        retry_time: float = DEFAULT_RETRY_TIME,
        backoff: float = 0.1,
        max_backoff: float = 2.0,
        transport: httpx.BaseTransport | None = None,
        event_hooks: dict[str, list] | None = None,
    ) -> None:
        headers = self._setup(url, api_key, retry_time, backoff, max_backoff)
        self._http = httpx.Client(
            base_url=self.url,
            headers=headers,
            timeout=_timeout(timeout),
            transport=transport,
            event_hooks=event_hooks or {},
            verify=_tls_for(self.url),
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        retry: bool = True,
        content: bytes | None = None,
    ) -> httpx.Response:
        """Send one request, retrying as the module docstring says (once only if not `retry`)."""
        attempts, params = self._attempts(method, path, retry), _present(params)
        headers = _JSON_HEADERS if content is not None else None
        while True:
            try:
                answer = self._http.request(
                    method, path, json=json, params=params, content=content, headers=headers
                )
            except httpx.TransportError as exc:
                answer = exc
            except httpx.InvalidURL as exc:  # an id far too long for any URL, say
                raise ValueError(_invalid_url(method, path, exc)) from None
            delay = attempts.after(answer)
            if delay is None:
                return answer
            time.sleep(delay)

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._decode(path, self.request(method, path, **kwargs))

    def stream_changes(
        self,
        *,
        flow_run_id: str | None = None,
        cursor: str | None = None,
        log_level: int | None = 0,
        states: Sequence[str] = (),
        flow_name: str | None = None,
        deployment: str | None = None,
        tags: Sequence[str] = (),
        q: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Follow `GET /stream`: its events as `cadenza.client.live.EventParser` gives them
        (``ready``, ``state``, ``log``, ``keep-alive``), from `cursor` (an event's ``id``) or from
        now, until the server ends the stream (then resume from the last ``id``). Log lines from
        `log_level` (None: none); one flow run's changes, or those of the runs the filters
        match. `ApiError` (`NotFound`) for a refused request."""
        params, headers = stream_request(
            flow_run_id=flow_run_id, cursor=cursor, log_level=log_level, states=states,
            flow_name=flow_name, deployment=deployment, tags=tags, q=q,
        )  # fmt: skip
        with self._http.stream("GET", "/stream", params=params, headers=headers,
                               timeout=_STREAM_TIMEOUT) as answer:  # fmt: skip
            if answer.status_code >= 400:
                answer.read()
                self._refused_stream(answer)
            yield from parse_events(answer.iter_raw())

    def check_version(self, retry: bool = True) -> dict[str, Any]:
        """GET /api/version; `ServerIncompatible` unless it is a cadenza server of API v1."""
        try:
            answer = self.version(retry=retry)
        except ApiError as exc:
            raise self._version_error(exc) from exc
        return self._accept_version(answer)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncApiClient(_Routes, _Retrying):
    """The same routes for asyncio code: every route method returns an awaitable.

    ``async with AsyncApiClient(url) as client: runs = await client.list_flow_runs()``
    """

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        timeout: float | None = None,
        *,
        retry_time: float = DEFAULT_RETRY_TIME,
        backoff: float = 0.1,
        max_backoff: float = 2.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        headers = self._setup(url, api_key, retry_time, backoff, max_backoff)
        self._http = httpx.AsyncClient(
            base_url=self.url,
            headers=headers,
            timeout=_timeout(timeout),
            transport=transport,
            verify=_tls_for(self.url),
        )

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        retry: bool = True,
        content: bytes | None = None,
    ) -> httpx.Response:
        import asyncio

        attempts, params = self._attempts(method, path, retry), _present(params)
        headers = _JSON_HEADERS if content is not None else None
        while True:
            try:
                answer = await self._http.request(
                    method, path, json=json, params=params, content=content, headers=headers
                )
            except httpx.TransportError as exc:
                answer = exc
            except httpx.InvalidURL as exc:  # an id far too long for any URL, say
                raise ValueError(_invalid_url(method, path, exc)) from None
            delay = attempts.after(answer)
            if delay is None:
                return answer
            await asyncio.sleep(delay)

    async def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._decode(path, await self.request(method, path, **kwargs))

    async def stream_changes(
        self,
        *,
        flow_run_id: str | None = None,
        cursor: str | None = None,
        log_level: int | None = 0,
        states: Sequence[str] = (),
        flow_name: str | None = None,
        deployment: str | None = None,
        tags: Sequence[str] = (),
        q: str | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        """`ApiClient.stream_changes` for asyncio code: ``async for event in
        client.stream_changes(flow_run_id=...)``."""
        params, headers = stream_request(
            flow_run_id=flow_run_id, cursor=cursor, log_level=log_level, states=states,
            flow_name=flow_name, deployment=deployment, tags=tags, q=q,
        )  # fmt: skip
        async with self._http.stream("GET", "/stream", params=params, headers=headers,
                                     timeout=_STREAM_TIMEOUT) as answer:  # fmt: skip
            if answer.status_code >= 400:
                await answer.aread()
                self._refused_stream(answer)
            parser = EventParser()
            async for chunk in answer.aiter_raw():
                for event in parser.feed(chunk):
                    yield event

    async def check_version(self, retry: bool = True) -> dict[str, Any]:
        try:
            answer = await self.version(retry=retry)
        except ApiError as exc:
            raise self._version_error(exc) from exc
        return self._accept_version(answer)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncApiClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _invalid_url(method: str, path: str, exc: Exception) -> str:
    shown = path if len(path) <= 80 else path[:80] + "..."
    return f"cannot send {method} {shown} ({len(path)} characters): {exc}"


def _errors(response: httpx.Response) -> list[dict[str, Any]]:
    """The located problems of a refusal's body (``errors``), or none."""
    try:
        body = response.json()
    except ValueError:
        return []
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return []
    return [e for e in errors if isinstance(e, dict) and isinstance(e.get("loc"), list)]


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(body, dict) and "detail" in body:
        detail = body["detail"]
        return detail if isinstance(detail, str) else str(detail)[:500]
    return str(body)[:200]


def settings_url_and_key() -> tuple[str, str | None]:
    """`CADENZA_API_URL` and `CADENZA_API_KEY` (ValueError when no URL)."""

    url = spec.get("CADENZA_API_URL")
    if not url:
        raise ValueError("CADENZA_API_URL is not set")
    key = spec.get("CADENZA_API_KEY")
    if key is not None and hasattr(key, "get_secret_value"):
        key = key.get_secret_value()
    return url, key or None


def client_from_settings(**kwargs: Any) -> ApiClient:
    """An `ApiClient` for `CADENZA_API_URL` / `CADENZA_API_KEY` (ValueError when no URL)."""
    url, key = settings_url_and_key()
    return ApiClient(url, api_key=key, **kwargs)


def get_client(sync_client: bool = False, **kwargs: Any) -> ApiClient | AsyncApiClient:
    """A client of the configured server, as Prefect's ``get_client``: an `AsyncApiClient`
    (``async with get_client() as client``), or an `ApiClient` with ``sync_client=True``."""
    url, key = settings_url_and_key()
    if sync_client:
        return ApiClient(url, api_key=key, **kwargs)
    return AsyncApiClient(url, api_key=key, **kwargs)


__all__ = [
    "API_VERSION",
    "DEFAULT_RETRY_TIME",
    "ApiClient",
    "AsyncApiClient",
    "api_base",
    "client_from_settings",
    "get_client",
    "retry_after_seconds",
    "settings_url_and_key",
]
