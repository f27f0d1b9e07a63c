"""``cadenza.yaml``: a project file declaring deployments (Prefect's ``prefect.yaml``, simplified).

```yaml
deployments:
  - name: nightly
    entrypoint: flows/etl.py:etl        # or package.module:flow
    parameters: {n: 10}
    tags: [etl]
    description: The nightly load
    version: "1.2"
    work_pool: {name: default, work_queue_name: high, job_variables: {env: {A: "1"}}}
    schedules:                          # or `schedule:` with one
      - {cron: "0 9 * * *", timezone: Europe/Paris, active: true}
      - {interval: 3600, anchor_date: "2026-01-01T00:00:00+00:00", timezone: UTC}
      - {rrule: "FREQ=WEEKLY;BYDAY=MO", timezone: UTC}
    concurrency_limit: 1
    paused: false
    catchup: false
    late_after: 30
    source: https://github.com/org/repo.git#main   # or a directory; default: the file's own
```

Other top-level keys (``name``, ``definitions`` for YAML anchors, ...) are ignored. A schedule
may also carry ``parameters`` (overriding the deployment's for its runs) and ``slug``.

`load_project` reads and checks the file; `build_spec` loads a deployment's entrypoint, checks
that it names a flow and that the default parameters fit the flow's signature, and returns what
`cadenza.deployments.api.deployments_api` applies, with the flow's `parameter_schema`;
`deploy_project` does both for the deployments asked for. Every problem is a `ProjectError`
naming the file, the deployment and the field.

The file is read with PyYAML, imported when a file is read.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import inspect
import tempfile
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from cadenza.deployments.deployment import parameter_schema
from cadenza.deployments.entrypoints import load_entrypoint
from cadenza.deployments.sources import is_git_source, materialize
from cadenza.exceptions import CadenzaError
from cadenza.schedules import schedule_from_dict, schedule_to_dict

DEFAULT_FILE = "cadenza.yaml"
"""The project file `cadenza deploy` reads unless told another."""

_FIELDS = frozenset({
    "name", "entrypoint", "parameters", "tags", "description", "version", "work_pool",
    "schedules", "schedule", "concurrency_limit", "paused", "catchup", "late_after", "source",
})  # fmt: skip
_WORK_POOL_FIELDS = frozenset({"name", "work_queue_name", "job_variables"})
_SCHEDULE_META = frozenset({"active", "parameters", "slug"})


class ProjectError(CadenzaError):
    """A project file, or a deployment it declares, that cannot be deployed; the message names
    the file, the deployment and the field."""


@dataclasses.dataclass(frozen=True)
class ProjectDeployment:
    """One deployment as the project file declares it (checked, not yet loaded)."""

    file: Path
    name: str
    entrypoint: str
    parameters: dict[str, Any]
    tags: list[str]
    description: str | None
    version: str | None
    work_pool_name: str | None
    work_queue_name: str | None
    job_variables: dict[str, Any]
    schedules: list[dict[str, Any]]
    concurrency_limit: int | None
    paused: bool
    catchup: bool
    late_after: float | None
    source: str | None

    @property
    def base_dir(self) -> Path:
        """The directory the file is in: where a relative entrypoint or source path starts."""
        return self.file.resolve().parent


def load_project(path: str | Path = DEFAULT_FILE) -> list[ProjectDeployment]:
    """The deployments the project file at `path` declares, checked (see the module docstring);
    `ProjectError` for a missing or malformed file, or a deployment that does not fit."""
    # lazily: PyYAML loads only when a project file is read
    import yaml

    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProjectError(
            f"{file}: no such file (a project file declares `deployments:`)"
        ) from None
    except OSError as exc:
        raise ProjectError(f"{file}: cannot be read: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ProjectError(f"{file}: not valid YAML: {exc}") from None
    if not isinstance(data, Mapping) or "deployments" not in data:
        raise ProjectError(f"{file}: expected a mapping with a `deployments:` list")
    items = data["deployments"] or []
    if not isinstance(items, list):
        raise ProjectError(f"{file}: `deployments` must be a list")
    out: list[ProjectDeployment] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        deployment = _checked(file, index, item)
        if deployment.name in seen:
            raise ProjectError(f"{file}: two deployments are named {deployment.name!r}")
        seen.add(deployment.name)
        out.append(deployment)
    return out


def _checked(file: Path, index: int, item: Any) -> ProjectDeployment:
    label = f"deployment #{index + 1}"
    if isinstance(item, Mapping) and isinstance(item.get("name"), str) and item["name"].strip():
        label = f"deployment {item['name']!r}"

    def fail(field: str, problem: str) -> typing.NoReturn:
        raise ProjectError(f"{file}: {label}: {field}: {problem}")

    if not isinstance(item, Mapping):
        raise ProjectError(f"{file}: {label}: expected a mapping, not {type(item).__name__}")
    unknown = sorted(set(map(str, item)) - _FIELDS)
    if unknown:
        fail(", ".join(unknown), f"unknown field (known: {', '.join(sorted(_FIELDS))})")
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        fail("name", "required: a non-empty string")
    if "/" in name:
        fail("name", "must not contain '/' (flow/name names a deployment)")
    entrypoint = item.get("entrypoint")
    if not isinstance(entrypoint, str) or not entrypoint.strip():
        fail("entrypoint", "required: 'path/to/file.py:flow' or 'module:flow'")
    parameters = item.get("parameters") or {}
    if not isinstance(parameters, Mapping):
        fail("parameters", "must be a mapping of parameter names to values")
    tags = item.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        fail("tags", "must be a list of strings")
    description = _optional_text(item.get("description"), lambda p: fail("description", p))
    version = _optional_text(item.get("version"), lambda p: fail("version", p), numbers=True)
    pool = item.get("work_pool") or {}
    if not isinstance(pool, Mapping):
        fail("work_pool", "must be a mapping with name, work_queue_name, job_variables")
    pool_unknown = sorted(set(map(str, pool)) - _WORK_POOL_FIELDS)
    if pool_unknown:
        fail(f"work_pool.{pool_unknown[0]}", "unknown field (known: name, work_queue_name, "
             "job_variables)")  # fmt: skip
    pool_name = _optional_text(pool.get("name"), lambda p: fail("work_pool.name", p))
    queue = _optional_text(
        pool.get("work_queue_name"), lambda p: fail("work_pool.work_queue_name", p)
    )
    job_variables = pool.get("job_variables") or {}
    if not isinstance(job_variables, Mapping):
        fail("work_pool.job_variables", "must be a mapping")
    if queue and not pool_name:
        fail("work_pool.work_queue_name", "needs work_pool.name")
    if "schedule" in item and "schedules" in item:
        fail("schedule", "give `schedule` (one) or `schedules` (a list), not both")
    raw_schedules = item.get("schedules") or []
    if "schedule" in item:
        raw_schedules = [item["schedule"]] if item["schedule"] is not None else []
    if not isinstance(raw_schedules, list):
        fail("schedules", "must be a list of schedules")
    schedules = [
        _schedule(entry, lambda p, i=i: fail(f"schedules[{i}]", p))
        for i, entry in enumerate(raw_schedules)
    ]
    limit = item.get("concurrency_limit")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        fail("concurrency_limit", "must be a whole number of at least 1")
    flags = {}
    for flag in ("paused", "catchup"):
        value = item.get(flag, False)
        if not isinstance(value, bool):
            fail(flag, "must be true or false")
        flags[flag] = value
    late_after = item.get("late_after")
    if late_after is not None and (
        isinstance(late_after, bool) or not isinstance(late_after, (int, float)) or late_after < 0
    ):
        fail("late_after", "must be a number of seconds, at least 0")
    source = _optional_text(item.get("source"), lambda p: fail("source", p))
    return ProjectDeployment(
        file=file, name=name.strip(), entrypoint=entrypoint.strip(), parameters=dict(parameters),
        tags=list(tags), description=description, version=version, work_pool_name=pool_name,
        work_queue_name=queue, job_variables=dict(job_variables), schedules=schedules,
        concurrency_limit=limit, paused=flags["paused"], catchup=flags["catchup"],
        late_after=None if late_after is None else float(late_after), source=source,
    )  # fmt: skip


def _optional_text(value: Any, fail: Any, numbers: bool = False) -> str | None:
    if value is None:
        return None
    if numbers and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        fail("must be a string")
    return value


def _schedule(entry: Any, fail: Any) -> dict[str, Any]:
    """``{"schedule": <schedule_to_dict shape>, "active", "parameters", "slug"}`` of one entry."""
    if not isinstance(entry, Mapping):
        fail("expected a mapping such as {cron: '0 9 * * *'} or {interval: 60}")
    spec = {k: v for k, v in entry.items() if k not in _SCHEDULE_META}
    for key, value in spec.items():
        if isinstance(value, (_dt.datetime, _dt.date)):  # YAML reads unquoted timestamps
            spec[key] = value.isoformat()
    try:
        shape = schedule_to_dict(schedule_from_dict(spec))
    except (ValueError, TypeError) as exc:
        fail(str(exc))
    active = entry.get("active", True)
    if not isinstance(active, bool):
        fail("active must be true or false")
    parameters = entry.get("parameters") or {}
    if not isinstance(parameters, Mapping):
        fail("parameters must be a mapping")
    slug = entry.get("slug")
    if slug is not None and not isinstance(slug, str):
        fail("slug must be a string")
    return {"schedule": shape, "active": active, "parameters": dict(parameters), "slug": slug}


def _is_flow(value: object) -> bool:
    """Whether `value` is a `cadenza.flows.Flow` (told by its class: this layer is below it)."""
    return any(
        c.__name__ == "Flow" and c.__module__ == "cadenza.flows" for c in type(value).__mro__
    )


def build_spec(deployment: ProjectDeployment, code_dir: Path | None = None) -> dict[str, Any]:
    """What `deployments_api().apply` takes for `deployment`: its entrypoint loaded (from
    `code_dir`, else its source directory or the file's directory) and checked to name a flow
    whose signature takes the default parameters. `ProjectError` otherwise."""
    where = f"{deployment.file}: deployment {deployment.name!r}"
    source: dict[str, Any] | None = None
    path: str | None = None
    if deployment.source is not None:
        if is_git_source(deployment.source):
            source = {"url": deployment.source}
        else:
            local = (deployment.base_dir / Path(deployment.source).expanduser()).resolve()
            if not local.is_dir():
                raise ProjectError(f"{where}: source: {local} is not a directory")
            source = {"url": str(local)}
            code_dir = code_dir or local
    else:
        path = str(deployment.base_dir)
    try:
        flow = load_entrypoint(deployment.entrypoint, code_dir or deployment.base_dir)
    except CadenzaError as exc:
        raise ProjectError(f"{where}: entrypoint: {exc}") from exc
    if not _is_flow(flow):
        raise ProjectError(
            f"{where}: entrypoint: {deployment.entrypoint!r} names a {type(flow).__name__}, "
            "not a flow (decorate it with @flow)"
        )
    fn = flow.fn  # type: ignore[attr-defined]  # a Flow: checked just above
    _check_parameters(where, fn, "parameters", deployment.parameters, complete=True)
    for i, item in enumerate(deployment.schedules):
        _check_parameters(where, fn, f"schedules[{i}].parameters", item["parameters"])
    spec: dict[str, Any] = {
        "name": deployment.name,
        "flow_name": flow.name,  # type: ignore[attr-defined]  # a Flow: checked above
        "entrypoint": deployment.entrypoint,
        "path": path,
        "source": source,
        "parameters": deployment.parameters,
        "parameter_schema": parameter_schema(fn),
        "tags": deployment.tags,
        "description": deployment.description,
        "version": deployment.version,
        "work_pool_name": deployment.work_pool_name,
        "work_queue_name": deployment.work_queue_name,
        "job_variables": deployment.job_variables,
        "concurrency_limit": deployment.concurrency_limit,
        "paused": deployment.paused,
        "catchup": deployment.catchup,
        "schedules": deployment.schedules,
    }
    if deployment.late_after is not None:
        spec["late_after"] = deployment.late_after
    return spec


def _check_parameters(
    where: str, fn: Any, field: str, parameters: Mapping[str, Any], complete: bool = False
) -> None:
    signature = inspect.signature(fn)
    try:
        signature.bind_partial(**parameters)
    except TypeError:
        accepted = [
            n for n, p in signature.parameters.items()
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        ]  # fmt: skip
        unknown = sorted(set(parameters) - set(accepted))
        raise ProjectError(
            f"{where}: {field}: the flow takes no parameter(s) {', '.join(unknown) or '?'}; "
            f"it takes: {', '.join(accepted) or 'none'}"
        ) from None
    if complete:
        missing = [
            n for n, p in signature.parameters.items()
            if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
            and n not in parameters
        ]  # fmt: skip
        if missing:
            raise ProjectError(
                f"{where}: {field}: the flow's required parameter(s) {', '.join(missing)} "
                "have no value; give them under `parameters:`"
            )


def select(
    deployments: list[ProjectDeployment], names: Iterable[str], every: bool, file: Path
) -> list[ProjectDeployment]:
    """The deployments `names` pick (a deployment's name, or ``flow/name`` whose name part is
    matched), all of them with `every`, or the only one; `ProjectError` otherwise."""
    names = list(names)
    known = ", ".join(d.name for d in deployments) or "none"
    if every:
        if names:
            raise ProjectError("give deployment names or --all, not both")
        return deployments
    if not names:
        if len(deployments) == 1:
            return deployments
        if not deployments:
            raise ProjectError(f"{file}: declares no deployments")
        raise ProjectError(
            f"{file} declares {len(deployments)} deployments ({known}): name the ones to deploy, "
            "or pass --all"
        )
    by_name = {d.name: d for d in deployments}
    chosen = []
    for name in names:
        key = name.rpartition("/")[2]
        if key not in by_name:
            raise ProjectError(f"{file}: no deployment named {name!r}; it declares: {known}")
        chosen.append(by_name[key])
    return list({d.name: d for d in chosen}.values())


def deploy_project(
    path: str | Path = DEFAULT_FILE,
    names: Iterable[str] = (),
    all: bool = False,
    api: Any = None,
) -> list[dict[str, Any]]:
    """Create or update the deployments the project file declares (those `names` pick, or
    `all`), through `api` (default: `deployments_api()`); the deployments as applied. Every
    spec is built (and checked) before any is applied."""
    file = Path(path)
    chosen = select(load_project(file), names, all, file)
    specs = []
    with tempfile.TemporaryDirectory(prefix="cadenza-deploy-") as workdir:
        for deployment in chosen:
            code_dir = None
            if deployment.source is not None and is_git_source(deployment.source):
                try:
                    code_dir = materialize(deployment.source, Path(workdir) / deployment.name)
                except CadenzaError as exc:
                    raise ProjectError(
                        f"{file}: deployment {deployment.name!r}: source: {exc}"
                    ) from exc
            specs.append(build_spec(deployment, code_dir))
    own = api is None
    if own:
        # lazily: the record's client (SQLAlchemy or httpx) loads only when deploying
        from cadenza.deployments.api import deployments_api

        api = deployments_api()
    try:
        applied = []
        for spec in specs:
            try:
                applied.append(api.apply(spec))
            except LookupError as exc:  # the only thing apply looks up is the work pool
                if not spec.get("work_pool_name"):
                    raise
                detail = getattr(exc, "detail", None) or (exc.args[0] if exc.args else exc)
                raise ProjectError(
                    f"{file}: deployment {spec['name']!r}: work_pool.name: {detail} (create "
                    "the pool first)"
                ) from exc
        return applied
    finally:
        if own:
            api.close()


__all__ = [
    "DEFAULT_FILE",
    "ProjectDeployment",
    "ProjectError",
    "build_spec",
    "deploy_project",
    "load_project",
    "select",
]
