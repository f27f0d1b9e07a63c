"""The dashboard in a real browser (Debian's Chromium) against a real server with runs recorded
by real flows: the runs list and its filters, a run's timeline and logs, a live run's logs
followed and the run cancelled from the page, a deployment run from its form, every page, the
API key prompt, the API docs page offline, axe-core in both themes, and the timeline's draw time.
Every page's screenshot is written to build/screenshots/."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

import httpx
import pytest
from playwright.sync_api import expect

from cadenza.testing.postgres import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ETL = """
from cadenza import flow, task, get_run_logger
tries = {"n": 0}
@task(retries=1, retry_delay_seconds=0)
def load(i):
    if i == 0 and tries["n"] == 0:
        tries["n"] += 1
        raise ValueError("the first try fails")
    get_run_logger().warning("task %s warns", i)
    return i
@flow(name="etl")
def etl(n: int = 4):
    return [load(i) for i in range(n)]
etl()
"""
BROKEN = """
from cadenza import flow
@flow(name="broken")
def broken():
    raise RuntimeError("boom")
try:
    broken()
except RuntimeError:
    pass
"""
SLOW = """
import time
from cadenza import flow, get_run_logger
@flow(name="slow")
def slow():
    for i in range(1200):
        get_run_logger().info("tick %d", i)
        time.sleep(0.25)
