"""A run's structure in a real browser against a real server, with runs recorded by real flows:
a task run's detail view (from the timeline's table and by a click on its bar), the graph of a
diamond flow (mapped tasks, wait_for, and a flow where nothing depends on anything), artifacts
with hostile markdown rendered safely, two runs compared, a paused run resumed from the page and
a deployment's failed run retried; axe-core on the new views in light and dark. Screenshots go
to build/screenshots/."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DIAMOND = """
import sys
from cadenza import flow, task, unmapped
from cadenza.artifacts import (create_link_artifact, create_markdown_artifact,
    create_progress_artifact, create_table_artifact)
from cadenza.cache_policies import INPUTS
HOSTILE = '''# Report
Some **bold** and *em* and `code`, a [good link](https://example.org/docs) and a
[bad link](javascript:alert(1)) and <script>window.pwned = 1</script>
<img src=x onerror="window.pwned = 2">
![remote](https://example.org/x.png)

| metric | value |
| --- | --- |
| rows | 42 |

- one
- two
'''
@task
def a(): return 1
@task
def b(x): return x + 1
@task
def c(x, fail):
    if fail:
        raise ValueError("c was told to fail")
    return x * 2
@task(persist_result=True)
def d(left, right): return left + right
@task(cache_policy=INPUTS)
def square(x): return x * x
@task
def after(): return "done"
@flow(name="diamond")
def diamond(fail: bool = False):
    fa = a.submit()
    fb = b.submit(fa)
    fc = c.submit(fa, fail)
    fd = d.submit(fb, fc)
    after.submit(wait_for=[fd]).wait()
    squares = square.map([1, 2, 3])
    b.map(squares).wait()
    square(2)
    create_markdown_artifact(HOSTILE, key="report", description="The *nightly* report")
    create_table_artifact([{"city": "Oslo", "n": 3}, {"city": "Lima", "n": 5}], key="cities")
    create_link_artifact("https://example.org/out", "the output", key="out")
    create_link_artifact("javascript:alert(1)", "evil", key="evil")
    create_progress_artifact(40.0, key="progress")
    return fd.result(raise_on_failure=False)
try:
    diamond(fail=len(sys.argv) > 1)
except Exception:
    pass
"""
FLAT = """
from cadenza import flow, task
@task
def one(i): return i
@flow(name="flat")
def flat():
    return [f.result() for f in [one.submit(i) for i in range(4)]]
flat()
"""
PAUSED = """
from cadenza import flow, task, pause_flow_run
@task
def before(): return 1
@flow(name="needs-approval")
def needs_approval():
    before()
    pause_flow_run(timeout=120, poll_interval=0.3)
    return "approved"
