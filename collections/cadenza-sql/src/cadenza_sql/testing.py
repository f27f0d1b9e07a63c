"""Real databases for tests: a throwaway PostgreSQL cluster, SQLite files, connectors for them.

For cadenza-sql's own tests and for anyone else's (a cross-collection example flow, say)::

    from cadenza_sql.testing import connector_for, start_postgres

    cluster = start_postgres()              # initdb + pg_ctl start on 127.0.0.1, a free port
    try:
        db = connector_for(cluster.create_database())
        db.execute("CREATE TABLE t (x INT)")
    finally:
        cluster.stop()                      # pg_ctl stop, then its files are removed

Needs Debian's PostgreSQL server binaries (``apt-get install -y postgresql``); without them,
`start_postgres` raises a RuntimeError saying so. This module imports only the standard library;
psycopg and cadenza-sql's blocks are imported inside the functions that use them.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cadenza.testing.postgres import PostgresCluster

    from cadenza_sql.connector import SqlAlchemyConnector


def start_postgres() -> PostgresCluster:
    """Start a throwaway cluster (the core kit's `cadenza.testing.postgres.start_cluster`).

    Its ``url`` is ``postgresql+psycopg://cadenza@127.0.0.1:PORT/postgres`` (user ``cadenza``,
    trusted without a password), ``create_database()`` returns the URL of a new empty
    database, and ``stop()`` stops the server and removes its files.
    """
    from cadenza.testing.postgres import start_cluster

    return start_cluster()


def sqlite_url(path: str | Path) -> str:
    """The SQLAlchemy URL of the SQLite database file at ``path`` (created on first use)."""
    return f"sqlite:///{Path(path).absolute()}"


def connector_for(url: str, **fields: Any) -> SqlAlchemyConnector:
    """A `SqlAlchemyConnector` for ``url``; other block fields (``fetch_size``,
    ``connect_args``) as keyword arguments."""
    from cadenza_sql.connector import SqlAlchemyConnector

    return SqlAlchemyConnector(connection_info=url, **fields)


def add_password_role(cluster: PostgresCluster, username: str, password: str) -> str:
    """Create login role ``username`` with ``password`` in ``cluster`` and make the server
    require that password (``scram-sha-256``) for it over TCP; other roles stay trusted.

    Returns the role's URL *without* the password:
    ``postgresql+psycopg://USERNAME@127.0.0.1:PORT/postgres``.
    """
    import psycopg
    from psycopg import sql

    admin = f"host=127.0.0.1 port={cluster.port} user=cadenza dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(username), sql.Literal(password)
            )
        )
        hba = Path(cluster.data) / "pg_hba.conf"
        rule = f"host all {username} 127.0.0.1/32 scram-sha-256\n"
        hba.write_text(rule + hba.read_text())  # the first matching line wins
        conn.execute("SELECT pg_reload_conf()")
    _wait_until_password_required(cluster.port, username)
    return f"postgresql+psycopg://{username}@127.0.0.1:{cluster.port}/postgres"


def _wait_until_password_required(port: int, username: str, timeout: float = 10.0) -> None:
    """The server reloads its configuration asynchronously: wait until it applies the rule."""
    import psycopg

    deadline = time.monotonic() + timeout
    conninfo = f"host=127.0.0.1 port={port} user={username} dbname=postgres"
    while True:
        try:
            psycopg.connect(conninfo, connect_timeout=5).close()
        except psycopg.OperationalError:
            return  # refused without a password: the rule is active
        if time.monotonic() > deadline:
            raise RuntimeError(f"PostgreSQL did not start requiring a password for {username!r}")
        time.sleep(0.05)


__all__ = ["add_password_role", "connector_for", "sqlite_url", "start_postgres"]
