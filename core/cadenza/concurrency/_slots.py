"""Taking and giving back slots, written once for the sync and async forms.

`take` acquires (waiting as the record's API does: `cadenza.concurrency._api`), turns the
record's answers into Prefect's exceptions and warnings, and hands a held lease to the
process's renewal thread; `give_back` stops renewing and releases it. A lease the renewal thread
lost is reported by `give_back` (raised when `raise_on_lease_renewal_failure`).
"""

from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import dataclass, field
from typing import Any

from cadenza.concurrency._api import SlotsApi, slots_api
from cadenza.concurrency._leases import Held, keeper
from cadenza.concurrency.errors import (
    AcquireConcurrencySlotTimeoutError,
    ConcurrencySlotAcquisitionError,
)
from cadenza.context import _flow_run_ctx, _task_run_ctx
from cadenza.exceptions import CadenzaError
from cadenza.logging.loggers import for_context, get_logger
from cadenza.settings import spec
from cadenza.store.limit_values import check_name

LEASE_SETTING = "CADENZA_CONCURRENCY_LEASE_SECONDS"
MAX_LEASE = 7 * 24 * 3600  # as the server accepts


class _SettingLease(int):
    """The default of ``lease_duration``: Prefect's 300 in the signature (so that it reads and
    compares as Prefect's), and a marker that the caller gave none, so that the lease lasts
    `LEASE_SETTING` seconds (30 by default: a live holder renews it all along)."""


DEFAULT_LEASE = _SettingLease(300)


@dataclass
class Taken:
    """Slots this process took: `held` is None when nothing is held (no active limit, or a
    rate limit's slots, which free themselves)."""

    api: SlotsApi | None
    names: list[str]
    limits: list[dict[str, Any]] = field(default_factory=list)
    held: Held | None = None


def as_names(names: str | list[str]) -> list[str]:
    """`names` as a list: one name or several, as Prefect accepts them."""
    if isinstance(names, str):
        return [names]
    return list(names)


def take(
    names: list[str], occupy: int, *, mode: str = "concurrency",
    timeout_seconds: float | None = None, max_retries: int | None = None,
    lease_duration: float | None = None, strict: bool = False, holder: Any = None,
    suppress_warnings: bool = False, cancel: Any = None,
) -> Taken:  # fmt: skip
    """Acquire `occupy` slots of each limit in `names` (see the module docstring)."""
    if lease_duration is DEFAULT_LEASE or lease_duration is None:
        lease_seconds = float(spec.get(LEASE_SETTING))
    else:
        lease_seconds = float(lease_duration)
    if not 0 < lease_seconds <= MAX_LEASE:
        raise ConcurrencySlotAcquisitionError(
            f"lease_duration must be more than 0 and at most {MAX_LEASE} seconds, not "
            f"{lease_duration!r}"
        )
    try:
        for name in names:
            check_name(name)
    except ValueError as exc:
        raise ConcurrencySlotAcquisitionError(
            f"Unable to acquire concurrency slots on {shown(names)}: {exc}"
        ) from None
    deadline = None if timeout_seconds is None else time.monotonic() + max(timeout_seconds, 0)
    try:
        api = slots_api()
        answer = api.acquire(
            names, occupy, mode=mode, lease_seconds=lease_seconds, holder=holder_of(holder),
            deadline=deadline, max_retries=max_retries, cancel=cancel,
        )  # fmt: skip
    except AcquireConcurrencySlotTimeoutError:
        raise AcquireConcurrencySlotTimeoutError(
            f"Attempt to acquire concurrency slots timed out after {timeout_seconds} second(s)"
        ) from None
    except ConcurrencySlotAcquisitionError as exc:
        raise ConcurrencySlotAcquisitionError(
            f"Unable to acquire concurrency slots on {shown(names)}: {exc}"
        ) from None
    except (ValueError, TypeError, CadenzaError, OSError) as exc:
        raise ConcurrencySlotAcquisitionError(
            f"Unable to acquire concurrency slots on {shown(names)}: {exc}"
        ) from exc
    taken = Taken(api, names, list(answer.get("limits") or []))
    lease_id = answer.get("lease_id")
    missing = list(answer.get("missing") or [])
    if missing and strict:
        if lease_id:
            _release_quietly(api, lease_id)
        raise ConcurrencySlotAcquisitionError(
            f"Concurrency limits {missing!r} must be created before acquiring slots"
        )
    if missing:
        level = logging.DEBUG if suppress_warnings else logging.WARNING
        what = "do not exist" if not taken.limits else "do not exist (the others were taken)"
        _logger().log(level, "Concurrency limits %r %s - skipping acquisition.", missing, what)
    if lease_id and mode == "concurrency":
        taken.held = keeper().hold(api, lease_id, lease_seconds)
    return taken


def give_back(taken: Taken, raise_on_lease_renewal_failure: bool = False) -> None:
    """Stop renewing `taken`'s lease and release its slots (a rate limit's decay instead)."""
    held = taken.held
    if held is None or taken.api is None:
        return
    keeper().drop(held)
    if held.lost is None:
        _release_quietly(taken.api, held.lease_id)
    elif raise_on_lease_renewal_failure:
        raise ConcurrencySlotAcquisitionError(
            f"The lease on concurrency limits {shown(taken.names)} was lost while the block ran "
            f"({held.lost}); the limit may have been exceeded"
        )


def _release_quietly(api: SlotsApi, lease_id: str) -> None:
    try:
        api.release(lease_id)
    except Exception as exc:  # the lease expires on its own: say so, do not fail the block
        _logger().warning(
            "Could not release concurrency lease %s (%s: %s); its slots free themselves when "
            "it expires",
            lease_id,
            type(exc).__name__,
            exc,
        )


def shown(names: list[str]) -> str:
    """`names` for a message: each cut to 60 characters (a name may be anything)."""
    return repr([n[:60] + "..." if isinstance(n, str) and len(n) > 60 else n for n in names])


def holder_of(holder: Any) -> dict[str, Any]:
    """Who holds the lease, for ``cadenza concurrency-limit inspect``: this process, the run in
    progress, and what the caller gave (Prefect's ``ConcurrencyLeaseHolder(type=, id=)``, or a
    dict)."""
    out: dict[str, Any] = {"pid": os.getpid(), "hostname": socket.gethostname()}
    task_ctx = _task_run_ctx.get()
    flow_ctx = _flow_run_ctx.get()
    if task_ctx is not None:
        out.update(type="task_run", id=task_ctx.task_run.id)
    elif flow_ctx is not None:
        out.update(type="flow_run", id=flow_ctx.flow_run.id)
    if holder is not None:
        if hasattr(holder, "model_dump"):
            holder = holder.model_dump(mode="json")
        elif not isinstance(holder, dict):
            holder = {"type": getattr(holder, "type", None), "id": getattr(holder, "id", None)}
        out.update({str(k): v if isinstance(v, (str, int, float, bool)) or v is None else str(v)
                    for k, v in holder.items()})  # fmt: skip
    return out


def _logger() -> Any:
    ctx = _task_run_ctx.get() or _flow_run_ctx.get()
    return for_context(ctx) if ctx is not None else get_logger("cadenza.concurrency")


__all__ = [
    "LEASE_SETTING",
    "MAX_LEASE",
    "Taken",
    "as_names",
    "give_back",
    "holder_of",
    "shown",
    "take",
]
