"""Calling a flow: validate parameters, create the flow run, drive the lifecycle, flush.

Everything the run recorded is on disk when this returns or raises. A flow run whose body
outlives its timeout (a sync body stuck in a thread) is marked abandoned, so the body cannot
start further tasks.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, Any

from cadenza import observers
from cadenza.backends import get_backend
from cadenza.context import FlowRunContext, _flow_run_ctx, _task_run_ctx, with_context_tags
from cadenza.engine import cancellation
from cadenza.engine.adoption import adopted_run
from cadenza.engine.drivers import drive_async, drive_sync
from cadenza.engine.inputs import futures_to_states
from cadenza.engine.lifecycle import lifecycle, record_interruption
from cadenza.engine.parameters import bind_parameters, jsonable_parameters, validate_parameters
from cadenza.engine.resume import pending_plan
from cadenza.engine.resume_store import keeper_for, settle
from cadenza.engine.signals import install_termination_handler
from cadenza.exceptions import CancellationRequested, ParameterTypeError, ServerUnreachable
from cadenza.futures import resolve_wait_for
from cadenza.logging.capture import install_print_capture
from cadenza.logging.loggers import for_context
from cadenza.logging.run_lines import flow_run_beginning, flow_run_finished
from cadenza.masking import mask
from cadenza.naming import random_run_name
from cadenza.runs import FlowRun
from cadenza.states import Failed, State, StateDetails, StateType, sync_result

if TYPE_CHECKING:
    from collections.abc import Iterator

    from cadenza.flows import Flow

_INTERRUPTED = (StateType.CRASHED, StateType.CANCELLED)


def run_flow(flow: Flow, args: tuple, kwargs: dict, return_state: bool, wait_for: Any) -> Any:
    if wait_for:
        resolve_wait_for(wait_for)
    if flow.isasync:
        return _run_async(flow, args, kwargs, return_state)
    prepared = _prepare(flow, args, kwargs)
    if isinstance(prepared, State):
        return _finish(prepared, return_state)
    ctx, call_args, call_kwargs, restore = prepared
    try:
        with _running(ctx, restore):
            state = drive_sync(
                lifecycle(flow, ctx.flow_run, ctx.backend, call_args, call_kwargs),
                _body(flow, ctx),
                call_args,
                call_kwargs,
                flow.timeout_seconds,
                "Flow",
            )
    except CancellationRequested:
        if not cancellation.requested_here(ctx.flow_run.id):
            raise  # an enclosing flow run's cancellation: it goes on up
        cancellation.settle(ctx.flow_run.id)
        state = ctx.flow_run.state  # Cancelled: the caller gets it as from any ended run
    if ctx.flow_run.parent_flow_run_id is None:  # a top-level run: did its record get through?
        _check_delivered(ctx, state, return_state)
    return _finish(state, return_state)


async def _run_async(flow: Flow, args: tuple, kwargs: dict, return_state: bool) -> Any:
    prepared = _prepare(flow, args, kwargs)
    if isinstance(prepared, State):
        return _finish(prepared, return_state)
    ctx, call_args, call_kwargs, restore = prepared
    try:
        with _running(ctx, restore):
            state = await drive_async(
                lifecycle(flow, ctx.flow_run, ctx.backend, call_args, call_kwargs),
                _body(flow, ctx),
                call_args,
                call_kwargs,
                flow.timeout_seconds,
                "Flow",
            )
    except BaseException as exc:
        if not cancellation.async_requested_here(ctx.flow_run.id, exc):
            raise
        state = ctx.flow_run.state
    if ctx.flow_run.parent_flow_run_id is None:
        _check_delivered(ctx, state, return_state)
    return _finish(state, return_state)


@contextlib.contextmanager
def _running(ctx: FlowRunContext, restore: Any) -> Iterator[None]:
    """The flow run's context is current inside; the run is ended (task runs waited for,
    record flushed) however the body exits. An interruption that reached no run's call still
    ends the run Crashed or Cancelled; SIGTERM's `TerminationSignal` then goes on to end the
    process with status 128 + 15 (see `engine.signals`)."""
    flow_token = _flow_run_ctx.set(ctx)
    task_token = _task_run_ctx.set(None)
    try:
        yield
    except BaseException as exc:
        if not isinstance(exc, Exception):
            record_interruption(ctx.flow_run, ctx.backend, exc, "Flow")
        _end(ctx, restore)
        raise
    else:
        _end(ctx, restore)
    finally:
        _task_run_ctx.reset(task_token)
        _flow_run_ctx.reset(flow_token)


def _prepare(flow: Flow, args: tuple, kwargs: dict):
    """Create the run; return (context, args, kwargs, restore) or the Failed state of bad input."""

    parent = _flow_run_ctx.get()
    parent_task = _task_run_ctx.get()
    adopted = adopted_run.get() if parent is None else None
    if adopted is not None:  # this call runs an existing flow run; its subflows are new runs
        adopted.check_runnable()  # a final run is refused before anything is recorded
        adopted_run.set(None)
    backend = parent.backend if parent is not None else get_backend()
    error: ParameterTypeError | None = None
    bound = None
    try:
        bound = bind_parameters(flow, args, kwargs)
        parameters = dict(bound.arguments)  # as called, kept for the record if validation fails
        if flow.should_validate_parameters:
            validate_parameters(flow, bound)
            parameters = dict(bound.arguments)
    except ParameterTypeError as exc:
        error = exc
        if bound is None:  # the call does not fit the signature: record what was passed
            parameters = {**({"args": list(args)} if args else {}), **kwargs}
    run = FlowRun(
        flow.name,
        mask(_run_name(flow, parameters)) if error is None else _safe_name(flow),
        jsonable_parameters(parameters),
        with_context_tags(flow.tags),
        flow.version,
        flow.retries,
        parent.flow_run.id if parent is not None else None,
        parent_task.task_run.id if parent_task is not None else None,
    )
    if adopted is not None:
        adopted.apply(run)
    run.entrypoint = flow.entrypoint
    run.result_options = (flow.persist_result, flow.result_storage, flow.result_serializer)
    ctx = FlowRunContext(flow, run, backend, bool(flow.log_prints), flow.task_runner)
    ctx.kept = keeper_for(flow, run.id, parent)
    if parent is None:
        observers.prepare()

        plan = pending_plan.get()
        if plan is not None:  # this call resumes an earlier run
            pending_plan.set(None)
    else:  # a subflow resumes the matching subflow run of the run its parent resumes
        plan = parent.resume.take_subflow(flow.name) if parent.resume is not None else None
    if plan is not None:
        ctx.resume = plan
        run.resumed_from = plan.flow_run_id
    backend.create_flow_run(run)
    if error is not None:
        state = Failed(str(error), data=error)
        state = state.copy(state_details=StateDetails(flow_run_id=run.id))
        backend.propose(run, state)
        for_context(ctx).error("%s", error)
        backend.flush()
        return state
    if flow.log_prints:
        install_print_capture()
    restore = None
    if parent is None:
        restore = install_termination_handler()
    flow_run_beginning(ctx, subflow=parent is not None)
    return ctx, bound.args, bound.kwargs, restore


def _body(flow: Flow, ctx: FlowRunContext) -> Any:
    """The flow's function, followed by waiting for the task runs it submitted, so that the
    flow run ends after its task runs; futures it returns become their states (as in
    Prefect). Interrupted (Ctrl-C, SIGTERM, cancellation), it stops them instead
    (`FlowRunContext.stop_task_runs`) and does not wait for the queued ones."""
    fn = flow.fn
    if flow.isasync:

        async def run_async_body(*args: Any, **kwargs: Any) -> Any:
            cancellation.watch(ctx)
            try:
                value = await fn(*args, **kwargs)
            except Exception:
                await _wait_for_task_runs(ctx)
                raise
            except BaseException as exc:
                ctx.stop_task_runs(exc)
                raise
            await _wait_for_task_runs(ctx)
            return futures_to_states(value)

        return run_async_body

    def run_body(*args: Any, **kwargs: Any) -> Any:
        cancellation.watch(ctx)
        try:
            value = fn(*args, **kwargs)
        except Exception:
            ctx.wait_for_task_runs()
            raise
        except BaseException as exc:
            ctx.stop_task_runs(exc)
            raise
        ctx.wait_for_task_runs()
        return futures_to_states(value)

    return run_body


async def _wait_for_task_runs(ctx: FlowRunContext) -> None:
    """`wait_for_task_runs` off the event loop; cancelled while waiting, stop them instead."""
    if ctx._runner is None:
        return
    import asyncio  # only async flows come here; `import cadenza` stays without asyncio

    try:
        await asyncio.get_running_loop().run_in_executor(None, ctx.wait_for_task_runs)
    except BaseException as exc:
        if not isinstance(exc, Exception):
            ctx.stop_task_runs(exc)
        raise


def _end(ctx: FlowRunContext, restore: Any) -> None:
    cancellation.unwatch(ctx)
    state = ctx.flow_run.state
    # A run that timed out, crashed or was cancelled does not wait for its task runs.
    interrupted = state is None or state.name == "TimedOut" or state.type in _INTERRUPTED
    ctx.close_task_runner(wait=not interrupted)
    settle(ctx)  # results kept for a resume: saved if the run did not complete
    if state is not None and state.is_final():
        ctx.abandoned = f"ended {state.name}"
        flow_run_finished(ctx, state)
    if restore is not None:
        restore()
    ctx.backend.flush()


def _check_delivered(ctx: FlowRunContext, state: State, return_state: bool) -> None:
    """At the end of a top-level flow run recorded on a server that could not be reached: say
    so in one line, and raise `ServerUnreachable` unless ``CADENZA_CLIENT_OFFLINE_OK`` (or the
    run failed: its own exception is raised instead, the line printed all the same)."""
    undelivered = getattr(ctx.backend, "undelivered", None)
    problem = undelivered() if undelivered is not None else None
    if problem is None:
        return
    # lazily: read only when a server was unreachable
    from cadenza.settings import spec

    raising = return_state or state.is_completed()
    if raising and not spec.get("CADENZA_CLIENT_OFFLINE_OK"):
        raise ServerUnreachable(
            f"{problem} (set CADENZA_CLIENT_OFFLINE_OK=true to accept runs recorded offline)",
            state,
        )
    logging.getLogger("cadenza.client").warning("%s", problem)


def _finish(state: State, return_state: bool) -> Any:
    return state if return_state else sync_result(state)


def _run_name(flow: Flow, parameters: dict[str, Any]) -> str:
    template = flow.flow_run_name
    if template is None:
        return _safe_name(flow)
    if callable(template):
        import inspect

        takes_params = len(inspect.signature(template).parameters) > 0
        return str(template(parameters) if takes_params else template())
    try:
        return template.format(**parameters)
    except (KeyError, IndexError) as exc:
        raise ValueError(
            f"Flow {flow.name!r}: flow_run_name {template!r} names {exc}, which is not a "
            "parameter of the flow"
        ) from None


def _safe_name(flow: Flow) -> str:

    return random_run_name()


__all__ = ["run_flow"]
