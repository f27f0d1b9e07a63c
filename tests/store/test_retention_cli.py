"""``cadenza db clean`` and ``cadenza db stats`` on the embedded record and, with
``--database-url``, on a server's SQLite file or PostgreSQL database."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from cadenza import flow, get_run_logger, task
from cadenza.cli.main import cli
from cadenza.settings import spec
from cadenza.store import urls
from cadenza.store.tables import flow_runs, logs

DAY = 86400.0


def cadenza(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@task(persist_result=True)
def square(x: int) -> int:
    get_run_logger().info("squaring %d", x)
    return x * x


@flow(persist_result=True)
def squares(n: int) -> int:
    return sum(square(i) for i in range(n))


def _age_everything(url: str, days: float) -> None:
    """Move every run and log line of the database at `url` `days` into the past."""
    engine = sa.create_engine(url)
    shift = days * DAY
    with engine.begin() as conn:
        conn.execute(flow_runs.update().values(created=flow_runs.c.created - shift,
                                               end_time=flow_runs.c.end_time - shift))  # fmt: skip
        conn.execute(logs.update().values(timestamp=logs.c.timestamp - shift))
    engine.dispose()


def _embedded_runs(count: int) -> list[str]:
    from cadenza.backends import get_backend

    ids = [squares(2, return_state=True).state_details.flow_run_id for _ in range(count)]
    get_backend().flush()
    return ids


def test_stats_show_each_table(cadenza_home: Path) -> None:
    _embedded_runs(2)
    figures = json.loads(cadenza("db", "stats", "--json").stdout)
    tables = {t["table"]: t for t in figures["tables"]}
    assert tables["flow_runs"]["rows"] == 2 and tables["task_runs"]["rows"] == 4
    assert tables["logs"]["rows"] >= 4
    assert all(isinstance(t["bytes"], int) and t["bytes"] > 0 for t in tables.values())
    assert figures["database"]["dialect"] == "sqlite"
    assert figures["database"]["bytes"] >= sum(t["bytes"] for t in tables.values())
    text = cadenza("db", "stats").stdout
    assert "flow_runs" in text and "KiB" in text and text.splitlines()[-1].startswith("database:")


def test_clean_applies_the_retention_settings(
    cadenza_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = _embedded_runs(2)
    _age_everything(urls.default_database_url(), 40)
    young = _embedded_runs(1)
    storage = cadenza_home / "storage"
    assert len(list(storage.iterdir())) == 9  # 3 runs x (2 task results + 1 flow result)

    plan = json.loads(cadenza("db", "clean", "--dry-run", "--json").stdout)  # the defaults
    assert plan["policy"] == {"logs": 30 * DAY, "events": 7 * DAY}
    assert plan["deleted"]["logs"] >= 4 and plan["deleted"]["flow_runs"] == 0
    monkeypatch.setenv("CADENZA_RETENTION_FLOW_RUNS", "30d")
    spec.reset_cache()
    text = cadenza("db", "clean", "--dry-run").stdout
    assert "flow_runs: kept 30d" in text and "Retention would delete 2 flow_runs" in text

    done = json.loads(cadenza("db", "clean", "--results", "--json").stdout)

    assert done["deleted"]["flow_runs"] == 2 and done["deleted"]["task_runs"] == 4
    assert done["result_files"] == {"deleted": 6, "missing": 0, "refused": []}
    assert len(list(storage.iterdir())) == 3
    shown = [json.loads(cadenza("runs", "show", r, "--json").stdout or "null") for r in young]
    assert shown[0]["id"] == young[0]
    assert cadenza("runs", "show", old[0]).exit_code == 1
    again = json.loads(cadenza("db", "clean", "--json").stdout)
    assert set(again["deleted"].values()) == {0}


@pytest.mark.integration
def test_clean_and_stats_of_a_postgresql_database(pg_url: str) -> None:
    urls.prepare(pg_url)
    engine = sa.create_engine(pg_url)
    now = time.time()
    with engine.begin() as conn:
        conn.execute(flow_runs.insert(), [{"id": str(uuid.uuid4()), "name": "n", "flow_name": "f",
                                           "created": now - 100 * DAY, "end_time": now - 99 * DAY,
                                           "state_type": "COMPLETED"}])  # fmt: skip
        conn.execute(logs.insert(), [{"level": 20, "logger": "l", "message": f"m{i}",
                                      "timestamp": now - i * DAY + 3600}
                                     for i in range(60)])  # fmt: skip
    engine.dispose()

    figures = json.loads(cadenza("db", "stats", "--database-url", pg_url, "--json").stdout)
    tables = {t["table"]: t for t in figures["tables"]}
    assert tables["logs"]["rows"] == 60 and tables["logs"]["bytes"] > 0
    assert figures["database"]["dialect"] == "postgresql"

    done = json.loads(cadenza("db", "clean", "--database-url", pg_url, "--json").stdout)
    assert done["deleted"]["logs"] == 29  # lines 31..59 days (less an hour) old
    assert done["deleted"]["flow_runs"] == 0  # the flow-run TTL is off by default


@pytest.mark.parametrize(
    ("setup", "message", "code"),
    [
        ({"CADENZA_RETENTION_LOGS": "a month"}, "CADENZA_RETENTION_LOGS: 'a month' is not", 2),
        ({"CADENZA_RETENTION_EVENTS": "-1"}, "CADENZA_RETENTION_EVENTS", 2),
    ],
)
def test_bad_retention_settings_are_one_line_errors(
    monkeypatch: pytest.MonkeyPatch, setup: dict[str, str], message: str, code: int
) -> None:
    for name, value in setup.items():
        monkeypatch.setenv(name, value)
    spec.reset_cache()
    result = cadenza("db", "clean")
    assert result.exit_code == code and message in result.stderr
    assert result.stderr.count("\n") == 1


def test_a_missing_or_outdated_database_is_refused(tmp_path: Path) -> None:
    missing = cadenza("db", "stats", "--database-url", f"sqlite:///{tmp_path / 'none.db'}")
    assert missing.exit_code == 1 and "There is no run record at" in missing.stderr
    old = tmp_path / "old.db"
    assert cadenza("db", "upgrade", "0009", "--database-url", f"sqlite:///{old}").exit_code == 0
    outdated = cadenza("db", "clean", "--database-url", f"sqlite:///{old}")
    assert outdated.exit_code == 1 and "is at schema revision 0009" in outdated.stderr
    assert "cadenza db upgrade --database-url" in outdated.stderr
    bad = cadenza("db", "stats", "--database-url", "nonsense://x")
    assert bad.exit_code == 1 and bad.stderr.startswith("Error: ")


def test_clean_with_every_ttl_off_deletes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LOGS", "EVENTS"):
        monkeypatch.setenv(f"CADENZA_RETENTION_{name}", "off")
    spec.reset_cache()
    result: Any = cadenza("db", "clean")
    assert result.exit_code == 0 and "Every retention setting is off" in result.stdout
