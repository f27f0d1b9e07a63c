"""`cadenza.transactions`, used as Prefect 3's documentation uses `prefect.transactions`.

Each test names the behaviour it checks as Prefect 3.9.1 showed it (run in the benchmarks'
Prefect environment against a local Prefect server).
"""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from cadenza import flow, task
from cadenza.cache_policies import INPUTS, NO_CACHE
from cadenza.transactions import (
    CommitMode,
    IsolationLevel,
    Transaction,
    TransactionState,
    atransaction,
    get_transaction,
    transaction,
)


# Prefect 3.9.1: the docs' first transaction — write_file's on_rollback hook deletes the file
# when quality_test, a later task in the same transaction, raises; the flow run fails.
def test_a_failing_task_rolls_back_the_file_an_earlier_task_wrote(tmp_path):
    path = tmp_path / "side-effect.txt"

    @task
    def write_file(contents: str):
        path.write_text(contents)

    @write_file.on_rollback
    def del_file(transaction):
        os.unlink(path)

    @task
    def quality_test():
        if len(path.read_text().splitlines()) < 2:
            raise ValueError("Not enough data!")

    @flow
    def pipeline(contents: str):
        with transaction():
            write_file(contents)
            assert path.exists()
            quality_test()

    state = pipeline("hello world!", return_state=True)
    assert state.is_failed()
    assert not path.exists()


# Prefect 3.9.1: without a transaction around them, each task run commits its own transaction as
# it completes: its on_commit hooks run before its on_completion hooks, with a Transaction.
def test_in_a_plain_flow_each_task_commits_as_it_completes():
    events = []

    @task(cache_policy=NO_CACHE, on_completion=[lambda t, r, s: events.append("a completion")])
    def a(x):
        return x

    @a.on_commit
    def a_commit(txn):
        events.append(("a commit", isinstance(txn, Transaction)))

    @task(on_commit=[lambda txn: events.append("b commit")])
    def b(x):
        return x

    @flow
    def f():
        a(1)
        events.append("between")
        b(2)

    f()
    assert events == [("a commit", True), "a completion", "between", "b commit"]


# Prefect 3.9.1: inside `with transaction()`, tasks' on_commit hooks run when the block ends
# (in the order the tasks ran), not when each task completes; the transaction is then COMMITTED.
def test_commit_hooks_wait_for_the_transaction_around_them():
    events = []

    @task
    def a(x):
        events.append(("a body", get_transaction().get("shared")))
        return x

    @a.on_commit
    def a_commit(txn):
        events.append("a commit")

    @task(on_commit=[lambda txn: events.append("b commit")])
    def b(x):
        return x

    @flow
    def f():
        with transaction() as txn:
            txn.set("shared", "S")
            a(1)
            b(2)
            events.append(("end of block", txn.state))
        events.append(("after", txn.state))

    f()
    assert events == [
        ("a body", "S"),  # the task's own transaction reads what the one around it set
        ("end of block", TransactionState.ACTIVE),
        "a commit",
        "b commit",
        ("after", TransactionState.COMMITTED),
    ]


# Prefect 3.9.1: when the block raises, the rollback hooks of the tasks that completed in it run
# last-first, each called with the task's transaction, and no commit hook runs.
def test_rollback_hooks_run_in_reverse_order():
    events = []

    @task(on_rollback=[lambda txn: events.append(("a rollback", txn.get("run")))])
    def a():
        return 1

    @task
    def b():
        return 2

    @b.on_rollback
    def undo_b(txn):
        events.append(("b rollback", txn.get("run")))

    @b.on_commit
    def commit_b(txn):
        events.append("b commit")

    @flow
    def f():
        with transaction() as txn:
            txn.set("run", "nightly")
            a()
            b()
            raise RuntimeError("the block failed")

    with pytest.raises(RuntimeError, match="the block failed"):
        f()
    assert events == [("b rollback", "nightly"), ("a rollback", "nightly")]


# Prefect 3.9.1: a task that fails inside a transaction rolls it back at once, even when the
# flow goes on (return_state=True); tasks run afterwards in it never commit.
def test_a_failed_task_rolls_back_the_transaction_at_once():
    events = []

    @task(on_rollback=[lambda txn: events.append("a rollback")])
    def a():
        return 1

    @task
    def boom():
        raise ValueError("boom")

    @task(on_commit=[lambda txn: events.append("c commit")])
    def c():
        return 3

    @flow
    def f():
        with transaction() as txn:
            a()
            state = boom(return_state=True)
            events.append(("after boom", txn.state, state.is_failed()))
            c()
        events.append(("after", txn.state))

    f()
    assert events == [
        "a rollback",
        ("after boom", TransactionState.ROLLED_BACK, True),
        ("after", TransactionState.ROLLED_BACK),
    ]


