"""A failing flow prints its traceback once, with the user's frames (cadenza.logging.tracebacks).

Prefect 3.9.1 prints the same traceback three times for a script whose task raises: in the task
run's ERROR line, in the flow run's, and as the uncaught exception; each with Prefect's engine
frames (task_engine.py, flow_engine.py, utilities/callables). Cadenza prints it once.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SCRIPT = textwrap.dedent(
    """
    from cadenza import flow, task

    @task
    def inner(x):
        return 1 / x

    @flow
    def main(x: int = 0):
        return inner(x)

    if __name__ == "__main__":
        main()
    """
)


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "failing.py"
    script.write_text(SCRIPT)
    environ = {**os.environ, "CADENZA_LOGGING_CONSOLE": "true", **env}
    environ.pop("CADENZA_API_URL", None)
    return subprocess.run(
        [sys.executable, *args], cwd=tmp_path, capture_output=True, text=True, timeout=60,
        env=environ,
    )  # fmt: skip


@pytest.mark.parametrize("how", ["script", "cadenza run"])
def test_the_traceback_is_printed_once_with_the_users_frames(tmp_path: Path, how: str) -> None:
    args = (
        ["failing.py"] if how == "script" else ["-m", "cadenza.cli.main", "run", "failing.py:main"]
    )
    proc = run(tmp_path, *args)
    assert proc.returncode == 1
    err = proc.stderr
    assert err.count("Traceback (most recent call last)") == 1, err
    assert err.count("ZeroDivisionError: division by zero\n") == 1, err
    assert 'failing.py", line 10, in main' in err  # the flow that called the task
    assert 'failing.py", line 6, in inner' in err  # the failing line
    assert "cadenza" + os.sep not in err.split("Traceback")[1].split("ZeroDivisionError")[0]
    # the flow run's line about the same exception refers to it, without a second traceback
    assert "Encountered exception during execution: ZeroDivisionError('division by zero')" in err
    if how == "script":
        assert 'failing.py", line 13, in <module>' in err  # where the script called the flow
        assert err.rstrip().endswith("ZeroDivisionError: division by zero (traceback above)")


def test_full_shows_cadenzas_frames(tmp_path: Path) -> None:
    proc = run(tmp_path, "failing.py", CADENZA_LOGGING_TRACEBACK="full")
    err = proc.stderr
    assert err.count("Traceback (most recent call last)") == 1, err
    assert os.path.join("cadenza", "engine", "drivers.py") in err
    assert os.path.join("cadenza", "flows.py") in err


def test_the_record_keeps_the_users_frames(tmp_path: Path) -> None:
    home = tmp_path / "home"
    proc = run(tmp_path, "failing.py", CADENZA_HOME=str(home))
    assert proc.returncode == 1
    logs = subprocess.run(
        [sys.executable, "-m", "cadenza.cli.main", "runs", "ls", "--json"],
        capture_output=True, text=True, env={**os.environ, "CADENZA_HOME": str(home)}, timeout=60,
    )  # fmt: skip
    import json

    run_id = json.loads(logs.stdout)[0]["id"]
    shown = subprocess.run(
        [sys.executable, "-m", "cadenza.cli.main", "runs", "logs", run_id],
        capture_output=True, text=True, env={**os.environ, "CADENZA_HOME": str(home)}, timeout=60,
    ).stdout  # fmt: skip
    assert 'failing.py", line 6, in inner' in shown
    assert os.path.join("cadenza", "engine") not in shown


def test_another_exception_prints_as_python_prints_it(tmp_path: Path) -> None:
    script = tmp_path / "caught.py"
    code = SCRIPT.replace("    main()", "    main(1)\n    raise KeyError('mine')")
    script.write_text(code)
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60,
        env={**os.environ, "CADENZA_LOGGING_CONSOLE": "true"},
    )  # fmt: skip
    assert "KeyError: 'mine'" in proc.stderr
    assert 'caught.py", line 14, in <module>' in proc.stderr
    assert "traceback above" not in proc.stderr
