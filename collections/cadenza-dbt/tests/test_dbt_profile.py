"""The DbtCliProfile block: the profiles.yml it writes for dbt, its secrets kept out of sight."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from cadenza import flow, get_run_logger
from pydantic import ValidationError

from cadenza_dbt import DbtCliProfile

SECRET = "a-long-test-password"


def _profile() -> DbtCliProfile:
    return DbtCliProfile(
        name="shop",
        target="prod",
        adapter_type="postgres",
        threads=4,
        outputs={"host": "db.internal", "port": 5432, "schema": "main"},
        secret_outputs={"password": SECRET},
    )


def test_it_writes_a_profiles_yml_only_its_owner_reads(tmp_path: Path) -> None:
    path = _profile().write_profiles(tmp_path)
    assert path == tmp_path / "profiles.yml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # JSON is YAML: dbt reads this file as written
    assert json.loads(path.read_text()) == {
        "shop": {
            "target": "prod",
            "outputs": {
                "prod": {
                    "host": "db.internal",
                    "port": 5432,
                    "schema": "main",
                    "password": SECRET,
                    "type": "postgres",
                    "threads": 4,
                }
            },
        }
    }


def test_a_saved_profile_loads_with_its_secret(tmp_path: Path) -> None:
    _profile().save("prod")
    loaded = DbtCliProfile.load("prod")
    assert loaded.get_profile()["shop"]["outputs"]["prod"]["password"] == SECRET


def test_the_secret_shows_nowhere(cadenza_record: Any) -> None:
    profile = _profile()
    assert SECRET not in repr(profile)
    assert SECRET not in profile.model_dump_json()
    assert "password" in repr(profile)  # the key shows, masked

    @flow
    def leaky() -> None:
        profile.get_profile()  # registers the secret values for masking
        get_run_logger().info("connecting with %s", SECRET)

    leaky()
    messages = [m for (m,) in cadenza_record("SELECT message FROM logs")]
    assert "connecting with ********" in messages
    assert not [m for m in messages if SECRET in m]


@pytest.mark.parametrize("field", ["name", "target", "adapter_type"])
def test_a_blank_name_is_refused_naming_the_field(field: str) -> None:
    values = {"name": "shop", "adapter_type": "duckdb", field: " "}
    with pytest.raises(ValidationError, match=field):
        DbtCliProfile(**values)
