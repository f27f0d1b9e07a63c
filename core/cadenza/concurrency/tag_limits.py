"""Tag limits in the task engine: at most N task runs carrying tag T run at once, across every
process that reports to the same record.

A tag limit is the global limit named ``tag:T`` (as in Prefect 3). Before a task run with a
limited tag goes Running, the engine records it Pending and takes one slot of each of its tags'
limits (waiting, still Pending, while any is full); it holds them, renewed, until the run is
final. Which tags have a limit is read from the record at most every `REFRESH_SECONDS` and kept
per process, so a task run without tags pays one truth test and one with tags a set lookup;
a tag limit created while a process runs (or a change of ``CADENZA_HOME`` or
``CADENZA_API_URL`` in it) applies to its task runs within that interval.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from cadenza.settings import spec
from cadenza.states import State, StateDetails, StateType
from cadenza.store.local import LocalRecord, local

REFRESH_SECONDS = 5.0
"""How long this process trusts what it read about which tags have a limit."""
TAG_PREFIX = "tag:"

_NONE: tuple[str, ...] = ()
_cache: tuple[float, frozenset[str]] = (0.0, frozenset())  # (good until, tags)
_refresh = threading.Lock()


class _TagLimitsReader(LocalRecord):
    """Reads the embedded record with the standard library (no SQLAlchemy on a flow's path)."""

    def limited_tags(self) -> list[str]:
        rows = self.query(
            "SELECT substr(name, 5) FROM concurrency_limits "
            "WHERE active AND substr(name, 1, 4) = 'tag:'"
        )
        return [row[0] for row in rows]


def limit_names(tags: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The limits (``tag:T``) of those of `tags` that have an active tag limit."""
    if not tags:
        return _NONE
    limited = limited_tags()
    if not limited:
        return _NONE
    return tuple(TAG_PREFIX + t for t in dict.fromkeys(tags) if t in limited)


def limited_tags() -> frozenset[str]:
    """The tags with an active limit in the record this process reports to (cached, see the
    module docstring). A record that cannot be read counts as having none, with a warning."""
    global _cache
    until, tags = _cache
    if time.monotonic() < until:  # the common case: one clock read
        return tags
    with _refresh:
        until, tags = _cache
        if time.monotonic() < until:
            return tags
        try:
            tags = frozenset(_read(spec.get("CADENZA_API_URL")))
        except Exception as exc:  # the engine runs on: better unlimited than stopped
            # lazily: logging only on this rare path
            from cadenza.logging.loggers import get_logger

            get_logger("cadenza.concurrency").warning(
                "Could not read which tags have a concurrency limit (%s: %s); task runs are not "
                "held to tag limits for the next %g s",
                type(exc).__name__, exc, REFRESH_SECONDS,
            )  # fmt: skip
            tags = frozenset()
        _cache = (time.monotonic() + REFRESH_SECONDS, tags)
        return tags


def _read(api_url: str | None) -> list[str]:
    if api_url:
        # lazily: the server's client (httpx) is already loaded when a server is configured
        from cadenza.concurrency._api import slots_api

        return slots_api().limited_tags()
    return local(_TagLimitsReader).limited_tags()  # one per record file (follows CADENZA_HOME)


def forget() -> None:
    """Read the tag limits again at the next task run (tests; after creating a tag limit)."""
    global _cache
    _cache = (0.0, frozenset())


_NO_SLOTS = contextlib.nullcontext()


def tag_slots(run: Any, backend: Any) -> contextlib.AbstractContextManager[None]:
    """Hold one slot of each limit of `run`'s tags while the block runs (the run's lifecycle);
    the run is recorded Pending while it waits for them. Without a limited tag: nothing."""
    names = limit_names(run.tags)
    return _held(run, backend, names) if names else _NO_SLOTS


def atag_slots(run: Any, backend: Any) -> contextlib.AbstractAsyncContextManager[None]:
    """`tag_slots` for an async task run: it waits without blocking the event loop."""
    names = limit_names(run.tags)
    return _aheld(run, backend, names) if names else _NO_SLOTS


@contextlib.contextmanager
def _held(run: Any, backend: Any, names: tuple[str, ...]) -> Iterator[None]:
    # lazily: the acquisition machinery loads only when a task run has a limited tag
    from cadenza.concurrency.sync import concurrency

    backend.propose(run, State(StateType.PENDING, "Pending"))
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(concurrency(list(names), holder=_holder(run)))
        except Exception as exc:
            _fail(run, backend, exc)
            raise
        yield


@contextlib.asynccontextmanager
async def _aheld(run: Any, backend: Any, names: tuple[str, ...]) -> AsyncIterator[None]:
    # lazily: the acquisition machinery loads only when a task run has a limited tag
    from cadenza.concurrency.asyncio import concurrency

    backend.propose(run, State(StateType.PENDING, "Pending"))
    async with contextlib.AsyncExitStack() as stack:
        try:
            await stack.enter_async_context(concurrency(list(names), holder=_holder(run)))
        except Exception as exc:
            _fail(run, backend, exc)
            raise
        yield


def _holder(run: Any) -> dict[str, Any]:
    return {"type": "task_run", "id": run.id}


def _fail(run: Any, backend: Any, exc: Exception) -> None:
    """A task run whose slots could not be taken (the record unreachable, say) ends Failed,
    not Pending forever; the error goes on to the caller."""
    message = f"Task run could not take its tags' concurrency slots: {exc}"
    details = StateDetails(flow_run_id=run.flow_run_id, task_run_id=run.id)
    backend.propose(run, State(StateType.FAILED, None, message, exc, details))


__all__ = ["REFRESH_SECONDS", "atag_slots", "forget", "limit_names", "limited_tags", "tag_slots"]
