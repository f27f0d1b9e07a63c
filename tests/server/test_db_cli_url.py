"""`cadenza db revision/upgrade/downgrade --database-url` on a server's PostgreSQL database."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cadenza.cli.main import cli
from cadenza.store.database import HEAD_REVISION

pytestmark = pytest.mark.slow


def _db(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["db", *args])
    return result.exit_code, result.output


def test_upgrade_downgrade_and_revision_on_postgresql(pg_url: str) -> None:
    assert _db("revision", "--database-url", pg_url) == (
        0, f"url: {pg_url}\ncurrent: none\nhead: {HEAD_REVISION}\n",
    )  # fmt: skip
    code, out = _db("upgrade", "--database-url", pg_url)
    assert code == 0 and out.strip().endswith(f"is at revision {HEAD_REVISION}"), out
    code, out = _db("downgrade", "0005", "--database-url", pg_url)
    assert code == 0 and out.strip().endswith("is at revision 0005"), out
    import sqlalchemy as sa

    engine = sa.create_engine(pg_url)
    try:
        tables = set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert "blocks" in tables and "artifacts" not in tables and "variables" not in tables
    code, out = _db("upgrade", "--database-url", pg_url)
    assert code == 0 and out.strip().endswith(f"is at revision {HEAD_REVISION}"), out


def test_an_unknown_revision_and_a_bad_url_are_clear_errors(pg_url: str) -> None:
    code, out = _db("downgrade", "0042", "--database-url", pg_url)
    assert code != 0 and "0042" in out, out
    code, out = _db("revision", "--database-url", "nonsense://")
    assert code != 0 and "Invalid database URL" in out, out


def test_a_sqlite_url_names_a_record_file(tmp_path) -> None:
    db = tmp_path / "other.db"
    code, out = _db("upgrade", "--database-url", f"sqlite:///{db}")
    assert code == 0 and db.exists() and f"{db} is at revision {HEAD_REVISION}" in out, out
