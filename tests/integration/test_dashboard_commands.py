"""A station's recorded commands and any command sent as written, from the dashboard in
Chromium, against `ocpp-cable up` and a 1.6 charger (tests/support/browser.py).

An operator opens a station's Commands, picks an action of those its OCPP version has (GET
/api/v1/ocpp/1.6/actions), sends it with a JSON payload and sees it in the station's
history with its answer; a command sent with the page's buttons shows there too once
answered. A payload that does not fit the action's schema is refused by the API with its
reason, as is a password set as any command; one that is not a JSON object is refused by
the page, and nothing is sent. The history pages through what was recorded and filters by
status. A read token's command is refused (403), as is one to a station gone (409).
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from playwright.async_api import async_playwright, expect

from ocpp_cable.channels.domain import viewers
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import ChargePoint, Command
from tests.integration.test_dashboard import collect_errors, log_in
from tests.integration.test_dashboard_device_model import open_panel, refused_loads
from tests.support import browser
from tests.support.browser import connected_charger, running_system

expect.set_options(timeout=10_000)
HOSTILE = "<img src=x onerror=alert(1)>"
OLD = 22  # commands recorded before the test's: more than a page


def seed_old_commands(database_url: str) -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    with db.session_scope(database_url) as session:
        for n in range(OLD):
            session.add(
                Command(
                    id=f"old-{n:02}", station_id="CP-1", action="GetConfiguration",
                    payload={"key": [HOSTILE]}, status="timeout",
                    created_at=at + timedelta(minutes=n), sent_at=at + timedelta(minutes=n),
                )
            )  # fmt: skip


def shown(first: int, last: int, total: int) -> str:
    """The history's count line: rows first to last (an en dash between) of total."""
    return f"{first}\u2013{last} of {total}"


async def disconnected(system, station_id: str) -> None:
    """Once the database says the station left (what the API's refusal reads)."""
    for _ in range(100):
        with db.session_scope(system.database_url) as session:
            if not session.get(ChargePoint, station_id).connected:
                return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{station_id} is still connected")


async def send(panel, action: str, payload: str) -> None:
    form = panel.locator("form.send-command")
    await form.locator("select[name=action]").select_option(action)
    await form.locator("textarea[name=payload]").fill(payload)
    await form.locator("button").click()


