"""Write the next Alembic revision from what `cadenza.store.tables` declares and the migrations
do not create yet (a developer tool; docs/howto/change-the-schema.md).

    python -m cadenza.store.authoring "heartbeats and leases"

A scratch SQLite record is migrated to the scripts' head, Alembic's autogenerate compares it
with the tables (the comparison ``tests/store/test_tables.py`` makes), and the difference is
written as ``migrations/versions/<NNNN>_<slug>.py`` with the next four-digit id, formatted with
ruff when it is installed beside this Python. Nothing is written when they already agree.
Autogenerate is a first draft: review the file (a data migration, a server default for a new
NOT NULL column, PostgreSQL) before committing it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from cadenza.store import tables
from cadenza.store.database import MIGRATIONS_DIR

NEXT_STEPS = """\
Next:
  1. review {path}
  2. set HEAD_REVISION = "{rev}" in cadenza/store/database.py (and the revision list in
     tests/store/test_database.py)
  3. python -m cadenza.store.generate   (schema.sql and statements.py)
  4. a column of a table the embedded writer writes: add its value to the row (the builders in
     cadenza/backends/embedded.py, in statements.<NAME>_PARAMS order), or name it in
     cadenza.store.generate.NOT_WRITTEN; then the expected rows in tests/store/test_statements.py
  5. pytest tests/store"""


def alembic_config(migrations: Path, record: Path) -> Config:
    """Alembic's configuration for the scripts in `migrations` and the SQLite file `record`,
    naming new revisions ``<rev>_<slug>.py``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations).replace("%", "%%"))
    cfg.set_main_option("sqlalchemy.url", f"sqlite:///{record}".replace("%", "%%"))
    cfg.set_main_option("file_template", "%%(rev)s_%%(slug)s")  # 0008_heartbeats_and_leases.py
    ruff = Path(sys.executable).with_name("ruff")
    if ruff.exists():  # the project's formatter, so the new file needs no hand formatting
        hook = {"hooks": "ruff", "ruff.type": "exec", "ruff.executable": str(ruff),
                "ruff.options": "format REVISION_SCRIPT_FILENAME"}  # fmt: skip
        for option, value in hook.items():
            cfg.set_section_option("post_write_hooks", option, value)
    return cfg


def next_revision_id(cfg: Config) -> str:
    """The id after the scripts' head: ``"0007"`` -> ``"0008"``."""
    head = ScriptDirectory.from_config(cfg).get_current_head()
    return f"{int(head or 0) + 1:04d}"


def pending_changes(record: Path) -> list:
    """What the record at `record` lacks of the declared tables (Alembic's diff tuples)."""
    engine = create_engine(f"sqlite:///{record}")
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts=dict(tables.COMPARE_OPTIONS))
            return compare_metadata(context, tables.metadata)
    finally:
        engine.dispose()


def new_revision(message: str, migrations: Path = MIGRATIONS_DIR) -> Path | None:
    """Write the next revision into `migrations` for what the tables declare beyond its head;
    return the new file's path, or None (nothing written) when there is no difference."""
    with tempfile.TemporaryDirectory() as tmp:
        cfg = alembic_config(migrations, Path(tmp) / "scratch.db")
        command.upgrade(cfg, "head")
        if not pending_changes(Path(tmp) / "scratch.db"):
            return None
        script = command.revision(
            cfg, message=message, autogenerate=True, rev_id=next_revision_id(cfg)
        )
    assert script is not None and not isinstance(script, list)
    return Path(script.path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("message", help="what the revision does, e.g. 'heartbeats and leases'")
    args = parser.parse_args(argv)
    written = new_revision(args.message)
    if written is None:
        print("The migrations already create the declared tables: no revision written.")
        return 1
    print(f"wrote {written}")
    print(NEXT_STEPS.format(path=written, rev=written.name.split("_", 1)[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = [
    "NEXT_STEPS",
    "alembic_config",
    "main",
    "new_revision",
    "next_revision_id",
    "pending_changes",
]
