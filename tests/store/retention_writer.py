"""A flow that keeps logging until told to stop, timing each flush of its backend: the writer
the retention load tests run beside a delete of a million log lines.

``python retention_writer.py OUT STOP``: logs lines in bursts of 20, flushing after each, until
the file STOP exists; writes ``{"run", "state", "lines", "flushes": [[wall start, seconds]]}``
to OUT. OUT + ".started" appears once the first burst is recorded.
"""

from __future__ import annotations

import json
import os
import sys
import time

from cadenza import flow, get_run_logger
from cadenza.backends import get_backend

OUT, STOP = sys.argv[1], sys.argv[2]


@flow
def writer() -> tuple[int, list[tuple[float, float]]]:
    log = get_run_logger()
    backend = get_backend()
    lines, flushes = 0, []
    while not os.path.exists(STOP):
        for _ in range(20):
            log.info("line %d", lines)
            lines += 1
        started = time.time()
        backend.flush()
        flushes.append((started, time.time() - started))
        if len(flushes) == 1:
            open(OUT + ".started", "w").close()
        time.sleep(0.01)
    return lines, flushes


state = writer(return_state=True)
get_backend().flush()
lines, flushes = state.result() if state.is_completed() else (0, [])
with open(OUT, "w") as out:
    json.dump({"run": state.state_details.flow_run_id, "state": state.type.value,
               "lines": lines, "flushes": flushes}, out)  # fmt: skip
