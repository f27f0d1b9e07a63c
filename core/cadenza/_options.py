"""What `Task` and `Flow` share: `with_options`, state-hook decorators, and small helpers."""

from __future__ import annotations

from cadenza.context import _flow_run_ctx  # standard library only: no import cycle

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any, TypeVar

    _Self = TypeVar("_Self", bound="OptionsMixin")
    _Hook = TypeVar("_Hook", bound="Callable[..., object]")


UNSET: Any = object()
_CO_COROUTINE = 0x80  # inspect.CO_COROUTINE, without importing inspect

_HOOK_OPTIONS = (
    "on_completion",
    "on_failure",
    "on_running",
    "on_crashed",
    "on_cancellation",
    "on_commit",
    "on_rollback",
)


def hook_list(
    hooks: Iterable[Callable[..., object]] | Callable[..., object] | None, option: str
) -> list[Callable[..., object]]:
    """Validate a hook option: a list of callables (a single callable is accepted too)."""
    if hooks is None:
        return []
    if callable(hooks):
        return [hooks]
    result = list(hooks)
    for hook in result:
        if not callable(hook):
            raise TypeError(f"{option} hooks must be callables, got {hook!r}")
    return result


def is_async_fn(fn: Callable[..., object]) -> bool:
    """Whether calling `fn` returns a coroutine (functions, methods, partials, async __call__)."""
    dunder_call = type(fn).__dict__.get("__call__")  # callable objects with an async __call__
    for candidate in (fn, getattr(fn, "func", None), dunder_call):
        target = getattr(candidate, "__func__", candidate)
        code = getattr(target, "__code__", None)
        if code is not None and code.co_flags & _CO_COROUTINE:
            return True
    return False


def docstring(fn: Callable[..., object]) -> str | None:
    """The function's docstring, dedented (as `inspect.getdoc`, without importing inspect)."""
    doc = getattr(fn, "__doc__", None)
    if not doc:
        return None
    lines = doc.expandtabs().splitlines()
    indents = [len(line) - len(line.lstrip()) for line in lines[1:] if line.strip()]
    margin = min(indents) if indents else 0
    return "\n".join([lines[0].strip(), *(line[margin:] for line in lines[1:])]).strip()


class OptionsMixin:
    """`with_options(...)` and the ``@obj.on_completion`` style hook decorators."""

    def __class_getitem__(cls, item: Any) -> type:  # `Task[int]` in annotations, as in Prefect
        return cls

    _OPTIONS: tuple[str, ...] = ()
    fn: Callable[..., Any]

    def with_options(self: _Self, **changes: Any) -> _Self:
        """A copy with some options changed; the wrapped function stays the same."""
        unknown = sorted(set(changes) - set(self._OPTIONS))
        if unknown:
            raise TypeError(
                f"{type(self).__name__}.with_options() got unknown option(s): {', '.join(unknown)}"
            )
        options: dict[str, Any] = {}
        for option in self._OPTIONS:
            value = getattr(self, f"{option}_hooks" if option in _HOOK_OPTIONS else option)
            options[option] = list(value) if option in _HOOK_OPTIONS else value
        options.update(changes)
        make: Callable[..., _Self] = type(self)  # Task(fn, **options) or Flow(fn, **options)
        return make(self.fn, **options)

    def _add_hook(self, option: str, fn: _Hook) -> _Hook:
        getattr(self, f"{option}_hooks").append(fn)
        return fn

    def on_completion(self, fn: _Hook) -> _Hook:
        return self._add_hook("on_completion", fn)

    def on_failure(self, fn: _Hook) -> _Hook:
        return self._add_hook("on_failure", fn)

    def on_running(self, fn: _Hook) -> _Hook:
        return self._add_hook("on_running", fn)


def explicit_persist(persist_result: bool | None, *configured: Any) -> bool | None:
    """A task's own persistence choice: asked for, implied by its storage/serializer/key/cache
    options, or None — then it follows its flow run's (`inherited_persist`)."""
    if persist_result is not None:
        return bool(persist_result)
    if any(option is not None for option in configured):
        return True
    return None


def flow_result_options() -> tuple[bool, Any, Any] | None:
    """The (persist_result, result_storage, result_serializer) of the flow run in progress."""
    ctx = _flow_run_ctx.get()
    return ctx.flow_run.result_options if ctx is not None else None


def inherited_persist() -> bool:
    """Whether a task that chose nothing persists: as its flow run does, else the setting."""
    options = flow_result_options()
    if options is not None:
        return options[0]
    # lazily: settings load at the first run, not on `import cadenza`
    from cadenza.settings import spec

    return bool(spec.get("CADENZA_RESULTS_PERSIST_BY_DEFAULT"))


def resolve_persist(
    persist_result: bool | None,
    *configured: Any,
    setting: str = "CADENZA_RESULTS_PERSIST_BY_DEFAULT",
) -> bool:
    """Whether results are persisted: explicitly asked, or implied by storage/serializer/key/cache
    options being set, or the settings default."""
    if persist_result is not None:
        return bool(persist_result)
    if any(option is not None for option in configured):
        return True
    # lazily: settings load at the first run, not on `import cadenza`
    from cadenza.settings import spec

    return bool(spec.get(setting))
