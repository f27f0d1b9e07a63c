"""Fixtures for cadenza-ray's tests: an isolated cadenza record per test (from the
`cadenza.testing` pytest plugin), one real Ray cluster.

The cluster is a real local Ray cluster that this test process starts once
(``ray.init(address="local")``: its GCS, raylet and worker processes are this process's
children) and stops after this directory's last test. It has 2 CPUs, a logical GPU and a custom
resource, so that `remote_options` can ask for each. The process stays connected to it, so
runners in tests use that connection, whether they name its ``address=`` or nothing; a test
about a runner starting its own cluster runs in a fresh interpreter.

Ray workers import the tasks of these test modules by name: they get this directory on their
``PYTHONPATH``. Their ``CADENZA_HOME`` is the session's (each test's record is the test
process's own), and they share ``CADENZA_RESULTS_SIGNING_KEY`` with the tests that persist
results (`shared_results`), as workers on other machines share a key and result storage.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parent

# Ray's usage report, sent by a cluster when it starts: not from tests
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

#: The result signing key of the session cluster's workers (32 bytes, hex).
SIGNING_KEY = "c0ffee" * 10 + "c0ffee00"

#: The session cluster's resources, besides its 2 CPUs.
GPUS = 1
CUSTOM_RESOURCE = "cadenza_test_slot"


@pytest.fixture(autouse=True)
def isolated_home(cadenza_isolated_home: Path) -> Path:
    """Every test gets its own cadenza record (the `cadenza.testing` kit's fixture)."""
    return cadenza_isolated_home


@pytest.fixture
def record(cadenza_record: Any) -> Any:
    """Query the record after a flush: ``record("SELECT ...", *params)``."""
    return cadenza_record


_started: dict[str, str] = {}  # "address": the cluster this process started, while it runs


def _start_cluster(workers_home: Path) -> str:
    import ray

    worker_env = {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")])),
        "CADENZA_HOME": str(workers_home),
        "CADENZA_RESULTS_SIGNING_KEY": SIGNING_KEY,
        # every listener on 127.0.0.1, as for a local cluster the runner starts (_cluster.py)
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
    }
    saved = {name: os.environ.get(name) for name in worker_env}
    os.environ.update(worker_env)  # the raylet starts now, and passes its environment on
    try:
        context = ray.init(
            address="local",
            num_cpus=2,
            num_gpus=GPUS,
            resources={CUSTOM_RESOURCE: 1},
            include_dashboard=False,
            namespace="cadenza-tests",
            log_to_driver=False,
        )
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    address: str = context.address_info["gcs_address"]
    return address


@pytest.fixture
def ray_address(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The GCS address ("127.0.0.1:port") of the local Ray cluster, started at the first test
    that asks for it, stopped after the last test of this directory (`pytest_runtest_teardown`)
    — so a session that runs other suites after these does not keep it."""
    if "address" not in _started:
        _started["address"] = _start_cluster(tmp_path_factory.mktemp("ray-workers-home"))
    return _started["address"]


def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Stop the cluster once the next test is not one of this directory's."""
    if "address" in _started and (nextitem is None or TESTS not in nextitem.path.parents):
        import ray

        ray.shutdown()
        _started.clear()


@pytest.fixture
def custom_resource() -> str:
    """The name of the session cluster's custom resource (it has 1)."""
    return CUSTOM_RESOURCE


@pytest.fixture
def shared_results(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A result storage directory that this process and the workers both reach, signed with
    the workers' key: pass it as ``result_storage=``."""
    monkeypatch.setenv("CADENZA_RESULTS_SIGNING_KEY", SIGNING_KEY)
    storage = tmp_path / "shared-results"
    storage.mkdir()
    return storage
