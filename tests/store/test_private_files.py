"""Files holding secrets are private: the record and its companions, the key files and
``profiles.toml`` are 0600 whatever the umask, and a home cadenza creates is 0700."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from cadenza.cli.config import config
from cadenza.store.database import connect, record_files

PRIVATE = ("cadenza.db", "cadenza.db-wal", "cadenza.db-shm", "cadenza.db.lock", "key",
           "result-signing.key", "profiles.toml")  # fmt: skip


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _umask_022() -> None:
    os.umask(0o022)


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_a_new_home_is_private_after_a_flow_a_block_and_config_set(tmp_path: Path) -> None:
    home = tmp_path / "new-home"  # does not exist yet: cadenza creates it
    script = tmp_path / "use_everything.py"
    script.write_text(
        """
import json, os, stat
from cadenza import flow, task
from cadenza.blocks.system import Secret

@task(persist_result=True)
def one():
    return 1

@flow
def uses_the_record():
    one()

uses_the_record()
Secret(value="a-secret").save("token")
home = os.environ["CADENZA_HOME"]
# while this process still has the record open, so its -wal and -shm files exist
modes = {n: stat.S_IMODE(os.stat(os.path.join(home, n)).st_mode) for n in os.listdir(home)}
print(json.dumps(modes))
"""
    )
    env = {**os.environ, "CADENZA_HOME": str(home), "CADENZA_LOGGING_CONSOLE": "false"}
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env=env,
        preexec_fn=_umask_022,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    modes = json.loads(done.stdout.strip().splitlines()[-1])
    set_level = subprocess.run(
        [sys.executable, "-m", "cadenza.cli.main", "config", "set", "CADENZA_API_KEY=k3y"],
        capture_output=True,
        text=True,
        env=env,
        preexec_fn=_umask_022,
        timeout=60,
    )
    assert set_level.returncode == 0, set_level.stderr
    modes["profiles.toml"] = _mode(home / "profiles.toml")
    for name in PRIVATE:
        assert modes.get(name) == 0o600, (name, oct(modes.get(name, 0)))
    assert _mode(home) == 0o700


def test_an_existing_record_and_its_companions_are_tightened_when_opened(
    tmp_path: Path, umask_022
) -> None:
    db = tmp_path / "home" / "cadenza.db"
    db.parent.mkdir()
    other = sqlite3.connect(db)  # made by hand (or an older cadenza): 0644 under umask 022
    other.execute("PRAGMA journal_mode=WAL")
    other.execute("CREATE TABLE t (x)")
    other.execute("INSERT INTO t VALUES (1)")
    other.commit()
    (db.parent / "cadenza.db.lock").touch()
    assert {_mode(p) for p in record_files(db)} == {0o644}
    conn = connect(db)
    try:
        assert {p.name: _mode(p) for p in record_files(db)} == {
            p.name: 0o600 for p in record_files(db)
        }
        assert conn.execute("SELECT x FROM t").fetchall() == [(1,)]
    finally:
        conn.close()
        other.close()


def test_a_readable_profiles_file_is_tightened_when_read(cadenza_home: Path, umask_022) -> None:
    path = cadenza_home / "profiles.toml"
    path.write_text('[profiles.default]\nCADENZA_API_KEY = "k3y"\n')
    assert _mode(path) == 0o644
    assert CliRunner().invoke(config, ["view"]).exit_code == 0
    assert _mode(path) == 0o600


def test_config_validate_reports_files_others_can_read(cadenza_home: Path, umask_022) -> None:
    os.chmod(cadenza_home / "cadenza.db", 0o600)  # the test's record, copied from a template
    key = cadenza_home / "key"
    key.write_text("made by hand")  # cadenza has not opened it yet
    os.chmod(cadenza_home, 0o755)
    result = CliRunner().invoke(config, ["validate"])
    assert result.exit_code == 1
    assert f"Error: {key}: other users can access it (mode 0644)" in result.output
    assert f"chmod 600 {key}" in result.output
    assert f"Warning: {cadenza_home} is open to other users (mode 0755)" in result.output
    os.chmod(key, 0o600)
    assert CliRunner().invoke(config, ["validate"]).exit_code == 0
