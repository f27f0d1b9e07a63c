"""`dbt_build`, `dbt_run`, `dbt_test` and `invoke_dbt`: dbt commands run inside a flow, each dbt
node recorded as a task run of the flow run.

dbt runs as its own process (``dbt <command> --log-format json``), found next to this Python
(`dbt_executable` to choose another): its structured log is read line by line as dbt writes it,
so each node's task run starts, logs and ends while dbt works (see `cadenza_dbt._recorder`).
dbt is never imported here: it keeps its own pinned dependencies and may live in another
environment. A failing node fails its task run; once dbt is done and every node is recorded,
the call raises `DbtRunError` naming the failed nodes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from cadenza.exceptions import MissingContextError
from cadenza.logging import get_logger, get_run_logger
from cadenza.masking import mask

from cadenza_dbt._events import parse
from cadenza_dbt._recorder import NodeRecorder
from cadenza_dbt.profile import DbtCliProfile
from cadenza_dbt.results import DbtError, DbtResult, DbtRunError

_STOP_WAIT = 10.0  # seconds dbt gets to stop after SIGTERM before it is killed


def dbt_build(
    project_dir: str | os.PathLike[str],
    *,
    profiles_dir: str | os.PathLike[str] | None = None,
    select: str | Sequence[str] | None = None,
    exclude: str | Sequence[str] | None = None,
    target: str | None = None,
    profile: DbtCliProfile | str | None = None,
    vars: dict[str, Any] | None = None,
    extra_args: Sequence[str] = (),
    dbt_executable: str | os.PathLike[str] | None = None,
    raise_on_failure: bool = True,
) -> DbtResult:
    """``dbt build``: seeds, models, snapshots and tests in dependency order (see `invoke_dbt`)."""
    return invoke_dbt("build", **locals())


def dbt_run(
    project_dir: str | os.PathLike[str],
    *,
    profiles_dir: str | os.PathLike[str] | None = None,
    select: str | Sequence[str] | None = None,
    exclude: str | Sequence[str] | None = None,
    target: str | None = None,
    profile: DbtCliProfile | str | None = None,
    vars: dict[str, Any] | None = None,
    extra_args: Sequence[str] = (),
    dbt_executable: str | os.PathLike[str] | None = None,
    raise_on_failure: bool = True,
) -> DbtResult:
    """``dbt run``: the models (see `invoke_dbt`)."""
    return invoke_dbt("run", **locals())


def dbt_test(
    project_dir: str | os.PathLike[str],
    *,
    profiles_dir: str | os.PathLike[str] | None = None,
    select: str | Sequence[str] | None = None,
    exclude: str | Sequence[str] | None = None,
    target: str | None = None,
    profile: DbtCliProfile | str | None = None,
    vars: dict[str, Any] | None = None,
    extra_args: Sequence[str] = (),
    dbt_executable: str | os.PathLike[str] | None = None,
    raise_on_failure: bool = True,
) -> DbtResult:
    """``dbt test``: the data tests (see `invoke_dbt`)."""
    return invoke_dbt("test", **locals())


def invoke_dbt(
    command: str,
    *,
    project_dir: str | os.PathLike[str],
    profiles_dir: str | os.PathLike[str] | None = None,
    select: str | Sequence[str] | None = None,
    exclude: str | Sequence[str] | None = None,
    target: str | None = None,
    profile: DbtCliProfile | str | None = None,
    vars: dict[str, Any] | None = None,
    extra_args: Sequence[str] = (),
    dbt_executable: str | os.PathLike[str] | None = None,
    raise_on_failure: bool = True,
) -> DbtResult:
    """Run ``dbt <command>`` on the project in `project_dir`, each node a task run.

    `profiles_dir` is where profiles.yml is (dbt's default: the project, then ~/.dbt), or
    `profile` a `DbtCliProfile` (or the name of a saved one) written to a private temporary
    profiles.yml for this call. `select` / `exclude` are dbt node selections (a string or a
    list), `target` the profile's target, `vars` dbt's ``--vars``. Returns a `DbtResult`;
    raises `DbtRunError` naming the failed nodes once all are recorded (`raise_on_failure`
    False: return it), and `DbtError` when dbt cannot run the command at all.
    """
    project = _project(project_dir)
    executable = _executable(dbt_executable)
    if isinstance(profile, str):
        profile = DbtCliProfile.load(profile)
    with tempfile.TemporaryDirectory(prefix="cadenza-dbt-") as scratch:
        args = [executable, command, "--project-dir", str(project)]
        if profile is not None:
            profile.write_profiles(scratch)
            args += ["--profiles-dir", scratch, "--profile", profile.name]
            args += ["--target", target or profile.target]
        else:
            if profiles_dir is not None:
                args += ["--profiles-dir", str(_directory(profiles_dir, "dbt profiles"))]
            if target is not None:
                args += ["--target", target]
        args += _selection("--select", select) + _selection("--exclude", exclude)
        if vars:
            args += ["--vars", json.dumps(vars)]
        args += list(extra_args)
        returncode, recorder, errors = _stream(args, project)
    nodes = recorder.results()
    result = DbtResult(command=command, returncode=returncode, nodes=nodes)
    failed = result.failed
    if returncode != 0 and not failed:
        detail = "; ".join(errors[-3:]) or f"exit code {returncode}"
        raise DbtError(mask(f"dbt {command} failed in project {str(project)!r}: {detail}"))
    if failed and raise_on_failure:
        names = ", ".join(f"{n.unique_id} ({n.status}: {_first_line(n.message)})" for n in failed)
        message = f"dbt {command}: {len(failed)} of {len(nodes)} nodes failed: {names}"
        raise DbtRunError(mask(message), result)
    return result


def _stream(args: list[str], project: Path) -> tuple[int, NodeRecorder, list[str]]:
    """Run dbt, recording its events as they come; (exit code, recorder, error lines)."""
    flow_logger = _flow_logger()
    recorder = NodeRecorder(flow_logger)
    errors: list[str] = []
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    args = [*args, "--log-format", "json", "--log-level", "debug", "--no-use-colors"]
    proc = subprocess.Popen(
        args,
        cwd=project,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
        bufsize=1,
    )
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            event = parse(line)
            if event is None:
                if line.strip():
                    errors.append(line.strip())
                    flow_logger.warning("%s", line.rstrip())
                continue
            if event.level >= 40 and event.unique_id is None and event.msg.strip():
                errors.append(event.msg.strip())
            recorder.handle(event)
        returncode = proc.wait()
    except BaseException:
        _stop(proc)
        recorder.close("the flow run stopped dbt before the node finished")
        raise
    recorder.close(f"dbt exited (code {returncode}) before the node finished")
    return returncode, recorder, errors


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(_STOP_WAIT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _flow_logger() -> Any:
    try:
        return get_run_logger()
    except MissingContextError:  # outside a flow run: the runs stand alone, lines to a logger
        return get_logger("cadenza.dbt")


def _project(project_dir: str | os.PathLike[str]) -> Path:
    project = _directory(project_dir, "dbt project")
    if not (project / "dbt_project.yml").is_file():
        raise DbtError(f"dbt project directory {str(project_dir)!r} has no dbt_project.yml")
    return project


def _directory(path: str | os.PathLike[str], what: str) -> Path:
    directory = Path(path).expanduser()
    if not directory.is_dir():
        raise DbtError(f"{what} directory {str(path)!r} does not exist")
    return directory.resolve()


def _executable(given: str | os.PathLike[str] | None) -> str:
    if given is not None:
        found = shutil.which(str(given))
        if found is None:
            raise DbtError(f"dbt executable {str(given)!r} not found or not executable")
        return found
    beside = Path(sys.executable).parent / ("dbt.exe" if os.name == "nt" else "dbt")
    if beside.is_file():
        return str(beside)
    found = shutil.which("dbt")
    if found is None:
        raise DbtError(
            "no dbt executable: install dbt (pip install 'cadenza-dbt[duckdb]', or dbt-core "
            "with your adapter) or pass dbt_executable="
        )
    return found


def _selection(flag: str, value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    items = value.split() if isinstance(value, str) else [i for i in value if i.strip()]
    return [flag, *items] if items else []


def _first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else "no message"
