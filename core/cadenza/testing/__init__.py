"""`cadenza.testing`: the conformance kit for collections and plugins.

Installed as a pytest plugin (entry point ``pytest11``), it provides fixtures — an isolated
``CADENZA_HOME`` and backend per test (`cadenza_isolated_home`) — and conformance suites: classes
a collection subclasses in its own tests, supplying one fixture, to check what it registers
against the same contract the core's built-ins pass.

```python
import pytest
from cadenza.testing import StorageBackendConformance

class TestMyBucket(StorageBackendConformance):
    @pytest.fixture
    def storage(self):
        return MyBucket(bucket="test", ...)
```
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cadenza.testing.blocks import BlockConformance
    from cadenza.testing.distribution import DistributionConformance
    from cadenza.testing.imports import PluginModuleConformance
    from cadenza.testing.runners import TaskRunnerConformance
    from cadenza.testing.services import ServiceProcess, free_port
    from cadenza.testing.storage import StorageBackendConformance

# public name -> the module that defines it. Imported on first use: pytest imports this package
# for its pytest11 plugin in every session, and `cadenza.testing.services` or `.postgres` are
# used outside pytest (scripts, benchmarks), where importing pytest would be a waste.
_LAZY = {
    "BlockConformance": "cadenza.testing.blocks",
    "DistributionConformance": "cadenza.testing.distribution",
    "PluginModuleConformance": "cadenza.testing.imports",
    "ServiceProcess": "cadenza.testing.services",
    "StorageBackendConformance": "cadenza.testing.storage",
    "TaskRunnerConformance": "cadenza.testing.runners",
    "free_port": "cadenza.testing.services",
}

__all__ = [
    "BlockConformance",
    "DistributionConformance",
    "PluginModuleConformance",
    "ServiceProcess",
    "StorageBackendConformance",
    "TaskRunnerConformance",
    "free_port",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # the next access is a plain attribute read
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
