"""The operators' dashboard in Chromium, against `ocpp-cable up` and a charger.

An operator logs in with a token, sees a charger come online, adds an idTag, opens
the station's page (its message log), starts a session remotely and watches its
power chart and energy counter move; reserves a 2.x station's EVSE and cancels it
from the reservations page; a driver's phone opens the station's public page. Under
CI=true a missing Chromium fails these tests instead of skipping them.
"""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
import websockets
from ocpp.routing import on
from ocpp.v16 import call
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as call_result201
from playwright.async_api import async_playwright, expect
from sqlalchemy import select
from websockets.exceptions import InvalidStatus

from ocpp_cable.channels.domain import stations
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import ChargePoint, IdTag
from ocpp_cable.contract.timestamps import utc_text
from tests.support import browser
from tests.support.browser import System, connected_charger, running_system

expect.set_options(timeout=10_000)


POWER_CHECK = """async () => {
  const { PowerTrace } = await import('/static/dashboard/power.js')
  const trace = new PowerTrace(1000, '2026-01-01T00:00:00Z')
  trace.add([{ timestamp: '2026-01-01T00:00:10Z', sampledValue: [{ value: '1.05', unit: 'kWh' }] }])
  const derived = trace.power
  const power = (phase, value) => ({ value, phase, measurand: 'Power.Active.Import', unit: 'kW' })
  trace.add([{ timestamp: '2026-01-01T00:00:20Z', sampledValue: [
    { value: '1060', measurand: 'Energy.Active.Import.Register', unit: 'Wh' },
    power('L1', '3.1'), power('L2', '3.2'),
  ] }])
  return [derived, trace.power, trace.energyWh, trace.times.length]
}"""


def collect_errors(page) -> list[str]:
    """Script errors and console errors (a CSP refusal, a failed load) of the page; every
    console line is printed (pytest shows them with a failure)."""
    errors: list[str] = []

    def console(message) -> None:
        print(f"console {message.type}: {message.text}")
        if message.type == "error":
            errors.append(message.text)

    def response(answer) -> None:
        if answer.status >= 400:  # the console names no URL: which load failed
            print(f"response {answer.status}: {answer.request.method} {answer.url}")

    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", console)
    page.on("response", response)
    return errors


async def log_in(page, token: str) -> None:
    await page.fill("#token", token)
    await page.click("#login-form button")


