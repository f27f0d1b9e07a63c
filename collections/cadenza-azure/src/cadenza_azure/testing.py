"""Start Azurite, the official Azure Storage emulator, for tests: ``start_azurite(cache_dir)``.

Used by cadenza-azure's own tests and by any other test that needs Blob Storage::

    from cadenza_azure.testing import start_azurite

    with start_azurite() as azurite:
        container = azurite.container("results")      # created, as a block
        container.write_path("hello.txt", b"hi")

Azurite comes from npm, not PyPI: `install_azurite` runs ``npm install azurite@3`` into a
cache directory (`default_cache_dir`) the first time (under a file lock, so parallel test
processes install it once) and reuses it afterwards. `Azurite` runs its Blob service
(``azurite-blob``) as a separate process on 127.0.0.1 on a free port, with its data in a
temporary directory, telemetry off, and stops it by its PID: a
`cadenza.testing.services.ServiceProcess`. It serves the well-known development account
(`ACCOUNT_NAME`, `ACCOUNT_KEY`: public values, documented by Microsoft).

This module imports only the standard library (and that kit module); the blocks and the SDK are
imported by the helpers that use them.
"""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from cadenza.testing.services import ServiceProcess

if TYPE_CHECKING:
    from cadenza_azure.container import AzureBlobStorageContainer
    from cadenza_azure.credentials import AzureBlobStorageCredentials

PACKAGE = "azurite@3"
"""What `install_azurite` asks npm for."""

ACCOUNT_NAME = "devstoreaccount1"
ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
"""Azurite's development account and its key (the same in every copy of Azurite)."""

INSTALL_NPM = "Node.js and npm (Debian: `apt-get install nodejs npm`)"


CACHE_ENVIRONMENT_VARIABLE = "CADENZA_AZURITE_DIR"
"""Overrides `default_cache_dir`."""


def default_cache_dir() -> Path:
    """Where Azurite is installed when no ``cache_dir`` is given: ``$CADENZA_AZURITE_DIR``;
    else, when cadenza-azure is used from a checkout of the cadenza repository (an editable
    install), that checkout's ``build/azurite`` (gitignored); else ``~/.cache/cadenza-azure``
    (``$XDG_CACHE_HOME`` respected)."""
    if os.environ.get(CACHE_ENVIRONMENT_VARIABLE):
        return Path(os.environ[CACHE_ENVIRONMENT_VARIABLE])
    package = Path(__file__).resolve().parent  # collections/cadenza-azure/src/cadenza_azure
    checkout = package.parents[3]
    if (checkout / "Makefile").is_file() and (checkout / "collections").is_dir():
        return checkout / "build" / "azurite"
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "cadenza-azure" / "azurite"


def azurite_executable(cache_dir: str | os.PathLike[str]) -> Path:
    """Where `install_azurite` puts ``azurite-blob`` in ``cache_dir``."""
    return Path(cache_dir) / "node_modules" / ".bin" / "azurite-blob"


def install_azurite(cache_dir: str | os.PathLike[str], timeout: float = 600) -> Path:
    """``azurite-blob`` in ``cache_dir``, installed there with ``npm install azurite@3`` if it is
    not yet. Raises `RuntimeError` naming what to install when npm is missing, or with npm's
    output when the install fails."""
    executable = azurite_executable(cache_dir)
    if executable.is_file():
        return executable
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            f"Azurite is not installed in {cache_dir} and npm was not found: install {INSTALL_NPM}"
        )
    directory = Path(cache_dir)
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".install.lock", "w") as lock:
        _lock(lock)
        if not executable.is_file():  # another process may have installed it meanwhile
            proc = subprocess.run(
                [
                    npm,
                    "install",
                    "--prefix",
                    str(directory),
                    "--no-save",
                    "--no-audit",
                    "--no-fund",
                    "--loglevel",
                    "error",
                    PACKAGE,
                ],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
            if proc.returncode != 0 or not executable.is_file():
                output = (proc.stdout + proc.stderr)[-2000:]
                raise RuntimeError(f"`npm install {PACKAGE}` into {directory} failed:\n{output}")
    return executable


def _lock(handle: object) -> None:
    try:
        import fcntl
    except ImportError:  # Windows: no advisory lock; parallel first installs may race
        return
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX)  # type: ignore[attr-defined]  # any file object


