"""`cadenza_aws.testing`: the moto server other test suites start through this package."""

from __future__ import annotations

import os
import urllib.request

import pytest

from cadenza_aws import testing
from cadenza_aws.testing import MotoServer, start_moto_server

# starts and stops moto servers
pytestmark = pytest.mark.integration


def test_start_answer_reset_and_stop_by_pid():
    with start_moto_server() as server:
        assert server.endpoint_url == f"http://127.0.0.1:{server.port}"
        with urllib.request.urlopen(server.endpoint_url + "/moto-api/", timeout=5) as response:
            assert response.status == 200
        server.create_bucket("reset-me")
        server.reset()
        assert server.client("s3").list_buckets()["Buckets"] == []
        pid = server.pid
        assert "running" in repr(server)
    assert not server.is_running()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not server.log_path.exists()


def test_credentials_helper_builds_a_working_block(moto_server: MotoServer, bucket_name: str):
    credentials = moto_server.credentials()
    assert credentials.endpoint_url == moto_server.endpoint_url
    assert credentials.region_name == testing.TEST_REGION
    credentials.get_s3_client().head_bucket(Bucket=bucket_name)


def test_a_missing_moto_server_names_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path):
    monkeypatch.setattr(testing.sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match=r'pip install "moto\[server\]"'):
        start_moto_server()


def test_a_taken_port_is_refused(moto_server: MotoServer):
    with pytest.raises(RuntimeError, match=f"port {moto_server.port}: it is already in use"):
        start_moto_server(port=moto_server.port)


def test_a_server_that_exits_reports_its_output(tmp_path, monkeypatch: pytest.MonkeyPatch):
    fake = tmp_path / "moto_server"
    fake.write_text("#!/bin/sh\necho 'cannot start: broken install' >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setattr(testing.sys, "executable", str(tmp_path / "python"))
    with pytest.raises(RuntimeError, match=r"did not start:\n.*broken install"):
        start_moto_server(timeout=10)
