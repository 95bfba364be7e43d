"""The dashboard's 2.x panels in Chromium, against `ocpp-cable up` and a 2.0.1 station
(tests/support/station_201.py) that answers what it is sent.

An operator asks the station for its base report and sees its variables, reads and
writes some with each one's result, sets a monitor, has the monitors reported, sets the
monitoring level and base, clears the monitor; sends a network profile, asks what the
station keeps of a customer, shows, lists and clears a display message, has the
station upload its security log and downloads it; sets the security profile floor and
the station's registration. Each goes through the API; the page shows what the station
answered, the API's reason when it refuses, and everything the station sent as text.
"""

from __future__ import annotations

from playwright.async_api import async_playwright, expect

from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import ChargePoint
from tests.integration.test_dashboard import collect_errors, log_in
from tests.support import browser
from tests.support.browser import connected_charger, running_system
from tests.support.station_201 import LOG_FILE, connected_station

expect.set_options(timeout=10_000)

HOSTILE = "<img src=x onerror=pwn()>"
COMM = {"name": "OCPPCommCtrlr"}
PANELS_2X = ["device-model", "monitoring", "network-profile", "customer-information",
             "display-messages"]  # fmt: skip


def refused_loads(errors: list[str], status: int) -> list[str]:
    """The console's errors but the failed loads of `status` the test provoked."""
    return [e for e in errors if f"status of {status}" not in e]


async def open_panel(page, key: str):
    panel = page.locator(f"details[data-panel='{key}']")
    await panel.locator("summary").click()
    return panel


async def fill_variable(form, component: str, variable: str = "") -> None:
    await form.locator("input[name=component]").fill(component)
    await form.locator("input[name=variable]").fill(variable)


