"""``cadenza config``: view (masking, sources), set/unset round trips, validate."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cadenza.cli.config import config
from cadenza.settings import profiles, spec


def invoke(*args: str) -> Result:
    return CliRunner().invoke(config, list(args), catch_exceptions=False)


def read_profile(home: Path, name: str = "default") -> dict:
    return profiles.read(home / "profiles.toml").profiles.get(name, {})


def test_view_lists_every_setting_with_sources(monkeypatch, write_profiles) -> None:
    write_profiles('[profiles.default]\nCADENZA_LOGGING_LEVEL = "DEBUG"\n')
    monkeypatch.setenv("CADENZA_FLUSH_INTERVAL", "0.5")
    result = invoke("view", "--show-sources")
    assert result.exit_code == 0, result.output
    rows = {
        line.split()[0]: line.split()[1:3]
        for line in result.output.splitlines()
        if line.startswith("CADENZA_")
    }
    assert set(rows) == {s.name for s in spec.SETTINGS}
    assert rows["CADENZA_LOGGING_LEVEL"] == ["DEBUG", "profile"]
    assert rows["CADENZA_FLUSH_INTERVAL"] == ["0.5", "env"]
    assert rows["CADENZA_TASK_DEFAULT_RETRIES"] == ["0", "default"]
    assert rows["CADENZA_HOME"][1] == "env"


def test_view_without_sources_has_no_source_column() -> None:
    result = invoke("view")
    assert result.exit_code == 0
    header = next(line for line in result.output.splitlines() if line.startswith("SETTING"))
    assert header.split() == ["SETTING", "VALUE"]
    assert result.output.startswith("Profile: default")


@pytest.mark.parametrize("where", ["env", "profile"])
def test_view_masks_secrets(where: str, monkeypatch, write_profiles) -> None:
    if where == "env":
        monkeypatch.setenv("CADENZA_API_KEY", "s3cr3t-value")
    else:
        write_profiles('[profiles.default]\nCADENZA_API_KEY = "s3cr3t-value"\n')
    masked = invoke("view", "--show-sources")
    assert masked.exit_code == 0
    assert "s3cr3t-value" not in masked.output
    assert "********" in masked.output
    shown = invoke("view", "--show-secrets")
    assert "s3cr3t-value" in shown.output


def test_view_masks_secrets_even_when_other_settings_are_invalid(monkeypatch) -> None:
    monkeypatch.setenv("CADENZA_API_KEY", "s3cr3t-value")
    monkeypatch.setenv("CADENZA_FLUSH_INTERVAL", "abc")
    result = invoke("view")
    assert result.exit_code == 1
    assert "s3cr3t-value" not in result.output
    assert "CADENZA_FLUSH_INTERVAL" in result.output
    assert "abc (invalid)" in result.output


def test_set_and_unset_round_trip(cadenza_home: Path) -> None:
    result = invoke(
        "set",
        "CADENZA_LOGGING_LEVEL=warning",
        "CADENZA_FLUSH_INTERVAL=0.2",
        "CADENZA_LOGGING_CONSOLE=off",
        "CADENZA_API_KEY=k3y",
    )
    assert result.exit_code == 0, result.output
    assert "k3y" not in result.output
    assert read_profile(cadenza_home) == {
        "CADENZA_LOGGING_LEVEL": "WARNING",
        "CADENZA_FLUSH_INTERVAL": 0.2,
        "CADENZA_LOGGING_CONSOLE": False,
        "CADENZA_API_KEY": "k3y",
    }
    assert profiles.read(cadenza_home / "profiles.toml").active == "default"
    assert spec.get("CADENZA_LOGGING_LEVEL") == "WARNING"
    assert spec.source("CADENZA_FLUSH_INTERVAL") == "profile"

    result = invoke("unset", "CADENZA_FLUSH_INTERVAL", "CADENZA_API_KEY")
    assert result.exit_code == 0, result.output
    assert read_profile(cadenza_home) == {
        "CADENZA_LOGGING_LEVEL": "WARNING",
        "CADENZA_LOGGING_CONSOLE": False,
    }
    assert spec.get("CADENZA_FLUSH_INTERVAL") == 0.05

    again = invoke("unset", "CADENZA_FLUSH_INTERVAL")
    assert again.exit_code == 0
    assert "was not set" in again.output


def test_set_keeps_other_profiles(cadenza_home: Path, write_profiles) -> None:
    write_profiles(
        'active = "dev"\n[profiles.dev]\nCADENZA_API_URL = "http://dev"\n'
        '[profiles.prod]\nCADENZA_API_URL = "http://prod"\n'
    )
    assert invoke("set", "CADENZA_TASK_DEFAULT_RETRIES=2").exit_code == 0
    doc = profiles.read(cadenza_home / "profiles.toml")
    assert doc.active == "dev"
    assert doc.profiles == {
        "dev": {"CADENZA_API_URL": "http://dev", "CADENZA_TASK_DEFAULT_RETRIES": 2},
        "prod": {"CADENZA_API_URL": "http://prod"},
    }


def test_set_creates_the_profile_named_by_env(cadenza_home: Path, monkeypatch) -> None:
    monkeypatch.setenv("CADENZA_PROFILE", "staging")
    assert invoke("set", "CADENZA_FLOW_DEFAULT_RETRIES=1").exit_code == 0
    assert read_profile(cadenza_home, "staging") == {"CADENZA_FLOW_DEFAULT_RETRIES": 1}
    assert spec.get("CADENZA_FLOW_DEFAULT_RETRIES") == 1


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["CADENZA_FLUSH_INTERVAL=abc"], "CADENZA_FLUSH_INTERVAL='abc'"),
        (["CADENZA_TASK_DEFAULT_RETRIES=-1"], ">= 0"),
        (["CADENZA_FLUSH_INTERVL=1"], "did you mean CADENZA_FLUSH_INTERVAL"),
        (["CADENZA_HOME=/x"], "environment variable"),
        (["CADENZA_API_URL"], "expected NAME=VALUE"),
        (["CADENZA_API_URL="], "config unset"),
        (["CADENZA_LOGGING_LEVEL=DEBUG", "CADENZA_LOGGING_CONSOLE=maybe"], "boolean"),
    ],
)
def test_set_refuses_bad_input_and_writes_nothing(
    cadenza_home: Path, args: list[str], fragment: str
) -> None:
    result = invoke("set", *args)
    assert result.exit_code == 2
    assert fragment in result.output
    assert not (cadenza_home / "profiles.toml").exists()


def test_set_warns_when_env_overrides(monkeypatch) -> None:
    monkeypatch.setenv("CADENZA_LOGGING_LEVEL", "ERROR")
    result = invoke("set", "CADENZA_LOGGING_LEVEL=DEBUG")
    assert result.exit_code == 0
    assert "environment" in result.output


def test_unset_unknown_name_is_refused() -> None:
    result = invoke("unset", "CADENZA_NOPE")
    assert result.exit_code == 2
    assert "unknown setting" in result.output


def test_validate(monkeypatch, write_profiles) -> None:
    ok = invoke("validate")
    assert ok.exit_code == 0
    assert "valid" in ok.output
    write_profiles('[profiles.default]\nCADENZA_TASK_DEFAULT_RETRIES = "x"\n')
    monkeypatch.setenv("CADENZA_LOGGING_LEVEL", "LOUD")
    bad = invoke("validate")
    assert bad.exit_code == 1
    assert "CADENZA_TASK_DEFAULT_RETRIES" in bad.output
    assert "CADENZA_LOGGING_LEVEL" in bad.output


def test_unreadable_profiles_file_is_one_clear_error(write_profiles) -> None:
    write_profiles("this is not toml")
    for args in (["view"], ["set", "CADENZA_FLOW_DEFAULT_RETRIES=1"], ["validate"]):
        result = invoke(*args)
        assert result.exit_code == 1
        assert "not valid TOML" in result.output
        assert "Traceback" not in result.output
