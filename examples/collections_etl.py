"""Prebuilt tasks from three collections in one flow: cadenza-sql, cadenza-aws, cadenza-gcp.

The flow queries the ``orders`` table with cadenza-sql, writes the rows as JSON lines to S3 with
cadenza-aws and as CSV to Google Cloud Storage with cadenza-gcp, and persists every result to
an S3 bucket. It finds its database, buckets and credentials as saved blocks, so the same code
runs against real services or emulators:

    SqlAlchemyConnector(connection_info="postgresql+psycopg://...").save("warehouse")
    S3Bucket(bucket_name="exports", credentials=AwsCredentials(...)).save("exports")
    S3Bucket(bucket_name="results", credentials=AwsCredentials(...)).save("results")
    GcsBucket(bucket="exports", gcp_credentials=GcpCredentials(...)).save("exports")

    cadenza run examples/collections_etl.py:export_orders --param min_total=10

(`pip install cadenza-sql cadenza-aws cadenza-gcp`; the test suite runs it against a moto server,
a GCS emulator and SQLite: tests/collections/test_collections_example.py.)
"""

from __future__ import annotations

import json
from typing import Any

from cadenza_aws import S3Bucket, s3_upload
from cadenza_gcp import GcsBucket, gcs_upload
from cadenza_sql import sql_fetch_all, sql_to_storage

from cadenza import flow, get_run_logger, task

QUERY = "SELECT id, customer, total FROM orders WHERE total >= :min_total ORDER BY id"


@task
def as_json_lines(rows: list[Any]) -> bytes:
    """The rows as JSON lines (one object per row, keyed by column)."""
    return b"".join(json.dumps(dict(row._mapping)).encode() + b"\n" for row in rows)


@flow(persist_result=True, result_storage="s3-bucket/results")
def export_orders(
    min_total: float = 0.0,
    warehouse: str = "sqlalchemy-connector/warehouse",
    s3_exports: str = "exports",
    gcs_exports: str = "exports",
) -> dict[str, Any]:
    """Export the orders of at least ``min_total`` to S3 and GCS; returns where they went."""
    s3 = S3Bucket.load(s3_exports)
    gcs = GcsBucket.load(gcs_exports)
    params = {"min_total": min_total}
    rows = sql_fetch_all(QUERY, warehouse, params)
    lines = as_json_lines(rows)
    s3_key = s3_upload(lines, s3.bucket_name, s3.credentials, key="orders/orders.jsonl")
    gcs_key = gcs_upload(gcs, "orders/orders.jsonl", lines)
    csv = sql_to_storage(QUERY, warehouse, gcs, "orders/orders.csv", "csv", params)
    get_run_logger().info("Exported %d orders", len(rows))
    return {"rows": len(rows), "s3": s3_key, "gcs": [gcs_key, csv.key]}