class Azurite(ServiceProcess):
    """Azurite's Blob service (`cadenza.testing.services.ServiceProcess`): `start` it, or use
    `start_azurite`. ``account_url`` is ``http://127.0.0.1:PORT/devstoreaccount1``; `stop` (or
    leaving the ``with`` block) terminates it by PID and removes its data."""

    def __init__(
        self, executable: str | os.PathLike[str], port: int | None = None, timeout: float = 60
    ) -> None:
        self.location = tempfile.mkdtemp(prefix="cadenza-azurite-")
        super().__init__(
            [
                str(executable),
                "--blobHost",
                "{host}",
                "--blobPort",
                "{port}",
                "--location",
                self.location,
                "--skipApiVersionCheck",
                "--silent",
                "--disableTelemetry",
            ],
            ready=None,  # the port accepts connections once the service listens
            port=port,
            timeout=timeout,
            install=f"`npm install {PACKAGE}` (install_azurite)",
            name="azurite-blob",
        )

    def stop(self, timeout: float = 10.0) -> None:
        super().stop(timeout)
        shutil.rmtree(self.location, ignore_errors=True)

    # -- how to reach it -------------------------------------------------------------------------
    @property
    def account_url(self) -> str:
        """``http://127.0.0.1:PORT/devstoreaccount1``: the Blob service URL of the account."""
        return f"{self.url}/{ACCOUNT_NAME}"

    @property
    def connection_string(self) -> str:
        """The development account's connection string for this Azurite."""
        return (
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT_NAME};AccountKey={ACCOUNT_KEY};"
            f"BlobEndpoint={self.account_url};"
        )

    def sas_token(self, hours: float = 2) -> str:
        """An account SAS allowing everything on the Blob service for ``hours``."""
        from azure.storage.blob import AccountSasPermissions, ResourceTypes, generate_account_sas

        expiry = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=hours)
        return generate_account_sas(
            ACCOUNT_NAME,
            ACCOUNT_KEY,
            ResourceTypes(service=True, container=True, object=True),
            AccountSasPermissions(read=True, write=True, delete=True, list=True, create=True),
            expiry=expiry,
        )

    def credentials(self, kind: str = "connection_string") -> AzureBlobStorageCredentials:
        """`AzureBlobStorageCredentials` for this Azurite: ``kind`` is ``"connection_string"``,
        ``"account_key"`` or ``"sas_token"``."""
        from cadenza_azure.credentials import AzureBlobStorageCredentials

        if kind == "connection_string":
            return AzureBlobStorageCredentials(connection_string=self.connection_string)
        if kind == "account_key":
            return AzureBlobStorageCredentials(
                account_url=self.account_url, account_key=ACCOUNT_KEY
            )
        if kind == "sas_token":
            return AzureBlobStorageCredentials(
                account_url=self.account_url, sas_token=self.sas_token()
            )
        raise ValueError(f"Unknown kind of credentials {kind!r}")

    def container(
        self, name: str, base_folder: str = "", kind: str = "connection_string", create: bool = True
    ) -> AzureBlobStorageContainer:
        """An `AzureBlobStorageContainer` block for container ``name`` (created unless
        ``create`` is false)."""
        from cadenza_azure.container import AzureBlobStorageContainer

        block = AzureBlobStorageContainer(
            container_name=name, base_folder=base_folder, credentials=self.credentials(kind)
        )
        if create:
            block.create_container()
        return block


def start_azurite(
    cache_dir: str | os.PathLike[str] | None = None, port: int | None = None, timeout: float = 60
) -> Azurite:
    """Install Azurite into ``cache_dir`` (default: `default_cache_dir`) if needed
    (`install_azurite`), start its Blob service
    on 127.0.0.1 (on ``port``, or a free one) and wait until it listens. Raises `RuntimeError`
    naming what to install, if ``port`` is in use, or with its output if it does not start."""
    directory = default_cache_dir() if cache_dir is None else cache_dir
    return Azurite(install_azurite(directory), port=port, timeout=timeout).start()


__all__ = [
    "ACCOUNT_KEY",
    "ACCOUNT_NAME",
    "CACHE_ENVIRONMENT_VARIABLE",
    "PACKAGE",
    "Azurite",
    "azurite_executable",
    "default_cache_dir",
    "install_azurite",
    "start_azurite",
]
