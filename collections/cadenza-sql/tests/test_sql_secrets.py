"""Passwords never leak: not in errors, logs, or the run record — checked against a real
PostgreSQL server that requires a password (scram-sha-256) for the role under test."""

from __future__ import annotations

import logging
from urllib.parse import quote

import pytest
from cadenza import flow

from cadenza_sql import ConnectionComponents, SqlAlchemyConnector, sql_execute, sql_fetch_all
from cadenza_sql.testing import add_password_role

RIGHT_PASSWORD = "right-pw-4c1d9e:@/"
WRONG_PASSWORD = "wrong-pw-7f3a9c:@/"  # characters a URL must escape


@pytest.fixture(scope="session")
def password_url(postgres) -> str:
    """URL (without a password) of a role the server accepts only with RIGHT_PASSWORD."""
    return add_password_role(postgres, "secret_tester", RIGHT_PASSWORD)


def _with_password(url: str, password: str) -> str:
    return url.replace("secret_tester@", f"secret_tester:{quote(password, safe='')}@")


def _forms(secret: str) -> list[str]:
    return [secret, quote(secret, safe=""), quote(secret)]


def _assert_absent(secret: str, *texts: str) -> None:
    for text in texts:
        for form in _forms(secret):
            assert form not in text


def _whole_record(home) -> bytes:
    from cadenza.backends import current_backend

    backend = current_backend()
    if backend is not None:
        backend.flush()
    return b"".join(p.read_bytes() for p in sorted(home.glob("cadenza.db*")))


def test_the_right_password_connects(password_url):
    with SqlAlchemyConnector(connection_info=_with_password(password_url, RIGHT_PASSWORD)) as db:
        assert db.fetch_one("SELECT current_user") == ("secret_tester",)


def test_no_password_is_refused_by_the_server(password_url):
    from sqlalchemy.exc import OperationalError

    db = SqlAlchemyConnector(connection_info=password_url)
    with db, pytest.raises(OperationalError, match="password"):
        db.fetch_one("SELECT 1")


@pytest.mark.parametrize("given_as", ["url", "components"])
def test_a_wrong_password_leaks_nowhere(password_url, given_as, caplog, capfd, record,
                                        isolated_home):  # fmt: skip
    from cadenza import masking
    from sqlalchemy.exc import OperationalError

    if given_as == "url":
        info = _with_password(password_url, WRONG_PASSWORD)
    else:
        parts = ConnectionComponents.from_url(password_url).model_dump()
        info = ConnectionComponents(**{**parts, "password": WRONG_PASSWORD})
    connector = SqlAlchemyConnector(connection_info=info)

    @flow(log_prints=True)
    def leaky(db: SqlAlchemyConnector) -> None:
        print(f"connecting with {db!r}")
        sql_fetch_all("SELECT 1", db)

    caplog.set_level(logging.DEBUG)
    with pytest.raises(OperationalError) as raised:
        leaky(connector)
    # the failure is the server's refusal, and it says so
    assert "password authentication failed" in str(raised.value)
    assert WRONG_PASSWORD not in masking.registered()  # nothing masked it: it never got out
    tb = "".join(raised.traceback.format()) if hasattr(raised.traceback, "format") else ""
    out, err = capfd.readouterr()
    _assert_absent(
        WRONG_PASSWORD, str(raised.value), repr(raised.value), tb, caplog.text, out, err,
        repr(connector), str(connector), connector.model_dump_json(),
    )  # fmt: skip
    messages = " ".join(m for (m,) in record("SELECT message FROM logs"))
    assert "password authentication failed" in messages  # the failure was recorded
    for table, column in [("flow_runs", "parameters"), ("flow_runs", "state_message"),
                          ("task_runs", "state_message"), ("run_states", "message"),
                          ("run_states", "details"), ("logs", "message")]:  # fmt: skip
        values = " ".join(str(v) for (v,) in record(f"SELECT {column} FROM {table}"))
        _assert_absent(WRONG_PASSWORD, values)
    record_bytes = _whole_record(isolated_home)
    for form in _forms(WRONG_PASSWORD):
        assert form.encode() not in record_bytes


def test_bound_values_are_left_out_of_database_errors(postgres):
    from sqlalchemy.exc import DBAPIError

    token = "api-token-5b8e2f0a"
    with SqlAlchemyConnector(connection_info=postgres.create_database()) as db:
        with pytest.raises(DBAPIError, match="no_such_table") as raised:
            sql_execute.fn("INSERT INTO no_such_table VALUES (:token)", db, {"token": token})
        _assert_absent(token, str(raised.value), repr(raised.value))
