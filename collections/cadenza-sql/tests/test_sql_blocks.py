"""The blocks: conformance, URL strings split with the password kept secret, pickling."""

from __future__ import annotations

import pickle

import pytest
from cadenza.testing import BlockConformance

from cadenza_sql import (
    AsyncDriver,
    ConnectionComponents,
    DatabaseCredentials,
    SqlAlchemyConnector,
    SyncDriver,
)

PASSWORD = "pa:ss@w/rd%42"  # characters that need escaping in a URL


class TestSqlAlchemyConnectorBlock(BlockConformance):
    @pytest.fixture
    def block(self):
        return SqlAlchemyConnector(
            connection_info=ConnectionComponents(
                driver=SyncDriver.POSTGRESQL_PSYCOPG, host="db.example.com", port=5432,
                database="warehouse", username="etl", password="conformance-db-password",
                query={"sslmode": "require"},
            ),
            connect_args={"sslpassword": "conformance-ssl-password"},
            fetch_size=50,
        )  # fmt: skip


class TestDatabaseCredentialsBlock(BlockConformance):
    @pytest.fixture
    def block(self):
        return DatabaseCredentials(
            driver="postgresql+psycopg", username="etl", password="conformance-db-password",
            host="db.example.com", port=5432, database="warehouse",
        )  # fmt: skip


def test_a_url_string_is_split_and_its_password_kept_secret():
    from urllib.parse import quote

    url = f"postgresql+psycopg://etl:{quote(PASSWORD, safe='')}@db:6543/warehouse?sslmode=require"
    connector = SqlAlchemyConnector(connection_info=url)
    info = connector.connection_info
    assert (info.driver, info.username, info.host, info.port, info.database) == (
        "postgresql+psycopg", "etl", "db", 6543, "warehouse",
    )  # fmt: skip
    assert info.query == {"sslmode": "require"}
    assert info.password.get_secret_value() == PASSWORD
    shown = " ".join([repr(connector), str(connector), connector.model_dump_json()])
    for fragment in (PASSWORD, quote(PASSWORD, safe="")):
        assert fragment not in shown
    assert info.create_url().password == PASSWORD
    assert info.describe() == "postgresql+psycopg://etl@db:6543/warehouse?sslmode=require"


def test_a_url_with_the_password_round_trips_through_a_saved_block():
    connector = SqlAlchemyConnector(connection_info="postgresql+psycopg://etl:s3cret-pw@db/wh")
    connector.save("from-url")
    loaded = SqlAlchemyConnector.load("from-url")
    assert loaded == connector
    assert loaded.connection_info.password.get_secret_value() == "s3cret-pw"


def test_a_sqlalchemy_url_object_is_accepted():
    from sqlalchemy.engine import make_url

    connector = SqlAlchemyConnector(connection_info=make_url("sqlite:////tmp/x.db"))
    assert connector.connection_info.driver == "sqlite"
    assert connector.connection_info.database == "/tmp/x.db"


def test_an_unparseable_url_is_refused_without_repeating_it():
    with pytest.raises(ValueError, match="Could not parse the database URL") as info:
        SqlAlchemyConnector(connection_info="not a url with s3cret-pw")
    assert "s3cret-pw" not in str(info.value) and "s3cret-pw" not in repr(info.value)


def test_an_invalid_field_error_does_not_show_the_input():
    with pytest.raises(ValueError) as info:
        SqlAlchemyConnector(
            connection_info={"driver": "sqlite", "password": "s3cret-pw", "port": "not-a-port"}
        )
    assert "connection_info.port" in str(info.value)
    assert "s3cret-pw" not in str(info.value)


def test_asynchronous_drivers_are_refused_with_what_to_use_instead():
    connector = SqlAlchemyConnector(
        connection_info=ConnectionComponents(driver=AsyncDriver.POSTGRESQL_ASYNCPG, database="x")
    )
    with pytest.raises(ValueError, match=r"asynchronous.*postgresql\+psycopg"):
        connector.get_engine()


def test_a_missing_driver_is_an_import_error_saying_what_to_install():
    connector = SqlAlchemyConnector(connection_info="nosuchdialect://u@h/db")
    with pytest.raises(ImportError, match=r"nosuchdialect.*Install the dialect"):
        connector.get_engine()


def test_fetch_size_must_be_positive():
    with pytest.raises(ValueError, match="fetch_size"):
        SqlAlchemyConnector(connection_info="sqlite://", fetch_size=0)


def test_the_engine_is_not_part_of_the_value_nor_pickled(tmp_path):
    connector = SqlAlchemyConnector(connection_info=f"sqlite:///{tmp_path}/a.db")
    twin = SqlAlchemyConnector(connection_info=f"sqlite:///{tmp_path}/a.db")
    engine = connector.get_engine()
    assert connector.get_engine() is engine  # created once, reused
    assert connector == twin
    copy = pickle.loads(pickle.dumps(connector))
    assert copy == connector
    assert copy.get_engine() is not engine
    assert connector.model_copy().get_engine() is not engine
    connector.close()
    copy.close()


def test_database_credentials_from_a_url():
    creds = DatabaseCredentials(url="postgresql+psycopg://etl:s3cret-pw@db:5432/warehouse")
    assert creds.password.get_secret_value() == "s3cret-pw"
    assert "s3cret-pw" not in repr(creds) + creds.model_dump_json()
    assert creds.rendered_url.render_as_string(hide_password=False).endswith(
        "etl:s3cret-pw@db:5432/warehouse"
    )
    connector = creds.get_connector(fetch_size=10)
    assert connector.connection_info.password.get_secret_value() == "s3cret-pw"
    assert connector.fetch_size == 10


def test_database_credentials_refuse_a_url_and_the_same_parts():
    with pytest.raises(ValueError, match="either url or host"):
        DatabaseCredentials(url="postgresql+psycopg://etl@db/wh", host="other")


def test_database_credentials_engine_runs_queries(tmp_path):
    from sqlalchemy import text

    creds = DatabaseCredentials(driver="sqlite", database=str(tmp_path / "c.db"))
    engine = creds.get_engine()
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 40 + 2")).scalar() == 42
    finally:
        engine.dispose()
