"""Four collections in one flow: download with cadenza-http, land the file in Azure Blob Storage
with cadenza-azure, transform it with dbt on DuckDB with cadenza-dbt, and archive dbt's
artifacts with a shell step from cadenza-shell.

The flow downloads a CSV of orders, uploads it to the ``landing`` container, reads it back from
there into a copy of the dbt project of ``examples/orders_dbt`` (as its ``raw_orders`` seed),
runs ``dbt build`` — each dbt node a task run of its own — then packs dbt's run results into an
archive with ``tar`` and lands that in the container too. The storage account comes from a
saved credentials block, so the same code runs against Azure or Azurite:

    AzureBlobStorageCredentials(connection_string="...").save("landing")

    cadenza run examples/composed_pipeline.py:orders_pipeline \\
        --param source_url=https://example.com/orders.csv

(``pip install cadenza-http cadenza-azure cadenza-shell 'cadenza-dbt[duckdb]'``; the test suite
runs it against a local HTTP server and Azurite: tests/collections/test_composed_pipeline.py.)
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from cadenza_azure import AzureBlobStorageCredentials, blob_storage_download, blob_storage_upload
from cadenza_dbt import dbt_build
from cadenza_http import http_request
from cadenza_shell import shell_run_command

from cadenza import flow, get_run_logger, task

PROJECT = Path(__file__).resolve().parent / "orders_dbt"


@task
def prepare_project(work_dir: str, orders_csv: bytes) -> str:
    """A fresh copy of the dbt project under ``work_dir`` with the orders as its seed."""
    project = Path(work_dir).resolve() / "orders_dbt"
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(PROJECT, project)
    (project / "seeds" / "raw_orders.csv").write_bytes(orders_csv)
    return str(project)


@flow(name="orders-pipeline", log_prints=True)
def orders_pipeline(
    source_url: str,
    container: str = "landing",
    credentials: str = "landing",
    work_dir: str = "build/orders-pipeline",
    dbt_executable: str | None = None,
) -> dict[str, Any]:
    """Download the orders at ``source_url``, land them in Azure, build the dbt project on them
    and land dbt's artifacts; returns where everything went."""
    logger = get_run_logger()
    account = AzureBlobStorageCredentials.load(credentials)

    download = http_request("GET", source_url)
    landed = blob_storage_upload(download.content, container, account, blob="raw/orders.csv",
                                 overwrite=True)  # fmt: skip
    logger.info("landed %d bytes as %s/%s", len(download.content), container, landed)

    project = prepare_project(work_dir, blob_storage_download(container, landed, account))
    built = dbt_build(project, profiles_dir=project, dbt_executable=dbt_executable)
    print(f"dbt built {len(built.nodes)} nodes")

    digest = shell_run_command(
        "tar -czf artifacts.tgz -C target run_results.json manifest.json"
        " && sha256sum artifacts.tgz | cut -d' ' -f1",
        cwd=project,
    )
    archive = (Path(project) / "artifacts.tgz").read_bytes()
    artifacts = blob_storage_upload(archive, container, account, blob="dbt/artifacts.tgz",
                                    overwrite=True)  # fmt: skip
    return {
        "landed": landed,
        "artifacts": artifacts,
        "sha256": digest,
        "nodes": sorted(node.unique_id for node in built.nodes),
        "database": str(Path(project) / "orders.duckdb"),
    }


if __name__ == "__main__":
    import sys

    print(orders_pipeline(sys.argv[1]))
