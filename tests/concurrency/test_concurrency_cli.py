"""``cadenza concurrency-limit`` and ``cadenza global-concurrency-limit``, on the embedded record
and on real servers: both of Prefect's spellings, the JSON forms, and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from cadenza.cli.main import cli
from cadenza.concurrency.sync import concurrency


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _ok(*args: str) -> str:
    code, out, err = _run(*args)
    assert code == 0, out + err
    return out


def test_create_list_inspect_update_reset_delete(backend, name: str) -> None:
    assert "0/3 slots in use" in _ok("concurrency-limit", "create", name, "--limit", "3")
    made = json.loads(_ok("global-concurrency-limit", "create", name + "-rate", "--limit", "5",
                          "--slot-decay-per-second", "0.5", "--json"))  # fmt: skip
    assert (made["limit"], made["slot_decay_per_second"]) == (5, 0.5)
    listed = {x["name"]: x for x in json.loads(_ok("concurrency-limit", "ls", "--json"))}
    assert listed[name]["limit"] == 3 and listed[name + "-rate"]["slot_decay_per_second"] == 0.5
    assert name in _ok("concurrency-limit", "ls")
    with concurrency(name, occupy=2, holder={"type": "task_run", "id": "abc"}):
        shown = json.loads(_ok("concurrency-limit", "inspect", name, "--json"))
        assert shown["active_slots"] == 2
        (lease,) = shown["leases"]
        assert lease["holder"]["id"] == "abc" and lease["holder"]["pid"] == os.getpid()
        text = _ok("concurrency-limit", "show", name)
        assert "2/3 slots in use" in text and "id=abc" in text
        assert "every slot is free" in _ok("concurrency-limit", "reset", name)
        assert json.loads(_ok("concurrency-limit", "inspect", name, "--json"))["active_slots"] == 0
    updated = json.loads(_ok("concurrency-limit", "update", name, "--limit", "7", "--json"))
    assert updated["limit"] == 7
    assert "Disabled" in _ok("global-concurrency-limit", "disable", name)
    assert json.loads(_ok("concurrency-limit", "inspect", name, "--json"))["active"] is False
    assert "Enabled" in _ok("global-concurrency-limit", "enable", name)
    assert "Deleted" in _ok("concurrency-limit", "delete", name)
    code, _out, err = _run("concurrency-limit", "inspect", name)
    assert code == 1 and err.strip() == f"Error: no concurrency limit named {name!r}"


def test_prefects_tag_form_makes_a_tag_limit(backend, name: str) -> None:
    out = _ok("concurrency-limit", "create", name, "2")
    assert f"'tag:{name}'" in out
    shown = json.loads(_ok("concurrency-limit", "inspect", name, "--json"))  # TAG finds tag:TAG
    assert shown["name"] == f"tag:{name}" and shown["limit"] == 2
    assert f"tag:{name}" in _ok("concurrency-limit", "reset", name)
    assert f"tag:{name}" in _ok("concurrency-limit", "delete", name)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["create", "NAME", "--limit", "-1"], 2, "from 0 to 2147483647, not -1"),
        (["create", "NAME", "-1"], 2, "from 0 to 2147483647, not -1"),
        (["create", "a/b", "--limit", "1"], 2, "must not contain '/'"),
        (["create", "x" * 1_000_000, "--limit", "1"], 2, "1,000,000 characters long"),
        (["create", "s\udc80", "--limit", "1"], 2, "lone surrogate (U+DC80)"),
        (["create", "NAME", "--limit", "1", "--slot-decay-per-second", "nan"], 2, "from 0"),
        (["create", "NAME"], 2, "give the limit once"),
        (["create", "NAME", "3", "--limit", "3"], 2, "give the limit once"),
        (["update", "NAME"], 2, "nothing to change"),
        (["reset", "never-made"], 1, "no concurrency limit named 'never-made'"),
    ],
)
def test_bad_input_is_one_line_and_an_exit_status(
    backend, name: str, args: list[str], code: int, message: str
) -> None:
    args = [a.replace("NAME", name) for a in args]
    got, out, err = _run("concurrency-limit", *args)
    assert got == code, out + err
    assert err.startswith("Error: ") and err.count("\n") == 1 and message in err
    assert len(err) < 500


def test_a_taken_name_is_a_usage_error(backend, name: str) -> None:
    _ok("concurrency-limit", "create", name, "--limit", "1")
    code, _out, err = _run("concurrency-limit", "create", name, "--limit", "2")
    assert code == 2 and f"{name!r} exists" in err


def test_the_command_runs_as_a_program(backend, name: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "cadenza.cli.main", "concurrency-limit", "create", name, "--limit",
         "4", "--json"],
        capture_output=True, text=True, timeout=60, env=dict(os.environ),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["limit"] == 4
