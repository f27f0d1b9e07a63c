"""Faults between a flow and the server: a real flow run (`faults.workload`: hundreds of tasks,
log lines, subflows, retries) in its own process, recording through the fault proxy to a real
server process. Each scenario ends with the server holding every run, every transition and
every log line the engine accepted exactly once (counted in SQL by `faults.exactly_once`), each
run in its true final state, no journal left, and no dead letter but those the scenario made.
Each also shows that its faults reached the client (the proxy counts them)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from backends.server_process import ServerProcess
from cadenza.client.spool import journal_files
from cadenza.deadletter import read_dead_letters
from faults.proxy import FaultProxy, delay, drop_response, reset, respond
from faults.scenario import (
    BATCH,
    CREATE,
    SET_STATE,
    assert_exactly_once,
    assert_no_dead_letters,
    refuse_poison,
    run_workload,
)
from faults.workload import CUSTOM_LEVEL, POISON

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def server(request) -> ServerProcess:
    """The scenario's server, on SQLite and on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_server")


@pytest.fixture
def proxy(sqlite_server: ServerProcess) -> Iterator[FaultProxy]:
    """A proxy in front of the SQLite server (scenarios run on SQLite only)."""
    with FaultProxy(sqlite_server.url).start() as proxy:
        yield proxy


@pytest.fixture
def any_proxy(server: ServerProcess) -> Iterator[FaultProxy]:
    """A proxy in front of `server` (scenarios run on SQLite and PostgreSQL)."""
    with FaultProxy(server.url).start() as proxy:
        yield proxy


# -- answers lost after the server committed ---------------------------------------------------


def test_batch_answers_lost_after_the_commit(server, any_proxy, cadenza_home, tmp_path) -> None:
    lost = any_proxy.inject(drop_response(), method="POST", path=BATCH, nth=(2, 3, 7, 12))
    tally = run_workload(any_proxy, cadenza_home, tmp_path, tasks=300)
    assert lost.fired == 4, f"only {lost.fired} batch answers were dropped"
    assert tally["state"] == "COMPLETED"
    assert_exactly_once(server, cadenza_home, tally)
    assert_no_dead_letters(cadenza_home)


def test_flow_run_transition_answers_lost_after_the_commit(proxy, sqlite_server, cadenza_home,
                                                           tmp_path) -> None:  # fmt: skip
    # the parent's Pending, a child's Running, the parent's Completed (its 9th) and a retry
    lost = proxy.inject(drop_response(), method="POST", path=SET_STATE, nth=(1, 5, 9, 10))
    tally = run_workload(proxy, cadenza_home, tmp_path, tasks=200)
    assert lost.fired == 4
    assert tally["state"] == "COMPLETED"
    assert_exactly_once(sqlite_server, cadenza_home, tally)
    assert_no_dead_letters(cadenza_home)


def test_flow_run_creation_answers_lost_after_the_commit(proxy, sqlite_server, cadenza_home,
                                                         tmp_path) -> None:  # fmt: skip
    lost = proxy.inject(drop_response(), method="POST", path=CREATE, nth=(1, 2, 4))
    tally = run_workload(proxy, cadenza_home, tmp_path, tasks=200)
    assert lost.fired == 3
    assert_exactly_once(sqlite_server, cadenza_home, tally)
    assert_no_dead_letters(cadenza_home)


def test_503_after_the_commit(proxy, sqlite_server, cadenza_home, tmp_path) -> None:
    hidden = proxy.inject(respond(503, retry_after=0.1, forward=True), method="POST", every=4)
    tally = run_workload(proxy, cadenza_home, tmp_path, tasks=200)
    assert hidden.fired >= 4
    assert_exactly_once(sqlite_server, cadenza_home, tally)
    assert_no_dead_letters(cadenza_home)


# -- resets and delays ---------------------------------------------------------------------------


def test_connection_resets(proxy, sqlite_server, cadenza_home, tmp_path) -> None:
    resets = proxy.inject(reset(), every=3)
    tally = run_workload(proxy, cadenza_home, tmp_path, tasks=300)
    assert resets.fired >= 5, f"only {resets.fired} resets"
    assert_exactly_once(sqlite_server, cadenza_home, tally)
    assert_no_dead_letters(cadenza_home)


