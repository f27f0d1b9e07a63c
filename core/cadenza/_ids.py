"""Run ids: random UUID4 strings from the process's PRNG.

`uuid.uuid4()` reads the kernel's entropy for every id, which costs tens of microseconds on some
virtual machines — more than a whole task run's bookkeeping. The `random` module is seeded from
the kernel at start and re-seeded after fork, which is enough for unique ids.
"""

from __future__ import annotations

from random import getrandbits

_CLEAR = ~((0xF << 76) | (0x3 << 62))
_SET = (0x4 << 76) | (0x2 << 62)  # version 4, RFC 4122 variant


def new_id() -> str:
    h = "%032x" % ((getrandbits(128) & _CLEAR) | _SET)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
