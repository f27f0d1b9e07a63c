"""Cadenza's plugin system (DESIGN.md §4): pluggy hooks, discovery and the registries.

Importing this package imports nothing: pluggy and `importlib.metadata` load only when the
plugin manager is first used.

- `cadenza.plugins.markers` — ``hookspec`` and ``hookimpl`` (``from cadenza import hookimpl``).
- `cadenza.plugins.hookspecs` — every hook, its arguments and when it fires.
- `cadenza.plugins.builtin` — the core's own features, registered through the same hooks.
- `cadenza.plugins.manager` — discovery from the ``cadenza`` entry-point group, validation and
  the load report.
- `cadenza.plugins.registry` — what the rest of the core asks: block types, storage types, task
  runners, tasks and serializers by name.
"""

__all__: list[str] = []  # the modules of this package are its API
