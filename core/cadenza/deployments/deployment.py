"""A deployment described in Python: `RunnerDeployment`, made by `flow.to_deployment(...)`.

It holds what the record's deployment holds (see `cadenza.store.tables.deployments`): the
flow's entrypoint and where its code is, default parameters — checked against the flow's
signature when the deployment is made —, schedules, tags, work pool and job variables,
description, version, concurrency limit, ``paused``, and the schedule policies ``catchup`` and
``late_after``. `apply()` creates or updates it in the record this process reports to.
"""

from __future__ import annotations

import datetime as _dt
import inspect
import os
import typing
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cadenza.schedules import (
    CronSchedule,
    IntervalSchedule,
    RRuleSchedule,
    Schedule,
    schedule_to_dict,
)

ScheduleLike = Schedule | CronSchedule | IntervalSchedule | RRuleSchedule
_JSON_TYPES: dict[Any, str] = {
    str: "string", int: "integer", float: "number", bool: "boolean", list: "array",
    tuple: "array", dict: "object",
}  # fmt: skip


@dataclass
class RunnerDeployment:
    """A deployment of a flow (Prefect 3's name). Build it with `flow.to_deployment`."""

    name: str
    flow_name: str
    entrypoint: str | None = None
    path: str | None = None
    source: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    parameter_schema: dict[str, Any] = field(default_factory=dict)
    schedules: list[dict[str, Any]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    description: str | None = None
    version: str | None = None
    work_pool_name: str | None = None
    work_queue_name: str | None = None
    job_variables: dict[str, Any] = field(default_factory=dict)
    concurrency_limit: int | None = None
    paused: bool = False
    catchup: bool = False
    late_after: float = 15.0
    flow: Any = field(default=None, repr=False, compare=False)

    @property
    def full_name(self) -> str:
        return f"{self.flow_name}/{self.name}"

    def spec(self) -> dict[str, Any]:
        """The deployment as `cadenza.deployments.api.DeploymentsApi.apply` takes it."""
        return {
            "name": self.name, "flow_name": self.flow_name, "entrypoint": self.entrypoint,
            "path": self.path, "source": {"url": self.source} if self.source else None,
            "parameters": self.parameters, "parameter_schema": self.parameter_schema,
            "schedules": self.schedules, "tags": self.tags, "description": self.description,
            "version": self.version, "work_pool_name": self.work_pool_name,
            "work_queue_name": self.work_queue_name, "job_variables": self.job_variables,
            "concurrency_limit": self.concurrency_limit, "paused": self.paused,
            "catchup": self.catchup, "late_after": self.late_after,
        }  # fmt: skip

    def apply(self) -> str:
        """Create or update the deployment in the record; return its id."""
        # lazily: SQLAlchemy or httpx load when a deployment is applied
        from cadenza.deployments.api import deployments_api

        api = deployments_api()
        try:
            return str(api.apply(self.spec())["id"])
        finally:
            api.close()


def parameter_schema(fn: Any) -> dict[str, Any]:
    """A JSON schema of the parameters of `fn`: ``{"type": "object", "properties": {name:
    {"title", "position", "type"?, "default"?}}, "required": [...]}``, with
    ``"additionalProperties": true`` when it takes ``**kwargs`` (the record refuses other
    names when it is false or absent)."""
    signature = inspect.signature(fn)
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # an annotation that does not resolve: leave its type out
        hints = {}
    properties: dict[str, Any] = {}
    required: list[str] = []
    schema: dict[str, Any] = {"title": "Parameters", "type": "object"}
    for position, (name, parameter) in enumerate(signature.parameters.items()):
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            continue
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            schema["additionalProperties"] = True
            continue
        prop: dict[str, Any] = {"title": name, "position": position}
        json_type = _JSON_TYPES.get(typing.get_origin(hints.get(name)) or hints.get(name))
        if json_type is not None:
            prop["type"] = json_type
        if parameter.default is inspect.Parameter.empty:
            required.append(name)
        elif parameter.default is None or isinstance(parameter.default, (*_JSON_TYPES,)):
            prop["default"] = parameter.default
        properties[name] = prop
    schema["properties"] = properties
    schema["required"] = required
    return schema


def check_parameters(flow: Any, parameters: Mapping[str, Any]) -> None:
    """`ValueError` naming any default parameter `flow` does not take."""
    try:
        inspect.signature(flow.fn).bind_partial(**parameters)
    except TypeError as exc:
        takes = ", ".join(inspect.signature(flow.fn).parameters) or "none"
        raise ValueError(
            f"parameters {sorted(parameters)} do not fit flow {flow.name!r} ({exc}); "
            f"it takes: {takes}"
        ) from None


def schedules_from(
    interval: Any = None,
    cron: str | Iterable[str] | None = None,
    rrule: str | Iterable[str] | None = None,
    schedule: ScheduleLike | None = None,
    schedules: Iterable[ScheduleLike] | None = None,
    timezone: str | None = None,
    anchor_date: _dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """The schedules the keyword arguments of `to_deployment` / `serve` describe, as the
    record keeps them (``{"schedule": {...}, "active", "parameters", "slug"}``)."""
    items: list[ScheduleLike] = []
    for value in _many(interval):
        seconds = value.total_seconds() if isinstance(value, _dt.timedelta) else float(value)
        items.append(IntervalSchedule(seconds, anchor_date=anchor_date, timezone=timezone))
    items += [CronSchedule(expr, timezone=timezone) for expr in _many(cron)]
    items += [RRuleSchedule(rule, timezone=timezone) for rule in _many(rrule)]
    if schedule is not None:
        items.append(schedule)
    items += list(schedules or ())
    out = []
    for item in items:
        if isinstance(item, Schedule):
            out.append({"schedule": schedule_to_dict(item.spec), "active": item.active,
                        "parameters": dict(item.parameters), "slug": item.slug})  # fmt: skip
        else:
            out.append({"schedule": schedule_to_dict(item), "active": True, "parameters": {},
                        "slug": None})  # fmt: skip
    return out


def _many(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set)):
        return list(value)
    return [value]


def code_location(flow: Any) -> tuple[str | None, str | None, str | None]:
    """(entrypoint, path, source) of `flow`: where a worker or `serve` finds its code.

    A flow loaded with `Flow.from_source` keeps its source and entrypoint; another is found
    by its file, relative to the current directory (the path stored with it).
    """
    if getattr(flow, "source", None):
        return flow.source_entrypoint, None, flow.source
    entrypoint = flow.entrypoint
    if entrypoint is None:
        raise ValueError(
            f"flow {flow.name!r} has no source file (defined interactively?): deploy a flow "
            "defined in a .py file, or load it with Flow.from_source"
        )
    file, _, qualname = entrypoint.rpartition(":")
    cwd = Path.cwd()
    try:
        relative = os.path.relpath(file, cwd)
    except ValueError:  # another drive (Windows)
        relative = file
    if relative.startswith(".."):
        return f"{file}:{qualname}", str(Path(file).parent), None
    return f"{relative}:{qualname}", str(cwd), None


def to_deployment(flow: Any, name: str | None = None, **options: Any) -> RunnerDeployment:
    """`flow.to_deployment(...)`: see `cadenza.flows.Flow.to_deployment`."""
    parameters = dict(options.pop("parameters", None) or {})
    check_parameters(flow, parameters)
    schedules = schedules_from(
        options.pop("interval", None), options.pop("cron", None), options.pop("rrule", None),
        options.pop("schedule", None), options.pop("schedules", None),
        options.pop("timezone", None), options.pop("anchor_date", None),
    )  # fmt: skip
    entrypoint, path, source = code_location(flow)
    limit = options.pop("concurrency_limit", None)
    max_active = options.pop("max_active_runs", None)
    paused = options.pop("paused", None)
    unknown = sorted(k for k, v in options.items() if k not in _PASSED and v is not None)
    if unknown:
        raise TypeError(f"to_deployment() got unexpected keyword arguments: {unknown}")
    if options.get("triggers"):  # accepted for Prefect's signature, but not acted on: say so
        warnings.warn(
            f"Deployment {name or flow.name!r}: triggers= is not supported; its "
            f"{len(options['triggers'])} trigger(s) are ignored. Create an automation that "
            "runs the deployment instead (docs/howto/control-runs.md, RunDeployment)",
            UserWarning,
            stacklevel=3,
        )
    return RunnerDeployment(
        name=name or flow.name, flow_name=flow.name, entrypoint=entrypoint, path=path,
        source=source, parameters=parameters, parameter_schema=parameter_schema(flow.fn),
        schedules=schedules, tags=list(options.get("tags") or ()),
        description=options.get("description") or _first_line(flow.description),
        version=options.get("version") or flow.version,
        work_pool_name=options.get("work_pool_name"),
        work_queue_name=options.get("work_queue_name"),
        job_variables=dict(options.get("job_variables") or {}),
        concurrency_limit=limit if limit is not None else max_active,
        paused=bool(paused), catchup=bool(options.get("catchup") or False),
        late_after=float(options.get("late_after") or 15.0), flow=flow,
    )  # fmt: skip


_PASSED = frozenset({"tags", "description", "version", "work_pool_name", "work_queue_name",
                     "job_variables", "catchup", "late_after", "enforce_parameter_schema",
                     "triggers", "entrypoint_type"})  # fmt: skip


def _first_line(text: str | None) -> str | None:
    return text.strip().splitlines()[0] if text and text.strip() else None


__all__ = [
    "RunnerDeployment",
    "ScheduleLike",
    "check_parameters",
    "code_location",
    "parameter_schema",
    "schedules_from",
    "to_deployment",
]
