"""The API's concurrency-limit routes, as methods of both HTTP clients.

`ConcurrencyRoutes` is a base of `cadenza.client.http.ApiClient` and `AsyncApiClient`: each
method returns ``self._json(...)``, the decoded answer (an awaitable of it from the async
client). The routes are listed in docs/reference/http-api.md; `cadenza.concurrency` uses them.
"""

from __future__ import annotations

from typing import Any

from cadenza.client.paths import segment


class ConcurrencyRoutes:
    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        raise NotImplementedError

    def create_concurrency_limit(
        self, name: str, limit: int, active: bool = True, slot_decay_per_second: float = 0.0
    ) -> Any:
        body = {"name": name, "limit": limit, "active": active,
                "slot_decay_per_second": slot_decay_per_second}  # fmt: skip
        return self._json("POST", "/concurrency_limits", json=body)

    def list_concurrency_limits(
        self, prefix: str | None = None, limit: int | None = None, offset: int | None = None
    ) -> Any:
        """Limits by name (those whose name starts with `prefix`), with ``active_slots``."""
        params = {"prefix": prefix, "limit": limit, "offset": offset}
        return self._json("GET", "/concurrency_limits", params=params)

    def read_concurrency_limit(self, name: str) -> Any:
        """One limit with ``active_slots`` and its ``leases`` (holders)."""
        return self._json("GET", f"/concurrency_limits/{segment(name)}")

    def update_concurrency_limit(self, name: str, **changes: Any) -> Any:
        """`changes`: limit, active, slot_decay_per_second (None: unchanged)."""
        body = {k: v for k, v in changes.items() if v is not None}
        return self._json("PATCH", f"/concurrency_limits/{segment(name)}", json=body)

    def delete_concurrency_limit(self, name: str) -> Any:
        return self._json("DELETE", f"/concurrency_limits/{segment(name)}")

    def reset_concurrency_limit(self, name: str) -> Any:
        """Free every slot of the limit (its leases are dropped)."""
        return self._json("POST", f"/concurrency_limits/{segment(name)}/reset")

    def acquire_concurrency_slots(
        self, names: list[str], slots: int, *, mode: str = "concurrency",
        lease_seconds: float = 30.0, holder: dict[str, Any] | None = None, wait: float = 0.0,
        max_retries: int | None = None,
    ) -> Any:  # fmt: skip
        """Take `slots` of every limit named, waiting on the server up to `wait` seconds:
        ``{"granted", "lease_id", "limits", "missing", "expires", "retries", "retry_at"}``."""
        body = {"names": names, "slots": slots, "mode": mode, "lease_seconds": lease_seconds,
                "holder": holder or {}, "wait": wait, "max_retries": max_retries}  # fmt: skip
        return self._json("POST", "/concurrency_limits/increment-with-lease", json=body)

    def renew_concurrency_lease(self, lease_id: str, lease_seconds: float) -> Any:
        """``{"expires"}``; `ApiError` 410 when the lease is gone."""
        path = f"/concurrency_limits/leases/{segment(lease_id)}/renew"
        return self._json("POST", path, json={"lease_seconds": lease_seconds})

    def release_concurrency_slots(self, lease_id: str) -> Any:
        body = {"lease_id": lease_id}
        return self._json("POST", "/concurrency_limits/decrement-with-lease", json=body)


__all__ = ["ConcurrencyRoutes"]
