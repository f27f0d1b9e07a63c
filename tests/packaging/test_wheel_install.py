"""The wheels `make dist` builds work when installed, not editable, into a fresh venv.

``pip install cadenza`` alone: ``import cadenza``, an embedded flow and every command that does
not need the server work without FastAPI, uvicorn or psycopg, and ``cadenza server start`` says
in one line what to install. ``cadenza[server]`` with the SQL and AWS collections: a flow uses
both collections, the server starts from the installed package (its migrations), serves the
dashboard's assets and records a flow, and ``cadenza collection new`` renders the template
shipped in the wheel into a collection that installs and is discovered.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fresh_venvs import ServerInstall, Venv, run

from built_dists import DISTRIBUTIONS, ROOT
from cadenza.testing.services import free_port

# builds wheels, makes venvs and starts a server process: about a minute in all
pytestmark = [pytest.mark.integration, pytest.mark.slow]

SERVER_LIBRARIES = ("fastapi", "starlette", "uvicorn", "psycopg")

EMBEDDED_FLOW = """
from cadenza import flow, task

@task(retries=1)
def double(x: int) -> int:
    return 2 * x

@flow(log_prints=True)
def wheel_check(n: int = 3) -> int:
    total = sum(double.map(range(n)).result())
    print(f"total {total}")
    return total

if __name__ == "__main__":
    assert wheel_check() == 6
"""

COLLECTIONS_FLOW = """
import sys
from cadenza import flow
from cadenza_aws import AwsCredentials
from cadenza_sql import SqlAlchemyConnector, sql_execute, sql_execute_many, sql_fetch_all

@flow
def warehouse(city: str) -> list[str]:
    db = SqlAlchemyConnector.load("warehouse")
    sql_execute("CREATE TABLE IF NOT EXISTS users (name TEXT, city TEXT)", db)
    sql_execute_many("INSERT INTO users VALUES (:name, :city)", db,
                     [{"name": "ada", "city": "London"}, {"name": "grace", "city": "Paris"}])
    return [row.name for row in sql_fetch_all(
        "SELECT name FROM users WHERE city = :city", db, {"city": city})]

if __name__ == "__main__":
    SqlAlchemyConnector(connection_info=sys.argv[1]).save("warehouse", overwrite=True)
    AwsCredentials(region_name="eu-west-1", aws_access_key_id="AKIDEXAMPLE",
                   aws_secret_access_key="wheel-secret-value").save("prod", overwrite=True)
    loaded = AwsCredentials.load("prod")
    assert loaded.region_name == "eu-west-1"
    assert loaded.aws_secret_access_key.get_secret_value() == "wheel-secret-value"
    assert warehouse("Paris") == ["grace"]
    print("collections ok")
"""


def _imported_from(venv: Venv, module: str) -> Path:
    code = f"import {module}; print({module}.__file__)"
    return Path(run(venv.python, "-c", code, env=venv.env, cwd=venv.home).stdout.strip())


# `pip install cadenza`: the runtime alone


def test_the_core_install_has_no_server_libraries(core_venv: Venv) -> None:
    installed = core_venv.distributions()
    assert "cadenza" in installed
    server_only = {"fastapi", "starlette", "uvicorn", "psycopg", "psycopg-binary",
                   "prometheus-client"}  # fmt: skip
    assert not installed & server_only
    assert core_venv.path in _imported_from(core_venv, "cadenza").parents  # not the checkout


def test_an_embedded_flow_runs_from_the_core_install(core_venv: Venv) -> None:
    script = core_venv.home / "wheel_flow.py"
    script.write_text(EMBEDDED_FLOW)
    run(core_venv.python, script, env=core_venv.env, cwd=core_venv.home)
    core_venv.cadenza("run", f"{script}:wheel_check", "--param", "n=4")
    runs = json.loads(core_venv.cadenza("runs", "ls", "--json").stdout)
    assert [r["state"]["type"] for r in runs] == ["COMPLETED", "COMPLETED"], runs
    shown = json.loads(core_venv.cadenza("runs", "show", "latest", "--json").stdout)
    assert any("total 12" in line["message"] for line in shown["logs"]), shown["logs"]


def test_every_command_but_the_server_loads_without_the_server_libraries(
    core_venv: Venv,
) -> None:
    """Each command's module is imported (its --help), in one interpreter: none of them, nor
    anything it imports at module level, needs FastAPI, uvicorn or psycopg."""
    code = f"""
