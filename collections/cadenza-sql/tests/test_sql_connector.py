"""SqlAlchemyConnector against real databases: a SQLite file and a PostgreSQL server."""

from __future__ import annotations

import pytest


def test_execute_returns_the_result_with_its_rowcount(users):
    result = users.execute("UPDATE users SET city = :city WHERE city = 'London'", {"city": "Bath"})
    assert result.rowcount == 2
    assert users.fetch_all("SELECT name FROM users WHERE city = 'Bath' ORDER BY id") == [
        ("ada",), ("alan",),
    ]  # fmt: skip


def test_execute_many_runs_once_per_parameter_set_in_one_transaction(users):
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError, match=r"(?i)unique|duplicate"):
        users.execute_many(
            "INSERT INTO users (id, name) VALUES (:id, :name)",
            [{"id": 10, "name": "new"}, {"id": 1, "name": "clash"}],
        )
    # the whole batch was rolled back
    assert users.fetch_all("SELECT id FROM users WHERE id = 10") == []
    assert users.execute_many("INSERT INTO users (id) VALUES (:id)", []) is None


def test_fetch_all_returns_rows_with_named_columns(users):
    rows = users.fetch_all("SELECT id, name FROM users WHERE city = :city ORDER BY id",
                           {"city": "London"})  # fmt: skip
    assert rows == [(1, "ada"), (3, "alan")]
    assert [row.name for row in rows] == ["ada", "alan"]
    # repeated calls run the query again
    assert users.fetch_all("SELECT id, name FROM users WHERE city = :city ORDER BY id",
                           {"city": "London"}) == rows  # fmt: skip


def test_fetch_one_continues_the_same_cursor_then_starts_over(users):
    query = "SELECT name FROM users ORDER BY id"
    assert [users.fetch_one(query) for _ in range(4)] == [("ada",), ("grace",), ("alan",), None]
    assert users.fetch_one(query) == ("ada",)  # exhausted: the query ran again
    assert users.fetch_one(query, {"unused": 1}) == ("ada",)  # other inputs: another cursor


def test_fetch_many_pages_through_a_query(users):
    query = "SELECT id FROM users ORDER BY id"
    assert users.fetch_many(query, size=2) == [(1,), (2,)]
    assert users.fetch_many(query, size=2) == [(3,)]
    assert users.fetch_many(query, size=2) == []  # the end, reported once
    assert users.fetch_many(query, size=2) == [(1,), (2,)]  # started over
    assert users.fetch_all(query) == [(3,)]  # the rest of the open cursor
    assert users.fetch_all(query) == [(1,), (2,), (3,)]


def test_a_fetch_many_loop_ends(users):
    batches = []
    while batch := users.fetch_many("SELECT id FROM users ORDER BY id", size=2):
        batches.append([row.id for row in batch])
    assert batches == [[1, 2], [3]]


def test_fetch_many_defaults_to_fetch_size(db_url):
    from cadenza_sql.testing import connector_for

    with connector_for(db_url, fetch_size=2) as db:
        assert db.fetch_many("SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3") == [(1,), (2,)]
        with pytest.raises(ValueError, match="at least 1"):
            db.fetch_many("SELECT 1", size=0)


def test_reset_connections_starts_cursors_over(users):
    query = "SELECT id FROM users ORDER BY id"
    assert users.fetch_one(query) == (1,)
    users.reset_connections()
    assert users.fetch_one(query) == (1,)


def test_get_connection_commits_or_rolls_back(users):
    from sqlalchemy import text

    with users.get_connection() as connection:
        connection.execute(text("DELETE FROM users WHERE id = 1"))
    with pytest.raises(RuntimeError), users.get_connection() as connection:
        connection.execute(text("DELETE FROM users WHERE id = 2"))
        raise RuntimeError("roll back")
    assert users.fetch_all("SELECT id FROM users ORDER BY id") == [(2,), (3,)]
    with users.get_connection(begin=False) as connection:
        assert connection.execute(text("SELECT count(*) FROM users")).scalar() == 2


def test_sqlalchemy_statements_are_accepted(users):
    from sqlalchemy import column, select, table

    t = table("users", column("id"), column("name"))
    assert users.fetch_all(select(t.c.name).where(t.c.id == 2)) == [("grace",)]


def test_close_disposes_the_engine_and_the_connector_stays_usable(users):
    engine = users.get_engine()
    users.fetch_one("SELECT id FROM users")
    users.close()
    assert users.get_engine() is not engine
    assert users.fetch_one("SELECT count(*) FROM users") == (3,)


def test_fetching_from_a_statement_without_rows_is_a_clear_error(users):
    with pytest.raises(ValueError, match=r"returns no rows.*execute"):
        users.fetch_all("UPDATE users SET city = 'x' WHERE id = 1")


def test_parameters_must_be_a_mapping(users):
    with pytest.raises(TypeError, match="mapping of placeholder names"):
        users.fetch_all("SELECT * FROM users WHERE id = :id", [1])


def test_a_missing_table_error_names_the_table(connector):
    from sqlalchemy.exc import DBAPIError

    with pytest.raises(DBAPIError, match="no_such_table"):
        connector.fetch_all("SELECT * FROM no_such_table")


def test_a_bound_value_is_data_not_sql(users):
    attack = "x' OR '1'='1"
    assert users.fetch_all("SELECT id FROM users WHERE name = :name", {"name": attack}) == []
    users.execute("INSERT INTO users (id, name) VALUES (9, :name)",
                  {"name": "'); DROP TABLE users; --"})  # fmt: skip
    assert users.fetch_one("SELECT name FROM users WHERE id = 9") == ("'); DROP TABLE users; --",)
    assert users.fetch_one("SELECT count(*) FROM users") == (4,)
