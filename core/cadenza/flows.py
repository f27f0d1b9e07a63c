"""`@flow` and `Flow`: Prefect 3's flow decorator, names and signatures.

Calling a flow creates a flow run, validates its parameters, runs it through the engine and
returns its result (or its final `State` with ``return_state=True``). A flow called inside
another flow (or task) is a subflow run linked to its parent.
"""

from __future__ import annotations

from cadenza._options import OptionsMixin, docstring, hook_list, is_async_fn, resolve_persist
from cadenza._typing import Generic, P, R, T, overload

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing

if TYPE_CHECKING:
    import inspect
    import os
    from collections.abc import Callable, Coroutine, Iterable
    from typing import Any, Literal

    from typing_extensions import Unpack  # typing.Unpack is Python 3.11+

    from cadenza._option_types import (
        FlowOptions,
        FlowStateHook,
        ResultStorage,
        RetryDelay,
        RunName,
        Serializer,
    )
    from cadenza._options import _Hook
    from cadenza.deployments.deployment import RunnerDeployment
    from cadenza.states import State
    from cadenza.task_runners.base import TaskRunner


class Flow(OptionsMixin, Generic[P, R]):
    """A function whose calls are recorded as flow runs, with the tasks they run.

    Generic in the function's parameters `P` and return type `R`: calling the flow takes the
    function's arguments and returns its `R` (for ``async def``, a coroutine); ``.fn`` is the
    function.
    """

    cache_policy_in_effect = None  # flow runs are not cached
    refresh_cache = False
    #: Where a flow loaded by `from_source` came from, as given (else None): its source (a
    #: directory or a git URL) and its entrypoint in that source. A deployment stores them.
    source: str | None = None
    source_entrypoint: str | None = None

    _OPTIONS = (
        "name",
        "version",
        "flow_run_name",
        "retries",
        "retry_delay_seconds",
        "retry_jitter_factor",
        "retry_condition_fn",
        "task_runner",
        "description",
        "timeout_seconds",
        "validate_parameters",
        "persist_result",
        "result_storage",
        "result_serializer",
        "cache_result_in_memory",
        "log_prints",
        "on_completion",
        "on_failure",
        "on_cancellation",
        "on_crashed",
        "on_running",
        "tags",
    )

    def __init__(
        self,
        fn: Callable[P, R],
        name: str | None = None,
        version: str | None = None,
        flow_run_name: RunName | None = None,
        retries: int | None = None,
        retry_delay_seconds: RetryDelay | None = None,
        retry_jitter_factor: float | None = None,
        retry_condition_fn: FlowStateHook | None = None,
        task_runner: TaskRunner | type[TaskRunner] | None = None,
        description: str | None = None,
        timeout_seconds: float | None = None,
        validate_parameters: bool = True,
        persist_result: bool | None = None,
        result_storage: ResultStorage | None = None,
        result_serializer: Serializer | str | None = None,
        cache_result_in_memory: bool = True,
        log_prints: bool | None = None,
        on_completion: Iterable[FlowStateHook] | FlowStateHook | None = None,
        on_failure: Iterable[FlowStateHook] | FlowStateHook | None = None,
        on_cancellation: Iterable[FlowStateHook] | FlowStateHook | None = None,
        on_crashed: Iterable[FlowStateHook] | FlowStateHook | None = None,
        on_running: Iterable[FlowStateHook] | FlowStateHook | None = None,
        tags: Iterable[str] | None = None,
    ) -> None:
        if not callable(fn):
            raise TypeError(f"@flow needs a function, got {type(fn).__name__}")
        self.fn: Callable[P, R] = fn
        self.isasync = is_async_fn(fn)
        self.name = name or fn.__name__.replace("_", "-")
        self.version = version
        self.flow_run_name = flow_run_name
        if retries is None:
            # lazily: settings load at the first run, not on `import cadenza`
            from cadenza.settings import spec

            retries = spec.get("CADENZA_FLOW_DEFAULT_RETRIES")
        self.retries = retries
        self.retry_delay_seconds = retry_delay_seconds or 0
        self.retry_jitter_factor = retry_jitter_factor
        self.retry_condition_fn = retry_condition_fn
        if isinstance(task_runner, type):  # `task_runner=DaskTaskRunner`: Prefect instantiates it
            task_runner = task_runner()
        self.task_runner = task_runner
        self.description = description if description is not None else docstring(fn)
        self.timeout_seconds = timeout_seconds
        self.should_validate_parameters = validate_parameters
        self.persist_result = resolve_persist(persist_result, result_storage, result_serializer)
        self.result_storage = result_storage
        self.result_serializer = result_serializer
        self.cache_result_in_memory = cache_result_in_memory
        self.log_prints = log_prints
        self.on_completion_hooks = hook_list(on_completion, "on_completion")
        self.on_failure_hooks = hook_list(on_failure, "on_failure")
        self.on_cancellation_hooks = hook_list(on_cancellation, "on_cancellation")
        self.on_crashed_hooks = hook_list(on_crashed, "on_crashed")
        self.on_running_hooks = hook_list(on_running, "on_running")
        self.tags = tuple(tags or ())
        self._signature: inspect.Signature | None = None
        self._type_hints: dict[str, Any] | None = None
        self._entrypoint: str | None = None
        self._adapters: dict[str, Any] = {}
        if not isinstance(self.retries, int) or self.retries < 0:
            raise ValueError(f"Flow {self.name!r}: retries must be an int >= 0, got {retries!r}")
        if timeout_seconds is not None and not timeout_seconds > 0:
            raise ValueError(f"Flow {self.name!r}: timeout_seconds must be > 0")

    # `validate_parameters` is both an option (bool) and, in Prefect, a method; keep the option.
    @property
    def validate_parameters(self) -> bool:
        return self.should_validate_parameters

    @property
    def entrypoint(self) -> str | None:
        """``/abs/path/file.py:qualified.name`` where the flow's function is defined."""
        if self._entrypoint is None:
            import inspect
            import os

            try:
                source = inspect.getsourcefile(self.fn)
            except TypeError:
                source = None
            if source is not None:
                self._entrypoint = f"{os.path.abspath(source)}:{self.fn.__qualname__}"
        return self._entrypoint

    @property
    def signature(self) -> inspect.Signature:
        if self._signature is None:
            import inspect

            self._signature = inspect.signature(self.fn)
        return self._signature

    @property
    def type_hints(self) -> dict[str, Any]:
        if self._type_hints is None:
            # lazily: the engine loads at the first call, not on `import cadenza`
            from cadenza.engine.parameters import resolve_type_hints

            self._type_hints = resolve_type_hints(self.fn)
        return self._type_hints

    def type_adapter(self, name: str, annotation: Any) -> Any:
        adapter = self._adapters.get(name)
        if adapter is None:
            from pydantic import TypeAdapter

            adapter = self._adapters[name] = TypeAdapter(annotation)
        return adapter

    def on_crashed(self, fn: _Hook) -> _Hook:
        return self._add_hook("on_crashed", fn)

    def on_cancellation(self, fn: _Hook) -> _Hook:
        return self._add_hook("on_cancellation", fn)

    @classmethod
    def from_source(cls, source: str | os.PathLike[str], entrypoint: str) -> Flow[..., Any]:
        """The flow at `entrypoint` (``path/to/file.py:name`` or ``package.module:name``) in
        `source`: a local directory, used in place, or a git repository URL (optionally
        ``#branch``), cloned into a temporary directory kept until the process exits.

        The flow records both (`source`, `source_entrypoint`). Errors:
        `cadenza.exceptions.SourceError` (the source cannot be had),
        `cadenza.exceptions.EntrypointError` (nothing loadable there, or not a flow).
        See `cadenza.deployments.sources` and `cadenza.deployments.entrypoints`.
        """
        # lazily: git, subprocess and importlib machinery only when loading from a source
        import tempfile
        from pathlib import Path

        from cadenza.deployments.entrypoints import load_entrypoint
        from cadenza.deployments.sources import is_git_source, materialize
        from cadenza.exceptions import EntrypointError

        text = str(source)
        if is_git_source(text):
            workdir = Path(tempfile.mkdtemp(prefix="cadenza-source-"))
            _remove_at_exit(workdir)
            directory = materialize(text, workdir)
        else:
            directory = materialize(text, Path(tempfile.gettempdir()))  # used in place
        loaded = load_entrypoint(entrypoint, base_dir=directory)
        if not isinstance(loaded, Flow):
            what = type(loaded).__name__
            hint = "; decorate it with @flow" if callable(loaded) else ""
            raise EntrypointError(
                f"Entrypoint {entrypoint!r} in {text!r} is a {what}, not a flow{hint}"
            )
        loaded.source = text
        loaded.source_entrypoint = entrypoint
        return loaded

    def to_deployment(
        self,
        name: str | None = None,
        *,
        interval: Any = None,
        cron: str | Iterable[str] | None = None,
        rrule: str | Iterable[str] | None = None,
        paused: bool | None = None,
        schedule: Any = None,
        schedules: Iterable[Any] | None = None,
        concurrency_limit: int | None = None,
        parameters: dict[str, Any] | None = None,
        description: str | None = None,
        tags: Iterable[str] | None = None,
        version: str | None = None,
        work_pool_name: str | None = None,
        work_queue_name: str | None = None,
        job_variables: dict[str, Any] | None = None,
        timezone: str | None = None,
        catchup: bool = False,
        late_after: float | None = None,
        **prefect_options: Any,
    ) -> RunnerDeployment:
        """A deployment of this flow (Prefect 3's `to_deployment`), for `serve` or `deploy`.

        `parameters` are its default parameters, checked against the flow's signature now
        (`ValueError` naming any it does not take). Schedules: `interval` (seconds or a
        timedelta), `cron`, `rrule` (each one or several, in `timezone`), `schedule` /
        `schedules` (`cadenza.schedules` objects). `catchup` (run the slots missed while nothing
        ran them, or only the latest) and `late_after` (seconds after which a run that has not
        started is Late) are the schedule's policies; `concurrency_limit` bounds its runs at
        once. See `cadenza.deployments.deployment`.
        """
        # lazily: the deployment machinery (schedules, SQLAlchemy) loads only when deploying
        from cadenza.deployments.deployment import to_deployment

        return to_deployment(
            self, name, interval=interval, cron=cron, rrule=rrule, paused=paused,
            schedule=schedule, schedules=schedules, concurrency_limit=concurrency_limit,
            parameters=parameters, description=description, tags=tags, version=version,
            work_pool_name=work_pool_name, work_queue_name=work_queue_name,
            job_variables=job_variables, timezone=timezone, catchup=catchup,
            late_after=late_after, **prefect_options,
        )  # fmt: skip

    def serve(
        self,
        name: str | None = None,
        *,
        limit: int | None = None,
        pause_on_shutdown: bool = True,
        print_starting_message: bool = True,
        **deployment_options: Any,
    ) -> None:
        """Create or update a deployment of this flow and run its runs from this process
        until it is stopped (Prefect 3's `serve`): with a schedule (`cron=`, `interval=`,
        `rrule=`, ...: the options of `to_deployment`), and whenever one is asked for
        (``cadenza deployments run``, `run_deployment`). Works on the embedded record (this
        process also schedules) and against a server. `limit`: runs at once."""
        # lazily: the runner loads only when serving
        from cadenza.deployments.runner import serve

        deployment = self.to_deployment(name, **deployment_options)
        serve(deployment, limit=limit, pause_on_shutdown=pause_on_shutdown,
              print_starting_message=print_starting_message)  # fmt: skip

    def deploy(
        self,
        name: str,
        work_pool_name: str | None = None,
        *,
        print_next_steps: bool = True,
        **deployment_options: Any,
    ) -> str:
        """Register a deployment of this flow for the workers of `work_pool_name` (Prefect 3's
        `deploy`; images are not built: the worker runs the code where it finds it — the
        deployment's path or source). Returns its id."""
        # lazily: the deployment machinery loads only when deploying
        from cadenza.deployments.runner import deploy

        deployment = self.to_deployment(name, work_pool_name=work_pool_name,
                                        **_without_build_options(deployment_options))  # fmt: skip
        return deploy(deployment, print_next_steps_message=print_next_steps)[0]

    # Typed by overloads for type checkers (`overload` is the identity at run time). A call
    # checks the arguments against the function's; ``return_state=True`` gives the final `State`
    # (for an ``async def`` flow, a coroutine of it).

    @overload
    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R: ...

    @overload
    def __call__(
        self: Flow[..., Coroutine[Any, Any, T]],
        *args: Any,
        return_state: Literal[True],
        wait_for: Iterable[object] | None = None,
        **kwargs: Any,
    ) -> Coroutine[Any, Any, State[T]]: ...

    @overload
    def __call__(
        self: Flow[..., T],
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
        # lazily: the engine loads at the first call, not on `import cadenza`
        from cadenza.engine.flow_engine import run_flow

        return run_flow(self, args, kwargs, return_state, wait_for)

    if TYPE_CHECKING:  # the mixin's method, typed with a flow's own options

        def with_options(self, **changes: Unpack[FlowOptions]) -> Flow[P, R]: ...  # type: ignore[override]  # narrows the mixin's **Any to the options a flow takes

    def __repr__(self) -> str:
        return f"Flow(name={self.name!r}, fn={self.fn.__qualname__})"


def _remove_at_exit(directory: os.PathLike[str]) -> None:
    """Delete `directory` (a clone made by `Flow.from_source`) when the process exits."""
    # lazily: only a flow loaded from a git source needs these
    import atexit
    import shutil

    atexit.register(shutil.rmtree, directory, ignore_errors=True)


_BUILD_OPTIONS = ("image", "build", "push")


def _without_build_options(options: dict[str, Any]) -> dict[str, Any]:
    """Prefect's `deploy` builds and pushes images; cadenza's workers run the code where the
    deployment says it is, so these options are accepted and have nothing to do."""
    return {k: v for k, v in options.items() if k not in _BUILD_OPTIONS}


@overload
def flow(__fn: Callable[P, R], **options: Unpack[FlowOptions]) -> Flow[P, R]: ...


@overload
def flow(
    __fn: None = None, **options: Unpack[FlowOptions]
) -> Callable[[Callable[P, R]], Flow[P, R]]: ...


def flow(
    __fn: Callable[P, R] | None = None, **options: Unpack[FlowOptions]
) -> Flow[P, R] | Callable[[Callable[P, R]], Flow[P, R]]:
    """Decorate a function as a flow: ``@flow`` or ``@flow(name=..., retries=...)``."""
    if __fn is not None:
        return Flow(__fn, **options)
    return lambda fn: Flow(fn, **options)


__all__ = ["Flow", "flow"]
