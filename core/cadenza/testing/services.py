"""A service a test suite runs as its own process: an emulator, a local server.

``ServiceProcess`` starts a command on 127.0.0.1 on a free port, waits until it answers, captures
its output in a log file and stops it by its PID. Collections build their helpers on it
(`cadenza_aws.testing.MotoServer`, `cadenza_gcp.testing.GcsEmulator`)::

    from cadenza.testing.services import ServiceProcess

    with ServiceProcess(
        ["moto_server", "-H", "{host}", "-p", "{port}"],
        ready="{url}/moto-api/",
        install='`pip install "moto[server]"`',
    ) as moto:
        ...  # moto.url is http://127.0.0.1:PORT; moto.pid, moto.log()

The executable (the command's first word) is looked up beside the running Python (its virtual
environment's ``bin``), then on ``PATH``; if it is in neither, `start` raises `RuntimeError`
naming what to install. A port chosen by `free_port` can be taken by another process before the
service binds it, so a service given no port is started again on a new one (``attempts`` times in
all) when the port turns out to be in use or the process exits before it is ready.

This module imports only the standard library, so helpers built on it can be imported anywhere.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TypeVar

LOG_TAIL_CHARS = 2000
_POLL_SECONDS = 0.05

_Service = TypeVar("_Service", bound="ServiceProcess")


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that nothing listened on a moment ago."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def is_listening(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something accepts TCP connections on ``host:port`` now."""
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


def missing_executable_message(name: str, install: str = "") -> str:
    """The error for an executable found neither beside this Python nor on ``PATH``."""
    message = f"`{name}` was not found (next to {sys.executable} nor on PATH)"
    return f"{message}: install it with {install}" if install else message


