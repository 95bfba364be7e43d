"""The dashboard's network-wide views in Chromium, against `ocpp-cable up` and two 1.6
chargers (tests/support/browser.py) priced by a default tariff.

An operator looks through every station's transactions (filtered by station, idTag,
state and start time, paged by the API), exports what the filters select as CSV,
reads the energy report with its totals, sorts the tables by a click on a column, and
watches the alerts: a connector that goes Faulted, a transaction whose stop never came,
a station that goes offline, each counted in the menu's badge as it happens.
"""

from __future__ import annotations

import httpx
from ocpp.v16 import call
from playwright.async_api import async_playwright, expect

from tests.integration.test_dashboard import collect_errors, log_in
from tests.support import browser
from tests.support.browser import Charger, System, connected_charger, running_system

CSV_HEADER = (
    "id,station_id,connector_id,evse_id,id_tag,start_time,stop_time,meter_start,"
    "meter_stop,energy_wh,cost,currency,stop_reason\r\n"
)


def default_tariff(system: System, token: str) -> None:
    """0.30 EUR a kWh, for every station."""
    answer = httpx.put(
        f"{system.base_url}/api/v1/tariffs/standard",
        json={"currency": "EUR", "energy_price": "0.30", "default": True},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 201, answer.text


async def session(
    charger: Charger, id_tag: str, start: str, meter_start: int, stop: str | None = None,
    meter_stop: int | None = None,
) -> int:  # fmt: skip
    """A transaction on connector 1, started (and stopped) at the given times."""
    started = await charger.call(
        call.StartTransaction(
            connector_id=1, id_tag=id_tag, meter_start=meter_start, timestamp=start
        )
    )
    if stop is not None:
        await charger.call(
            call.StopTransaction(
                meter_stop=meter_stop, timestamp=stop,
                transaction_id=started.transaction_id, reason="Local",
            )
        )  # fmt: skip
    return started.transaction_id


async def ids(rows) -> list[str]:
    return [await row.get_attribute("data-transaction") for row in await rows.all()]


async def test_operator_lists_exports_and_sorts_the_networks_transactions(
    tmp_path,
    chromium,
):
    with running_system(tmp_path) as system:
        token = system.token("ops")
        default_tariff(system, token)
        async with (
            connected_charger(system, "CP-A") as a,
            connected_charger(system, "CP-B", model="Pole 50") as b,
        ):
            # idTags a CSV must quote (a comma, quotes) and keep from running as a formula.
            t1 = await session(a, 'TAG,"A"', "2026-01-05T10:00:00Z", 1000,
                               "2026-01-05T11:00:00Z", 13_500)  # fmt: skip
            t2 = await session(b, "=B", "2026-01-06T09:00:00Z", 500,
                               "2026-01-06T09:30:00Z", 3500)  # fmt: skip
            t3 = await session(b, "TAG-C", "2026-01-07T08:00:00Z", 3500)
            async with async_playwright() as playwright:
                chrome = await browser.launch(playwright)
                page = await chrome.new_page(viewport={"width": 1280, "height": 900})
                errors = collect_errors(page)
                await page.goto(f"{system.base_url}/")
                await log_in(page, token)
                await expect(page.locator("#view h1")).to_have_text("Stations")

                await page.click("nav a[href='#/transactions']")
                await expect(page.locator("#view h1")).to_have_text("Transactions")
                rows = page.locator("table.transactions tbody tr")
                await expect(rows).to_have_count(3)
                assert await ids(rows) == [str(t3), str(t2), str(t1)]  # newest first
                first = rows.nth(2)
                await expect(first.locator("td")).to_have_text([
                    str(t1), "CP-A", "1", 'TAG,"A"', "2026-01-05 10:00:00 UTC",
                    "2026-01-05 11:00:00 UTC", "12.500 kWh", "3.75 EUR", "Local",
                ])  # fmt: skip
                await expect(first.locator("a")).to_have_attribute("href", "#/stations/CP-A")
                await expect(rows.nth(0).locator("td").nth(5)).to_have_text("open")

                form = page.locator("form.filter")
                await form.locator("input[name=station_id]").fill("CP-B")
                await form.locator("button.primary").click()
                await expect(rows).to_have_count(2)
                await expect(page.locator("#view p.summary")).to_have_text(
                    "1\u20132 of 2"
                )  # an en dash
                await form.locator("input[name=station_id]").fill("")
                await form.locator("input[name=id_tag]").fill("=B")
                await form.locator("button.primary").click()
                await expect(rows).to_have_count(1)
                await expect(rows.first).to_have_attribute("data-transaction", str(t2))
                await form.locator("input[name=id_tag]").fill("")
                await form.locator("select[name=state]").select_option("closed")
                await form.locator("input[name=since]").fill("2026-01-05T10:30")
                await form.locator("button.primary").click()
                await expect(rows).to_have_count(1)
                await expect(rows.first).to_have_attribute("data-transaction", str(t2))
                await form.locator("input[name=since]").fill("")
                await form.locator("button.primary").click()
                await expect(rows).to_have_count(2)

                # The CSV holds what the filters select (closed ones), quoted as RFC 4180 says.
                async with page.expect_download() as downloading:
                    await page.click("button.export")
                download = await downloading.value
                assert download.suggested_filename == "transactions.csv"
                text = (await download.path()).read_bytes().decode()
                assert text == (
                    CSV_HEADER
                    + f"{t2},CP-B,1,1,'=B,2026-01-06T09:00:00Z,2026-01-06T09:30:00Z,500,3500,"
                    "3000,0.90,EUR,Local\r\n"
                    + f'{t1},CP-A,1,1,"TAG,""A""",2026-01-05T10:00:00Z,2026-01-05T11:00:00Z,'
                    "1000,13500,12500,3.75,EUR,Local\r\n"
                )

                # A click on a header sorts by it; another, the other way.
                energy = page.locator("table.transactions th", has_text="Energy")
                await energy.click()
                await expect(energy).to_have_attribute("aria-sort", "ascending")
                assert await ids(rows) == [str(t2), str(t1)]
                await energy.click()
                assert await ids(rows) == [str(t1), str(t2)]

                # The energy report, per day, with its totals.
                await page.click("nav a[href='#/energy']")
                report = page.locator("table.energy tbody tr")
                await expect(report).to_have_count(2)
                await expect(report.nth(0).locator("td")).to_have_text(
                    ["2026-01-05", "CP-A", "1", "12.500", "3.75 EUR"]
                )
                await expect(report.nth(1).locator("td")).to_have_text(
                    ["2026-01-06", "CP-B", "1", "3.000", "0.90 EUR"]
                )
                total = page.locator("table.energy tfoot tr")
                await expect(total).to_have_text("Total215.5004.65 EUR")
                await page.locator("table.energy th", has_text="Energy").click()
                await expect(report.nth(0)).to_have_attribute("data-station", "CP-B")
                await page.locator("select[name=period]").select_option("month")
                await page.locator("input[name=station_id]").fill("CP-A")
                await page.click("form.filter button.primary")
                await expect(report).to_have_count(1)
                await expect(report.first.locator("td").first).to_have_text("2026-01-01")
                await expect(total).to_have_text("Total112.5003.75 EUR")

                # The stations table sorts too, and keeps its order as rows change live.
                await page.click("nav a[href='#/']")
                stations = page.locator("table.stations tbody tr")
                await expect(stations).to_have_count(2)
                header = page.locator("table.stations th:text-is('Station')")
                await header.click()
                await header.click()
                await expect(header).to_have_attribute("aria-sort", "descending")
                await expect(stations.first).to_have_attribute("data-station", "CP-B")
                await a.status(1, "Preparing")  # CP-A's row is replaced
                await expect(stations.nth(1)).to_contain_text("Preparing")
                await expect(stations.first).to_have_attribute("data-station", "CP-B")
                assert errors == []
                await chrome.close()


async def test_alerts_follow_the_network_live(tmp_path, chromium):
    with running_system(tmp_path) as system:
        token = system.token("ops")
        async with async_playwright() as playwright:
            chrome = await browser.launch(playwright)
            page = await chrome.new_page(viewport={"width": 1280, "height": 900})
            errors = collect_errors(page)
            await page.goto(f"{system.base_url}/")
            await log_in(page, token)
            badge = page.locator("#alerts-count")
            async with connected_charger(system, "CP-A") as a:
                async with connected_charger(system, "CP-B") as b:
                    await expect(page.locator("tr[data-station='CP-B']")).to_have_attribute(
                        "data-online", "true"
                    )
                    await page.click("nav a[href='#/alerts']")
                    await expect(page.locator("#view h1")).to_have_text("Alerts")
                    await expect(page.locator("#view p.summary").first).to_have_text(
                        "Nothing needs you now."
                    )
                    await expect(badge).to_be_hidden()

                    await b.status(1, "Faulted")
                    faulted = page.locator("table.connectors tbody tr[data-station='CP-B']")
                    await expect(faulted).to_have_attribute("data-status", "Faulted")
                    await expect(badge).to_have_text("1")

                    # A transaction whose stop never came: the connector went Available.
                    stale = await session(a, "TAG-1", "2026-01-07T08:00:00Z", 100)
                    await a.status(1, "Available")
                    row = page.locator("table.stale tbody tr")
                    await expect(row).to_have_attribute("data-transaction", str(stale))
                    await expect(row).to_contain_text("2026-01-07 08:00:00 UTC")
                    await expect(badge).to_have_text("2")

                # CP-B is gone: offline, with when it was last seen.
                offline = page.locator("table.offline tbody tr[data-station='CP-B']")
                await expect(offline).to_have_count(1)
                await expect(offline.locator("time")).to_have_count(1)
                await expect(badge).to_have_text("3")
                await expect(page.locator("#view p.summary").first).to_have_text("3 alerts")

                # The badge counts wherever the operator is; the alerts are read on load too.
                await page.click("nav a[href='#/transactions']")
                await expect(badge).to_have_text("3")
                await page.reload()
                await expect(badge).to_have_text("3")
                await page.click("nav a[href='#/alerts']")
                by_station = page.locator("table.connectors th:text-is('Station')")
                await expect(page.locator("table.connectors tbody tr")).to_have_count(1)
                await by_station.click()
                await expect(by_station).to_have_attribute("aria-sort", "ascending")
            assert errors == []
            await chrome.close()
