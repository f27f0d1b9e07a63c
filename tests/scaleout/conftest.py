"""The scale-out tests: several server processes on one database (their helpers are imported by
name from this directory)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