def find_executable(name: str, install: str = "") -> str:
    """The path of the command ``name``: beside the running Python (a virtual environment's
    scripts are there even when it is not activated), else on ``PATH``. Raises `RuntimeError`
    naming ``install`` (e.g. ``"`pip install gcp-storage-emulator`"``) if there is none."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(missing_executable_message(name, install))
    return found


# Readiness probes go straight to the service, whatever HTTP(S)_PROXY says.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def answers(url: str, timeout: float = 1.0) -> bool:
    """Whether a GET of ``url`` succeeds (a status below 400)."""
    try:
        with _OPENER.open(url, timeout=timeout) as response:
            return response.status < 400
    except (urllib.error.URLError, OSError):
        return False


class ServiceProcess:
    """A command run as a service on ``host``, stopped by its PID.

    ``command`` is a template: ``{host}`` and ``{port}`` in its words are replaced by the address
    the service is started on. ``ready`` says when it has started: a URL template (``{url}``,
    ``{host}``, ``{port}``) that must answer a GET, a predicate given the service, or None (the
    port accepts connections). ``port`` None picks a free one (and retries on another if it is
    taken meanwhile); a given port that is already in use is an error rather than a readiness
    check answered by someone else. ``env`` replaces the environment of the process; ``install``
    says how to install the executable, for the error raised when it is missing; ``name`` (by
    default the executable's) names the service in messages and its log file.

    `start` returns the service; ``with`` starts it if needed and stops it on exit. While it
    runs: ``port``, ``url``, ``pid``, ``process`` (the `subprocess.Popen`), ``log_path`` and
    `log` (its output so far). `stop` ends it and removes the log.
    """

    def __init__(
        self,
        command: Sequence[str],
        *,
        ready: str | Callable[[ServiceProcess], bool] | None = None,
        port: int | None = None,
        host: str = "127.0.0.1",
        timeout: float = 30.0,
        env: Mapping[str, str] | None = None,
        install: str = "",
        name: str | None = None,
        attempts: int = 3,
    ) -> None:
        if not command:
            raise ValueError("command is empty")
        self.command = list(command)
        self.ready = ready
        self.requested_port = port
        self.port: int | None = port
        self.host = host
        self.timeout = timeout
        self.env = dict(env) if env is not None else None
        self.install = install
        self.name = name or Path(self.command[0]).name
        self.attempts = max(1, attempts)
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path: Path | None = None

    # -- state -------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """``http://HOST:PORT``."""
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        if self.process is None:
            raise RuntimeError(f"{self.name} has not been started")
        return self.process.pid

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        """What the process printed so far (stdout and stderr), or "" if there is no log."""
        if self.log_path is None:
            return ""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self: _Service) -> _Service:
        """Start the process and wait until it is ready; returns the service.

        Raises `RuntimeError`: naming what to install if the executable is missing; if the given
        port is in use; with the end of the process's output if it exits or is not ready within
        ``timeout`` seconds (it is stopped then).
        """
        if self.is_running():
            return self
        executable = self.command[0]
        if os.sep not in executable:
            executable = find_executable(executable, self.install)
        attempts = 1 if self.requested_port is not None else self.attempts
        for attempt in range(1, attempts + 1):
            port = self.requested_port if self.requested_port is not None else free_port(self.host)
            if is_listening(port, self.host):  # a readiness check would find the other server
                if self.requested_port is not None:
                    raise RuntimeError(
                        f"{self.name} cannot start on port {port}: it is already in use"
                    )
                continue
            self._launch([executable, *self.command[1:]], port)
            try:
                failure = self._wait_until_ready()
            except BaseException:
                self.stop()
                raise
            if failure is None:
                return self
            output = self.log()[-LOG_TAIL_CHARS:].rstrip() or "(no output)"
            exited = not self.is_running()
            self.stop()
            if exited and attempt < attempts:  # perhaps it lost the port: try another
                continue
            raise RuntimeError(f"{self.name} on port {port} did not start:\n{output}\n({failure})")
        raise RuntimeError(f"{self.name}: no free port found in {attempts} attempts")

    def _launch(self, command: list[str], port: int) -> None:
        self.port = port
        words = [self._fill(word) for word in command]
        fd, log_name = tempfile.mkstemp(prefix=f"cadenza-{self.name}-", suffix=".log")
        self.log_path = Path(log_name)
        try:
            with os.fdopen(fd, "wb") as log:
                self.process = subprocess.Popen(
                    words,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=self.env,
                )
        except OSError:  # not executable, say: no process, so no log to keep
            self.log_path.unlink(missing_ok=True)
            raise

    def _fill(self, template: str) -> str:
        return (
            template.replace("{url}", self.url)
            .replace("{host}", self.host)
            .replace("{port}", str(self.port))
        )

    def _is_ready(self) -> bool:
        if self.ready is None:
            return is_listening(int(self.port or 0), self.host)
        if isinstance(self.ready, str):
            return answers(self._fill(self.ready))
        try:
            return bool(self.ready(self))
        except OSError:
            return False

    def _wait_until_ready(self) -> str | None:
        """None once ready; else why not."""
        assert self.process is not None
        deadline = time.monotonic() + self.timeout
        while True:
            if self.process.poll() is not None:
                return f"it exited with status {self.process.returncode}"
            if self._is_ready() and self.process.poll() is None:
                return None
            if time.monotonic() > deadline:
                return f"it was not ready within {self.timeout:g} s"
            time.sleep(_POLL_SECONDS)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the process by its PID (SIGTERM, then SIGKILL if it lingers ``timeout``
        seconds) and remove its log. Stopping a stopped service does nothing."""
        process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)
        if self.log_path is not None:
            try:
                self.log_path.unlink()
            except OSError:
                pass

    def __enter__(self: _Service) -> _Service:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        if self.process is None:
            return f"{type(self).__name__}({self.name!r}, not started)"
        state = "running" if self.is_running() else "stopped"
        return f"{type(self).__name__}({self.name!r}, url={self.url!r}, pid={self.pid}, {state})"


__all__ = [
    "ServiceProcess",
    "answers",
    "find_executable",
    "free_port",
    "is_listening",
    "missing_executable_message",
]
