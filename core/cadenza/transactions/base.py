"""Transactions: a unit of work that commits or rolls back as one (Prefect 3's semantics).

Lifecycle of a transaction: BEGIN (its key is looked up: a record committed earlier makes it
COMMITTED at once), STAGE (a value and the hooks of the work done inside it), then COMMIT (hooks
``on_commit``, record written) or ROLLBACK (hooks ``on_rollback``, in reverse order). A
transaction opened inside another hands itself to its parent on exit and commits with it; one
that rolls back rolls its parent back too. See ``docs/concepts/transactions.md``.
"""

from __future__ import annotations

import copy
import enum
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING, Any

from cadenza.logging.loggers import get_run_logger
from cadenza.transactions.records import RecordStore, TransactionRecord, record_store

_log = logging.getLogger("cadenza.transactions")
_NOT_SET: Any = object()


class IsolationLevel(str, enum.Enum):
    READ_COMMITTED = "READ_COMMITTED"
    SERIALIZABLE = "SERIALIZABLE"

    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self.name}"


class CommitMode(str, enum.Enum):
    EAGER = "EAGER"
    LAZY = "LAZY"
    OFF = "OFF"

    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self.name}"


class TransactionState(str, enum.Enum):
    PENDING = "PENDING"
    ACTIVE = "ACTIVE"
    STAGED = "STAGED"
    COMMITTED = "COMMITTED"
    ROLLED_BACK = "ROLLED_BACK"

    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self.name}"


_ENDED = (TransactionState.ROLLED_BACK, TransactionState.COMMITTED)
Hook = Callable[..., Any]
#: The innermost open transaction. The engine reads it directly (one C call) on every task call.
current_transaction: ContextVar[BaseTransaction | None] = ContextVar(
    "cadenza_transaction", default=None
)
_current = current_transaction


def get_transaction() -> BaseTransaction | None:
    """The innermost transaction open here (in a task: the task run's own), or None."""
    return _current.get()


