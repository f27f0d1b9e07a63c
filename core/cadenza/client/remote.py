"""The process's client for blocks, variables and artifact reads when a server is configured.

`remote_or_none()` is None unless ``CADENZA_API_URL`` is set; otherwise one `ApiClient` per
(URL, key), version-checked on first use, kept for the life of the process.
"""

from __future__ import annotations

import os
import threading
from typing import Any

_lock = threading.Lock()
_clients: dict[tuple[str, str | None], Any] = {}


def server_configured() -> bool:
    """Whether ``CADENZA_API_URL`` names a server (in the environment or a profile)."""
    if os.environ.get("CADENZA_API_URL"):
        return True
    # lazily: settings load only when no URL is in the environment (the common case of a
    # flow that records locally reads the environment once, then a profile, here)
    from cadenza.settings import spec

    return bool(spec.get("CADENZA_API_URL"))  # a profile may set it


def remote_or_none() -> Any:
    """An `ApiClient` for the configured server, or None when runs are recorded locally."""
    if not server_configured():
        return None
    # lazily: httpx loads only when a server is configured
    from cadenza.client.http import client_from_settings, settings_url_and_key

    key = settings_url_and_key()
    with _lock:
        client = _clients.get(key)
        if client is None:
            client = client_from_settings()
            client.check_version()
            _clients[key] = client
    return client


def reset_remote() -> None:
    """Close and forget the cached clients (tests; after changing the server settings)."""
    with _lock:
        for client in _clients.values():
            client.close()
        _clients.clear()


__all__ = ["remote_or_none", "reset_remote", "server_configured"]