def test_delays_beyond_the_client_timeout(server, any_proxy, cadenza_home, tmp_path) -> None:
    """Answers delayed past the client's timeout (it retries; the first try had committed)
    and a batch held back until after its retry went through (it arrives late, again)."""
    late = [any_proxy.inject(delay(response=1.2), method="POST", path=BATCH, nth=2),
            any_proxy.inject(delay(response=1.2), method="POST", path=SET_STATE, nth=(2, 6)),
            any_proxy.inject(delay(request=1.5), method="POST", path=BATCH, nth=5)]  # fmt: skip
    tally = run_workload(any_proxy, cadenza_home, tmp_path, tasks=300, timeout=0.5)
    assert [rule.fired for rule in late] == [1, 2, 1]
    assert_exactly_once(server, cadenza_home, tally)
    assert_no_dead_letters(cadenza_home)


def test_a_server_slow_to_answer_is_waited_for_not_journaled(
    proxy, sqlite_server, cadenza_home, tmp_path
) -> None:
    """Every batch answered 1.5 s late (a server saturated by other processes' writes) within
    `CADENZA_API_REQUEST_TIMEOUT`: each batch is sent once and answered, nothing is journaled;
    a client that gave up sooner would resend each batch and add to the load (the soak test's
    16 x 20,000 tasks on PostgreSQL left crashed runs that way)."""
    slow = proxy.inject(delay(response=1.5), method="POST", path=BATCH)
    tally = run_workload(proxy, cadenza_home, tmp_path, tasks=200, timeout=None,
                         env={"CADENZA_API_REQUEST_TIMEOUT": "4"}, flush_interval=0.3)  # fmt: skip
    assert slow.fired >= 2
    batches = [e for e in proxy.exchanges if e.path == BATCH]
    assert len(batches) == slow.fired and all(e.status == 200 for e in batches)
    output = (tmp_path / "output.txt").read_text()
    assert "recording to the journal" not in output, output[-2000:]
    assert_exactly_once(sqlite_server, cadenza_home, tally)
    assert_no_dead_letters(cadenza_home)


# -- outages longer than the retry time: the journal ---------------------------------------------


def test_503_burst_longer_than_the_retry_time_is_journaled_and_replayed(
    server, any_proxy, cadenza_home, tmp_path
) -> None:
    """From the 6th batch on (its answer lost after the commit), every request is answered 503
    for 2 s; the client gives up after 1 s, journals, decides flow-run transitions itself, and
    replays when the server is back, while the flow runs on (its 3 subflows wait 0.8 s each)."""
    first = any_proxy.inject(respond(503, retry_after=0.2, forward=True), path=BATCH, nth=6)
    burst = any_proxy.inject(respond(503, retry_after=0.2), seconds=2.0,
                             match=lambda r: first.fired > 0)  # fmt: skip
    tally = run_workload(any_proxy, cadenza_home, tmp_path, tasks=400, subflows=3,
                         sub_tasks=100, pause=0.8, retry_time=1.0)  # fmt: skip
    assert first.fired == 1 and burst.fired >= 3
    output = (tmp_path / "output.txt").read_text()
    assert "recording to the journal" in output, output[-2000:]
    assert "the journal was replayed" in output, output[-2000:]
    assert_exactly_once(server, cadenza_home, tally)
    assert_no_dead_letters(cadenza_home)


def test_an_outage_that_outlasts_the_process_is_replayed_by_the_next_one(
    proxy, sqlite_server, cadenza_home, tmp_path
) -> None:
    """The server answers 503 from the 3rd batch until after the flow process exited: its
    journal is left behind, and the next process for that server replays it."""
    first = proxy.inject(respond(503, forward=True), path=BATCH, nth=3)
    outage = proxy.inject(respond(503, retry_after=0.1), match=lambda r: first.fired > 0)
    tally = run_workload(proxy, cadenza_home, tmp_path / "flow", tasks=300, retry_time=0.5)
    assert outage.fired >= 2
    assert journal_files(cadenza_home / "spool"), "the outage left no journal"
    proxy.clear()
    run_workload(proxy, cadenza_home, tmp_path / "next", mode="replay")
    assert_exactly_once(sqlite_server, cadenza_home, tally)
    assert_no_dead_letters(cadenza_home)


# -- refusals: 413 and 422 ------------------------------------------------------------------------


