"""What tracing with cadenza-otel adds to a task call: 5,000 sequential calls of a trivial task
in one flow, in fresh interpreters, with tracing off (the plugin installed, no ``OTEL_*``
variables) and on (spans exported over OTLP/HTTP to a sink on 127.0.0.1 that this script runs,
answering every export with 200). Prints the median per-call time of each (best of three
processes) and the difference: tracing's cost per task run, its span included. The flow's
embedded record is on in both.

    .venv/bin/python benchmarks/otel_overhead.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CALLS = 5_000
CODE = f"""
import statistics, time
from cadenza import flow, task

@task
def inc(x):
    return x + 1

@flow
def calls():
    inc(0)  # warm
    times = []
    for i in range({CALLS}):
        t = time.perf_counter(); inc(i); times.append(time.perf_counter() - t)
    return statistics.median(times)

print(calls() * 1e6)
"""


class _Sink(BaseHTTPRequestHandler):
    spans_posts = 0

    def do_POST(self) -> None:  # http.server calls it by this name
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).spans_posts += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _median_us(env: dict[str, str]) -> float:
    best = []
    for _ in range(3):
        with tempfile.TemporaryDirectory() as home:
            done = subprocess.run(
                [sys.executable, "-c", CODE], env={**env, "CADENZA_HOME": home},
                capture_output=True, text=True, check=True, timeout=600,
            )  # fmt: skip
        best.append(float(done.stdout.strip().splitlines()[-1]))
    return min(best)


def main() -> None:
    sink = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "CADENZA_OTEL"))}
    try:
        off = _median_us(base)
        on = _median_us({
            **base,
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{sink.server_address[1]}",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        })  # fmt: skip
    finally:
        sink.shutdown()
    print(f"task call, median of {CALLS:,} (best of 3 processes)")
    print(f"  tracing off  {off:8.1f} µs")
    print(f"  tracing on   {on:8.1f} µs   (+{on - off:.1f} µs per task run; "
          f"{_Sink.spans_posts} export requests received)")  # fmt: skip


if __name__ == "__main__":
    main()
