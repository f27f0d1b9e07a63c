"""What the runtime modules share: reading a field, mocked by an environment variable.

As in Prefect, a field can be set for a test through the environment:
``CADENZA__RUNTIME__FLOW_RUN__NAME=x`` (or Prefect's ``PREFECT__RUNTIME__FLOW_RUN__NAME``) makes
``flow_run.name`` read ``"x"``, cast to the type the real value has (bool, int, float, str).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

_CASTS: dict[type, Callable[[str], Any]] = {
    bool: lambda text: text.lower() == "true",
    int: int,
    float: float,
    str: str,
    type(None): str,
}


def _mocked(module: str, name: str) -> str | None:
    suffix = f"__RUNTIME__{module.upper()}__{name.upper()}"
    for prefix in ("CADENZA", "PREFECT"):
        value = os.environ.get(prefix + suffix)
        if value is not None:
            return value
    return None


def read(module: str, fields: dict[str, Callable[[], Any]], name: str) -> Any:
    """Field ``name`` of ``cadenza.runtime.<module>``: mocked through the environment, else
    computed. AttributeError for a name that is not a field (dunder names included, so that
    ``hasattr(module, "__path__")`` and introspection behave as for any module)."""
    if name.startswith("__"):
        raise AttributeError(f"module 'cadenza.runtime.{module}' has no attribute {name!r}")
    compute = fields.get(name)
    mocked = _mocked(module, name)
    if compute is None:
        if mocked is not None:
            return mocked
        raise AttributeError(f"cadenza.runtime.{module} has no attribute {name!r}")
    value = compute()
    if mocked is None:
        return value
    cast = _CASTS.get(type(value))
    if cast is None:
        raise ValueError(
            f"cadenza.runtime.{module}.{name} is a {type(value).__name__}, which cannot be set "
            "through an environment variable; patch it (unittest.mock.patch) instead"
        )
    return cast(mocked)


def api_url() -> str | None:
    """The server's API root when runs are reported to one (``CADENZA_API_URL``), else None."""
    url = os.environ.get("CADENZA_API_URL")
    if not url:
        # lazily: settings load only when a field that needs them is read
        from cadenza.settings import spec

        url = spec.get("CADENZA_API_URL")
    if not url:
        return None
    url = str(url).rstrip("/")
    return url if url.endswith("/api") else f"{url}/api"


def ui_url() -> str | None:
    """The dashboard's root on that server, else None."""
    api = api_url()
    return api[: -len("/api")] if api is not None else None


__all__ = ["api_url", "read", "ui_url"]