import sys
from click.testing import CliRunner
from cadenza.cli.main import LAZY_COMMANDS, cli
failed = []
for name in sorted(LAZY_COMMANDS):
    result = CliRunner().invoke(cli, [name, "--help"])
    if result.exit_code != 0:
        failed.append((name, result.output, repr(result.exception)))
loaded = sorted(m for m in sys.modules if m.split(".")[0] in {SERVER_LIBRARIES!r})
print(len(LAZY_COMMANDS), failed, loaded)
assert not failed and not loaded
"""
    out = run(core_venv.python, "-c", code, env=core_venv.env, cwd=core_venv.home).stdout
    assert int(out.split()[0]) >= 15, out
    for args in (["plugins", "ls"], ["config", "view"], ["db", "--help"], ["tasks", "ls"]):
        core_venv.cadenza(*args)


def test_the_installed_migrations_walk_the_record_to_head(core_venv: Venv) -> None:
    """Alembic's revision scripts ship in the wheel: a record is built one revision at a time."""
    env = {**core_venv.env, "CADENZA_HOME": str(core_venv.home / "migrated")}
    cadenza = core_venv.bin / "cadenza"
    assert "at revision 0005" in run(cadenza, "db", "upgrade", "0005", env=env).stdout
    head = run(cadenza, "db", "revision", env=env).stdout.split("head: ")[1].strip()
    assert f"at revision {head}" in run(cadenza, "db", "upgrade", env=env).stdout
    assert "at revision none" in run(cadenza, "db", "downgrade", "base", env=env).stdout


def test_server_start_without_the_extra_names_what_to_install(core_venv: Venv) -> None:
    proc = subprocess.run(
        [str(core_venv.bin / "cadenza"), "server", "start", "--port", str(free_port())],
        capture_output=True, text=True, env=core_venv.env, cwd=core_venv.home, timeout=60,
    )  # fmt: skip
    assert proc.returncode != 0
    assert proc.stdout == ""  # no banner
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr  # one line, no traceback
    assert "pip install 'cadenza[server]'" in lines[0]
    assert "Traceback" not in proc.stderr


# `pip install 'cadenza[server]'` with collections from their wheels


def test_a_flow_uses_the_installed_collections(server_install: ServerInstall) -> None:
    venv = server_install.venv
    for module in ("cadenza_sql", "cadenza_aws"):
        assert venv.path in _imported_from(venv, module).parents
    plugins = json.loads(venv.cadenza("plugins", "ls", "--json").stdout)["plugins"]
    status = {p["name"]: p["status"] for p in plugins}
    assert status.get("sql") == status.get("aws") == "loaded", status
    types = venv.cadenza("block", "types").stdout
    assert "sqlalchemy-connector" in types and "aws-credentials" in types
    script = venv.home / "collections_flow.py"
    script.write_text(COLLECTIONS_FLOW)
    url = f"sqlite:///{venv.home / 'warehouse.db'}"
    out = run(venv.python, script, url, env=venv.env, cwd=venv.home).stdout
    assert "collections ok" in out
    shown = venv.cadenza("block", "show", "aws-credentials/prod").stdout
    assert "wheel-secret-value" not in shown


