"""The dashboard's administration in Chromium, against `ocpp-cable up` and 1.6 chargers
(tests/support/browser.py): what the HTTP API lets an operator do, done from the pages.

An operator adds a station with a password the page makes, shown once (copied, then gone
for good), with which the charger then logs in; gives it another password the same way;
removes it, told what goes with it. Selects stations on the stations view and sends each
a Reset, a ClearCache, a ChangeAvailability and a TriggerMessage, each station's result
in the commands panel. Filters a station's message log by action, direction and time, and
pages through it; filters the idTags and deletes one. Each is checked in what the API's
database then holds and in what the charger was sent.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest
from ocpp.v16 import call
from playwright.async_api import async_playwright, expect
from sqlalchemy import select
from websockets.exceptions import InvalidStatus

from ocpp_cable.channels.domain import stations
from ocpp_cable.channels.domain.authorization import put_id_tag
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import ChargePoint, IdTag, MessageLog, Transaction
from tests.integration.test_dashboard import collect_errors, log_in
from tests.integration.test_dashboard_device_model import refused_loads
from tests.support import browser
from tests.support.browser import connected_charger, running_system

expect.set_options(timeout=10_000)


def stored(system, station_id: str) -> ChargePoint | None:
    with db.session_scope(system.database_url) as session:
        station = session.get(ChargePoint, station_id)
        if station is not None:
            session.expunge(station)
        return station


async def opened_page(system, playwright, token: str):
    chrome = await browser.launch(playwright)
    context = await chrome.new_context(viewport={"width": 1280, "height": 900})
    await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=system.base_url)
    page = await context.new_page()
    errors = collect_errors(page)
    await page.goto(f"{system.base_url}/")
    await log_in(page, token)
    await expect(page.locator("#view h1")).to_have_text("Stations")
    return chrome, page, errors


async def test_operator_adds_a_station_with_a_password_shown_once_resets_it_and_removes_it(
    tmp_path,
    chromium,
):
    with running_system(tmp_path, "--log-level", "debug") as system:
        token = system.token("ops")
        async with async_playwright() as playwright:
            chrome, page, errors = await opened_page(system, playwright, token)
            adding = page.locator("details[data-panel='add-station']")
            await adding.locator("summary").click()
            await adding.locator("input[name=id]").fill("CP-5")
            await adding.locator("select[name=registration]").select_option("accepted")
            await adding.locator("button.primary").click()  # its password made here
            secret = page.locator(".secret code.password")
            await expect(secret).to_have_count(1)
            made = await secret.inner_text()
            assert len(made) == 20 and made.isalnum(), made
            await page.click(".secret button.copy")
            await expect(page.locator(".secret .note")).to_have_text("Copied.")
            assert await page.evaluate("navigator.clipboard.readText()") == made
            await expect(page.locator("tr[data-station='CP-5']")).to_have_count(1)
            await page.click(".secret button.done")
            await expect(page.locator(".secret")).to_have_count(0)
            assert made not in await page.content()
            station = stored(system, "CP-5")
            assert (station.registration, station.auth_required) == ("accepted", True)
            assert station.password_hash and made not in station.password_hash
            # A station already there: the API's reason, and no password shown.
            await adding.locator("input[name=id]").fill("CP-5")
            await adding.locator("button.primary").click()
            await expect(adding.locator("p.problem")).to_contain_text("already exists")
            await expect(page.locator(".secret")).to_have_count(0)

            async with connected_charger(system, "CP-5", password=made):
                await page.goto(f"{system.base_url}/#/stations/CP-5")
                await expect(page.locator("b.registration")).to_have_text("accepted")
                await expect(page.locator("#view h1 .badge")).to_have_text("online")
                await page.click("button.set-password")
                await page.select_option("dialog select[name=choice]", "made here (shown once)")
                await page.click("dialog button.primary")
                await expect(secret).to_have_count(1)
                second = await secret.inner_text()
                assert second != made
                # Never again: not on the page once it is left, nor from the API.
                await page.reload()
                await expect(page.locator("b.registration")).to_have_text("accepted")
                await expect(page.locator(".secret")).to_have_count(0)
                assert second not in await page.content()
                async with httpx.AsyncClient(base_url=system.base_url) as client:
                    shown = await client.get(
                        "/api/v1/stations/CP-5", headers={"Authorization": f"Bearer {token}"}
                    )
                assert shown.json()["auth"] == "password" and second not in shown.text
            async with connected_charger(system, "CP-5", password=second):
                pass
            with pytest.raises(InvalidStatus):
                async with connected_charger(system, "CP-5", password=made):
                    pass

            # A password typed by the operator, not shown back.
            await page.click("button.set-password")
            await page.select_option("dialog select[name=choice]", "the one typed below")
            await page.fill("dialog input[name=password]", "typed-by-the-operator")
            await page.click("dialog button.primary")
            await expect(page.locator(".station-secret p.saved")).to_contain_text("Password set")
            await expect(page.locator(".secret")).to_have_count(0)
            assert "typed-by-the-operator" not in await page.content()

            with db.session_scope(system.database_url) as session:
                at = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
                session.add(Transaction(station_id="CP-5", connector_id=1, id_tag="T",
                                        meter_start=0, start_time=at, stop_time=at))  # fmt: skip
            async with connected_charger(system, "CP-5", password="typed-by-the-operator"):
                await page.goto(f"{system.base_url}/#/stations/CP-5")
                await expect(page.locator("#view h1 .badge")).to_have_text("online")
                await page.click("button.remove-station")
                note = page.locator("dialog p.note")
                await expect(note).to_contain_text("its 1 transaction and their meter values")
                await expect(note).to_contain_text("It is connected")
                await page.click("dialog button[value=cancel]")
                assert stored(system, "CP-5") is not None
                await page.click("button.remove-station")
                await page.click("dialog button.primary")
                await expect(page.locator("#view h1")).to_have_text("Stations")
                await expect(page.locator("tr[data-station='CP-5']")).to_have_count(0)
            assert stored(system, "CP-5") is None
            await chrome.close()
        # The station added twice (409); and a read of the station the page was making as
        # it was removed, answered 404 (the page then shows nothing of it).
        assert refused_loads(refused_loads(errors, 409), 404) == [], errors
    logged = (tmp_path / "up.log").read_text()
    assert "station added" in logged and "station removed" in logged
    for password in (made, second, "typed-by-the-operator"):
        assert password not in logged


async def test_operator_sends_commands_to_the_stations_selected(
    tmp_path,
    chromium,
):
    with running_system(tmp_path) as system:
        with db.session_scope(system.database_url) as session:
            stations.add_station(session, "CP-3")  # never connects
        token = system.token("ops")
        async with async_playwright() as playwright:
            chrome, page, errors = await opened_page(system, playwright, token)
            async with (
                connected_charger(system, "CP-1") as one,
                connected_charger(system, "CP-2") as two,
            ):
                for sid in ("CP-1", "CP-2"):
                    row = page.locator(f"tr[data-station='{sid}']")
                    await expect(row).to_have_attribute("data-online", "true")
                bar = page.locator(".bulk")
                await expect(bar).to_be_hidden()
                await page.click("th input.select-all")
                await expect(bar.locator(".count")).to_have_text("3 selected")
                await page.click("button[data-bulk='reset']")
                await expect(page.locator("dialog p.note")).to_have_text("CP-1, CP-2, CP-3")
                await page.select_option("dialog select", "now")
                await page.click("dialog button.primary")
                await expect(bar.locator("[role=status]")).to_have_text(
                    "Reset: 2 of 3 accepted (each in the commands panel)."
                )
                for sid, status in (("CP-1", "accepted"), ("CP-2", "accepted"),
                                    ("CP-3", "refused (409)")):  # fmt: skip
                    sent = page.locator(f"#commands li[data-action='Reset'][data-station='{sid}']")
                    await expect(sent).to_have_attribute("data-status", status)

                # CP-3 off the selection; the others are sent the rest.
                await page.click("tr[data-station='CP-3'] input[type=checkbox]")
                await expect(bar.locator(".count")).to_have_text("2 selected")
                for route, choice, said in (
                    ("clear-cache", None, "Clear cache: 2 of 2 accepted"),
                    ("availability", "Operative", "Availability: 2 of 2 accepted"),
                    ("trigger", None, "Trigger StatusNotification: 2 of 2 accepted"),
                ):
                    await page.click(f"button[data-bulk='{route}']")
                    if choice is not None:
                        await page.select_option("dialog select", choice)
                    await page.click("dialog button.primary")
                    await expect(bar.locator("[role=status]")).to_contain_text(said)
                # A row redrawn by the live view keeps its tick.
                await expect(page.locator("tr[data-station='CP-1'] input")).to_be_checked()
                await page.click("button.clear-selection")
                await expect(bar).to_be_hidden()
            await chrome.close()
        assert refused_loads(errors, 409) == [], errors  # CP-3, not connected
        for charger in (one, two):
            assert charger.calls == [
                ("Reset", {"type": "Hard"}),
                ("ClearCache", {}),
                ("ChangeAvailability", {"connectorId": 0, "type": "Operative"}),
                ("TriggerMessage", {"requestedMessage": "StatusNotification"}),
            ]


async def test_operator_filters_and_pages_the_message_log_and_the_id_tags(
    tmp_path,
    chromium,
):
    with running_system(tmp_path) as system:
        with db.session_scope(system.database_url) as session:
            put_id_tag(session, "ALPHA-1", "Accepted", None, None)
            put_id_tag(session, "ALPHA-2", "Blocked", None, None)
            put_id_tag(session, "BETA-1", "Accepted", None, None)
        token = system.token("ops")
        async with async_playwright() as playwright:
            chrome, page, errors = await opened_page(system, playwright, token)
            async with connected_charger(system, "CP-1") as charger:
                for _ in range(30):
                    await charger.call(call.DataTransfer(vendor_id="Acme", message_id="ping"))
                await page.goto(f"{system.base_url}/#/stations/CP-1")
                log = page.locator("table.log tbody tr")
                await expect(log).to_have_count(25)
                form = page.locator("form.log-filter")
                await form.locator("input[name=action]").fill("DataTransfer")
                await form.locator("select[name=direction]").select_option("in")
                await form.locator("button.primary").click()
                await expect(page.locator("p.log-count")).to_have_text("25 shown of 30 that match")
                await expect(log.filter(has_text="DataTransfer")).to_have_count(25)
                await expect(log.filter(has_text="→ out")).to_have_count(0)
                await page.click("section:has(table.log) button:text-is('More')")
                await expect(log).to_have_count(30)
                await expect(page.locator("p.log-count")).to_have_text("30 shown of 30 that match")
                more = page.locator("section:has(table.log) button:text-is('More')")
                await expect(more).to_be_hidden()
                ids = await log.evaluate_all("rows => rows.map(r => Number(r.dataset.message))")
                assert ids == sorted(ids, reverse=True) and len(set(ids)) == 30
                # Their answers: out, CALLRESULT.
                await form.locator("select[name=direction]").select_option("out")
                await form.locator("button.primary").click()
                await expect(log.filter(has_text="CALLRESULT")).to_have_count(25)
                await expect(log.filter(has_text="← in")).to_have_count(0)
                # A time range (UTC) that holds none, then all again.
                await form.locator("input[name=until]").fill("2001-01-01T00:00")
                await form.locator("button.primary").click()
                await expect(page.locator("p.log-count")).to_have_text("No message matches.")
                await expect(log).to_have_count(0)
                await form.locator("button[type=reset]").click()
                await expect(log).to_have_count(25)
                await expect(page.locator("p.log-count")).to_have_text(
                    re.compile(r"^25 shown of \d+$")
                )
                await expect(more).to_be_visible()

            await page.goto(f"{system.base_url}/#/id-tags")
            tags = page.locator("table.idtags tbody tr")
            await expect(tags).to_have_count(3)
            await page.fill("form.idtag-filter input[name=q]", "ALPHA")
            await page.click("form.idtag-filter button")
            await expect(tags).to_have_count(2)
            await page.select_option("form.idtag-filter select[name=status]", "Blocked")
            await page.click("form.idtag-filter button")
            await expect(tags).to_have_count(1)
            await expect(tags).to_have_attribute("data-tag", "ALPHA-2")
            await page.click("tr[data-tag='ALPHA-2'] button:text-is('Delete')")
            await expect(page.locator("dialog p.note")).to_contain_text("its transactions stay")
            await page.click("dialog button.primary")
            await expect(tags).to_have_text("No idTag matches.")
            await chrome.close()
        assert errors == []
        with db.session_scope(system.database_url) as session:
            assert [t.tag for t in session.scalars(select(IdTag).order_by(IdTag.tag))] == [
                "ALPHA-1", "BETA-1",
            ]  # fmt: skip
            transfers = select(MessageLog).where(MessageLog.action == "DataTransfer")
            assert len(session.scalars(transfers).all()) == 60  # 30 in, 30 answers
