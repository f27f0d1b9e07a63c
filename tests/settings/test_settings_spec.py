"""The stdlib resolver: precedence, conversion, errors, caching, the profiles file format."""

from __future__ import annotations

from pathlib import Path

import pytest

from cadenza import settings
from cadenza.settings import profiles, spec


def test_defaults_when_nothing_is_set(cadenza_home: Path) -> None:
    assert settings.home() == cadenza_home
    assert spec.get("CADENZA_PROFILE") == "default"
    assert spec.get("CADENZA_API_URL") is None
    assert spec.get("CADENZA_API_KEY") is None
    assert spec.get("CADENZA_LOGGING_LEVEL") == "INFO"
    assert spec.get("CADENZA_LOGGING_CONSOLE") is True
    assert spec.get("CADENZA_FLUSH_INTERVAL") == 0.05
    assert spec.get("CADENZA_RESULTS_PERSIST_BY_DEFAULT") is False
    assert spec.get("CADENZA_TASK_DEFAULT_RETRIES") == 0
    assert spec.get("CADENZA_TASK_DEFAULT_RETRY_DELAY_SECONDS") == 0.0
    assert spec.get("CADENZA_FLOW_DEFAULT_RETRIES") == 0
    assert spec.get("CADENZA_SQLITE_SYNCHRONOUS") == "NORMAL"
    assert spec.get("CADENZA_HEARTBEAT_INTERVAL") == 30.0
    assert spec.get("CADENZA_CANCELLATION_POLL_INTERVAL") == 0.5
    assert spec.get("CADENZA_CANCELLATION_GRACE") == 30.0
    assert spec.get("CADENZA_API_REQUEST_TIMEOUT") == 60.0  # Prefect's PREFECT_API_REQUEST_TIMEOUT
    assert spec.get("CADENZA_LOGGING_TRACEBACK") == "SHORT"
    assert spec.get("CADENZA_CLIENT_OFFLINE_OK") is False
    assert spec.get("CADENZA_CLI_PROGRESS") is True
    assert spec.get("CADENZA_SERVER_METRICS_OPEN") is False
    assert {s.name for s in spec.SETTINGS} == {
        "CADENZA_HOME",
        "CADENZA_PROFILE",
        "CADENZA_API_URL",
        "CADENZA_API_KEY",
        "CADENZA_API_REQUEST_TIMEOUT",
        "CADENZA_LOGGING_LEVEL",
        "CADENZA_LOGGING_CONSOLE",
        "CADENZA_LOGGING_EXTRA_LOGGERS",
        "CADENZA_LOGGING_TRACEBACK",
        "CADENZA_CLIENT_OFFLINE_OK",
        "CADENZA_CLI_PROGRESS",
        "CADENZA_FLUSH_INTERVAL",
        "CADENZA_SQLITE_SYNCHRONOUS",
        "CADENZA_HEARTBEAT_INTERVAL",
        "CADENZA_SERVER_REAPER_INTERVAL",
        "CADENZA_SERVER_SERVICE_LEASE",
        "CADENZA_SERVER_DB_POOL_SIZE",
        "CADENZA_SERVER_DB_MAX_OVERFLOW",
        "CADENZA_SERVER_DB_PREPARED_STATEMENTS",
        "CADENZA_SERVER_SCHEDULER_INTERVAL",
        "CADENZA_SERVER_METRICS_OPEN",
        "CADENZA_RETENTION_FLOW_RUNS",
        "CADENZA_RETENTION_LOGS",
        "CADENZA_RETENTION_EVENTS",
        "CADENZA_RETENTION_ARTIFACTS",
        "CADENZA_RETENTION_INTERVAL",
        "CADENZA_WORKER_POLL_INTERVAL",
        "CADENZA_CANCELLATION_POLL_INTERVAL",
        "CADENZA_CANCELLATION_GRACE",
        "CADENZA_CONCURRENCY_LEASE_SECONDS",
        "CADENZA_SERVER_AUTOMATIONS_INTERVAL",
        "CADENZA_RESULTS_PERSIST_BY_DEFAULT",
        "CADENZA_TASK_DEFAULT_RETRIES",
        "CADENZA_TASK_DEFAULT_RETRY_DELAY_SECONDS",
        "CADENZA_FLOW_DEFAULT_RETRIES",
        "CADENZA_RESULTS_PERSIST_FOR_RESUME",
        "CADENZA_RESULTS_DEFAULT_SERIALIZER",
        "CADENZA_RESULTS_DEFAULT_STORAGE",
        "CADENZA_LOCAL_STORAGE_PATH",
        "CADENZA_RESULTS_SIGNING_KEY",
        "CADENZA_ENCRYPTION_KEY",
        "CADENZA_PLUGINS_AUTOLOAD",
        "CADENZA_PLUGINS_ALLOW",
        "CADENZA_PLUGINS_DENY",
    }
    assert spec.get("CADENZA_RESULTS_PERSIST_FOR_RESUME") == "ON-FAILURE"
    assert spec.get("CADENZA_RESULTS_DEFAULT_SERIALIZER") == "CLOUDPICKLE"
    assert spec.get("CADENZA_RESULTS_DEFAULT_STORAGE") is None


