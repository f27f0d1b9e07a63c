"""Exceptions raised by cadenza. Each names the run, parameter or rule that caused it."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class CadenzaError(Exception):
    """Base class of every error cadenza raises on its own account."""


class EventTooLarge(CadenzaError, ValueError):
    """An event (`cadenza.events.emit_event`) is larger, encoded as JSON, than the record takes."""

    def __init__(self, size: int, maximum: int) -> None:
        super().__init__(f"Event is too large to emit ({size} > {maximum} bytes)")
        self.size = size
        self.maximum = maximum


class FailedRun(CadenzaError):
    """A run failed without an exception object to re-raise (e.g. loaded from the record)."""


class CrashedRun(CadenzaError):
    """A run crashed: its process died or was interrupted."""


class CancelledRun(CadenzaError):
    """A run was cancelled."""


class MissingResult(CadenzaError):
    """A state's result is neither in memory nor persisted."""


class ParameterTypeError(CadenzaError, TypeError):
    """Flow parameters do not match the flow's signature or type hints."""


class TaskTimeoutError(CadenzaError, TimeoutError):
    """A task or flow ran past its `timeout_seconds`. What the engine raises is one of the two
    subclasses below, named as in Prefect; ``except TimeoutError`` catches all three."""


class TaskRunTimeoutError(TaskTimeoutError):
    """A task run ran past its task's `timeout_seconds` (Prefect's name)."""


class FlowRunTimeoutError(TaskTimeoutError):
    """A flow run ran past its flow's `timeout_seconds` (Prefect's name)."""


class InvalidTransition(CadenzaError):
    """The orchestrator rejected or aborted a proposed state transition."""


class FlowRunNotRunnable(InvalidTransition):
    """An existing flow run cannot be run (adopted): it is already in a final state.

    `flow_run_id` and `state` (its current `State`) say which run and why.
    """

    def __init__(self, flow_run_id: str, state: object) -> None:
        self.flow_run_id = flow_run_id
        self.state = state
        name = getattr(state, "name", None) or str(state)
        super().__init__(
            f"Flow run {flow_run_id} cannot be run: it is already {name}, a final state"
        )


class EntrypointError(CadenzaError):
    """A flow's entrypoint (``path/to/file.py:attr`` or ``package.module:attr``) could not be
    loaded: malformed, a missing file or attribute, or an error while importing it (chained).
    The message names the entrypoint and the problem."""


class SourceError(CadenzaError):
    """A flow's source (a local directory or a git repository) could not be made available;
    for git, the message includes git's own error output (credentials masked)."""


class CancellationRequested(BaseException):
    """Raised in a flow run's thread when someone asked to cancel the run (`cadenza runs
    cancel`, the API, an automation): the run stops where it is and ends Cancelled.

    Not an `Exception`, so that user code's ``except Exception`` does not swallow it; raised
    by `cadenza.engine.cancellation`, which sends the class without arguments to the thread.
    """


class TerminationSignal(SystemExit):
    """Raised in the main thread when the process receives SIGTERM during a run.

    Not an `Exception`, so that user code's ``except Exception`` does not swallow it; the
    engine marks the runs Crashed, flushes the record and lets it through. A `SystemExit` whose
    `code` is 128 + `signum`: uncaught, it ends the process with the conventional status (143),
    silently, also when it leaves ``asyncio.run``. `signum` defaults to SIGTERM so that the
    class can be raised in a task runner's thread, which raises a class without arguments.
    """

    def __init__(self, signum: int = 15) -> None:
        super().__init__(f"the process received {signal_name(signum)}")
        self.signum = signum
        self.code = 128 + signum


def signal_name(signum: int) -> str:
    """``"SIGTERM (signal 15)"``: a signal's name for messages, without importing `signal`."""
    name = _SIGNAL_NAMES.get(signum)
    return f"{name} (signal {signum})" if name else f"signal {signum}"


# The same numbers on every platform cadenza runs on (POSIX, and Windows for these three).
_SIGNAL_NAMES = {1: "SIGHUP", 2: "SIGINT", 15: "SIGTERM"}


class StoreError(CadenzaError):
    """The run record could not be opened, migrated or read."""


class MissingContextError(CadenzaError, RuntimeError):
    """A run-scoped API (e.g. `get_run_logger`) was called outside any flow or task run."""


class InvalidStorageKey(CadenzaError, ValueError):
    """A result storage key is unsafe: empty, absolute, escaping the base path, or malformed."""


class ResultIntegrityError(CadenzaError):
    """A stored result is not one cadenza wrote: tampered, truncated, foreign or signed with
    another key. Its payload is never deserialized."""


class MissingKeyError(CadenzaError):
    """A key file is gone while something sealed or signed with its key still needs it.

    Cadenza never replaces such a key by itself; the message names the file and how to go on.
    """


class ResultKeyMissingError(MissingKeyError, ResultIntegrityError):
    """The result signing key file is missing: a stored result cannot be verified (so it is
    refused), and a home that signed results before does not start a new key."""


