"""The three first-party collections together: examples/collections_etl.py runs against a real
moto server, a real GCS emulator and SQLite, from the command line as a user runs it; and
`cadenza plugins ls` lists every collection."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "collections_etl.py"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def moto() -> Iterator[Any]:
    from cadenza_aws.testing import start_moto_server

    with start_moto_server() as server:
        yield server


@pytest.fixture(scope="module")
def gcs() -> Iterator[Any]:
    from cadenza_gcp.testing import start_gcs_emulator

    with start_gcs_emulator() as emulator:
        yield emulator


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cadenza.cli.main", *args],
        capture_output=True, text=True, timeout=120, env=dict(os.environ), cwd=ROOT,
    )  # fmt: skip


def test_cadenza_plugins_ls_lists_every_collection() -> None:
    proc = _cli("plugins", "ls", "--json")
    assert proc.returncode == 0, proc.stderr
    listed = {p["name"]: p for p in json.loads(proc.stdout)["plugins"]}
    for name, dist in (("aws", "cadenza-aws"), ("gcp", "cadenza-gcp"), ("sql", "cadenza-sql")):
        assert listed[name]["distribution"] == dist
        assert listed[name]["status"] == "loaded", listed[name]


def test_the_cross_collection_flow_exports_to_s3_and_gcs(
    moto: Any, gcs: Any, cadenza_home: Path, tmp_path: Path
) -> None:
    from cadenza_aws import S3Bucket
    from cadenza_sql import SqlAlchemyConnector

    db = tmp_path / "warehouse.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT, total REAL)")
        conn.executemany(
            "INSERT INTO orders VALUES (?, ?, ?)",
            [(1, "ada", 5.0), (2, "grace", 12.5), (3, "linus", 40.0)],
        )
    SqlAlchemyConnector(connection_info=f"sqlite:///{db}").save("warehouse")
    credentials = moto.credentials()
    credentials.save("moto")
    for name in ("exports", "results"):
        moto.create_bucket(name)
        S3Bucket(bucket_name=name, credentials=credentials).save(name)
    gcs.create_bucket("exports")
    gcs.bucket("exports").save("exports")

    proc = _cli("run", f"{EXAMPLE}:export_orders", "--param", "min_total=10")
    assert proc.returncode == 0, proc.stdout + proc.stderr

    expected = [
        {"id": 2, "customer": "grace", "total": 12.5},
        {"id": 3, "customer": "linus", "total": 40.0},
    ]
    s3 = moto.client("s3")
    body = s3.get_object(Bucket="exports", Key="orders/orders.jsonl")["Body"].read()
    assert [json.loads(line) for line in body.splitlines()] == expected
    bucket = gcs.bucket("exports")
    assert bucket.read_path("orders/orders.jsonl") == body
    rows = list(csv.DictReader(io.StringIO(bucket.read_path("orders/orders.csv").decode())))
    assert [(r["id"], r["customer"]) for r in rows] == [("2", "grace"), ("3", "linus")]

    shown = _cli("runs", "show", "latest", "--json")
    assert shown.returncode == 0, shown.stderr
    run = json.loads(shown.stdout)
    assert run["state"]["type"] == "COMPLETED"
    assert {t["task_name"] for t in run["task_runs"]} == {
        "sql_fetch_all", "as_json_lines", "s3_upload", "gcs_upload", "sql_to_storage",
    }  # fmt: skip
    # every result went to the S3 results bucket, and a fresh process reads the flow's back
    assert all("s3-bucket" in (t["result_ref"] or "") for t in run["task_runs"])
    stored = s3.list_objects_v2(Bucket="results").get("KeyCount", 0)
    assert stored >= len(run["task_runs"]) + 1
    code = (
        "import json; from cadenza.results import load_run_result; "
        f"print(json.dumps(load_run_result({run['id']!r})))"
    )
    read = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
        env=dict(os.environ),
    )  # fmt: skip
    assert read.returncode == 0, read.stderr
    assert json.loads(read.stdout) == {
        "rows": 2, "s3": "orders/orders.jsonl",
        "gcs": ["orders/orders.jsonl", "orders/orders.csv"],
    }  # fmt: skip
