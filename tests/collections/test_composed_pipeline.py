"""Four collections together: examples/composed_pipeline.py run from the command line as a user
runs it, against a real HTTP server on 127.0.0.1, Azurite and a real dbt on DuckDB. The run's
record holds a task run for each step and each dbt node; the file and dbt's artifacts are in the
container; the model's table holds the day totals."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "composed_pipeline.py"
ORDERS = "id,order_date,amount\n1,2026-01-01,10.5\n2,2026-01-01,4.5\n3,2026-01-02,7.0\n"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def azurite() -> Iterator[Any]:
    from cadenza_azure.testing import start_azurite

    with start_azurite() as service:
        yield service


@pytest.fixture(scope="module")
def dbt_executable() -> str:
    from cadenza_dbt.testing import dbt_for_tests

    return dbt_for_tests()


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cadenza.cli.main", *args],
        capture_output=True, text=True, timeout=300, env=dict(os.environ), cwd=cwd,
    )  # fmt: skip


def test_download_land_transform_and_archive(
    azurite: Any, dbt_executable: str, httpserver: Any, cadenza_home: Path, tmp_path: Path
) -> None:
    from cadenza_azure import AzureBlobStorageContainer

    httpserver.expect_request("/exports/orders.csv").respond_with_data(
        ORDERS, content_type="text/csv"
    )
    credentials = azurite.credentials()
    credentials.save("landing")
    AzureBlobStorageContainer(container_name="landing", credentials=credentials).create_container()

    proc = _cli(
        "run", f"{EXAMPLE}:orders_pipeline",
        "--param", f"source_url={httpserver.url_for('/exports/orders.csv')}",
        "--param", f"work_dir={tmp_path / 'work'}",
        "--param", f"dbt_executable={dbt_executable}",
        cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    shown = _cli("runs", "show", "latest", "--json", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    run = json.loads(shown.stdout)
    assert run["state"]["type"] == "COMPLETED"
    names = {t["name"]: t for t in run["task_runs"]}
    tasks = {t["task_name"] for t in run["task_runs"]}
    assert {"http_request", "blob_storage_upload", "blob_storage_download", "prepare_project",
            "shell_run_command"} <= tasks  # fmt: skip
    dbt_nodes = {"seed.orders.raw_orders", "model.orders.daily_revenue"}
    assert dbt_nodes <= set(names), sorted(names)
    assert all(names[n]["state"]["type"] == "COMPLETED" for n in dbt_nodes)
    node_tests = [n for n in names if n.startswith("test.orders.")]
    assert len(node_tests) == 4
    assert all(names[n]["state"]["type"] == "COMPLETED" for n in node_tests)

    landing = AzureBlobStorageContainer(container_name="landing", credentials=credentials)
    assert landing.read_path("raw/orders.csv") == ORDERS.encode()
    with tarfile.open(fileobj=io.BytesIO(landing.read_path("dbt/artifacts.tgz"))) as archive:
        member = archive.extractfile("run_results.json")
        assert member is not None
        results = json.load(member)
    assert {r["unique_id"] for r in results["results"]} >= dbt_nodes

    database = tmp_path / "work" / "orders_dbt" / "orders.duckdb"
    query = (
        "import duckdb, json, sys; con = duckdb.connect(sys.argv[1], read_only=True); "
        "print(json.dumps(con.execute('select cast(order_date as varchar), orders, revenue "
        "from daily_revenue order by 1').fetchall()))"
    )
    dbt_python = Path(dbt_executable).parent / "python"
    rows = subprocess.run([str(dbt_python), "-c", query, str(database)], capture_output=True,
                          text=True, timeout=60, check=True)  # fmt: skip
    assert json.loads(rows.stdout) == [["2026-01-01", 2, 15.0], ["2026-01-02", 1, 7.0]]
