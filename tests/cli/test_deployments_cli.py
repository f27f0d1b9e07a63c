"""`cadenza deploy` (cadenza.yaml), `cadenza deployments ...` and `runs ls --deployment`, on the
embedded record (CADENZA_HOME) and, for deploy/ls/show/run, on a real server."""

from __future__ import annotations

import json
import sqlite3
import textwrap
import threading
import time
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from cadenza.cli.deployments import parse_param, schedule_summary
from cadenza.cli.main import cli
from cadenza.deployments.deployment import parameter_schema
from cadenza.deployments.project import ProjectError, load_project

FLOWS = """
from cadenza import flow

@flow(name="{flow}")
def etl(n: int, who: str = "world", rows: list | None = None):
    return n

@flow(name="{flow}-report")
def report(**options):
    return options

not_a_flow = 3
"""

PROJECT = """
deployments:
  - name: nightly
    entrypoint: flows/etl.py:etl
    parameters: {n: 1}
    tags: [etl]
    description: The nightly load
    version: 2
    schedules:
      - cron: "0 9 * * *"
        timezone: UTC
  - name: adhoc
    entrypoint: flows/etl.py:report
    parameters: {colour: blue}
    schedule: {interval: 60, anchor_date: 2026-01-01T00:00:00Z}
    paused: true
"""


def invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def ok(*args: str):
    result = invoke(*args)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result


def error_line(result, code: int = 1) -> str:
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def write_project(directory: Path, flow: str = "etl", text: str = PROJECT) -> Path:
    (directory / "flows").mkdir(parents=True, exist_ok=True)
    (directory / "flows" / "etl.py").write_text(FLOWS.format(flow=flow))
    path = directory / "cadenza.yaml"
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = write_project(tmp_path / "proj")
    ok("deploy", "--all", "--file", str(path))
    return path


# -- cadenza.yaml -----------------------------------------------------------------------------


def test_load_project_reads_every_field(tmp_path: Path) -> None:
    path = write_project(tmp_path)
    nightly, adhoc = load_project(path)
    assert (nightly.name, nightly.entrypoint) == ("nightly", "flows/etl.py:etl")
    assert nightly.version == "2"  # a YAML number is kept as text
    assert nightly.schedules == [
        {"schedule": {"cron": "0 9 * * *", "timezone": "UTC", "day_or": True}, "active": True,
         "parameters": {}, "slug": None}
    ]  # fmt: skip
    assert adhoc.schedules[0]["schedule"]["interval"] == 60.0 and adhoc.paused


def test_parameter_schema() -> None:
    def fn(n: int, who: str = "x", *args, flag: bool = False, **kw): ...

    schema = parameter_schema(fn)
    assert schema["required"] == ["n"]
    assert schema["properties"]["n"] == {"title": "n", "position": 0, "type": "integer"}
    assert schema["properties"]["who"]["default"] == "x"
    assert schema["properties"]["flag"]["type"] == "boolean"
    assert schema["additionalProperties"] is True


def test_deploy_and_list(project: Path) -> None:
    listed = json.loads(ok("deployments", "ls", "--json").stdout)
    by_name = {d["full_name"]: d for d in listed}
    assert set(by_name) == {"etl/nightly", "etl-report/adhoc"}
    nightly = by_name["etl/nightly"]
    assert nightly["path"] == str(project.parent.resolve())
    assert nightly["entrypoint"] == "flows/etl.py:etl"
    assert nightly["parameter_schema"]["required"] == ["n"]
    assert nightly["next_run_time"] is not None and nightly["tags"] == ["etl"]
    assert (
        by_name["etl-report/adhoc"]["paused"]
        and by_name["etl-report/adhoc"]["next_run_time"] is None
    )
    table = ok("deployments", "ls").stdout
    assert "cron 0 9 * * * (UTC)" in table and "every 60s" in table
    only = json.loads(ok("deployments", "ls", "--flow", "etl", "--json").stdout)
    assert [d["full_name"] for d in only] == ["etl/nightly"]


def test_deploy_prints_how_to_run(tmp_path: Path) -> None:
    path = write_project(tmp_path)
    out = ok("deploy", "nightly", "-f", str(path)).stdout
    assert "Deployed etl/nightly" in out and "cadenza deployments run etl/nightly" in out
    # two deployments and no name: refused, naming them
    line = error_line(invoke("deploy", "-f", str(path)))
    assert "nightly" in line and "adhoc" in line and "--all" in line


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("entrypoint: flows/etl.py:missing\n    parameters: {n: 1}", ["'missing'", "etl"]),
        ("entrypoint: flows/etl.py:not_a_flow", ["not a flow"]),
        ("entrypoint: flows/etl.py:etl\n    parameters: {n: 1, bogus: 2}", ["bogus", "parameters"]),
        ("entrypoint: flows/etl.py:etl", ["required", " n "]),
        ("entrypoint: flows/etl.py:etl\n    parameters: {n: 1}\n    schedules: [{cron: nope}]",
         ["schedules[0]", "nope"]),
        ("entrypoint: flows/etl.py:etl\n    parametres: {n: 1}", ["parametres", "unknown field"]),
        ("entrypoint: flows/etl.py:etl\n    parameters: {n: 1}\n    work_pool: {name: nopool}",
         ["work_pool.name", "nopool"]),
    ],
)  # fmt: skip
def test_deploy_refuses_a_bad_deployment(tmp_path: Path, entry: str, expected: list[str]) -> None:
    path = write_project(tmp_path, text=f"deployments:\n  - name: broken\n    {entry}\n")
    line = error_line(invoke("deploy", "--file", str(path)))
    assert "cadenza.yaml" in line and "'broken'" in line
    for part in expected:
        assert part in line
    assert json.loads(ok("deployments", "ls", "--json").stdout) == []


