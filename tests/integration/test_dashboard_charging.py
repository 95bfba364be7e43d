"""The dashboard's smart charging, 1.6 configuration keys and 2.x transaction status in
Chromium, against `ocpp-cable up`, a 1.6 charger (tests/support/browser.py) and a 2.0.1
station (tests/support/station_201.py) that answer what they are sent.

An operator sets a charging profile on each, sees it among the profiles the station holds,
asks for a composite schedule and sees it, has a 2.x station report its profiles, clears
them; lists a 1.6 station's configuration keys, reads them from it and changes one (a
readonly one has no Change, and the API's refusal shows); asks a 2.x station whether its
open transaction goes on. Each goes through the API; the page shows what the station
answered, and the API's reason when it refuses.
"""

from __future__ import annotations

import httpx
from playwright.async_api import async_playwright, expect

from tests.integration.test_dashboard import collect_errors, log_in
from tests.integration.test_dashboard_device_model import open_panel, refused_loads
from tests.support import browser
from tests.support.browser import connected_charger, running_system
from tests.support.station_201 import TRANSACTION_ID, connected_station

expect.set_options(timeout=10_000)


async def opened(system, page, station_id: str):
    await page.goto(f"{system.base_url}/#/stations/{station_id}")
    await expect(page.locator("b.registration")).to_have_text("accepted")


