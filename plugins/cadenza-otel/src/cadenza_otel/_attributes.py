"""The attributes of a run's span: ids, names, tags, parameter names, and what a state says.

Parameter values are recorded only for the parameters ``CADENZA_OTEL_PARAMETER_VALUES`` names,
and never for a secret: a pydantic ``SecretStr``/``SecretBytes``, a cadenza ``Secret`` block or
``SecretDict``, or text holding a registered secret value (`cadenza.masking`) becomes
``********``.
"""

from __future__ import annotations

from typing import Any

from cadenza.masking import MASK, mask

from cadenza_otel._config import Config

#: The longest parameter value recorded, in characters; longer ones are cut with a marker.
MAX_VALUE = 256

_SECRET_TYPES = ("SecretStr", "SecretBytes", "SecretDict", "Secret")


def _is_secret(value: Any) -> bool:
    if hasattr(value, "get_secret_value"):  # pydantic's secret types, as the core checks
        return True
    return any(cls.__name__ in _SECRET_TYPES for cls in type(value).__mro__)


def parameter_value(value: Any) -> str | bool | int | float:
    """What a span records of a parameter's value: scalars as they are, anything else as its
    ``repr``, secrets masked, at most `MAX_VALUE` characters."""
    if _is_secret(value):
        return MASK
    if isinstance(value, (bool, int, float)):
        return value
    text = value if isinstance(value, str) else repr(value)
    text = mask(text)
    if len(text) > MAX_VALUE:
        text = text[:MAX_VALUE] + "…"
    return text


def parameters(config: Config, values: dict[str, Any]) -> dict[str, Any]:
    """``cadenza.parameters`` (the names, in order) and, for the parameters whose values the
    configuration records, ``cadenza.parameter.<name>``."""
    found: dict[str, Any] = {"cadenza.parameters": tuple(str(name) for name in values)}
    for name, value in values.items():
        if config.records_value_of(name):
            found[f"cadenza.parameter.{name}"] = parameter_value(value)
    return found


def flow_run(run: Any) -> dict[str, Any]:
    """The attributes of a flow run's span (parameters apart)."""
    found = {
        "cadenza.run.type": "flow",
        "cadenza.run.id": run.id,
        "cadenza.run.name": mask(run.name),
        "cadenza.flow.name": run.flow_name,
        "cadenza.flow_run.id": run.id,
        "cadenza.tags": tuple(run.tags or ()),
    }
    if run.flow_version:
        found["cadenza.flow.version"] = str(run.flow_version)
    if run.parent_flow_run_id:
        found["cadenza.parent_flow_run.id"] = run.parent_flow_run_id
    if run.parent_task_run_id:
        found["cadenza.parent_task_run.id"] = run.parent_task_run_id
    return found


def task_run(run: Any) -> dict[str, Any]:
    """The attributes of a task run's span (parameters apart)."""
    found = {
        "cadenza.run.type": "task",
        "cadenza.run.id": run.id,
        "cadenza.run.name": mask(run.name),
        "cadenza.task.name": run.task_name,
        "cadenza.task.key": run.task_key,
        "cadenza.task_run.id": run.id,
        "cadenza.tags": tuple(run.tags or ()),
    }
    if run.flow_run_id:
        found["cadenza.flow_run.id"] = run.flow_run_id
    return found


def state(new_state: Any) -> dict[str, Any]:
    """What a span event (or a span's end) records of a state."""
    found = {
        "cadenza.state.type": new_state.type.value,
        "cadenza.state.name": new_state.name,
    }
    if new_state.message:
        found["cadenza.state.message"] = mask(new_state.message)
    return found


__all__ = ["MAX_VALUE", "flow_run", "parameter_value", "parameters", "state", "task_run"]
