"""Ids as the CLI shows them and takes them back: the shortest unique end of each id in a
listing, and one resolver for an id given in full, as a unique prefix or as a unique suffix.

Cadenza's ids are UUIDs, mostly time-ordered (version 7): their first characters are a
timestamp shared by everything created in the same minute, their last 12 are random. Listings
therefore show the *end* of an id, as many characters as make it unique in the listing (at
least 8); every command taking an id accepts a unique prefix or suffix of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise

MIN_SHOWN = 8
SHOWN_IN_ERROR = 5


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def shown_length(ids: Iterable[str | None], minimum: int = MIN_SHOWN) -> int:
    """How many trailing characters tell every id in `ids` apart (at least `minimum`, and one
    more where a shown end would start with ``-``, which a shell command would take for an
    option)."""
    backwards = sorted({i[::-1] for i in ids if i})
    need = minimum
    for a, b in pairwise(backwards):
        need = max(need, _common_prefix(a, b) + 1)
    while any(len(i) > need and i[need - 1] == "-" for i in backwards):
        need += 1
    return need


def short_ids(ids: Iterable[str | None], minimum: int = MIN_SHOWN) -> dict[str, str]:
    """Each id of `ids` → its last characters, as many as make every one unique (one length
    for the whole listing, so the column lines up)."""
    unique = [i for i in dict.fromkeys(ids) if i]
    length = shown_length(unique, minimum)
    return {i: i[-length:] for i in unique}


def resolve_ref(ref: str, ids: Iterable[str], what: str) -> str:
    """The one id of `ids` that `ref` names: the id itself, or a unique prefix or suffix of it.

    LookupError when none matches, or when several do (the message lists them, so the user can
    give more characters). `what` names the kind of id, e.g. ``"artifact"``.
    """
    ref = ref.strip()
    candidates = list(dict.fromkeys(ids))
    if not ref:
        raise LookupError(f"Empty {what} id")
    if ref in candidates:
        return ref
    matches = [i for i in candidates if i.startswith(ref) or i.endswith(ref)]
    if not matches:
        raise LookupError(f"No {what} with id, id prefix or id suffix {ref!r}")
    if len(matches) > 1:
        raise LookupError(ambiguous(what, ref, matches))
    return matches[0]


def ambiguous(what: str, ref: str, matches: list[str]) -> str:
    """The message for an id prefix or suffix `ref` that `matches` several ids."""
    shown = ", ".join(matches[:SHOWN_IN_ERROR]) + (", ..." if len(matches) > SHOWN_IN_ERROR else "")
    return f"{what.capitalize()} id {ref!r} is ambiguous; it matches {shown}"


__all__ = ["MIN_SHOWN", "ambiguous", "resolve_ref", "short_ids", "shown_length"]
