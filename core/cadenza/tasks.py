"""`@task` and `Task`: Prefect 3's task decorator, names and signatures.

A `Task` wraps a function. Calling it inside a flow creates a task run, runs it through the
engine, and returns its result (or its final `State` with ``return_state=True``). Calling it
outside a flow runs it too, recorded as a task run without a flow run.
"""

from __future__ import annotations

from cadenza._options import (
    UNSET,
    OptionsMixin,
    docstring,
    explicit_persist,
    hook_list,
    is_async_fn,
)
from cadenza._typing import Generic, P, R, T, overload
from cadenza.context import FlowRunContext
from cadenza.masking import mask

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing

if TYPE_CHECKING:
    import inspect
    from collections.abc import Callable, Coroutine, Iterable
    from datetime import timedelta
    from types import ModuleType
    from typing import Any, Literal

    from typing_extensions import Unpack  # typing.Unpack is Python 3.11+

    from cadenza._option_types import (
        ResultStorage,
        RetryDelay,
        RunName,
        Serializer,
        TaskOptions,
        TaskStateHook,
        TransactionHook,
    )
    from cadenza.cache_policies import CachePolicy
    from cadenza.context import TaskRunContext
    from cadenza.futures import CadenzaFuture, CadenzaFutureList
    from cadenza.states import State
    from cadenza.task_runners.base import TaskRunner

NUM_RETRIES_DEFAULT = "CADENZA_TASK_DEFAULT_RETRIES"


