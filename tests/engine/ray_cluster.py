"""One real local Ray cluster (2 CPUs) for the engine tests that run on every task runner:
started on first use, stopped after each test module (tests/engine/conftest.py).

Ray's workers import the tasks of these modules by name, so they get this directory on their
``PYTHONPATH``. `RayTaskRunner` is None where the cadenza-ray plugin is not installed (the core
alone)."""

from __future__ import annotations

import os
from pathlib import Path

try:
    from cadenza_ray import RayTaskRunner
except ImportError:  # the core alone
    RayTaskRunner = None

HERE = Path(__file__).resolve().parent

_address: str | None = None


def address() -> str:
    global _address
    if _address is None:
        import ray

        environment = {
            "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])),
            "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",  # listeners on 127.0.0.1 only
            "RAY_USAGE_STATS_ENABLED": "0",
        }
        saved = {name: os.environ.get(name) for name in environment}
        os.environ.update(environment)  # the raylet starts now, and passes it on to the workers
        try:
            context = ray.init(
                address="local", num_cpus=2, include_dashboard=False, log_to_driver=False
            )
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        _address = context.address_info["gcs_address"]
    return _address


def runner() -> object:
    return RayTaskRunner(address=address())


def stop() -> None:
    global _address
    if _address is not None:
        import ray

        ray.shutdown()
        _address = None
