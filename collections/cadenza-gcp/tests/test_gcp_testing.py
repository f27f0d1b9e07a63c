"""`cadenza_gcp.testing`: the emulator helper other test suites use."""

from __future__ import annotations

import os
import sys
import urllib.request

import pytest

from cadenza_gcp import testing

# starts and stops emulators
pytestmark = pytest.mark.integration


def test_start_and_stop_an_emulator_by_pid():
    with testing.start_gcs_emulator() as emulator:
        assert emulator.endpoint == f"http://127.0.0.1:{emulator.port}"
        assert emulator.is_running()
        emulator.create_bucket("helper-bucket")
        bucket = emulator.bucket("helper-bucket", "f")
        bucket.write_path("k", b"v")
        assert bucket.read_path("k") == b"v"
        pid = emulator.pid
    assert not emulator.is_running()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(OSError):
        urllib.request.urlopen(emulator.endpoint, timeout=2)


def test_emulator_credentials_are_anonymous_and_point_at_it(gcs_emulator):
    credentials = testing.emulator_credentials(gcs_emulator.endpoint, project="p")
    assert credentials.anonymous and credentials.api_endpoint == gcs_emulator.endpoint
    assert credentials.project == "p"


def test_a_missing_emulator_names_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="pip install gcp-storage-emulator"):
        testing.start_gcs_emulator()