async def test_operator_charges_a_16_station_smartly_and_changes_its_configuration(
    tmp_path, chromium
):
    with running_system(tmp_path) as system:
        token = system.token("ops")
        async with async_playwright() as playwright:
            chrome = await browser.launch(playwright)
            page = await chrome.new_page(viewport={"width": 1280, "height": 900})
            errors = collect_errors(page)
            await page.goto(f"{system.base_url}/")
            await log_in(page, token)
            async with connected_charger(system, "CP-1") as charger:
                await opened(system, page, "CP-1")
                await expect(page.locator("details[data-panel='device-model']")).to_be_hidden()
                charging = await open_panel(page, "smart-charging")
                held = charging.locator("table.charging-profiles tbody tr")
                await expect(held).to_have_text(["None."])

                # A tx-default profile of 16 A, then 10 A after 10 minutes, on connector 1.
                form = charging.locator("form.charging-profile")
                await form.locator("select[name=purpose]").select_option("tx-default")
                await form.locator("input[name=connector]").fill("1")
                await form.locator("input[name=periods]").fill("0:16, 600:10")
                await form.locator("input[name=stack_level]").fill("2")
                await form.locator("button").click()
                said = charging.locator("p.saved")
                await expect(said).to_have_text("Profile 1: the station said Accepted.")
                action, sent = charger.calls[-1]
                profile = sent["cs_charging_profiles"]
                assert (action, sent["connector_id"]) == ("SetChargingProfile", 1)
                assert (profile["charging_profile_purpose"], profile["stack_level"]) == (
                    "TxDefaultProfile", 2
                )  # fmt: skip
                assert profile["charging_schedule"]["charging_schedule_period"] == [
                    {"start_period": 0, "limit": 16}, {"start_period": 600, "limit": 10}
                ]  # fmt: skip
                await expect(held).to_have_count(1)
                await expect(held.locator("td")).to_contain_text(
                    ["1", "1", "TxDefaultProfile", "2", "Absolute", "0s 16A, 600s 10A", "—",
                     "installed"]
                )  # fmt: skip

                # Periods that do not parse are said, and nothing is sent.
                sent_before = len(charger.calls)
                await form.locator("input[name=periods]").fill("0-16")
                await form.locator("button").click()
                await expect(charging.locator("p.problem")).to_contain_text("period '0-16'")
                assert len(charger.calls) == sent_before

                # Its composite schedule for connector 1, as answered and as kept.
                composite = charging.locator("form.composite-schedule")
                await composite.locator("input[name=connector]").fill("1")
                await composite.locator("input[name=duration]").fill("1800")
                await composite.locator("button").click()
                await expect(said).to_have_text(
                    "Composite schedule: the station said Accepted: 0s 16A, 600s 10A."
                )
                assert charger.calls[-1] == (
                    "GetCompositeSchedule", {"connector_id": 1, "duration": 1800}
                )  # fmt: skip
                kept = charging.locator("table.composite-schedules tr[data-connector='1'] td")
                await expect(kept.nth(1)).to_have_text("1800 s")
                await expect(kept.nth(3)).to_have_text("Accepted")
                await expect(kept.nth(5)).to_have_text("0s 16A, 600s 10A")

                # Cleared by its id: no longer held.
                clear = charging.locator("form.clear-profiles")
                await clear.locator("input[name=id]").fill("1")
                await clear.locator("button").click()
                await expect(said).to_have_text("ClearChargingProfile: the station said Accepted.")
                assert charger.calls[-1] == ("ClearChargingProfile", {"id": 1})
                await expect(held).to_have_text(["None."])
                await charging.locator("input[name=all]").check()
                await expect(held.locator("td").nth(7)).to_have_text("cleared")
                assert await charging.locator("form.report-profiles").count() == 0

                # The configuration keys: none stored, read from the station, one changed.
                config = await open_panel(page, "configuration")
                keys = config.locator("table.configuration tbody tr")
                await expect(keys).to_have_text(["None yet: read them from the station."])
                await config.locator("button:text-is('Read from the station')").click()
                await expect(config.locator("p.saved")).to_have_text("The station reported 2 keys.")
                assert charger.calls[-1] == ("GetConfiguration", {"key": None})
                await expect(keys).to_have_count(2)
                heartbeat = config.locator("tr[data-key='HeartbeatInterval']")
                connectors = config.locator("tr[data-key='NumberOfConnectors']")
                await expect(connectors.locator("td").nth(2)).to_have_text("yes")
                await expect(connectors.locator("button")).to_have_count(0)
                await heartbeat.locator("button:text-is('Change')").click()
                change = config.locator("form.change-configuration")
                await expect(change.locator("input[name=key]")).to_have_value("HeartbeatInterval")
                await expect(change.locator("input[name=value]")).to_have_value("300")
                await change.locator("input[name=value]").fill("60")
                await change.locator("button").click()
                await expect(config.locator("p.saved")).to_have_text(
                    "HeartbeatInterval: the station said Accepted."
                )
                assert charger.calls[-1] == (
                    "ChangeConfiguration", {"key": "HeartbeatInterval", "value": "60"}
                )  # fmt: skip
                await expect(heartbeat.locator("td").nth(1)).to_have_text("60")

                # A readonly key typed in: the API refuses it before it is sent.
                sent_before = len(charger.calls)
                await change.locator("input[name=key]").fill("NumberOfConnectors")
                await change.locator("input[name=value]").fill("2")
                await change.locator("button").click()
                await expect(config.locator("p.problem")).to_contain_text(
                    "NumberOfConnectors is read-only"
                )
                await expect(page.locator("#commands li").first).to_have_attribute(
                    "data-status", "refused (422)"
                )
                assert len(charger.calls) == sent_before

                # The local list: our idTag sent, then the version the station holds.
                async with httpx.AsyncClient() as client:
                    added = await client.put(
                        f"{system.base_url}/api/v1/id-tags/TAG-1", json={},
                        headers={"Authorization": f"Bearer {token}"},
                    )  # fmt: skip
                assert added.status_code == 201, added.text
                local = await open_panel(page, "local-list")
                await local.locator("button:text-is('Sync')").click()
                await expect(local.locator("p.saved")).to_have_text(
                    "Version 1 (Full, 1 entries): the station said Accepted."
                )
                assert charger.calls[-1] == ("SendLocalList", {
                    "list_version": 1, "update_type": "Full", "id_tags": ["TAG-1"],
                })  # fmt: skip
                await expect(local.locator("dl.local-list")).to_contain_text("in syncyes")
                await local.locator("button:text-is('Ask its version')").click()
                await expect(local.locator("p.saved")).to_have_text("The station holds version 1.")
                assert charger.calls[-1] == ("GetLocalListVersion", {})
            await chrome.close()
        assert refused_loads(errors, 422) == []


