"""The version of the cadenza distribution: its one source (pyproject.toml reads it through
hatch's version source), importable by every layer without importing the package root."""

__version__ = "0.1.0"
