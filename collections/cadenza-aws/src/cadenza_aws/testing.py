"""A real AWS emulator for tests: moto's server, started as its own process on 127.0.0.1.

Used by cadenza-aws's own tests and by any other test suite that needs S3 or Secrets Manager
(a cross-collection example flow, say)::

    from cadenza_aws.testing import start_moto_server

    with start_moto_server() as moto:
        credentials = moto.credentials()          # an AwsCredentials pointing at it
        S3Bucket(bucket_name="results", credentials=credentials).create_bucket()
        ...

The server is ``moto_server -H 127.0.0.1 -p PORT`` (from ``pip install "moto[server]"``) on a free
port, run by the core kit's `cadenza.testing.services.ServiceProcess`: it is ready when
``/moto-api/`` answers, and `MotoServer.stop` ends it by its PID. moto accepts any credentials
until IAM authentication is switched on with `MotoServer.enable_iam_auth`, which returns the keys
of an administrator user it creates; from then on a wrong secret key is refused with
``SignatureDoesNotMatch`` as AWS would.

This module imports only the standard library (and that kit module); the helpers that build
boto3 clients or blocks import them when called.
"""

from __future__ import annotations

import json
import os
import sys  # noqa: F401  (tests patch `testing.sys.executable` to hide moto_server)
import urllib.request
from typing import TYPE_CHECKING, Any

from cadenza.testing.services import (
    ServiceProcess,
    find_executable,
    free_port,
    missing_executable_message,
)

if TYPE_CHECKING:
    from cadenza_aws.credentials import AwsCredentials

INSTALL = '`pip install "moto[server]"` (or `pip install "cadenza-aws[test]"`)'
MISSING = missing_executable_message("moto_server", INSTALL)

#: Keys moto accepts while IAM authentication is off (any would do).
TEST_ACCESS_KEY_ID = "testing"
TEST_SECRET_ACCESS_KEY = "testing-secret-access-key"
TEST_REGION = "us-east-1"

_ADMIN_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def moto_server_command() -> list[str]:
    """The command starting moto's server: ``moto_server`` next to this Python, else on PATH."""
    return [find_executable("moto_server", INSTALL)]


class MotoServer(ServiceProcess):
    """A ``moto_server`` process (`cadenza.testing.services.ServiceProcess`): `start` it, or
    use `start_moto_server`; a context manager that stops it on exit."""

    def __init__(self, port: int | None = None, timeout: float = 30.0) -> None:
        super().__init__(
            ["moto_server", "-H", "{host}", "-p", "{port}"],
            ready="{url}/moto-api/",
            port=port,
            timeout=timeout,
            # the server's own AWS settings would leak into what it emulates
            env={k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
            install=INSTALL,
        )

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:PORT``: the endpoint of every emulated service."""
        return self.url

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


def start_moto_server(port: int | None = None, timeout: float = 30.0) -> MotoServer:
    """Start ``moto_server`` on 127.0.0.1 (a free port unless given) and wait until it answers.

    Raises `RuntimeError` naming what to install if ``moto_server`` is missing, if ``port`` is
    in use, or with the server's output if it exits or does not answer within ``timeout``
    seconds.
    """
    return MotoServer(port=port, timeout=timeout).start()


__all__ = [
    "INSTALL",
    "MISSING",
    "TEST_ACCESS_KEY_ID",
    "TEST_REGION",
    "TEST_SECRET_ACCESS_KEY",
    "MotoServer",
    "free_port",
    "moto_server_command",
    "start_moto_server",
]