async def test_operator_watches_and_commands_a_charging_session(tmp_path, chromium):
    with running_system(tmp_path) as system:
        token = system.token("ops")
        async with async_playwright() as playwright:
            chrome = await browser.launch(playwright)
            page = await chrome.new_page(viewport={"width": 1280, "height": 900})
            errors = collect_errors(page)
            await page.goto(f"{system.base_url}/")

            # A token the API refuses sends the page back to the form, saying why.
            await log_in(page, "ocv_not-a-token")
            await expect(page.locator("#login-message")).to_contain_text("Not logged in")
            await log_in(page, token)
            await expect(page.locator("#view h1")).to_have_text("Stations")
            await expect(page.locator("#live")).to_have_attribute("data-state", "connected")

            async with connected_charger(system, "CP-1") as charger:
                row = page.locator("tr[data-station='CP-1']")
                await expect(row).to_have_attribute("data-online", "true")
                await expect(row).to_contain_text("Available")

                await page.click("nav a[href='#/id-tags']")
                await page.fill("form.idtag input[name=tag]", "TAG-1")
                await page.click("form.idtag button")
                tag_row = page.locator("tr[data-tag='TAG-1']")
                await expect(tag_row).to_have_attribute("data-status", "Accepted")
                assert stored_tags(system) == [("TAG-1", "Accepted")]

                await page.goto(f"{system.base_url}/#/stations/CP-1")
                log = page.locator("table.log")
                await expect(log).to_contain_text("BootNotification")

                await page.click("button:text-is('Remote start')")
                await page.fill("#field-idTag", "TAG-1")
                await page.click("dialog button.primary")
                command = page.locator("#commands li").first
                await expect(command).to_have_attribute("data-status", "accepted")
                assert charger.calls == [
                    ("RemoteStartTransaction", {"idTag": "TAG-1", "connectorId": 1})
                ]

                # The session's meter values move its chart and energy counter.
                card = page.locator(".session").first
                chart = card.locator(".chart")
                await expect(chart).to_have_attribute("data-points", re.compile(r"^[1-9]"))
                points = await chart.get_attribute("data-points")
                energy = await card.get_attribute("data-energy-wh")
                await expect(chart).not_to_have_attribute("data-points", points)
                await expect(card).not_to_have_attribute("data-energy-wh", energy)
                assert float(await card.get_attribute("data-energy-wh")) > float(energy)
                await expect(log).to_contain_text("StartTransaction")
                await expect(page.locator("tr[data-connector='1']")).to_contain_text("Charging")

                # The network view shows the live session too.
                await page.click("nav a[href='#/']")
                await expect(page.locator(".sessions .session")).to_have_count(1)
                await expect(row).to_contain_text("Charging")
                # "Last seen" moves with what the station says (its meter values).
                last_seen = row.locator("td time")
                before = await last_seen.get_attribute("datetime")
                await expect(last_seen).not_to_have_attribute("datetime", before)

                # Another station naming CP-1's transaction moves nothing of its card.
                network_card = page.locator(".sessions .session[data-station='CP-1']")
                huge = {"value": "90000000", "unit": "Wh",
                        "measurand": "Energy.Active.Import.Register"}  # fmt: skip
                async with connected_charger(system, "CP-9") as other:
                    # A session of its own: the view watches the stations with one.
                    await other.call(
                        call.StartTransaction(
                            connector_id=1, id_tag="TAG-9", meter_start=0, timestamp=utc_text()
                        )
                    )
                    await expect(page.locator(".sessions .session")).to_have_count(2)
                    reading = [{"timestamp": utc_text(), "sampledValue": [huge]}]
                    await other.call(
                        call.MeterValues(
                            connector_id=1,
                            transaction_id=charger.transaction_id,
                            meter_value=reading,
                        )
                    )
                    for _ in range(2):  # CP-1's own next readings, the foreign one long sent
                        seen = await network_card.get_attribute("data-energy-wh")
                        await expect(network_card).not_to_have_attribute("data-energy-wh", seen)
                        assert float(await network_card.get_attribute("data-energy-wh")) < 1e6
            await expect(row).to_have_attribute("data-online", "false")
            # Power: a Power.Active.Import value when sent (phases added), else the
            # energy register's change over time (kWh read as 1000 Wh).
            assert await page.evaluate(POWER_CHECK) == pytest.approx([18_000, 6_300, 60, 2])
            await chrome.close()
        # The refused token's 401 is the one failed load.
        assert [e for e in errors if "status of 401" not in e] == []


async def test_public_station_page_shows_a_qr_code_and_escapes_what_stations_send(
    tmp_path, chromium
):
    vendor, model = "<svg onload=pwn()>", "</td><b>M</b>"  # within OCPP's 20 characters
    public = "https://charge.example.com"
    with running_system(tmp_path, "--public-url", public) as system:
        token = system.token("ops")
        async with connected_charger(system, "CP-9", vendor=vendor, model=model):
            async with httpx.AsyncClient(base_url=system.base_url) as client:
                page_html = (await client.get("/s/CP-9")).text
                unknown = await client.get("/s/%3Ci%3Ex")
                config = (await client.get("/dashboard/config.json")).json()
            assert config == {"cable_url": f"ws://127.0.0.1:{system.port}/cable", "api": "/api/v1"}
            assert "&lt;svg onload=pwn()&gt; &lt;/td&gt;&lt;b&gt;M&lt;/b&gt;" in page_html
            assert "<svg onload" not in page_html and "<b>" not in page_html
            assert unknown.status_code == 404
            assert "&lt;i&gt;x" in unknown.text and "<i>" not in unknown.text

            async with async_playwright() as playwright:
                chrome = await browser.launch(playwright)
                page = await chrome.new_page(viewport={"width": 420, "height": 800})
                errors = collect_errors(page)
                await page.goto(f"{system.base_url}/s/CP-9")
                await expect(page.locator(".state")).to_have_text("Online")
                await expect(page.locator(".maker")).to_have_text(f"{vendor} {model}")
                await expect(page.locator("figure.qr svg")).to_be_visible()
                await expect(page.locator("figcaption")).to_have_text(f"{public}/s/CP-9")
                await expect(page.locator("td.status")).to_have_text("Available")
                assert await page.locator("svg").count() == 1  # the QR code, nothing else

                # The dashboard shows the same strings as text, too.
                await page.goto(f"{system.base_url}/")
                await log_in(page, token)
                row = page.locator("tr[data-station='CP-9']")
                await expect(row.locator("td.model")).to_have_text(f"{vendor} {model}")
                assert await row.locator("svg").count() == 0
                await chrome.close()
            assert errors == []


