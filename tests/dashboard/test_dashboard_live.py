"""Live updates in a real browser: a run that progresses while its page is open — header,
timeline and logs follow it from the stream (GET /api/stream), without a reload — and the runs
list shows it finish with its warning and error counts; the page's polling stays quiet while the
stream is healthy."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.integration, pytest.mark.slow]

STEADY = """
import time
from cadenza import flow, task, get_run_logger
@task
def step(i):
    get_run_logger().info("step %d", i)
    time.sleep(0.4)
    return i
@flow(name="steady")
def steady():
    log = get_run_logger()
    for i in range(8):
        step(i)
        log.info("after step %d", i)
    log.warning("almost done")
    log.error("one thing failed, carried on")
    log.warning("done")
steady()
"""


def _steady_row(page):
    return page.locator("#runs-list tbody tr", has_text="steady")


def test_a_live_run_progresses_and_finishes_on_its_page_and_in_the_list(page, dashboard,
                                                                        shots) -> None:  # fmt: skip
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(dashboard.base + "/?range=1h")
    page.wait_for_selector("main h1")
    page.evaluate("window.__notReloaded = true")
    expect(page.locator(".stream-live")).to_have_text("live", timeout=15_000)

    # the runs list: a new run appears, runs and finishes with its counts, from the stream
    proc = dashboard.start_flow(STEADY)
    try:
        row = _steady_row(page)
        expect(row).to_have_count(1, timeout=20_000)
        expect(row.locator(".state")).to_have_attribute("data-state", "RUNNING", timeout=20_000)
        expect(row.locator(".state")).to_have_attribute("data-state", "COMPLETED", timeout=30_000)
        expect(row).to_contain_text("⚠ 3 / ✖ 1", timeout=10_000)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    page.screenshot(path=shots / "runs-live-stream.png", full_page=True)

    # a run's page: header, timeline and logs follow a second run as it goes
    proc = dashboard.start_flow(STEADY)
    try:
        expect(_steady_row(page)).to_have_count(2, timeout=20_000)
        _steady_row(page).first.get_by_role("link").click()  # newest first
        page.wait_for_selector("main .kv")
        expect(page.locator(".stream-live")).to_have_text("live", timeout=15_000)
        header_state = page.locator("main .kv .state").first
        expect(header_state).to_have_attribute("data-state", "RUNNING", timeout=20_000)
        expect(page.locator("#timeline-stats")).to_contain_text("task runs", timeout=20_000)
        page.get_by_role("tab", name="Logs").click()
        expect(page.locator(".logs")).to_contain_text("after step 3", timeout=20_000)
        polled = [u for u in requests if "/logs?" in u and "after=" in u]
        expect(header_state).to_have_attribute("data-state", "COMPLETED", timeout=30_000)
        expect(page.locator(".logs")).to_contain_text("one thing failed", timeout=10_000)
        # while the stream was healthy, the log tail was not polled
        assert [u for u in requests if "/logs?" in u and "after=" in u] == polled
        page.get_by_role("tab", name="Timeline").click()
        expect(page.locator("#timeline-stats")).to_contain_text("8 task runs")
        page.screenshot(path=shots / "run-live-stream.png", full_page=True)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert page.evaluate("window.__notReloaded") is True


def test_without_the_stream_the_pages_poll_and_say_stale(page, dashboard) -> None:
    """A proxy that refuses the stream: the indicator says so, and the page polls as before."""
    page.route("**/api/stream**", lambda route: route.abort())
    page.goto(dashboard.base + "/?range=1h&q=steady")
    page.wait_for_selector("main h1")
    expect(page.locator(".stream-live")).to_contain_text("stale since", timeout=15_000)
    before = _steady_row(page).count()
    proc = dashboard.start_flow(STEADY)
    try:
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    expect(_steady_row(page)).to_have_count(before + 1, timeout=15_000)  # the 5 s poll
    expect(_steady_row(page).first).to_contain_text("⚠ 3 / ✖ 1")
    expect(page.locator(".stream-live")).to_contain_text("stale since")
