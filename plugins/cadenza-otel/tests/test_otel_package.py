"""The distribution, its configuration and what a span may record of a parameter."""

from __future__ import annotations

from importlib import metadata

import pytest
from cadenza.testing import DistributionConformance

from cadenza_otel._attributes import MAX_VALUE, parameter_value, parameters
from cadenza_otel._config import Config


class TestDistribution(DistributionConformance):
    """The entry point, the cadenza range and CADENZA_API, light imports (the kit's suite)."""

    distribution = "cadenza-otel"
    entry_point = "otel"
    plugin_module = "cadenza_otel.plugin"
    heavy_modules = ("opentelemetry", "google.protobuf", "requests")


def test_the_distribution_declares_the_sdk_and_the_otlp_exporter() -> None:
    requires = metadata.requires("cadenza-otel") or []
    for name in ("opentelemetry-sdk", "opentelemetry-exporter-otlp-proto-http"):
        assert any(r.startswith(name) for r in requires), name


@pytest.mark.parametrize(
    ("env", "enabled"),
    [
        ({}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}, True),
        ({"OTEL_TRACES_EXPORTER": "console"}, True),
        ({"CADENZA_OTEL_ENABLED": "true"}, True),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:4318", "CADENZA_OTEL_ENABLED": "false"}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:4318", "OTEL_SDK_DISABLED": "true"}, False),
    ],
)
def test_tracing_is_on_when_an_exporter_is_configured_or_it_is_switched_on(
    env: dict[str, str], enabled: bool
) -> None:
    assert Config.from_env(env).enabled is enabled


def test_a_switch_that_is_not_a_boolean_is_an_error_naming_it() -> None:
    with pytest.raises(ValueError, match="CADENZA_OTEL_LOGS must be true or false, not 'maybe'"):
        Config.from_env({"CADENZA_OTEL_LOGS": "maybe"})


def test_parameter_values_are_recorded_only_for_the_names_configured() -> None:
    config = Config.from_env({"CADENZA_OTEL_PARAMETER_VALUES": "a, c"})
    assert parameters(config, {"a": 1, "b": "two", "c": [3]}) == {
        "cadenza.parameters": ("a", "b", "c"),
        "cadenza.parameter.a": 1,
        "cadenza.parameter.c": "[3]",
    }
    assert parameters(Config(), {"a": 1}) == {"cadenza.parameters": ("a",)}
    every = Config.from_env({"CADENZA_OTEL_PARAMETER_VALUES": "*"})
    assert parameters(every, {"b": "two"})["cadenza.parameter.b"] == "two"


def test_a_secret_value_is_never_recorded() -> None:
    from cadenza import masking
    from pydantic import SecretStr

    assert parameter_value(SecretStr("swordfish-123")) == "********"
    masking.register("swordfish-456")
    try:
        assert parameter_value({"password": "swordfish-456"}) == "{'password': '********'}"
    finally:
        masking.clear()


def test_a_long_value_is_cut() -> None:
    text = parameter_value("x" * (MAX_VALUE + 10))
    assert isinstance(text, str) and len(text) == MAX_VALUE + 1 and text.endswith("…")