needs_approval()
"""


@pytest.fixture(scope="module")
def recorded(dashboard):
    for code, args in ((DIAMOND, []), (DIAMOND, ["fail"]), (FLAT, [])):
        proc = subprocess.run([sys.executable, "-c", code, *args], env=dashboard.env(),
                              capture_output=True, text=True, timeout=120,
                              cwd=dashboard.server.home)  # fmt: skip
        assert proc.returncode == 0, proc.stderr[-2000:]
    runs = dashboard.runs()
    diamonds = sorted((r for r in runs if r["flow_name"] == "diamond"), key=lambda r: r["created"])
    return {"ok": diamonds[0], "failed": diamonds[1],
            "flat": next(r for r in runs if r["flow_name"] == "flat")}  # fmt: skip


def _open(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("main h1")


def _settle(page) -> None:
    """The page loaded and its live stream (if any) connected: the stream keeps a request open,
    so the network is never idle."""
    page.wait_for_load_state("load")
    page.wait_for_function("() => [...document.querySelectorAll('.stream-live')]"
                           ".every((e) => e.dataset.live !== 'stale')")  # fmt: skip
    page.wait_for_timeout(300)


def _task_runs(dashboard, run_id: str) -> dict[str, dict]:
    got = dashboard.api.get(f"/flow_runs/{run_id}/task_runs", params={"limit": 100}).json()
    return {t["name"]: t for t in got}


def test_a_task_run_detail_from_the_table_and_from_its_bar(page, dashboard, recorded, shots):
    run = recorded["ok"]["id"]
    tasks = _task_runs(dashboard, run)
    _open(page, f"{dashboard.base}/runs/{run}")
    page.get_by_text("Task runs as a table").click()
    page.get_by_role("link", name="d-3", exact=True).click()
    expect(page.locator("main h1")).to_have_text("Task run d-3")
    assert page.url.endswith(f"/runs/{run}/tasks/{tasks['d-3']['id']}")
    summary = page.locator("section[aria-label='Task run summary']")
    expect(summary).to_contain_text("Completed")
    expect(summary).to_contain_text("serializer")  # where the result is, not its value
    upstream = page.locator("table:has(caption:text('Upstream task runs'))")
    expect(upstream.get_by_role("link", name="b-1")).to_be_visible()
    expect(upstream.get_by_role("link", name="c-2")).to_be_visible()
    expect(upstream).to_contain_text("left")
    states = page.locator("table:has(caption:text('States of the task run'))")
    expect(states).to_contain_text("Pending")
    expect(states).to_contain_text("Running")
    expect(page.locator("main")).not_to_contain_text("null")
    page.screenshot(path=shots / "task-run-detail.png", full_page=True)

    # A cache hit: the second square(2) reused the mapped run's result.
    cached = next(t for t in tasks.values() if t["state"]["name"] == "Cached")
    _open(page, f"{dashboard.base}/runs/{run}/tasks/{cached['id']}")
    expect(page.locator("section[aria-label='Task run summary']")).to_contain_text(
        "yes: the result"
    )

    # A click on a bar of the timeline opens its task run.
    _open(page, f"{dashboard.base}/runs/{run}")
    _click_the_widest_bar(page, dashboard, run)


def _click_the_widest_bar(page, dashboard, run: str) -> None:
    line = dashboard.api.get(f"/flow_runs/{run}/timeline").json()
    span = max(e for e in line["end"] if e is not None)
    ran = [k for k in range(line["count"]) if line["start"][k] is not None and line["end"][k]]
    i = max(ran, key=lambda k: line["end"][k] - line["start"][k])
    box = page.locator("canvas.timeline").bounding_box()
    assert box is not None
    x = (line["start"][i] + line["end"][i]) / 2 / span * box["width"]
    page.locator("canvas.timeline").click(position={"x": x, "y": 20 + line["row"][i] * 18 + 9})
    expect(page.locator("main h1")).to_have_text(f"Task run {line['names'][i]}")
    assert f"/runs/{run}/tasks/{line['ids'][i]}" in page.url


def test_a_bar_is_hit_where_it_is_drawn_after_the_timeline_narrows(page, dashboard, recorded):
    # The canvas narrows without a window resize (as when a scrollbar appears while the page
    # below loads): the timeline redraws to its new width, and a click still opens its bar.
    run = recorded["ok"]["id"]
    _open(page, f"{dashboard.base}/runs/{run}")
    canvas = page.locator("canvas.timeline")
    expect(canvas).to_be_visible()
    wide = canvas.bounding_box()["width"]
    page.evaluate("document.querySelector('.timeline-wrap').style.width = '45%'")
    page.wait_for_function(
        "(wide) => document.querySelector('canvas.timeline').width"
        " < wide * 0.6 * (window.devicePixelRatio || 1)",
        arg=wide,
    )
    _click_the_widest_bar(page, dashboard, run)


def test_task_run_logs_are_only_its_own(page, dashboard, recorded):
    run = recorded["failed"]["id"]
    failed = _task_runs(dashboard, run)["c-2"]
    _open(page, f"{dashboard.base}/runs/{run}/tasks/{failed['id']}")
    expect(page.locator("section[aria-label='Task run summary']")).to_contain_text("Failed")
    logs = page.locator(".logs")
    expect(logs).to_contain_text("c was told to fail")
    lines = dashboard.api.get(f"/flow_runs/{run}/logs", params={"task_run_id": failed["id"]}).json()
    expect(page.locator(".logs .line")).to_have_count(min(len(lines), 30))


def test_the_graph_of_a_diamond_flow(page, dashboard, recorded, shots):
    run = recorded["ok"]["id"]
    _open(page, f"{dashboard.base}/runs/{run}?tab=graph")
    graph = page.locator("svg.graph")
    expect(graph).to_be_visible()
    nodes = graph.locator(".node")
    expect(nodes).to_have_count(len(_task_runs(dashboard, run)))
    graph_data = dashboard.api.get(f"/flow_runs/{run}/graph").json()
    depth = dict(zip(graph_data["names"], graph_data["depth"], strict=True))
    assert (depth["a-0"], depth["b-1"], depth["c-2"], depth["d-3"], depth["after-4"]) == (
        0, 1, 1, 2, 3,
    )  # fmt: skip
    # mapped: b over the squares, one edge each
    assert sorted(depth[f"b-{i}"] for i in (8, 9, 10)) == [1, 1, 1]
    expect(graph.locator(".edge")).to_have_count(len(graph_data["edges"]["source"]))
    expect(graph.locator(".edge.wait")).to_have_count(1)
    # nodes are laid out left to right by depth
    x = {n: graph.locator(f"a.node[aria-label^='{n}:'] rect").get_attribute("x") for n in
         ("a-0", "b-1", "d-3", "after-4")}  # fmt: skip
    assert float(x["a-0"]) < float(x["b-1"]) < float(x["d-3"]) < float(x["after-4"])
    page.screenshot(path=shots / "run-graph.png", full_page=True)
    page.locator(".graph-wrap").screenshot(path=shots / "run-graph-only.png")
    graph.locator("a.node[aria-label^='d-3:']").click()
    expect(page.locator("main h1")).to_have_text("Task run d-3")

    _open(page, f"{dashboard.base}/runs/{recorded['flat']['id']}?tab=graph")
    expect(page.locator("svg.graph .node")).to_have_count(4)
    expect(page.locator("svg.graph .edge")).to_have_count(0)
    expect(page.locator("#graph-note")).to_contain_text("0 dependencies")


def test_a_huge_graph_is_condensed_without_hanging(page, dashboard, recorded):
    _open(page, dashboard.base + "/")
    js = page.locator("script[type=module]").get_attribute("src").replace("/main.js", "/graph.js")
    got = page.evaluate(
        """async (src) => {
        const { condense, drawGraph, MAX_NODES } = await import(src);
        const n = 50000, g = {count: n, ids: [], names: [], task_names: [], state: [],
          state_name: [], depth: [], edges: {source: [], target: [], input: []}};
        for (let i = 0; i < n; i++) {
          g.ids.push('id' + i); g.names.push('t-' + i); g.task_names.push(i < 10 ? 'root' : 'leaf');
          g.state.push(i % 97 ? 'COMPLETED' : 'FAILED'); g.state_name.push('x');
          g.depth.push(i < 10 ? 0 : 1);
          if (i < 10) continue;
          g.edges.source.push(i % 10); g.edges.target.push(i); g.edges.input.push('x');
        }
        const t0 = performance.now();
        const small = condense(g);
        const svg = drawGraph(small, 'run', {condensed: true});
        return {ms: performance.now() - t0, count: small.count, edges: small.edges.source.length,
                nodes: svg.querySelectorAll('.node').length, max: MAX_NODES,
                worst: small.state[1]};
    }""",
        js,
    )
    assert got["count"] == 2 and got["edges"] == 1 and got["nodes"] == 2
    assert got["worst"] == "FAILED"  # a group shows its worst state
    assert got["ms"] < 2000, got


def test_artifacts_render_markdown_safely(page, dashboard, recorded, shots):
    run = recorded["ok"]["id"]
    _open(page, f"{dashboard.base}/runs/{run}?tab=artifacts")
    report = page.locator("article[aria-label='Artifact report']")
    expect(report.locator(".markdown h4", has_text="Report")).to_be_visible()
    expect(report.locator("strong", has_text="bold")).to_be_visible()
    expect(report.locator("td", has_text="42")).to_be_visible()
    expect(report.locator("li", has_text="two")).to_be_visible()
    good = report.get_by_role("link", name="good link")
    expect(good).to_have_attribute("href", "https://example.org/docs")
    # hostile parts are text: no link for javascript:, no script, no img, no remote image
    expect(report.get_by_role("link", name="bad link")).to_have_count(0)
    expect(report).to_contain_text("and a bad link and")  # the refused link is its text only
    expect(report).to_contain_text("image “remote” not loaded")
    expect(report).to_contain_text("<script>window.pwned = 1</script>")
    expect(report).to_contain_text('<img src=x onerror="window.pwned = 2">')
    assert report.locator("script, img, iframe").count() == 0
    assert page.evaluate("window.pwned") is None
    hrefs = page.eval_on_selector_all(".markdown a, .artifact a", "as => as.map(a => a.href)")
    assert all(h.startswith(("http://127.0.0.1", "https://")) for h in hrefs), hrefs
    cities = page.locator("article[aria-label='Artifact cities']")
    expect(cities.locator("th", has_text="city")).to_be_visible()
    expect(cities.locator("td", has_text="Lima")).to_be_visible()
    expect(
        page.locator("article[aria-label='Artifact out']").get_by_role("link", name="the output")
    ).to_be_visible()
    expect(page.locator("article[aria-label='Artifact evil']").get_by_role("link")).to_have_count(0)
    expect(page.locator("article[aria-label='Artifact progress'] progress")).to_have_attribute(
        "value", "40"
    )
    page.screenshot(path=shots / "run-artifacts.png", full_page=True)


HOSTILE_MARKDOWN = [
    "<script>window.pwned = 1</script>",
    '<img src=x onerror="window.pwned = 2">',
    "[a](javascript:window.pwned=3)",
    "[a](JaVaScRiPt:window.pwned=4)",
    "[a]( javascript:window.pwned=5)",
    "[a](java\tscript:window.pwned=6)",
    "[a](&#106;avascript:window.pwned=7)",
    "[a](data:text/html,<script>window.pwned=8</script>)",
    "[a](vbscript:msgbox)",
    "[a](//evil.example/x)",
    "![a](javascript:window.pwned=9)",
    "![a](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![a](https://evil.example/x.png)",
    "<a href=javascript:alert(1)>x</a>",
    "**<b onmouseover=alert(1)>x</b>**",
    "`<script>window.pwned = 10</script>`",
    "```\n<script>window.pwned = 11</script>\n```",
    "| <script>x</script> | b |\n| --- | --- |\n"
    "| [c](javascript:alert(1)) | <img src=x onerror=alert(1)> |",
    "# <svg onload=alert(1)>",
    "- [a](https://ok.example/) <iframe src=//evil.example>",
]


def test_the_markdown_renderer_leaves_hostile_input_as_text(page, dashboard):
    _open(page, dashboard.base + "/")
    main_js = page.locator("script[type=module]").get_attribute("src")
    src = main_js.replace("/main.js", "/markdown.js")
    got = page.evaluate(
        """async ([src, inputs]) => {
        const { renderMarkdown } = await import(src);
        const allowed = new Set(['DIV', 'P', 'H3', 'H4', 'H5', 'H6', 'STRONG', 'EM', 'CODE', 'PRE',
          'UL', 'OL', 'LI', 'A', 'TABLE', 'THEAD', 'TBODY', 'TR', 'TH', 'TD', 'BLOCKQUOTE', 'HR',
          'SPAN', 'IMG']);
        const out = [];
        for (const text of inputs) {
          const el = renderMarkdown(text);
          document.body.append(el);  // in the page, so an event handler would have its chance
          for (const node of el.querySelectorAll('*')) {
            if (!allowed.has(node.tagName)) out.push(`${text}: <${node.tagName}>`);
            for (const attr of node.attributes) {
              if (/^on/i.test(attr.name)) out.push(`${text}: ${attr.name}`);
              const bad = (attr.name === 'href' && !/^https?:/.test(attr.value))
                || (attr.name === 'src' && !attr.value.startsWith(location.origin));
              if (bad) out.push(`${text}: ${attr.name} ${attr.value}`);
            }
          }
          el.remove();
        }
        await new Promise((r) => setTimeout(r, 200));
        return { out, pwned: window.pwned ?? null,
                 text: renderMarkdown(inputs[0]).textContent };
    }""",
        [src, HOSTILE_MARKDOWN],
    )
    assert got["out"] == [] and got["pwned"] is None, got
    assert got["text"] == HOSTILE_MARKDOWN[0]  # shown as written


def test_compare_two_runs(page, dashboard, recorded, shots):
    ok, failed = recorded["ok"], recorded["failed"]
    _open(page, dashboard.base + "/")
    page.get_by_role("checkbox", name=f"Select run {ok['name']}", exact=True).check()
    page.get_by_role("checkbox", name=f"Select run {failed['name']}", exact=True).check()
    page.get_by_role("button", name="Compare selected").click()
    expect(page.locator("main h1")).to_have_text("Compare runs")
    expect(page.locator("#first-divergence")).to_contain_text("c-2")
    expect(page.locator("main")).not_to_contain_text("null")
    params = page.locator("table:has(caption:text('Parameters of A and B'))")
    expect(params.locator("tr", has_text="fail")).to_contain_text("≠ differs")
    tasks = page.locator("table:has(caption:text('Task runs of A and B, matched by name'))")
    expect(tasks.locator("tr", has_text="a-0")).to_contain_text("= same")
    expect(tasks.locator("tr", has_text="d-3")).to_contain_text("≠ differs")
    page.screenshot(path=shots / "compare.png", full_page=True)

    # from a run's page: Compare… then pick the other run
    _open(page, f"{dashboard.base}/runs/{ok['id']}")
    page.get_by_role("link", name="Compare…").click()
    page.get_by_role("link", name=failed["name"]).click()
    expect(page.locator("#first-divergence")).to_contain_text("c-2")


def test_resume_a_paused_run_from_its_page(page, dashboard, shots):
    proc = dashboard.start_flow(PAUSED)
    try:
        run = dashboard.wait_for(
            lambda: next((r for r in dashboard.runs(flow_name="needs-approval")
                          if r["state"]["type"] == "PAUSED"), None),
            timeout=60, what="the run to pause",
        )  # fmt: skip
        _open(page, f"{dashboard.base}/runs/{run['id']}")
        page.get_by_role("button", name="Resume").click()
        page.screenshot(path=shots / "resume-dialog.png", full_page=True)
        page.locator("dialog").get_by_role("button", name="Resume").click()
        dashboard.wait_for(
            lambda: dashboard.api.get(f"/flow_runs/{run['id']}").json()["state"]["type"]
            == "COMPLETED",
            timeout=60, what="the resumed run to complete",
        )  # fmt: skip
        assert proc.wait(timeout=60) == 0
        expect(page.locator("section[aria-label='Run summary']")).to_contain_text(
            "Completed", timeout=10_000
        )
    finally:
        if proc.poll() is None:
            proc.kill()


FLAKY = """
import pathlib
from cadenza import flow
@flow(name="flaky")
def flaky():
    if not pathlib.Path("flaky.ok").exists():
        raise RuntimeError("not yet")
    return "ok"
