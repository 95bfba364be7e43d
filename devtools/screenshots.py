"""Screenshots of the dashboard for the docs (docs/operators.md, Dashboard), in
docs/screenshots/:

    .venv/bin/python -m devtools.screenshots

Runs `ocpp-cable up` in a temporary directory with three stations (one charging,
one idle, one offline) and a few idTags, and photographs the pages in Chromium
(/usr/bin/chromium), as tests/integration/test_dashboard.py drives them; then a 2.0.1
station's operations (tests/support/station_201.py), as
tests/integration/test_dashboard_device_model.py drives them; and the Tokens view, as
tests/integration/test_dashboard_tokens.py drives it.
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from playwright.async_api import async_playwright, expect

from ocpp_cable.channels.domain import stations, viewers
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import IdTag
from tests.support import browser
from tests.support.browser import System, connected_charger, running_system
from tests.support.station_201 import connected_station

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
WIDE = {"width": 1280, "height": 860}
TALL = {"width": 1280, "height": 1400}
PHONE = {"width": 400, "height": 760}
CHARGING_FOR = 20  # seconds of meter values before the pictures: a chart with a shape


def seed(system: System) -> None:
    expiry = datetime.now(UTC) + timedelta(days=365)
    with db.session_scope(system.database_url) as session:
        stations.add_station(session, "CP-3")  # registered, never connected: offline
        session.add_all(
            [
                IdTag(tag="TAG-1", status="Accepted"),
                IdTag(tag="FLEET-7", status="Accepted", expiry_date=expiry),
                IdTag(tag="FLEET-8", status="Accepted", parent_id_tag="FLEET-7"),
                IdTag(tag="LOST-2", status="Blocked"),
            ]
        )


async def shoot(system: System, token: str) -> None:
    async with async_playwright() as playwright:
        chrome = await browser.launch(playwright)
        page = await chrome.new_page(viewport=WIDE)
        await page.goto(f"{system.base_url}/")
        await page.fill("#token", token)
        await page.click("#login-form button")
        await expect(page.locator(".sessions .session")).to_have_count(1, timeout=10_000)
        await asyncio.sleep(3)  # a few live points on top of the stored ones
        await page.screenshot(path=OUT / "stations.png")

        await page.goto(f"{system.base_url}/#/stations/CP-1")
        await expect(page.locator("table.log")).to_contain_text("MeterValues")
        await page.set_viewport_size(TALL)  # the top of the message log, not all of it
        await asyncio.sleep(3)
        await page.screenshot(path=OUT / "station.png")
        await page.set_viewport_size(WIDE)

        await page.goto(f"{system.base_url}/#/id-tags")
        await expect(page.locator("tr[data-tag='LOST-2']")).to_be_visible()
        await page.screenshot(path=OUT / "id-tags.png")

        # The network's history, and what needs a look (CP-3 has never been online).
        await page.goto(f"{system.base_url}/#/transactions")
        await expect(page.locator("table.transactions tbody tr").first).to_contain_text("CP-1")
        await page.screenshot(path=OUT / "transactions.png")
        await page.goto(f"{system.base_url}/#/alerts")
        await expect(page.locator("main#app")).to_contain_text("CP-3")
        await page.screenshot(path=OUT / "alerts.png")

        phone = await chrome.new_page(viewport=PHONE)
        await phone.goto(f"{system.base_url}/s/CP-1")
        await phone.screenshot(path=OUT / "landing.png", full_page=True)
        await chrome.close()


async def shoot_operations(system: System, token: str) -> None:
    """A 2.x station's device model (a base report, two variables read) and monitoring (a
    monitor set, then reported)."""
    async with async_playwright() as playwright:
        chrome = await browser.launch(playwright)
        page = await chrome.new_page(viewport=TALL)
        await page.goto(f"{system.base_url}/#/stations/CP-4")
        await page.fill("#token", token)
        await page.click("#login-form button")
        await expect(page.locator("b.registration")).to_have_text("accepted")
        model = page.locator("details[data-panel='device-model']")
        await model.locator("summary").click()
        await model.locator("button:text-is('Base report')").click()
        await expect(model.locator("table.variables tbody tr")).to_have_count(5)
        form = model.locator("form.variables")
        for variable in ("HeartbeatInterval", "NoSuch"):
            await form.locator("input[name=component]").fill("OCPPCommCtrlr")
            await form.locator("input[name=variable]").fill(variable)
            await form.locator("button:text-is('Add to list')").click()
        await form.locator("button:text-is('Get')").click()
        await expect(model.locator("table.get-variables tbody tr")).to_have_count(2)

        monitoring = page.locator("details[data-panel='monitoring']")
        await monitoring.locator("summary").click()
        monitor = monitoring.locator("form.monitor")
        await monitor.locator("input[name=component]").fill("OCPPCommCtrlr")
        await monitor.locator("input[name=variable]").fill("HeartbeatInterval")
        await monitor.locator("input[name=value]").fill("600")
        await monitor.locator("button").click()
        await expect(monitoring.locator("table.set-monitors tbody tr")).to_have_count(1)
        await monitoring.locator("button:text-is('Report monitors')").click()
        await expect(monitoring.locator("table.monitors tbody tr")).to_have_count(1)
        await page.locator("#commands-close").click()
        await page.locator("section.operations").screenshot(path=OUT / "station-2x.png")
        await chrome.close()


async def shoot_tokens(system: System) -> None:
    """The Tokens view of an admin token: a token just added, shown once; one revoked."""
    admin = system.token("root", viewers.ADMIN)
    system.token("ada", viewers.READ)
    system.token("old-laptop", viewers.READ)
    with db.session_scope(system.database_url) as session:
        viewers.revoke_viewer(session, "old-laptop")
    async with async_playwright() as playwright:
        chrome = await browser.launch(playwright)
        page = await chrome.new_page(viewport=WIDE)
        await page.goto(f"{system.base_url}/#/tokens")
        await page.fill("#token", admin)
        await page.click("#login-form button")
        await expect(page.locator("tr[data-token='old-laptop']")).to_be_visible()
        await page.fill("form.token input[name=name]", "ci-deploy")
        await page.select_option("form.token select[name=scope]", "write")
        await page.click("form.token button.primary")
        await expect(page.locator("tr[data-token='ci-deploy']")).to_be_visible()
        await page.screenshot(path=OUT / "tokens.png")
        await chrome.close()


async def photograph(workdir: Path) -> None:
    # The QR code points where `make run` serves the page.
    with running_system(workdir, "--public-url", "http://127.0.0.1:9080") as system:
        seed(system)
        token = system.token("ops")
        async with (
            connected_charger(system, "CP-1", vendor="Acme", model="Wallbox 22") as cp1,
            connected_charger(system, "CP-2", vendor="Borealis", model="DC 50"),
        ):
            async with httpx.AsyncClient(base_url=system.base_url, timeout=40) as api:
                answer = await api.post(
                    "/api/v1/stations/CP-1/commands",
                    params={"wait": 30},
                    headers={"Authorization": f"Bearer {token}"},
                    json={"action": "RemoteStartTransaction", "payload": {"idTag": "TAG-1"}},
                )
                answer.raise_for_status()
            await asyncio.sleep(CHARGING_FOR)
            assert cp1.transaction_id is not None, "the session did not start"
            await shoot(system, token)
        async with connected_station(system, "CP-4"):
            await shoot_operations(system, token)
        await shoot_tokens(system)


async def main() -> None:
    missing = browser.chromium_missing()
    if missing:
        raise SystemExit(missing)
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="screenshots-") as tmp:
        await photograph(Path(tmp))
    for name in sorted(OUT.glob("*.png")):
        print(name.relative_to(OUT.parent.parent))


if __name__ == "__main__":
    asyncio.run(main())
