"""`serve`: a long-lived process that keeps deployments up to date and runs their runs itself.

`flow.serve(...)` and `cadenza.serve(*deployments)` create or update the deployments, then
loop: on the embedded record the process is its own scheduler (it creates the runs ahead and
marks late ones, as the server's scheduler service does); against a server, the server's
scheduler does that. Each round the runner claims its deployments' due runs (up to `limit`
running at once) and starts each in a child process (``python -m
cadenza.deployments.execute RUN_ID``) with the deployment's job variables: ``env`` (a dict of
environment variables) and ``working_dir``. It wakes at the next run's scheduled time, so a
scheduled run starts on time, and at least every ``CADENZA_WORKER_POLL_INTERVAL`` seconds for
runs asked for by hand (`run_deployment`, ``cadenza deployments run``).

A child that exits without ending its run (killed, out of memory) has the run ended Crashed
with its exit status. SIGINT or SIGTERM stops the runner: it claims nothing more, waits for
running children (they finish their runs), and — with ``pause_on_shutdown`` (the default, as
in Prefect) — pauses its deployments, which removes their runs that have not started.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cadenza.deployments.api import DeploymentsApi, claimant_name, deployments_api
from cadenza.deployments.cancellation import CancellationDeadline
from cadenza.deployments.deployment import RunnerDeployment
from cadenza.deployments.execute import crash
from cadenza.settings import spec
from cadenza.states import TERMINAL_STATES

logger = logging.getLogger("cadenza.runner")
_FINAL = {t.value for t in TERMINAL_STATES}


@dataclass
class _Child:
    run: dict[str, Any]
    process: subprocess.Popen[bytes]


class Runner:
    """Serves deployments from this process (Prefect 3's `Runner`)."""

    def __init__(
        self,
        limit: int | None = None,
        pause_on_shutdown: bool = True,
        poll_interval: float | None = None,
        api: DeploymentsApi | None = None,
    ) -> None:
        self.limit = limit
        self.pause_on_shutdown = pause_on_shutdown
        self.poll_interval = (
            poll_interval if poll_interval is not None else spec.get("CADENZA_WORKER_POLL_INTERVAL")
        )
        self.api = api or deployments_api()
        self.name = claimant_name("serve")
        self.deployments: dict[str, RunnerDeployment] = {}
        self.children: dict[str, _Child] = {}
        self._stop = threading.Event()
        self.started = 0
        self.cancellations = CancellationDeadline(
            spec.get("CADENZA_CANCELLATION_GRACE"), self.api.read_states, self.api.force_cancel
        )

    def add_deployment(self, deployment: RunnerDeployment) -> str:
        """Create or update `deployment` in the record; serve it from now on."""
        deployment_id = str(self.api.apply(deployment.spec())["id"])
        self.deployments[deployment_id] = deployment
        return deployment_id

    def stop(self) -> None:
        """Ask the loop to end (it finishes the round it is in)."""
        self._stop.set()

    def start(self, run_once: bool = False) -> None:
        """Serve until stopped (SIGINT, SIGTERM, `stop`), or for one round if `run_once`."""
        restore = self._install_signal_handlers()
        try:
            while not self._stop.is_set():
                next_due = self.run_round()
                if run_once:
                    break
                self._stop.wait(self._sleep_for(next_due))
            self.wait_for_runs()
        finally:
            if self.pause_on_shutdown and not run_once:
                for deployment_id in self.deployments:
                    self.api.pause(deployment_id)
            restore()
            self.api.close()

    def run_round(self) -> float | None:
        """Schedule (on the embedded record), reap finished children, claim and start due runs;
        return when the next run will be due (None: none known)."""
        self.api.schedule()
        self._reap_children()
        self.cancellations.check({rid: c.process.kill for rid, c in self.children.items()})
        room = 1000 if self.limit is None else self.limit - len(self.children)
        if room <= 0 or not self.deployments:
            return None
        lease = 2 * spec.get("CADENZA_HEARTBEAT_INTERVAL")
        answer = self.api.claim(self.name, list(self.deployments), room, lease)
        for run in answer["runs"]:
            self._start_child(run)
        return answer.get("next_due")

    def _sleep_for(self, next_due: float | None) -> float:
        wait = self.poll_interval
        if next_due is not None:
            wait = min(wait, max(0.0, next_due - time.time()))
        return wait

    def _start_child(self, run: dict[str, Any]) -> None:
        variables = run.get("job_variables") or {}
        deployment = run.get("deployment") or {}
        env = dict(os.environ)
        env.update({str(k): str(v) for k, v in (variables.get("env") or {}).items()})
        cwd = variables.get("working_dir") or deployment.get("path") or None
        logger.info("Starting flow run %r of %s", run["name"], deployment.get("full_name"))
        process = subprocess.Popen(
            [sys.executable, "-m", "cadenza.deployments.execute", run["id"]], env=env, cwd=cwd
        )
        self.children[run["id"]] = _Child(run, process)
        self.started += 1

    def _reap_children(self) -> None:
        for run_id, child in list(self.children.items()):
            status = child.process.poll()
            if status is None:
                continue
            del self.children[run_id]
            if status != 0:
                self._crash_if_unfinished(child.run, status)

    def _crash_if_unfinished(self, run: dict[str, Any], status: int) -> None:
        try:
            current = self.api.read_flow_run(run["id"])
        except Exception:  # the record is unreachable: the lease or the next process decides
            logger.exception("Could not read flow run %s after its process ended", run["id"])
            return
        if current.get("state_type") in _FINAL or current.get("state_type") == "SCHEDULED":
            return  # ended; or scheduled again since (a retry): no longer this attempt's run
        reason = _exit_reason(status)
        message = f"The process running this flow run {reason} before the run ended"
        crash(current, message, message)

    def wait_for_runs(self) -> None:
        """Wait until the runs this runner started have ended (a child that ignores a
        cancellation is still killed once its grace period is over)."""
        next_check = 0.0
        while self.children:
            self._reap_children()
            if time.monotonic() >= next_check:
                self.cancellations.check({rid: c.process.kill for rid, c in self.children.items()})
                next_check = time.monotonic() + 0.5
            time.sleep(0.05)

    def _install_signal_handlers(self) -> Any:
        if threading.current_thread() is not threading.main_thread():
            return lambda: None

        def stop(_signum: int, _frame: Any) -> None:
            self.stop()

        previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}

        def restore() -> None:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

        return restore