if __name__ == "__main__":  # the run itself imports this file again
    flaky.serve(name="flaky")
"""


def test_retry_a_failed_deployment_run_that_serve_runs_again(page, dashboard, shots):
    (dashboard.server.home / "flaky.py").write_text(FLAKY)  # serve loads the flow from a file
    proc = subprocess.Popen([sys.executable, "flaky.py"], env=dashboard.env(),
                            cwd=dashboard.server.home, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        dep = dashboard.wait_for(
            lambda: (r := dashboard.api.get("/deployments/name/flaky/flaky")).status_code == 200
            and r.json()["id"],
            timeout=60, what="the served deployment",
        )  # fmt: skip
        run = dashboard.api.post(f"/deployments/{dep}/create_flow_run", json={}).json()["id"]
        state = lambda: dashboard.api.get(f"/flow_runs/{run}").json()["state"]  # noqa: E731
        dashboard.wait_for(lambda: state()["type"] == "FAILED", timeout=60, what="a failure")
        _open(page, f"{dashboard.base}/runs/{run}")
        (dashboard.server.home / "flaky.ok").write_text("")
        page.get_by_role("button", name="Retry").click()
        # Retried at once: the first attempt's process may still be exiting (status 1), and
        # its serve process must not take the rescheduled run for its own and crash it.
        dashboard.wait_for(lambda: state()["type"] == "COMPLETED", timeout=60, what="the rerun")
        summary = page.locator("section[aria-label='Run summary']")
        expect(summary).to_contain_text("Completed", timeout=15_000)
        names = [s["name"] for s in dashboard.api.get(f"/flow_runs/{run}").json()["states"]]
        assert names.index("Failed") < names.index("AwaitingRetry") < names.index("Completed")
        expect(page.get_by_role("button", name="Retry")).to_have_count(0)
        page.screenshot(path=shots / "retried.png", full_page=True)
    finally:
        proc.send_signal(signal.SIGINT)  # serve stops on Ctrl-C
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_on_the_new_views(page, dashboard, recorded, axe_script, scheme) -> None:
    page.emulate_media(color_scheme=scheme)
    run = recorded["ok"]["id"]
    task_id = _task_runs(dashboard, run)["d-3"]["id"]
    found = {}
    for path in (f"/runs/{run}/tasks/{task_id}", f"/runs/{run}?tab=graph",
                 f"/runs/{run}?tab=artifacts", f"/compare?a={run}&b={recorded['failed']['id']}",
                 f"/compare?a={run}", "/"):  # fmt: skip
        _open(page, dashboard.base + path)
        _settle(page)
        page.evaluate(axe_script.read_text() + "\n;0")  # the CSP forbids inline script tags
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        bad = [f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in result["violations"]
               if v["impact"] in ("serious", "critical")]  # fmt: skip
        if bad:
            found[path] = bad
    assert found == {}


def test_the_new_views_at_phone_width_in_the_dark_theme(chromium, dashboard, recorded, shots):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, color_scheme="dark")
    page = context.new_page()
    try:
        run = recorded["ok"]["id"]
        task_id = _task_runs(dashboard, run)["d-3"]["id"]
        views = {"task-run-phone-dark": f"/runs/{run}/tasks/{task_id}",
                 "run-graph-phone-dark": f"/runs/{run}?tab=graph",
                 "run-artifacts-phone-dark": f"/runs/{run}?tab=artifacts",
                 "compare-phone-dark": f"/compare?a={run}&b={recorded['failed']['id']}",
                 }  # fmt: skip
        for name, path in views.items():
            _open(page, dashboard.base + path)
            _settle(page)
            # wide parts (graph, tables) scroll inside their own box, never the whole page
            overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
            assert overflow <= 1, (path, overflow)
            page.screenshot(path=shots / f"{name}.png", full_page=True)
    finally:
        context.close()
