"""The `cadenza` entry point of cadenza-dbt (``[project.entry-points.cadenza] dbt``).

cadenza imports this module whenever it loads its plugins, so it holds only the hook
implementations and `CADENZA_API`, and imports nothing but the `hookimpl` marker: the block
(pydantic) is imported inside the hook. dbt itself is never imported: it runs as its own
process (`cadenza_dbt.commands`).
"""

from cadenza import hookimpl

#: The cadenza versions this collection works with (a PEP 440 specifier set). A cadenza outside
#: it skips the collection and says why in `cadenza plugins ls`.
CADENZA_API = ">=0.1,<0.2"


@hookimpl
def register_block_types() -> list[type]:
    """Block types: saved and loaded by name, created with `cadenza block create`."""
    from cadenza_dbt.profile import DbtCliProfile

    return [DbtCliProfile]