def test_home_defaults_to_dot_cadenza_expanded(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("CADENZA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    spec.reset_cache()
    assert spec.home() == tmp_path / ".cadenza"
    assert spec.source("CADENZA_HOME") == "default"


@pytest.mark.parametrize(
    ("name", "env", "profile_toml", "profile_value", "default"),
    [
        ("CADENZA_FLUSH_INTERVAL", "0.5", "0.25", 0.25, 0.05),
        ("CADENZA_LOGGING_LEVEL", "error", '"debug"', "DEBUG", "INFO"),
        ("CADENZA_RESULTS_PERSIST_BY_DEFAULT", "no", "true", True, False),
        ("CADENZA_TASK_DEFAULT_RETRIES", "3", "2", 2, 0),
        ("CADENZA_API_URL", "http://env", '"http://profile"', "http://profile", None),
    ],
)
def test_precedence_env_over_profile_over_default(
    monkeypatch: pytest.MonkeyPatch,
    write_profiles,
    name: str,
    env: str,
    profile_toml: str,
    profile_value: object,
    default: object,
) -> None:
    assert spec.get(name) == default
    assert spec.source(name) == "default"

    write_profiles(f'active = "default"\n[profiles.default]\n{name} = {profile_toml}\n')
    assert spec.get(name) == profile_value
    assert spec.source(name) == "profile"

    monkeypatch.setenv(name, env)
    spec.reset_cache()
    assert spec.get(name) == spec.convert(spec.setting(name), env)
    assert spec.get(name) != profile_value
    assert spec.source(name) == "env"


def test_empty_environment_variable_counts_as_unset(
    monkeypatch: pytest.MonkeyPatch, write_profiles
) -> None:
    write_profiles("[profiles.default]\nCADENZA_FLUSH_INTERVAL = 0.3\n")
    monkeypatch.setenv("CADENZA_FLUSH_INTERVAL", "")
    assert spec.get("CADENZA_FLUSH_INTERVAL") == 0.3


def test_active_profile_from_file_and_env(monkeypatch: pytest.MonkeyPatch, write_profiles) -> None:
    write_profiles(
        'active = "dev"\n'
        "[profiles.default]\nCADENZA_TASK_DEFAULT_RETRIES = 1\n"
        "[profiles.dev]\nCADENZA_TASK_DEFAULT_RETRIES = 2\n"
        "[profiles.prod]\nCADENZA_TASK_DEFAULT_RETRIES = 3\n"
    )
    assert spec.get("CADENZA_PROFILE") == "dev"
    assert spec.source("CADENZA_PROFILE") == "profile"
    assert spec.get("CADENZA_TASK_DEFAULT_RETRIES") == 2
    monkeypatch.setenv("CADENZA_PROFILE", "prod")
    spec.reset_cache()
    assert spec.get("CADENZA_PROFILE") == "prod"
    assert spec.get("CADENZA_TASK_DEFAULT_RETRIES") == 3


def test_missing_active_profile_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, write_profiles
) -> None:
    path = write_profiles("[profiles.default]\n")
    monkeypatch.setenv("CADENZA_PROFILE", "staging")
    with pytest.raises(ValueError, match="staging") as info:
        spec.get("CADENZA_LOGGING_LEVEL")
    assert str(path) in str(info.value)
    # the home does not depend on the profile
    assert spec.home() == path.parent


def test_env_conversion_error_names_setting_and_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CADENZA_FLUSH_INTERVAL", "abc")
    with pytest.raises(ValueError) as info:
        spec.get("CADENZA_FLUSH_INTERVAL")
    message = str(info.value)
    assert "CADENZA_FLUSH_INTERVAL" in message
    assert "'abc'" in message
    assert "environment" in message


def test_profile_conversion_error_names_profile(write_profiles) -> None:
    path = write_profiles('[profiles.default]\nCADENZA_TASK_DEFAULT_RETRIES = "many"\n')
    with pytest.raises(ValueError, match="CADENZA_TASK_DEFAULT_RETRIES='many'") as info:
        spec.get("CADENZA_TASK_DEFAULT_RETRIES")
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("name", "raw", "fragment"),
    [
        ("CADENZA_TASK_DEFAULT_RETRIES", "-1", ">= 0"),
        ("CADENZA_TASK_DEFAULT_RETRIES", "1.5", "integer"),
        ("CADENZA_FLUSH_INTERVAL", "-0.1", ">= 0"),
        ("CADENZA_FLUSH_INTERVAL", "nan", ">= 0"),
        ("CADENZA_LOGGING_LEVEL", "LOUD", "one of DEBUG"),
        ("CADENZA_LOGGING_CONSOLE", "maybe", "boolean"),
    ],
)
def test_constraint_errors(
    monkeypatch: pytest.MonkeyPatch, name: str, raw: str, fragment: str
) -> None:
    monkeypatch.setenv(name, raw)
    with pytest.raises(ValueError, match=name) as info:
        spec.get(name)
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("TRUE", True),
        ("yes", True),
        ("on", True),
        (" t ", True),
        ("0", False),
        ("false", False),
        ("No", False),
        ("off", False),
    ],
)
def test_boolean_spellings(monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool) -> None:
    monkeypatch.setenv("CADENZA_LOGGING_CONSOLE", raw)
    assert spec.get("CADENZA_LOGGING_CONSOLE") is expected


