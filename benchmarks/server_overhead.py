"""server_overhead: per-task overhead of a flow reporting to a local server, beside Prefect 3.

Cadenza: a real ``cadenza server start`` (free 127.0.0.1 port, fresh temp home, SQLite) and the
client workload (workloads/overhead.py) with ``CADENZA_API_URL`` pointing at it. Prefect: a real
``prefect server start`` from its venv (free 127.0.0.1 port, fresh ``PREFECT_HOME``, its default
SQLite database) and the same workload with ``PREFECT_API_URL`` set, so neither side starts a
temporary server. The method is task_overhead's (``task_overhead._measure``): an untimed one-task
flow first, then every call of ``inc(x)`` and of the plain function timed on its own; overhead =
median task call - median plain call, the fastest repeat held to the target. Each server is
stopped by its process group after its side is measured.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness import (
    CADENZA_TIMEOUT,
    BenchResult,
    Config,
    Row,
    Target,
    cadenza_env,
    dig,
    free_port,
    prefect_cell,
    prefect_env,
    ratio,
    server,
    temp_home,
)
from server_ingest import cadenza_server_cmd, client_env
from task_overhead import _measure

NAME = "server_overhead"
MIN_RATIO = 50.0
PREFECT_SERVER_TIMEOUT = 400.0  # server start (first start runs its migrations), and each child


def _cadenza(python: str, n: int, repeats: int) -> dict[str, Any]:
    with temp_home("cadenza-server") as shome, temp_home("cadenza-client") as chome:
        port = free_port()
        cmd = cadenza_server_cmd(python, port, f"sqlite:///{shome / 'server.db'}")
        health = f"http://127.0.0.1:{port}/api/health"
        env = client_env(chome, port)
        with server(cmd, cadenza_env(shome), health, shome / "server.log", CADENZA_TIMEOUT):
            return _measure(python, "cadenza", n, env, CADENZA_TIMEOUT, repeats)


def _prefect(python: str, n: int) -> dict[str, Any]:
    prefect_bin = str(Path(python).parent / "prefect")
    with temp_home("prefect-server") as home:
        port = free_port()
        cmd = [prefect_bin, "server", "start", "--host", "127.0.0.1", "--port", str(port)]
        server_env = prefect_env(home)
        server_env["PREFECT_UI_ENABLED"] = "false"
        env = prefect_env(home)
        env["PREFECT_API_URL"] = f"http://127.0.0.1:{port}/api"
        health = f"http://127.0.0.1:{port}/api/health"
        with server(cmd, server_env, health, home / "server.log", PREFECT_SERVER_TIMEOUT):
            return _measure(python, "prefect", n, env, PREFECT_SERVER_TIMEOUT)


def bench(cfg: Config) -> BenchResult:
    res = BenchResult(NAME)
    n = 500 if cfg.quick else 2_000
    pn = 50 if cfg.quick else 200
    cad: dict[str, Any] | None = None
    pre: dict[str, Any] | None = None
    try:
        cad = _cadenza(cfg.cadenza_python, n, repeats=2 if cfg.quick else 3)
        res.data["cadenza"] = cad
    except Exception as exc:
        res.errors.append(f"cadenza: {exc}")
    if cfg.prefect_python:
        try:
            pre = _prefect(cfg.prefect_python, pn)
            res.data["prefect"] = pre
        except Exception as exc:
            res.data["prefect_error"] = str(exc)
    missing = prefect_cell(cfg, "prefect_error" in res.data)

    c_over = dig(cad, "overhead_us")
    p_over = dig(pre, "overhead_us")
    r = ratio(p_over, c_over)

    def row(metric: str, key: tuple[str, ...], fmt: str, rat: float | None = None) -> Row:
        return Row(metric, dig(cad, *key), dig(pre, *key) if pre else missing, rat, fmt)

    res.rows += [
        row("iterations", ("n",), "{:.0f}"),
        row("plain call median (us)", ("plain", "median_us"), "{:.3f}"),
        row("task call median (us)", ("task", "median_us"), "{:.2f}"),
        row("task call mean (us)", ("task", "mean_us"), "{:.2f}"),
        row("task call p90 (us)", ("task", "p90_us"), "{:.2f}"),
        row("overhead median, best repeat (us)", ("overhead_us",), "{:.2f}", r),
        Row(
            "overhead median, every repeat (us)",
            " ".join(map(str, (cad or {}).get("repeats_overhead_us", []))) or None,
            None,
            None,
            "{}",
        ),
        row("flow call, start->return (s)", ("flow_call_s",), "{:.3f}"),
        row("  of which: task loop (s)", ("task_loop_s",), "{:.3f}"),
        row("  of which: flow finish (s)", ("flow_finish_s",), "{:.3f}"),
        row("flow start->exit incl. flush (s)", ("flow_to_exit_s",), "{:.3f}"),
    ]
    res.targets.append(
        Target(
            "server task overhead prefect/cadenza",
            r,
            MIN_RATIO,
            ">=",
            "x",
            skipped=None if pre else "prefect not measured",
        )
    )
    return res
