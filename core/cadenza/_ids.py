"""Run ids: time-ordered UUIDs (version 7, RFC 9562) from the process's PRNG.

Time-ordered ids make every index insert of the record land at the right edge of its B-tree,
which keeps recording cost flat as the record grows (random UUID4 keys made the writer several
times slower on a large record). `uuid.uuid4()` would also read the kernel's entropy for every
id, which costs tens of microseconds on some virtual machines; the `random` module is seeded from
the kernel at start and re-seeded after fork, which is enough for unique ids.
"""

from __future__ import annotations

from itertools import count
from random import getrandbits
from time import time_ns

_counter = count(getrandbits(12))
_VERSION = 0x7 << 76
_VARIANT = 0x2 << 62


def new_id() -> str:
    """A UUIDv7 string: 48 bits of Unix milliseconds, a 12-bit sequence, 62 random bits."""
    value = (
        (time_ns() // 1_000_000) << 80
        | _VERSION
        | (next(_counter) & 0xFFF) << 64
        | _VARIANT
        | getrandbits(62)
    )
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