slow()
"""


@pytest.fixture(scope="module")
def recorded(dashboard):
    for code in (ETL, BROKEN):
        proc = dashboard.run_flow(code)
        assert proc.returncode == 0, proc.stderr[-2000:]
    return {r["flow_name"]: r for r in dashboard.runs()}


def _open(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("main h1")


def test_runs_list_filter_open_a_run_timeline_and_logs(page, dashboard, recorded, shots) -> None:
    _open(page, dashboard.base + "/")
    page.wait_for_selector("#runs-list tbody tr")
    assert page.locator("#runs-list tbody tr").count() == 2
    assert page.locator("#runs-list tbody .state[data-state=FAILED]").inner_text() == "Failed"
    page.screenshot(path=shots / "runs.png", full_page=True)

    page.select_option("#f-state", "COMPLETED")
    page.wait_for_url(re.compile(r"state=COMPLETED"))
    expect(page.locator("#runs-list tbody tr")).to_have_count(1)
    assert page.locator("#runs-list tbody tr").inner_text().count("etl") >= 1
    page.reload()  # the URL is the saved view
    expect(page.locator("#runs-list tbody tr")).to_have_count(1)
    assert page.locator("#f-state").input_value() == "COMPLETED"

    page.get_by_role("link", name=recorded["etl"]["name"]).click()
    page.wait_for_url(re.compile(r"/runs/"))
    page.wait_for_selector("canvas.timeline[data-drawn]")
    assert int(page.locator("canvas.timeline").get_attribute("data-drawn")) == 4
    page.get_by_text("Task runs as a table").click()
    assert page.locator("details table tbody tr").count() == 4
    page.screenshot(path=shots / "run-timeline.png", full_page=True)

    page.get_by_role("tab", name="Logs").click()
    page.wait_for_selector("text=task 3 warns")
    assert "tab=logs" in page.url
    page.select_option("#log-level", "30")
    expect(page.locator(".logs")).not_to_contain_text("Beginning flow run")
    assert page.locator(".logs .line").count() >= 3
    page.screenshot(path=shots / "run-logs.png", full_page=True)


def test_a_live_run_is_followed_and_cancelled_from_the_page(page, dashboard, shots) -> None:
    proc = dashboard.start_flow(SLOW)
    try:
        run = dashboard.wait_for(
            lambda: next((r for r in dashboard.runs(flow_name="slow")
                          if r["state"]["type"] == "RUNNING"), None),
            what="the slow flow to run",
        )  # fmt: skip
        _open(page, f"{dashboard.base}/runs/{run['id']}?tab=logs")
        page.wait_for_selector(".logs .line")
        expect(page.locator(".logs")).to_contain_text("tick 8", timeout=20_000)
        assert page.locator(".live").inner_text() == "live"
        page.screenshot(path=shots / "run-live.png", full_page=True)

        page.get_by_role("button", name="Cancel run").click()
        dashboard.wait_for(
            lambda: (
                dashboard.api.get(f"/flow_runs/{run['id']}").json()["state"]["type"] == "CANCELLED"
            ),
            what="the run to be cancelled",
        )
        assert proc.wait(timeout=30) is not None
        page.wait_for_selector("main .kv .state[data-state=CANCELLED]")
        page.wait_for_selector("text=run finished: log complete")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_run_a_deployment_from_its_form(page, dashboard, shots) -> None:
    schema = {"type": "object", "required": ["n"],
              "properties": {"n": {"type": "integer", "title": "n"},
                             "label": {"type": "string", "title": "label"},
                             "mode": {"enum": ["fast", "slow"], "title": "mode"}}}  # fmt: skip
    made = dashboard.api.post("/deployments", json={
        "name": "nightly", "flow_name": "etl", "entrypoint": "etl.py:etl",
        "parameter_schema": schema, "parameters": {"label": "x"}})  # fmt: skip
    assert made.status_code in (200, 201), made.text
    _open(page, dashboard.base + "/deployments")
    page.get_by_role("button", name="Run etl/nightly").click()
    page.fill("#p-n", "7")
    page.select_option("#p-mode", json.dumps("slow"))
    page.screenshot(path=shots / "deployment-run.png", full_page=True)
    page.get_by_role("button", name="Run now").click()
    page.wait_for_selector("text=Scheduled:")
    runs = dashboard.runs(deployment="etl/nightly")
    assert [r["parameters"] for r in runs] == [{"n": 7, "label": "x", "mode": "slow"}]

    page.get_by_role("button", name="Pause etl/nightly").click()
    page.wait_for_selector("role=button[name='Resume etl/nightly']")
    assert dashboard.api.get("/deployments/name/etl/nightly").json()["paused"] is True


@pytest.mark.parametrize(
    "path, title",
    [("/flows", "Flows"), ("/work-pools", "Work pools"), ("/concurrency", "Concurrency limits"),
     ("/automations", "Automations"), ("/events", "Events"), ("/blocks", "Blocks"),
     ("/variables", "Variables"), ("/deployments", "Deployments")],
)  # fmt: skip
def test_every_page_renders(page, dashboard, recorded, shots, path: str, title: str) -> None:
    _open(page, dashboard.base + path)
    assert page.locator("main h1").inner_text() == title
    assert page.locator("main .error").count() == 0
    assert page.locator("#nav a[aria-current=page]").count() == 1
    page.screenshot(path=shots / f"{path.strip('/')}.png", full_page=True)


def test_phone_width_and_dark_theme(page, dashboard, recorded, shots) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.emulate_media(color_scheme="dark")
    _open(page, dashboard.base + "/")
    page.wait_for_selector("#runs-list tbody tr")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"the page scrolls sideways at phone width ({width} px)"
    bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert bg == "rgb(13, 17, 23)"
    page.screenshot(path=shots / "runs-phone-dark.png", full_page=True)
    page.get_by_role("button", name="Theme: auto").click()  # auto -> light
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"


def test_the_api_key_is_asked_for_once(page, tmp_path) -> None:
    port = free_port()
    code = (f"import uvicorn; from cadenza.server.app import create_app; "
            f"uvicorn.run(create_app('sqlite:///{tmp_path / 's.db'}', api_key='k3y'), "
            f"host='127.0.0.1', port={port}, log_level='warning')")  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, "-c", code], env={**os.environ, "CADENZA_HOME": str(tmp_path)}
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(base + "/api/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        page.goto(base + "/flows")
        page.wait_for_selector("#api-key")
        assert page.locator("main h1").inner_text() == "API key"
        assert page.locator("main table").count() == 0  # nothing shown without the key
        page.fill("#api-key", "wrong")
        page.get_by_role("button", name="Open the dashboard").click()
        page.wait_for_selector("text=That key was refused")
        page.fill("#api-key", "k3y")
        page.get_by_role("button", name="Open the dashboard").click()
        page.wait_for_selector("main h1:has-text('Flows')")
        page.goto(base + "/")  # kept for the tab's session
        page.wait_for_selector("main h1:has-text('Runs')")
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_api_docs_page_renders_offline(page, dashboard) -> None:
    page.goto(dashboard.base + "/api/docs")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "Cadenza API" in page.locator(".swagger-ui .info .title").inner_text()
    page.wait_for_selector(".opblock-summary-path")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_violation(page, dashboard, recorded, axe_script, scheme) -> None:
    page.emulate_media(color_scheme=scheme)
    found = {}
    for path in ("/", f"/runs/{recorded['etl']['id']}", f"/runs/{recorded['etl']['id']}?tab=logs",
                 "/deployments", "/variables"):  # fmt: skip
        _open(page, dashboard.base + path)
        # the live stream keeps a request open, so the network is never idle: wait for it
        page.wait_for_load_state("load")
        # a function, not an expression: Playwright would eval an expression, which the CSP forbids
        page.wait_for_function("() => [...document.querySelectorAll('.stream-live')]"
                               ".every((e) => e.dataset.live !== 'stale')")  # fmt: skip
        page.wait_for_timeout(500)
        page.evaluate(
            axe_script.read_text() + "\n;0"
        )  # not a script tag: the CSP forbids inline ones
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        bad = [f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in result["violations"]
               if v["impact"] in ("serious", "critical")]  # fmt: skip
        if bad:
            found[path] = bad
    assert found == {}


def test_a_10000_task_timeline_draws_quickly(page, dashboard, recorded) -> None:
    _open(page, dashboard.base + "/")
    js = page.locator("script[type=module]").get_attribute("src")
    timeline = js.replace("/main.js", "/timeline.js")
    ms = page.evaluate(
        """async (src) => {
        const { Timeline } = await import(src);
        const n = 10000, d = {count: n, names: [], task_names: [], ids: [], start: [], end: [],
          state: [], state_name: [], run_count: [], row: [], cached: []};
        for (let i = 0; i < n; i++) {
          d.names.push('t-' + i); d.start.push(i * 0.01); d.end.push(i * 0.01 + 0.5);
          d.state.push(i % 7 ? 'COMPLETED' : 'FAILED'); d.run_count.push(1 + (i % 13 === 0));
          d.row.push(i % 50); d.cached.push(i % 11 === 0);
        }
        const c = document.createElement('canvas');
        c.className = 'timeline';
        document.querySelector('main').append(c);
        const t = new Timeline(c, d);
        const times = [];
        for (let k = 0; k < 5; k++) { t.zoom(0.7); times.push(t.lastDrawMs); }
        t.reset();
        times.push(t.lastDrawMs);
        return Math.max(...times);
    }""",
        timeline,
    )
    print(f"10,000-task timeline: slowest draw {ms:.1f} ms")
    assert ms <= 150
