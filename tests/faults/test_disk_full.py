"""A disk that fills up during a run (issue 12, defect 10): the real cause is reported once,
nothing is reported as written that was not, and the next process finishes the record.

The record lives on a small tmpfs mounted by the test (the machine's tests run as root); a
task fills that disk, as a task writing its own data to the same disk would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from faults.killing import cli_json, truthful_embedded

pytestmark = pytest.mark.slow

SCRIPT = textwrap.dedent(
    """
    import os, sys, time
    from cadenza import flow, task, get_run_logger

    @task
    def note(i: int) -> int:
        get_run_logger().info("note %d %s", i, "x" * 200)
        return i

    @task
    def fill(path: str) -> int:
        written = 0
        try:  # until the disk is full (it may be already: the record's WAL grows too)
            with open(path, "wb") as f:
                while True:
                    f.write(b"\\0" * 65536)
                    f.flush()
                    written += 65536
        except OSError:
            pass
        return written

    @flow(flow_run_name="fills-the-disk")
    def fills(filler: str) -> int:
        for i in range(20):
            note(i)
        time.sleep(0.5)  # the writer records these before the disk fills
        fill(filler)
        return sum(note(i) for i in range(200))

    print("RESULT", fills(sys.argv[1]), flush=True)
    """
)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "small-disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_is_reported_once_and_the_next_process_finishes_the_record(
    small_disk: Path, tmp_path: Path
) -> None:
    home = small_disk / "home"
    env = {"CADENZA_HOME": str(home), "CADENZA_LOGGING_CONSOLE": "false"}
    script = tmp_path / "fills.py"
    script.write_text(SCRIPT)
    filler = small_disk / "filler.bin"
    proc = subprocess.run(
        [sys.executable, str(script), str(filler)],
        capture_output=True, text=True, timeout=120, env={**os.environ, **env},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "RESULT" in proc.stdout
    err = proc.stderr
    assert err.count("cannot write the run record") == 1, err
    assert "full" in err, err
    assert "cannot rollback" not in err, err
    assert "Traceback" not in err, err
    assert "could not be written to the run record" in err, err

    filler.unlink(missing_ok=True)  # the operator frees the disk
    # the next process finishes the record
    (run,) = truthful_embedded(home, env)
    assert run["name"] == "fills-the-disk"
    assert run["state"]["type"] == "CRASHED"
    shown = cli_json("runs", "show", run["id"], env=env)
    done = [t for t in shown["task_runs"] if t["state"]["type"] == "COMPLETED"]
    assert len(done) >= 20  # what was written before the disk filled is kept
    assert shutil.disk_usage(small_disk).free > 0
