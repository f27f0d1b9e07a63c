"""The README's examples compile, and its flow's shape matches the tasks' signatures."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_python_block_of_the_readme_compiles() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert blocks
    for number, block in enumerate(blocks):
        compile(block, f"README.md python block {number}", "exec")


def test_the_readme_lists_what_the_plugin_registers() -> None:
    import cadenza_http.plugin as plugin

    text = README.read_text()
    for task in plugin.register_tasks():
        assert f"`{task.name}`" in text  # type: ignore[attr-defined]  # a Task
    assert "`http-credentials`" in text
