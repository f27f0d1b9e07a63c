"""Concurrency and rate limits: ``with concurrency("db", occupy=1):`` holds slots of named
limits while a block runs, ``rate_limit("api")`` paces calls; `cadenza.concurrency.sync` and
`cadenza.concurrency.asyncio` have the same two names, as in Prefect 3.

Limits live in the record this process reports to: the server when ``CADENZA_API_URL`` is set,
else the embedded record, shared by every process on the machine that uses it. Slots are leases
(`cadenza.store.concurrency`): a holder renews its lease from a background thread while it holds
it, so slots of a process that dies free themselves when the lease expires. A waiter sleeps
until a slot frees (see `cadenza.concurrency._wakeup` and the server's acquire route), not in a
polling loop.

Importing this package imports nothing heavy: httpx or SQLAlchemy load at the first acquisition.
"""

__all__: list[str] = []  # as `prefect.concurrency`: the names live in .sync and .asyncio
