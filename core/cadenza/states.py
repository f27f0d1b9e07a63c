"""The state model: a small `StateType` enum, open-ended state names, and immutable `State` values.

One definition serves the engine, the record, the CLI and (later) the server. A `State` carries its
type, a display name (``Completed``, ``Retrying``, ``TimedOut`` ...), a message, a timestamp
(seconds since the epoch, exposed as an aware `datetime`), its in-memory result or exception, and
`StateDetails` (run ids, scheduled time, retry count, transition id).
"""

from __future__ import annotations

import enum
from operator import itemgetter
from time import time as _time

from cadenza._typing import Generic, R, overload
from cadenza.exceptions import CancelledRun, CrashedRun, FailedRun, MissingResult

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime
    from typing import Any, Literal, Protocol

    class StateConstructor(Protocol):
        """`Completed`, `Failed`, ...: make a state of one type and name."""

        __name__: str

        def __call__(
            self,
            message: str | None = None,
            *,
            name: str | None = None,
            data: Any = ...,
            state_details: StateDetails | None = None,
            **details: Any,
        ) -> State[Any]: ...


class StateType(str, enum.Enum):
    SCHEDULED = "SCHEDULED"
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CRASHED = "CRASHED"
    CANCELLING = "CANCELLING"
    CANCELLED = "CANCELLED"
    PAUSED = "PAUSED"

    def __str__(self) -> str:
        return self.value


TERMINAL_STATES = frozenset(
    {StateType.COMPLETED, StateType.FAILED, StateType.CRASHED, StateType.CANCELLED}
)
_FAILURE_TYPES = (StateType.FAILED, StateType.CRASHED, StateType.CANCELLED)


class _NoResult:
    """The marker of a state without a result; pickles as the same singleton."""

    __slots__ = ()

    def __reduce__(self) -> str:
        return "_NO_RESULT"

    def __repr__(self) -> str:
        return "<no result>"


_NO_RESULT = _NoResult()

async_context: Callable[[], bool] | None = None
"""Whether the caller is async code, for `State.result()` (which then returns an awaitable);
it needs the run context, which sits above states, so the composition root installs
`cadenza.context.in_async_context` here."""

result_loader: Callable[[str], Any] | None = None
"""Reads a persisted result back from its reference, for `State.result()`. Result persistence
sits above states (it needs storage, blocks and the run context), so the composition root
(`cadenza/__init__.py`) installs `cadenza.results.load_result` here."""


class StateDetails:
    """Where a state belongs and what it schedules; all fields optional."""

    __slots__ = (
        "cache_key",
        "flow_run_id",
        "pause_key",
        "pause_reschedule",
        "pause_timeout",
        "retry_count",
        "run_input_keyset",
        "scheduled_time",
        "task_run_id",
        "transition_id",
    )

    def __init__(
        self,
        flow_run_id: str | None = None,
        task_run_id: str | None = None,
        scheduled_time: float | None = None,
        retry_count: int | None = None,
        cache_key: str | None = None,
        transition_id: str | None = None,
        pause_timeout: float | None = None,
        pause_key: str | None = None,
        pause_reschedule: bool | None = None,
        run_input_keyset: dict[str, str] | None = None,
    ) -> None:
        self.flow_run_id = flow_run_id
        self.task_run_id = task_run_id
        self.scheduled_time = scheduled_time
        self.retry_count = retry_count
        self.cache_key = cache_key
        self.transition_id = transition_id
        # A Paused state's (cadenza.flow_runs): until when it may be resumed (epoch seconds;
        # None: no limit), its key, whether resuming reschedules the run (Suspended: a worker
        # runs it again) and the flow-run input keys of what it waits for.
        self.pause_timeout = pause_timeout
        self.pause_key = pause_key
        self.pause_reschedule = pause_reschedule
        self.run_input_keyset = run_input_keyset

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__ if getattr(self, k) is not None}

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.to_dict().items())
        return f"StateDetails({inner})"


