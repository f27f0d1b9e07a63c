"""Lists Prefect's public names, module by module, into ``names-<version>.json``.

Run it with Prefect's interpreter (it imports Prefect, which Cadenza never does)::

    benchmarks/.prefect-venv/bin/python tests/compat/prefect_names/list_names.py

A module's public names are its ``__all__``, or else what it defines (not what it imports) under
a name without a leading underscore. Type variables and ``TYPE_CHECKING`` are left out: they are
typing scaffolding, not API. The modules are the ones Prefect's documentation and public code
import from; `table.py` turns the list into the table of docs/migrate-from-prefect.md.
"""

from __future__ import annotations

import importlib
import json
import sys
import types
import typing
import warnings
from pathlib import Path

MODULES = [
    "prefect",
    "prefect.flows",
    "prefect.tasks",
    "prefect.states",
    "prefect.futures",
    "prefect.task_runners",
    "prefect.cache_policies",
    "prefect.transactions",
    "prefect.artifacts",
    "prefect.variables",
    "prefect.blocks.core",
    "prefect.blocks.system",
    "prefect.blocks.notifications",
    "prefect.blocks.webhook",
    "prefect.filesystems",
    "prefect.results",
    "prefect.serializers",
    "prefect.context",
    "prefect.runtime.flow_run",
    "prefect.runtime.task_run",
    "prefect.runtime.deployment",
    "prefect.logging",
    "prefect.logging.loggers",
    "prefect.concurrency.sync",
    "prefect.concurrency.asyncio",
    "prefect.exceptions",
    "prefect.deployments",
    "prefect.client.orchestration",
    "prefect.client.schemas.objects",
    "prefect.client.schemas.filters",
    "prefect.client.schemas.sorting",
    "prefect.client.schemas.schedules",
    "prefect.client.schemas.actions",
    "prefect.events",
    "prefect.automations",
    "prefect.schedules",
    "prefect.input",
    "prefect.flow_runs",
    "prefect.task_runs",
    "prefect.utilities.annotations",
    "prefect.utilities.asyncutils",
    "prefect.utilities.hashing",
    "prefect.utilities.collections",
    "prefect.testing.utilities",
    "prefect.runner",
    "prefect.workers.base",
    "prefect.workers.process",
    "prefect.task_worker",
    "prefect.types",
    "prefect.locking.memory",
    "prefect.locking.filesystem",
    "prefect.docker",
]


def _scaffolding(value: object) -> bool:
    return isinstance(value, typing.TypeVar | typing.ParamSpec | typing.TypeVarTuple)


def public_names(module: types.ModuleType) -> list[str]:
    declared = getattr(module, "__all__", None)
    if declared is None:
        declared = [
            name
            for name, value in vars(module).items()
            if not name.startswith("_")
            and not isinstance(value, types.ModuleType)
            and getattr(value, "__module__", module.__name__) == module.__name__
        ]
    return sorted(
        name
        for name in set(declared)
        if name != "TYPE_CHECKING" and not _scaffolding(getattr(module, name, None))
    )


def main() -> None:
    warnings.filterwarnings("ignore")
    prefect = importlib.import_module("prefect")
    listing = {name: public_names(importlib.import_module(name)) for name in MODULES}
    out = Path(__file__).with_name(f"names-{prefect.__version__}.json")
    data = {"prefect": prefect.__version__, "modules": listing}
    out.write_text(json.dumps(data, indent=1) + "\n")
    count = sum(map(len, listing.values()))
    print(f"{out}: {count} names in {len(listing)} modules", file=sys.stderr)


if __name__ == "__main__":
    main()
