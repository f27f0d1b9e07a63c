"""The server's table declarations equal the schema the migrations create."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from cadenza.server.tables import metadata
from cadenza.store.database import upgrade


def test_declared_tables_equal_the_migrated_schema(tmp_path: Path) -> None:
    path = tmp_path / "cadenza.db"
    upgrade(path, "head")  # through Alembic, not the snapshot
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": True}
            )
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_every_migrated_table_is_declared(tmp_path: Path) -> None:
    path = tmp_path / "cadenza.db"
    upgrade(path, "head")
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        names = set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()
    assert names == set(metadata.tables)


def test_importing_cadenza_does_not_import_the_server() -> None:
    import subprocess
    import sys

    code = (
        "import sys, cadenza; from cadenza import flow, task; "
        "import cadenza.cli.main; "
        "bad = [m for m in ('fastapi', 'uvicorn', 'starlette', 'cadenza.server') "
        "if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
