"""Fixtures of the dashboard's browser tests: Debian's Chromium driven by Playwright, a real
server with recorded runs, a page that fails on any request to a host other than 127.0.0.1, and
axe-core (a test-only asset, packed from npm into build/, never into the package)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from backends.server_process import ServerProcess

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "build" / "screenshots"
AXE_VERSION = "4.14.1"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
AXE_DIR = ROOT / "build" / "npm"


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    """Debian's Chromium for one test module. Playwright's sync API runs an event loop on this
    thread while it is started, so it is stopped at the end of the module (pytest-playwright's
    session-wide fixtures would leave it running, and every later `asyncio.run` in the same
    process would fail)."""
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is not installed (.ci/run installs it)", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        try:
            yield browser
        finally:
            browser.close()


class Dashboard:
    """A real server on SQLite, and helpers to record runs against it through its API."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.base = server.url.removesuffix("/api")
        self.api = httpx.Client(base_url=server.url, timeout=30)

    def env(self) -> dict[str, str]:
        home = str(self.server.home)
        url = self.server.url
        return {**os.environ, "CADENZA_API_URL": url, "CADENZA_HOME": home,
                "CADENZA_LOGGING_CONSOLE": "false"}  # fmt: skip

    def run_flow(self, code: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", code], env=self.env(), capture_output=True,
                              text=True, timeout=timeout, cwd=self.server.home)  # fmt: skip

    def start_flow(self, code: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-c", code], env=self.env(), cwd=self.server.home,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip

    def runs(self, **query: object) -> list[dict]:
        return self.api.get("/flow_runs", params={"limit": 500, **query}).json()

    def wait_for(self, predicate, timeout: float = 30.0, what: str = "a condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = predicate()
            if got:
                return got
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    home = tmp_path_factory.mktemp("dashboard")
    server = ServerProcess(f"sqlite:///{home / 'server.db'}", home).start()
    try:
        yield Dashboard(server)
    finally:
        server.stop()


@pytest.fixture
def page(chromium, dashboard: Dashboard):
    """A page of a fresh browser context; any request to a host other than 127.0.0.1 fails
    the test."""
    context = chromium.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    outside: list[str] = []

    def guard(route) -> None:
        url = route.request.url
        host = urlsplit(url).hostname
        if url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    page.route("**/*", guard)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: dialog.accept())
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()
    assert outside == [], f"requests to other hosts: {outside}"
    assert errors == [], f"errors in the page: {errors}"


@pytest.fixture(scope="session")
def shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """axe-core's axe.min.js, packed from npm into build/ once (pinned version and digest)."""
    path = AXE_DIR / "axe" / "package" / "axe.min.js"
    if not path.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("axe-core is not in build/npm and npm is not installed")
        AXE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run([npm, "pack", f"axe-core@{AXE_VERSION}", "--pack-destination", str(AXE_DIR)],
                       check=True, capture_output=True, timeout=120)  # fmt: skip
        with tarfile.open(AXE_DIR / f"axe-core-{AXE_VERSION}.tgz") as tar:
            tar.extractall(AXE_DIR / "axe", filter="data")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert digest == AXE_SHA256, f"axe.min.js {digest} is not the pinned {AXE_VERSION}"
    return path
