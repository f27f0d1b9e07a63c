"""Observer hooks: accepted state transitions and run logs reach plugins, at no cost otherwise."""

from __future__ import annotations

import logging

import pytest

from cadenza import flow, get_run_logger, hookimpl, task
from cadenza.plugins import _observers, registry
from cadenza.plugins.manager import create_plugin_manager


class Observer:
    def __init__(self) -> None:
        self.flow_states: list[tuple] = []
        self.task_states: list[tuple] = []
        self.logs: list[tuple] = []

    @hookimpl
    def on_flow_run_state(self, flow_run, old_state, new_state):
        old = old_state.type.value if old_state is not None else None
        self.flow_states.append((flow_run.kind, old, new_state.type.value))

    @hookimpl
    def on_task_run_state(self, task_run, new_state):  # fewer arguments than the spec
        self.task_states.append((task_run.kind, new_state.type.value))

    @hookimpl
    def on_log(self, task_run_id, message, level):
        self.logs.append((task_run_id is not None, message, level))


@task
def shout(word: str) -> str:
    get_run_logger().warning("shouting %s", word)
    return word.upper()


@flow
def loud(word: str) -> str:
    return shout(word)


def test_observers_receive_transitions_and_logs(plugin_manager) -> None:
    observer = Observer()
    plugin_manager.add_plugin(observer, "observer")
    assert _observers.active
    assert loud("hi") == "HI"
    assert observer.flow_states[0] == ("flow", None, "PENDING")
    assert observer.flow_states[-2:] == [
        ("flow", "PENDING", "RUNNING"),
        ("flow", "RUNNING", "COMPLETED"),
    ]
    assert observer.task_states[-1] == ("task", "COMPLETED")
    assert ("task", "RUNNING") in observer.task_states
    assert (True, "shouting hi", logging.WARNING) in observer.logs


def test_no_observers_means_no_calls(plugin_manager, monkeypatch) -> None:
    assert not _observers.active  # the built-ins observe nothing

    def boom(*args, **kwargs):
        raise AssertionError("observer path taken")

    monkeypatch.setattr(_observers, "state_changed", boom)
    monkeypatch.setattr(_observers, "logged", boom)
    assert loud("quiet") == "QUIET"


def test_observers_are_off_until_the_manager_is_loaded() -> None:
    registry.reset()
    assert not _observers.active
    pm = create_plugin_manager(entry_points=False)
    pm.add_plugin(Observer(), "observer")
    assert not _observers.active  # a manager that is not the process's changes nothing
    registry.reset(pm)
    assert _observers.active
    registry.reset()
    assert not _observers.active


def test_an_observer_that_raises_is_logged_and_the_run_goes_on(
    plugin_manager, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken:
        @hookimpl
        def on_task_run_state(self, task_run):
            raise RuntimeError("observer bug")

        @hookimpl
        def on_log(self, message):
            get_run_logger().info("an observer that logs is not called again")
            raise RuntimeError("log observer bug")

    observer = Observer()
    plugin_manager.add_plugin(Broken(), "broken")
    plugin_manager.add_plugin(observer, "observer")
    with caplog.at_level(logging.ERROR, logger="cadenza.plugins"):
        assert loud("x") == "X"
    errors = [r for r in caplog.records if r.name == "cadenza.plugins"]
    assert any("on_task_run_state hook of plugin 'broken'" in r.getMessage() for r in errors)
    assert any("on_log hook of plugin 'broken'" in r.getMessage() for r in errors)
    assert observer.task_states  # the other observer still ran
