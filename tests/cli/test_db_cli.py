"""`cadenza db revision|upgrade|downgrade`."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from cadenza.store.database import HEAD_REVISION, current_revision


def test_revision_upgrade_downgrade(invoke, home: Path) -> None:
    result = invoke("db", "revision")
    assert result.exit_code == 0
    assert "current: none" in result.stdout and f"head: {HEAD_REVISION}" in result.stdout
    assert not home.exists()  # `revision` only looks

    assert invoke("db", "upgrade").exit_code == 0
    assert current_revision(home) == HEAD_REVISION

    result = invoke("db", "downgrade", "0001")
    assert result.exit_code == 0 and "revision 0001" in result.stdout
    assert current_revision(home) == "0001"
    assert "current: 0001" in invoke("db", "revision").stdout

    # any command brings an old record back to head
    assert invoke("runs", "ls").exit_code == 0
    assert current_revision(home) == HEAD_REVISION


def test_db_errors_are_one_line(invoke, home: Path) -> None:
    assert invoke("db", "upgrade").exit_code == 0
    result = invoke("db", "downgrade", "nope")
    assert result.exit_code == 1 and result.stderr.startswith("Error: ")
    assert "Traceback" not in result.stderr

    conn = sqlite3.connect(home)
    conn.execute("UPDATE alembic_version SET version_num = '0777'")
    conn.commit()
    for args in (("db", "upgrade"), ("runs", "ls")):
        result = invoke(*args)
        assert result.exit_code == 1
        assert "'0777'" in result.stderr and len(result.stderr.strip().splitlines()) == 1