class BaseTransaction:
    """State, values and hooks of a transaction; `Transaction` and `AsyncTransaction` add how
    it is entered and ended."""

    if TYPE_CHECKING:  # each subclass ends itself in its own way: sync, or awaited

        def commit(self) -> bool | Awaitable[bool]: ...

        def rollback(self) -> bool | Awaitable[bool]: ...

    def __init__(
        self,
        key: str | None = None,
        store: RecordStore | None = None,
        commit_mode: CommitMode | None = None,
        isolation_level: IsolationLevel | None = None,
        overwrite: bool = False,
        write_on_commit: bool = True,
        logger: logging.Logger | logging.LoggerAdapter[Any] | None = None,
    ) -> None:
        self.key = key
        self.store = store
        self.commit_mode = CommitMode(commit_mode) if commit_mode is not None else None
        self.isolation_level = _isolation(isolation_level)
        self.overwrite = overwrite
        self.write_on_commit = write_on_commit
        self.logger = logger if logger is not None else _default_logger()
        self.state = TransactionState.PENDING
        self.children: list[BaseTransaction] = []
        self.on_commit_hooks: list[Hook] = []
        self.on_rollback_hooks: list[Hook] = []
        self._stored_values: dict[str, Any] = {}
        self._staged_value: Any = None
        self._holder = str(uuid.uuid4())
        self._token: Token[BaseTransaction | None] | None = None
        self._parent: BaseTransaction | None = None

    # values shared inside the transaction

    def set(self, name: str, value: Any) -> None:
        """Store `value` under `name`, for this transaction and those opened inside it."""
        self._stored_values[name] = value

    def get(self, name: str, default: Any = _NOT_SET) -> Any:
        """A copy of the value stored under `name` here, else in the enclosing transactions;
        `default` when none has it (a `ValueError` without a default)."""
        if name in self._stored_values:
            return copy.deepcopy(self._stored_values[name])
        parent = self.get_parent()
        if parent is not None:
            return parent.get(name, default)
        if default is not _NOT_SET:
            return default
        raise ValueError(f"Could not retrieve value for unknown key: {name}")

    # state

    def is_committed(self) -> bool:
        return self.state is TransactionState.COMMITTED

    def is_rolled_back(self) -> bool:
        return self.state is TransactionState.ROLLED_BACK

    def is_staged(self) -> bool:
        return self.state is TransactionState.STAGED

    def is_pending(self) -> bool:
        return self.state is TransactionState.PENDING

    def is_active(self) -> bool:
        return self.state is TransactionState.ACTIVE

    def get_parent(self) -> BaseTransaction | None:
        """The transaction this one was opened in (while open), else the one open now."""
        if self._token is not None:
            return self._parent
        active = _current.get()
        return active if active is not self else None

    @classmethod
    def get_active(cls) -> BaseTransaction | None:
        return _current.get()

    def add_child(self, transaction: BaseTransaction) -> None:
        self.children.append(transaction)

    def stage(
        self,
        value: Any,
        on_rollback_hooks: list[Hook] | None = None,
        on_commit_hooks: list[Hook] | None = None,
    ) -> None:
        """Stage `value` (written under the key at commit) and hooks to call then."""
        if self.state is TransactionState.COMMITTED:
            return
        self._staged_value = value
        self.on_rollback_hooks += on_rollback_hooks or []
        self.on_commit_hooks += on_commit_hooks or []
        self.state = TransactionState.STAGED

    def read(self) -> TransactionRecord | None:
        """The record committed under this transaction's key, or None."""
        if self.store is not None and self.key:
            return self.store.read(self.key, holder=self._holder)
        return None

    # entering and ending, shared by both kinds

    def _prepare(self) -> None:
        if self._token is not None:
            raise RuntimeError("Context already entered. Context enter calls cannot be nested.")
        parent = _current.get()
        if self.commit_mode is None:
            self.commit_mode = parent.commit_mode if parent is not None else CommitMode.LAZY
        if self.isolation_level is None:
            self.isolation_level = (
                parent.isolation_level if parent is not None else IsolationLevel.READ_COMMITTED
            )
        if parent is not None:
            # one unit of work holds its keys' locks as one: a key locked earlier inside the
            # same outermost transaction (released when it commits) does not block
            self._holder = parent._holder
        self.state = TransactionState.ACTIVE

    def _begin(self) -> None:
        """Take the key's lock (SERIALIZABLE) and find out whether its work is done already."""
        if self.store is None or not self.key:
            return
        if self.isolation_level is IsolationLevel.SERIALIZABLE:
            self.logger.debug("Acquiring lock for transaction %r", self.key)
            self.store.acquire_lock(self.key, self._holder)
        if not self.overwrite and self.store.exists(self.key):
            self.state = TransactionState.COMMITTED

    def _enter(self) -> None:
        self._parent = _current.get()
        self._token = _current.set(self)

    def _reset(self) -> BaseTransaction | None:
        """Leave the context; the parent (if any) takes this one as a child. Returns a parent
        that must roll back because this one did."""
        parent = self._parent
        if parent is not None:
            parent.add_child(self)
        if self._token is not None:
            _current.reset(self._token)
            self._token = None
        if parent is not None and self.state is TransactionState.ROLLED_BACK:
            return parent
        return None

    def _release(self) -> None:
        if (
            self.store is not None
            and self.key
            and self.isolation_level is IsolationLevel.SERIALIZABLE
        ):
            self.logger.debug("Releasing lock for transaction %r", self.key)
            self.store.release_lock(self.key, self._holder)

    def _log_hook(self, hook: Hook, kind: str, outcome: str | None) -> None:
        if not getattr(hook, "log_on_run", True):
            return
        name = getattr(hook, "__name__", repr(hook))
        if outcome is None:
            self.logger.info("Running %s hook %r", kind, name)
        elif outcome == "ok":
            self.logger.info("%s hook %r finished running successfully", kind.capitalize(), name)
        else:
            self.logger.error("An error was encountered while running %s hook %r", kind, name)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(key={self.key!r}, state={self.state!r}, "
            f"commit_mode={self.commit_mode!r}, isolation_level={self.isolation_level!r})"
        )


