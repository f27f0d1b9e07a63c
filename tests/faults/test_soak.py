"""The fault scenarios, longer and randomised (``make soak``; not part of ``make test``): for
each seed, a bigger flow (1,000-2,000 tasks, subflows, retries, maybe a failing end) records
through a proxy that mixes every fault at seeded rates, sometimes with an outage longer than
the client's retry time and a line the proxy refuses. After the flow process, a later process
replays whatever journal it left. The record must hold everything exactly once, as in
test_proxy_faults. ``CADENZA_SOAK_SEEDS`` sets how many seeds (default 12)."""

from __future__ import annotations

import os
import random

import pytest

from cadenza.deadletter import read_dead_letters
from faults.proxy import FaultProxy, delay, drop_response, reset, respond
from faults.scenario import BATCH, assert_exactly_once, refuse_poison, run_workload
from faults.workload import POISON

pytestmark = pytest.mark.soak

SEEDS = range(int(os.environ.get("CADENZA_SOAK_SEEDS", "12")))


def script(proxy: FaultProxy, rng: random.Random) -> None:
    """A seeded mix of every fault."""
    seed = rng.randrange(2**32)
    proxy.inject(drop_response(), method="POST", rate=rng.uniform(0, 0.08), seed=seed)
    proxy.inject(reset(), rate=rng.uniform(0, 0.05), seed=seed + 1)
    proxy.inject(respond(503, retry_after=0.05), rate=rng.uniform(0, 0.08), seed=seed + 2)
    proxy.inject(respond(503, forward=True), method="POST", rate=rng.uniform(0, 0.05),
                 seed=seed + 3)  # fmt: skip
    proxy.inject(delay(response=0.8), method="POST", rate=rng.uniform(0, 0.03), seed=seed + 4)
    proxy.inject(delay(request=0.8), method="POST", rate=rng.uniform(0, 0.02), seed=seed + 5)
    limit = rng.choice([None, 30_000, 200_000])
    if limit:
        proxy.inject(respond(413), path=BATCH, match=lambda r: len(r.body) > limit)
    if rng.random() < 0.5:  # an outage longer than the retry time, from a random batch on
        start = proxy.inject(respond(503, retry_after=0.1), path=BATCH, nth=rng.randint(2, 30))
        proxy.inject(respond(503, retry_after=0.1), seconds=rng.uniform(1.5, 4.0),
                     match=lambda r: start.fired > 0)  # fmt: skip


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_random_faults_leave_an_exact_record(request, kind, seed, cadenza_home, tmp_path) -> None:
    server = request.getfixturevalue(f"{kind}_server")
    rng = random.Random(seed)
    poison = rng.random() < 0.3
    config = {"tasks": rng.randint(1000, 2000), "subflows": rng.randint(1, 4),
              "sub_tasks": rng.randint(50, 300), "logs": rng.randint(1, 4),
              "pause": rng.choice([0.0, 0.5]), "fail": rng.random() < 0.3,
              "flush_interval": rng.choice([0.02, 0.05, 0.3]), "timeout": 0.5,
              "retry_time": 1.0, "special": "poison" if poison else None}  # fmt: skip
    with FaultProxy(server.url).start() as proxy:
        if poison:
            refuse_poison(proxy)
        script(proxy, rng)
        tally = run_workload(proxy, cadenza_home, tmp_path / "flow", deadline=300, **config)
        faults = proxy.injected()
        proxy.clear()  # the faults end; the poisoned line stays refused, journaled or not
        if poison:
            refuse_poison(proxy)
        run_workload(proxy, cadenza_home, tmp_path / "next", mode="replay")
    assert faults > 0, f"seed {seed}: no fault was injected"
    assert tally["state"] == ("FAILED" if config["fail"] else "COMPLETED")
    refused = {tally["special_key"]: 1} if poison else None
    assert_exactly_once(server, cadenza_home, tally, refused)
    letters = read_dead_letters(cadenza_home)
    expected = [("log", POISON)] if poison else []
    found = [(d["kind"], d["record"].get("message") if isinstance(d["record"], dict) else None)
             for d in letters]  # fmt: skip
    assert found == expected, (
        f"seed {seed}, {faults} faults injected, config {config}: dead letters {letters[:3]}"
    )
