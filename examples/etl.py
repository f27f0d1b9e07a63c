"""A small extract → transform → load flow, written exactly as with Prefect 3.

Run it either way:

    python examples/etl.py
    cadenza run examples/etl.py:etl --param n=5

then inspect the record with ``cadenza runs show latest``.
"""

from __future__ import annotations

from cadenza import flow, get_run_logger, task

_calls = {"extract": 0}


@task(retries=3, retry_delay_seconds=0.1)
def extract(n: int) -> list[dict]:
    """Fetch ``n`` raw records from a flaky source: the first call times out, the retry works."""
    _calls["extract"] += 1
    if _calls["extract"] == 1:
        raise ConnectionError("source timed out (simulated); the task will be retried")
    return [{"id": i, "amount_cents": 250 * i + 99} for i in range(n)]


@task
def transform(rows: list[dict]) -> list[dict]:
    """Convert cents to dollars and flag large amounts."""
    return [
        {"id": r["id"], "amount": r["amount_cents"] / 100, "large": r["amount_cents"] > 1000}
        for r in rows
    ]


@task(retries=2)
def load(rows: list[dict]) -> int:
    """'Load' the rows (print them) and return how many were loaded."""
    for row in rows:
        print(f"loaded {row}")
    return len(rows)


@flow(log_prints=True)
def etl(n: int = 10) -> int:
    """Extract ``n`` records, transform them and load them; returns the number loaded."""
    logger = get_run_logger()
    logger.info("Starting ETL for %d records", n)
    rows = transform(extract(n))
    count = load(rows)
    logger.info("Loaded %d records (%d large)", count, sum(r["large"] for r in rows))
    return count


if __name__ == "__main__":
    etl()