def test_413_on_big_batches_splits_them(proxy, sqlite_server, cadenza_home, tmp_path) -> None:
    too_large = proxy.inject(respond(413), method="POST", path=BATCH,
                             match=lambda r: len(r.body) > 50_000)  # fmt: skip
    tally = run_workload(proxy, cadenza_home, tmp_path, tasks=600, flush_interval=0.5)
    assert too_large.fired >= 1, "no batch was large enough to refuse"
    assert max(e.size for e in proxy.exchanges if e.status == 200 and e.path == BATCH) <= 50_000
    assert_exactly_once(sqlite_server, cadenza_home, tally)
    assert_no_dead_letters(cadenza_home)


def test_422_sets_aside_the_bad_record_and_sends_the_rest(proxy, sqlite_server, cadenza_home,
                                                           tmp_path) -> None:  # fmt: skip
    refused = refuse_poison(proxy)
    tally = run_workload(proxy, cadenza_home, tmp_path, tasks=200, special="poison")
    assert refused.fired == 1
    letters = read_dead_letters(cadenza_home)
    assert [(d["kind"], d["record"]["message"]) for d in letters] == [("log", POISON)], letters
    assert "poisoned by the fault proxy" in letters[0]["reason"]
    assert_exactly_once(sqlite_server, cadenza_home, tally,
                        refused={tally["special_key"]: 1})  # fmt: skip


def test_422_from_the_server_for_a_level_it_cannot_store(server, any_proxy, cadenza_home,
                                                tmp_path) -> None:  # fmt: skip
    """No fault injected: the server itself refuses a line at level 2**31 (naming the record
    in its 422); the client sets that line aside with the server's reason and resends the
    rest of the batch."""
    tally = run_workload(any_proxy, cadenza_home, tmp_path, tasks=200, special="custom-level")
    assert 422 in any_proxy.statuses(BATCH)
    letters = read_dead_letters(cadenza_home)
    assert [(d["kind"], d["record"]["level"]) for d in letters] == [("log", CUSTOM_LEVEL)], letters
    assert "level" in letters[0]["reason"] and "422" in letters[0]["reason"]
    assert_exactly_once(server, cadenza_home, tally,
                        refused={tally["special_key"]: 1})  # fmt: skip


# -- everything at once ----------------------------------------------------------------------------


def test_a_failing_flow_under_random_faults(proxy, sqlite_server, cadenza_home,
                                            tmp_path) -> None:  # fmt: skip
    """A seeded mix of every fault on every route; the parent fails at the end and must be
    recorded Failed."""
    proxy.inject(drop_response(), method="POST", rate=0.05, seed=1)
    proxy.inject(reset(), rate=0.05, seed=2)
    proxy.inject(respond(503, retry_after=0.05), rate=0.05, seed=3)
    proxy.inject(delay(response=0.7), method="POST", rate=0.02, seed=4)
    tally = run_workload(proxy, cadenza_home, tmp_path, tasks=400, timeout=0.5, fail=True)
    assert proxy.injected() >= 5, [e for e in proxy.exchanges if e.fault]
    assert tally["state"] == "FAILED"
    assert_exactly_once(sqlite_server, cadenza_home, tally)
    assert_no_dead_letters(cadenza_home)


def test_a_422_then_an_outage_sets_the_bad_record_aside_once(proxy, sqlite_server, cadenza_home,
                                                            tmp_path) -> None:  # fmt: skip
    """The server refuses the poisoned line; the rest of that batch, resent, meets an outage
    that outlasts the process and is journaled; the next process replays it, the server
    refuses the line again — and it is still one dead letter."""
    refused: list = []
    outage = proxy.inject(respond(503, retry_after=0.1), match=lambda r: refused[0].fired > 0)
    refused.append(refuse_poison(proxy))
    tally = run_workload(proxy, cadenza_home, tmp_path / "flow", tasks=200, special="poison",
                         retry_time=0.5)  # fmt: skip
    assert refused[0].fired == 1 and outage.fired >= 2
    proxy.clear()
    again = refuse_poison(proxy)
    run_workload(proxy, cadenza_home, tmp_path / "next", mode="replay")
    letters = read_dead_letters(cadenza_home)
    assert [(d["kind"], d["record"]["message"]) for d in letters] == [("log", POISON)], (
        f"the poisoned line was refused {refused[0].fired + again.fired} times and set aside "
        f"{len(letters)} times: {letters}"
    )
    assert_exactly_once(sqlite_server, cadenza_home, tally,
                        refused={tally["special_key"]: 1})  # fmt: skip
