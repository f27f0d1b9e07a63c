"""Worker types come from plugins (the built-in ``process`` one too); a worker without a server
says how to get one."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from cadenza import hookimpl
from cadenza.plugins import registry
from cadenza.plugins.manager import create_plugin_manager
from cadenza.workers import get_worker_class, worker_types
from cadenza.workers.base import BaseWorker, WorkerError, WorkerJob
from cadenza.workers.process import ProcessWorker


class DockerishWorker(BaseWorker):
    """A worker type a collection might add."""

    type = "dockerish"

    def run(self, flow_run: dict[str, Any], configuration: dict[str, Any]) -> WorkerJob:
        raise NotImplementedError


class DockerishPlugin:
    @hookimpl
    def register_worker_types(self) -> list[type]:
        return [DockerishWorker]


@pytest.fixture
def plugin_manager() -> Any:
    pm = create_plugin_manager(entry_points=False)
    registry.reset(pm)
    yield pm
    registry.reset(None)


def test_the_process_worker_is_built_in(plugin_manager: Any) -> None:
    assert get_worker_class("process") is ProcessWorker
    assert worker_types() == {"process": ProcessWorker}


def test_a_plugin_adds_a_worker_type(plugin_manager: Any) -> None:
    info = plugin_manager.add_plugin(DockerishPlugin(), "dockerish")
    plugin_manager.collect_pending()
    assert info.error is None, info.error
    assert get_worker_class("dockerish") is DockerishWorker
    assert registry.registered("worker_types")["dockerish"].plugin.name == "dockerish"


def test_an_unknown_type_names_the_known_ones(plugin_manager: Any) -> None:
    with pytest.raises(ValueError, match=r"no worker type 'nope'.*known types: process"):
        get_worker_class("nope")


def test_a_worker_type_must_be_a_base_worker(plugin_manager: Any) -> None:
    class NotAWorker:
        @hookimpl
        def register_worker_types(self) -> list[type]:
            return [dict]

    from cadenza.plugins.errors import CadenzaPluginWarning

    with pytest.warns(CadenzaPluginWarning):
        info = plugin_manager.add_plugin(NotAWorker(), "not-a-worker")
        plugin_manager.collect_pending()
    assert "not a cadenza BaseWorker subclass" in str(info.error)
    assert get_worker_class("process") is ProcessWorker


def test_a_worker_needs_a_server(monkeypatch: pytest.MonkeyPatch) -> None:
    from cadenza.settings import spec

    monkeypatch.delenv("CADENZA_API_URL", raising=False)
    spec.reset_cache()
    with pytest.raises(WorkerError, match=r"cadenza server start.*flow\.serve\(\)"):
        ProcessWorker("pool").start()
    proc = subprocess.run(
        [sys.executable, "-m", "cadenza.cli.main", "worker", "start", "--pool", "p"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "cadenza server start" in proc.stderr and "flow.serve()" in proc.stderr


def test_worker_settings_default_from_the_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    from cadenza.settings import spec

    monkeypatch.setenv("CADENZA_WORKER_POLL_INTERVAL", "0.25")
    monkeypatch.setenv("CADENZA_HEARTBEAT_INTERVAL", "2")
    spec.reset_cache()
    worker = ProcessWorker("pool", limit=3)
    assert (worker.poll_interval, worker.heartbeat_interval, worker.lease_seconds) == (0.25, 2, 4)
    assert worker.name.startswith("process-")
    with pytest.raises(ValueError):
        ProcessWorker("pool", limit=0)
