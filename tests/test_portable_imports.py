"""Cadenza runs where the POSIX-only pieces of the standard library do not exist (Windows; macOS
has no ``/proc``): ``import cadenza``, an embedded flow with a task, a persisted result and log
lines, reading it back with the CLI, and a global concurrency limit on the embedded record.

Each check runs in a fresh interpreter whose prelude makes ``fcntl``, ``resource``, ``termios``,
``pwd`` and ``grp`` unimportable (``sys.modules[name] = None``) and, in the ``windows-like``
variant, also removes what Windows lacks from ``os``, ``socket`` and ``signal``
(``os.register_at_fork``, ``os.getuid``, ``os.uname``, ``socket.AF_UNIX``,
``signal.pthread_kill``, ``signal.SIGKILL``, ...) before cadenza is imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cadenza.store.owners import is_alive, pid_exists

_NO_POSIX_MODULES = """
import sys
for _name in ("fcntl", "resource", "termios", "pwd", "grp", "tty", "pty"):
    sys.modules[_name] = None  # `import fcntl` now raises ImportError
"""

_WINDOWS_LIKE = (
    _NO_POSIX_MODULES
    + """
import os, signal, socket
for _module, _names in (
    (os, ("register_at_fork", "getuid", "geteuid", "getgid", "getegid", "uname", "getpgid",
          "killpg", "fork", "forkpty", "setsid", "getppid", "getloadavg", "sched_getaffinity")),
    (socket, ("AF_UNIX",)),
    (signal, ("pthread_kill", "SIGKILL", "SIGHUP", "SIGALRM", "setitimer", "alarm")),
):
    for _name in _names:
        if hasattr(_module, _name):
            delattr(_module, _name)
"""
)

PRELUDES = {"no-posix-modules": _NO_POSIX_MODULES, "windows-like": _WINDOWS_LIKE}

_FLOW = """
from cadenza import flow, get_run_logger, task

@task(persist_result=True)
def add(x):
    get_run_logger().info("adding %s", x)
    return x + 1

@flow(persist_result=True)
def portable(x: int = 1):
    get_run_logger().info("portable flow starts")
    return add(x) * 10

print("RESULT", portable(4))
"""

_CLI = """
import sys
from cadenza.cli.main import main
sys.argv = ["cadenza", *sys.argv[1:]]
main()
"""


def _run(prelude: str, code: str, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CADENZA_HOME": str(home), "CADENZA_LOGGING_CONSOLE": "false"}
    env.pop("CADENZA_API_URL", None)
    return subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code), *args],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip


@pytest.mark.parametrize("variant", sorted(PRELUDES))
def test_the_prelude_really_hides_the_posix_modules(variant: str, tmp_path: Path) -> None:
    """Guard: the tests below would prove nothing if `fcntl` could still be imported."""
    proc = _run(PRELUDES[variant], "import fcntl", tmp_path)
    assert proc.returncode != 0
    assert "fcntl" in proc.stderr


@pytest.mark.parametrize("variant", sorted(PRELUDES))
def test_import_cadenza_needs_no_posix_only_module(variant: str, tmp_path: Path) -> None:
    code = """
    import cadenza
    from cadenza import flow, task, get_run_logger
    print("imported", cadenza.__version__)
    """
    proc = _run(PRELUDES[variant], code, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("imported ")


@pytest.mark.parametrize("variant", sorted(PRELUDES))
def test_an_embedded_flow_runs_and_is_recorded_without_posix_modules(
    variant: str, tmp_path: Path
) -> None:
    prelude = PRELUDES[variant]
    home = tmp_path / "home"
    proc = _run(prelude, _FLOW, home)
    assert proc.returncode == 0, proc.stderr
    assert "RESULT 50" in proc.stdout
    assert (home / "cadenza.db").is_file()

    # read back with the CLI, under the same prelude
    shown = _run(prelude, _CLI, home, "runs", "show", "latest", "--json")
    assert shown.returncode == 0, shown.stderr
    run = json.loads(shown.stdout)
    assert run["flow_name"] == "portable"
    assert run["state"]["type"] == "COMPLETED"
    assert [t["state"]["type"] for t in run["task_runs"]] == ["COMPLETED"]
    messages = [line["message"] for line in run["logs"]]
    assert "portable flow starts" in messages
    assert "adding 4" in messages
    task_line = next(line for line in run["logs"] if line["message"] == "adding 4")
    assert task_line["task_run_id"] == run["task_runs"][0]["id"]

    # the persisted results, read back from storage through the store API
    code = f"""
    from cadenza.results import load_run_result
    print(load_run_result({run["id"]!r}), load_run_result({run["task_runs"][0]["id"]!r}))
    """
    loaded = _run(prelude, code, home)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.split() == ["50", "5"]


def test_a_concurrency_limit_works_without_unix_sockets(tmp_path: Path) -> None:
    """Without ``socket.AF_UNIX`` waiters of the embedded record poll instead of being woken:
    a second holder still gets the slot once the first releases it."""
    code = """
    import threading, time
    from cadenza.concurrency import sync
    from cadenza.concurrency._api import slots_api

    slots_api().create("portable", 1)
    order = []
    held = threading.Event()

    def first():
        with sync.concurrency("portable", occupy=1, strict=True):
            held.set()
            time.sleep(0.5)
            order.append("first out")

    t = threading.Thread(target=first)
    t.start()
    held.wait(10)
    with sync.concurrency("portable", occupy=1, strict=True, timeout_seconds=20):
        order.append("second in")
    t.join()
    print(order)
    """
    proc = _run(_WINDOWS_LIKE, code, tmp_path / "home")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "['first out', 'second in']"


def test_liveness_of_a_pid_needs_no_proc(tmp_path: Path) -> None:
    """`pid_exists` (signal 0 on POSIX, OpenProcess on Windows) tells a live process from a
    finished one; `is_alive` without a start time (macOS, Windows) rests on it alone."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert pid_exists(os.getpid())
    assert is_alive(os.getpid(), None)
    assert not pid_exists(child.pid)
    assert not is_alive(child.pid, None)
