"""Prefect's ``prefect.utilities.annotations``: the engine's argument annotations."""

from __future__ import annotations

import warnings
from typing import Any

from cadenza.annotations import BaseAnnotation, NotSet, allow_failure, opaque, quote, unmapped


class Quote(quote[Any]):
    """Deprecated spelling of `quote` (as in Prefect): warns, then behaves as `quote`."""

    def __init__(self, value: Any) -> None:
        warnings.warn("Quote is deprecated; use quote", DeprecationWarning, stacklevel=2)
        super().__init__(value)


__all__ = ["BaseAnnotation", "NotSet", "Quote", "allow_failure", "opaque", "quote", "unmapped"]
