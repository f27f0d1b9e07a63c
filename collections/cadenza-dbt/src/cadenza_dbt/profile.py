"""`DbtCliProfile`: a dbt profile saved as a block, written to a ``profiles.yml`` when dbt runs.

Save one once and name it in any flow instead of keeping a ``profiles.yml`` beside the
project::

    DbtCliProfile(
        name="shop",                        # dbt_project.yml's `profile:`
        target="prod",
        adapter_type="postgres",
        outputs={"host": "db.internal", "user": "dbt", "dbname": "shop", "schema": "main"},
        secret_outputs={"password": "..."},  # encrypted at rest, masked everywhere
    ).save("shop-prod")

    dbt_build(project_dir="shop", profile="shop-prod")

Or from the command line: ``cadenza block create dbt-cli-profile shop-prod -f name=shop ...``.
The secret settings are a `SecretDict`: masked in ``repr``, JSON, the CLI and run logs; they are
read only when the profile is written for dbt (`write_profiles`, a file only its owner reads).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cadenza import masking
from cadenza.blocks.core import Block
from cadenza.blocks.fields import SecretDict
from pydantic import Field, field_validator


class DbtCliProfile(Block):
    """A dbt profile with one target: its adapter, settings and secret settings."""

    _block_type_slug = "dbt-cli-profile"
    _block_type_name = "dbt CLI Profile"
    _description = "A dbt profile (one target) written to a profiles.yml when dbt runs."
    _documentation_url = "https://cadenza.dev/collections/dbt/"

    name: str = Field(description="The profile's name: the `profile:` of dbt_project.yml.")
    target: str = Field(default="dev", description="The target's name (dbt's --target).")
    adapter_type: str = Field(
        description="The adapter: the target's `type:` (duckdb, postgres, snowflake, ...)."
    )
    threads: int = Field(default=1, ge=1, description="How many nodes dbt runs at once.")
    outputs: dict[str, Any] = Field(
        default_factory=dict,
        description="The target's other settings (path, host, schema, ...), as in profiles.yml.",
    )
    secret_outputs: SecretDict = Field(
        default_factory=lambda: SecretDict({}),
        description="Settings that are secrets (password, token, ...): stored encrypted.",
    )

    @field_validator("name", "target", "adapter_type")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    def get_profile(self) -> dict[str, Any]:
        """The profile as profiles.yml holds it, secrets in clear text: ``{name: {"target":
        target, "outputs": {target: {...}}}}``."""
        secrets = self.secret_outputs.get_secret_value()
        masking.register(*(v for v in secrets.values() if isinstance(v, str)))
        output = {**self.outputs, **secrets, "type": self.adapter_type, "threads": self.threads}
        return {self.name: {"target": self.target, "outputs": {self.target: output}}}

    def write_profiles(self, directory: str | os.PathLike[str]) -> Path:
        """Write ``profiles.yml`` into `directory` (readable by its owner only); its path."""
        path = Path(directory) / "profiles.yml"
        # JSON is YAML: no YAML library needed, and no quoting mistakes
        text = json.dumps(self.get_profile(), indent=2, default=str)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text + "\n")
        return path
