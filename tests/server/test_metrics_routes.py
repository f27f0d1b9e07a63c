"""``GET /metrics``: Prometheus' format beside ``/api``, behind the API key like every route
unless ``CADENZA_SERVER_METRICS_OPEN`` opens it (and it alone)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families
from server_helpers import API_KEY, TestClient, flow_run, propose, state

from cadenza.server.app import create_app
from cadenza.settings import spec


@pytest.fixture
def open_metrics(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CADENZA_SERVER_METRICS_OPEN", "true")
    spec.reset_cache()
    yield
    monkeypatch.delenv("CADENZA_SERVER_METRICS_OPEN")
    spec.reset_cache()


def _families(text: str) -> dict[str, object]:
    return {f.name: f for f in text_string_to_metric_families(text)}


def test_metrics_are_served_in_prometheus_text_format(client: TestClient) -> None:
    assert client.post("/api/flow_runs", json=flow_run("f1")).status_code == 201
    assert propose(client, "f1", "f1:1", state("PENDING"))["decision"] == "ACCEPT"
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    families = _families(response.text)
    runs = families["cadenza_flow_runs"]
    assert [(s.labels, s.value) for s in runs.samples] == [  # type: ignore[attr-defined]  # the parser types samples loosely
        ({"flow": "etl", "state": "PENDING"}, 1.0)
    ]
    assert all(name.startswith("cadenza_") for name in families)
    assert "<html" not in response.text.lower()  # not the dashboard's shell


def test_openmetrics_is_answered_when_asked_for(client: TestClient) -> None:
    accept = "application/openmetrics-text; version=1.0.0"
    response = client.get("/metrics", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.rstrip().endswith("# EOF")


def test_with_an_api_key_metrics_need_it(authed: TestClient) -> None:
    assert authed.get("/metrics").status_code == 200
    refused = authed.get("/metrics", headers={"Authorization": "Bearer wrong"})
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == "Bearer"
    assert "cadenza_" not in refused.text
    assert authed.get("/metrics", headers={"Authorization": ""}).status_code == 401


def test_metrics_open_opens_metrics_and_nothing_else(db_url: str, open_metrics: None) -> None:
    app = create_app(db_url, api_key=API_KEY)
    with TestClient(app) as anonymous:
        response = anonymous.get("/metrics")
        assert response.status_code == 200 and "cadenza_record_up 1.0" in response.text
        assert anonymous.get("/api/flow_runs").status_code == 401
        assert anonymous.get("/api/settings").status_code == 401
        assert anonymous.post("/metrics").status_code == 401  # GET and HEAD only
        assert "cadenza_" not in anonymous.get("/metrics/").text  # exactly the path
        assert anonymous.get("/api/metrics").status_code == 401
