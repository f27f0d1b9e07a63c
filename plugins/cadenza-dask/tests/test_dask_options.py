"""DaskTaskRunner options: validation, duplication, and how a cluster is started or reached."""

from __future__ import annotations

import pytest

from cadenza_dask import DaskTaskRunner
from cadenza_dask._cluster import cluster_options, resolve_cluster_class


def test_address_and_cluster_options_are_exclusive():
    with pytest.raises(ValueError, match="either address="):
        DaskTaskRunner(address="tcp://127.0.0.1:8786", cluster_kwargs={"n_workers": 1})
    with pytest.raises(ValueError, match="either address="):
        DaskTaskRunner(address="tcp://127.0.0.1:8786", cluster_class="distributed.LocalCluster")


def test_a_bad_cluster_class_is_reported_by_name():
    with pytest.raises(ValueError, match=r"'no_such_module\.Cluster' cannot be imported"):
        DaskTaskRunner(cluster_class="no_such_module.Cluster")
    with pytest.raises(ValueError, match="not an import path"):
        DaskTaskRunner(cluster_class="LocalCluster")
    with pytest.raises(TypeError, match="cluster_class must be"):
        DaskTaskRunner(cluster_class=42)


def test_cluster_class_accepts_a_class_or_an_import_path():
    from distributed import LocalCluster

    assert resolve_cluster_class("distributed.LocalCluster") is LocalCluster
    assert resolve_cluster_class("distributed:LocalCluster") is LocalCluster
    assert resolve_cluster_class(LocalCluster) is LocalCluster


def test_local_clusters_default_to_loopback_without_dashboard():
    from distributed import LocalCluster

    assert cluster_options(LocalCluster, {}) == {
        "host": "127.0.0.1",
        "dashboard_address": None,
        # health/metrics endpoints on a free loopback port, not on 8787
        "scheduler_kwargs": {"dashboard_address": "127.0.0.1:0"},
    }
    chosen = cluster_options(LocalCluster, {"dashboard_address": ":8787", "n_workers": 3})
    assert chosen == {"host": "127.0.0.1", "dashboard_address": ":8787", "n_workers": 3}

    def other_cluster(**kwargs):  # not a LocalCluster: its options are passed through as given
        return kwargs

    assert cluster_options(other_cluster, {"cores": 4}) == {"cores": 4}


def test_duplicate_is_an_unstarted_copy_with_the_same_options():
    runner = DaskTaskRunner(
        cluster_class="distributed.LocalCluster",
        cluster_kwargs={"n_workers": 1},
        adapt_kwargs={"minimum": 1, "maximum": 2},
        client_kwargs={"timeout": 30},
    )
    copy = runner.duplicate()
    assert copy is not runner and isinstance(copy, DaskTaskRunner)
    assert (copy.cluster_class, copy.cluster_kwargs, copy.adapt_kwargs, copy.client_kwargs) == (
        "distributed.LocalCluster",
        {"n_workers": 1},
        {"minimum": 1, "maximum": 2},
        {"timeout": 30},
    )
    assert copy.cluster_kwargs is not runner.cluster_kwargs
    assert copy.cluster is None
    with pytest.raises(RuntimeError, match="not started"):
        _ = copy.client
    assert DaskTaskRunner(address="tcp://h:1").duplicate().address == "tcp://h:1"


@pytest.mark.integration  # a Dask client timing out
def test_an_unreachable_address_fails_on_enter_with_nothing_left():
    runner = DaskTaskRunner(address="tcp://127.0.0.1:9", client_kwargs={"timeout": "1s"})
    with pytest.raises(OSError):
        runner.__enter__()
    assert runner.cluster is None
