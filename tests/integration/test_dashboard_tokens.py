"""The dashboard's Tokens view in Chromium, against `ocpp-cable up` (tests/support/browser.py).

Shown to an admin token only. An admin adds a token, sees it once (copied, then gone for
good), and its holder logs in with it in another browser; the admin revokes it after a
confirmation, and the holder's live connection ends at once and its next request brings
back the login form. The token is in no log.
"""

from __future__ import annotations

from playwright.async_api import async_playwright, expect

from ocpp_cable.channels.domain import viewers
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import ViewerToken
from tests.integration.test_dashboard import collect_errors, log_in
from tests.integration.test_dashboard_device_model import refused_loads
from tests.support import browser
from tests.support.browser import running_system

expect.set_options(timeout=10_000)


async def logged_in(chrome, system, token: str):
    """A page of its own browser context (its own sessionStorage), logged in with `token`."""
    context = await chrome.new_context(viewport={"width": 1280, "height": 900})
    await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=system.base_url)
    page = await context.new_page()
    errors = collect_errors(page)
    await page.goto(f"{system.base_url}/")
    await log_in(page, token)
    await expect(page.locator("#view h1")).to_have_text("Stations")
    await expect(page.locator("#live")).to_have_attribute("data-state", "connected")
    return page, errors


async def test_an_admin_adds_a_token_shown_once_that_logs_in_then_revokes_it(tmp_path, chromium):
    with running_system(tmp_path) as system:
        admin, writer = system.token("root", viewers.ADMIN), system.token("ops", viewers.WRITE)
        async with async_playwright() as playwright:
            chrome = await browser.launch(playwright)
            # A write token has no Tokens view: no link, and the address shows nothing.
            ops, ops_errors = await logged_in(chrome, system, writer)
            await expect(ops.locator("#nav-tokens")).to_be_hidden()
            await ops.goto(f"{system.base_url}/#/tokens")
            await expect(ops.locator("#view h1")).to_have_text("Not found")

            page, errors = await logged_in(chrome, system, admin)
            await page.click("#nav-tokens")
            await expect(page.locator("#view h1")).to_have_text("Tokens")
            rows = page.locator("table.tokens tbody tr")
            await expect(rows).to_have_count(2)
            own = page.locator("tr[data-token='root']")
            await expect(own.locator(".own")).to_have_text("this page")
            await expect(own.locator("button.revoke")).to_be_disabled()

            form = page.locator("form.token")
            await form.locator("input[name=name]").fill("ada")
            await form.locator("select[name=scope]").select_option("write")
            await form.locator("button.primary").click()
            secret = page.locator(".secret code.token")
            await expect(secret).to_have_count(1)
            made = await secret.inner_text()
            assert made.startswith(viewers.PREFIX) and len(made) > 40, made
            await expect(page.locator(".secret")).to_contain_text("it will not be shown again")
            await page.click(".secret button.copy")
            await expect(page.locator(".secret .note")).to_have_text("Copied.")
            assert await page.evaluate("navigator.clipboard.readText()") == made
            ada = page.locator("tr[data-token='ada']")
            await expect(ada).to_have_attribute("data-revoked", "false")
            await expect(ada.locator(".scope-write")).to_have_text("write")
            await page.click(".secret button.done")
            await expect(page.locator(".secret")).to_have_count(0)
            assert made not in await page.content()
            # Never again: not after a reload, nor from the list.
            await page.reload()
            await expect(ada).to_have_count(1)
            assert made not in await page.content()

            # Its holder logs in with it: a write token, so no Tokens view.
            holder, holder_errors = await logged_in(chrome, system, made)
            await expect(holder.locator("#nav-tokens")).to_be_hidden()

            await ada.locator("button.revoke").click()
            await expect(page.locator("dialog p.note")).to_contain_text("closed at once")
            await page.click("dialog button[value=cancel]")
            await expect(ada).to_have_attribute("data-revoked", "false")
            await ada.locator("button.revoke").click()
            await page.click("dialog button.primary")
            await expect(page.locator("p.saved")).to_have_text("Revoked ada.")
            await expect(ada).to_have_attribute("data-revoked", "true")
            await expect(ada.locator("button.revoke")).to_have_count(0)

            # At once for its live connection; at its next request for the API.
            await expect(holder.locator("#live")).to_have_attribute("data-state", "stopped")
            await holder.click("#nav a[href='#/transactions']")
            await expect(holder.locator("#login-message")).to_contain_text(
                "Not logged in: the token is unknown or revoked"
            )
            await chrome.close()
        assert errors == [], errors
        assert ops_errors == [], ops_errors
        assert refused_loads(holder_errors, 401) == [], holder_errors
    with db.session_scope(system.database_url) as session:
        assert session.get(ViewerToken, "ada").revoked_at is not None
    logged = (tmp_path / "up.log").read_text()
    assert "token added" in logged and "token revoked" in logged
    assert made not in logged
