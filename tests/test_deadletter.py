"""`cadenza.deadletter` across processes: appends, reads and archiving hold one OS lock (the
`filelock` library on ``dead-letter.lock``), so no letter is lost, torn or archived uncounted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from cadenza.deadletter import clear_dead_letters, read_dead_letters

WRITERS = 4
LETTERS = 150

_WRITER = """
import sys
from cadenza.deadletter import quarantine
for i in range(int(sys.argv[1])):
    quarantine("embedded", "log", {"writer": sys.argv[2], "i": i, "pad": "x" * 2000}, "refused")
"""


def test_letters_written_while_they_are_archived_are_each_counted_once(tmp_path: Path) -> None:
    env = {**os.environ, "CADENZA_HOME": str(tmp_path)}
    writers = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(LETTERS), str(n)], env=env)
        for n in range(WRITERS)
    ]
    archives: dict[Path, int] = {}
    while any(w.poll() is None for w in writers):
        cleared = clear_dead_letters(tmp_path)
        if cleared is not None:
            archive, count = cleared
            assert archive not in archives
            archives[archive] = count
        time.sleep(0.01)
    assert all(w.returncode == 0 for w in writers)
    remaining = read_dead_letters(tmp_path)
    # every archive holds exactly the letters counted when it was made: none landed in it later
    for archive, count in archives.items():
        lines = archive.read_bytes().splitlines()
        assert len(lines) == count, archive
        assert all(json.loads(line)["reason"] == "refused" for line in lines)  # none torn
    assert sum(archives.values()) + len(remaining) == WRITERS * LETTERS
    assert archives, "the writers finished before any archive was made: the test proved nothing"
