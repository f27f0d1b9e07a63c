"""The dashboard's admin pages in a real browser (Debian's Chromium) against a real server: a
block made from the form generated from its type's schema and loaded back with `Block.load`,
edited without touching its secret (which it keeps) and deleted; validation errors shown at
their field; variables created, edited and deleted; the plugins and settings pages; axe-core in
both themes on each. Screenshots go to build/screenshots/."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.integration, pytest.mark.slow]

LOAD = """
import json
from cadenza.blocks.core import Block, secret_values
block = Block.load({name!r})
print(json.dumps({{"type": type(block).__name__, "fields": block.model_dump(mode="json"),
                   "secrets": secret_values(block)}}))
"""


def _open(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("main h1")


def _load(dashboard, full_name: str) -> dict:
    """The block as `Block.load` gives it in a new process using the server."""
    proc = dashboard.run_flow(LOAD.format(name=full_name))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _new_aws_block(page, dashboard, name: str, secret: str) -> None:
    _open(page, dashboard.base + "/blocks")
    page.get_by_role("link", name="New block").click()
    page.wait_for_selector("main h1:has-text('New block')")
    page.select_option("#b-type", "aws-credentials")
    page.wait_for_selector("form[aria-label='New AWS Credentials block']")
    page.fill("#b-name", name)
    page.get_by_label("Aws Access Key Id").fill("AKIAEXAMPLE")
    page.get_by_label("Aws Secret Access Key").fill(secret)
    page.get_by_label("Region Name").fill("eu-west-1")


def test_a_block_is_created_from_its_form_and_loads_back(page, dashboard, shots) -> None:
    _new_aws_block(page, dashboard, "prod", "wJalr-form-s3cret")
    form = page.locator("form[aria-label='New AWS Credentials block']")
    assert form.locator("#b-aws_secret_access_key").get_attribute("type") == "password"
    help_text = form.locator("#b-region_name-help").inner_text()
    assert help_text  # the field's description, as help text
    assert "(required)" in form.locator("label[for=b-name]").inner_text()
    expect(page.locator(".type-about")).to_contain_text("From cadenza-aws")
    page.screenshot(path=shots / "block-new.png", full_page=True)
    page.get_by_role("button", name="Create block").click()
    page.wait_for_selector("main h1:has-text('Block aws-credentials/prod')")

    loaded = _load(dashboard, "aws-credentials/prod")
    assert loaded["type"] == "AwsCredentials"
    assert loaded["fields"]["aws_access_key_id"] == "AKIAEXAMPLE"
    assert loaded["fields"]["region_name"] == "eu-west-1"
    assert loaded["secrets"] == ["wJalr-form-s3cret"]
    assert "wJalr-form-s3cret" not in page.content()  # never sent back to the browser

    # the same name again is refused at the name field
    _new_aws_block(page, dashboard, "prod", "another")
    page.get_by_role("button", name="Create block").click()
    expect(page.locator("#b-name-error")).to_contain_text("already exists")
    assert _load(dashboard, "aws-credentials/prod")["secrets"] == ["wJalr-form-s3cret"]


def test_an_edited_block_keeps_the_secret_left_empty(page, dashboard, shots) -> None:
    _new_aws_block(page, dashboard, "keep", "first-form-s3cret")
    page.get_by_role("button", name="Create block").click()
    page.wait_for_selector("main h1:has-text('Block aws-credentials/keep')")

    secret = page.locator("#b-aws_secret_access_key")
    assert secret.input_value() == ""  # write-only: never filled
    secret_help = page.locator("#b-aws_secret_access_key-help")
    expect(secret_help).to_contain_text("leave this empty to keep")
    page.get_by_label("Region Name").fill("us-east-2")
    page.screenshot(path=shots / "block-edit.png", full_page=True)
    page.get_by_role("button", name="Save block").click()
    page.wait_for_selector("text=Block aws-credentials/keep saved", state="attached")
    expect(page.get_by_label("Region Name")).to_have_value("us-east-2")
    loaded = _load(dashboard, "aws-credentials/keep")
    assert loaded["fields"]["region_name"] == "us-east-2"
    assert loaded["secrets"] == ["first-form-s3cret"]  # kept, not replaced by the mask

    # a nested object that does not validate: the server's 422 is shown at its field
    params = page.get_by_label("Aws Client Parameters")
    params.fill(json.dumps({"use_ssl": "perhaps"}))
    page.get_by_role("button", name="Save block").click()
    error = page.locator("#b-aws_client_parameters-error")
    expect(error).to_contain_text("use_ssl")
    assert params.get_attribute("aria-invalid") == "true"
    page.screenshot(path=shots / "block-edit-error.png", full_page=True)
    params.fill("{not json")
    page.get_by_role("button", name="Save block").click()
    expect(error).to_contain_text("not valid JSON")
    params.fill(json.dumps({"use_ssl": False}))

    secret.fill("second-form-s3cret")
    page.get_by_role("button", name="Save block").click()
    page.wait_for_selector("text=Block aws-credentials/keep saved", state="attached")
    loaded = _load(dashboard, "aws-credentials/keep")
    assert loaded["secrets"] == ["second-form-s3cret"]
    assert loaded["fields"]["aws_client_parameters"]["use_ssl"] is False


def test_a_block_is_deleted_after_a_confirmation(page, dashboard) -> None:
    checksum = dashboard.api.get("/block_types/secret").json()["schema_checksum"]
    body = {"data": {"value": "x-doomed"}, "schema_checksum": checksum}
    made = dashboard.api.put("/blocks/secret/doomed", json=body)
    assert made.status_code == 201, made.text
    asked: list[str] = []
    page.on("dialog", lambda dialog: asked.append(dialog.message))  # conftest accepts it
    _open(page, dashboard.base + "/blocks")
    page.get_by_role("button", name="Delete block secret/doomed").click()
    expect(page.get_by_role("link", name="Edit secret/doomed")).to_have_count(0)
    assert asked and "Delete block secret/doomed?" in asked[0]
    assert dashboard.api.get("/blocks/secret/doomed").status_code == 404


def test_variables_are_created_edited_and_deleted(page, dashboard, shots) -> None:
    _open(page, dashboard.base + "/variables")
    page.fill("#var-name", "region")
    page.fill("#var-value", "not json")
    page.get_by_role("button", name="Create variable").click()
    expect(page.locator("#var-value-error")).to_contain_text("Not valid JSON")
    page.fill("#var-value", '"eu-west-1"')
    page.fill("#var-tags", "aws, prod")
    page.get_by_role("button", name="Create variable").click()
    page.wait_for_selector("button[aria-label='Edit variable region']")
    got = dashboard.api.get("/variables/region").json()
    assert (got["value"], got["tags"]) == ("eu-west-1", ["aws", "prod"])

    page.fill("#var-name", "region")  # a new one of the same name: refused, not replaced
    page.fill("#var-value", '"elsewhere"')
    page.get_by_role("button", name="Create variable").click()
    expect(page.locator("#var-name-error")).to_contain_text("already exists")

    page.get_by_role("button", name="Edit variable region").click()
    expect(page.locator("#var-name")).to_have_attribute("readonly", "")
    page.fill("#var-value", '{"primary": "eu-west-1", "zones": 3}')
    page.screenshot(path=shots / "variables-edit.png", full_page=True)
    page.get_by_role("button", name="Save variable").click()
    page.wait_for_selector("text=zones")
    got = dashboard.api.get("/variables/region").json()
    assert got["value"] == {"primary": "eu-west-1", "zones": 3} and got["tags"] == ["aws", "prod"]

    page.get_by_role("button", name="Delete variable region").click()
    expect(page.get_by_role("button", name="Edit variable region")).to_have_count(0)
    assert dashboard.api.get("/variables/region").status_code == 404


def test_the_plugins_page_lists_the_collections(page, dashboard, shots) -> None:
    _open(page, dashboard.base + "/plugins")
    assert page.locator("main h1").inner_text() == "Plugins and collections"
    row = page.locator("tbody tr", has=page.locator("strong", has_text=re.compile(r"^aws$")))
    expect(row).to_contain_text("cadenza-aws")
    expect(row).to_contain_text("loaded")
    expect(row.locator("code.tag", has_text="aws-credentials")).to_have_count(1)
    expect(row.locator("code.tag", has_text="s3_upload")).to_have_count(1)
    expect(row).to_contain_text("register_block_types")
    plugins = dashboard.api.get("/plugins").json()["plugins"]
    expect(page.locator("tbody tr")).to_have_count(len(plugins))
    assert page.locator("#nav a[aria-current=page]").inner_text() == "Plugins"
    page.screenshot(path=shots / "plugins.png", full_page=True)


def test_the_settings_page_lists_the_settings_in_effect(page, dashboard, shots) -> None:
    _open(page, dashboard.base + "/settings")
    assert page.locator("main h1").inner_text() == "Settings"
    level = page.locator("tbody tr", has=page.locator("code", has_text="CADENZA_LOGGING_LEVEL"))
    expect(level).to_contain_text("INFO")
    expect(level).to_contain_text("Level of run logs")
    database = page.locator("tbody tr", has=page.locator("code", has_text="CADENZA_DATABASE_URL"))
    expect(database).to_contain_text(dashboard.server.database_url)
    key = page.locator("tbody tr", has=page.locator("code", has_text="CADENZA_SERVER_API_KEY"))
    expect(key).to_contain_text("unset")
    rows = len(dashboard.api.get("/settings").json())
    expect(page.locator("tbody tr")).to_have_count(rows)
    page.screenshot(path=shots / "settings.png", full_page=True)


def test_phone_width_admin_pages(page, dashboard, shots) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/blocks/new?type=aws-credentials", "/plugins", "/settings", "/variables"):
        _open(page, dashboard.base + path)
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 400, f"{path} scrolls sideways at phone width ({width} px)"
    page.screenshot(path=shots / "settings-phone.png", full_page=True)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_violation_on_the_admin_pages(
    page, dashboard, axe_script, scheme
) -> None:
    checksum = dashboard.api.get("/block_types/aws-credentials").json()["schema_checksum"]
    dashboard.api.put("/blocks/aws-credentials/axe", json={
        "data": {"aws_secret_access_key": "axe-s3cret"}, "schema_checksum": checksum,
        "overwrite": True})  # fmt: skip
    page.emulate_media(color_scheme=scheme)
    found = {}
    for path in ("/blocks", "/blocks/new", "/blocks/new?type=aws-credentials",
                 "/blocks/aws-credentials/axe", "/variables", "/plugins", "/settings"):  # fmt: skip
        _open(page, dashboard.base + path)
        page.wait_for_load_state("networkidle")
        if path == "/blocks/aws-credentials/axe":  # with an error shown at a field
            page.get_by_label("Aws Client Parameters").fill("{not json")
            page.get_by_role("button", name="Save block").click()
            page.wait_for_selector("#b-aws_client_parameters-error:not([hidden])")
        page.evaluate(axe_script.read_text() + "\n;0")  # not a script tag: the CSP forbids it
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        bad = [f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in result["violations"]
               if v["impact"] in ("serious", "critical")]  # fmt: skip
        if bad:
            found[path] = bad
    assert found == {}
