"""Starting, connecting to and closing the Dask cluster a `DaskTaskRunner` uses.

Kept apart from the runner so that the runner module reads as scheduling only. Every function
here imports `distributed` when called, never at module import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from distributed import Client

#: Options given to a `distributed.LocalCluster` (or subclass) unless the user passes them:
#: listen on the loopback interface only, and start no dashboard (it would listen on every
#: interface at port 8787, and two flows would collide on it).
LOCAL_CLUSTER_DEFAULTS: dict[str, Any] = {"host": "127.0.0.1", "dashboard_address": None}

#: Client options cadenza sets unless the user passes them: the runner's client is private to
#: one flow run, so it does not become dask's process-wide default client.
CLIENT_DEFAULTS: dict[str, Any] = {"set_as_default": False}


def resolve_cluster_class(cluster_class: type | str | Any) -> Any:
    """A cluster class (or factory) from itself or an import path such as
    ``"dask_jobqueue.SLURMCluster"`` or ``"distributed:LocalCluster"``.

    Raises `ValueError` naming the path when it cannot be imported.
    """
    if not isinstance(cluster_class, str):
        if not callable(cluster_class):
            raise TypeError(
                f"cluster_class must be a class, a callable or an import path, "
                f"got {cluster_class!r}"
            )
        return cluster_class
    module_name, sep, attr = cluster_class.replace(":", ".").rpartition(".")
    if not sep or not module_name or not attr:
        raise ValueError(
            f"cluster_class {cluster_class!r} is not an import path like 'package.module.Class'"
        )
    try:
        return getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"cluster_class {cluster_class!r} cannot be imported: {exc}") from exc


def cluster_options(cluster_class: Any, cluster_kwargs: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments to start `cluster_class` with (LocalCluster gets safe defaults).

    Without a dashboard, a Dask scheduler still serves its health and metrics endpoints, on port
    8787 unless told otherwise; a LocalCluster started here serves them on a free port of its
    own host instead, so that two clusters do not compete for 8787.
    """
    from distributed import LocalCluster

    options = dict(cluster_kwargs)
    if isinstance(cluster_class, type) and issubclass(cluster_class, LocalCluster):
        for key, value in LOCAL_CLUSTER_DEFAULTS.items():
            options.setdefault(key, value)
        host = options["host"]
        scheduler_kwargs = dict(options.get("scheduler_kwargs") or {})
        if (
            options["dashboard_address"] is None
            and "dashboard_address" not in scheduler_kwargs
            and isinstance(host, str)
            and ":" not in host
        ):
            scheduler_kwargs["dashboard_address"] = f"{host}:0"
            options["scheduler_kwargs"] = scheduler_kwargs
    return options


def start(
    address: str | None,
    cluster_class: type | str | None,
    cluster_kwargs: dict[str, Any],
    adapt_kwargs: dict[str, Any] | None,
    client_kwargs: dict[str, Any],
) -> tuple[Client, Any]:
    """Connect a client; return ``(client, cluster)``, cluster None when `address` was given.

    With `address`, connect to that scheduler (nothing is started, so nothing is stopped
    later). Otherwise start `cluster_class` (`distributed.LocalCluster` if None) with
    `cluster_kwargs`, make it adaptive with `adapt_kwargs` if given, and connect to it. A
    cluster that started but whose client cannot connect is closed before the error propagates.
    """
    from distributed import Client, LocalCluster

    options = {**CLIENT_DEFAULTS, **client_kwargs}
    if address is not None:
        return Client(address, **options), None
    factory = resolve_cluster_class(cluster_class or LocalCluster)
    cluster = factory(**cluster_options(factory, cluster_kwargs))
    try:
        if adapt_kwargs is not None:
            cluster.adapt(**adapt_kwargs)
        return Client(cluster, **options), cluster
    except BaseException:
        cluster.close()
        raise


def close(client: Client | None, cluster: Any) -> None:
    """Close `client`, then `cluster` (if this runner started it); errors in one still close
    the other."""
    try:
        if client is not None:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()
