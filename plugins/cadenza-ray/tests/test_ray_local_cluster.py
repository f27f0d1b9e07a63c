"""A runner without an address starts a local Ray cluster and stops it — in a fresh interpreter,
since this test process stays connected to the session's cluster (Ray connects a process to one
cluster at a time)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

# a Ray cluster, in an interpreter of its own
pytestmark = pytest.mark.integration

SCRIPT = textwrap.dedent(
    """
    import json, os, sys

    import psutil
    import ray
    from cadenza import flow, task
    from cadenza_ray import RayTaskRunner

    def listening_hosts():
        hosts = set()
        me = psutil.Process()
        for proc in [me, *me.children(recursive=True)]:
            try:
                connections = proc.net_connections(kind="inet")
            except psutil.Error:
                continue
            # an IPv6 socket bound to 127.0.0.1 shows it IPv4-mapped (::ffff:127.0.0.1)
            hosts |= {c.laddr.ip.removeprefix("::ffff:") for c in connections
                      if c.status == psutil.CONN_LISTEN}
        return sorted(hosts)

    @task
    def where(x):
        return x, os.getpid()

    @flow(task_runner=RayTaskRunner(init_kwargs={"num_cpus": 2}))
    def inner():
        return where.submit(2).result()

    @flow(task_runner=RayTaskRunner(init_kwargs={"num_cpus": 2}))
    def outer():
        first = where.submit(1).result()
        context = ray.get_runtime_context()
        cluster = {
            "gcs_address": context.gcs_address,
            "namespace": context.namespace,
            "cpus": ray.cluster_resources().get("CPU"),
            "children": [p.pid for p in psutil.Process().children(recursive=True)],
        }
        nested = inner()  # its runner shares this process's connection ...
        still = where.submit(3).result()  # ... and leaving it did not stop the cluster
        return first, nested, still, cluster, listening_hosts()

    first, nested, still, cluster, hosts = outer()
    gone = [pid for pid in cluster["children"] if psutil.pid_exists(pid)
            and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]
    print(json.dumps({
        "values": [first[0], nested[0], still[0]],
        "worker_pids": [first[1], nested[1], still[1]],
        "me": os.getpid(),
        "cluster": cluster,
        "hosts": hosts,
        "initialized_after": ray.is_initialized(),
        "children_left": gone,
    }))
    """
)


def test_the_default_runner_starts_a_loopback_cluster_without_dashboard_and_stops_it(tmp_path):
    # no RAY_ADDRESS: the runner starts a cluster (conftest.py turned Ray's usage report off)
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS" and "CADENZA_" not in k}
    env["CADENZA_HOME"] = str(tmp_path / "home")
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["values"] == [1, 2, 3]
    assert out["me"] not in out["worker_pids"]
    cluster = out["cluster"]
    assert cluster["gcs_address"].startswith("127.0.0.1:")
    assert cluster["namespace"] == "cadenza"  # the runner's default, as prefect-ray's "prefect"
    assert cluster["cpus"] == 2  # init_kwargs reached ray.init
    assert cluster["children"]  # GCS, raylet, workers: this process started them ...
    assert out["hosts"] == ["127.0.0.1"]  # ... listening on loopback only, with no dashboard
    assert out["initialized_after"] is False  # the last runner out disconnected ...
    assert out["children_left"] == []  # ... and the cluster it started is gone
