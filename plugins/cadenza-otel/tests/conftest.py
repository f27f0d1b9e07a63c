"""Fixtures for cadenza-otel's tests: a real OTLP/HTTP receiver, and flow scripts run in fresh
interpreters that export to it.

The receiver is what a collector is to the exporter: an HTTP server on 127.0.0.1 that accepts
``POST /v1/traces`` and ``POST /v1/logs`` (protobuf, gzip or not), decodes each request with
opentelemetry-proto and answers as a collector does. Tests read the decoded spans and log
records, and the raw bodies (to check that a value appears nowhere).
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2


def _value(any_value: Any) -> Any:
    kind = any_value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return tuple(_value(v) for v in any_value.array_value.values)
    if kind == "kvlist_value":
        return {kv.key: _value(kv.value) for kv in any_value.kvlist_value.values}
    return getattr(any_value, kind)


def _attributes(pairs: Any) -> dict[str, Any]:
    return {kv.key: _value(kv.value) for kv in pairs}


@dataclass
class Span:
    """A span as the receiver decoded it."""

    name: str
    trace_id: str
    span_id: str
    parent_span_id: str
    attributes: dict[str, Any]
    events: list[tuple[str, dict[str, Any]]]
    status_code: int  # 0 unset, 1 ok, 2 error
    status_message: str
    start: int
    end: int
    resource: dict[str, Any]


@dataclass
class LogRecord:
    body: Any
    severity_number: int
    trace_id: str
    span_id: str
    attributes: dict[str, Any]


@dataclass
class Receiver:
    """What the receiver got: decoded spans and log records, and every raw body."""

    url: str
    spans: list[Span] = field(default_factory=list)
    logs: list[LogRecord] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, request: str, body: bytes) -> bool:
        with self.lock:
            self.bodies.append(body)
            if request == "/v1/traces":
                message = trace_service_pb2.ExportTraceServiceRequest.FromString(body)
                for resource_spans in message.resource_spans:
                    resource = _attributes(resource_spans.resource.attributes)
                    for scope in resource_spans.scope_spans:
                        for s in scope.spans:
                            self.spans.append(Span(
                                s.name, s.trace_id.hex(), s.span_id.hex(), s.parent_span_id.hex(),
                                _attributes(s.attributes),
                                [(e.name, _attributes(e.attributes)) for e in s.events],
                                s.status.code, s.status.message, s.start_time_unix_nano,
                                s.end_time_unix_nano, resource,
                            ))  # fmt: skip
                return True
            if request == "/v1/logs":
                message = logs_service_pb2.ExportLogsServiceRequest.FromString(body)
                for resource_logs in message.resource_logs:
                    for scope in resource_logs.scope_logs:
                        for r in scope.log_records:
                            self.logs.append(LogRecord(
                                _value(r.body), r.severity_number, r.trace_id.hex(),
                                r.span_id.hex(), _attributes(r.attributes),
                            ))  # fmt: skip
                return True
        return False

    def named(self, name: str) -> list[Span]:
        return [s for s in self.spans if s.name == name]

    def one(self, name: str) -> Span:
        found = self.named(name)
        assert len(found) == 1, f"{len(found)} spans named {name!r}: {[s.name for s in self.spans]}"
        return found[0]

    def raw(self) -> bytes:
        return b"".join(self.bodies)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """An OTLP/HTTP receiver on a free port of 127.0.0.1, stopped after the test."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            if self.headers.get("Content-Type") != "application/x-protobuf":
                self.send_error(415, "protobuf only")
                return
            if not got.take(self.path, body):
                self.send_error(404)
                return
            answer = (
                trace_service_pb2.ExportTraceServiceResponse()
                if self.path == "/v1/traces"
                else logs_service_pb2.ExportLogsServiceResponse()
            ).SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    got = Receiver(f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield got
    server.shutdown()
    server.server_close()


@pytest.fixture
def otel_env(receiver: Receiver, tmp_path: Path) -> dict[str, str]:
    """The environment of a traced process: exports to `receiver`, its own cadenza home."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OTEL_", "CADENZA_", "TRACEPARENT", "TRACESTATE"))}  # fmt: skip
    env.update({
        "CADENZA_HOME": str(tmp_path / "home"),
        "CADENZA_LOGGING_CONSOLE": "false",
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url,
        "OTEL_SERVICE_NAME": "cadenza-otel-tests",
        "OTEL_BSP_SCHEDULE_DELAY": "200",
        "PYTHONUNBUFFERED": "1",
    })  # fmt: skip
    return env


@pytest.fixture
def run_script(tmp_path: Path, otel_env: dict[str, str]) -> Callable[..., str]:
    """``run_script(code, **env)``: run `code` (dedented) as a script in a fresh interpreter with
    `otel_env` (plus `env`), in `tmp_path`; fail with its output unless it exits 0."""

    def run(code: str, **env: str) -> str:
        script = tmp_path / "script.py"
        script.write_text(textwrap.dedent(code))
        out = subprocess.run(
            [sys.executable, str(script)], cwd=tmp_path, env={**otel_env, **env},
            capture_output=True, text=True, timeout=240,
        )  # fmt: skip
        assert out.returncode == 0, out.stdout + out.stderr
        return out.stdout

    return run