class Transaction(BaseTransaction):
    """A transaction used with ``with`` (see `transaction`)."""

    def __enter__(self) -> Transaction:
        self._prepare()
        self._begin()
        self._enter()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self._token is None:
            raise RuntimeError("Asymmetric use of context. Context exit called without an enter.")
        if exc_type is not None:
            self.rollback()
            self.reset()
            return  # the exception propagates
        if self.commit_mode is CommitMode.EAGER:
            self.commit()
        if self._parent is not None:  # the parent takes responsibility
            self.reset()
            return
        if self.commit_mode is CommitMode.OFF:
            self.rollback()  # nobody committed it
        elif self.commit_mode is CommitMode.LAZY:
            self.commit()
        self.reset()

    def reset(self) -> None:
        parent = self._reset()
        if parent is not None:
            parent.rollback()

    def run_hook(self, hook: Hook, kind: str) -> None:
        self._log_hook(hook, kind, None)
        try:
            outcome = hook(self)
            if hasattr(outcome, "__await__"):
                _run_coroutine(outcome)
        except Exception:
            self._log_hook(hook, kind, "error")
            raise
        self._log_hook(hook, kind, "ok")

    def commit(self) -> bool:
        """Commit the children, call the ``on_commit`` hooks, write the record. False when it
        had already ended (or committing failed: it is then rolled back)."""
        if self.state in _ENDED:
            self._release()
            return False
        try:
            for child in self.children:
                _sync(child.commit())
            for hook in self.on_commit_hooks:
                self.run_hook(hook, "commit")
            if self.store is not None and self.key and self.write_on_commit:
                self.store.write(self.key, self._staged_value, holder=self._holder)
                if self.isolation_level is IsolationLevel.SERIALIZABLE:
                    self.store.flush()  # on record before the lock frees: others find it
            self.state = TransactionState.COMMITTED
            self._release()
            return True
        except Exception:
            self.logger.exception(
                "An error was encountered while committing transaction %r", self.key
            )
            self.rollback()
            return False

    def rollback(self) -> bool:
        """Call the ``on_rollback`` hooks (last staged first), then roll the children back.
        False when it had already ended."""
        if self.state in _ENDED:
            return False
        try:
            for hook in reversed(self.on_rollback_hooks):
                self.run_hook(hook, "rollback")
            self.state = TransactionState.ROLLED_BACK
            for child in reversed(self.children):
                _sync(child.rollback())
            return True
        except Exception:
            self.logger.exception(
                "An error was encountered while rolling back transaction %r", self.key
            )
            return False
        finally:
            self._release()


class AsyncTransaction(BaseTransaction):
    """A transaction used with ``async with`` (see `atransaction`); async hooks are awaited."""

    async def __aenter__(self) -> AsyncTransaction:
        self._prepare()
        self._begin()
        self._enter()
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self._token is None:
            raise RuntimeError("Asymmetric use of context. Context exit called without an enter.")
        if exc_type is not None:
            await self.rollback()
            await self.reset()
            return
        if self.commit_mode is CommitMode.EAGER:
            await self.commit()
        if self._parent is not None:
            await self.reset()
            return
        if self.commit_mode is CommitMode.OFF:
            await self.rollback()
        elif self.commit_mode is CommitMode.LAZY:
            await self.commit()
        await self.reset()

    def __enter__(self) -> None:
        raise NotImplementedError(
            "AsyncTransaction does not support the `with` statement. Use `async with`."
        )

    def __exit__(self, *exc_info: Any) -> None:
        raise NotImplementedError(
            "AsyncTransaction does not support the `with` statement. Use `async with`."
        )

    async def reset(self) -> None:
        parent = self._reset()
        if parent is not None:
            await _maybe_await(parent.rollback())

    async def run_hook(self, hook: Hook, kind: str) -> None:
        self._log_hook(hook, kind, None)
        try:
            await _maybe_await(hook(self))
        except Exception:
            self._log_hook(hook, kind, "error")
            raise
        self._log_hook(hook, kind, "ok")

    async def commit(self) -> bool:
        if self.state in _ENDED:
            self._release()
            return False
        try:
            for child in self.children:
                await _maybe_await(child.commit())
            for hook in self.on_commit_hooks:
                await self.run_hook(hook, "commit")
            if self.store is not None and self.key and self.write_on_commit:
                self.store.write(self.key, self._staged_value, holder=self._holder)
                if self.isolation_level is IsolationLevel.SERIALIZABLE:
                    self.store.flush()  # on record before the lock frees: others find it
            self.state = TransactionState.COMMITTED
            self._release()
            return True
        except Exception:
            self.logger.exception(
                "An error was encountered while committing transaction %r", self.key
            )
            await self.rollback()
            return False

    async def rollback(self) -> bool:
        if self.state in _ENDED:
            return False
        try:
            for hook in reversed(self.on_rollback_hooks):
                await self.run_hook(hook, "rollback")
            self.state = TransactionState.ROLLED_BACK
            for child in reversed(self.children):
                await _maybe_await(child.rollback())
            return True
        except Exception:
            self.logger.exception(
                "An error was encountered while rolling back transaction %r", self.key
            )
            return False
        finally:
            self._release()


