"""A real AWS emulator for tests: moto's server, started as its own process on 127.0.0.1.

Used by cadenza-aws's own tests and by any other test suite that needs S3 or Secrets Manager
(a cross-collection example flow, say)::

    from cadenza_aws.testing import start_moto_server

    with start_moto_server() as moto:
        credentials = moto.credentials()          # an AwsCredentials pointing at it
        S3Bucket(bucket_name="results", credentials=credentials).create_bucket()
        ...

The server is ``moto_server -H 127.0.0.1 -p PORT`` (from ``pip install "moto[server]"``) on a free
port; it is ready when ``/moto-api/`` answers, and `MotoServer.stop` ends it by its PID. moto
accepts any credentials until IAM authentication is switched on with `MotoServer.enable_iam_auth`,
which returns the keys of an administrator user it creates; from then on a wrong secret key is
refused with ``SignatureDoesNotMatch`` as AWS would.

This module imports only the standard library; the helpers that build boto3 clients or blocks
import them when called.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cadenza_aws.credentials import AwsCredentials

MISSING = (
    "moto's server (the `moto_server` command) was not found: install it with "
    '`pip install "moto[server]"` (or `pip install "cadenza-aws[test]"`)'
)

#: Keys moto accepts while IAM authentication is off (any would do).
TEST_ACCESS_KEY_ID = "testing"
TEST_SECRET_ACCESS_KEY = "testing-secret-access-key"
TEST_REGION = "us-east-1"

_ADMIN_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def moto_server_command() -> list[str]:
    """The command starting moto's server: ``moto_server`` next to this Python, else on PATH."""
    beside = Path(sys.executable).with_name("moto_server")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("moto_server")
    if found is None:
        raise RuntimeError(MISSING)
    return [found]


class MotoServer:
    """A running ``moto_server`` process; a context manager that stops it on exit."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
        self.process = process
        self.port = port
        self.host = "127.0.0.1"
        self.log_path = log_path

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:PORT``: the endpoint of every emulated service."""
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def is_running(self) -> bool:
        return self.process.poll() is None

    # -- clients and credentials -------------------------------------------------------------------
    def credentials(
        self,
        aws_access_key_id: str = TEST_ACCESS_KEY_ID,
        aws_secret_access_key: str = TEST_SECRET_ACCESS_KEY,
        **fields: Any,
    ) -> AwsCredentials:
        """An `AwsCredentials` block for this server (``endpoint_url`` and region set)."""
        from cadenza_aws.credentials import AwsCredentials

        fields.setdefault("region_name", TEST_REGION)
        return AwsCredentials(
            aws_access_key_id=aws_access_key_id,
            aws_secret_access_key=aws_secret_access_key,
            endpoint_url=self.endpoint_url,
            **fields,
        )

    def client(self, service: str, **kwargs: Any) -> Any:
        """A plain boto3 client for ``service`` on this server (test keys unless given)."""
        import boto3

        kwargs.setdefault("aws_access_key_id", TEST_ACCESS_KEY_ID)
        kwargs.setdefault("aws_secret_access_key", TEST_SECRET_ACCESS_KEY)
        kwargs.setdefault("region_name", TEST_REGION)
        return boto3.client(service, endpoint_url=self.endpoint_url, **kwargs)

    def create_bucket(self, name: str) -> str:
        """Create the S3 bucket ``name`` (3+ lowercase characters); returns the name."""
        self.client("s3").create_bucket(Bucket=name)
        return name

    # -- authentication ----------------------------------------------------------------------------
    def enable_iam_auth(self, user_name: str = "cadenza-admin") -> tuple[str, str]:
        """Create an IAM user allowed everything, then make moto check every request's
        signature against IAM (``/moto-api/reset-auth``). Returns the user's ``(access key id,
        secret access key)``: requests signed with anything else are refused from now on."""
        iam = self.client("iam")
        iam.create_user(UserName=user_name)
        iam.put_user_policy(
            UserName=user_name, PolicyName="admin", PolicyDocument=json.dumps(_ADMIN_POLICY)
        )
        key = iam.create_access_key(UserName=user_name)["AccessKey"]
        self._post("/moto-api/reset-auth", b"0")
        return key["AccessKeyId"], key["SecretAccessKey"]

    def reset(self) -> None:
        """Forget every bucket, secret and user (``/moto-api/reset``)."""
        self._post("/moto-api/reset", b"")

    def _post(self, path: str, data: bytes) -> None:
        request = urllib.request.Request(
            self.endpoint_url + path,
            data=data,
            method="POST",
            # not urllib's default form type: moto reads the raw body of reset-auth
            headers={"Content-Type": "text/plain"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    # -- lifecycle ---------------------------------------------------------------------------------
    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server by its PID (SIGTERM, then SIGKILL) and remove its log."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        try:
            self.log_path.unlink()
        except FileNotFoundError:
            pass

    def __enter__(self) -> MotoServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.is_running() else "stopped"
        return f"MotoServer(endpoint_url={self.endpoint_url!r}, pid={self.pid}, {state})"


def start_moto_server(port: int | None = None, timeout: float = 30.0) -> MotoServer:
    """Start ``moto_server`` on 127.0.0.1 (a free port unless given) and wait until it answers.

    Raises `RuntimeError` naming what to install if ``moto_server`` is missing, or with the
    server's output if it exits or does not answer within ``timeout`` seconds.
    """
    command = moto_server_command()
    port = free_port() if port is None else port
    if _listening(port):  # else the readiness check would find the other server
        raise RuntimeError(f"moto_server cannot start on port {port}: it is already in use")
    fd, log_name = tempfile.mkstemp(prefix="cadenza-moto-", suffix=".log")
    log_path = Path(log_name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    with os.fdopen(fd, "wb") as log:
        process = subprocess.Popen(
            [*command, "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )
    server = MotoServer(process, port, log_path)
    try:
        _wait_until_ready(server, timeout)
    except BaseException:
        output = log_path.read_text(errors="replace")[-2000:] if log_path.exists() else ""
        server.stop()
        raise RuntimeError(f"moto_server on port {port} did not start:\n{output}") from None
    return server


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _wait_until_ready(server: MotoServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    url = server.endpoint_url + "/moto-api/"
    while True:
        if not server.is_running():
            raise RuntimeError(f"moto_server exited with status {server.process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not answer within {timeout} s")
        time.sleep(0.05)


__all__ = [
    "MISSING",
    "TEST_ACCESS_KEY_ID",
    "TEST_REGION",
    "TEST_SECRET_ACCESS_KEY",
    "MotoServer",
    "free_port",
    "moto_server_command",
    "start_moto_server",
]
