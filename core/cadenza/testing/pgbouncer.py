"""A throwaway PgBouncer in front of a test PostgreSQL cluster (`cadenza.testing.postgres`).

``start_pgbouncer(cluster)`` runs Debian's ``pgbouncer`` (``apt-get install -y pgbouncer``) in
the foreground on 127.0.0.1 and a free port, in ``pool_mode = transaction`` unless told
otherwise, forwarding every database name to the cluster; ``bouncer.url_for(database_url)``
rewrites a cluster URL to go through it; ``bouncer.stop()`` stops it by PID and removes its
files. It runs as the ``postgres`` user when we are root (PgBouncer refuses root).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from cadenza.testing.services import free_port

if TYPE_CHECKING:
    from cadenza.testing.postgres import PostgresCluster

MISSING = (
    "pgbouncer was not found on PATH or in /usr/sbin: install it with "
    "`apt-get install -y pgbouncer` (.ci/run does this)"
)


def pgbouncer_bin() -> str | None:
    """The path of the ``pgbouncer`` program, or None."""
    return shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin")


class PgBouncer:
    """A PgBouncer process in front of `cluster`: `start`, `url_for`, `stop`."""

    def __init__(
        self, cluster: PostgresCluster, pool_mode: str = "transaction", pool_size: int = 8
    ) -> None:
        program = pgbouncer_bin()
        if program is None:
            raise RuntimeError(MISSING)
        self.program = program
        self.cluster = cluster
        self.pool_mode = pool_mode
        self.pool_size = pool_size
        self.as_root = os.geteuid() == 0
        # not under pytest's tmp dirs: the postgres user could not enter them
        self.dir = Path(tempfile.mkdtemp(prefix="cadenza-pgbouncer-"))
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> str:
        path = self.dir / "pgbouncer.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self, timeout: float = 30.0) -> PgBouncer:
        users = self.dir / "userlist.txt"
        users.write_text('"cadenza" ""\n')
        config = self.dir / "pgbouncer.ini"
        config.write_text(
            "[databases]\n"
            f"* = host=127.0.0.1 port={self.cluster.port}\n"
            "[pgbouncer]\n"
            "listen_addr = 127.0.0.1\n"
            f"listen_port = {self.port}\n"
            "unix_socket_dir =\n"
            "auth_type = trust\n"
            f"auth_file = {users}\n"
            f"pool_mode = {self.pool_mode}\n"
            f"default_pool_size = {self.pool_size}\n"
            "max_client_conn = 1000\n"
            f"logfile = {self.dir / 'pgbouncer.log'}\n"
        )
        if self.as_root:
            for path in (self.dir, users, config):
                shutil.chown(path, "postgres", "postgres")
        command = [self.program, str(config)]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        # its own process group: `stop` signals runuser and pgbouncer together
        self.proc = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                error = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                self.stop()
                raise RuntimeError(f"pgbouncer exited ({self.proc.returncode}):\n{error}{self.log}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"pgbouncer did not listen on 127.0.0.1:{self.port} in {timeout} s")

    def url_for(self, database_url: str) -> str:
        """`database_url` (a URL of the cluster's) through this PgBouncer instead."""
        return database_url.replace(f"@127.0.0.1:{self.cluster.port}/", f"@127.0.0.1:{self.port}/")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        try:
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(10)
        finally:
            if proc is not None and proc.stderr is not None:
                proc.stderr.close()
            shutil.rmtree(self.dir, ignore_errors=True)


def start_pgbouncer(
    cluster: PostgresCluster, pool_mode: str = "transaction", pool_size: int = 8
) -> PgBouncer:
    """Start a PgBouncer in front of `cluster`; raises RuntimeError naming `apt-get install
    pgbouncer` if it is missing, or with its log if it does not start."""
    return PgBouncer(cluster, pool_mode, pool_size).start()


__all__ = ["MISSING", "PgBouncer", "pgbouncer_bin", "start_pgbouncer"]
