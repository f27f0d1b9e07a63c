"""The prebuilt tasks, each run inside a `@flow` against SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from cadenza import flow

from cadenza_sql import (
    SqlAlchemyConnector,
    sql_execute,
    sql_execute_many,
    sql_fetch_all,
    sql_fetch_many,
    sql_fetch_one,
)

PEOPLE = [
    {"id": 1, "name": "ada", "city": "London"},
    {"id": 2, "name": "grace", "city": "New York"},
    {"id": 3, "name": "alan", "city": "London"},
]


def test_every_query_task_in_a_flow(connector, record):
    @flow
    def etl(db: SqlAlchemyConnector) -> dict:
        sql_execute("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, city TEXT)", db)
        inserted = sql_execute_many(
            "INSERT INTO people (id, name, city) VALUES (:id, :name, :city)", db, PEOPLE
        )
        moved = sql_execute("UPDATE people SET city = :to WHERE city = :from_", db,
                            {"to": "Paris", "from_": "New York"})  # fmt: skip
        first = sql_fetch_one("SELECT name FROM people ORDER BY id", db)
        second = sql_fetch_one("SELECT name FROM people ORDER BY id", db)
        page = sql_fetch_many("SELECT id FROM people ORDER BY id", db, size=2)
        rest = sql_fetch_many("SELECT id FROM people ORDER BY id", db, size=2)
        end = sql_fetch_many("SELECT id FROM people ORDER BY id", db, size=2)
        londoners = sql_fetch_all("SELECT name FROM people WHERE city = :city ORDER BY id", db,
                                  {"city": "London"})  # fmt: skip
        return {
            "inserted": inserted, "moved": moved, "first": first.name, "second": second.name,
            "page": [r.id for r in page], "rest": [r.id for r in rest], "end": end,
            "londoners": [r.name for r in londoners],
        }  # fmt: skip

    assert etl(connector) == {
        "inserted": 3, "moved": 1, "first": "ada", "second": "grace", "page": [1, 2],
        "rest": [3], "end": [], "londoners": ["ada", "alan"],
    }  # fmt: skip
    states = record("SELECT task_name, state_type FROM task_runs ORDER BY created")
    assert [name for name, _ in states] == [
        "sql_execute", "sql_execute_many", "sql_execute", "sql_fetch_one", "sql_fetch_one",
        "sql_fetch_many", "sql_fetch_many", "sql_fetch_many", "sql_fetch_all",
    ]  # fmt: skip
    assert {state for _, state in states} == {"COMPLETED"}
    logs = " ".join(m for (m,) in record("SELECT message FROM logs"))
    assert "Fetched 2 rows" in logs and "with 3 parameter sets" in logs


def test_tasks_accept_the_name_of_a_saved_connector(db_url):
    SqlAlchemyConnector(connection_info=db_url).save("by-name")

    @flow
    def by_name() -> list:
        sql_execute("CREATE TABLE t (x INTEGER)", "by-name")
        sql_execute("INSERT INTO t VALUES (:x)", "by-name", {"x": 7})
        return sql_fetch_all("SELECT x FROM t", "by-name")

    assert by_name() == [(7,)]


def test_a_missing_saved_connector_is_named():
    @flow
    def missing() -> None:
        sql_fetch_all("SELECT 1", "no-such-connector")

    with pytest.raises(ValueError, match="sqlalchemy-connector/no-such-connector"):
        missing()


def test_a_connector_of_the_wrong_type_is_refused():
    @flow
    def wrong() -> None:
        sql_fetch_all("SELECT 1", object())

    with pytest.raises(TypeError, match="SqlAlchemyConnector or the name of a saved one"):
        wrong()


def test_an_injection_attempt_in_a_parameter_is_inert(connector):
    attack = "'; DROP TABLE people; --"

    @flow
    def injected() -> tuple:
        sql_execute("CREATE TABLE people (id INTEGER, name TEXT)", connector)
        sql_execute_many("INSERT INTO people VALUES (:id, :name)", connector,
                         [{"id": 1, "name": "ada"}, {"id": 2, "name": attack}])  # fmt: skip
        matched = sql_fetch_all("SELECT id FROM people WHERE name = :name", connector,
                                {"name": "nobody' OR '1'='1"})  # fmt: skip
        deleted = sql_execute("DELETE FROM people WHERE name = :name", connector,
                              {"name": "x' OR '1'='1"})  # fmt: skip
        stored = sql_fetch_one("SELECT name FROM people WHERE id = 2", connector)
        count = sql_fetch_one("SELECT count(*) FROM people", connector)
        return matched, deleted, stored, count

    matched, deleted, stored, count = injected()
    assert matched == [] and deleted == 0
    assert stored == (attack,)
    assert count == (2,)


def test_a_failing_statement_fails_the_task_run_with_the_database_error(connector, record):
    @flow
    def broken() -> None:
        sql_fetch_all("SELECT * FROM no_such_table", connector)

    state = broken(return_state=True)
    assert state.is_failed()
    ((task_state, message),) = record("SELECT state_type, state_message FROM task_runs")
    assert task_state == "FAILED" and "no_such_table" in message
