"""``cadenza config set`` / ``unset`` edit ``profiles.toml`` in place: the user's comments,
blank lines, quoting and key order survive, and only the lines that change differ."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
from click.testing import CliRunner

from cadenza.cli.config import config
from cadenza.settings import profiles

HAND_WRITTEN = """\
# My cadenza profiles -- kept by hand.
#   Do not reorder: prod last.

active = "default"   # the one I use day to day

# Local work.
[profiles.default]
CADENZA_LOGGING_LEVEL = "DEBUG"    # noisy on purpose
CADENZA_API_URL="http://127.0.0.1:4200/api"

    # retries while I debug
    CADENZA_TASK_DEFAULT_RETRIES = 3

[profiles.prod]
# the team's server
CADENZA_API_URL = 'https://cadenza.example.com/api'
CADENZA_LOGGING_LEVEL = "WARNING"
"""


def invoke(*args: str) -> None:
    result = CliRunner().invoke(config, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output


def changes(before: str, after: str) -> list[str]:
    """The removed (-) and added (+) lines between two texts."""
    diff = difflib.ndiff(before.splitlines(), after.splitlines())
    return [line for line in diff if line[:1] in "+-"]


@pytest.fixture
def profiles_file(write_profiles) -> Path:
    path: Path = write_profiles(HAND_WRITTEN)
    return path


def test_set_changes_only_the_line_of_the_setting(profiles_file: Path) -> None:
    invoke("set", "CADENZA_LOGGING_LEVEL=INFO")
    after = profiles_file.read_text()
    assert changes(HAND_WRITTEN, after) == [
        '- CADENZA_LOGGING_LEVEL = "DEBUG"    # noisy on purpose',
        '+ CADENZA_LOGGING_LEVEL = "INFO"    # noisy on purpose',
    ]
    assert profiles.read(profiles_file).profiles["default"]["CADENZA_LOGGING_LEVEL"] == "INFO"


def test_set_of_a_new_key_adds_one_line_to_the_active_profile(profiles_file: Path) -> None:
    invoke("set", "CADENZA_FLOW_DEFAULT_RETRIES=2")
    after = profiles_file.read_text()
    assert changes(HAND_WRITTEN, after) == ["+ CADENZA_FLOW_DEFAULT_RETRIES = 2"]
    lines = after.splitlines()
    added = lines.index("CADENZA_FLOW_DEFAULT_RETRIES = 2")
    assert lines[added - 1] == "    CADENZA_TASK_DEFAULT_RETRIES = 3"  # in [profiles.default]
    assert profiles.read(profiles_file).profiles["default"]["CADENZA_FLOW_DEFAULT_RETRIES"] == 2


def test_set_of_an_unchanged_value_leaves_the_file_as_it_was(profiles_file: Path) -> None:
    invoke("set", "CADENZA_API_URL=http://127.0.0.1:4200/api", "CADENZA_TASK_DEFAULT_RETRIES=3")
    assert profiles_file.read_text() == HAND_WRITTEN


def test_unset_removes_only_that_line(profiles_file: Path) -> None:
    invoke("unset", "CADENZA_API_URL")
    assert changes(HAND_WRITTEN, profiles_file.read_text()) == [
        '- CADENZA_API_URL="http://127.0.0.1:4200/api"'
    ]


def test_set_in_a_new_profile_appends_its_table(
    profiles_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CADENZA_PROFILE", "staging")
    invoke("set", "CADENZA_LOGGING_LEVEL=ERROR")
    after = profiles_file.read_text()
    assert after.startswith(HAND_WRITTEN)
    assert profiles.read(profiles_file).profiles["staging"] == {"CADENZA_LOGGING_LEVEL": "ERROR"}


def test_a_new_file_is_written_from_scratch(cadenza_home: Path) -> None:
    invoke("set", "CADENZA_LOGGING_LEVEL=DEBUG")
    path = cadenza_home / "profiles.toml"
    expected = 'active = "default"\n\n[profiles.default]\nCADENZA_LOGGING_LEVEL = "DEBUG"\n'
    assert path.read_text() == expected
    assert (path.stat().st_mode & 0o777) == 0o600


def test_a_boolean_replaces_a_number_of_the_same_value(cadenza_home: Path) -> None:
    """``true`` is not ``1``: a changed type is written even when Python compares them equal."""
    doc = profiles.ProfilesDoc(cadenza_home / "profiles.toml", "default", {"default": {"X": 1}})
    profiles.write(doc)
    doc.profiles["default"]["X"] = True
    profiles.write(doc)
    assert profiles.read(doc.path).profiles["default"]["X"] is True
