"""Lock managers for transactions of isolation level SERIALIZABLE (Prefect 3's
`prefect.locking`): `MemoryLockManager` serializes the threads of one process,
`FileSystemLockManager` the processes that share a directory."""

from __future__ import annotations

from cadenza.locking.filesystem import FileSystemLockManager
from cadenza.locking.memory import MemoryLockManager

__all__ = ["FileSystemLockManager", "MemoryLockManager"]
