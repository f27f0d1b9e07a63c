"""sql_to_storage: query results as CSV / JSON lines in a storage backend."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest
from cadenza import flow
from cadenza.exceptions import InvalidStorageKey
from cadenza.filesystems import LocalFileSystem

from cadenza_sql import SqlExport, sql_to_storage
from cadenza_sql.export import encode_rows


@pytest.fixture
def storage(tmp_path):
    return LocalFileSystem(tmp_path / "exports")


def test_csv_export_in_a_flow(users, storage):
    @flow
    def export() -> SqlExport:
        return sql_to_storage("SELECT id, name, city FROM users WHERE city = :city ORDER BY id",
                              users, storage, "daily/./london.csv",
                              parameters={"city": "London"})  # fmt: skip

    written = export()
    assert written == SqlExport("daily/london.csv", 2)
    key, row_count = written
    assert row_count == 2
    text = storage.read_path(key).decode()
    assert text == "id,name,city\n1,ada,London\n3,alan,London\n"
    assert list(csv.DictReader(io.StringIO(text)))[1]["name"] == "alan"


def test_jsonl_export_in_a_flow(users, storage):
    @flow
    def export() -> SqlExport:
        return sql_to_storage("SELECT id, name FROM users ORDER BY id", users, storage,
                              "users.jsonl", format="jsonl")  # fmt: skip

    assert export() == ("users.jsonl", 3)
    lines = storage.read_path("users.jsonl").decode().splitlines()
    assert [json.loads(line) for line in lines] == [
        {"id": 1, "name": "ada"}, {"id": 2, "name": "grace"}, {"id": 3, "name": "alan"},
    ]  # fmt: skip


def test_an_empty_result_writes_only_the_header(users, storage):
    assert sql_to_storage("SELECT id, name FROM users WHERE id < 0", users, storage,
                          "empty.csv") == ("empty.csv", 0)  # fmt: skip
    assert storage.read_path("empty.csv") == b"id,name\n"
    sql_to_storage("SELECT id FROM users WHERE id < 0", users, storage, "e.jsonl", "jsonl")
    assert storage.read_path("e.jsonl") == b""


def test_values_are_converted_to_text():
    import datetime
    import decimal
    import uuid

    row = (
        None,
        True,
        decimal.Decimal("12.50"),
        datetime.datetime(2024, 5, 1, 12, 30),
        datetime.date(2024, 5, 1),
        b"\x00\xff",
        uuid.UUID(int=1),
        float("nan"),
        'é,"q"',
    )
    cols = ["none", "flag", "amount", "at", "day", "blob", "id", "nan", "text"]
    assert encode_rows(cols, [row], "csv").decode().splitlines()[1] == (
        ',True,12.50,2024-05-01T12:30:00,2024-05-01,AP8=,'
        '00000000-0000-0000-0000-000000000001,nan,"é,""q"""'
    )  # fmt: skip
    assert json.loads(encode_rows(cols, [row], "jsonl")) == {
        "none": None, "flag": True, "amount": "12.50", "at": "2024-05-01T12:30:00",
        "day": "2024-05-01", "blob": "AP8=", "id": "00000000-0000-0000-0000-000000000001",
        "nan": None, "text": 'é,"q"',
    }  # fmt: skip


@pytest.mark.parametrize("key", ["../../etc/passwd", "/etc/passwd", "a/../../b", ""])
def test_unsafe_keys_are_refused_before_the_query_runs(users, storage, key):
    with pytest.raises(InvalidStorageKey):
        sql_to_storage("DELETE FROM users", users, storage, key)
    assert users.fetch_one("SELECT count(*) FROM users") == (3,)
    assert storage.list_keys() == []


def test_an_unknown_format_is_refused(users, storage):
    with pytest.raises(ValueError, match="Unknown export format 'parquet'; use one of csv, jsonl"):
        sql_to_storage("SELECT 1", users, storage, "x.parquet", format="parquet")


def test_storage_must_be_a_storage_backend(users):
    with pytest.raises(TypeError, match="storage must be a result storage backend"):
        sql_to_storage("SELECT id FROM users", users, {"not": "storage"}, "x.csv")


def test_a_missing_saved_storage_block_is_named(users):
    with pytest.raises(ValueError, match="local-file-system/nowhere"):
        sql_to_storage("SELECT id FROM users", users, "local-file-system/nowhere", "x.csv")


def test_an_export_is_readable_from_another_process_via_the_saved_block(
    users, storage, isolated_home
):
    storage.save("exports")

    @flow
    def export() -> SqlExport:
        return sql_to_storage("SELECT name FROM users ORDER BY id", users,
                              "local-file-system/exports", "names.csv")  # fmt: skip

    assert export() == ("names.csv", 3)
    code = (
        "from cadenza.filesystems import LocalFileSystem\n"
        "print(LocalFileSystem.load('exports').read_path('names.csv').decode(), end='')\n"
    )
    env = {**os.environ, "CADENZA_HOME": str(isolated_home)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "name\nada\ngrace\nalan\n"
