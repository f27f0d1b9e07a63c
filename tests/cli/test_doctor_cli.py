"""`cadenza db doctor`: dead letters, journals waiting, the record's health, file modes; exit
status 0 only when all is well; the --json shape is exactly the one docs/cli.md documents."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cadenza.client.http import api_base
from cadenza.client.spool import Spool, server_tag
from cadenza.deadletter import quarantine
from cadenza.store.owners import PROCESS

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
SERVER = "http://127.0.0.1:9/api"


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def private(home: Path) -> None:
    """The modes cadenza creates its files with (the record's own mode is not this test's)."""
    for path in home.rglob("*"):
        os.chmod(path, 0o700 if path.is_dir() else 0o600)


@pytest.fixture
def troubled(seeder, home: Path) -> dict[str, Any]:
    """A home with two dead letters, a journal left by a dead process (one unreadable line), a
    Running run whose process is gone and a Completed one."""
    home_dir = home.parent
    quarantine("server", "log", {"message": "m"}, "refused: 422", home_dir)
    quarantine("server", "log", {"message": "n"}, "refused: 422", home_dir)
    spool = Spool(home_dir / "spool", tag=server_tag(api_base(SERVER)))
    spool.append([{"op": "batch", "body": {}}] * 3)
    journal = spool.path
    spool.close()  # its lock is free: as if its process were gone
    with open(journal, "ab") as f:
        f.write(b"garbage\n")
    crashed = seeder.flow_run(final="RUNNING", flow_name="etl", name="dead-run")
    seeder.flow_run(final="COMPLETED")
    seeder.conn.execute(
        "UPDATE flow_runs SET pid = ?, hostname = ?, process_start = ? WHERE id = ?",
        (dead_pid(), PROCESS.hostname, "1", crashed),
    )
    private(home_dir)
    return {"journal": journal, "crashed": crashed}


def doctor_json(*args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    """The real command line in its own process."""
    proc = subprocess.run(
        [sys.executable, "-m", "cadenza.cli.main", "db", "doctor", "--json", *args],
        capture_output=True, text=True, timeout=60, env={**os.environ, **(env or {})},
    )  # fmt: skip
    assert proc.stderr == "", proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def test_a_troubled_home_needs_attention(troubled, home: Path) -> None:
    code, report = doctor_json()
    assert code == 1 and report["ok"] is False and report["version"] == 1

    letters = report["dead_letters"]
    assert letters["count"] == 2 and len(letters["records"]) == 2
    assert [(g["source"], g["kind"], g["reason"], g["count"]) for g in letters["groups"]] == [
        ("server", "log", "refused: 422", 2)
    ]
    assert letters["records"][0]["record"] == {"message": "n"}  # newest first

    (journal,) = report["journals"]
    assert journal["file"] == str(troubled["journal"])
    assert journal["server_tag"] == server_tag(api_base(SERVER)) and journal["pid"] == os.getpid()
    assert journal["owner_alive"] is False
    assert (journal["pending_lines"], journal["unreadable_lines"]) == (3, 1)
    assert journal["replayed_by"] is None  # CADENZA_API_URL is not set

    record = report["record"]
    assert record["integrity"] == ["ok"] and record["revision_status"] == "current"
    assert [r["id"] for r in record["dead_runs"]] == [troubled["crashed"]]
    assert record["dead_runs"][0]["state_type"] == "RUNNING"
    assert all(m["ok"] for m in report["file_modes"])

    attention = "\n".join(report["attention"])
    assert "2 dead letter(s)" in attention
    assert "1 unreadable line(s)" in attention and "no process here will replay" in attention
    assert "1 run(s) marked active whose process is gone" in attention
    # the doctor only looks: the run is still Running, the journal still there
    conn = sqlite3.connect(home)
    state = conn.execute("SELECT state_type FROM flow_runs WHERE id = ?", (troubled["crashed"],))
    assert state.fetchone() == ("RUNNING",)
    conn.close()
    assert troubled["journal"].exists()


def test_the_journal_s_server_is_named_when_configured(troubled) -> None:
    _, report = doctor_json(env={"CADENZA_API_URL": SERVER})
    assert report["journals"][0]["replayed_by"] == SERVER
    assert not any("no process here" in note for note in report["attention"])


def test_text_report_and_show(troubled, invoke) -> None:
    result = invoke("db", "doctor")
    assert result.exit_code == 1
    out = result.stdout
    assert "dead letters: 2" in out and "server/log: refused: 422" in out
    assert "pid " in out and "(gone)  3 pending, 1 unreadable" in out
    assert troubled["crashed"] in out and "needs attention:" in out
    assert '"message": "n"' not in out
    shown = invoke("db", "doctor", "--show", "1").stdout
    assert shown.count("record: {") == 1 and '{"message": "n"}' in shown


def test_clearing_dead_letters(troubled, invoke, home: Path) -> None:
    result = invoke("db", "doctor", "--clear-dead-letters")
    assert result.exit_code == 0 and "Moved 2 dead letter(s) to " in result.stdout
    archive = Path(result.stdout.strip().rsplit(" ", 1)[1])
    assert archive.parent == home.parent and len(archive.read_text().splitlines()) == 2
    _, report = doctor_json()
    assert report["dead_letters"]["count"] == 0
    assert not any("dead letter" in note for note in report["attention"])
    again = invoke("db", "doctor", "--clear-dead-letters", "--json")
    assert json.loads(again.stdout) == {"archive": None, "count": 0}


def test_a_healthy_home_is_well(seeder, home: Path) -> None:
    seeder.flow_run(final="COMPLETED")
    private(home.parent)
    code, report = doctor_json()
    assert (code, report["ok"], report["attention"]) == (0, True, [])
    assert report["journals"] == [] and report["dead_letters"]["count"] == 0


def test_open_file_modes_and_a_damaged_record(seeder, home: Path) -> None:
    private(home.parent)
    os.chmod(home, 0o644)
    code, report = doctor_json()
    assert code == 1
    wide = [m["path"] for m in report["file_modes"] if not m["ok"]]
    assert str(home) in wide and all(p.startswith(str(home)) for p in wide)  # and its -wal
    assert f"{home} is mode 0644, expected 0600" in report["attention"]

    seeder.conn.close()
    data = bytearray(home.read_bytes())
    data[4096:12288] = os.urandom(8192)  # pages 2 and 3 overwritten (page 1: the schema)
    home.write_bytes(bytes(data))
    _, report = doctor_json()
    assert report["record"]["integrity"] != ["ok"]
    assert any("integrity" in note for note in report["attention"])


@pytest.mark.integration  # a fresh interpreter
def test_a_server_database_by_url(troubled, home: Path) -> None:
    code, report = doctor_json("--database-url", f"sqlite:///{home}")
    assert code == 1
    assert report["record"]["target"] == "server" and report["record"]["path"] == str(home)
    assert [r["id"] for r in report["record"]["dead_runs"]] == [troubled["crashed"]]
    proc = subprocess.run(
        [sys.executable, "-m", "cadenza.cli.main", "db", "doctor", "--database-url", "nope://"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 1 and proc.stderr.startswith("Error: ")
    assert len(proc.stderr.strip().splitlines()) == 1


# -- the documented shape -------------------------------------------------------------------------
OPAQUE = {"dead_letters.records"}  # the dead-letter lines as stored: documented as one field


def documented_fields() -> set[str]:
    match = re.search(r"<!-- fields:db-doctor -->\n(.*?)<!-- /fields -->", DOC.read_text(), re.S)
    assert match, f"no field table for db doctor in {DOC}"
    fields = re.findall(r"^\| `([^`]+)` \|", match.group(1), re.M)
    assert len(fields) == len(set(fields)), "a field is documented twice"
    return set(fields)


def field_paths(value: dict[str, Any], prefix: str = "") -> set[str]:
    paths = set()
    for key, child in value.items():
        path = prefix + key
        paths.add(path)
        if path in OPAQUE:
            continue
        if isinstance(child, dict):
            paths |= field_paths(child, path + ".")
        elif isinstance(child, list):
            for item in child:
                if isinstance(item, dict):
                    paths |= field_paths(item, path + "[].")
    return paths


def test_json_fields_match_the_doc(troubled) -> None:
    os.chmod(troubled["journal"], 0o644)  # so that file_modes has an element to look at
    _, report = doctor_json()
    assert report["file_modes"] and report["record"]["dead_runs"] and report["journals"]
    assert field_paths(report) == documented_fields()
