"""Deployments: running flows from where their code lives, on a schedule, through workers.

- `cadenza.deployments.entrypoints` loads a flow from an entrypoint; `cadenza.deployments.sources`
  makes a flow's source (a directory or a git repository) available on this machine;
- `cadenza.deployments.deployment` describes a deployment in Python (`flow.to_deployment`);
- `cadenza.deployments.api` is one API over the server or the embedded record;
- `cadenza.deployments.runner` serves deployments from one process (`flow.serve`, `serve`);
- `cadenza.deployments.run` asks for a run of a deployment (`run_deployment`);
- `cadenza.deployments.execute` runs one claimed run in a child process.

`run_deployment`, `arun_deployment`, `serve`, `deploy` and `RunnerDeployment` are importable
from here (as from ``prefect.deployments``); they load on first use, so importing this package
stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cadenza.deployments.deployment import RunnerDeployment as RunnerDeployment
    from cadenza.deployments.run import arun_deployment as arun_deployment
    from cadenza.deployments.run import run_deployment as run_deployment
    from cadenza.deployments.runner import deploy as deploy
    from cadenza.deployments.runner import serve as serve

__all__ = ["RunnerDeployment", "arun_deployment", "deploy", "run_deployment", "serve"]

_LAZY = {
    "RunnerDeployment": "cadenza.deployments.deployment",
    "run_deployment": "cadenza.deployments.run",
    "arun_deployment": "cadenza.deployments.run",
    "serve": "cadenza.deployments.runner",
    "deploy": "cadenza.deployments.runner",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cadenza.deployments' has no attribute {name!r}")
    # lazily: SQLAlchemy or httpx load with the first deployment used, not with this package
    import importlib

    return getattr(importlib.import_module(module), name)