@pytest.fixture
def installed_server(server_install: ServerInstall) -> Iterator[str]:
    """`cadenza server start` of the installed package on a free port; its base URL."""
    venv = server_install.venv
    port = free_port()
    log = (venv.home / "server.log").open("w+")
    proc = subprocess.Popen(
        [str(venv.bin / "cadenza"), "server", "start", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, env=venv.env, cwd=venv.home,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise AssertionError(f"the installed server did not start:\n{log.read()}")
            time.sleep(0.2)
        yield base
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def test_the_installed_server_serves_the_api_and_the_dashboard(
    server_install: ServerInstall, installed_server: str
) -> None:
    venv, base = server_install.venv, installed_server
    assert venv.path in _imported_from(venv, "cadenza").parents
    page = httpx.get(f"{base}/", timeout=10)
    assert page.status_code == 200 and "<html" in page.text
    assets = re.findall(r'(?:href|src)="([^"]+\.(?:css|js|svg))"', page.text)
    assert len(assets) >= 3, page.text[:2000]
    for asset in assets:
        answer = httpx.get(f"{base}{asset}" if asset.startswith("/") else f"{base}/{asset}")
        assert answer.status_code == 200 and answer.content, asset
    script_asset = next(a for a in assets if a.endswith(".js"))
    assert "javascript" in httpx.get(f"{base}{script_asset}").headers["content-type"]
    assert httpx.get(f"{base}/api/openapi.json", timeout=10).json()["paths"]
    # a flow reports to it: the run arrives in the server's database (its migrations)
    script = venv.home / "wheel_flow.py"
    script.write_text(EMBEDDED_FLOW)
    env = {**venv.env, "CADENZA_API_URL": f"{base}/api"}
    run(venv.python, script, env=env, cwd=venv.home)
    runs = httpx.get(f"{base}/api/flow_runs", params={"flow_name": "wheel-check"}).json()
    assert [r["state"]["type"] for r in runs] == ["COMPLETED"], runs


def test_server_start_on_a_busy_port_fails_before_its_banner(
    server_install: ServerInstall, installed_server: str
) -> None:
    venv = server_install.venv
    port = installed_server.rsplit(":", 1)[1]
    proc = subprocess.run(
        [str(venv.bin / "cadenza"), "server", "start", "--port", port],
        capture_output=True, text=True, env=venv.env, cwd=venv.home, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 1, proc
    assert proc.stdout == ""  # nothing printed before the error: no banner
    assert proc.stderr.strip().splitlines() == [
        f"Error: Port {port} on 127.0.0.1 is already in use (another server?): stop it or "
        "choose another port with --port"
    ]


def test_a_collection_from_the_installed_template_installs_and_loads(
    server_install: ServerInstall,
) -> None:
    venv = server_install.venv
    work = venv.home / "authoring"
    work.mkdir()
    venv.cadenza("collection", "new", "cadenza-wheelcheck", "--author", "A <a@example.com>",
                 cwd=work)  # fmt: skip
    generated = work / "cadenza-wheelcheck"
    assert (generated / "pyproject.toml").is_file()
    assert (generated / "src" / "cadenza_wheelcheck" / "plugin.py").is_file()
    venv.install(generated)
    plugins = json.loads(venv.cadenza("plugins", "ls", "--json").stdout)["plugins"]
    assert {p["name"]: p["status"] for p in plugins}.get("wheelcheck") == "loaded", plugins
    version = run(venv.python, "-c", "import cadenza_wheelcheck as c; print(c.__version__)",
                  env=venv.env, cwd=venv.home).stdout  # fmt: skip
    assert version.strip() == "0.1.0"


# the wheels' contents


def _tracked(directory: Path) -> list[str]:
    """Files git tracks under `directory` of the checkout, relative to it."""
    out = subprocess.run(
        ["git", "ls-files", "-z", "--", str(directory)],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return [str(Path(p).relative_to(directory.relative_to(ROOT))) for p in out.stdout.split("\0")
            if p]  # fmt: skip


@pytest.mark.parametrize("dist", sorted(DISTRIBUTIONS))
def test_the_wheel_holds_every_tracked_file_of_its_package(
    dist: str, wheels: dict[str, Path]
) -> None:
    """Package data included: migrations, schema.sql, the template, the dashboard's assets,
    py.typed — whatever git tracks beside the modules."""
    names = set(zipfile.ZipFile(wheels[dist]).namelist())
    if dist == "cadenza":
        expected = [f"cadenza/{p}" for p in _tracked(ROOT / "core" / "cadenza")]
        template = ROOT / "templates" / "collection"
        expected += [f"cadenza/_templates/collection/{p}" for p in _tracked(template)]
    else:
        source = ROOT / DISTRIBUTIONS[dist] / "src"
        expected = _tracked(source)
    assert len(expected) > 3
    missing = sorted(set(expected) - names)
    assert not missing, f"{wheels[dist].name} lacks {missing[:20]}"
