"""Fixtures for cadenza-gcp's tests: an isolated cadenza record per test (from the
`cadenza.testing` pytest plugin) and one real Cloud Storage emulator per session.

The emulator is `gcp-storage-emulator`, started by `cadenza_gcp.testing.start_gcs_emulator` as a
separate process on 127.0.0.1 on a free port, in memory, and stopped by its PID at the end of
the session. Each test that needs a bucket gets a fresh one (`gcs_bucket`), so tests do not see
each other's objects.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cadenza_gcp.testing import GcsEmulator, start_gcs_emulator


@pytest.fixture(autouse=True)
def isolated_home(cadenza_isolated_home: Path) -> Path:
    """Every test gets its own cadenza record (the `cadenza.testing` kit's fixture)."""
    return cadenza_isolated_home


@pytest.fixture
def record(cadenza_record: Any) -> Any:
    """Query the record after a flush: ``record("SELECT ...", *params)``."""
    return cadenza_record


@pytest.fixture(scope="session")
def gcs_emulator() -> Iterator[GcsEmulator]:
    """The session's emulator; fails (naming the package to install) if it is missing."""
    try:
        emulator = start_gcs_emulator()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield emulator
    emulator.stop()


@pytest.fixture
def bucket_name(gcs_emulator: GcsEmulator) -> str:
    """A new, empty bucket in the emulator."""
    return gcs_emulator.create_bucket(f"test-{uuid.uuid4().hex[:16]}")


@pytest.fixture
def gcp_credentials(gcs_emulator: GcsEmulator) -> Any:
    """Anonymous credentials pointed at the emulator."""
    return gcs_emulator.credentials()


@pytest.fixture
def gcs_bucket(gcs_emulator: GcsEmulator, bucket_name: str) -> Any:
    """A `GcsBucket` block on a fresh bucket, with a folder (keys live under ``data/``)."""
    return gcs_emulator.bucket(bucket_name, bucket_folder="data")


@pytest.fixture(scope="session")
def private_key_pem() -> str:
    """A freshly generated RSA private key (PKCS#8 PEM): well-formed, and valid nowhere."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


@pytest.fixture
def service_account_info(private_key_pem: str, gcs_emulator: GcsEmulator) -> dict[str, str]:
    """A well-formed service account key whose token endpoint is the emulator, which refuses
    it at once (no request leaves 127.0.0.1, and nothing waits on a network timeout)."""
    return {
        "type": "service_account",
        # leaf values of a saved key are masked in every later log line of the process: keep
        # them distinct from words the tests look for in logs (like the "test" project)
        "project_id": "fake-sa-project",
        "private_key_id": "0123456789abcdef0123456789abcdef01234567",
        "private_key": private_key_pem,
        "client_email": "etl-runner@test.iam.gserviceaccount.com",
        "client_id": "100000000000000000001",
        "token_uri": f"{gcs_emulator.endpoint}/token",
    }


def key_fragments(pem: str) -> list[str]:
    """The PEM's body lines: any of them in an output means the key leaked."""
    return [line for line in pem.strip().splitlines() if not line.startswith("-----")]


@pytest.fixture
def leaked(private_key_pem: str):
    """``leaked(text)``: the key material found in ``text`` (empty when nothing leaked)."""

    def find(text: str) -> list[str]:
        fragments = [pem for pem in (private_key_pem,) if pem in text]
        fragments += [line for line in key_fragments(private_key_pem) if line in text]
        return fragments

    return find