def _exit_reason(status: int) -> str:
    if status < 0:
        try:
            return f"was killed by {signal.Signals(-status).name}"
        except ValueError:
            return f"was killed by signal {-status}"
    return f"exited with status {status}"


def serve(
    *deployments: RunnerDeployment,
    pause_on_shutdown: bool = True,
    print_starting_message: bool = True,
    limit: int | None = None,
    **_ignored: Any,
) -> None:
    """Serve `deployments` from this process until it is stopped (Prefect 3's `serve`)."""
    runner = Runner(limit=limit, pause_on_shutdown=pause_on_shutdown)
    for deployment in deployments:
        runner.add_deployment(deployment)
    if print_starting_message:
        _print_start(deployments)
    runner.start()


def deploy(
    *deployments: RunnerDeployment,
    work_pool_name: str | None = None,
    print_next_steps_message: bool = True,
    **_ignored: Any,
) -> list[str]:
    """Register `deployments` for workers (Prefect 3's `deploy`): each goes to its own work
    pool, or `work_pool_name`; returns their ids. The pool must exist
    (``cadenza work-pools create NAME``)."""
    ids = []
    for deployment in deployments:
        if work_pool_name is not None and deployment.work_pool_name is None:
            deployment.work_pool_name = work_pool_name
        if deployment.work_pool_name is None:
            raise ValueError(
                f"deployment {deployment.full_name!r} names no work pool: pass "
                "work_pool_name=..., or use serve() to run it from this process"
            )
        ids.append(deployment.apply())
        if print_next_steps_message:
            print(
                f"Deployed {deployment.full_name!r} to work pool "
                f"{deployment.work_pool_name!r}.\nStart a worker: cadenza worker start --pool "
                f"'{deployment.work_pool_name}'\nRun it: cadenza deployments run "
                f"'{deployment.full_name}'",
                flush=True,
            )
    return ids


def _print_start(deployments: Iterable[RunnerDeployment]) -> None:
    names = [d.full_name for d in deployments]
    lines = ["Serving " + ", ".join(repr(n) for n in names) + "."]
    if names:
        lines.append(f"To run one: cadenza deployments run '{names[0]}'")
    lines.append("Stop with Ctrl+C.")
    print("\n".join(lines), flush=True)


__all__ = ["Runner", "deploy", "serve"]
