"""The Logs page and a log line's deep link in a real browser against a real server, with runs
recorded by real flows: a search across runs by text and level (hostile text shown as text),
"Load older", a result followed to its line in the run's log view (highlighted, focused and in
view, 19,000 lines from the tail of a 20,000-line run), a line's permalink from a run's log view,
a line that does not exist, and axe-core in light and dark. Screenshots go to build/screenshots/."""

from __future__ import annotations

import subprocess
import sys

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.integration, pytest.mark.slow]

HOSTILE = "<img src=x onerror=alert(1)>"
NOISY = f"""
from cadenza import flow, task, get_run_logger
@task
def parse():
    log = get_run_logger()
    log.info("parsed 10 rows")
    log.error("needle: parse failed at {HOSTILE}")
    log.warning("needle: lone \\ud800 surrogate")
@flow(name="noisy")
def noisy():
    get_run_logger().info("needle: starting")
    parse()
noisy()
"""
LONG = """
from cadenza import flow, get_run_logger
@flow(name="long-log")
def long_log():
    log = get_run_logger()
    for i in range(20_000):
        if i == 1_000:
            log.error("deep-needle: the line to find")
        else:
            log.info("line %d", i)
long_log()
"""


@pytest.fixture(scope="module")
def recorded(dashboard):
    for code in (NOISY, LONG):
        proc = subprocess.run([sys.executable, "-c", code], env=dashboard.env(),
                              capture_output=True, text=True, timeout=300,
                              cwd=dashboard.server.home)  # fmt: skip
        assert proc.returncode == 0, proc.stderr[-2000:]
    runs = {r["flow_name"]: r for r in dashboard.runs()}
    deep = dashboard.api.get("/logs", params={"q": "deep-needle"}).json()["items"]
    assert len(deep) == 1
    return {"noisy": runs["noisy"], "long": runs["long-log"], "deep": deep[0]["id"]}


def _open(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("main h1")


def _in_view(page, selector: str) -> bool:
    return page.evaluate(
        """(sel) => { const el = document.querySelector(sel), box = el.closest('.logs');
        const a = el.getBoundingClientRect(), b = box.getBoundingClientRect();
        return a.top >= b.top && a.bottom <= b.bottom; }""",
        selector,
    )


def test_search_across_runs_by_text_and_level(page, dashboard, recorded, shots) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: dialogs.append(d.message))
    _open(page, dashboard.base + "/")
    page.get_by_role("link", name="Logs", exact=True).click()
    expect(page.locator("main h1")).to_have_text("Logs")
    page.get_by_label("Text").fill("needle")
    page.get_by_role("button", name="Search").click()
    results = page.locator("#log-results tbody tr")
    expect(results).to_have_count(4)  # three of "noisy", one of "long-log"; newest first
    expect(page.get_by_role("button", name="Load older")).to_be_hidden()  # no older page
    expect(results.first).to_contain_text("deep-needle")
    assert "q=needle" in page.url
    page.get_by_label("Level").select_option(label="ERROR and above")
    expect(results).to_have_count(2)
    assert "level=40" in page.url
    hostile = results.filter(has_text="parse failed")
    expect(hostile).to_contain_text(HOSTILE)  # the markup is text
    expect(hostile).to_contain_text("✖ ERROR")  # icon and name
    expect(hostile.get_by_role("link", name="parse-0")).to_be_visible()  # its task run
    expect(hostile.get_by_role("link", name=recorded["noisy"]["name"])).to_be_visible()
    assert page.locator("#log-results img").count() == 0
    page.get_by_label("Level").select_option(label="WARNING and above")
    expect(results.filter(has_text="lone")).to_contain_text("\\ud800")
    page.screenshot(path=shots / "logs-search.png", full_page=True)
    # the filters are in the URL: opening it again gives the same lines
    _open(page, page.url)
    expect(results).to_have_count(3)
    expect(page.get_by_label("Text")).to_have_value("needle")
    # a flow filter narrows to one flow's runs
    page.get_by_label("Flow", exact=True).select_option("long-log")
    expect(results).to_have_count(1)
    assert dialogs == []


