"""RayTaskRunner's options and `remote_options`: validation, duplication, how ray.init is called
(no cluster needed), and the options reaching Ray tasks (on the session's cluster)."""

from __future__ import annotations

from typing import Any

import pytest
from cadenza import flow, task

from cadenza_ray import RayTaskRunner, RemoteOptionsContext, remote_options
from cadenza_ray._cluster import check_same_cluster, init_options
from cadenza_ray.context import current_remote_options


def test_address_and_init_kwargs_are_checked():
    with pytest.raises(TypeError, match="address must be a string"):
        RayTaskRunner(address=6379)  # type: ignore[arg-type]  # the wrong type is the test
    with pytest.raises(TypeError, match="address must be a string"):
        RayTaskRunner(address=" ")
    with pytest.raises(TypeError, match="init_kwargs must be a dict"):
        RayTaskRunner(init_kwargs=[("num_cpus", 2)])  # type: ignore[arg-type]  # the wrong type is the test
    with pytest.raises(ValueError, match="as address=, not in init_kwargs"):
        RayTaskRunner(init_kwargs={"address": "auto"})


def test_duplicate_is_an_unstarted_copy_with_the_same_options():
    runner = RayTaskRunner(address="10.0.0.5:6379", init_kwargs={"namespace": "etl"})
    copy = runner.duplicate()
    assert copy is not runner and isinstance(copy, RayTaskRunner)
    assert (copy.address, copy.init_kwargs) == ("10.0.0.5:6379", {"namespace": "etl"})
    assert copy.init_kwargs is not runner.init_kwargs
    assert repr(copy) == "RayTaskRunner(address='10.0.0.5:6379', init_kwargs={'namespace': 'etl'})"


def test_no_address_starts_a_local_cluster_without_dashboard(monkeypatch):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    assert init_options(None, {}) == (
        "local",
        {"namespace": "cadenza", "include_dashboard": False},
    )
    chosen = init_options(None, {"include_dashboard": True, "num_cpus": 4, "namespace": "etl"})
    assert chosen == ("local", {"include_dashboard": True, "num_cpus": 4, "namespace": "etl"})


def test_an_address_or_ray_address_connects_with_ray_s_own_defaults(monkeypatch):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    assert init_options("10.0.0.5:6379", {}) == ("10.0.0.5:6379", {"namespace": "cadenza"})
    assert init_options("auto", {"runtime_env": {}}) == (
        "auto",
        {"namespace": "cadenza", "runtime_env": {}},
    )
    monkeypatch.setenv("RAY_ADDRESS", "ray://head:10001")  # Ray's convention for "this cluster"
    assert init_options(None, {}) == ("ray://head:10001", {"namespace": "cadenza"})


def test_addresses_without_host_and_port_accept_any_connected_cluster():
    for address in (None, "auto", "local", "ray://head:10001"):
        check_same_cluster(address)  # nothing to compare: never refused


def test_remote_options_nest_and_merge():
    assert current_remote_options() == {}
    with remote_options(num_cpus=2, resources={"a": 1}):
        assert current_remote_options() == {"num_cpus": 2, "resources": {"a": 1}}
        with remote_options(num_gpus=1, num_cpus=0.5):
            assert current_remote_options() == {
                "num_cpus": 0.5,
                "num_gpus": 1,
                "resources": {"a": 1},
            }
            assert RemoteOptionsContext.get().current_remote_options == current_remote_options()
        assert current_remote_options() == {"num_cpus": 2, "resources": {"a": 1}}
    assert RemoteOptionsContext.get().current_remote_options == {}


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"num_cpus": -1}, ValueError, "num_cpus must be a number >= 0, got -1"),
        ({"num_gpus": "one"}, ValueError, "num_gpus must be a number >= 0, got 'one'"),
        ({"memory": True}, ValueError, "memory must be a number >= 0"),
        ({"resources": ["a"]}, TypeError, "resources must be a dict"),
        ({"resources": {"CPU": 1}}, ValueError, "use num_cpus, num_gpus or memory"),
        ({"resources": {"a": -2}}, ValueError, r"resources\['a'\] must be a number >= 0"),
        ({"num_returns": 2}, ValueError, "'num_returns' cannot be set"),
    ],
)
def test_remote_options_refuse_what_ray_would_naming_the_option(options, error, message):
    with pytest.raises(error, match=message), remote_options(**options):
        pass
    assert current_remote_options() == {}  # nothing was left in effect


# -- the options reach Ray (the session's cluster: 2 CPUs, 1 GPU, 1 custom resource) ---------
@task
def granted(tag: object = None) -> dict[str, Any]:
    import ray

    context = ray.get_runtime_context()
    return {"name": context.get_task_name(), **context.get_assigned_resources()}


@task
def pause(seconds: float) -> float:
    import time

    time.sleep(seconds)
    return seconds


@pytest.mark.integration
def test_remote_options_reach_the_ray_task_of_each_run(ray_address, custom_resource):
    def seen(future):  # what Ray granted the run's task, and whether it bears the run's name
        granted_now = dict(future.result())
        return granted_now.pop("name") == future.task_run_name, granted_now

    @flow(task_runner=RayTaskRunner(address=ray_address))
    def f():
        plain = granted.submit()
        with remote_options(num_cpus=2):
            two_cpus = granted.submit()
            with remote_options(num_gpus=1, num_cpus=1, resources={custom_resource: 1}):
                everything = granted.map([None, None])  # each mapped run gets them
            # submitted here with an upstream still running: launched later, from another
            # thread, with the options in effect at submission
            later = granted.submit(wait_for=[pause.submit(0.5)])
        return [seen(future) for future in [plain, two_cpus, *everything, later]]

    plain, two_cpus, first, second, later = f()
    assert plain == (True, {"CPU": 1.0})  # Ray's default; the task is named after the run
    assert two_cpus == (True, {"CPU": 2.0})
    expected = (True, {"CPU": 1.0, "GPU": 1.0, custom_resource: 1.0})
    assert first == second == expected
    assert later == (True, {"CPU": 2.0})


@pytest.mark.integration
def test_an_option_ray_refuses_crashes_the_run_with_ray_s_message(ray_address):
    seen = []

    @flow(task_runner=RayTaskRunner(address=ray_address))
    def f():
        with remote_options(no_such_option=1):
            future = granted.submit()
        future.wait()
        seen.append(future.state)

    f()
    (state,) = seen
    assert state.is_crashed()
    assert "no_such_option" in state.message
