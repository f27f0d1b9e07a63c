"""`cadenza run FILE:FLOW`: loading the file, parsing --param, exit codes."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import click
import pytest

from cadenza.cli.run import parse_params

FAKE_FLOWS = '''
class _Details:
    flow_run_id = "fake-run-id"


class _State:
    state_details = _Details()

    def __init__(self, completed, message):
        self.name = "Completed" if completed else "Failed"
        self.message = message
        self._completed = completed

    def is_completed(self):
        return self._completed


class Flow:
    """Stands in for cadenza.flows.Flow: has .fn and is callable."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, return_state=False, **kwargs):
        assert return_state is True
        ok, message = self.fn(**kwargs)
        return _State(ok, message)


def _echo(**kwargs):
    import json
    return True, json.dumps(kwargs, sort_keys=True)


echo = Flow(_echo)
failing = Flow(lambda: (False, "it broke"))
not_a_flow = 42
'''

REAL_FLOWS = """
from cadenza import flow, task


@task
def double(x):
    return 2 * x


@flow(name="etl")
def main(n: int = 2, who: str = "nobody"):
    return [double(i) for i in range(n)]


@flow
def bad():
    raise ValueError("boom")
"""


_counter = itertools.count()


@pytest.fixture
def flow_file(tmp_path: Path) -> Path:
    path = tmp_path / f"fake_flows_{next(_counter)}.py"  # a fresh module name per test
    path.write_text(FAKE_FLOWS)
    return path


def test_parse_params() -> None:
    params = parse_params(("n=5", "name=bob", "xs=[1,2]", "s=", 'q="5"', "e=a=b", "f=1.5"))
    assert params == {"n": 5, "name": "bob", "xs": [1, 2], "s": "", "q": "5", "e": "a=b", "f": 1.5}
    for bad in (("novalue",), ("=5",), ("1x=2",), ("a=1", "a=2")):
        with pytest.raises(click.BadParameter):
            parse_params(bad)


def test_runs_a_flow_with_params(invoke, flow_file: Path) -> None:
    result = invoke("run", f"{flow_file}:echo", "--param", "n=5", "-p", "who=bob", "-p", "xs=[1]")
    assert result.exit_code == 0, result.stderr
    assert "fake-run-id" in result.stdout and "Completed" in result.stdout
    assert '{"n": 5, "who": "bob", "xs": [1]}' in result.stdout


def test_failed_flow_exits_1(invoke, flow_file: Path) -> None:
    result = invoke("run", f"{flow_file}:failing")
    assert result.exit_code == 1
    assert "Failed: it broke" in result.stdout


@pytest.mark.parametrize(
    ("target", "params", "expected"),
    [
        ("{dir}/missing.py:echo", (), "no such file"),
        ("{file}:nothing", (), "has no attribute 'nothing'"),
        ("{file}:not_a_flow", (), "is a int, not a @flow"),
        ("{file}", (), "expected FILE:FLOW"),
        ("{file}:echo", ("-p", "oops"), "invalid --param"),
    ],
)
def test_usage_errors_exit_2(invoke, flow_file: Path, target, params, expected) -> None:
    target = target.format(dir=flow_file.parent, file=flow_file)
    result = invoke("run", target, *params)
    assert result.exit_code == 2, result.stdout
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], result.stderr


def test_file_that_fails_to_import_exits_2(invoke, tmp_path: Path) -> None:
    path = tmp_path / "broken_flows.py"
    path.write_text("x = 1\nraise RuntimeError('bad import')\n")
    result = invoke("run", f"{path}:main")
    assert result.exit_code == 2
    assert "line 2" in result.stderr and "RuntimeError: bad import" in result.stderr
    assert "broken_flows" not in sys.modules


def _cadenza(args: list[str], cwd: Path, home: Path) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("cadenza")
    env = {**os.environ, "CADENZA_HOME": str(home)}
    return subprocess.run(
        [str(exe), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_real_flow_end_to_end(tmp_path: Path) -> None:
    (tmp_path / "etl_flows.py").write_text(textwrap.dedent(REAL_FLOWS))
    home = tmp_path / "home"
    ok = _cadenza(["run", "etl_flows.py:main", "-p", "n=3", "-p", "who=bob"], tmp_path, home)
    assert ok.returncode == 0, ok.stderr
    assert "Completed" in ok.stdout
    bad = _cadenza(["run", "etl_flows.py:bad"], tmp_path, home)
    assert bad.returncode == 1, bad.stderr
    assert "Failed" in bad.stdout

    runs = json.loads(_cadenza(["runs", "ls", "--json"], tmp_path, home).stdout)
    assert [(r["flow_name"], r["state"]["type"]) for r in runs] == [
        ("bad", "FAILED"),
        ("etl", "COMPLETED"),
    ]
    assert runs[1]["id"] in ok.stdout and runs[0]["id"] in bad.stdout
    assert runs[1]["parameters"] == {"n": 3, "who": "bob"}
    shown = json.loads(_cadenza(["runs", "show", runs[1]["id"], "--json"], tmp_path, home).stdout)
    assert len(shown["task_runs"]) == 3
    assert [s["type"] for s in shown["states"]][-1] == "COMPLETED"
