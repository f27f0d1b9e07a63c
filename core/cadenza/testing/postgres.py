"""A throwaway PostgreSQL cluster for tests: the core's and any collection's.

``from cadenza.testing.postgres import start_cluster``; ``cluster.url`` is a SQLAlchemy URL,
``cluster.create_database()`` gives a fresh database, ``cluster.stop()`` stops it and removes its
files. Needs Debian's server binaries (``apt-get install -y postgresql``). The cluster runs as
the ``postgres`` user when we are root (initdb refuses root), listens on 127.0.0.1 on a free port
with its socket in its own directory, and is stopped with ``pg_ctl -m immediate stop``.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from cadenza.testing.services import free_port

MISSING = (
    "PostgreSQL server binaries (initdb, pg_ctl) were not found under /usr/lib/postgresql/*/bin: "
    "install them with `apt-get install -y postgresql` (.ci/run does this)"
)


def pg_bin() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` that has initdb, or None."""

    def version(path: str) -> tuple[int, ...]:
        name = Path(path).parent.parent.name
        return tuple(int(p) for p in name.split(".") if p.isdigit())

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version)
    return Path(found[-1]).parent if found else None


class PostgresCluster:
    """``initdb`` + ``pg_ctl start`` in a fresh temporary directory; `stop` removes it."""

    def __init__(self) -> None:
        bindir = pg_bin()
        if bindir is None:
            raise RuntimeError(MISSING)
        self.bin = bindir
        self.as_root = os.geteuid() == 0
        # not under pytest's tmp dirs: those are 0700 and the postgres user could not enter them
        self.dir = Path(tempfile.mkdtemp(prefix="cadenza-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://cadenza@127.0.0.1:{self.port}/postgres"
        self.started = False

    def _run(self, *args: str) -> None:
        cmd = (["runuser", "-u", "postgres", "--"] if self.as_root else []) + list(args)
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if proc.returncode:
            log = self.dir / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            output = proc.stdout + proc.stderr
            raise RuntimeError(f"{Path(args[0]).name} failed ({proc.returncode}):\n{output}{tail}")

    def start(self) -> PostgresCluster:
        if self.as_root:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "cadenza", "--auth=trust",
            "-E", "UTF8", "--no-locale", "--no-sync",
        )  # fmt: skip
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "server.log"),
            "-w", "-t", "30", "-o",
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c fsync=off",
            "start",
        )  # fmt: skip
        self.started = True
        return self

    def stop(self) -> None:
        try:
            if self.started:
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                          "-w", "stop")  # fmt: skip
                self.started = False
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def create_database(self) -> str:
        """A new, empty database in this cluster; returns its URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        conninfo = f"host=127.0.0.1 port={self.port} user=cadenza dbname=postgres"
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url.rsplit("/", 1)[0] + f"/{name}"


def start_cluster() -> PostgresCluster:
    """Start a cluster; raises RuntimeError naming `apt-get install postgresql` if missing."""
    cluster = PostgresCluster()
    try:
        return cluster.start()
    except BaseException:
        cluster.stop()
        raise


# free_port lives in cadenza.testing.services; it stays importable from here
__all__ = ["MISSING", "PostgresCluster", "free_port", "pg_bin", "start_cluster"]