def test_missing_project_file(tmp_path: Path) -> None:
    assert "no such file" in error_line(invoke("deploy", "-f", str(tmp_path / "none.yaml")))
    with pytest.raises(ProjectError, match="deployments"):
        (tmp_path / "x.yaml").write_text("name: x\n")
        load_project(tmp_path / "x.yaml")


# -- deployments ------------------------------------------------------------------------------


def test_show_json(project: Path) -> None:
    shown = json.loads(ok("deployments", "show", "etl/nightly", "--json").stdout)
    assert shown["description"] == "The nightly load" and shown["version"] == "2"
    assert shown["schedules"][0]["schedule"]["cron"] == "0 9 * * *"
    assert shown["upcoming_runs"] == [] and shown["recent_runs"] == []
    human = ok("deployments", "show", "etl/nightly").stdout
    assert "Deployment etl/nightly" in human and "cron 0 9 * * * (UTC)" in human


def test_run_creates_a_scheduled_run_with_merged_parameters(project: Path) -> None:
    before = time.time()
    result = ok("deployments", "run", "etl/nightly", "--param", "n=5", "-p", "who=bob",
                "--tag", "manual", "--start-in", "3600", "--json")  # fmt: skip
    run = json.loads(result.stdout)
    assert run["state_type"] == "SCHEDULED" and run["state_name"] == "Scheduled"
    assert run["parameters"] == {"n": 5, "who": "bob"}
    assert set(run["tags"]) == {"etl", "manual"}
    assert before + 3590 < run["expected_start_time"] < time.time() + 3610
    shown = json.loads(ok("deployments", "show", "etl/nightly", "--json").stdout)
    assert [r["id"] for r in shown["upcoming_runs"]] == [run["id"]]
    runs = json.loads(ok("runs", "ls", "--deployment", "etl/nightly", "--json").stdout)
    assert [r["id"] for r in runs] == [run["id"]]
    assert runs[0]["deployment_id"] == shown["id"]
    assert runs[0]["expected_start_time"] is not None and runs[0]["work_pool_name"] is None
    one = json.loads(ok("runs", "show", run["id"], "--json").stdout)
    assert one["deployment_id"] == shown["id"]
    assert json.loads(ok("runs", "ls", "--deployment", shown["id"], "--json").stdout) == runs
    assert json.loads(ok("runs", "ls", "--deployment", "etl-report/adhoc", "--json").stdout) == []
    line = error_line(invoke("runs", "ls", "--deployment", "etl/ghost"))
    assert "etl/ghost" in line


def test_run_params_json_and_human_output(project: Path) -> None:
    out = ok("deployments", "run", "etl/nightly", "--params", '{"n": 2, "rows": [1, 2]}',
             "-p", "n=3").stdout  # fmt: skip
    assert "Created flow run" in out and "etl/nightly" in out
    assert '"n": 3' in out and '"rows": [1, 2]' in out


def test_run_refuses_a_parameter_the_flow_does_not_take(project: Path) -> None:
    line = error_line(invoke("deployments", "run", "etl/nightly", "--param", "bogus=1"), 2)
    assert "bogus" in line
    # a flow that takes **kwargs takes any name
    ok("deployments", "run", "etl-report/adhoc", "-p", "anything=1")


def test_unknown_deployment_is_named(project: Path) -> None:
    for command in (["show"], ["run"], ["pause"], ["resume"], ["delete", "--yes"]):
        line = error_line(invoke("deployments", *command, "etl/ghost"))
        assert "etl/ghost" in line


def test_a_deployment_is_found_by_a_unique_id_prefix_or_suffix(project: Path) -> None:
    listed = json.loads(ok("deployments", "ls", "--json").stdout)
    nightly = next(d for d in listed if d["full_name"] == "etl/nightly")
    for ref in (nightly["id"], nightly["id"][-10:], nightly["id"][:30]):
        shown = json.loads(ok("deployments", "show", ref, "--json").stdout)
        assert shown["id"] == nightly["id"]
    assert "Paused" in ok("deployments", "pause", nightly["id"][-10:]).stdout
    ok("deployments", "resume", nightly["id"][-10:])
    shared = shared_prefix([d["id"] for d in listed])
    line = error_line(invoke("deployments", "show", shared))
    assert "is ambiguous" in line and all(d["id"] in line for d in listed)
    assert "No deployment" in error_line(invoke("deployments", "show", "ffffffffff"))


