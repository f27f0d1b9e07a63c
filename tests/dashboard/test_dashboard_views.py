"""Saved views on the runs page in a real browser (Debian's Chromium) against a real server: a
filtered view saved from the keyboard, made the default, applied when `/` is opened bare (and
never over a URL with a query), renamed (a taken name refused in place), deleted; hostile names
shown as text; usable at phone width; axe-core clean in both themes."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FLOWS = """
from cadenza import flow
@flow(name="fine")
def fine():
    return 1
@flow(name="broken")
def broken():
    raise RuntimeError("boom")
fine()
try:
    broken()
except RuntimeError:
    pass
"""


@pytest.fixture(scope="module")
def recorded(dashboard):
    proc = dashboard.run_flow(FLOWS)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return {r["flow_name"]: r for r in dashboard.runs()}


def _rows(page, count: int) -> None:
    expect(page.locator("#runs-list tbody tr")).to_have_count(count)


def _query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def _axe(page, axe_script) -> list[str]:
    page.evaluate(axe_script.read_text() + "\n;0")  # not a script tag: the CSP forbids those
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in result["violations"]
            if v["impact"] in ("serious", "critical")]  # fmt: skip


def test_save_make_default_reload_rename_and_delete(
    page, dashboard, recorded, shots, axe_script
) -> None:
    page.goto(dashboard.base + "/?state=FAILED")
    _rows(page, 1)

    # Save view… from the keyboard: the dialog takes the name and Enter saves it
    page.focus("#view-save")
    page.keyboard.press("Enter")
    page.wait_for_selector("dialog[open] #view-name")
    page.keyboard.type("Failures only")
    page.keyboard.press("Enter")
    page.wait_for_selector("#view-note")
    assert "Failures only" in page.locator("#view-note").inner_text()
    assert _query(page)["state"] == ["FAILED"] and "view" in _query(page)
    _rows(page, 1)

    page.get_by_role("button", name="Make default").click()
    page.wait_for_selector("#view-note:has-text('the default')")
    assert page.locator("#v-pick option:checked").inner_text() == "Failures only (default)"
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        assert _axe(page, axe_script) == [], scheme
    page.emulate_media(color_scheme="light")

    # a bare `/` opens with the default view, and says so
    page.goto(dashboard.base + "/")
    _rows(page, 1)
    assert _query(page)["state"] == ["FAILED"]
    assert "Failures only" in page.locator("#view-note").inner_text()
    page.screenshot(path=shots / "runs-saved-view.png", full_page=True)
    # ... a URL with a query string is never overridden
    page.goto(dashboard.base + "/?state=COMPLETED")
    _rows(page, 1)
    assert page.locator("#runs-list tbody .state").inner_text() == "Completed"
    assert page.locator("#view-note").count() == 0
    # ... and "Show all runs" is the way back
    page.goto(dashboard.base + "/")
    page.get_by_role("link", name="Show all runs").click()
    _rows(page, 2)
    assert _query(page) == {"view": ["none"]}

    # choosing a view from the list loads its filters into the URL
    page.select_option("#v-pick", label="Failures only (default)")
    page.wait_for_selector("#view-note")
    _rows(page, 1)
    assert _query(page)["state"] == ["FAILED"]

    # rename: a taken name is refused at the field; a free one is kept
    dashboard.api.post("/saved_views", json={"name": "Taken", "query": {"q": "x"}})
    page.get_by_role("button", name="Rename…").click()
    page.fill("#view-name", "Taken")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_selector("#view-name-error:not([hidden])")
    assert "exists" in page.locator("#view-name-error").inner_text()
    assert _axe(page, axe_script) == []  # the open dialog with its error, too
    page.fill("#view-name", "Only failures")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_selector("#view-note:has-text('Only failures')")

    page.get_by_role("button", name="Delete", exact=True).click()  # confirm accepted by the fixture
    page.wait_for_selector("#view-note", state="detached")
    assert [v["name"] for v in dashboard.api.get("/saved_views").json()] == ["Taken"]
    page.goto(dashboard.base + "/")
    _rows(page, 2)
    assert page.locator("#view-note").count() == 0


def test_hostile_names_are_text_and_the_control_fits_a_phone(page, dashboard, recorded) -> None:
    hostile = '<img src=x onerror="document.title=1">Évaluation 🙂 ' + "w" * 120
    body = {"name": hostile, "query": {"state": ["FAILED"]}}
    made = dashboard.api.post("/saved_views", json=body)
    assert made.status_code == 201, made.text
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(dashboard.base + "/?view=" + made.json()["id"] + "&state=FAILED")
    page.wait_for_selector("#view-note")
    assert page.locator("#v-pick option:checked").inner_text() == hostile
    assert page.locator("main img").count() == 0
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"the page scrolls sideways at phone width ({width} px)"
    dashboard.api.delete(f"/saved_views/{made.json()['id']}")
