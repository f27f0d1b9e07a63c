"""Messages between running flow runs (Prefect's interactive workflows): inputs sent to a flow
run under a key prefix, and the handler that receives them one by one, oldest first.

A message is a flow-run input (`cadenza.input.actions`) whose key is ``<prefix>-<uuid>``; the
prefix defaults to the lowercased model name and ``-auto`` (``numberdata-auto``), as Prefect's.
`GetInputHandler` polls the record (embedded or server) for inputs of its prefix that it has not
returned yet, every ``poll_interval`` seconds, until ``timeout``: iterating it ends at the
timeout (or raises `TimeoutError` with ``raise_timeout_error=True``); `next()` raises it.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any, Generic, TypeVar

from cadenza._dispatch import in_async_context
from cadenza.input.actions import (
    create_flow_run_input_from_model,
    ensure_flow_run_id,
    filter_flow_run_input,
)

R = TypeVar("R")

_EXCLUDED = 500  # keys the record leaves out per request (the API's cap); the rest are skipped
_MAX_LIMIT = 1000  # inputs one request returns at most (the API's cap)


def default_prefix(model: type) -> str:
    return f"{model.__name__.lower()}-auto"


def send(flow_run_id: Any, message: Any, sender: str | None, key_prefix: str | None) -> None:
    """Store `message` (a run-input model instance) as a new input of the flow run."""
    prefix = key_prefix or default_prefix(type(message))
    create_flow_run_input_from_model(  # type: ignore[call-arg]  # sync even in async code
        f"{prefix}-{uuid.uuid4()}", message, flow_run_id=flow_run_id, sender=sender, _sync=True
    )


class GetInputHandler(Generic[R]):
    """Receives the inputs sent to a flow run under one key prefix, each once, oldest first:
    ``for item in handler``, ``async for item in handler``, ``handler.next()`` or ``await
    handler.anext()``. Items are instances of the run-input model, or, for a plain type sent with
    `send_input`, the value itself (its model instance with ``with_metadata=True``)."""

    def __init__(
        self,
        run_input_cls: Any,
        key_prefix: str,
        timeout: float | None = 3600,
        poll_interval: float = 10,
        raise_timeout_error: bool = False,
        exclude_keys: set[str] | None = None,
        flow_run_id: Any = None,
        with_metadata: bool = True,
    ) -> None:
        self.run_input_cls = run_input_cls
        self.key_prefix = key_prefix
        self.timeout = timeout
        self.poll_interval = poll_interval
        self.raise_timeout_error = raise_timeout_error
        self.flow_run_id = ensure_flow_run_id(flow_run_id)
        self.with_metadata = with_metadata
        self.exclude_keys: list[str] = list(exclude_keys or ())
        self._seen = set(self.exclude_keys)

    # -- one input --------------------------------------------------------------------------------
    def _unseen(self) -> dict[str, Any] | None:
        """The oldest input of the prefix not returned yet, or None. The record leaves out the
        first keys already seen; the others it returns are skipped here, so the request asks for
        as many more as could be among them."""
        limit = min(_MAX_LIMIT, 1 + max(0, len(self.exclude_keys) - _EXCLUDED))
        found = filter_flow_run_input(  # type: ignore[call-arg]  # sync even in async code
            self.key_prefix,
            limit=limit,
            exclude_keys=self.exclude_keys[:_EXCLUDED],
            flow_run_id=self.flow_run_id,
            _sync=True,
        )
        for item in found:
            if item["key"] not in self._seen:
                self._seen.add(item["key"])
                self.exclude_keys.append(item["key"])
                return item
        return None

    def _instance(self, item: dict[str, Any]) -> R:
        received = self.run_input_cls.load_from_flow_run_input(
            {**item, "flow_run_id": item.get("flow_run_id", self.flow_run_id)}
        )
        value: R = received if self.with_metadata else received.value
        return value

    def _deadline(self) -> float | None:
        return None if self.timeout is None else time.monotonic() + self.timeout

    def _pause(self, deadline: float | None) -> float:
        """How long to wait before looking again; `TimeoutError` once the deadline is past."""
        if deadline is None:
            return self.poll_interval
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no input with key prefix {self.key_prefix!r} arrived")
        return min(self.poll_interval, left)

    def next(self) -> R:
        """The next input, waiting for it up to ``timeout`` seconds (`TimeoutError` after).
        From async code (`cadenza._dispatch.in_async_context`) it returns an awaitable, as
        `anext` does."""
        if in_async_context():
            return self.anext()  # type: ignore[return-value]  # awaited by the async caller
        return self._next_sync()

    def _next_sync(self) -> R:
        deadline = self._deadline()
        while (item := self._unseen()) is None:
            time.sleep(self._pause(deadline))
        return self._instance(item)

    async def anext(self) -> R:
        """`next`, for async code: the record is read in a worker thread."""
        deadline = self._deadline()
        while (item := await asyncio.to_thread(self._unseen)) is None:
            await asyncio.sleep(self._pause(deadline))
        return self._instance(item)

    # -- iteration --------------------------------------------------------------------------------
    def __iter__(self) -> Iterator[R]:
        return self

    def __next__(self) -> R:
        try:
            return self._next_sync()
        except TimeoutError:
            if self.raise_timeout_error:
                raise
            raise StopIteration from None

    def __aiter__(self) -> AsyncIterator[R]:
        return self

    async def __anext__(self) -> R:
        try:
            return await self.anext()
        except TimeoutError:
            if self.raise_timeout_error:
                raise
            raise StopAsyncIteration from None


__all__ = ["GetInputHandler", "default_prefix", "send"]
