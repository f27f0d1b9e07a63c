"""Deleting the stored files of results whose runs were deleted (``cadenza runs delete
--results``, ``cadenza db clean --results``).

A result reference comes from the run record, which any process reporting runs can write, so
it is not trusted to name a file worth deleting. A file is deleted only when all of these hold:

- the reference decodes and names a registered storage type (`cadenza.storage`);
- its key is a valid storage key (`cadenza.storage.validate_key`: no ``..`` segment, not
  absolute, no control characters), and — for local storage — resolves inside the storage's
  base path, symbolic links followed;
- what is stored there is a cadenza result envelope signed with this home's result signing key
  for that very key (`cadenza.results.envelope`), so a reference naming any other file, or a
  result signed by another home, deletes nothing.

Anything else is refused and reported with the reason; nothing is raised.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cadenza.exceptions import CadenzaError
from cadenza.results.envelope import open_envelope
from cadenza.results.refs import ResultRef
from cadenza.results.signing import signing_key
from cadenza.storage import from_description, validate_key

_SHOWN = 200  # characters of a reference repeated in a report


def delete_result(ref: str) -> str | None:
    """Delete the stored result `ref` names after checking it (see the module docstring).

    Returns None when it was deleted, ``"missing"`` when nothing is stored there any more, and
    otherwise why it was left alone.
    """
    try:
        decoded = ResultRef.loads(ref)
        key = validate_key(decoded.key)
        storage = from_description(decoded.storage)
        blob = storage.read_path(key)
        open_envelope(blob, key, lambda: signing_key(f"the result stored at key {key!r}"))
        storage.delete(key)
    except FileNotFoundError:
        return "missing"
    except (CadenzaError, ValueError, LookupError, TypeError, OSError) as exc:
        return str(exc) or type(exc).__name__
    return None


def delete_results(refs: Iterable[str]) -> dict[str, Any]:
    """Delete each reference's stored result (`delete_result`); ``{"deleted": n, "missing": n,
    "refused": [{"ref", "reason"}]}``."""
    outcome: dict[str, Any] = {"deleted": 0, "missing": 0, "refused": []}
    for ref in dict.fromkeys(refs):
        reason = delete_result(ref)
        if reason is None:
            outcome["deleted"] += 1
        elif reason == "missing":
            outcome["missing"] += 1
        else:
            shown = ref if len(ref) <= _SHOWN else ref[:_SHOWN] + "..."
            outcome["refused"].append({"ref": shown, "reason": reason})
    return outcome


__all__ = ["delete_result", "delete_results"]