class UpstreamTaskError(CadenzaError):
    """A task run did not start because a run it depends on did not complete."""


class ServerIncompatible(CadenzaError):
    """The URL does not answer as a cadenza server, or its API version is not one this client
    speaks (see docs/reference/http-api.md)."""


class ServerUnreachable(CadenzaError):
    """A top-level flow run ended while the server (``CADENZA_API_URL``) was unreachable: its
    record waits in the local journal (``cadenza journal ls``, ``cadenza journal flush``).

    Raised by the flow call unless ``CADENZA_CLIENT_OFFLINE_OK=true``; `state` is the state the
    run ended in (the flow's return value is ``state.result()``)."""

    def __init__(self, message: str, state: Any = None) -> None:
        super().__init__(message)
        self.state = state


class ObjectNotFound(CadenzaError, LookupError):
    """A deployment, work pool, work queue or flow run named in a call does not exist."""


class ObjectAlreadyExists(CadenzaError):
    """A deployment or work pool of that name exists and the call did not ask to replace it."""


class Pause(BaseException):
    """Raised by `cadenza.flow_runs.suspend_flow_run` to end the process's flow run without
    failing it: the run stays Suspended until it is resumed, then a worker runs it again.
    `state` is the Suspended state. Not an `Exception`, so ``except Exception`` does not stop it.
    """

    def __init__(self, *args: object, state: object = None) -> None:
        super().__init__(*args)
        self.state = state


class NotPausedError(CadenzaError):
    """A flow run that is not paused was asked to resume (`cadenza.flow_runs.resume_flow_run`)."""


class FlowPauseTimeout(CadenzaError, TimeoutError):
    """A paused flow run was not resumed within its pause's timeout; it can no longer be."""


class InvalidRunInput(CadenzaError, ValueError):
    """The input given to resume a flow run does not fit what the run waits for. `problems` lists
    each one as ``(path, message)``: the path names the field (``("age",)``), never the value."""

    def __init__(self, problems: list[tuple[tuple[str | int, ...], str]]) -> None:
        shown = "; ".join(
            f"{'.'.join(str(p) for p in path) or 'the input'}: {msg}" for path, msg in problems[:5]
        )
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"Invalid run input: {shown}{more}")
        self.problems = problems


# -- Prefect's names (``prefect.exceptions``), for code that raises or catches them -------------

PrefectException = CadenzaError
"""Prefect's base class name: ``except PrefectException`` catches every error Cadenza raises."""


class ParameterBindError(ParameterTypeError):
    """A flow was called with arguments its signature cannot take (too many, a missing or an
    unknown one); Prefect's name. Also a `ParameterTypeError` and a `TypeError`."""


class MappingLengthMismatch(CadenzaError, ValueError):
    """``Task.map()`` was given iterables of different lengths."""


class MappingMissingIterable(CadenzaError, ValueError):
    """``Task.map()`` was given no iterable argument to map over."""


class UnfinishedRun(MissingResult):
    """``State.result()`` of a state that is not final (Scheduled, Pending, Running, Paused):
    the run has no result yet."""


class SerializationError(CadenzaError, ValueError):
    """A value could not be serialized, or stored bytes could not be deserialized."""


class InvalidNameError(CadenzaError, ValueError):
    """A name (of a flow, task, block, variable, deployment) holds characters it may not."""


class FlowRunWaitTimeout(CadenzaError, TimeoutError):
    """A flow run did not reach a final state within the time waited for it."""


def exception_traceback(exc: BaseException) -> str:
    """The traceback of `exc` as text, as Python prints it."""
    import traceback  # lazily: keeps traceback, linecache and tokenize off `import cadenza`

    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


__all__ = [
    "CadenzaError",
    "CancellationRequested",
    "CancelledRun",
    "CrashedRun",
    "EntrypointError",
    "EventTooLarge",
    "FailedRun",
    "FlowPauseTimeout",
    "FlowRunNotRunnable",
    "FlowRunTimeoutError",
    "FlowRunWaitTimeout",
    "InvalidNameError",
    "InvalidRunInput",
    "InvalidStorageKey",
    "InvalidTransition",
    "MappingLengthMismatch",
    "MappingMissingIterable",
    "MissingContextError",
    "MissingKeyError",
    "MissingResult",
    "NotPausedError",
    "ObjectAlreadyExists",
    "ObjectNotFound",
    "ParameterBindError",
    "ParameterTypeError",
    "Pause",
    "PrefectException",
    "ResultIntegrityError",
    "ResultKeyMissingError",
    "SerializationError",
    "ServerIncompatible",
    "ServerUnreachable",
    "SourceError",
    "StoreError",
    "TaskRunTimeoutError",
    "TaskTimeoutError",
    "TerminationSignal",
    "UnfinishedRun",
    "UpstreamTaskError",
    "exception_traceback",
    "signal_name",
]
