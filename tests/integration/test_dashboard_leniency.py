"""A station's lenient rules on the dashboard in Chromium, against `ocpp-cable up`.

An operator ticks the schema rules the gateway may forgive a station (PUT
.../leniency), sees them again after a reload, has the station's next connection
forgiven a too-long vendor name (counted on the page), and sends it back to strict. A
read token sees the rules and is refused a change (403, with the reason), which leaves
them as they were.
"""

from __future__ import annotations

from typing import get_args

import orjson
import websockets
from playwright.async_api import async_playwright, expect

from ocpp_cable.channels.domain import stations, viewers
from ocpp_cable.channels.operators.api.schemas import ToleratedRule
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import ChargePoint
from tests.integration.test_dashboard import collect_errors, log_in
from tests.integration.test_dashboard_device_model import refused_loads
from tests.support import browser
from tests.support.browser import running_system

expect.set_options(timeout=10_000)

RULES_SHOWN = (
    "async () => (await import('/static/dashboard/leniency.js')).RULES.map(([rule]) => rule)"
)
# Breaks maxLength (CiString20) and additionalProperties: refused unless both are forgiven.
BOOT = {"chargePointVendor": "A vendor whose name is too long", "chargePointModel": "M",
        "vendorExtension": {"x": 1}}  # fmt: skip


def tolerated(system, station_id: str) -> str | None:
    with db.session_scope(system.database_url) as session:
        return session.get(ChargePoint, station_id).tolerate


async def boot_once(system, station_id: str) -> list:
    async with websockets.connect(system.station_url(station_id), subprotocols=["ocpp1.6"]) as ws:
        await ws.send(orjson.dumps([2, "b1", "BootNotification", BOOT]).decode())
        return orjson.loads(await ws.recv())


async def test_operator_sets_a_stations_lenient_rules_and_a_read_token_cannot(tmp_path, chromium):
    with running_system(tmp_path) as system:
        with db.session_scope(system.database_url) as session:
            stations.add_station(session, "CP-1", registration="accepted")
        write, read = system.token("ops"), system.token("auditor", viewers.READ)
        async with async_playwright() as playwright:
            chrome = await browser.launch(playwright)
            page = await chrome.new_page(viewport={"width": 1280, "height": 900})
            errors = collect_errors(page)
            await page.goto(f"{system.base_url}/")
            await log_in(page, write)
            await page.goto(f"{system.base_url}/#/stations/CP-1")
            now = page.locator("details.leniency b.tolerated")
            await expect(now).to_have_text("strict")
            # The choices are those the API's schema takes.
            assert await page.evaluate(RULES_SHOWN) == list(get_args(ToleratedRule))

            panel = page.locator("details[data-panel='leniency']")
            await panel.locator("summary").click()
            await expect(panel).to_contain_text("from the station's next connection")

            def box(rule: str):
                return panel.locator(f"input[name=tolerate][value='{rule}']")

            for rule in ("maxLength", "additionalProperties", "enum"):
                await box(rule).check()
            await panel.locator("button.primary").click()
            sent = page.locator("#commands li[data-action='Lenient rules']").first
            await expect(sent).to_have_attribute("data-status", "set")
            await expect(sent).to_contain_text("from its next connection")
            await expect(panel.locator("p.saved")).to_contain_text("next connection")
            await expect(now).to_have_text("additionalProperties, enum, maxLength")
            assert tolerated(system, "CP-1") == "additionalProperties,enum,maxLength"

            # Its next connection is forgiven; the page counts it once read again.
            answer = await boot_once(system, "CP-1")
            assert answer[:2] == [3, "b1"] and answer[2]["status"] == "Accepted", answer
            await page.reload()
            await expect(now).to_have_text("additionalProperties, enum, maxLength")
            await expect(panel.locator("summary")).to_contain_text("(1 message forgiven)")
            await panel.locator("summary").click()
            for rule in get_args(ToleratedRule):
                ticked = rule in ("additionalProperties", "maxLength", "enum")
                await expect(box(rule)).to_be_checked(checked=ticked)

            await panel.locator("button.strict").click()
            await expect(now).to_have_text("strict")
            await expect(sent).to_contain_text("strict, from its next connection")
            await expect(panel.locator("input[name=tolerate]:checked")).to_have_count(0)
            assert tolerated(system, "CP-1") is None

            # A read token sees them; its change is refused, and the ticks go back.
            await page.click("#logout")
            await log_in(page, read)
            await page.goto(f"{system.base_url}/#/stations/CP-1")
            await expect(now).to_have_text("strict")
            await panel.locator("summary").click()
            await box("type").check()
            await panel.locator("button.primary").click()
            await expect(panel.locator("p.problem")).to_contain_text("may only read")
            await expect(sent).to_have_attribute("data-status", "refused (403)")
            await expect(box("type")).not_to_be_checked()
            await expect(now).to_have_text("strict")
            await chrome.close()
        assert refused_loads(errors, 403) == [], errors  # the read token's change
        assert tolerated(system, "CP-1") is None