class State(tuple["Any", ...], Generic[R]):  # "Any": a string, as `typing` is not imported
    """An immutable state value. Construct with the helpers below (`Completed(...)`, ...).

    A tuple underneath: created on every transition of every run, so creation must cost well
    under a microsecond, and a tuple is immutable for free. Generic in the run's return value:
    ``my_task(1, return_state=True)`` is a ``State[int]`` for a task returning ``int``.
    """

    __slots__ = ()

    def __new__(
        cls,
        type: StateType,
        name: str | None = None,
        message: str | None = None,
        data: Any = _NO_RESULT,
        state_details: StateDetails | None = None,
        ts: float | None = None,
        result_ref: str | None = None,
    ) -> State[Any]:
        if type.__class__ is not StateType:
            type = StateType(type)
        return tuple.__new__(
            cls,
            (
                type,
                name or _DEFAULT_NAMES[type],
                message,
                data,
                state_details,
                _time() if ts is None else ts,
                result_ref,
            ),
        )

    def __getnewargs__(self) -> tuple[Any, ...]:  # pickle/cloudpickle rebuild through __new__
        return tuple(self)

    # Fields are properties reading tuple items (itemgetter: fast, no Python frame); each is
    # declared with the type it reads as, which a property object is not, hence the ignores.
    type: StateType = property(itemgetter(0))  # type: ignore[assignment]  # see above
    name: str = property(itemgetter(1))  # type: ignore[assignment]  # see above
    message: str | None = property(itemgetter(2))  # type: ignore[assignment]  # see above
    _data: Any = property(itemgetter(3))
    #: The data as given: the no-result marker when the state carries none (`data` then says
    #: None and `has_data()` False).
    raw_data: Any = property(itemgetter(3))
    #: The details as given: None when the state was made without any (`state_details` then
    #: makes empty ones).
    raw_details: StateDetails | None = property(itemgetter(4))  # type: ignore[assignment]  # see above
    ts: float = property(itemgetter(5))  # type: ignore[assignment]  # see above
    result_ref: str | None = property(itemgetter(6))  # type: ignore[assignment]  # see above

    @property
    def state_details(self) -> StateDetails:
        details = self.raw_details
        return StateDetails() if details is None else details

    # -- queries --------------------------------------------------------------------------------
    @property
    def timestamp(self) -> datetime:
        from datetime import datetime, timezone  # lazily: datetime is not on `import cadenza`

        return datetime.fromtimestamp(self.ts, tz=timezone.utc)

    @property
    def data(self) -> Any:
        return None if self._data is _NO_RESULT else self._data

    def has_data(self) -> bool:
        return self._data is not _NO_RESULT

    def is_scheduled(self) -> bool:
        return self.type is StateType.SCHEDULED

    def is_pending(self) -> bool:
        return self.type is StateType.PENDING

    def is_running(self) -> bool:
        return self.type is StateType.RUNNING

    def is_completed(self) -> bool:
        return self.type is StateType.COMPLETED

    def is_failed(self) -> bool:
        return self.type is StateType.FAILED

    def is_crashed(self) -> bool:
        return self.type is StateType.CRASHED

    def is_cancelled(self) -> bool:
        return self.type is StateType.CANCELLED

    def is_cancelling(self) -> bool:
        return self.type is StateType.CANCELLING

    def is_paused(self) -> bool:
        return self.type is StateType.PAUSED

    def is_final(self) -> bool:
        return self.type in TERMINAL_STATES

    # -- results --------------------------------------------------------------------------------
    @overload
    def result(self, raise_on_failure: Literal[True] = True, fetch: bool = True) -> R: ...
    @overload
    def result(self, raise_on_failure: bool = ..., fetch: bool = True) -> R | BaseException: ...
    def result(self, raise_on_failure: bool = True, fetch: bool = True) -> R | BaseException:
        """The run's return value; for a failed, crashed or cancelled state, raise its exception.

        With ``raise_on_failure=False`` such a state's data is returned instead, as in Prefect:
        the exception it carries, or what the run returned (a flow that returned a tuple of
        states gets the tuple back); a state without data returns its exception.

        Called from async code (the body or hooks of an async flow or task, or a coroutine
        outside any run), it returns an awaitable, as Prefect 3's does: ``await
        state.result()``.
        """
        del fetch  # accepted for Prefect compatibility; results are always fetched
        if async_context is not None and async_context():
            awaitable: R = self.aresult(raise_on_failure)  # type: ignore[assignment]  # Prefect's dual function: the awaitable stands for R
            return awaitable
        return sync_result(self, raise_on_failure)

    def _result(self, raise_on_failure: bool) -> R | BaseException:
        data = self._data
        if self.type in _FAILURE_TYPES:
            if raise_on_failure:
                raise self._exception()
            return self._exception() if data is _NO_RESULT else data
        if data is _NO_RESULT:
            if self.result_ref is not None and result_loader is not None:
                loaded: R = result_loader(self.result_ref)  # stored untyped: the run's R
                return loaded
            raise MissingResult(
                f"State {self.name!r} has no result in memory and none was persisted"
            )
        value: R = data  # held untyped (a tuple item): the value the run returned
        return value

    @overload
    async def aresult(self, raise_on_failure: Literal[True] = True, fetch: bool = True) -> R: ...
    @overload
    async def aresult(
        self, raise_on_failure: bool = ..., fetch: bool = True
    ) -> R | BaseException: ...
    async def aresult(self, raise_on_failure: bool = True, fetch: bool = True) -> R | BaseException:
        """`result`, awaitable: Prefect's explicit async form (``await state.aresult()``)."""
        del fetch
        return self._result(raise_on_failure)

    def _exception(self) -> BaseException:
        """The exception a failed, crashed or cancelled state stands for (Prefect's
        `get_state_exception`): the one it carries; for data that is a state, or a list, tuple
        or set of states (what a run returned), the first failed one's; otherwise a
        `FailedRun`, `CrashedRun` or `CancelledRun` with the state's message."""
        data = self._data
        if isinstance(data, BaseException):
            return data
        if isinstance(data, State):
            if data.type in _FAILURE_TYPES:
                return data._exception()
        elif isinstance(data, (list, tuple, set, frozenset)):
            for item in data:
                if isinstance(item, State) and item.type in _FAILURE_TYPES:
                    return item._exception()
        message = data if isinstance(data, str) and data else self.message
        message = message or f"Run ended in state {self.name}"
        if self.type is StateType.CRASHED:
            return CrashedRun(message)
        if self.type is StateType.CANCELLED:
            return CancelledRun(message)
        return FailedRun(message)

    # -- derivation -----------------------------------------------------------------------------
    def copy(self, **changes: Any) -> State[R]:
        fields = {
            "type": self.type,
            "name": self.name,
            "message": self.message,
            "data": self._data,
            "state_details": self.raw_details,
            "ts": self.ts,
            "result_ref": self.result_ref,
        }
        fields.update(changes)
        return State(**fields)

    def __repr__(self) -> str:
        parts = [f"message={self.message!r}"] if self.message else []
        if self.name.upper() != self.type.value:
            parts.append(f"type={self.type.value}")
        return f"{self.name}({', '.join(parts)})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, State):
            return NotImplemented
        return (self.type, self.name, self.message, self.ts) == (
            other.type,
            other.name,
            other.message,
            other.ts,
        )

    def __hash__(self) -> int:
        return hash((self.type, self.name, self.ts))


