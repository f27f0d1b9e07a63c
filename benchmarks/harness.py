"""Shared plumbing for the benchmarks: configuration, isolated subprocesses, results and targets.

Every measurement of a framework runs in a child process with its own home directory
(``CADENZA_HOME`` / ``PREFECT_HOME`` in a fresh temp dir), so runs never see each other's records.
Only the standard library is used here: the harness must work even while cadenza does not import.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
WORKLOADS = BENCH_DIR / "workloads"
PREFECT_VENV = BENCH_DIR / ".prefect-venv"
RESULT_MARKER = "BENCH_RESULT "

CADENZA_TIMEOUT = 120.0  # seconds for one cadenza child process
PREFECT_TIMEOUT = 300.0  # seconds for one Prefect child process (its first flow starts a server)

# Cell values in the table: a number, a status word ("not installed", "error", ...) or nothing.
Cell = float | str | None


class BenchError(RuntimeError):
    """A measurement could not be taken (child failed, timed out, printed no result)."""


@dataclass(frozen=True)
class Config:
    quick: bool
    cadenza_python: str
    prefect_python: str | None  # None when Prefect is skipped or absent
    prefect_status: str  # "ok", "not installed" or "skipped"

    @property
    def prefect(self) -> bool:
        return self.prefect_python is not None


@dataclass
class Row:
    metric: str
    cadenza: Cell
    prefect: Cell = None
    ratio: float | None = None  # prefect / cadenza, where that means "x times better"
    fmt: str = "{:.2f}"


@dataclass
class Target:
    name: str
    value: float | None
    limit: float
    op: str  # "<=" or ">=" or "=="
    unit: str = ""
    skipped: str | None = None  # reason, when the target is not applicable in this run

    @property
    def passed(self) -> bool:
        if self.skipped is not None:
            return True
        if self.value is None:
            return False
        if self.op == "<=":
            return self.value <= self.limit
        if self.op == ">=":
            return self.value >= self.limit
        return self.value == self.limit

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "op": self.op,
            "limit": self.limit,
            "unit": self.unit,
            "passed": self.passed,
            "skipped": self.skipped,
        }


@dataclass
class BenchResult:
    name: str
    rows: list[Row] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.errors and all(t.passed for t in self.targets)

    def to_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "data": self.data,
            "targets": [t.to_json() for t in self.targets],
            "errors": self.errors,
        }


@dataclass(frozen=True)
class Proc:
    returncode: int
    stdout: str
    stderr: str
    wall: float  # seconds from spawn to exit, perf_counter
    end: float  # perf_counter right after exit (CLOCK_MONOTONIC: comparable across processes)

    def result(self) -> dict[str, Any]:
        """The JSON object a workload printed on its ``BENCH_RESULT`` line."""
        for line in reversed(self.stdout.splitlines()):
            if line.startswith(RESULT_MARKER):
                parsed: dict[str, Any] = json.loads(line[len(RESULT_MARKER) :])
                return parsed
        raise BenchError("child printed no BENCH_RESULT line\n" + tail(self.stderr))


def tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _clean_env() -> dict[str, str]:
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CADENZA_", "PREFECT_")) and k != "PYTHONSTARTUP"
    }


def cadenza_env(home: Path) -> dict[str, str]:
    env = _clean_env()
    env["CADENZA_HOME"] = str(home)
    return env


def prefect_env(home: Path) -> dict[str, str]:
    env = _clean_env()
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_LOGGING_LEVEL="WARNING",
        # The temporary server must only listen on loopback (it does by default; be explicit).
        PREFECT_SERVER_API_HOST="127.0.0.1",
        # First start runs all migrations; on 2 cores that takes longer than the default 20 s.
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="240",
    )
    return env


@contextmanager
def temp_home(prefix: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=f"bench-{prefix}-") as d:
        yield Path(d)


def _stop_group(pgid: int) -> None:
    """Stop the process group we created for one child (the child and anything it spawned)."""
    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 0.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)


def run(
    cmd: Sequence[str],
    env: dict[str, str],
    timeout: float,
    cwd: Path | None = None,
    check: bool = True,
) -> Proc:
    """Run one child in its own session; on timeout stop its whole process group."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        list(cmd),
        env=env,
        cwd=str(cwd) if cwd else None,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop_group(proc.pid)
        proc.communicate()
        raise BenchError(f"timed out after {timeout:.0f} s: {' '.join(cmd)}") from None
    end = time.perf_counter()
    _stop_group(proc.pid)  # leftovers (e.g. a temporary server) never outlive the measurement
    result = Proc(proc.returncode, out, err, end - start, end)
    if check and proc.returncode != 0:
        raise BenchError(f"exit {proc.returncode}: {' '.join(cmd)}\n{tail(err) or tail(out)}")
    return result


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def server(
    cmd: Sequence[str], env: dict[str, str], health_url: str, log_path: Path, timeout: float
) -> Iterator[subprocess.Popen[bytes]]:
    """Start a server process in its own session; yield once ``health_url`` answers 200.

    Its output goes to ``log_path`` (a pipe nobody reads could fill up and stall it). On exit,
    the server's process group (the server and anything it spawned) is stopped by its PID.
    """
    with open(log_path, "wb") as out:
        proc = subprocess.Popen(
            list(cmd),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise BenchError(
                    f"server exited {proc.returncode}: {' '.join(cmd)}\n"
                    + tail(log_path.read_text(errors="replace"))
                )
            try:
                with urllib.request.urlopen(health_url, timeout=2.0) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise BenchError(f"server not healthy after {timeout:.0f} s: {' '.join(cmd)}")
            time.sleep(0.1)
        yield proc
    finally:
        _stop_group(proc.pid)
        proc.wait()


def workload(python: str, script: str, *args: object) -> list[str]:
    return [python, str(WORKLOADS / script), *(str(a) for a in args)]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def ratio(prefect: float | None, cadenza: float | None) -> float | None:
    """How many times larger the Prefect figure is; None when either side is missing."""
    if prefect is None or cadenza is None:
        return None
    return prefect / max(cadenza, 1e-9)


def dig(data: dict[str, Any] | None, *path: str) -> float | None:
    """``data[path[0]][path[1]]...`` as a float, or None where anything is missing."""
    cur: Any = data
    for key in path:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(key)
    return None if cur is None else float(cur)


def prefect_cell(cfg: Config, failed: bool) -> str:
    """What the Prefect column says when there is no Prefect figure."""
    if not cfg.prefect:
        return cfg.prefect_status
    return "error" if failed else "-"


def prefect_python() -> Path:
    return PREFECT_VENV / "bin" / "python"


def python_version(python: str) -> str:
    return subprocess.run(
        [python, "-c", "import sys; print(sys.version.split()[0])"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()


def package_version(python: str, package: str) -> str | None:
    code = f"import importlib.metadata as m; print(m.version({package!r}))"
    proc = subprocess.run(
        [python, "-c", code], capture_output=True, text=True, env=_clean_env(), check=False
    )
    return proc.stdout.strip() or None


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def measure_both(
    cfg: Config,
    res: BenchResult,
    measure: Callable[[str, str, dict[str, str], Path, float, int], dict[str, Any]],
    *,
    cadenza_repeats: int,
    prefect_timeout: float,
) -> tuple[dict[str, Any] | None, dict[str, Any] | None, str]:
    """Run `measure(python, framework, env, home, timeout, repeats)` for cadenza (in a fresh home,
    `cadenza_repeats` times) and, when installed, once for Prefect. Cadenza errors go to
    `res.errors` (they fail the run), Prefect's to ``res.data["prefect_error"]``. Returns
    (cadenza figures, prefect figures, what the Prefect column says when it has no figure)."""
    cad: dict[str, Any] | None = None
    pre: dict[str, Any] | None = None
    with temp_home("cadenza") as home:
        try:
            cad = measure(
                cfg.cadenza_python, "cadenza", cadenza_env(home), home, CADENZA_TIMEOUT,
                cadenza_repeats,
            )  # fmt: skip
            res.data["cadenza"] = cad
        except Exception as exc:
            res.errors.append(f"cadenza: {exc}")
    if cfg.prefect_python:
        with temp_home("prefect") as home:
            try:
                pre = measure(
                    cfg.prefect_python, "prefect", prefect_env(home), home, prefect_timeout, 1
                )
                res.data["prefect"] = pre
            except Exception as exc:
                res.data["prefect_error"] = str(exc)
    missing = prefect_cell(cfg, "prefect_error" in res.data)
    if "timed out" in res.data.get("prefect_error", ""):
        missing = f"timeout >{prefect_timeout:.0f} s"
    return cad, pre, missing