def test_load_older_reads_by_the_cursor(page, dashboard, recorded) -> None:
    _open(page, f"{dashboard.base}/logs?run={recorded['long']['id']}&q=line%201")
    results = page.locator("#log-results tbody tr")
    expect(results).to_have_count(100)
    page.get_by_role("button", name="Load older").click()
    expect(results).to_have_count(200)
    ids = [int(t.lstrip("#")) for t in page.locator("#log-results td.num a").all_inner_texts()]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 200


def test_a_result_opens_its_line_far_from_the_tail(page, dashboard, recorded, shots) -> None:
    _open(page, f"{dashboard.base}/logs?q=deep-needle")
    page.get_by_role("link", name=f"Open line {recorded['deep']} in its run's log").click()
    expect(page.locator("main h1")).to_have_text(f"Run {recorded['long']['name']}")
    assert f"tab=logs&line={recorded['deep']}" in page.url
    line = page.locator(f"#log-{recorded['deep']}")
    expect(line).to_have_attribute("aria-current", "true")
    expect(line).to_contain_text("deep-needle: the line to find")
    expect(line).to_be_focused()
    assert _in_view(page, f"#log-{recorded['deep']}")
    expect(page.locator("section[aria-label='Logs']")).to_contain_text("lines around line")
    page.screenshot(path=shots / "logs-deep-link.png", full_page=True)
    # the tail is one button away
    page.get_by_role("button", name="Go to the latest lines").click()
    expect(page.locator(".logs")).to_contain_text("line 19999")
    assert "line=" not in page.url


def test_a_long_log_opens_at_its_tail_in_two_requests(page, dashboard, recorded) -> None:
    """A run's log view reads its newest page backwards from the end and what follows it, not
    every page from the start (20 pages here, 1,000 for a million-line run)."""
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/logs?" in r.url else None)
    _open(page, f"{dashboard.base}/runs/{recorded['long']['id']}?tab=logs")
    expect(page.locator(".logs")).to_contain_text("line 19999")
    assert len(asked) <= 3, asked  # the tail, then anything after it (and a poll, at most)


def test_a_line_permalink_from_a_run_page_and_a_missing_line(page, dashboard, recorded) -> None:
    run = recorded["noisy"]["id"]
    _open(page, f"{dashboard.base}/runs/{run}?tab=logs")
    row = page.locator(".logs .line", has_text="parse failed")
    expect(row).to_contain_text(HOSTILE)
    permalink = row.get_by_role("link")
    line_id = row.get_attribute("id").removeprefix("log-")
    permalink.click()
    page.wait_for_url(f"**/runs/{run}?tab=logs&line={line_id}")
    expect(page.locator(f"#log-{line_id}")).to_have_attribute("aria-current", "true")
    assert _in_view(page, f"#log-{line_id}")
    _open(page, f"{dashboard.base}/runs/{run}?tab=logs&line={recorded['deep']}")  # another run's
    expect(page.get_by_role("status").filter(has_text="There is no log line")).to_have_text(
        f"There is no log line {recorded['deep']} in this run: showing its latest lines."
    )
    expect(page.locator(".logs")).to_contain_text("parse failed")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_on_the_logs_views(page, dashboard, recorded, axe_script, scheme) -> None:
    page.emulate_media(color_scheme=scheme)
    found = {}
    deep_link = f"/runs/{recorded['long']['id']}?tab=logs&line={recorded['deep']}"
    views = {"/logs?q=needle": "#log-results tbody tr", deep_link: ".line[aria-current]"}
    for path, ready in views.items():
        _open(page, dashboard.base + path)
        page.wait_for_selector(ready)
        page.evaluate(axe_script.read_text() + "\n;0")  # the CSP forbids inline script tags
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        bad = [f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in result["violations"]
               if v["impact"] in ("serious", "critical")]  # fmt: skip
        if bad:
            found[path] = bad
    assert found == {}


def test_the_logs_page_at_phone_width(chromium, dashboard, recorded, shots) -> None:
    context = chromium.new_context(viewport={"width": 390, "height": 844}, color_scheme="dark")
    page = context.new_page()
    try:
        _open(page, dashboard.base + "/logs?q=needle")
        page.wait_for_selector("#log-results tbody tr")
        overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
        assert overflow <= 1, overflow
        page.screenshot(path=shots / "logs-search-phone-dark.png", full_page=True)
    finally:
        context.close()
