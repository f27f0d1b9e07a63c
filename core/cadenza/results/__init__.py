"""Result persistence: serialize a completed run's value, sign it, store it, find it again.

`persist_state` is called by the run lifecycle for runs with ``persist_result``; `load_result`
by `State.result()` for a state that carries only a ``result_ref``; `load_run_result` reads a
recorded run's result in any process. See ``docs/concepts/results.md``.
"""

from __future__ import annotations

from cadenza.results.load import load_result, load_run_result, run_result_ref
from cadenza.results.persist import persist_state, resolve_storage, storage_key, store_value
from cadenza.results.refs import ResultRef
from cadenza.storage import register_storage_type

__all__ = [
    "ResultRef",
    "load_result",
    "load_run_result",
    "persist_state",
    "register_storage_type",
    "resolve_storage",
    "run_result_ref",
    "storage_key",
    "store_value",
]