def test_secret_is_wrapped_and_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CADENZA_API_KEY", "hunter2")
    key = spec.get("CADENZA_API_KEY")
    assert isinstance(key, spec.Secret)
    assert key.get_secret_value() == "hunter2"
    assert "hunter2" not in repr(key)
    assert "hunter2" not in str(key)
    assert "hunter2" not in f"{key}"


def test_unknown_name_lists_close_matches() -> None:
    with pytest.raises(KeyError, match="CADENZA_FLUSH_INTERVAL"):
        spec.get("CADENZA_FLUSH_INTERVL")
    with pytest.raises(KeyError, match="unknown setting"):
        spec.get("nothing_like_it")


def test_values_are_cached_until_reset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CADENZA_FLOW_DEFAULT_RETRIES", "1")
    assert spec.get("CADENZA_FLOW_DEFAULT_RETRIES") == 1
    monkeypatch.setenv("CADENZA_FLOW_DEFAULT_RETRIES", "2")
    assert spec.get("CADENZA_FLOW_DEFAULT_RETRIES") == 1
    spec.reset_cache()
    assert spec.get("CADENZA_FLOW_DEFAULT_RETRIES") == 2


def test_home_and_profile_keys_in_a_profile_are_ignored(write_profiles, cadenza_home) -> None:
    write_profiles('[profiles.default]\nCADENZA_HOME = "/elsewhere"\nCADENZA_PROFILE = "x"\n')
    assert spec.home() == cadenza_home
    assert spec.get("CADENZA_PROFILE") == "default"


def test_malformed_profiles_file_names_the_file(write_profiles) -> None:
    path = write_profiles("[profiles.default\n")
    with pytest.raises(ValueError, match="not valid TOML") as info:
        spec.get("CADENZA_LOGGING_LEVEL")
    assert str(path) in str(info.value)


def test_profiles_file_shape_is_checked(write_profiles) -> None:
    write_profiles('profiles = "nope"\n')
    with pytest.raises(ValueError, match="table"):
        spec.get("CADENZA_LOGGING_LEVEL")
    write_profiles("[profiles.default]\nCADENZA_API_URL = [1, 2]\n")
    with pytest.raises(ValueError, match="CADENZA_API_URL"):
        spec.get("CADENZA_API_URL")


def test_profiles_round_trip(tmp_path: Path) -> None:
    doc = profiles.ProfilesDoc(
        tmp_path / "p" / "profiles.toml",
        active="odd name.x",
        profiles={
            "default": {"CADENZA_API_URL": 'http://h/"q"\\\n\tü', "CADENZA_LOGGING_CONSOLE": False},
            "odd name.x": {"CADENZA_FLUSH_INTERVAL": 1e-05, "CADENZA_TASK_DEFAULT_RETRIES": 7},
            "empty": {},
        },
    )
    profiles.write(doc)
    again = profiles.read(doc.path)
    assert again.active == doc.active
    assert again.profiles == doc.profiles
    assert list(doc.path.parent.iterdir()) == [doc.path]  # no temp file left behind


def test_missing_profiles_file_reads_empty(tmp_path: Path) -> None:
    doc = profiles.read(tmp_path / "absent.toml")
    assert doc.active is None
    assert doc.profiles == {}
