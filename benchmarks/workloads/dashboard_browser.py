"""Workload of benchmarks/dashboard_browser.py: Debian's Chromium (Playwright) on a real server.

    python dashboard_browser.py BASE_URL LOADS

BASE_URL is a running ``cadenza server`` whose record dashboard_fill.py filled (``big-run``:
10,000 task runs, ``huge-run``: 50,000). Measures, each page in a fresh browser context (no
cache): the runs page's first paint and first contentful paint (`performance.getEntriesByType
('paint')`), when its first rows are in the table, and the bytes it transferred (every resource,
compressed as sent: `transferSize`, headers included — all of them, and the shell and assets
without the `/api` answers — and `encodedBodySize`, bodies only); each
timeline's draws (the initial one and five zooms, `data-draw-ms`) and the time from navigation to
its first draw (fetch, parse and draw); and a pan of the 50,000-task timeline (a mouse drag of
120 moves, zoomed in 8x): the time between animation frames during it. Prints one BENCH_RESULT
line; ``{"skipped": reason}`` when Chromium or Playwright is absent.
"""

from __future__ import annotations

import itertools
import statistics
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from wl_common import emit

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
LOAD = """() => {
  const by = (type) => performance.getEntriesByType(type);
  const paint = Object.fromEntries(by('paint').map((e) => [e.name, e.startTime]));
  const all = [...by('navigation'), ...by('resource')];
  const resources = all.map((e) => [e.name.replace(location.origin, ''), e.transferSize,
    e.encodedBodySize, Math.round(e.startTime), Math.round(e.responseEnd)]);
  return { paint, rows_ms: performance.now(), requests: all.length, resources,
    transfer: all.reduce((n, e) => n + e.transferSize, 0),
    static_transfer: all.filter((e) => !new URL(e.name).pathname.startsWith('/api/'))
      .reduce((n, e) => n + e.transferSize, 0),
    encoded: all.reduce((n, e) => n + e.encodedBodySize, 0),
    decoded: all.reduce((n, e) => n + e.decodedBodySize, 0) };
}"""
FRAMES = """() => { window.__frames = []; const tick = (t) => { window.__frames.push(t);
  if (!window.__stop) requestAnimationFrame(tick); }; requestAnimationFrame(tick); }"""


def p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]


def new_page(browser: Any) -> tuple[Any, Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()

    def guard(route: Any) -> None:  # the dashboard must need nothing but its own server
        host = urlsplit(route.request.url).hostname
        if host == "127.0.0.1" or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            route.abort()

    page.route("**/*", guard)
    return context, page


def runs_page(browser: Any, base: str) -> dict[str, Any]:
    context, page = new_page(browser)
    try:
        page.goto(base + "/")
        page.wait_for_selector("#runs-list tbody tr")
        got: dict[str, Any] = page.evaluate(LOAD)
        return got
    finally:
        context.close()


def timeline(browser: Any, base: str, run_id: str) -> dict[str, Any]:
    context, page = new_page(browser)
    try:
        page.goto(f"{base}/runs/{run_id}")
        canvas = page.locator("canvas.timeline[data-drawn]")
        canvas.wait_for()
        first = float(page.evaluate("performance.now()"))
        draws = [float(canvas.get_attribute("data-draw-ms") or "nan")]
        canvas.focus()
        for key in ["+"] * 5 + ["0"]:
            page.keyboard.press(key)
            draws.append(float(canvas.get_attribute("data-draw-ms") or "nan"))
        return {"navigation_to_drawn_ms": first, "draws_ms": draws, "max_draw_ms": max(draws)}
    finally:
        context.close()


def pan(browser: Any, base: str, run_id: str) -> dict[str, Any]:
    context, page = new_page(browser)
    try:
        page.goto(f"{base}/runs/{run_id}")
        canvas = page.locator("canvas.timeline[data-drawn]")
        canvas.wait_for()
        canvas.focus()
        for _ in range(3):  # 8x in: there is something to pan to
            page.keyboard.press("+")
            page.keyboard.press("+")
            page.keyboard.press("+")
        box = canvas.bounding_box()
        x, y = box["x"] + box["width"] * 0.8, box["y"] + box["height"] / 2
        page.evaluate(FRAMES)
        page.mouse.move(x, y)
        page.mouse.down()
        draws = []
        for k in range(1, 121):
            page.mouse.move(x - k * 6, y + (k % 7))
            draws.append(float(canvas.get_attribute("data-draw-ms") or "nan"))
        page.mouse.up()
        frames = page.evaluate("() => { window.__stop = true; return window.__frames; }")
        gaps = [b - a for a, b in itertools.pairwise(frames)]
        return {"frames": len(frames), "p95_frame_ms": p95(gaps), "max_frame_ms": max(gaps),
                "median_frame_ms": statistics.median(gaps), "max_draw_ms": max(draws),
                "p95_draw_ms": p95(draws)}  # fmt: skip
    finally:
        context.close()


def main() -> None:
    base, loads = sys.argv[1], int(sys.argv[2])
    if not CHROMIUM.exists():
        emit({"skipped": f"{CHROMIUM} is not installed (Debian's chromium package)"})
        return
    try:
        from playwright.sync_api import sync_playwright  # lazily: absent from a bare install
    except ImportError:
        emit({"skipped": "playwright is not installed (make venv installs it)"})
        return
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            runs_page(browser, base)  # warm-up: the server's first answers, Chromium's caches
            loads_ = [runs_page(browser, base) for _ in range(loads)]
            out: dict[str, Any] = {
                "loads": loads_,
                "first_paint_ms": max(x["paint"].get("first-paint", float("nan")) for x in loads_),
                "first_contentful_paint_ms": max(
                    x["paint"].get("first-contentful-paint", float("nan")) for x in loads_
                ),
                "rows_ms": max(x["rows_ms"] for x in loads_),
                "transfer_bytes": max(x["transfer"] for x in loads_),
                "static_transfer_bytes": max(x["static_transfer"] for x in loads_),
                "encoded_bytes": max(x["encoded"] for x in loads_),
                "decoded_bytes": max(x["decoded"] for x in loads_),
                "timeline_10k": timeline(browser, base, "big-run"),
                "timeline_50k": timeline(browser, base, "huge-run"),
                "pan_50k": pan(browser, base, "huge-run"),
            }
        finally:
            browser.close()
    emit(out)


if __name__ == "__main__":
    main()
