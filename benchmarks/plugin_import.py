"""The import time of every installed collection's plugin module: what each adds to every
`cadenza` start that loads plugins. Each is imported in fresh interpreters after cadenza and its
`hookimpl` (as `cadenza.testing.PluginModuleConformance` measures it, against its 100 ms budget);
prints the best and median CPU time of five.

    .venv/bin/python benchmarks/plugin_import.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from importlib.metadata import entry_points

CODE = """
import time, cadenza
from cadenza import hookimpl
t = time.process_time(); import {module}; print((time.process_time() - t) * 1000)
"""


def main() -> None:
    plugins = sorted(entry_points(group="cadenza"), key=lambda e: e.name)
    for ep in plugins:
        dist = ep.dist.name if ep.dist is not None else "?"
        runs = []
        for _ in range(5):
            proc = subprocess.run([sys.executable, "-c", CODE.format(module=ep.value)],
                                  capture_output=True, text=True, check=True)  # fmt: skip
            runs.append(float(proc.stdout))
        print(f"{dist:16} {ep.value:24} best {min(runs):6.2f} ms  "
              f"median {statistics.median(runs):6.2f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
