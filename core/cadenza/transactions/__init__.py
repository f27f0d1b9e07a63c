"""Transactions (Prefect 3's `prefect.transactions`): group work that commits or rolls back as
one, share values inside it, and make keyed work idempotent.

``with transaction(): ...`` groups the task runs inside it: their ``on_commit`` hooks run when
it commits, their ``on_rollback`` hooks (last first) when it fails. A transaction with a `key`
writes a record at commit, and a later one with that key begins committed. Every task run with a
cache key, a transaction around it or transaction hooks runs in its own transaction, keyed by
its cache key. See ``docs/concepts/transactions.md``.
"""

from __future__ import annotations

from cadenza.transactions.base import (
    AsyncTransaction,
    BaseTransaction,
    CommitMode,
    IsolationLevel,
    Transaction,
    TransactionState,
    atransaction,
    get_transaction,
    transaction,
)
from cadenza.transactions.records import (
    RecordStore,
    RunRecordStore,
    StorageRecordStore,
    TransactionRecord,
)

__all__ = [
    "AsyncTransaction",
    "BaseTransaction",
    "CommitMode",
    "IsolationLevel",
    "RecordStore",
    "RunRecordStore",
    "StorageRecordStore",
    "Transaction",
    "TransactionRecord",
    "TransactionState",
    "atransaction",
    "get_transaction",
    "transaction",
]
