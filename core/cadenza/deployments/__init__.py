"""Deployments: running flows from where their code lives, on a schedule, through workers.

`cadenza.deployments.entrypoints` loads a flow from an entrypoint; `cadenza.deployments.sources`
makes a flow's source (a directory or a git repository) available on this machine.
"""

__all__: list[str] = []  # the modules of this package are its API
