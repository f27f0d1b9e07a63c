"""``cadenza worker start``: serve a work pool, running its flow runs (`cadenza.workers`)."""

from __future__ import annotations

import click

from cadenza.cli._common import USAGE_ERROR, die


@click.group()
def worker() -> None:
    """Run workers: processes that start a work pool's flow runs as they come due."""


@worker.command("start")
@click.option("--pool", "-p", "pool", required=True, help="The work pool to serve.")
@click.option("--type", "-t", "worker_type", default=None,
              help="The worker type (default: the pool's, else process).")  # fmt: skip
@click.option("--name", "-n", default=None, help="The worker's name (default TYPE-HOST-PID).")
@click.option("--limit", "-l", type=click.IntRange(min=1), default=None,
              help="At most this many flow runs at once.")  # fmt: skip
@click.option("--queue", "-q", "queues", multiple=True,
              help="Serve only this queue of the pool (repeatable).")  # fmt: skip
@click.option("--run-once", is_flag=True,
              help="Claim the due runs once, wait for them to end, and exit.")  # fmt: skip
@click.option("--grace-period", type=click.FloatRange(min=0), default=30.0, show_default=True,
              help="Seconds a stopping worker waits for its runs before killing them.")  # fmt: skip
def start(
    pool: str,
    worker_type: str | None,
    name: str | None,
    limit: int | None,
    queues: tuple[str, ...],
    run_once: bool,
    grace_period: float,
) -> None:
    """Serve the work pool POOL until SIGTERM or Ctrl-C.

    Needs a server (CADENZA_API_URL). The worker claims the pool's due runs, each claimed by one
    worker only, and runs each in a job of its type (`process`: a child process). Stopping, it
    claims nothing more, waits --grace-period seconds for its runs, then kills them.
    """
    import logging
    import sys

    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.settings import spec
    from cadenza.workers import get_worker_class
    from cadenza.workers.base import WorkerError

    if not spec.get("CADENZA_API_URL"):
        die(
            "A worker needs a cadenza server: start one (`cadenza server start`) and set "
            "CADENZA_API_URL to its URL (http://127.0.0.1:4200/api by default), or run the "
            "flow's deployments in its own process with `flow.serve()`."
        )
    log = logging.getLogger("cadenza.workers")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s | %(levelname)-7s | worker - %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    if worker_type is None:
        worker_type = _pool_type(pool)
    try:
        cls = get_worker_class(worker_type)
        instance = cls(pool, name=name, limit=limit, queues=list(queues) or None,
                       grace_period=grace_period)  # fmt: skip
    except ValueError as exc:
        die(str(exc), USAGE_ERROR)
    try:
        instance.start(run_once=run_once)
    except WorkerError as exc:
        die(str(exc))


def _pool_type(pool: str) -> str:
    """The type of `pool` on the server; ``process`` if there is no such pool yet."""
    # lazily: httpx loads only when a worker starts
    from cadenza.cli._common import open_api
    from cadenza.client.http import NotFound

    with open_api() as client:
        try:
            return str(client.read_work_pool(pool).get("type") or "process")
        except NotFound:
            return "process"


__all__ = ["start", "worker"]
