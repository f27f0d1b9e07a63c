"""The README's example flow runs, against the session's moto server (the docs stay true)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parents[1] / "README.md"


def _example_source() -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    (example,) = [b for b in blocks if "def nightly" in b]
    return example


def test_every_python_block_of_the_readme_compiles():
    for number, block in enumerate(re.findall(r"```python\n(.*?)```", README.read_text(), re.S)):
        compile(block, f"README.md python block {number}", "exec")


def test_the_example_flow_runs(moto_server: Any, record: Any):
    from cadenza_aws import AwsSecret, S3Bucket

    namespace: dict[str, Any] = {"__name__": "readme_example"}  # not __main__: no own server
    exec(compile(_example_source(), str(README), "exec"), namespace)

    credentials = moto_server.credentials()
    moto_server.create_bucket("acme-data")
    S3Bucket(bucket_name="acme-data", bucket_folder="results", credentials=credentials).save(
        "results"
    )
    secret = AwsSecret(secret_name="api-token", aws_credentials=credentials)
    secret.save("api-token")
    secret.write_secret("tok-123456")

    assert namespace["nightly"]("acme-data") == ["raw/today.txt", "results/clean/today.txt"]
    messages = " ".join(m for (m,) in record("SELECT message FROM logs"))
    assert "tok-123456" not in messages
