"""`cadenza.concurrency.sync` and `.asyncio`, as Prefect 3 users call them, on the embedded record
and on real servers (SQLite and PostgreSQL): holding, strict and non-strict missing limits,
timeouts, retries, rate limits, cancellation, a lost lease, and bad input."""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
import time

import pytest

from cadenza.concurrency import asyncio as aconc
from cadenza.concurrency import sync
from cadenza.concurrency._api import slots_api
from cadenza.concurrency.asyncio import (
    AcquireConcurrencySlotTimeoutError,
    ConcurrencySlotAcquisitionError,
)


def _in_use(name: str) -> int:
    return int(slots_api().read(name)["active_slots"])


@pytest.fixture
def warnings_of_concurrency() -> list[logging.LogRecord]:
    """Records the ``cadenza.concurrency`` logger emits (outside a run)."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("cadenza.concurrency")
    handler = Keep()
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


def test_the_public_names_and_signatures_are_prefects() -> None:
    """Prefect 3.9.1's parameters, in its order (tests/compat/test_compat_import_paths.py
    compares the whole signatures)."""
    expected = {
        "concurrency": ["names", "occupy", "timeout_seconds", "max_retries", "lease_duration",
                        "strict", "holder", "raise_on_lease_renewal_failure"],
        "rate_limit": ["names", "occupy", "timeout_seconds", "strict"],
    }  # fmt: skip
    for module in (sync, aconc):
        for fn, params in expected.items():
            assert list(inspect.signature(getattr(module, fn)).parameters) == params
    assert issubclass(AcquireConcurrencySlotTimeoutError, TimeoutError)
    assert sync.ConcurrencySlotAcquisitionError is ConcurrencySlotAcquisitionError
    assert inspect.iscoroutinefunction(aconc.rate_limit)


def test_slots_are_held_inside_the_block_only(backend, name: str) -> None:
    slots_api().create(name, 2)
    with sync.concurrency(name, occupy=2):
        limit = slots_api().read(name)
        assert limit["active_slots"] == 2
        (lease,) = limit["leases"]
        assert lease["holder"]["pid"] > 0 and lease["slots"] == 2
    assert _in_use(name) == 0
    with pytest.raises(RuntimeError), sync.concurrency([name]):
        raise RuntimeError("the block failed")
    assert _in_use(name) == 0  # released on the way out of a failed block too


def test_several_names_are_acquired_together(backend, name: str) -> None:
    other = name + "-b"
    slots_api().create(name, 1)
    slots_api().create(other, 1)
    with sync.concurrency([name, other]):
        assert (_in_use(name), _in_use(other)) == (1, 1)
        with (
            pytest.raises(AcquireConcurrencySlotTimeoutError),
            sync.concurrency([other], timeout_seconds=0.2),
        ):
            pass
    assert (_in_use(name), _in_use(other)) == (0, 0)


def test_a_missing_limit_is_skipped_with_a_warning_unless_strict(
    backend, name: str, warnings_of_concurrency: list[logging.LogRecord]
) -> None:
    ran = []
    with sync.concurrency(name):
        ran.append(True)
    assert ran == [True]
    assert any("do not exist - skipping acquisition" in r.getMessage()
               for r in warnings_of_concurrency)  # fmt: skip
    with (
        pytest.raises(ConcurrencySlotAcquisitionError, match="must be created before"),
        sync.concurrency(name, strict=True),
    ):
        ran.append(False)
    with pytest.raises(ConcurrencySlotAcquisitionError, match="must be created before"):
        sync.rate_limit(name, strict=True)
    assert ran == [True]


def test_a_timeout_and_max_retries_give_up(backend, name: str) -> None:
    slots_api().create(name, 1)
    with sync.concurrency(name):
        started = time.monotonic()
        with (
            pytest.raises(AcquireConcurrencySlotTimeoutError, match=r"timed out after 0\.5"),
            sync.concurrency(name, timeout_seconds=0.5),
        ):
            pass
        assert 0.45 < time.monotonic() - started < 3
        with (
            pytest.raises(ConcurrencySlotAcquisitionError, match="after 0 retries"),
            sync.concurrency(name, max_retries=0),
        ):
            pass
    assert _in_use(name) == 0


def test_a_waiter_gets_the_slot_as_soon_as_it_is_released(backend, name: str) -> None:
    slots_api().create(name, 1)
    released = []

    def hold() -> None:
        with sync.concurrency(name):
            entered.set()
            time.sleep(0.5)
            released.append(time.monotonic())

    entered = threading.Event()
    holder = threading.Thread(target=hold)
    holder.start()
    entered.wait(10)
    with sync.concurrency(name, timeout_seconds=20):
        latency = time.monotonic() - released[0]
    holder.join()
    assert latency < 0.5, f"woken {latency:.3f} s after the release"


def test_requests_that_cannot_be_served_are_clear_errors(backend, name: str) -> None:
    slots_api().create(name, 2)
    with (
        pytest.raises(ConcurrencySlotAcquisitionError, match="more than the limit"),
        sync.concurrency(name, occupy=3),
    ):
        pass
    with pytest.raises(
        ConcurrencySlotAcquisitionError, match=r"without slot decay|no slot decay|have none"
    ):
        sync.rate_limit(name)
    for bad, why in (("a/b", "'/'"), ("x" * 1_000_000, "at most 200"),
                     ("s\udc80", "lone surrogate")):  # fmt: skip
        with pytest.raises(ConcurrencySlotAcquisitionError, match=why), sync.concurrency(bad):
            pass
    with (
        pytest.raises(ConcurrencySlotAcquisitionError, match=r"slots to occupy|greater than"),
        sync.concurrency(name, occupy=-1),
    ):
        pass
    with (
        pytest.raises(ConcurrencySlotAcquisitionError, match="lease_duration must be more than"),
        sync.concurrency(name, lease_duration=-5),
    ):
        pass
    with pytest.raises(ValueError, match="from 0 to 2147483647, not -1"):
        slots_api().create(name + "-neg", -1)
    with pytest.raises(ValueError, match="'/'"):
        slots_api().create("a/b", 1)


def test_rate_limit_lets_calls_through_at_the_decay_rate(backend, name: str) -> None:
    slots_api().create(name, 2, slot_decay_per_second=10.0)
    started = time.monotonic()
    times = []
    for _ in range(12):
        sync.rate_limit(name)
        times.append(time.monotonic() - started)
    assert times[1] < 0.3  # the burst: up to the limit at once
    sustained = (len(times) - 3) / (times[-1] - times[2])
    assert 7.0 < sustained < 11.5, f"{sustained:.1f} calls/s for a decay of 10/s"


def test_the_async_forms(backend, name: str) -> None:
    slots_api().create(name, 1)
    slots_api().create(name + "-rate", 5, slot_decay_per_second=50.0)

    async def main() -> list[str]:
        order: list[str] = []

        async def worker(label: str) -> None:
            async with aconc.concurrency(name, timeout_seconds=20):
                order.append(f"{label} in")
                await asyncio.sleep(0.2)
                order.append(f"{label} out")

        await asyncio.gather(worker("a"), worker("b"), worker("c"))
        for _ in range(5):
            await aconc.rate_limit(name + "-rate")
        return order

    order = asyncio.run(main())
    assert [o.split()[1] for o in order] == ["in", "out"] * 3  # one at a time
    assert _in_use(name) == 0


def test_a_cancelled_async_waiter_leaves_no_slot_behind(backend, name: str) -> None:
    slots_api().create(name, 1)

    async def main() -> None:
        async with aconc.concurrency(name):
            waiter = asyncio.ensure_future(_enter(name))
            await asyncio.sleep(0.3)
            waiter.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiter
        await asyncio.sleep(0.5)  # had the cancelled waiter been granted, it gives back

    asyncio.run(main())
    deadline = time.monotonic() + 5
    while _in_use(name) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _in_use(name) == 0


async def _enter(name: str) -> None:
    async with aconc.concurrency(name):
        await asyncio.sleep(60)


def test_a_lost_lease_is_reported_when_the_block_ends(backend, name: str) -> None:
    slots_api().create(name, 1)
    with (
        pytest.raises(ConcurrencySlotAcquisitionError, match="was lost while the block ran"),
        sync.concurrency(name, lease_duration=0.6, raise_on_lease_renewal_failure=True),
    ):
        slots_api().reset(name)  # the operator frees every slot
        time.sleep(0.8)  # the next renewal finds the lease gone
    with sync.concurrency(name, lease_duration=0.6):
        slots_api().reset(name)
        time.sleep(0.8)  # logged, not raised (strict is False)


def test_a_held_lease_outlives_its_duration_while_renewed(backend, name: str) -> None:
    slots_api().create(name, 1)
    with sync.concurrency(name, lease_duration=0.5):
        time.sleep(1.6)  # three lease durations: renewed every third of one
        assert _in_use(name) == 1
        with (
            pytest.raises(AcquireConcurrencySlotTimeoutError),
            sync.concurrency(name, timeout_seconds=0.1),
        ):
            pass
