"""The `cadenza` entry point of cadenza-http (``[project.entry-points.cadenza] http``).

cadenza imports this module whenever it loads its plugins, so it holds only the hook
implementations and `CADENZA_API`, and imports nothing but the `hookimpl` marker: the block and
the tasks are imported inside the hooks, and httpx only when a request is sent. The conformance
kit checks this (`DistributionConformance` in tests/test_http_conformance.py).
"""

from cadenza import hookimpl

#: The cadenza versions this collection works with (a PEP 440 specifier set). A cadenza outside
#: it skips the collection and says why in `cadenza plugins ls`.
CADENZA_API = ">=0.1,<0.2"


@hookimpl
def register_block_types() -> list[type]:
    """Block types: saved and loaded by name, created with `cadenza block create`."""
    from cadenza_http.credentials import HttpCredentials

    return [HttpCredentials]


@hookimpl
def register_tasks() -> list[object]:
    """Prebuilt tasks, listed by `cadenza tasks ls`."""
    from cadenza_http.tasks import http_get_json, http_paginate, http_request

    return [http_request, http_get_json, http_paginate]