# Prefect 3.9.1 rolls the transaction around a task back when any attempt fails, even one that
# is retried and then succeeds. Cadenza rolls back only when the task run ends Failed: a retry
# that succeeds commits (documented in docs/concepts/transactions.md).
def test_a_task_that_succeeds_on_retry_commits():
    events = []
    attempts = []

    @task(retries=1, on_rollback=[lambda txn: events.append("rollback")])
    def flaky():
        attempts.append(1)
        if len(attempts) == 1:
            raise ValueError("first attempt")
        return "ok"

    @flaky.on_commit
    def committed(txn):
        events.append("commit")

    @flow
    def f():
        with transaction() as txn:
            flaky()
        return txn.state

    assert f() is TransactionState.COMMITTED
    assert events == ["commit"]


# Prefect 3.9.1: get_transaction() is None outside any transaction and the innermost one inside;
# get() returns a copy, falls back to the enclosing transactions, then to the default, and raises
# ValueError without one; an inner transaction commits when the outer one does.
def test_values_and_nesting():
    assert get_transaction() is None
    with transaction() as outer:
        assert get_transaction() is outer
        assert (outer.commit_mode, outer.isolation_level) == (
            CommitMode.LAZY,
            IsolationLevel.READ_COMMITTED,
        )
        outer.set("items", [1])
        outer.get("items").append(2)
        assert outer.get("items") == [1]
        assert outer.get("missing", 5) == 5
        with pytest.raises(ValueError, match="unknown key: missing"):
            outer.get("missing")
        with transaction() as inner:
            assert get_transaction() is inner
            assert inner.get("items") == [1]
            inner.set("items", "inner")
            assert (inner.get("items"), outer.get("items")) == ("inner", [1])
        assert inner.state is TransactionState.ACTIVE  # waits for its parent
        assert outer.children == [inner]
    assert get_transaction() is None
    assert outer.is_committed() and inner.is_committed()


# Prefect 3.9.1: an inner transaction that raises rolls back itself and its parent, even when the
# exception is caught inside the parent.
def test_an_inner_failure_rolls_back_the_outer_transaction():
    events = []
    with transaction() as outer:
        try:
            with transaction() as inner:
                inner.stage(1, on_rollback_hooks=[lambda txn: events.append("inner rollback")])
                raise KeyError("x")
        except KeyError:
            events.append(("caught", outer.state, inner.state))
    assert events == [
        "inner rollback",
        ("caught", TransactionState.ROLLED_BACK, TransactionState.ROLLED_BACK),
    ]
    assert outer.is_rolled_back()


# Prefect 3.9.1: EAGER commits an inner transaction on its exit; OFF at the top rolls back what
# nobody committed; explicit commit()/rollback() return whether they did something.
def test_commit_modes():
    events = []
    with transaction():
        with transaction(commit_mode=CommitMode.EAGER) as inner:
            inner.stage(1, on_commit_hooks=[lambda txn: events.append("eager commit")])
        events.append(inner.state)
    assert events == ["eager commit", TransactionState.COMMITTED]

    events.clear()
    with transaction(commit_mode=CommitMode.OFF) as off:
        off.stage(1, on_commit_hooks=[lambda txn: events.append("commit")])
        off.stage(1, on_rollback_hooks=[lambda txn: events.append("rollback")])
    assert events == ["rollback"] and off.is_rolled_back()

    with transaction() as txn:
        txn.stage(5)
        assert txn.is_staged()
        assert txn.rollback() is True
        assert txn.rollback() is False
    assert txn.is_rolled_back()


# Prefect 3.9.1: the docs' idempotency pattern — a keyed transaction commits a record; the next
# run with that key begins COMMITTED, so `if txn.is_committed()` skips the work; what was staged
# is read back with txn.read().result; overwrite=True ignores the record.
def test_a_keyed_transaction_runs_its_block_once_across_flow_runs():
    calls = []

    @task
    def download_data():
        calls.append("download")
        return "some data"

    @flow
    def pipeline():
        with transaction(key="download-and-write-file") as txn:
            if txn.is_committed():
                return ("skipped", txn.read().result)
            data = download_data()
            txn.stage(data)
            return ("ran", data)

    assert pipeline() == ("ran", "some data")
    assert pipeline() == ("skipped", "some data")
    assert calls == ["download"]
    with transaction(key="download-and-write-file", overwrite=True) as txn:
        assert not txn.is_committed()
    with transaction(key="never-committed") as txn:
        assert not txn.is_committed() and txn.read() is None


# Prefect 3.9.1: a task run in a transaction that rolls back does not leave a cache record: the
# next flow run runs it again; once committed, it is Cached and its on_commit hook does not run
# again.
def test_a_rolled_back_task_is_not_a_cache_hit():
    calls, commits = [], []

    @task(cache_policy=INPUTS, on_commit=[lambda txn: commits.append(txn.key is not None)])
    def load(x):
        calls.append(x)
        return x * 10

    @task
    def boom():
        raise ValueError("no")

    @flow
    def f(x, fail=False):
        with transaction():
            value = load(x)
            if fail:
                boom()
        return value

    assert f("rolled-back-key", fail=True, return_state=True).is_failed()
    assert f("rolled-back-key") == "rolled-back-key" * 10
    assert calls == ["rolled-back-key", "rolled-back-key"]
    assert commits == [True]

    @flow
    def again(x):
        state = load(x, return_state=True)
        return state.name, state.result()

    assert again("rolled-back-key") == ("Cached", "rolled-back-key" * 10)
    assert calls == ["rolled-back-key", "rolled-back-key"] and commits == [True]