async def test_operator_sends_the_everyday_commands_the_central_system_composes(tmp_path, chromium):
    with running_system(tmp_path) as system:
        token = system.token("ops")
        async with async_playwright() as playwright:
            chrome = await browser.launch(playwright)
            page = await chrome.new_page(viewport={"width": 1280, "height": 900})
            errors = collect_errors(page)
            await page.goto(f"{system.base_url}/")
            await log_in(page, token)
            async with connected_charger(system, "CP-1") as charger:
                await page.goto(f"{system.base_url}/#/stations/CP-1")
                await expect(page.locator("table.log")).to_contain_text("BootNotification")
                steps = [  # (button, what the dialog is told, the command's label)
                    ("p .actions button:text-is('Availability')", None, "ChangeAvailability"),
                    ("tr[data-connector='1'] button:text-is('Availability')", "Operative",
                     "ChangeAvailability"),
                    ("p .actions button:text-is('Clear cache')", None, "ClearCache"),
                    ("p .actions button:text-is('Reset')", "now", "Reset"),
                    ("tr[data-connector='1'] button:text-is('Unlock')", None, "UnlockConnector"),
                ]  # fmt: skip
                for button, choice, label in steps:
                    await page.click(button)
                    if choice is not None:
                        await page.select_option("dialog select", choice)
                    await page.click("dialog button.primary")
                    command = page.locator("#commands li").first
                    await expect(command).to_have_attribute("data-action", label)
                    await expect(command).to_have_attribute("data-status", "accepted")
                # The commands panel sits beside the page, covering none of it.
                panel = await page.locator("#commands").bounding_box()
                table = await page.locator("table.log").bounding_box()
                assert panel["x"] >= table["x"] + table["width"], (panel, table)
                # Times read in UTC, whatever the browser's locale.
                shown = await page.locator("time").first.inner_text()
                assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", shown), shown
            await chrome.close()
        assert errors == []
        # Composed by the central system in the station's version (1.6 here).
        assert charger.calls == [
            ("ChangeAvailability", {"connectorId": 0, "type": "Inoperative"}),
            ("ChangeAvailability", {"connectorId": 1, "type": "Operative"}),
            ("ClearCache", {}),
            ("Reset", {"type": "Hard"}),
            ("UnlockConnector", {"connectorId": 1}),
        ]


async def test_operator_accepts_a_pending_station_which_is_asked_to_boot_again(tmp_path, chromium):
    with running_system(tmp_path) as system:
        with db.session_scope(system.database_url) as session:
            stations.add_station(session, "CP-8", registration="pending")
        token = system.token("ops")
        async with async_playwright() as playwright:
            chrome = await browser.launch(playwright)
            page = await chrome.new_page(viewport={"width": 1280, "height": 900})
            errors = collect_errors(page)
            await page.goto(f"{system.base_url}/")
            await log_in(page, token)
            async with connected_charger(system, "CP-8"):  # its boot answered Pending
                await page.goto(f"{system.base_url}/#/stations/CP-8")
                await expect(page.locator("b.registration")).to_have_text("pending")
                await expect(page.locator("button[data-registration='pending']")).to_have_count(0)
                await page.click("button[data-registration='accepted']")
                await page.click("dialog button.primary")
                change = page.locator("#commands li").first
                await expect(change).to_have_attribute("data-status", "accepted")
                await expect(change).to_contain_text("asked to boot again now")
                await expect(page.locator("b.registration")).to_have_text("accepted")
                await expect(page.locator("table.log")).to_contain_text("TriggerMessage")
            await chrome.close()
        assert errors == []
        with db.session_scope(system.database_url) as session:
            station = session.get(ChargePoint, "CP-8")
            assert (station.registration, station.boot_status) == ("accepted", "Pending")