async def test_operator_sends_any_command_and_follows_the_station_s_commands(tmp_path, chromium):
    with running_system(tmp_path) as system:
        token = system.token("ops")
        reader = system.token("ada", viewers.READ)
        async with async_playwright() as playwright:
            chrome = await browser.launch(playwright)
            page = await chrome.new_page(viewport={"width": 1280, "height": 900})
            errors = collect_errors(page)
            await page.goto(f"{system.base_url}/")
            await log_in(page, token)
            async with connected_charger(system, "CP-1") as charger:
                seed_old_commands(system.database_url)
                await page.goto(f"{system.base_url}/#/stations/CP-1")
                await expect(page.locator("b.registration")).to_have_text("accepted")
                panel = await open_panel(page, "commands")
                rows = panel.locator("table.commands tbody tr")
                await expect(rows).to_have_count(20)
                await expect(panel.locator("p.command-count")).to_have_text(shown(1, 20, OLD))

                # The actions a 1.6 central system sends, and no other version's.
                actions = panel.locator("select[name=action] option")
                await expect(actions.filter(has_text="RemoteStartTransaction")).to_have_count(1)
                offered = await actions.all_inner_texts()
                assert "Reset" in offered and "DataTransfer" in offered
                assert "RequestStartTransaction" not in offered and "Heartbeat" not in offered

                # Sent as written: the station's answer, in the history on top.
                await send(panel, "Reset", '{"type": "Soft"}')
                said = panel.locator("p.saved")
                await expect(said).to_have_text('Reset: accepted {"status":"Accepted"}')
                assert charger.calls[-1] == ("Reset", {"type": "Soft"})
                line = page.locator("#commands li[data-action='Reset'][data-station='CP-1']")
                await expect(line).to_have_attribute("data-status", "accepted")
                newest = rows.first
                await expect(newest).to_have_attribute("data-action", "Reset")
                await expect(newest).to_have_attribute("data-status", "accepted")
                await expect(newest.locator("td").nth(4)).to_have_text("Accepted")
                await newest.locator("details summary").click()
                assert json.loads(await newest.locator("pre.payload").inner_text()) == {
                    "type": "Soft"
                }
                answer = json.loads(await newest.locator("pre.answer").inner_text())
                assert answer == {"status": "Accepted"}
                await expect(panel.locator("p.command-count")).to_have_text(shown(1, 20, OLD + 1))

                # One the station cannot answer (no handler): a CALLERROR, status error.
                await send(panel, "DataTransfer", '{"vendorId": "Acme", "data": "x"}')
                await expect(said).to_contain_text('DataTransfer: error {"code":"NotImplemented"')
                await expect(rows.first).to_have_attribute("data-status", "error")
                await expect(rows.first.locator("td").nth(4)).to_have_text("NotImplemented")

                # A command sent with the page's buttons is in the history once answered.
                await page.click("p button[title='ClearCache']")
                await page.click("dialog button.primary")
                await expect(rows.first).to_have_attribute("data-action", "ClearCache")
                await expect(rows.first).to_have_attribute("data-status", "accepted")

                # A payload its schema refuses: the API's reason, in the panel and here.
                sent_before = len(charger.calls)
                await send(panel, "Reset", '{"type": "Gentle"}')
                problem = panel.locator("p.problem").first
                await expect(problem).to_contain_text("invalid Reset payload")
                refused = page.locator("#commands li[data-action='Reset']").first
                await expect(refused).to_have_attribute("data-status", "refused (422)")
                # A password set as any command: the API's pointer to a rotation.
                await send(
                    panel, "ChangeConfiguration", '{"key": "AuthorizationKey", "value": "ab"}'
                )
                await expect(problem).to_contain_text("password-rotation")
                # Not JSON, or not an object: refused here, nothing sent nor shown sent.
                lines = await page.locator("#commands li").count()
                await send(panel, "Reset", "{type: Soft}")
                await expect(problem).to_contain_text("The payload is not JSON")
                await send(panel, "Reset", '["Soft"]')
                await expect(problem).to_have_text("The payload must be a JSON object ({…}).")
                assert await page.locator("#commands li").count() == lines
                assert len(charger.calls) == sent_before
                await expect(panel.locator("p.command-count")).to_have_text(shown(1, 20, OLD + 3))

                # Pages of 20, newest first; filtered by status.
                await panel.locator("button:text-is('Next')").click()
                await expect(panel.locator("p.command-count")).to_have_text(
                    shown(21, OLD + 3, OLD + 3)
                )
                await expect(rows.first).to_have_attribute("data-command", f"old-{4:02}")
                await expect(rows.last).to_have_attribute("data-command", "old-00")
                # What the station's records hold is text, never markup.
                await rows.last.locator("details summary").click()
                await expect(rows.last.locator("pre.payload")).to_contain_text(HOSTILE)
                status = panel.locator("select[name=status]")
                await status.select_option("accepted")
                await expect(rows).to_have_count(2)
                await expect(rows.and_(page.locator("[data-status='accepted']"))).to_have_count(2)
                await expect(panel.locator("p.command-count")).to_have_text(shown(1, 2, 2))
                await status.select_option("error")
                await expect(rows).to_have_count(1)
                await expect(rows).to_have_attribute("data-action", "DataTransfer")
                await status.select_option("rejected")
                await expect(rows).to_have_text(["No rejected command."])
                await status.select_option("")
                await expect(rows).to_have_count(20)

            # The station gone: 409, said where the command was written.
            await expect(page.locator("#view h1 .badge")).to_have_text("offline")
            await disconnected(system, "CP-1")
            await send(panel, "ClearCache", "{}")
            await expect(problem).to_contain_text("not connected")
            gone = page.locator("#commands li[data-action='ClearCache']").first
            await expect(gone).to_have_attribute("data-status", "refused (409)")

            # A read token sees the history, and its command is refused.
            async with connected_charger(system, "CP-1") as charger:
                reading = await chrome.new_page(viewport={"width": 1280, "height": 900})
                reader_errors = collect_errors(reading)
                await reading.goto(f"{system.base_url}/")
                await log_in(reading, reader)
                await reading.goto(f"{system.base_url}/#/stations/CP-1")
                await expect(reading.locator("#view h1 .badge")).to_have_text("online")
                panel = await open_panel(reading, "commands")
                await expect(panel.locator("table.commands tbody tr")).to_have_count(20)
                await send(panel, "Reset", '{"type": "Soft"}')
                await expect(panel.locator("p.problem").first).to_contain_text("read")
                line = reading.locator("#commands li[data-action='Reset']").first
                await expect(line).to_have_attribute("data-status", "refused (403)")
                assert charger.calls == []
            await chrome.close()
        # Only the refusals the test asked for: the schema's (422), the station gone (409).
        assert refused_loads(refused_loads(errors, 422), 409) == [], errors
        assert refused_loads(reader_errors, 403) == [], reader_errors
        assert "alert(1)" not in "".join(errors + reader_errors)
