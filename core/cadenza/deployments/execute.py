"""Run one flow run of a deployment in this process: ``python -m cadenza.deployments.execute ID``.

A worker or a `serve` process starts this in a child process for each run it claimed, with the
run's job variables applied (environment, working directory). It reads the run and its
deployment from the record this process reports to (``CADENZA_API_URL``, else the embedded
record), makes the deployment's source available (a directory, or a git clone in a temporary
directory), loads the flow from the entrypoint and calls it as that run
(`cadenza.engine.adoption`), with the run's parameters.

If the flow cannot be loaded (a missing file, an import error, an entrypoint that names no
flow), the run ends Crashed with the reason as its message and the traceback in its logs (see
``cadenza runs logs``), and the process exits with status 1. The exit status is 0 when the run
completed or was suspended (`cadenza.flow_runs.suspend_flow_run`), and 1 otherwise.
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from cadenza.backends import get_backend
from cadenza.deployments.api import deployments_api
from cadenza.deployments.entrypoints import load_entrypoint
from cadenza.deployments.sources import materialize
from cadenza.engine.adoption import AdoptedRun, adopting
from cadenza.exceptions import Pause
from cadenza.runs import FlowRun
from cadenza.runtime._record import running_deployment
from cadenza.states import State, StateType

EXIT_NOT_COMPLETED = 1


def _state_of(run: dict[str, Any]) -> State[Any] | None:
    if not run.get("state_type"):
        return None
    return State(StateType(run["state_type"]), run.get("state_name"), run.get("state_message"))


def _code_dir(deployment: dict[str, Any], workdir: Path) -> Path | None:
    source = deployment.get("source")
    if source:
        location = source.get("url") if isinstance(source, dict) else str(source)
        if location:
            return materialize(str(location), workdir)
    path = deployment.get("path")
    return Path(path) if path else None


def load_flow(deployment: dict[str, Any], workdir: Path) -> Any:
    """The deployment's flow, loaded from its entrypoint in its source or path."""
    entrypoint = deployment.get("entrypoint")
    if not entrypoint:
        raise ValueError(f"deployment {deployment.get('full_name')!r} has no entrypoint")
    return load_entrypoint(entrypoint, _code_dir(deployment, workdir))


def crash(run: dict[str, Any], message: str, details: str) -> None:
    """End the run Crashed with `message`, and log `details` (a traceback) on it."""
    backend = get_backend()
    record = FlowRun(run["flow_name"], run["name"], run.get("parameters") or {})
    AdoptedRun(run["id"], run["name"], _state_of(run), 0, run.get("tags") or ()).apply(record)
    backend.create_flow_run(record)
    backend.log(record.id, None, logging.ERROR, "cadenza.deployments", details, time.time())
    backend.propose(record, State(StateType.CRASHED, None, message))
    backend.flush()


def execute(flow_run_id: str) -> int:
    """Run the flow run `flow_run_id` (see the module docstring); return the exit status."""
    api = deployments_api()
    try:
        run = api.read_flow_run(flow_run_id)
        deployment = api.read(run["deployment_id"])
    finally:
        api.close()
    adopted = AdoptedRun(run["id"], run["name"], _state_of(run), 0, run.get("tags") or ())
    adopted.check_runnable()
    with tempfile.TemporaryDirectory(prefix="cadenza-run-") as workdir:
        try:
            flow = load_flow(deployment, Path(workdir))
            if not callable(flow) or not hasattr(flow, "fn"):
                raise TypeError(
                    f"entrypoint {deployment['entrypoint']!r} is a "
                    f"{type(flow).__name__}, not a flow"
                )
        except Exception as exc:
            message = f"Could not load the flow of deployment {deployment['full_name']!r}: {exc}"
            crash(run, message, message + "\n" + traceback.format_exc())
            return EXIT_NOT_COMPLETED
        try:
            with adopting(adopted), running_deployment(run, deployment):
                state = flow(**(run.get("parameters") or {}), return_state=True)
                if hasattr(state, "__await__"):
                    # lazily: asyncio only for an async flow
                    import asyncio

                    state = asyncio.run(_awaited(state))
        except Pause:  # suspended (cadenza.flow_runs): resumed, a worker runs it again
            return 0
    return 0 if state.type is StateType.COMPLETED else EXIT_NOT_COMPLETED


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m cadenza.deployments.execute FLOW_RUN_ID", file=sys.stderr)
        return 2
    return execute(args[0])


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["EXIT_NOT_COMPLETED", "crash", "execute", "load_flow", "main"]
