"""`cadenza runs ls|show|logs` over a real record file under an isolated CADENZA_HOME."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from record_seed import Seeder


def _clean_error(result, code: int) -> str:
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def test_ls_json(invoke, sample) -> None:
    result = invoke("runs", "ls", "--json")
    assert result.exit_code == 0, result.stderr
    runs = json.loads(result.stdout)
    assert [r["id"] for r in runs] == [sample["sub"], sample["run"], sample["old"]]
    assert runs[1]["parameters"] == {"n": 3, "who": "bob"}


def test_ls_filters(invoke, sample) -> None:
    failed = json.loads(invoke("runs", "ls", "--json", "--state", "failed").stdout)
    assert [r["id"] for r in failed] == [sample["old"]]
    etl = json.loads(invoke("runs", "ls", "--json", "--flow", "etl").stdout)
    assert [r["id"] for r in etl] == [sample["run"]]
    assert len(json.loads(invoke("runs", "ls", "--json", "-n", "1").stdout)) == 1


def test_ls_table(invoke, sample) -> None:
    result = invoke("runs", "ls")
    assert result.exit_code == 0
    for key in ("run", "old", "sub"):
        assert sample[key][-8:] in result.stdout
    assert "brave-otter" in result.stdout and "Failed" in result.stdout


def test_ls_empty_record(invoke, home) -> None:
    result = invoke("runs", "ls")
    assert result.exit_code == 0 and "No flow runs" in result.stdout
    assert home.exists()  # created and migrated on first use
    assert json.loads(invoke("runs", "ls", "--json").stdout) == []


def test_bad_state_filter_is_a_usage_error(invoke, sample) -> None:
    line = _clean_error(invoke("runs", "ls", "--state", "done"), 2)
    assert "COMPLETED" in line and "'done'" in line
    assert invoke("runs", "ls", "--limit", "0").exit_code == 2


def test_show_json_by_prefix_and_latest(invoke, sample) -> None:
    result = invoke("runs", "show", sample["run"][:6], "--json")
    assert result.exit_code == 0, result.stderr
    run = json.loads(result.stdout)
    assert run["id"] == sample["run"]
    assert [t["name"] for t in run["task_runs"]] == ["extract-0", "load-0"]
    assert [s["type"] for s in run["states"]] == ["PENDING", "RUNNING", "COMPLETED"]
    latest = json.loads(invoke("runs", "show", "latest", "--json").stdout)
    assert latest["id"] == sample["sub"]


def test_show_human(invoke, sample) -> None:
    result = invoke("runs", "show", sample["run"])
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert sample["run"] in out and "brave-otter" in out
    assert "extract-0" in out and "load-0" in out and "2 task runs" in out
    assert "State transitions" in out and "Pending" in out
    assert "Subflow runs" in out and "tiny-sub" in out
    assert "starting [bold]up[/bold]" in out  # user text is not rich markup
    assert "extracted 3 rows" in out


def test_show_many_task_runs_is_abbreviated(invoke, seeder: Seeder) -> None:
    run = seeder.flow_run()
    seeder.conn.execute("BEGIN")
    for i in range(3000):
        seeder.task_run(run, name=f"work-{i}", with_states=False)
    seeder.conn.execute("COMMIT")
    result = invoke("runs", "show", run)
    assert result.exit_code == 0
    assert "3000 task runs" in result.stdout and "2980 more" in result.stdout
    assert "work-0" in result.stdout and "work-2999" in result.stdout
    assert "work-1500" not in result.stdout
    full = json.loads(invoke("runs", "show", run, "--json").stdout)
    assert len(full["task_runs"]) == 3000


def test_unknown_and_ambiguous_run_ids(invoke, seeder: Seeder) -> None:
    seeder.flow_run(run_id="aaa-1")
    seeder.flow_run(run_id="aab-2")
    assert "'zzz'" in _clean_error(invoke("runs", "show", "zzz"), 1)
    assert "ambiguous" in _clean_error(invoke("runs", "show", "aa"), 1)
    _clean_error(invoke("runs", "logs", "zzz"), 1)


def test_logs_lines(invoke, sample) -> None:
    result = invoke("runs", "logs", sample["run"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    time_, level, rest = (part.strip() for part in lines[1].split(" | "))
    assert level == "WARNING" and len(time_) == len("2023-11-14 22:13:20.000")
    assert rest == f"cadenza.task_runs/{sample['first_task'][-8:]} - extracted 3 rows"
    assert lines[0].endswith(f"cadenza.flow_runs/{sample['run'][-8:]} - starting [bold]up[/bold]")


def test_store_error_is_one_line(invoke, home: Path) -> None:
    home.parent.mkdir(parents=True)
    home.write_bytes(b"garbage, not sqlite" * 100)
    for args in (("runs", "ls"), ("runs", "show", "latest"), ("runs", "logs", "x")):
        assert str(home) in _clean_error(invoke(*args), 1)


def test_real_process_runs_ls_json(home: Path, sample) -> None:
    exe = Path(sys.executable).with_name("cadenza")
    env = {**os.environ, "CADENZA_HOME": str(home.parent)}
    out = subprocess.run(
        [str(exe), "runs", "ls", "--json"], capture_output=True, text=True, env=env, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert [r["id"] for r in json.loads(out.stdout)] == [
        sample["sub"],
        sample["run"],
        sample["old"],
    ]
    bad = subprocess.run(
        [str(exe), "runs", "show", "nope"], capture_output=True, text=True, env=env, timeout=60
    )
    assert (
        bad.returncode == 1 and bad.stderr.startswith("Error: ") and "Traceback" not in bad.stderr
    )


def test_the_short_id_shown_is_accepted_back(invoke, sample) -> None:
    """Run ids are time-ordered: the CLI shows (and accepts) their random last 8 characters."""
    shown = invoke("runs", "show", sample["run"][-8:], "--json")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["id"] == sample["run"]


def test_ls_flow_ignores_case_and_dash_or_underscore(invoke, seeder: Seeder) -> None:
    snake = seeder.flow_run(name="run-a", flow_name="nightly_load")
    kebab = seeder.flow_run(name="run-b", flow_name="Nightly-Load")
    other = seeder.flow_run(name="run-c", flow_name="nightly-loader")
    seeder.conn.commit()
    for given in ("nightly-load", "NIGHTLY_LOAD", "nightly_load"):
        listed = json.loads(invoke("runs", "ls", "--flow", given, "--json").stdout)
        expected = [snake] if given == "nightly_load" else [kebab, snake]  # an exact name wins
        assert [r["id"] for r in listed] == expected, given
    assert other not in invoke("runs", "ls", "--flow", "nightly-load").stdout
    one = json.loads(invoke("runs", "ls", "--flow", "nightly-load", "-n", "1", "--json").stdout)
    assert [r["id"] for r in one] == [kebab]


def test_ls_unknown_flow_names_the_flows(invoke, sample) -> None:
    line = _clean_error(invoke("runs", "ls", "--flow", "etl-daily"), 1)
    assert line == "Error: No flow named 'etl-daily'; flows: child, etl, report"
    assert invoke("runs", "ls", "--flow", "etl", "--state", "failed").stdout.strip() == (
        "No matching runs."
    )  # the flow exists: nothing to name