async def test_operator_charges_a_2x_station_smartly_and_asks_after_its_transaction(
    tmp_path, chromium
):
    with running_system(tmp_path) as system:
        token = system.token("ops")
        async with async_playwright() as playwright:
            chrome = await browser.launch(playwright)
            page = await chrome.new_page(viewport={"width": 1280, "height": 900})
            errors = collect_errors(page)
            await page.goto(f"{system.base_url}/")
            await log_in(page, token)
            async with connected_station(system, "CP-2") as station:
                await station.start_transaction()
                await opened(system, page, "CP-2")
                await expect(page.locator("details[data-panel='configuration']")).to_be_hidden()

                # The open transaction: does it go on, do its messages wait?
                row = page.locator("table.transactions tbody tr").first
                await expect(row.locator("td").nth(4)).to_have_text("open")
                await row.locator("button:text-is('Status')").click()
                await expect(row.locator("output.transaction-status")).to_have_text(
                    "ongoing, no messages waiting"
                )
                assert station.calls[-1] == (
                    "GetTransactionStatus", {"transaction_id": TRANSACTION_ID}
                )  # fmt: skip
                await expect(page.locator("#commands li").first).to_have_attribute(
                    "data-action", "GetTransactionStatus"
                )

                # A station-wide maximum of 11 kW on EVSE 0.
                charging = await open_panel(page, "smart-charging")
                form = charging.locator("form.charging-profile")
                await form.locator("select[name=purpose]").select_option("max")
                await form.locator("input[name=evse]").fill("0")
                await form.locator("input[name=limit]").fill("11000")
                await form.locator("select[name=unit]").select_option("W")
                await form.locator("button").click()
                said = charging.locator("p.saved")
                await expect(said).to_have_text("Profile 1: the station said Accepted.")
                action, sent = station.calls[-1]
                profile = sent["charging_profile"]
                assert (action, sent["evse_id"]) == ("SetChargingProfile", 0)
                assert profile["charging_profile_purpose"] == "ChargingStationMaxProfile"
                (schedule,) = profile["charging_schedule"]
                assert schedule["charging_rate_unit"] == "W"
                assert schedule["charging_schedule_period"] == [{"start_period": 0, "limit": 11000}]
                held = charging.locator("table.charging-profiles tbody tr")
                await expect(held.locator("td").nth(2)).to_have_text("ChargingStationMaxProfile")
                await expect(held.locator("td").nth(5)).to_have_text("0s 11000W")

                # A refusal of the API shows under the form: a tx profile with no limit.
                await form.locator("select[name=purpose]").select_option("tx")
                await form.locator("input[name=limit]").fill("")
                await form.locator("button").click()
                await expect(charging.locator("p.problem")).not_to_be_empty()
                await expect(page.locator("#commands li").first).to_have_attribute(
                    "data-status", "refused (422)"
                )

                # The station reports what it holds.
                await charging.locator("button:text-is('Report profiles')").click()
                await expect(said).to_have_text("Reported.")
                reported = charging.locator("table.reported-profiles tr[data-profile='1'] td")
                await expect(reported).to_have_text(
                    ["1", "0", "ChargingStationMaxProfile", "0", "Absolute", "CSO", "0s 11000W"]
                )
                assert station.calls[-1][0] == "GetChargingProfiles"

                # Its composite schedule for EVSE 0.
                composite = charging.locator("form.composite-schedule")
                await composite.locator("input[name=evse]").fill("0")
                await composite.locator("select[name=unit]").select_option("W")
                await composite.locator("button").click()
                await expect(said).to_have_text(
                    "Composite schedule: the station said Accepted: 0s 11000W."
                )
                assert station.calls[-1] == ("GetCompositeSchedule", {
                    "evse_id": 0, "duration": 3600, "charging_rate_unit": "W",
                })  # fmt: skip
                kept = charging.locator("table.composite-schedules tr[data-connector='0'] td")
                await expect(kept.nth(5)).to_have_text("0s 11000W")

                # Cleared by purpose: all the station held of it.
                clear = charging.locator("form.clear-profiles")
                await clear.locator("select[name=purpose]").select_option("max")
                await clear.locator("button").click()
                await expect(said).to_have_text("ClearChargingProfile: the station said Accepted.")
                action, asked = station.calls[-1]
                assert action == "ClearChargingProfile"
                assert asked["charging_profile_criteria"] == {
                    "charging_profile_purpose": "ChargingStationMaxProfile"
                }
                await expect(held).to_have_text(["None."])
                await charging.locator("button:text-is('Report profiles')").click()
                await expect(said).to_have_text("The station holds no such profile.")
            await chrome.close()
        assert refused_loads(errors, 422) == []
