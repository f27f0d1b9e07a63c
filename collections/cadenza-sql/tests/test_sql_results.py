"""Results of the SQL tasks persisted to a saved storage block, read back in a fresh process."""

from __future__ import annotations

import os
import subprocess
import sys

from cadenza import flow
from cadenza.filesystems import LocalFileSystem

from cadenza_sql import sql_fetch_all, sql_fetch_one


def test_a_persisted_query_result_is_read_back_from_a_fresh_process(users, tmp_path, record,
                                                                    isolated_home):  # fmt: skip
    LocalFileSystem(tmp_path / "results").save("sql-results")
    fetch = sql_fetch_all.with_options(
        persist_result=True, result_storage="local-file-system/sql-results"
    )
    count = sql_fetch_one.with_options(
        persist_result=True, result_storage="local-file-system/sql-results",
        result_serializer="pickle",
    )  # fmt: skip

    @flow
    def report() -> None:
        fetch("SELECT id, name FROM users WHERE city = :city ORDER BY id", users,
              {"city": "London"})  # fmt: skip
        count("SELECT count(*) AS n FROM users", users)

    report()
    runs = dict(record("SELECT task_name, id FROM task_runs WHERE result_ref IS NOT NULL"))
    assert set(runs) == {"sql_fetch_all", "sql_fetch_one"}
    code = (
        "import sys\n"
        "from cadenza.results import load_run_result\n"
        "rows = load_run_result(sys.argv[1])\n"
        "print([(r.id, r.name) for r in rows], load_run_result(sys.argv[2]).n)\n"
    )
    env = {**os.environ, "CADENZA_HOME": str(isolated_home)}
    out = subprocess.run(
        [sys.executable, "-c", code, runs["sql_fetch_all"], runs["sql_fetch_one"]],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[(1, 'ada'), (3, 'alan')] 3"
    assert any((tmp_path / "results").iterdir())
