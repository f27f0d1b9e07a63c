"""The `cadenza` entry point of cadenza-shell (``[project.entry-points.cadenza] shell``).

cadenza imports this module whenever it loads its plugins, so it holds only the hook
implementations and `CADENZA_API`, and imports nothing but the `hookimpl` marker: the block and
the task are imported inside the hooks. The conformance kit checks this
(`DistributionConformance` in tests/test_shell_conformance.py).
"""

from cadenza import hookimpl

#: The cadenza versions this collection works with (a PEP 440 specifier set). A cadenza outside
#: it skips the collection and says why in `cadenza plugins ls`.
CADENZA_API = ">=0.1,<0.2"


@hookimpl
def register_block_types() -> list[type]:
    """`ShellOperation`: shell commands saved by name, run with `.run()` or `.trigger()`."""
    from cadenza_shell.operation import ShellOperation

    return [ShellOperation]


@hookimpl
def register_tasks() -> list[object]:
    """Prebuilt tasks, listed by `cadenza tasks ls`."""
    from cadenza_shell.tasks import shell_run_command

    return [shell_run_command]
