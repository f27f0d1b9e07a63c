"""A stopped automation service ends its round at the next automation instead of evaluating
every one first (a server asked to stop waited for the whole round, 10 s and more with many
automations); the automations it did not reach keep their cursors for the next round."""

from __future__ import annotations

from typing import Any

import pytest

from cadenza.server.automations import AutomationService
from cadenza.server.store import Store
from cadenza.store import automations as store_automations
from cadenza.store import urls as schema


@pytest.fixture
def service(tmp_path) -> AutomationService:
    url = f"sqlite:///{tmp_path / 'server.db'}"
    schema.prepare(url)
    store = Store(url)
    with store.write() as conn:
        for i in range(5):
            spec = {"name": f"a{i}", "trigger": {"expect": ["x"], "within": 60}, "actions": []}
            store_automations.create(conn, spec)
    return AutomationService(store, 60)


def _considered(service: AutomationService, monkeypatch, stop_at: int | None) -> list[str]:
    seen: list[str] = []

    def consider(automation: dict[str, Any], *_args: Any) -> None:
        seen.append(automation["name"])
        if len(seen) == stop_at:
            service.stop()

    monkeypatch.setattr(service, "_consider", consider)
    service.run_round()
    return seen


def test_a_round_considers_every_automation(service, monkeypatch) -> None:
    assert _considered(service, monkeypatch, stop_at=None) == ["a0", "a1", "a2", "a3", "a4"]


def test_a_stopped_service_ends_its_round_at_the_next_automation(service, monkeypatch) -> None:
    assert _considered(service, monkeypatch, stop_at=2) == ["a0", "a1"]
    assert service.stopping
