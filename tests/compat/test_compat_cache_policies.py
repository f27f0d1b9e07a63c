"""Cache policy algebra, used as Prefect 3's caching documentation uses it.

Each test names the behaviour it checks as Prefect 3.9.1 showed it (run in the benchmarks'
Prefect environment).
"""

from __future__ import annotations

import pytest

from cadenza import flow, task
from cadenza.cache_policies import (
    DEFAULT,
    FLOW_PARAMETERS,
    INPUTS,
    NO_CACHE,
    RUN_ID,
    TASK_SOURCE,
    CacheKeyFnPolicy,
    CachePolicy,
    CompoundCachePolicy,
    Inputs,
)
from cadenza.transactions import IsolationLevel


# Prefect 3.9.1: `INPUTS - "debug"` leaves that parameter out of the key: calls that differ only
# in it share a cache entry.
def test_subtracting_a_parameter_ignores_it():
    calls = []

    @task(cache_policy=INPUTS - "debug")
    def some_task(x: int, debug: bool = False):
        calls.append((x, debug))
        return x * 2

    @flow
    def f():
        return some_task(1, debug=True), some_task(1, debug=False), some_task(2)

    assert f() == (2, 2, 4)
    assert calls == [(1, True), (2, False)]


# Prefect 3.9.1: subtraction chains (`- "a" - "b"` excludes both), is Inputs(exclude=[...]); on
# a compound it applies to the Inputs part; on a policy without inputs it changes nothing; only
# strings can be subtracted (TypeError).
def test_subtraction_algebra():
    assert Inputs(exclude=["a", "b"]) == INPUTS - "a" - "b"
    assert INPUTS.exclude == []  # the constant is not changed
    compound = (TASK_SOURCE + INPUTS) - "x"
    assert isinstance(compound, CompoundCachePolicy)
    assert Inputs(exclude=["x"]) in compound.policies
    assert TASK_SOURCE + Inputs(exclude=["a", "b"]) == ((INPUTS - "a") + TASK_SOURCE - "b")
    assert TASK_SOURCE - "x" is TASK_SOURCE
    assert (TASK_SOURCE + RUN_ID) - "x" == TASK_SOURCE + RUN_ID
    with pytest.raises(TypeError, match="Can only subtract strings"):
        INPUTS - 3  # type: ignore[operator]  # the TypeError is what is checked


# Prefect 3.9.1: `TASK_SOURCE + INPUTS` equals `INPUTS + TASK_SOURCE`; compounds flatten and
# merge their Inputs parts; DEFAULT is INPUTS + TASK_SOURCE + RUN_ID.
def test_addition_algebra():
    assert TASK_SOURCE + INPUTS == INPUTS + TASK_SOURCE
    nested = (INPUTS + TASK_SOURCE) + (RUN_ID + FLOW_PARAMETERS)
    assert len(nested.policies) == 4
    assert len((INPUTS + (INPUTS - "a")).policies) == 1
    assert DEFAULT == INPUTS + TASK_SOURCE + RUN_ID


# Prefect 3.9.1: adding NO_CACHE adds nothing — `NO_CACHE + INPUTS` is INPUTS, and a task with
# it caches; `NO_CACHE - "x"` is still NO_CACHE.
def test_no_cache_is_the_identity_of_addition():
    assert NO_CACHE + INPUTS is INPUTS
    assert INPUTS + NO_CACHE is INPUTS
    assert NO_CACHE - "x" is NO_CACHE
    calls = []

    @task(cache_policy=NO_CACHE + INPUTS)
    def t(x):
        calls.append(x)
        return x

    @flow
    def f():
        return t("nc"), t("nc")

    f()
    assert calls == ["nc"]

    @task(cache_policy=NO_CACHE)
    def never(x):
        calls.append(x)

    never("n")
    never("n")
    assert calls == ["nc", "n", "n"]


# Prefect 3.9.1: the key of a compound leaves out parts that return None (INPUTS of a call
# without arguments, FLOW_PARAMETERS without flow parameters) and is None when all do; a task
# whose key is None is not cached.
def test_parts_without_a_key_are_left_out():
    assert INPUTS.compute_key(None, {}, {}) is None
    assert FLOW_PARAMETERS.compute_key(None, {}, {}) is None
    both = INPUTS + FLOW_PARAMETERS
    assert both.compute_key(None, {}, {}) is None
    assert both.compute_key(None, {"a": 1}, {}) is not None
    calls = []

    @task(cache_policy=INPUTS)
    def no_arguments():
        calls.append(1)
        return 1

    no_arguments()
    no_arguments()
    assert calls == [1, 1]


# Prefect 3.9.1: DEFAULT caches within one flow run (RUN_ID is part of it), not across runs.
def test_default_lasts_one_flow_run():
    calls = []

    @task(cache_policy=DEFAULT)
    def t(x):
        calls.append(x)
        return x

    @flow
    def f():
        return t(1) + t(1)

    f()
    f()
    assert calls == [1, 1]


# Prefect 3.9.1: CachePolicy.from_cache_key_fn(fn) is a CacheKeyFnPolicy whose key is fn's; it
# composes with the others.
def test_from_cache_key_fn():
    calls = []
    policy = CachePolicy.from_cache_key_fn(lambda context, parameters: f"p{parameters['x'] % 2}")
    assert isinstance(policy, CacheKeyFnPolicy)

    @task(cache_policy=policy)
    def parity(x):
        calls.append(x)
        return x % 2

    @flow
    def f():
        return parity(1), parity(3), parity(2)

    assert f() == (1, 1, 0)
    assert calls == [1, 2]
    assert isinstance(policy + TASK_SOURCE, CompoundCachePolicy)


# Prefect 3.9.1: configure() returns a configured copy (the original is unchanged); adding two
# policies with different storage locations is a ValueError; a compound takes its parts'
# settings. (Prefect takes an unknown isolation level and fails at the task run; cadenza refuses
# it in configure(), naming the argument.)
def test_configure_returns_a_copy(tmp_path):
    configured = INPUTS.configure(key_storage=str(tmp_path), isolation_level="SERIALIZABLE")
    assert configured is not INPUTS and INPUTS.key_storage is None
    assert (configured.key_storage, configured.isolation_level) == (str(tmp_path), "SERIALIZABLE")
    assert (configured + TASK_SOURCE).key_storage == str(tmp_path)
    with pytest.raises(ValueError, match="different storage locations"):
        INPUTS.configure(key_storage="/a") + TASK_SOURCE.configure(key_storage="/b")
    assert (
        INPUTS.configure(isolation_level=IsolationLevel.SERIALIZABLE).isolation_level
        is IsolationLevel.SERIALIZABLE
    )
    with pytest.raises(ValueError, match="isolation_level must be one of"):
        INPUTS.configure(isolation_level="NOT_A_LEVEL")


# Prefect 3.9.1: with key_storage, a policy's cache records are written under that path (not
# beside the results), a later flow run finds them there, and without them the task runs again.
def test_key_storage_holds_the_cache_records(tmp_path):
    keys = tmp_path / "keys"
    calls = []

    @task(cache_policy=(INPUTS - "debug").configure(key_storage=str(keys)))
    def load(x, debug=False):
        calls.append(x)
        return x * 3

    @flow
    def f(x, debug):
        return load(x, debug=debug)

    assert f(1, True) == 3
    assert f(1, False) == 3
    assert calls == [1]
    records = [p for p in keys.rglob("*") if p.is_file()]
    assert len(records) == 1
    records[0].unlink()
    assert f(1, False) == 3
    assert calls == [1, 1]