_DEFAULT_NAMES = {t: t.value.title() for t in StateType}


@overload
def sync_result(state: State[R], raise_on_failure: Literal[True] = True) -> R: ...
@overload
def sync_result(state: State[R], raise_on_failure: bool = ...) -> R | BaseException: ...
def sync_result(state: State[R], raise_on_failure: bool = True) -> R | BaseException:
    """``state.result()`` as sync code gets it, wherever it is called: what the engine, futures
    and task runners use."""
    return state._result(raise_on_failure)


def get_state_exception(state: State[Any]) -> BaseException:
    """The exception a Failed, Crashed or Cancelled `state` stands for (Prefect's helper):
    what ``state.result()`` raises. A `ValueError` for a state of another type."""
    if state.type not in _FAILURE_TYPES:
        raise ValueError(f"Expected a failed, crashed or cancelled state, got {state!r}")
    return state._exception()


def raise_state_exception(state: State[Any]) -> None:
    """Raise `get_state_exception(state)` for a Failed, Crashed or Cancelled state; else
    do nothing (Prefect's helper)."""
    if state.type in _FAILURE_TYPES:
        raise state._exception()


def is_state_iterable(obj: Any) -> bool:
    """True for a non-empty list, tuple or set holding only states (Prefect's helper)."""
    return (
        isinstance(obj, (list, tuple, set))
        and bool(obj)
        and all(isinstance(item, State) for item in obj)
    )


def _make(type_: StateType, default_name: str | None = None) -> StateConstructor:
    def constructor(
        message: str | None = None,
        *,
        name: str | None = None,
        data: Any = _NO_RESULT,
        state_details: StateDetails | None = None,
        **details: Any,
    ) -> State[Any]:
        if details:  # the fields themselves (cadenza), or a StateDetails (Prefect's form)
            state_details = StateDetails(
                **{**(state_details or StateDetails()).to_dict(), **details}
            )
        return State(type_, name or default_name, message, data, state_details)

    constructor.__name__ = default_name or _DEFAULT_NAMES[type_]
    constructor.__doc__ = f"A {type_.value} state named {constructor.__name__!r}."
    return constructor


Scheduled = _make(StateType.SCHEDULED)
Pending = _make(StateType.PENDING)
Running = _make(StateType.RUNNING)
Completed = _make(StateType.COMPLETED)
Failed = _make(StateType.FAILED)
Crashed = _make(StateType.CRASHED)
Cancelling = _make(StateType.CANCELLING)
Cancelled = _make(StateType.CANCELLED)
Paused = _make(StateType.PAUSED)
AwaitingRetry = _make(StateType.SCHEDULED, "AwaitingRetry")
Late = _make(StateType.SCHEDULED, "Late")
Retrying = _make(StateType.RUNNING, "Retrying")
Cached = _make(StateType.COMPLETED, "Cached")
TimedOut = _make(StateType.FAILED, "TimedOut")
Suspended = _make(StateType.PAUSED, "Suspended")


__all__ = [
    "TERMINAL_STATES",
    "AwaitingRetry",
    "Cached",
    "Cancelled",
    "Cancelling",
    "Completed",
    "Crashed",
    "Failed",
    "Late",
    "Paused",
    "Pending",
    "Retrying",
    "Running",
    "Scheduled",
    "State",
    "StateDetails",
    "StateType",
    "Suspended",
    "TimedOut",
    "get_state_exception",
    "is_state_iterable",
    "raise_state_exception",
]