def test_pause_resume_delete(project: Path) -> None:
    assert "Paused" in ok("deployments", "pause", "etl/nightly").stdout
    assert json.loads(ok("deployments", "show", "etl/nightly", "--json").stdout)["paused"]
    assert "Resumed" in ok("deployments", "resume", "etl/nightly").stdout
    assert not json.loads(ok("deployments", "show", "etl/nightly", "--json").stdout)["paused"]
    declined = invoke("deployments", "delete", "etl/nightly", input="n\n")
    assert declined.exit_code == 1
    ok("deployments", "show", "etl/nightly")
    assert "Deleted" in ok("deployments", "delete", "etl/nightly", "--yes").stdout
    error_line(invoke("deployments", "show", "etl/nightly"))
    assert [d["full_name"] for d in json.loads(ok("deployments", "ls", "--json").stdout)] == [
        "etl-report/adhoc"
    ]


def test_run_watch_follows_the_run_to_its_end(project: Path, cadenza_home: Path) -> None:
    created = threading.Event()

    def finish() -> None:
        conn = sqlite3.connect(cadenza_home / "cadenza.db", timeout=10)
        deadline = time.time() + 10
        row = None
        while row is None and time.time() < deadline:
            sql = "SELECT id FROM flow_runs WHERE deployment_id IS NOT NULL"
            row = conn.execute(sql).fetchone()
            time.sleep(0.02)
        created.set()
        for state_type, name in (("RUNNING", "Running"), ("COMPLETED", "Completed")):
            time.sleep(0.3)
            conn.execute("UPDATE flow_runs SET state_type = ?, state_name = ? WHERE id = ?",
                         (state_type, name, row[0]))  # fmt: skip
            conn.commit()
        conn.close()

    thread = threading.Thread(target=finish)
    thread.start()
    result = invoke("deployments", "run", "etl/nightly", "--watch", "--poll-interval", "0.05")
    thread.join()
    assert created.is_set()
    assert result.exit_code == 0, (result.stdout, result.stderr)
    lines = result.stdout
    assert lines.index("Scheduled") < lines.index("Running") < lines.index("Completed")


def test_parse_param_and_summaries() -> None:
    assert parse_param("n=5") == ("n", 5)
    assert parse_param("who=bob") == ("who", "bob")
    assert parse_param('x={"a": [1]}') == ("x", {"a": [1]})
    assert parse_param("s=") == ("s", "")
    assert schedule_summary({"schedule": {"interval": 60.0}, "active": True}) == "every 60s"
    assert schedule_summary({"schedule": {"interval": 7200.0}, "active": False}) == (
        "every 2h (inactive)"
    )


# -- on a server --------------------------------------------------------------------------------


@pytest.mark.integration
def test_deploy_ls_show_run_on_a_server(
    sqlite_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cadenza.settings import spec

    monkeypatch.setenv("CADENZA_API_URL", sqlite_server.url)
    spec.reset_cache()
    flow = f"etl-{uuid.uuid4().hex[:8]}"
    path = write_project(tmp_path / "proj", flow=flow)
    ok("deploy", "--all", "-f", str(path))
    listed = json.loads(ok("deployments", "ls", "--flow", flow, "--json").stdout)
    assert [d["full_name"] for d in listed] == [f"{flow}/nightly"]
    run = json.loads(ok("deployments", "run", f"{flow}/nightly", "--param", "n=5", "--json").stdout)
    assert run["state_type"] == "SCHEDULED" and run["parameters"] == {"n": 5}
    line = error_line(invoke("deployments", "run", f"{flow}/nightly", "--param", "bogus=1"), 2)
    assert "bogus" in line
    shown = json.loads(ok("deployments", "show", f"{flow}/nightly", "--json").stdout)
    assert run["id"] in [r["id"] for r in shown["upcoming_runs"]]
    runs = json.loads(ok("runs", "ls", "--deployment", f"{flow}/nightly", "--json").stdout)
    assert run["id"] in [r["id"] for r in runs]
    assert all(r["deployment_id"] == shown["id"] for r in runs)
    assert "ghost" in error_line(invoke("deployments", "show", f"{flow}/ghost"))
    assert "ghost" in error_line(invoke("runs", "ls", "--deployment", f"{flow}/ghost"))
    ok("deployments", "pause", f"{flow}/nightly")
    ok("deployments", "delete", f"{flow}/nightly", "--yes")
    assert json.loads(ok("deployments", "ls", "--flow", flow, "--json").stdout) == []


def shared_prefix(ids: list[str]) -> str:
    """The characters every one of `ids` starts with."""
    for i, chars in enumerate(zip(*ids, strict=False)):
        if len(set(chars)) > 1:
            return ids[0][:i]
    return min(ids, key=len)
