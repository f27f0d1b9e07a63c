"""`ApiClient`: a synchronous httpx client of the server's API v1 (docs/api.md).

Every request is retried on connection errors, 429 and 5xx with exponential backoff and jitter,
waiting at least what a `Retry-After` header asks, for at most `retry_time` seconds in all; then
`ServerUnavailable` is raised. Other 4xx answers raise `ApiError` (`NotFound` for 404) with the
server's `detail`. `check_version` fails with `ServerIncompatible` when the URL is not a cadenza
server or speaks another API version.
"""

from __future__ import annotations

import email.utils
import random
import time
from typing import Any

import httpx

from cadenza.exceptions import CadenzaError, ServerIncompatible

API_VERSION = 1

DEFAULT_TIMEOUT = 10.0
DEFAULT_RETRY_TIME = 10.0


class ServerUnavailable(CadenzaError):
    """The server could not be reached or kept answering 429/5xx until the retry time ran out."""


class ApiError(CadenzaError):
    """The server refused a request (4xx other than 429); `status` and `detail` say why."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{detail} (HTTP {status})")
        self.status = status
        self.detail = detail


class NotFound(ApiError, LookupError):
    """404: no such run (or route)."""


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


class ApiClient:
    """A connection to one server. Thread-safe (httpx clients are); close it when done."""

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        *,
        retry_time: float = DEFAULT_RETRY_TIME,
        backoff: float = 0.1,
        max_backoff: float = 2.0,
        transport: httpx.BaseTransport | None = None,
        event_hooks: dict[str, list] | None = None,
    ) -> None:
        self.url = api_base(url)
        self.retry_time = retry_time
        self.backoff = backoff
        self.max_backoff = max_backoff
        headers = {"User-Agent": "cadenza-client"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._http = httpx.Client(
            base_url=self.url,
            headers=headers,
            timeout=timeout,
            transport=transport,
            event_hooks=event_hooks or {},
        )
        self.server_version: dict[str, Any] | None = None

    # -- plumbing -------------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        retry: bool = True,
    ) -> httpx.Response:
        """Send one request, retrying as the module docstring says (once only if not `retry`)."""
        deadline = time.monotonic() + (self.retry_time if retry else 0.0)
        attempt = 0
        if params:
            params = {k: v for k, v in params.items() if v is not None}
        while True:
            attempt += 1
            wait_at_least = 0.0
            try:
                response = self._http.request(method, path, json=json, params=params)
            except httpx.TransportError as exc:
                problem = f"cannot reach the server at {self.url}: {type(exc).__name__}: {exc}"
            else:
                status = response.status_code
                if status < 400:
                    return response
                if status == 429 or status >= 500:
                    problem = f"the server at {self.url} answered {status} to {method} {path}"
                    wait_at_least = retry_after_seconds(response.headers.get("Retry-After")) or 0.0
                elif status == 404:
                    raise NotFound(status, _detail(response))
                else:
                    raise ApiError(status, _detail(response))
            delay = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
            delay = max(wait_at_least, random.uniform(delay / 2, delay))
            if time.monotonic() + delay > deadline:
                raise ServerUnavailable(problem)
            time.sleep(delay)

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        try:
            return response.json()
        except ValueError as exc:
            raise ServerIncompatible(
                f"{self.url}{path} did not answer JSON; is it a cadenza server?"
            ) from exc

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- routes ---------------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        return self._json("GET", "/health")

    def version(self, retry: bool = True) -> dict[str, Any]:
        return self._json("GET", "/version", retry=retry)

    def check_version(self, retry: bool = True) -> dict[str, Any]:
        """GET /api/version; `ServerIncompatible` unless it is a cadenza server of API v1."""
        try:
            answer = self.version(retry=retry)
        except NotFound as exc:
            raise ServerIncompatible(
                f"{self.url} is not a cadenza server (no {self.url}/version route)"
            ) from exc
        except ApiError as exc:
            if exc.status == 401:
                raise
            raise ServerIncompatible(f"{self.url} is not a cadenza server: {exc}") from exc
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

    def create_flow_run(self, row: dict[str, Any], retry: bool = True) -> dict[str, Any]:
        return self._json("POST", "/flow_runs", json=row, retry=retry)

    def set_state(self, run_id: str, body: dict[str, Any], retry: bool = True) -> dict[str, Any]:
        return self._json("POST", f"/flow_runs/{run_id}/set_state", json=body, retry=retry)

    def batch(self, body: dict[str, Any], retry: bool = True) -> dict[str, Any]:
        return self._json("POST", "/batch", json=body, retry=retry)

    def list_flow_runs(
        self,
        limit: int | None = None,
        offset: int | None = None,
        state: str | None = None,
        flow_name: str | None = None,
        tag: str | None = None,
        since: str | float | None = None,
        until: str | float | None = None,
    ) -> list[dict[str, Any]]:
        params = {
            "limit": limit,
            "offset": offset,
            "state": state,
            "flow_name": flow_name,
            "tag": tag,
            "since": since,
            "until": until,
        }
        return self._json("GET", "/flow_runs", params=params)

    def get_flow_run(self, ref: str) -> dict[str, Any]:
        """One run by id, unique prefix or `latest` (NotFound otherwise)."""
        return self._json("GET", f"/flow_runs/{ref}")

    def get_logs(self, run_id: str) -> list[dict[str, Any]]:
        return self._json("GET", f"/flow_runs/{run_id}/logs")


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(body, dict) and "detail" in body:
        detail = body["detail"]
        return detail if isinstance(detail, str) else str(detail)[:500]
    return str(body)[:200]


def client_from_settings(**kwargs: Any) -> ApiClient:
    """An `ApiClient` for `CADENZA_API_URL` / `CADENZA_API_KEY` (ValueError when no URL)."""
    from cadenza.settings import spec

    url = spec.get("CADENZA_API_URL")
    if not url:
        raise ValueError("CADENZA_API_URL is not set")
    key = spec.get("CADENZA_API_KEY")
    if key is not None and hasattr(key, "get_secret_value"):
        key = key.get_secret_value()
    return ApiClient(url, api_key=key or None, **kwargs)