async def test_operator_rotates_a_station_password_shown_to_no_one(tmp_path, chromium):
    with running_system(tmp_path, "--log-level", "debug") as system:
        with db.session_scope(system.database_url) as session:
            stations.add_station(session, "CP-7", password="the-old-password")
        token = system.token("ops")
        async with async_playwright() as playwright:
            chrome = await browser.launch(playwright)
            page = await chrome.new_page(viewport={"width": 1280, "height": 900})
            errors = collect_errors(page)
            await page.goto(f"{system.base_url}/")
            await log_in(page, token)
            await expect(page.locator("#view h1")).to_have_text("Stations")
            async with connected_charger(system, "CP-7", password="the-old-password") as charger:
                await page.goto(f"{system.base_url}/#/stations/CP-7")
                await page.click("button:text-is('Rotate password')")
                await page.click("dialog button.primary")
                rotation = page.locator("#commands li").first
                await expect(rotation).to_have_attribute("data-status", "accepted")
                await expect(rotation).to_contain_text("until the station logs in with the new")
                ((action, sent),) = charger.calls
                assert (action, sent["key"]) == ("ChangeConfiguration", "AuthorizationKey")
                new = bytes.fromhex(sent["value"]).decode()
                await expect(page.locator("table.log")).to_contain_text('"value":"***"')
                shown = await page.content()
                assert sent["value"] not in shown and new not in shown
            # The charger comes back with the new password; the old one is retired.
            async with connected_charger(system, "CP-7", password=new):
                pass
            with pytest.raises(InvalidStatus):
                async with connected_charger(system, "CP-7", password="the-old-password"):
                    pass
            await chrome.close()
        assert errors == []
    logged = (tmp_path / "up.log").read_text()  # the gateway's, rpc_app's and the API's
    assert "password rotation sent" in logged
    assert sent["value"] not in logged and new not in logged


async def test_operator_prices_sessions_and_watches_their_cost(tmp_path, chromium):
    """A tariff made and assigned in the Tariffs view prices the next session: its card
    shows the running cost, the station's sessions table its cost."""
    with running_system(tmp_path) as system:
        token = system.token("ops")
        async with async_playwright() as playwright:
            chrome = await browser.launch(playwright)
            page = await chrome.new_page(viewport={"width": 1280, "height": 900})
            errors = collect_errors(page)
            await page.goto(f"{system.base_url}/")
            await log_in(page, token)
            await expect(page.locator("#view h1")).to_have_text("Stations")
            async with connected_charger(system, "CP-1") as charger:
                await page.click("nav a[href='#/tariffs']")
                await expect(page.locator("td.none")).to_contain_text("No tariff yet")
                form = page.locator("form.tariff")
                values = {"name": "standard", "currency": "EUR", "energy_price": "0.30",
                          "session_fee": "0.50"}  # fmt: skip
                for field, value in values.items():
                    await form.locator(f"input[name={field}]").fill(value)
                await form.locator("input[name=default]").check()
                await form.locator("button").click()
                row = page.locator("tr[data-tariff='standard']")
                await expect(row).to_contain_text("default")
                await page.fill("form.assign input[name=station]", "CP-1")
                await page.click("form.assign button")
                await expect(row.locator(".assigned a")).to_have_text("CP-1")

                with db.session_scope(system.database_url) as session:
                    session.add(IdTag(tag="TAG-1", status="Accepted"))
                await page.goto(f"{system.base_url}/#/stations/CP-1")
                await page.click("button:text-is('Remote start')")
                await page.fill("#field-idTag", "TAG-1")
                await page.click("dialog button.primary")
                cost = page.locator(".session output.cost").first
                await expect(cost).to_have_text(re.compile(r"^\d+\.\d\d EUR$"))
                first = await cost.text_content()
                await expect(cost).not_to_have_text(first)  # it runs with the readings
                await page.locator("table.transactions button:text-is('Remote stop')").click()
                await page.click("dialog button.primary")
                # Stopped: no card any more, and the sessions table keeps its final cost.
                await expect(page.locator(".session")).to_have_count(0)
                stopped = page.locator("table.transactions tr[data-transaction]").first
                await expect(stopped).not_to_contain_text("Remote stop")
                await expect(stopped.locator("td.cost")).to_have_text(
                    re.compile(r"^\d+\.\d\d EUR$")
                )
                assert charger.transaction_id is None
            await chrome.close()
        assert errors == []


def stored_tags(system: System) -> list[tuple[str, str]]:
    with db.session_scope(system.database_url) as session:
        return [(t.tag, t.status) for t in session.scalars(select(IdTag))]


