"""Observer plugins see every run of a plain flow script; other plugins cost it nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

OBSERVER = """
    from cadenza import hookimpl

    @hookimpl
    def on_flow_run_state(flow_run, old_state, new_state):
        with open({log!r}, "a") as f:
            f.write(f"flow {{flow_run.name}} {{new_state.name}}\\n")

    @hookimpl
    def on_task_run_state(task_run, new_state):
        with open({log!r}, "a") as f:
            f.write(f"task {{task_run.name}} {{new_state.name}}\\n")
"""

QUIET = """
    from cadenza import hookimpl

    @hookimpl
    def register_serializers():
        return []
"""

SCRIPT = """
import sys
from cadenza import flow, task

@task
def step():
    return 1

@flow(flow_run_name="observed")
def f():
    return step()

f()
print("manager loaded:", "cadenza.plugins.manager" in sys.modules)
"""


def _site_with(tmp_path: Path, source: str) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    (site / "demo_plugin.py").write_text(textwrap.dedent(source))
    info = site / "demo_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: demo-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[cadenza]\ndemo = demo_plugin\n")
    return site


def _run(tmp_path: Path, site: Path, cadenza_home: Path, **env: str) -> str:
    script = tmp_path / "script.py"
    script.write_text(SCRIPT)
    out = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "PYTHONPATH": str(site),
            "CADENZA_HOME": str(cadenza_home),
            "CADENZA_LOGGING_CONSOLE": "false",
            **env,
        },
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_an_observer_plugin_sees_a_plain_flow_run(tmp_path, cadenza_home):
    log = tmp_path / "observed.log"
    site = _site_with(tmp_path, OBSERVER.format(log=str(log)))
    assert "manager loaded: True" in _run(tmp_path, site, cadenza_home)
    lines = log.read_text().splitlines()
    assert lines[0] == "flow observed Pending" and lines[-1] == "flow observed Completed"
    assert [
        line for line in lines if line.startswith("task")
    ] == ["task step-0 Pending", "task step-0 Running", "task step-0 Completed"]


def test_plugins_without_observers_are_not_loaded_for_a_flow(tmp_path, cadenza_home):
    site = _site_with(tmp_path, QUIET)
    assert "manager loaded: False" in _run(tmp_path, site, cadenza_home)


def test_a_denied_observer_plugin_is_not_called(tmp_path, cadenza_home):
    log = tmp_path / "observed.log"
    site = _site_with(tmp_path, OBSERVER.format(log=str(log)))
    _run(tmp_path, site, cadenza_home, CADENZA_PLUGINS_DENY="demo")
    assert not log.exists()


def test_an_observer_plugin_sees_every_transition_against_a_server(
    tmp_path, cadenza_home, sqlite_server
):
    """Flow-run transitions are decided by the server there; the one transition function
    still reports each accepted one (issue 12, defect 11)."""
    log = tmp_path / "observed.log"
    site = _site_with(tmp_path, OBSERVER.format(log=str(log)))
    _run(tmp_path, site, cadenza_home, CADENZA_API_URL=sqlite_server.url)
    lines = log.read_text().splitlines()
    assert [line for line in lines if line.startswith("flow")] == [
        "flow observed Pending",
        "flow observed Running",
        "flow observed Completed",
    ]
    assert [line for line in lines if line.startswith("task")] == [
        "task step-0 Pending",
        "task step-0 Running",
        "task step-0 Completed",
    ]
