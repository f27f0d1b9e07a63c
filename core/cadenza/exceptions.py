"""Exceptions raised by cadenza. Each names the run, parameter or rule that caused it."""

from __future__ import annotations


class CadenzaError(Exception):
    """Base class of every error cadenza raises on its own account."""


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
    """A task or flow ran past its `timeout_seconds`."""


class InvalidTransition(CadenzaError):
    """The orchestrator rejected or aborted a proposed state transition."""


class TerminationSignal(BaseException):
    """Raised in the main thread when the process receives SIGTERM during a run.

    A `BaseException`, like `KeyboardInterrupt`, so that user code's ``except Exception`` does not
    swallow it; the engine marks the run Crashed and lets the process exit.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(f"Process received signal {signum}")
        self.signum = signum


class StoreError(CadenzaError):
    """The run record could not be opened, migrated or read."""


class MissingContextError(CadenzaError, RuntimeError):
    """A run-scoped API (e.g. `get_run_logger`) was called outside any flow or task run."""


class InvalidStorageKey(CadenzaError, ValueError):
    """A result storage key is unsafe: empty, absolute, escaping the base path, or malformed."""


class ResultIntegrityError(CadenzaError):
    """A stored result is not one cadenza wrote: tampered, truncated, foreign or signed with
    another key. Its payload is never deserialized."""


class UpstreamTaskError(CadenzaError):
    """A task run did not start because a run it depends on did not complete."""


class ServerIncompatible(CadenzaError):
    """The URL does not answer as a cadenza server, or its API version is not one this client
    speaks (see docs/reference/http-api.md)."""
