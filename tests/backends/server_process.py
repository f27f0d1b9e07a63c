"""A real server process: ``python -m cadenza.cli.main server start`` on 127.0.0.1.

Restartable on the same port and database; stopped by its PID (SIGKILL or SIGTERM).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from cadenza.testing.postgres import free_port

ROOT = Path(__file__).resolve().parents[2]


class ServerProcess:
    def __init__(self, database_url: str, home: Path, env: dict[str, str] | None = None) -> None:
        self.database_url = database_url
        self.home = home
        self.env = env or {}  # settings of the server process (e.g. its reaper interval)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/api"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> ServerProcess:
        env = {**os.environ, "CADENZA_HOME": str(self.home)}
        for name in ("CADENZA_API_URL", "CADENZA_API_KEY", "CADENZA_SERVER_API_KEY"):
            env.pop(name, None)
        env.update(self.env)  # what the test sets wins (its API key, say)
        log = open(self.home / "server.log", "ab")  # noqa: SIM115 - the child keeps it
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "cadenza.cli.main", "server", "start",
                 "--port", str(self.port), "--database-url", self.database_url],
                env=env, cwd=ROOT, stdout=log, stderr=log,
            )  # fmt: skip
        finally:
            log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"the server exited with {self.proc.returncode}:\n{self.log()[-3000:]}"
                )
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.url} did not come up in {timeout} s:\n{self.log()[-3000:]}")

    def log(self) -> str:
        path = self.home / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stored_block_data(self, type_slug: str, name: str) -> str:
        """The ``data`` column of a saved block, as the server's database holds it."""
        import sqlalchemy as sa

        engine = sa.create_engine(self.database_url)
        try:
            with engine.connect() as conn:
                return conn.execute(
                    sa.text("SELECT data FROM blocks WHERE type_slug = :t AND name = :n"),
                    {"t": type_slug, "n": name},
                ).scalar_one()
        finally:
            engine.dispose()

    def dump_database(self) -> str:
        """Every row of every table of the server's database, as text (for scans)."""
        import sqlalchemy as sa

        engine = sa.create_engine(self.database_url)
        try:
            with engine.connect() as conn:
                tables = sa.inspect(conn).get_table_names()
                return "\n".join(
                    repr(tuple(row))
                    for table in tables
                    for row in conn.execute(sa.text(f'SELECT * FROM "{table}"'))
                )
        finally:
            engine.dispose()

    def kill(self) -> None:
        """Stop the server abruptly (SIGKILL by PID)."""
        kill_process(self.proc)
        self.proc = None

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None


def kill_process(proc: subprocess.Popen | None) -> None:
    """SIGKILL `proc` by PID if it still runs, and reap it."""
    if proc is not None and proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)


def stop_process(proc: subprocess.Popen | None) -> None:
    """SIGTERM `proc` by PID; SIGKILL if it has not exited within 10 s."""
    if proc is not None and proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            kill_process(proc)
