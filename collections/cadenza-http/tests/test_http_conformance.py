"""cadenza-http passes cadenza's conformance suites for everything it registers.

Each suite is a class of tests from `cadenza.testing`; a subclass supplies one fixture.
"""

from __future__ import annotations

import pytest
from cadenza.testing import BlockConformance, DistributionConformance

from cadenza_http import HttpCredentials


class TestBearerCredentials(BlockConformance):
    """Saved and loaded by name; the token never shows in repr, JSON, logs or the database."""

    @pytest.fixture
    def block(self) -> HttpCredentials:
        return HttpCredentials(base_url="https://api.example.com/v1", token="a-long-test-token")


class TestBasicCredentials(BlockConformance):
    @pytest.fixture
    def block(self) -> HttpCredentials:
        return HttpCredentials(
            base_url="https://api.example.com", username="etl", password="basic-password"
        )


class TestApiKeyCredentials(BlockConformance):
    @pytest.fixture
    def block(self) -> HttpCredentials:
        return HttpCredentials(
            base_url="https://api.example.com", api_key="an-api-key-123", api_key_header="X-Key"
        )


class TestDistribution(DistributionConformance):
    """The `cadenza` entry point names the plugin module; the cadenza range required is bounded,
    includes this cadenza and is the plugin's CADENZA_API; the package and plugin module import in
    < 100 ms, without pydantic, httpx or the modules below."""

    distribution = "cadenza-http"
    entry_point = "http"
    plugin_module = "cadenza_http.plugin"
    heavy_modules = (
        "httpx",
        "httpcore",
        "cadenza_http.credentials",
        "cadenza_http.tasks",
        "cadenza_http._send",
        "cadenza_http.pagination",
    )
    light_modules = ("cadenza_http.exceptions",)