async def test_operator_reads_and_writes_a_2x_device_model_and_monitors_it(tmp_path, chromium):
    extra = {("ChargingStation", "VendorName"): (HOSTILE, "ReadOnly")}
    with running_system(tmp_path) as system:
        token = system.token("ops")
        async with async_playwright() as playwright:
            chrome = await browser.launch(playwright)
            page = await chrome.new_page(viewport={"width": 1280, "height": 900})
            errors = collect_errors(page)
            await page.goto(f"{system.base_url}/")
            await log_in(page, token)
            async with connected_station(system, "CP-2", extra=extra) as station:
                await page.goto(f"{system.base_url}/#/stations/CP-2")
                await expect(page.locator("b.registration")).to_have_text("accepted")
                panel = await open_panel(page, "device-model")
                stored = panel.locator("table.variables tbody tr")
                await expect(stored).to_contain_text(["None yet: ask for a base report."])

                # A base report: its two parts, then the variables as kept.
                await panel.locator("select[name=base]").select_option("FullInventory")
                await panel.locator("button:text-is('Base report')").click()
                command = page.locator("#commands li").first
                await expect(command).to_have_attribute("data-action", "GetBaseReport")
                await expect(command).to_have_attribute("data-status", "accepted")
                await expect(panel.locator("p.saved")).to_have_text("Reported: 6 variables.")
                await expect(stored).to_have_count(6)
                vendor = panel.locator("tr[data-variable='ChargingStation.VendorName'] td")
                await expect(vendor.nth(2)).to_have_text(HOSTILE)  # as text, never markup
                assert await page.locator("#view img").count() == 0
                available = panel.locator("tr[data-variable='EVSE@1.AvailabilityState']")
                await expect(available).to_contain_text("Available")
                ((action, asked),) = station.calls
                assert (action, asked["report_base"]) == ("GetBaseReport", "FullInventory")

                # Read a listed variable and the form's: each one's result.
                form = panel.locator("form.variables")
                await fill_variable(form, "OCPPCommCtrlr", "HeartbeatInterval")
                await form.locator("button:text-is('Add to list')").click()
                await expect(panel.locator("ul.listed li")).to_have_count(1)
                await expect(form.locator("input[name=component]")).to_have_value("")
                await fill_variable(form, "OCPPCommCtrlr", "NoSuch")
                await form.locator("button:text-is('Get')").click()
                results = panel.locator("table.get-variables tbody tr")
                await expect(results).to_have_count(2)
                read = panel.locator(
                    "table.get-variables tr[data-variable='OCPPCommCtrlr.HeartbeatInterval']"
                )
                await expect(read.locator("td")).to_have_text(
                    ["OCPPCommCtrlr.HeartbeatInterval", "Accepted", "300", ""]
                )
                unknown = panel.locator(
                    "table.get-variables tr[data-variable='OCPPCommCtrlr.NoSuch']"
                )
                await expect(unknown.locator("td").nth(1)).to_have_text("UnknownVariable")
                await expect(panel.locator("ul.listed li")).to_have_count(0)
                assert station.calls[-1] == ("GetVariables", [
                    {"component": COMM, "variable": {"name": "HeartbeatInterval"}},
                    {"component": COMM, "variable": {"name": "NoSuch"}},
                ])  # fmt: skip

                # Write two, picked from the stored table: one taken, one read-only.
                await panel.locator(
                    "tr[data-variable='OCPPCommCtrlr.HeartbeatInterval'] button:text-is('Use')"
                ).click()
                await expect(form.locator("input[name=component]")).to_have_value("OCPPCommCtrlr")
                await form.locator("input[name=value]").fill("60")
                await form.locator("button:text-is('Add to list')").click()
                await panel.locator(
                    "tr[data-variable='SecurityCtrlr.SecurityProfile'] button:text-is('Use')"
                ).click()
                await form.locator("input[name=value]").fill("3")
                await form.locator("button:text-is('Set')").click()
                written = panel.locator("table.set-variables tbody tr")
                await expect(written).to_have_count(2)
                await expect(written.nth(0).locator("td")).to_have_text(
                    ["OCPPCommCtrlr.HeartbeatInterval", "Accepted", "60", ""]
                )
                await expect(written.nth(1).locator("td")).to_have_text(
                    ["SecurityCtrlr.SecurityProfile", "Rejected", "3", "ReadOnly"]
                )
                await expect(page.locator("#commands li").first).to_have_attribute(
                    "data-status", "accepted"
                )
                # The value the station took is kept: the stored table shows it.
                kept = panel.locator(
                    "table.variables tr[data-variable='OCPPCommCtrlr.HeartbeatInterval'] td"
                )
                await expect(kept.nth(2)).to_have_text("60")
                assert station.variables["OCPPCommCtrlr", "HeartbeatInterval"] == (
                    "60",
                    "ReadWrite",
                )
                assert station.variables["SecurityCtrlr", "SecurityProfile"] == ("1", "ReadOnly")

                # A name the API cannot take: its reason, here and in the commands panel.
                sent = len(station.calls)
                await fill_variable(form, "OCPP CommCtrlr", "HeartbeatInterval")
                await form.locator("button:text-is('Get')").click()
                await expect(panel.locator("p.problem").first).to_contain_text(
                    "'OCPP CommCtrlr.HeartbeatInterval' is not Component[instance]"
                )
                await expect(page.locator("#commands li").first).to_have_attribute(
                    "data-status", "refused (422)"
                )
                assert len(station.calls) == sent

                # Monitoring: a monitor set, reported, the level and base, cleared.
                monitoring = await open_panel(page, "monitoring")
                monitor = monitoring.locator("form.monitor")
                await fill_variable(monitor, "OCPPCommCtrlr", "HeartbeatInterval")
                await monitor.locator("select[name=type]").select_option("UpperThreshold")
                # A body the API's schema refuses: the field at fault is named.
                await monitor.locator("input[name=value]").fill("1e16")
                await monitor.locator("button").click()
                await expect(monitoring.locator("p.problem")).to_have_text(
                    "the request does not match the API's schema "
                    "(monitors.0.value: Input should be less than or equal to 1000000000000000)"
                )
                await monitor.locator("input[name=value]").fill("600")
                await monitor.locator("select[name=severity]").select_option("4")
                await monitor.locator("button").click()
                set_row = monitoring.locator("table.set-monitors tbody tr")
                await expect(set_row.locator("td")).to_have_text(
                    [
                        "1",
                        "OCPPCommCtrlr.HeartbeatInterval",
                        "UpperThreshold",
                        "4 Error",
                        "Accepted",
                        "",
                    ]
                )
                assert station.calls[-1] == ("SetVariableMonitoring", [{
                    "value": 600, "type": "UpperThreshold", "severity": 4,
                    "component": COMM, "variable": {"name": "HeartbeatInterval"},
                }])  # fmt: skip

                await monitoring.locator("button:text-is('Report monitors')").click()
                reported = monitoring.locator("table.monitors tr[data-monitor='1'] td")
                await expect(reported).to_have_text(
                    [
                        "1",
                        "OCPPCommCtrlr.HeartbeatInterval",
                        "UpperThreshold",
                        "600",
                        "4 Error",
                        "no",
                    ]
                )
                said = monitoring.locator("p.saved")
                await expect(said).to_have_text("Reported.")

                await monitoring.locator("select[name=level]").select_option("5")
                await monitoring.locator("button:text-is('Set level')").click()
                await expect(said).to_have_text("SetMonitoringLevel 5: Accepted")
                await monitoring.locator("select[name=base]").select_option("FactoryDefault")
                await monitoring.locator("button:text-is('Set base')").click()
                await expect(said).to_have_text("SetMonitoringBase FactoryDefault: Accepted")

                ids = monitoring.locator("input[name=ids]")
                await ids.fill("1, x")
                await monitoring.locator("button:text-is('Clear monitors')").click()
                await expect(monitoring.locator("p.problem")).to_contain_text(
                    "monitor ids: whole numbers"
                )
                await ids.fill("1, 7")
                await monitoring.locator("button:text-is('Clear monitors')").click()
                cleared = monitoring.locator("table.clear-monitors tbody tr")
                await expect(cleared.nth(0).locator("td")).to_have_text(["1", "Accepted", ""])
                await expect(cleared.nth(1).locator("td")).to_have_text(["7", "NotFound", ""])
                assert station.calls[-3:] == [
                    ("SetMonitoringLevel", {"severity": 5}),
                    ("SetMonitoringBase", {"monitoring_base": "FactoryDefault"}),
                    ("ClearVariableMonitoring", {"id": [1, 7]}),
                ]
                assert station.monitors == {}
            await chrome.close()
        assert refused_loads(errors, 422) == []


