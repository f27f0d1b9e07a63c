"""`ProcessWorker`: runs each flow run in a child process on the worker's machine.

The child is ``python -m cadenza.deployments.execute RUN_ID`` (`cadenza.deployments.execute`),
started with the worker's interpreter and:

- the environment of the worker, with the run's ``env`` job variable over it (a mapping of
  names to strings; a null value removes the variable) and the worker's server
  (``CADENZA_API_URL``, ``CADENZA_API_KEY``);
- as working directory the ``working_dir`` job variable, else the deployment's ``path``, else
  the worker's own;
- on Linux, ``PR_SET_PDEATHSIG`` = SIGKILL: a worker that is killed takes its children down
  with it, their runs' leases run out and the server's reaper marks them Crashed.

The child's standard output is streamed to the worker's, each line prefixed with the run's
name, and both its outputs are kept in a file per run in a temporary directory until the job
ends; the end of its error output is what a Crashed state says when the child dies.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections import deque
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ClassVar

from cadenza.workers.base import OUTPUT_TAIL_LINES, BaseWorker, WorkerJob

if TYPE_CHECKING:
    from collections.abc import Callable

_PR_SET_PDEATHSIG = 1


def _parent_death_signal() -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the child receive SIGKILL when its parent dies (Linux), or
    None where that is not available."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        # lazily: ctypes only for a worker on Linux
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved before fork
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def die_with_parent() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        if os.getppid() != parent:  # the worker died before the call above: follow it
            os._exit(1)

    return die_with_parent


class ProcessJob(WorkerJob):
    """A child process running one flow run; its output goes to files and the console."""

    def __init__(
        self,
        proc: subprocess.Popen[bytes],
        directory: Path,
        prefix: str,
        echo: Callable[[str], None],
        ended: Callable[[], None],
    ) -> None:
        self.proc = proc
        self.identifier = f"process {proc.pid}"
        self.directory = directory
        self._prefix, self._echo, self._ended = prefix, echo, ended
        self._reader = threading.Thread(target=self._read, name=f"job-{proc.pid}", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        stdout = self.proc.stdout
        assert stdout is not None
        with open(self.directory / "stdout.log", "wb") as out:
            for line in stdout:
                out.write(line)
                out.flush()
                text = line.decode(errors="replace").rstrip("\n")
                self._echo(f"{self._prefix} | {text}")
        stdout.close()
        self.proc.wait()
        self._ended()

    def poll(self) -> int | None:
        code = self.proc.poll()
        if code is None:
            return None
        self._reader.join(1.0)  # the last lines of its output are written
        return code

    def terminate(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()

    def output_tail(self, lines: int = OUTPUT_TAIL_LINES) -> str:
        try:
            with open(self.directory / "stderr.log", "rb") as err:
                tail = deque(err, maxlen=lines)
        except OSError:
            return ""
        return b"".join(tail).decode(errors="replace")

    def cleanup(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


class ProcessWorker(BaseWorker):
    """A worker that runs each flow run in a child process (see the module docstring).

    Job variables: ``env`` (a mapping of environment variables), ``working_dir``.
    """

    type: ClassVar[str] = "process"

    def __init__(self, work_pool_name: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(work_pool_name, *args, **kwargs)
        self._directory: Path | None = None
        self._preexec = _parent_death_signal()
        self._echo_lock = threading.Lock()

    def echo(self, line: str, stream: IO[str] | None = None) -> None:
        """Write one line of a child's output to the worker's standard output."""
        with self._echo_lock:
            out = stream or sys.stdout
            out.write(line + "\n")
            out.flush()

    def environment(self, configuration: dict[str, Any]) -> dict[str, str]:
        """The child's environment for a job `configuration` (see the module docstring)."""
        # lazily: httpx loads only when a worker runs
        from cadenza.client.http import settings_url_and_key

        env = dict(os.environ)
        extra = configuration.get("env") or {}
        if not isinstance(extra, dict):
            raise TypeError(f"the env job variable is a mapping, not {type(extra).__name__}")
        for key, value in extra.items():
            if value is None:
                env.pop(str(key), None)
            else:
                env[str(key)] = str(value)
        url, key = settings_url_and_key()
        env["CADENZA_API_URL"] = url
        if key:
            env["CADENZA_API_KEY"] = key
        env.setdefault("PYTHONUNBUFFERED", "1")
        return env

    def working_directory(self, flow_run: dict[str, Any], configuration: dict[str, Any]) -> str:
        """Where the child starts: ``working_dir``, else the deployment's ``path``, else here."""
        deployment = flow_run.get("deployment") or {}
        chosen = configuration.get("working_dir") or deployment.get("path") or os.getcwd()
        if not os.path.isdir(chosen):
            raise FileNotFoundError(f"the working directory {chosen} does not exist")
        return str(chosen)

    def run(self, flow_run: dict[str, Any], configuration: dict[str, Any]) -> ProcessJob:
        env = self.environment(configuration)
        cwd = self.working_directory(flow_run, configuration)
        if self._directory is None:
            self._directory = Path(tempfile.mkdtemp(prefix="cadenza-worker-"))
        directory = self._directory / flow_run["id"]
        directory.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "cadenza.deployments.execute", flow_run["id"]]
        with open(directory / "stderr.log", "wb") as stderr:
            proc = subprocess.Popen(
                command, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=stderr, start_new_session=True, preexec_fn=self._preexec,
            )  # fmt: skip
        prefix = str(flow_run.get("name") or flow_run["id"])
        return ProcessJob(proc, directory, prefix, self.echo, self.wake)

    def start(self, run_once: bool = False) -> None:
        try:
            super().start(run_once=run_once)
        finally:
            if self._directory is not None:
                shutil.rmtree(self._directory, ignore_errors=True)
                self._directory = None


__all__ = ["ProcessJob", "ProcessWorker"]
