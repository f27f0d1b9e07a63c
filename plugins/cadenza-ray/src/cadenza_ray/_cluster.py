"""Connecting this process to a Ray cluster, and leaving it, for `RayTaskRunner`s.

Ray connects a process (its "driver") to one cluster at a time: ``ray.init`` is process-wide. So
the runners of flow runs that overlap in one process (concurrent flows, a flow and its subflow)
share one connection: the first runner to start connects — starting a local cluster when it has
no address — each started runner holds the connection, and the last one to shut down
disconnects, which stops the local cluster it started. A connection made before by the user's
own ``ray.init`` is used as it is and never closed by a runner.

Every function imports `ray` when called, never at module import.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: ``ray.init`` options a runner sets unless given in ``init_kwargs``, whatever the cluster:
#: its own namespace (Ray's named actors and detached objects live in one), as prefect-ray does.
INIT_DEFAULTS: dict[str, Any] = {"namespace": "cadenza"}

#: Options for a local cluster the runner starts: no dashboard (it would listen on port 8265,
#: and two flows would collide on it; nothing of it is needed to run tasks).
LOCAL_DEFAULTS: dict[str, Any] = {"include_dashboard": False}

#: Ray's switch for clusters of more than this machine. Off ("0"), Ray names the node 127.0.0.1,
#: and its GCS, raylet and workers listen on 127.0.0.1 instead of every interface: a local
#: cluster the runner starts is this machine's alone, as the Dask runner's LocalCluster is. Set
#: it in the environment (``=1``) to keep Ray's choice.
LOOPBACK_SWITCH = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"

# What `ray.init` accepts as an address that is not "host:port".
_SPECIAL = ("auto", "local")

_lock = threading.Lock()
_holders = 0  # started runners holding the connection made here (0: none made here)


def init_options(address: str | None, init_kwargs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The address and keyword arguments for ``ray.init``.

    No `address`: ``RAY_ADDRESS`` when the environment sets it (Ray's own convention for "the
    cluster this machine belongs to"), else ``"local"`` — a new local cluster, never one found
    running on this machine (``"auto"`` asks for that). A local cluster gets `LOCAL_DEFAULTS`.
    """
    options = {**INIT_DEFAULTS, **init_kwargs}
    target = address or os.environ.get("RAY_ADDRESS") or "local"
    if target == "local":
        for key, value in LOCAL_DEFAULTS.items():
            options.setdefault(key, value)
    return target, options


def acquire(address: str | None, init_kwargs: dict[str, Any]) -> bool:
    """Connect this process to the runner's cluster unless it is connected already.

    Returns True when the caller now holds the connection and must `release` it; False when it
    uses a connection the user made (``ray.init`` before any runner), which stays open.
    `RuntimeError` when this process is connected to another cluster than `address` names.
    """
    import ray

    global _holders
    with _lock:
        if ray.is_initialized():
            check_same_cluster(address)
            if _holders == 0:
                return False
            _holders += 1
            return True
        target, options = init_options(address, init_kwargs)
        if target == "local" and "_node_ip_address" not in options:
            with _loopback_only():
                ray.init(address=target, **options)
        else:
            ray.init(address=target, **options)
        _holders = 1
        return True


@contextmanager
def _loopback_only() -> Iterator[None]:
    """While a local cluster starts: `LOOPBACK_SWITCH` off, unless the environment sets it.

    Ray reads the variable once, when it is imported, into
    ``ray._private.ray_constants.ENABLE_RAY_CLUSTER``: that value is switched too (if Ray still
    has it), and the variable is in the environment that the cluster's processes inherit — the
    workers they start later included. Both are as before once the block ends.
    """
    if LOOPBACK_SWITCH in os.environ:
        yield
        return
    # lazily: ray is imported by the caller already
    from ray._private import ray_constants

    before = getattr(ray_constants, "ENABLE_RAY_CLUSTER", None)
    os.environ[LOOPBACK_SWITCH] = "0"
    if before is not None:
        ray_constants.ENABLE_RAY_CLUSTER = False
    try:
        yield
    finally:
        os.environ.pop(LOOPBACK_SWITCH, None)
        if before is not None:
            ray_constants.ENABLE_RAY_CLUSTER = before


def release() -> None:
    """A runner that `acquire` returned True for no longer needs the connection: the last one
    disconnects (and so stops a local cluster started here)."""
    import ray

    global _holders
    with _lock:
        if _holders == 0:
            return
        _holders -= 1
        if _holders == 0:
            ray.shutdown()


def connected_address() -> str | None:
    """The GCS address ("host:port") of the cluster this process is connected to, or None."""
    import ray

    if not ray.is_initialized():
        return None
    try:
        address = ray.get_runtime_context().gcs_address
    except Exception:  # a Ray Client connection (ray://) has no GCS address here
        return None
    return str(address) if address else None


def check_same_cluster(address: str | None) -> None:
    """`RuntimeError` when `address` ("host:port") names another cluster than the one this
    process is connected to. Addresses without host and port ("auto", "local", "ray://...")
    and no address at all accept the cluster in use."""
    if address is None or address in _SPECIAL or "://" in address:
        return
    current = connected_address()
    if current is None or _endpoint(current) == _endpoint(address):
        return
    raise RuntimeError(
        f"RayTaskRunner(address={address!r}): this process is already connected to the Ray "
        f"cluster at {current!r}, and Ray connects a process to one cluster at a time; use that "
        "address, or run the flow in another process"
    )


def _endpoint(address: str) -> tuple[str, str]:
    host, _, port = address.strip().rpartition(":")
    try:
        host = socket.gethostbyname(host)
    except OSError:
        pass
    return host, port
