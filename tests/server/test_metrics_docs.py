"""docs/howto/metrics.md lists exactly the metrics ``GET /metrics`` serves, each with its type
and labels, and every name starts with ``cadenza_``."""

from __future__ import annotations

import re
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from server_helpers import TestClient

from cadenza.server.app import create_app

PAGE = Path(__file__).resolve().parents[2] / "docs" / "howto" / "metrics.md"


def _documented() -> dict[str, tuple[str, set[str]]]:
    text = PAGE.read_text()
    table = text.split("<!-- metrics:", 1)[1].split("\n\n", 2)[1]
    rows = {}
    for line in table.splitlines()[2:]:
        name, kind, labels = (cell.strip() for cell in line.strip("|").split("|")[:3])
        rows[name.strip("`")] = (kind, set(re.findall(r"`([a-z_]+)`", labels)))
    return rows


def _served(tmp_path: Path) -> dict[str, tuple[str, set[str]]]:
    app = create_app(f"sqlite:///{tmp_path / 'metrics.db'}", api_key="")
    with TestClient(app) as client:
        # a run, so that the record's labelled gauges have a sample to show their labels
        client.post("/api/flow_runs", json={"id": "f1", "name": "n", "flow_name": "etl",
                                             "created": 1.0})  # fmt: skip
        client.post("/api/work_pools", json={"name": "pool"})
        client.post("/api/work_pools/pool/workers/heartbeat", json={"name": "w"})
        client.post("/api/concurrency_limits", json={"name": "db", "limit": 1})
        client.post("/api/concurrency_limits/increment-with-lease", json={"names": ["db"]})
        text = client.get("/metrics").text
        served = {}
        for family in text_string_to_metric_families(text):
            name = family.name + ("_total" if family.type == "counter" else "")
            labels = {label for s in family.samples for label in s.labels} - {"le"}
            served[name] = (family.type, labels)
    return served


def test_the_page_lists_exactly_the_served_metrics(tmp_path: Path) -> None:
    documented = _documented()
    served = _served(tmp_path)
    assert sorted(documented) == sorted(served)
    assert documented == served
    assert all(name.startswith("cadenza_") for name in documented)