class Reserving201(ChargePoint201):
    """A 2.0.1 station that accepts reservations and their cancels; keeps what it was asked."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls: list[tuple[str, dict]] = []

    @on("ReserveNow")
    def on_reserve_now(self, **request):
        self.calls.append(("ReserveNow", request))
        return call_result201.ReserveNow(status="Accepted")

    @on("CancelReservation")
    def on_cancel_reservation(self, **request):
        self.calls.append(("CancelReservation", request))
        return call_result201.CancelReservation(status="Accepted")


async def test_operator_reserves_a_2x_evse_sees_it_beside_a_16_one_and_cancels_it(
    tmp_path, chromium
):
    with running_system(tmp_path) as system:
        with db.session_scope(system.database_url) as session:
            session.add(IdTag(tag="TAG-1", status="Accepted"))
        token = system.token("ops")
        async with async_playwright() as playwright:
            chrome = await browser.launch(playwright)
            page = await chrome.new_page(viewport={"width": 1280, "height": 900})
            errors = collect_errors(page)
            await page.goto(f"{system.base_url}/")
            await log_in(page, token)
            await expect(page.locator("#view h1")).to_have_text("Stations")
            async with (
                connected_charger(system, "CP-1"),
                websockets.connect(system.station_url("CP-2"), subprotocols=["ocpp2.0.1"]) as ws,
            ):
                station = Reserving201("CP-2", ws, response_timeout=10)
                task = asyncio.create_task(station.start())
                await station.call(call201.BootNotification(
                    charging_station={"vendor_name": "Acme", "model": "Wallbox 2"},
                    reason="PowerUp",
                ))  # fmt: skip
                for evse_id in (1, 2):
                    await station.call(call201.StatusNotification(
                        timestamp=utc_text(), connector_status="Available", evse_id=evse_id,
                        connector_id=1,
                    ))  # fmt: skip

                await page.goto(f"{system.base_url}/#/stations/CP-2")
                await expect(page.locator("#view h1")).to_contain_text("CP-2")
                # The station's record is in (its version too: Reserve asks what 2.x takes).
                await expect(page.locator("b.registration")).to_have_text("accepted")
                await page.click(
                    "section:has(h2:text-is('Reservations')) button:text-is('Reserve')"
                )
                await page.fill("#field-id_tag", "TAG-1")
                await page.select_option("#field-id_token_type", "Central")
                await page.fill("#field-evse_id", "2")
                await page.click("dialog button.primary")
                made = page.locator("#commands li").first
                await expect(made).to_have_attribute("data-status", "active")
                await expect(made).to_contain_text("reservation 1 of EVSE 2")
                held = page.locator("table.reservations tr[data-reservation='1']")
                await expect(held).to_have_attribute("data-status", "active")
                ((action, asked),) = station.calls
                assert (action, asked["evse_id"], asked["id_token"]) == (
                    "ReserveNow", 2, {"id_token": "TAG-1", "type": "Central"}
                )  # fmt: skip

                # A 1.6 station's, made through the API: it knows no ReserveNow, so it ends.
                async with httpx.AsyncClient(base_url=system.base_url) as api:
                    body = {"connector_id": 1, "id_tag": "TAG-1",
                            "expiry_date": "2099-01-01T00:00:00Z"}  # fmt: skip
                    auth = {"Authorization": f"Bearer {token}"}
                    answer = await api.post(
                        "/api/v1/stations/CP-1/reservations", json=body, headers=auth
                    )
                    assert answer.status_code == 201, answer.text

                await page.click("nav a[href='#/reservations']")
                await page.check("#view input[type=checkbox]")
                rows = page.locator("table.reservations tbody tr")
                await expect(rows).to_have_count(2)
                await expect(rows.nth(0)).to_contain_text("CP-1")
                await expect(rows.nth(0)).to_contain_text("connector 1")
                await expect(rows.nth(0)).to_have_attribute("data-status", "ended")
                await expect(rows.nth(1)).to_contain_text("EVSE 2")
                await rows.nth(1).locator("button:text-is('Cancel')").click()
                await page.click("dialog button.primary")
                cancel = page.locator("#commands li").first
                await expect(cancel).to_have_attribute("data-status", "cancelled")
                await expect(rows.nth(1)).to_have_attribute("data-status", "cancelled")
                assert station.calls[-1] == ("CancelReservation", {"reservation_id": 1})
                task.cancel()
            await chrome.close()
        assert errors == []
