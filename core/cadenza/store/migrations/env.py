"""Alembic environment for the cadenza run record.

`cadenza.store.database` runs migrations programmatically and passes an open SQLAlchemy
connection in ``config.attributes["connection"]`` (already inside a ``BEGIN IMMEDIATE``
transaction). Without one, an engine is built from the ``sqlalchemy.url`` option, so the stock
``alembic`` command works too when pointed at this directory.

``target_metadata`` is `cadenza.store.tables`, the one definition of the layout: ``alembic
revision --autogenerate`` (``python -m cadenza.store.authoring``) writes a new revision from the
difference between those tables and a database at the current head.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from cadenza.store.tables import COMPARE_OPTIONS, metadata

config = context.config

# render_as_batch: SQLite alters most things by copying the table; Alembic's batch mode does that
# (and still emits a plain ALTER TABLE where SQLite supports one, such as ADD COLUMN).
_OPTIONS = {"target_metadata": metadata, "render_as_batch": True, **COMPARE_OPTIONS}


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True, **_OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, **_OPTIONS)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=NullPool)
    with engine.begin() as conn:
        context.configure(connection=conn, **_OPTIONS)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