def _isolation(level: Any) -> IsolationLevel | None:
    if level is None:
        return None
    try:
        return IsolationLevel(getattr(level, "value", level))
    except ValueError:
        names = ", ".join(m.value for m in IsolationLevel)
        raise ValueError(f"isolation_level must be one of {names}, got {level!r}") from None


def _default_logger() -> logging.Logger | logging.LoggerAdapter[Any]:
    """The run's logger inside a run (hook messages go with the run's logs), else a plain one."""
    try:
        return get_run_logger()
    except Exception:  # outside a run
        return _log


def _store_for(key: str | None, store: Any) -> RecordStore | None:
    if store is not None:
        return record_store(store)
    return record_store(None) if key else None  # without a key, nothing is recorded


def _sync(outcome: Any) -> Any:
    return _run_coroutine(outcome) if hasattr(outcome, "__await__") else outcome


async def _maybe_await(outcome: Any) -> Any:
    return await outcome if hasattr(outcome, "__await__") else outcome


def _run_coroutine(coro: Any) -> Any:
    """Run an async hook to completion from sync code, even on a thread whose loop runs."""
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    import concurrent.futures
    import contextvars

    context = contextvars.copy_context()  # the hook sees the transactions open here
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="cadenza-txn-hook") as pool:
        return pool.submit(context.run, asyncio.run, coro).result()


@contextmanager
def transaction(
    key: str | None = None,
    store: Any = None,
    commit_mode: CommitMode | None = None,
    isolation_level: IsolationLevel | None = None,
    overwrite: bool = False,
    write_on_commit: bool = True,
    logger: logging.Logger | logging.LoggerAdapter[Any] | None = None,
) -> Iterator[Transaction]:
    """Open a transaction: ``with transaction(key="nightly-load") as txn: ...``.

    `key`: where its record is committed; a later transaction with the same key begins
    committed (``txn.is_committed()``). `store`: where records live (default: the run record;
    a directory path or storage block keeps them there as files). `commit_mode`: EAGER commits
    on exit even inside another transaction, LAZY (the default at the top) commits when the
    outermost one does, OFF never commits by itself. `isolation_level`: SERIALIZABLE holds the
    key's lock from begin to commit, so concurrent transactions of one key run one at a time.
    `overwrite`: ignore a committed record and write a new one.
    """
    with Transaction(
        key=key,
        store=_store_for(key, store),
        commit_mode=commit_mode,
        isolation_level=isolation_level,
        overwrite=overwrite,
        write_on_commit=write_on_commit,
        logger=logger,
    ) as txn:
        yield txn


@asynccontextmanager
async def atransaction(
    key: str | None = None,
    store: Any = None,
    commit_mode: CommitMode | None = None,
    isolation_level: IsolationLevel | None = None,
    overwrite: bool = False,
    write_on_commit: bool = True,
    logger: logging.Logger | logging.LoggerAdapter[Any] | None = None,
) -> AsyncIterator[AsyncTransaction]:
    """`transaction` for ``async with``: async hooks are awaited on the running loop."""
    async with AsyncTransaction(
        key=key,
        store=_store_for(key, store),
        commit_mode=commit_mode,
        isolation_level=isolation_level,
        overwrite=overwrite,
        write_on_commit=write_on_commit,
        logger=logger,
    ) as txn:
        yield txn


__all__ = [
    "AsyncTransaction",
    "BaseTransaction",
    "CommitMode",
    "IsolationLevel",
    "Transaction",
    "TransactionState",
    "atransaction",
    "current_transaction",
    "get_transaction",
    "transaction",
]
