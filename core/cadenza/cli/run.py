"""``cadenza run FILE:FLOW [--param name=value ...]``: run a flow defined in a Python file.

Exit status: 0 when the flow run ends Completed, 1 when it ends in any other state (Failed,
Crashed, Cancelled ...) or cannot be started, 2 for bad usage (missing file or flow, bad param),
3 when it ended Completed but the server (``CADENZA_API_URL``) could not be reached, so that its
record waits in the journal (0 with ``CADENZA_CLIENT_OFFLINE_OK=true``), 143 when SIGTERM stops
it (the run is recorded Crashed). An async flow runs with `asyncio.run`.
"""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

import click

from cadenza.cli import progress
from cadenza.cli._common import USAGE_ERROR, die, name_value
from cadenza.exceptions import ServerUnreachable


def parse_params(pairs: tuple[str, ...]) -> dict[str, Any]:
    """``name=value`` pairs → kwargs; a value is JSON when it parses as JSON, else a string.

    Raises click.BadParameter for a pair without ``=``, a name that is not an identifier, or a
    name given twice.
    """
    params: dict[str, Any] = {}
    for pair in pairs:
        name, value = name_value(pair, "--param")
        if not name.isidentifier():
            raise click.BadParameter(f"{name!r} is not a parameter name", param_hint="--param")
        if name in params:
            raise click.BadParameter(f"{name!r} given more than once", param_hint="--param")
        params[name] = value
    return params


def load_module(path: Path) -> ModuleType:
    """Import `path` as a module named after its stem, with its directory on ``sys.path``."""
    directory = str(path.parent.resolve())
    if directory not in sys.path:
        sys.path.insert(0, directory)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module  # lets pickling and `from <stem> import x` find it
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(path.stem, None)
        raise
    return module


def is_flow(obj: object) -> bool:
    """True for a `cadenza.flows.Flow` (or, duck-typed, an object of a class named Flow)."""
    try:
        # lazily: a command's dependencies load when it runs, not for `cadenza --help`
        from cadenza.flows import Flow
    except ImportError:
        Flow = None  # the engine is not importable; fall back to duck typing
    if Flow is not None and isinstance(obj, Flow):
        return True
    return type(obj).__name__ == "Flow" and hasattr(obj, "fn") and callable(obj)


def _import_failure(path: Path, exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(path)]
    where = f" (line {frames[-1].lineno})" if frames else ""
    return f"Importing {path} failed{where}: {type(exc).__name__}: {exc}"


@click.command("run", context_settings={"ignore_unknown_options": False})
@click.argument("target", metavar="FILE:FLOW")
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
              help="A flow parameter; VALUE is parsed as JSON when it is valid JSON.")  # fmt: skip
@click.option("--no-progress", is_flag=True,
              help="No live progress display (it shows only on a terminal anyway).")  # fmt: skip
def run(target: str, params: tuple[str, ...], no_progress: bool) -> None:
    """Run the flow FLOW defined in the Python file FILE and record it.

    Prints the final state and the flow run id; exits 0 if the run Completed, else 1 (3 when
    it completed but the server of CADENZA_API_URL could not be reached: see `cadenza journal`).
    On a terminal, live progress shows task runs done, failed and running per task name.
    """
    file_part, sep, flow_name = target.rpartition(":")
    if not sep or not file_part or not flow_name:
        die(f"expected FILE:FLOW (e.g. etl.py:main), got {target!r}", USAGE_ERROR)
    try:
        kwargs = parse_params(params)
    except click.BadParameter as exc:
        die(f"invalid --param: {exc.message}", USAGE_ERROR)
    path = Path(file_part)
    if not path.is_file():
        die(f"no such file: {file_part}", USAGE_ERROR)
    try:
        module = load_module(path)
    except Exception as exc:
        die(_import_failure(path, exc), USAGE_ERROR)
    if not hasattr(module, flow_name):
        die(f"{file_part} has no attribute {flow_name!r}", USAGE_ERROR)
    flow_obj = getattr(module, flow_name)
    if not is_flow(flow_obj):
        die(f"{file_part}:{flow_name} is a {type(flow_obj).__name__}, not a @flow", USAGE_ERROR)

    undelivered: str | None = None
    try:
        with progress.shown(progress.wanted(no_progress)):
            state = flow_obj(**kwargs, return_state=True)
            if inspect.isawaitable(state):  # an async flow: run it on its own event loop
                state = asyncio.run(state)
    except ServerUnreachable as exc:  # the run ended; its record waits in the journal
        if exc.state is None:
            die(f"Flow {flow_name!r} could not run: {type(exc).__name__}: {exc}")
        state, undelivered = exc.state, str(exc)
    except Exception as exc:  # e.g. parameters that do not match the flow's signature
        die(f"Flow {flow_name!r} could not run: {type(exc).__name__}: {exc}")
    run_id = getattr(getattr(state, "state_details", None), "flow_run_id", None)
    message = f": {state.message}" if getattr(state, "message", None) else ""
    click.echo(f"Flow run {run_id or '?'} finished in state {state.name}{message}")
    if undelivered is not None:
        click.echo(undelivered, err=True)
        raise click.exceptions.Exit(3 if state.is_completed() else 1)
    if run_id:
        click.echo(f"Inspect it with: cadenza runs show {run_id}")
    raise click.exceptions.Exit(0 if state.is_completed() else 1)


__all__ = ["is_flow", "load_module", "parse_params", "run"]
