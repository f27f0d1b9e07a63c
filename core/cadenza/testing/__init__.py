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

from cadenza.testing.blocks import BlockConformance
from cadenza.testing.imports import PluginModuleConformance
from cadenza.testing.runners import TaskRunnerConformance
from cadenza.testing.storage import StorageBackendConformance

__all__ = [
    "BlockConformance",
    "PluginModuleConformance",
    "StorageBackendConformance",
    "TaskRunnerConformance",
]