# Prefect 3.9.1: a transaction's committed key does not skip the tasks inside it — each task
# run has its own transaction, keyed by its own cache key; without a cache policy it runs again.
def test_tasks_in_a_committed_transaction_follow_their_own_cache_keys():
    calls = []

    @task
    def step(x):
        calls.append(x)
        return x * 2

    @flow
    def pipeline(n):
        with transaction(key="once-key") as txn:
            return step(n), txn.is_committed()

    assert pipeline(3) == (6, False)
    assert pipeline(3) == (6, True)
    assert calls == [3, 3]


# Prefect 3.9.1: with_options keeps a task's on_commit / on_rollback hooks.
def test_with_options_keeps_transaction_hooks():
    events = []

    @task(on_commit=[lambda txn: events.append("commit")])
    def a():
        return 1

    renamed = a.with_options(name="renamed")
    assert renamed.on_commit_hooks == a.on_commit_hooks
    renamed()
    assert events == ["commit"]


# Prefect 3.9.1: `async with atransaction()` awaits async hooks; async tasks join it as sync
# ones do.
def test_async_transactions_and_async_hooks():
    events = []

    @task
    async def fetch(x):
        await asyncio.sleep(0)
        return x

    @fetch.on_commit
    async def announce(txn):
        await asyncio.sleep(0)
        events.append(("commit", txn.get("batch")))

    @flow
    async def f():
        async with atransaction() as txn:
            txn.set("batch", 7)
            value = await fetch(1)
            events.append("block done")
        return value, txn.state

    assert asyncio.run(f()) == (1, TransactionState.COMMITTED)
    assert events == ["block done", ("commit", 7)]


# Prefect 3.9.1: isolation_level=SERIALIZABLE (with a lock manager) makes concurrent runs of one
# key wait: one runs, the others find its record and are Cached.
def test_serializable_cache_policy_runs_a_key_once():
    from cadenza.locking.memory import MemoryLockManager

    calls = []
    policy = INPUTS.configure(
        isolation_level=IsolationLevel.SERIALIZABLE, lock_manager=MemoryLockManager()
    )

    @task(cache_policy=policy)
    def slow(x):
        calls.append(x)
        time.sleep(0.3)
        return x

    @flow
    def f():
        futures = [slow.submit("serializable") for _ in range(3)]
        assert [fu.result() for fu in futures] == ["serializable"] * 3
        return sorted(fu.state.name for fu in futures)

    assert f() == ["Cached", "Cached", "Completed"]
    assert calls == ["serializable"]


_SERIALIZED = """
import sys, time
from cadenza import flow, task
from cadenza.cache_policies import INPUTS
from cadenza.locking.filesystem import FileSystemLockManager
from cadenza.transactions import IsolationLevel

locks, ran, start_at = sys.argv[1], sys.argv[2], float(sys.argv[3])
policy = INPUTS.configure(
    isolation_level=IsolationLevel.SERIALIZABLE,
    lock_manager=FileSystemLockManager(lock_files_directory=locks),
)

@task(cache_policy=policy)
def work(x):
    with open(ran, "a") as f:
        f.write("ran\\n")
    time.sleep(1.0)
    return x

@flow
def f():
    while time.time() < start_at:  # both processes ask for the key at the same moment
        time.sleep(0.01)
    return work("across-processes", return_state=True).name

print(f())
"""


# Prefect 3.9.1: FileSystemLockManager(lock_files_directory=...) on a SERIALIZABLE policy makes
# processes that share the directory run one key's work once; the other run is Cached.
@pytest.mark.integration
def test_file_locks_serialize_a_key_across_processes(tmp_path, cadenza_home):
    import subprocess
    import sys

    script = tmp_path / "serialized.py"
    script.write_text(_SERIALIZED)
    ran = tmp_path / "ran.txt"
    start_at = str(time.time() + 4.0)
    env = {**os.environ, "CADENZA_HOME": str(cadenza_home)}
    args = [sys.executable, str(script), str(tmp_path / "locks"), str(ran), start_at]
    procs = [subprocess.Popen(args, env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = sorted(p.communicate(timeout=90)[0].strip() for p in procs)
    assert [p.returncode for p in procs] == [0, 0]
    assert outputs == ["Cached", "Completed"]
    assert ran.read_text() == "ran\n"


# Cadenza: inside one transaction, a SERIALIZABLE key taken by an earlier task run (its lock held
# until the transaction commits) does not block a later call with the same key.
def test_one_transaction_does_not_wait_for_its_own_locks():
    calls = []

    @task(cache_policy=INPUTS.configure(isolation_level="SERIALIZABLE"))
    def t(x):
        calls.append(x)
        return x

    @flow
    def f():
        with transaction():
            return t("own-lock"), t("own-lock")

    assert f() == ("own-lock", "own-lock")
    assert len(calls) == 2  # the first record is written only when the transaction commits
