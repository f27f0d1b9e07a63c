"""Cadenza settings: ``CADENZA_*`` environment variables, profiles, defaults.

`get` (and `home`) resolve one setting fast with the standard library only; the
pydantic-settings model used by ``cadenza config`` lives in `cadenza.settings.model` and is
imported only when needed. Every setting is declared once, in `cadenza.settings.spec`.
"""

from __future__ import annotations

from cadenza.settings.spec import SETTINGS, Secret, Setting, get, home, reset_cache, source

__all__ = ["SETTINGS", "Secret", "Setting", "get", "home", "reset_cache", "source"]
