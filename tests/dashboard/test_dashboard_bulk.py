"""Bulk actions on the runs page in a real browser against a real server: every run the filters
match cancelled from the page (a confirmation stating the count, then each run's outcome), the
record checked through the API; two selected rows deleted; keyboard, phone width and axe-core in
both themes. Screenshots go to build/screenshots/."""

from __future__ import annotations

import time
import uuid

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ETL = """
from cadenza import flow
@flow(name="bulky")
def bulky():
    return 1
bulky()
"""
PATHS = {
    "RUNNING": ["PENDING", "RUNNING"],
    "SCHEDULED": ["SCHEDULED"],
    "COMPLETED": ["PENDING", "RUNNING", "COMPLETED"],
}


def _record(dashboard, flow: str, state: str, tags: list[str] | None = None) -> str:
    run = str(uuid.uuid4())
    body = {
        "id": run,
        "name": f"{flow}-{state.lower()}-{run[:4]}",
        "flow_name": flow,
        "tags": tags or [],
        "created": time.time(),
    }
    assert dashboard.api.post("/flow_runs", json=body).status_code == 201
    for step in PATHS[state]:
        move = {
            "transition_id": str(uuid.uuid4()),
            "state": {"type": step, "name": step.title(), "timestamp": time.time()},
        }
        answer = dashboard.api.post(f"/flow_runs/{run}/set_state", json=move)
        assert answer.json()["decision"] == "ACCEPT", answer.text
    return run


def _state(dashboard, run: str) -> str:
    return dashboard.api.get(f"/flow_runs/{run}").json()["state"]["type"]


def _axe(page, axe_script) -> list[str]:
    page.evaluate(axe_script.read_text() + "\n;0")  # not a script tag: the CSP forbids them
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_cancel_every_matching_run_from_the_page(page, dashboard, shots, axe_script) -> None:
    proc = dashboard.run_flow(ETL)  # a real flow run: Completed
    assert proc.returncode == 0, proc.stderr[-2000:]
    (completed,) = [r["id"] for r in dashboard.runs(flow_name="bulky")]
    active = [
        _record(dashboard, "bulky", s)
        for s in ("RUNNING", "RUNNING", "RUNNING", "SCHEDULED", "SCHEDULED")
    ]
    outside = _record(dashboard, "elsewhere", "RUNNING")
    page.goto(dashboard.base + "/?flow=bulky&range=all")
    expect(page.locator("#runs-summary")).to_have_text("6 of 6 runs shown.")
    expect(page.locator("#bulk-count")).to_have_text("No runs selected.")
    expect(page.locator("#bulk-cancel")).to_be_disabled()
    scope = page.get_by_role("button", name="Select all 6 matching")
    scope.focus()
    page.keyboard.press("Enter")  # keyboard: the bar's controls are buttons
    expect(page.locator("#bulk-count")).to_have_text("All 6 matching runs selected.")
    page.get_by_role("button", name="Cancel…").click()
    dialog = page.get_by_role("dialog", name="Cancel all 6 runs matching?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Cancel all 6 runs matching the filters.")
    page.keyboard.press("Escape")  # backs out: nothing changed
    expect(dialog).to_be_hidden()
    assert _state(dashboard, active[0]) == "RUNNING"
    page.get_by_role("button", name="Cancel…").click()
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        assert _axe(page, axe_script) == [], f"the confirmation, {scheme} theme"
    page.get_by_role("button", name="Cancel 6 runs").click()
    heading = page.get_by_role("heading", name="Cancel: 5 done, 1 skipped, 0 failed")
    expect(heading).to_be_focused()
    outcomes = page.locator("#bulk-results tbody tr")
    expect(outcomes).to_have_count(6)
    skipped = outcomes.filter(has_text="skipped")
    expect(skipped).to_have_count(1)
    expect(skipped).to_contain_text("○ skipped")  # an icon and a word, never colour alone
    expect(skipped).to_contain_text("already Completed: cannot cancel")
    expect(outcomes.filter(has_text="✔ done")).to_have_count(5)
    expect(page.locator("#runs-list .state[data-state='RUNNING']")).to_have_count(0)  # refreshed
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        assert _axe(page, axe_script) == [], f"the results, {scheme} theme"
    page.emulate_media(color_scheme="light")
    page.screenshot(path=shots / "runs-bulk.png", full_page=True)
    for run in active:
        assert _state(dashboard, run) in ("CANCELLING", "CANCELLED")
    assert _state(dashboard, completed) == "COMPLETED"
    assert _state(dashboard, outside) == "RUNNING"


def test_delete_two_selected_runs_at_phone_width(page, dashboard, shots) -> None:
    pair = [_record(dashboard, "pairs", "COMPLETED") for _ in range(2)]
    kept = _record(dashboard, "pairs", "COMPLETED")
    names = {r["id"]: r["name"] for r in dashboard.runs(flow_name="pairs")}
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(dashboard.base + "/?flow=pairs&range=all")
    expect(page.locator("#runs-summary")).to_have_text("3 of 3 runs shown.")
    for run in pair:
        page.get_by_role("checkbox", name=f"Select run {names[run]}", exact=True).check()
    expect(page.locator("#bulk-count")).to_have_text("2 runs selected.")
    page.get_by_role("button", name="Delete…").click()
    expect(page.get_by_role("dialog", name="Delete 2 runs?")).to_be_visible()
    page.get_by_role("button", name="Delete 2 runs").click()
    expect(page.get_by_role("heading", name="Delete: 2 done, 0 skipped, 0 failed")).to_be_visible()
    expect(page.locator("#runs-summary")).to_have_text("1 of 1 runs shown.")
    expect(page.locator("#bulk-count")).to_have_text("No runs selected.")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"the page scrolls sideways at phone width ({width} px)"
    page.screenshot(path=shots / "runs-bulk-phone.png", full_page=True)
    for run in pair:
        assert dashboard.api.get(f"/flow_runs/{run}").status_code == 404
    assert _state(dashboard, kept) == "COMPLETED"
