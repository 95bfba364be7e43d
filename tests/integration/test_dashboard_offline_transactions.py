"""Transactions whose stop never came, on the dashboard in Chromium, against `ocpp-cable
up` and two 1.6 chargers (tests/support/browser.py).

A station starts two transactions and then reports their connectors Available: both are
stale. One operator has a session's Close dialog open on the station's page (its meter
stop hinted with the last reading) while another closes it from the alerts view with a
meter stop and a reason: the alerts row goes, the transaction is closed by an operator,
and the first operator's Close is refused as closed already (409, with the reason). A
meter stop under the start is refused, by the form and then by the API (422). A read
token is refused (403). A reading another station sent naming the transaction shows
under the session's Readings kept apart, and not in its own.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import get_args

import httpx
from ocpp.v16 import call
from playwright.async_api import async_playwright, expect

from ocpp_cable.channels.domain import viewers
from ocpp_cable.channels.domain.timeutil import now
from ocpp_cable.channels.operators.api.schemas import StopReason
from ocpp_cable.contract.timestamps import utc_text
from tests.integration.test_dashboard import collect_errors, log_in
from tests.integration.test_dashboard_device_model import refused_loads
from tests.support import browser
from tests.support.browser import Charger, System, connected_charger, running_system

expect.set_options(timeout=10_000)

REASONS_SHOWN = "async () => (await import('/static/dashboard/transaction_close.js')).REASONS"
ENERGY = "Energy.Active.Import.Register"


def reading(wh: int, at: str) -> list[dict]:
    return [
        {"timestamp": at, "sampledValue": [{"value": str(wh), "measurand": ENERGY, "unit": "Wh"}]}
    ]


async def stale_transaction(charger: Charger, connector_id: int, meter_start: int) -> int:
    """Started an hour ago; its connector Available since: its stop never came."""
    started = await charger.call(
        call.StartTransaction(
            connector_id=connector_id, id_tag="TAG-1", meter_start=meter_start,
            timestamp=utc_text(now() - timedelta(hours=1)),
        )
    )  # fmt: skip
    return started.transaction_id


def transaction(system: System, token: str, transaction_id: int) -> dict:
    answer = httpx.get(
        f"{system.base_url}/api/v1/transactions/{transaction_id}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_operators_close_stale_transactions_and_see_readings_kept_apart(tmp_path, chromium):
    with running_system(tmp_path) as system:
        write, read = system.token("ops"), system.token("auditor", viewers.READ)
        async with (
            connected_charger(system, "CP-1") as cp1,
            connected_charger(system, "CP-2") as cp2,
        ):
            first = await stale_transaction(cp1, 1, 1000)
            second = await stale_transaction(cp1, 2, 5000)
            sampled = now() - timedelta(minutes=30)
            await cp1.call(
                call.MeterValues(
                    connector_id=1,
                    transaction_id=first,
                    meter_value=reading(1400, utc_text(sampled)),
                )
            )
            # CP-2 names CP-1's transaction: kept apart, counted into nothing.
            apart = sampled + timedelta(minutes=5)
            await cp2.call(
                call.MeterValues(
                    connector_id=1, transaction_id=first, meter_value=reading(777, utc_text(apart))
                )
            )
            await cp1.status(1, "Available")
            await cp1.status(2, "Available")

            async with async_playwright() as playwright:
                chrome = await browser.launch(playwright)
                # Two operators: one on the station's page, one on the alerts.
                station = await chrome.new_page(viewport={"width": 1280, "height": 900})
                alerts = await chrome.new_page(viewport={"width": 1280, "height": 900})
                errors = collect_errors(station)
                alert_errors = collect_errors(alerts)
                for page in (station, alerts):
                    await page.goto(f"{system.base_url}/")
                    await log_in(page, write)
                    await expect(page.locator("#view h1")).to_have_text("Stations")

                await station.goto(f"{system.base_url}/#/stations/CP-1")
                card = station.locator(f"article.session[data-transaction='{first}']")
                await expect(card).to_have_count(1)
                kept = card.locator("details.kept-apart")
                await kept.locator("summary").click()
                rows = kept.locator("table.kept-apart tbody tr")
                await expect(rows).to_have_count(1)
                await expect(rows.first.locator("td")).to_have_text([
                    "CP-2", f"{apart:%Y-%m-%d %H:%M:%S} UTC", ENERGY, "", "777", "Wh", "1",
                ])  # fmt: skip
                # Its own reading is not kept apart; CP-1's other session has none.
                other = station.locator(f"article.session[data-transaction='{second}']")
                await other.locator("details.kept-apart summary").click()
                await expect(other.locator("table.kept-apart tbody td.none")).to_have_text("None.")

                # The station page's operator opens Close, and waits.
                await expect(card.locator("output.energy")).to_have_text("0.400 kWh")
                await card.locator("button.close-transaction").click()
                dialog = station.locator("#dialog")
                await expect(dialog).to_be_visible()
                meter_stop = dialog.locator("input[name=meter_stop]")
                await expect(meter_stop).to_have_attribute(
                    "placeholder", "empty: 1400, the meter as last read"
                )
                await expect(meter_stop).to_have_attribute("min", "1000")
                assert await station.evaluate(REASONS_SHOWN) == list(get_args(StopReason))
                await expect(dialog.locator("select[name=reason]")).to_have_value("Other")

                # The other closes it from the alerts view.
                await alerts.click("nav a[href='#/alerts']")
                stale = alerts.locator("table.stale tbody tr")
                await expect(stale).to_have_count(2)
                row = alerts.locator(f"table.stale tr[data-transaction='{first}']")
                await row.locator("button.close-transaction").click()
                form = alerts.locator("#dialog")
                await expect(form.locator("input[name=meter_stop]")).to_have_attribute(
                    "placeholder", "empty: the last reading stored, else the start (1000)"
                )
                await form.locator("input[name=meter_stop]").fill("999")  # under the start
                await form.locator("button.primary").click()
                await expect(form).to_be_visible()  # the form says no first
                await form.locator("input[name=meter_stop]").evaluate(
                    "e => e.removeAttribute('min')"
                )
                await form.locator("button.primary").click()
                outcome = alerts.locator("#view p.close-outcome")
                await expect(outcome).to_contain_text("below the session's meter_start 1000")
                await expect(outcome).to_have_class(re.compile(r"\bproblem\b"))
                sent = alerts.locator("#commands li[data-action='Close transaction']").first
                await expect(sent).to_have_attribute("data-status", "refused (422)")

                await row.locator("button.close-transaction").click()
                await form.locator("input[name=meter_stop]").fill("1500")
                await form.locator("select[name=reason]").select_option("PowerLoss")
                await form.locator("button.primary").click()
                await expect(row).to_have_count(0)
                await expect(stale).to_have_count(1)
                said = f"transaction {first} at 1500 Wh (0.500 kWh), PowerLoss"
                await expect(outcome).to_have_text(f"Closed {said}.")
                await expect(outcome).to_have_class(re.compile(r"\bsaved\b"))
                await expect(sent).to_have_attribute("data-status", "closed")
                await expect(sent).to_contain_text(said)
                closed = transaction(system, write, first)
                assert closed["stop_time"] is not None, closed
                assert (closed["closed_by"], closed["meter_stop"], closed["energy_wh"]) == (
                    "operator", 1500, 500,
                ), closed  # fmt: skip
                assert closed["stop_reason"] == "PowerLoss"

                # The station page: the session's card goes, its row says how it ended; the
                # first operator's Close is refused, closed already.
                await expect(card).to_have_count(0)
                listed = station.locator(f"table.transactions tr[data-transaction='{first}']")
                await expect(listed).to_contain_text("PowerLoss")
                await dialog.locator("button.primary").click()
                late = station.locator("#commands li[data-action='Close transaction']").first
                await expect(late).to_have_attribute("data-status", "refused (409)")
                await expect(late).to_contain_text(f"transaction {first} is closed")
                assert transaction(system, write, first)["meter_stop"] == 1500

                # A read token sees the stale one and may not close it.
                await alerts.click("#logout")
                await log_in(alerts, read)
                await alerts.click("nav a[href='#/alerts']")
                await expect(stale).to_have_count(1)
                await stale.first.locator("button.close-transaction").click()
                await form.locator("button.primary").click()
                await expect(outcome).to_contain_text("may only read")
                await expect(sent).to_have_attribute("data-status", "refused (403)")
                await expect(stale.first).to_have_attribute("data-transaction", str(second))
                assert transaction(system, write, second)["stop_time"] is None
                await chrome.close()
        assert refused_loads(errors, 409) == [], errors
        # The refused close: under the start (422), then by a read token (403).
        assert refused_loads(refused_loads(alert_errors, 422), 403) == [], alert_errors