class Task(OptionsMixin, Generic[P, R]):
    """A function whose calls are tracked, retried, timed out and recorded as task runs.

    Generic in the function's parameters `P` and return type `R`, so type checkers see through
    it: calling the task takes the function's arguments and returns its `R` (for ``async def``,
    a coroutine), ``.submit()`` a ``CadenzaFuture`` of the result, ``.fn`` is the function.
    """

    _OPTIONS = (
        "name",
        "description",
        "tags",
        "version",
        "cache_policy",
        "cache_key_fn",
        "cache_expiration",
        "task_run_name",
        "retries",
        "retry_delay_seconds",
        "retry_jitter_factor",
        "persist_result",
        "result_storage",
        "result_serializer",
        "result_storage_key",
        "cache_result_in_memory",
        "timeout_seconds",
        "log_prints",
        "refresh_cache",
        "on_completion",
        "on_failure",
        "on_running",
        "retry_condition_fn",
        "viz_return_value",
        "on_commit",
        "on_rollback",
    )

    def __init__(
        self,
        fn: Callable[P, R],
        name: str | None = None,
        description: str | None = None,
        tags: Iterable[str] | None = None,
        version: str | None = None,
        cache_policy: CachePolicy | None = None,
        cache_key_fn: Callable[[TaskRunContext, dict[str, Any]], str | None] | None = None,
        cache_expiration: timedelta | float | None = None,
        task_run_name: RunName | None = None,
        retries: int | None = None,
        retry_delay_seconds: RetryDelay | None = None,
        retry_jitter_factor: float | None = None,
        persist_result: bool | None = None,
        result_storage: ResultStorage | None = None,
        result_serializer: Serializer | str | None = None,
        result_storage_key: str | None = None,
        cache_result_in_memory: bool = True,
        timeout_seconds: float | None = None,
        log_prints: bool | None = None,
        refresh_cache: bool | None = None,
        on_completion: Iterable[TaskStateHook] | TaskStateHook | None = None,
        on_failure: Iterable[TaskStateHook] | TaskStateHook | None = None,
        on_running: Iterable[TaskStateHook] | TaskStateHook | None = None,
        retry_condition_fn: TaskStateHook | None = None,
        viz_return_value: Any = None,
        on_commit: Iterable[TransactionHook] | TransactionHook | None = None,
        on_rollback: Iterable[TransactionHook] | TransactionHook | None = None,
    ) -> None:
        if not callable(fn):
            raise TypeError(f"@task needs a function, got {type(fn).__name__}")
        self.fn: Callable[P, R] = fn
        self.isasync = is_async_fn(fn)
        self.name = name or fn.__name__
        self.description = description if description is not None else docstring(fn)
        self.tags = tuple(tags or ())
        self.version = version
        self.cache_policy = cache_policy
        self.cache_key_fn = cache_key_fn
        self.cache_expiration = cache_expiration
        self.task_run_name = task_run_name
        self.retries = _default(retries, NUM_RETRIES_DEFAULT)
        self.retry_delay_seconds = (
            retry_delay_seconds
            if retry_delay_seconds is not None
            else _default(None, "CADENZA_TASK_DEFAULT_RETRY_DELAY_SECONDS")
        )
        self.retry_jitter_factor = retry_jitter_factor
        self.cache_policy_in_effect = _cache_policy(cache_policy, cache_key_fn)
        # None: persist as the flow run does (its storage and serializer too), as in Prefect
        self.persist_result = explicit_persist(
            persist_result,
            result_storage,
            result_serializer,
            result_storage_key,
            self.cache_policy_in_effect,  # a cache needs the result stored
        )
        self.result_storage = result_storage
        self.result_serializer = result_serializer
        self.result_storage_key = result_storage_key
        self.cache_result_in_memory = cache_result_in_memory
        self.timeout_seconds = timeout_seconds
        self.log_prints = log_prints
        self.refresh_cache = refresh_cache
        self.on_completion_hooks = hook_list(on_completion, "on_completion")
        self.on_failure_hooks = hook_list(on_failure, "on_failure")
        self.on_running_hooks = hook_list(on_running, "on_running")
        self.retry_condition_fn = retry_condition_fn
        self.viz_return_value = viz_return_value
        # called with the task's transaction when it commits / rolls back (cadenza.transactions)
        self.on_commit_hooks = hook_list(on_commit, "on_commit")
        self.on_rollback_hooks = hook_list(on_rollback, "on_rollback")
        self.task_key = _task_key(fn)
        self._signature: inspect.Signature | None = None
        self._keyword_callable: bool | None = None  # every parameter can be passed by name
        self._validate()

    def _validate(self) -> None:
        if not isinstance(self.retries, int) or self.retries < 0:
            raise ValueError(
                f"Task {self.name!r}: retries must be an int >= 0, got {self.retries!r}"
            )
        if self.timeout_seconds is not None and not self.timeout_seconds > 0:
            raise ValueError(
                f"Task {self.name!r}: timeout_seconds must be > 0, got {self.timeout_seconds!r}"
            )
        if self.retry_jitter_factor is not None and self.retry_jitter_factor < 0:
            raise ValueError(f"Task {self.name!r}: retry_jitter_factor must be >= 0")
        if self.retry_condition_fn is not None and not callable(self.retry_condition_fn):
            raise TypeError(f"Task {self.name!r}: retry_condition_fn must be callable")

    @property
    def signature(self) -> inspect.Signature:
        if self._signature is None:
            import inspect

            self._signature = inspect.signature(self.fn)
        return self._signature

    def run_name(self, args: tuple[Any, ...], kwargs: dict[str, Any], index: int) -> str:
        """This call's task run name: `task_run_name` formatted with the call's parameters
        (registered secret values masked)."""
        template = self.task_run_name
        if template is None:
            return f"{self.name}-{index}"
        params = self.bind(args, kwargs)
        if callable(template):
            import inspect

            takes_params = len(inspect.signature(template).parameters) > 0
            return mask(str(template(params) if takes_params else template()))
        try:
            return mask(template.format(**params))
        except (KeyError, IndexError) as exc:
            raise ValueError(
                f"Task {self.name!r}: task_run_name {template!r} names {exc}, which is not a "
                f"parameter of {self.fn.__name__}()"
            ) from None

    def bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return dict(bound.arguments)

    def call_arguments(self, parameters: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """(args, kwargs) to call the function with, from bound `parameters` (any order)."""
        if self._keyword_callable is None:
            self._keyword_callable = all(
                p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
                for p in self.signature.parameters.values()
            )
        if self._keyword_callable:
            return (), parameters
        import inspect

        ordered = {n: parameters[n] for n in self.signature.parameters if n in parameters}
        bound = inspect.BoundArguments(self.signature, ordered)
        return bound.args, bound.kwargs

    # Calls and submissions are typed by overloads (for type checkers only: `overload` is the
    # identity at run time, so the last definition is the one that runs). A direct call checks
    # the arguments against the function's; `submit` and `map` take anything, since futures,
    # iterables and `unmapped(...)` stand in for the values. ``async def`` tasks: a direct call
    # gives a coroutine, futures and states hold the awaited value.

    @overload
    def submit(
        self: Task[P, Coroutine[Any, Any, T]],
        *args: Any,
        return_state: Literal[False] = False,
        wait_for: Iterable[object] | None = None,
        **kwargs: Any,
    ) -> CadenzaFuture[T]: ...

    @overload
    def submit(
        self: Task[P, T],
        *args: Any,
        return_state: Literal[False] = False,
        wait_for: Iterable[object] | None = None,
        **kwargs: Any,
    ) -> CadenzaFuture[T]: ...

    @overload
    def submit(
        self: Task[P, Coroutine[Any, Any, T]],
        *args: Any,
        return_state: Literal[True],
        wait_for: Iterable[object] | None = None,
        **kwargs: Any,
    ) -> State[T]: ...

    @overload
    def submit(
        self: Task[P, T],
        *args: Any,
        return_state: Literal[True],
        wait_for: Iterable[object] | None = None,
        **kwargs: Any,
    ) -> State[T]: ...

    def submit(
        self,
        *args: Any,
        return_state: bool = False,
        wait_for: Iterable[object] | None = None,
        **kwargs: Any,
    ) -> CadenzaFuture[Any] | State[Any]:
        """Run the task on the flow's task runner; returns a future of its result.

        Futures among the arguments are waited for (without holding a worker) and replaced by
        their results. With ``return_state=True``, wait and return the final `State` instead.
        """
        future = _runner_for_submit().submit(self, self.bind(args, kwargs), wait_for)
        if return_state:
            future.wait()
            return future.state
        return future

    @overload
    def map(
        self: Task[P, Coroutine[Any, Any, T]],
        *args: Any,
        return_state: Literal[False] = False,
        wait_for: Iterable[object] | None = None,
        **kwargs: Any,
    ) -> CadenzaFutureList[T]: ...

    @overload
    def map(
        self: Task[P, T],
        *args: Any,
        return_state: Literal[False] = False,
        wait_for: Iterable[object] | None = None,
        **kwargs: Any,
    ) -> CadenzaFutureList[T]: ...

    @overload
    def map(
        self: Task[P, Coroutine[Any, Any, T]],
        *args: Any,
        return_state: Literal[True],
        wait_for: Iterable[object] | None = None,
        **kwargs: Any,
    ) -> list[State[T]]: ...

    @overload
    def map(
        self: Task[P, T],
        *args: Any,
        return_state: Literal[True],
        wait_for: Iterable[object] | None = None,
        **kwargs: Any,
    ) -> list[State[T]]: ...

    def map(
        self,
        *args: Any,
        return_state: bool = False,
        wait_for: Iterable[object] | None = None,
        **kwargs: Any,
    ) -> CadenzaFutureList[Any] | list[State[Any]]:
        """Submit one run per element of the iterable arguments; returns a list of futures.

        Arguments wrapped in `unmapped(...)` are passed whole to every run.
        """
        futures = _runner_for_submit().map(self, self.bind(args, kwargs), wait_for)
        if return_state:
            futures.wait()
            return [f.state for f in futures]
        return futures

    @overload
    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R: ...

    @overload
    def __call__(
        self: Task[..., Coroutine[Any, Any, T]],
        *args: Any,
        return_state: Literal[True],
        wait_for: Iterable[object] | None = None,
        **kwargs: Any,
    ) -> Coroutine[Any, Any, State[T]]: ...

    @overload
    def __call__(
        self: Task[..., T],
        *args: Any,
        return_state: Literal[True],
        wait_for: Iterable[object] | None = None,
        **kwargs: Any,
    ) -> State[T]: ...

    @overload
    def __call__(
        self,
        *args: Any,
        return_state: Literal[False],
        wait_for: Iterable[object] | None = None,
        **kwargs: Any,
    ) -> R: ...

    @overload
    def __call__(
        self,
        *args: Any,
        return_state: Literal[False] = False,
        wait_for: Iterable[object] | None,
        **kwargs: Any,
    ) -> R: ...

    def __call__(
        self, *args: Any, return_state: Any = False, wait_for: Any = None, **kwargs: Any
    ) -> Any:
        return _engine().run_task(self, args, kwargs, return_state, wait_for)

    def on_commit(self, fn: TransactionHook) -> TransactionHook:
        """Decorate a hook called with the task's transaction when it commits."""
        self.on_commit_hooks.append(fn)
        return fn

    def on_rollback(self, fn: TransactionHook) -> TransactionHook:
        """Decorate a hook called with the task's transaction when it rolls back: the task
        completed, then its transaction (or one around it) failed."""
        self.on_rollback_hooks.append(fn)
        return fn

    if TYPE_CHECKING:  # the mixin's method, typed with a task's own options

        def with_options(self, **changes: Unpack[TaskOptions]) -> Task[P, R]: ...  # type: ignore[override]  # narrows the mixin's **Any to the options a task takes

    def __repr__(self) -> str:
        return f"Task(name={self.name!r}, fn={self.fn.__qualname__})"


def _runner_for_submit() -> TaskRunner:
    """The current flow run's task runner; outside a flow, a process-wide thread pool."""
    # lazily, as the engine: task runners load at the first submit, not on ``import cadenza``
    from cadenza.task_runners import ThreadPoolTaskRunner

    ctx = FlowRunContext.get()
    if ctx is not None:
        return ctx.started_task_runner(ThreadPoolTaskRunner)
    global _default_runner
    if _default_runner is None:
        _default_runner = ThreadPoolTaskRunner().__enter__()
    return _default_runner


_default_runner: TaskRunner | None = None


def _engine() -> ModuleType:
    """The task engine module, imported on the first task call (not on ``import cadenza``)."""
    global _task_engine
    if _task_engine is None:
        # lazily: the engine loads at the first call, not on `import cadenza`
        from cadenza.engine import task_engine

        _task_engine = task_engine
    return _task_engine


_task_engine: ModuleType | None = None


def _default(value: Any, setting: str) -> Any:
    if value is not None:
        return value
    # lazily: settings load at the first run, not on `import cadenza`
    from cadenza.settings import spec

    return spec.get(setting)


def _cache_policy(cache_policy: Any, cache_key_fn: Any) -> Any:
    """The policy that computes cache keys, or None: caching happens only when asked for."""
    if cache_key_fn is not None:
        # lazily: hashlib and typing load at the first cached task, not on `import cadenza`
        from cadenza.cache_policies import CacheKeyFnPolicy

        return CacheKeyFnPolicy(cache_key_fn)
    if cache_policy is None:
        return None
    # lazily: hashlib and typing load at the first cached task, not on `import cadenza`
    from cadenza.cache_policies import CachePolicy, _NoCache

    if isinstance(cache_policy, _NoCache):
        return None
    if not isinstance(cache_policy, CachePolicy):
        raise TypeError(
            f"cache_policy must be a cadenza.cache_policies.CachePolicy, got {cache_policy!r}"
        )
    return cache_policy


def _task_key(fn: Callable[..., object]) -> str:
    """A task's identity across processes: its qualified name and a digest of its source file's
    path (as Prefect does), so the same task gets the same key however its file was loaded
    (``python file.py``, ``cadenza run file.py:flow``, an import)."""
    import hashlib
    import os

    qualname = getattr(fn, "__qualname__", None) or repr(fn)
    code = getattr(getattr(fn, "__func__", fn), "__code__", None)
    if code is not None and not code.co_filename.startswith("<"):
        where = os.path.abspath(code.co_filename)
    else:
        where = getattr(fn, "__module__", None) or "__main__"
    return f"{qualname}-{hashlib.sha1(where.encode()).hexdigest()[:8]}"


@overload
def task(__fn: Callable[P, R], **options: Unpack[TaskOptions]) -> Task[P, R]: ...


@overload
def task(
    __fn: None = None, **options: Unpack[TaskOptions]
) -> Callable[[Callable[P, R]], Task[P, R]]: ...


def task(
    __fn: Callable[P, R] | None = None, **options: Unpack[TaskOptions]
) -> Task[P, R] | Callable[[Callable[P, R]], Task[P, R]]:
    """Decorate a function as a task: ``@task`` or ``@task(retries=3, ...)``."""
    if __fn is not None:
        return Task(__fn, **options)
    return lambda fn: Task(fn, **options)


def task_input_hash(context: Any, arguments: dict[str, Any]) -> str | None:
    """A cache key from the task's key and its inputs (Prefect's `task_input_hash`).

    Returns None (no caching) when the inputs cannot be serialized.
    """
    try:
        import hashlib

        import cloudpickle

        task_key = getattr(getattr(context, "task", None), "task_key", "")
        payload = cloudpickle.dumps((task_key, sorted(arguments.items())))
    except Exception:
        return None
    return hashlib.sha256(payload).hexdigest()


def exponential_backoff(backoff_factor: float) -> Callable[[int], list[float]]:
    """A `retry_delay_seconds` callable: delays of factor * 2**n for retries n = 0, 1, 2 ..."""

    def retry_backoff_callable(retries: int) -> list[float]:
        retries = min(retries, 50)  # 2**50 seconds is already forever
        return [backoff_factor * 2**r for r in range(retries)]

    return retry_backoff_callable


__all__ = ["UNSET", "Task", "exponential_backoff", "task", "task_input_hash"]