async def test_operator_sends_a_2x_station_its_profile_messages_and_log_requests(
    tmp_path, chromium
):
    message = "<b>Out of order</b> until noon"
    with running_system(tmp_path, files=True) as system:
        token = system.token("ops")
        async with async_playwright() as playwright:
            chrome = await browser.launch(playwright)
            page = await chrome.new_page(viewport={"width": 1280, "height": 900})
            errors = collect_errors(page)
            await page.goto(f"{system.base_url}/")
            await log_in(page, token)
            async with (
                connected_charger(system, "CP-1"),
                connected_station(system, "CP-2") as station,
            ):
                # A 1.6 station has none of the 2.x panels; its logs, yes.
                await page.goto(f"{system.base_url}/#/stations/CP-1")
                await expect(page.locator("b.registration")).to_have_text("accepted")
                await expect(page.locator("details[data-panel='logs']")).to_be_visible()
                for key in PANELS_2X:
                    await expect(page.locator(f"details[data-panel='{key}']")).to_be_hidden()

                await page.goto(f"{system.base_url}/#/stations/CP-2")
                await expect(page.locator("b.registration")).to_have_text("accepted")
                for key in [*PANELS_2X, "logs"]:
                    await expect(page.locator(f"details[data-panel='{key}']")).to_be_visible()

                # A network profile: the API refuses one that does not fit, sends one that does.
                network = await open_panel(page, "network-profile")
                await network.locator("input[name=slot]").fill("2")
                await network.locator("input[name=url]").fill("ws://csms.example.com/ocpp")
                await network.locator("button").click()
                await expect(network.locator("p.problem")).to_have_text(
                    "CP-2 (OCPP 2.0.1): security profile 2 connects over wss://"
                )
                await network.locator("input[name=url]").fill("wss://csms.example.com/ocpp")
                await network.locator("button").click()
                await expect(network.locator("p.saved")).to_have_text(
                    "Slot 2: the station said Accepted."
                )
                await expect(network.locator("p.problem")).to_be_empty()
                assert station.calls[-1] == ("SetNetworkProfile", {
                    "configuration_slot": 2,
                    "connection_data": {"ocpp_version": "OCPP20", "ocpp_transport": "JSON",
                                        "ocpp_csms_url": "wss://csms.example.com/ocpp",
                                        "message_timeout": 30, "security_profile": 2,
                                        "ocpp_interface": "Wired0"},
                })  # fmt: skip

                # What the station keeps of a customer, as it reported it.
                customer = await open_panel(page, "customer-information")
                await customer.locator("input[name=id_token]").fill("TAG-1")
                await customer.locator("select[name=type]").select_option("Central")
                await customer.locator("button").click()
                await expect(customer.locator("pre.customer-data")).to_have_text(
                    station.customer_data
                )
                token = {"id_token": "TAG-1", "type": "Central"}
                assert station.calls[-1] == (
                    "CustomerInformation", {"report": True, "clear": False, "id_token": token}
                )  # fmt: skip

                # A display message shown, listed as the station has it, cleared.
                messages = await open_panel(page, "display-messages")
                await messages.locator("input[name=content]").fill(message)
                await messages.locator("form.display-message select[name=priority]").select_option(
                    "AlwaysFront"
                )
                await messages.locator("button:text-is('Show message')").click()
                said = messages.locator("p.saved")
                await expect(said).to_contain_text("the station said Accepted.")
                ((shown_id, shown),) = station.messages.items()
                assert (shown["priority"], shown["message"]) == (
                    "AlwaysFront",
                    {"format": "UTF8", "content": message},
                )
                await messages.locator("button:text-is('Get messages')").click()
                row = messages.locator(f"table.display-messages tr[data-message='{shown_id}']")
                await expect(row.locator("td").nth(3)).to_have_text(message)
                assert await page.locator("#view b:text('Out of order')").count() == 0
                await row.locator("button:text-is('Clear')").click()
                await expect(row).to_have_count(0)
                await expect(said).to_have_text(f"Message {shown_id}: the station said Accepted.")
                assert station.calls[-1] == ("ClearDisplayMessage", {"id": shown_id})
                await messages.locator("button:text-is('Get messages')").click()
                await expect(said).to_have_text("The station shows no such message.")

                # The security log: asked for, uploaded, downloaded.
                logs = await open_panel(page, "logs")
                await logs.locator("select[name=log]").select_option("security")
                await logs.locator("button:text-is('Request log')").click()
                request = logs.locator("table.logs tbody tr").first
                await expect(request).to_have_attribute("data-state", "done")
                await expect(request).to_contain_text("SecurityLog")
                await expect(request).to_contain_text("station.log")
                request_id = int(await request.get_attribute("data-request"))
                assert station.calls[-1] == (
                    "GetLog", {"log_type": "SecurityLog", "request_id": request_id}
                )  # fmt: skip
                async with page.expect_download() as downloading:
                    await request.locator("button:text-is('Download')").click()
                download = await downloading.value
                assert download.suggested_filename == "station.log"
                assert (await download.path()).read_bytes() == LOG_FILE

                # The security profile floor: raised, then back to any.
                floor = page.locator("select.security-floor")
                await floor.select_option("2")
                await page.click("dialog button.primary")
                change = page.locator("#commands li").first
                await expect(change).to_have_attribute("data-status", "set")
                assert stored(system, "CP-2").security_profile == 2
                await expect(floor).to_have_value("2")
                await floor.select_option("")
                await page.click("dialog button.primary")
                await expect(change).to_contain_text("floor any")
                assert stored(system, "CP-2").security_profile is None

                # Set pending, then rejected: a rejected station is sent nothing, and the
                # panel says why.
                await page.click("button[data-registration='pending']")
                await page.click("dialog button.primary")
                await expect(page.locator("b.registration")).to_have_text("pending")
                await page.click("button[data-registration='rejected']")
                await page.click("dialog button.primary")
                await expect(page.locator("b.registration")).to_have_text("rejected")
                sent = len(station.calls)
                await network.locator("button").click()
                await expect(network.locator("p.problem")).to_contain_text("rejected")
                await expect(page.locator("#commands li").first).to_have_attribute(
                    "data-status", "refused (422)"
                )
                assert len(station.calls) == sent
            await chrome.close()
        assert refused_loads(errors, 422) == []


def stored(system, station_id: str) -> ChargePoint:
    with db.session_scope(system.database_url) as session:
        station = session.get(ChargePoint, station_id)
        session.expunge(station)
        return station
