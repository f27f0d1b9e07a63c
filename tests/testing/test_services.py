"""`cadenza.testing.services`: a service process started on a free port, checked for readiness,
stopped by PID; clear errors for a missing executable, a taken port and a service that exits."""

from __future__ import annotations

import os
import socket
import sys

import pytest

from cadenza.testing.services import ServiceProcess, find_executable, free_port, is_listening

HTTP = [sys.executable, "-m", "http.server", "--bind", "{host}", "{port}"]


def test_starts_answers_and_stops_by_pid():
    with ServiceProcess(HTTP, ready="{url}/") as svc:
        assert svc.is_running() and is_listening(svc.port)
        pid = svc.pid
        log = svc.log_path
        assert "running" in repr(svc)
    assert not svc.is_running() and not log.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_predicate_and_port_readiness():
    with ServiceProcess(HTTP, ready=lambda s: is_listening(s.port)) as svc:
        assert svc.is_running()
    with ServiceProcess(HTTP) as svc:
        assert svc.is_running()


def test_missing_executable_names_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="install it with `pip install nope`"):
        ServiceProcess(["no-such-service"], install="`pip install nope`").start()
    with pytest.raises(RuntimeError, match="no-such-service"):
        find_executable("no-such-service")


def test_taken_port_is_refused():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(RuntimeError, match=f"port {port}: it is already in use"):
            ServiceProcess(HTTP, port=port).start()


def test_exit_is_retried_then_reported(tmp_path):
    counter = tmp_path / "count"
    script = tmp_path / "svc"
    script.write_text(f'#!/bin/sh\necho run >> {counter}\necho "broken: $1" >&2\nexit 3\n')
    script.chmod(0o755)
    with pytest.raises(
        RuntimeError, match=r"did not start:\nbroken: \d+\n\(it exited with status 3\)"
    ):
        ServiceProcess([str(script), "{port}"], ready="{url}/").start()
    assert counter.read_text().count("run") == 3


def test_timeout_is_not_retried(tmp_path):
    with pytest.raises(RuntimeError, match=r"not ready within 0\.5 s"):
        ServiceProcess([sys.executable, "-c", "import time; time.sleep(30)"], timeout=0.5).start()


def test_port_race_moves_to_another_port(monkeypatch):
    import cadenza.testing.services as services

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        taken = sock.getsockname()[1]
        ports = iter([taken])
        real = services.free_port
        monkeypatch.setattr(services, "free_port", lambda host: next(ports, None) or real(host))
        with ServiceProcess(HTTP, ready="{url}/") as svc:
            assert svc.port != taken


def test_free_port_is_bindable():
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
