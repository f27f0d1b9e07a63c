"""Limits and leases on the server (``CADENZA_API_URL``), through its concurrency routes.

An acquisition waits on the server, not here: each request asks the server to keep trying for
up to `WAIT_SECONDS` (the server wakes it when a slot frees), and the next request follows at
once, until the deadline. The server's answers become the same exceptions the embedded record
raises: 422 → ValueError, 404 → `ObjectNotFound`, 409 → `ObjectAlreadyExists`; its times (ISO
8601 strings) become epoch seconds, as the embedded record gives them. Importing this module
imports httpx.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

from cadenza._times import epoch_times
from cadenza.client.errors import ApiError, NotFound
from cadenza.client.http import client_from_settings
from cadenza.concurrency.errors import (
    AcquireConcurrencySlotTimeoutError,
    ConcurrencySlotAcquisitionError,
)
from cadenza.exceptions import ObjectAlreadyExists, ObjectNotFound
from cadenza.settings import spec
from cadenza.store.limit_values import check_decay, check_name, check_slot_limit

WAIT_SECONDS = 10.0
"""The longest one acquire request waits on the server (a cancelled waiter stops after it)."""


class RemoteSlots:
    """The limits of the server this process reports to."""

    def __init__(self) -> None:
        self.client = client_from_settings()
        self.request_timeout = float(spec.get("CADENZA_API_REQUEST_TIMEOUT"))

    def close(self) -> None:
        self.client.close()

    def acquire(
        self, names: list[str], slots: int, *, mode: str, lease_seconds: float,
        holder: dict[str, Any], deadline: float | None, max_retries: int | None,
        cancel: Any = None,
    ) -> dict[str, Any]:  # fmt: skip
        """As `cadenza.concurrency._embedded.EmbeddedSlots.acquire`."""
        retries = 0
        while True:
            wait = min(WAIT_SECONDS, self.request_timeout / 2)
            if deadline is not None:
                wait = max(0.0, min(wait, deadline - time.monotonic()))
            left = None if max_retries is None else max_retries - retries
            with _answers():
                answer = self.client.acquire_concurrency_slots(
                    names, slots, mode=mode, lease_seconds=lease_seconds, holder=holder,
                    wait=wait, max_retries=left,
                )  # fmt: skip
            if answer.get("granted"):
                return dict(epoch_times(answer))
            retries += int(answer.get("retries") or 0)
            if cancel is not None and cancel.event.is_set():
                raise ConcurrencySlotAcquisitionError("the acquisition was cancelled")
            if deadline is not None and time.monotonic() >= deadline:
                raise AcquireConcurrencySlotTimeoutError("timed out")
            if max_retries is not None and retries >= max_retries:
                raise ConcurrencySlotAcquisitionError(
                    f"no free slots in {answer.get('blocked')!r} after {retries} retries"
                )

    def renew(self, lease_id: str, lease_seconds: float) -> bool:
        try:
            self.client.renew_concurrency_lease(lease_id, lease_seconds)
        except ApiError as exc:
            if exc.status in (404, 410):
                return False
            raise
        return True

    def release(self, lease_id: str) -> None:
        with _answers():
            self.client.release_concurrency_slots(lease_id)

    def create(self, name: str, limit: int, active: bool = True,
               slot_decay_per_second: float = 0.0) -> dict[str, Any]:  # fmt: skip
        check_name(name)  # here: a lone surrogate or a NaN cannot even be sent as JSON
        check_slot_limit(limit)
        check_decay(slot_decay_per_second)
        with _answers():
            return dict(epoch_times(self.client.create_concurrency_limit(
                name, limit, active, slot_decay_per_second)))  # fmt: skip

    def list_limits(self, prefix: str | None = None) -> list[dict[str, Any]]:
        with _answers():
            return list(
                epoch_times(self.client.list_concurrency_limits(prefix=prefix, limit=10_000))
            )

    def read(self, name: str) -> dict[str, Any]:
        check_name(name)
        with _answers():
            return dict(epoch_times(self.client.read_concurrency_limit(name)))

    def update(self, name: str, **changes: Any) -> dict[str, Any]:
        check_name(name)
        if changes.get("limit") is not None:
            check_slot_limit(changes["limit"])
        if changes.get("slot_decay_per_second") is not None:
            check_decay(changes["slot_decay_per_second"])
        with _answers():
            return dict(epoch_times(self.client.update_concurrency_limit(name, **changes)))

    def delete(self, name: str) -> dict[str, Any]:
        check_name(name)
        with _answers():
            return dict(epoch_times(self.client.delete_concurrency_limit(name)))

    def reset(self, name: str) -> dict[str, Any]:
        check_name(name)
        with _answers():
            return dict(epoch_times(self.client.reset_concurrency_limit(name)))

    def limited_tags(self) -> list[str]:
        with _answers():
            limits = self.client.list_concurrency_limits(prefix="tag:", limit=10_000)
        return sorted(limit["name"][4:] for limit in limits if limit.get("active"))


@contextlib.contextmanager
def _answers() -> Iterator[None]:
    """The server's refusals as the embedded record's exceptions."""
    try:
        yield
    except NotFound as exc:
        raise ObjectNotFound(exc.detail) from None
    except ApiError as exc:
        if exc.status == 409:
            raise ObjectAlreadyExists(exc.detail) from None
        if exc.status == 422:
            raise ValueError(exc.detail) from None
        raise


__all__ = ["WAIT_SECONDS", "RemoteSlots"]
