"""The dashboard's firmware panel in Chromium, against `ocpp-cable up` serving a firmware
file (--files-url), a 1.6 charger (tests/support/browser.py) and a 2.0.1 station that is a
local controller (tests/support/station_201.py).

An operator sends each a firmware update from the station's page; each station downloads
the file from the central system and reports its progress, which the panel's list follows
to Installed. The 2.x station also publishes the file (its MD5 as the checksum) and stops
publishing it. A file that is not there is refused with the API's reason.
"""

from __future__ import annotations

import hashlib

from playwright.async_api import async_playwright, expect

from tests.integration.test_dashboard import collect_errors, log_in
from tests.integration.test_dashboard_charging import opened
from tests.integration.test_dashboard_device_model import open_panel, refused_loads
from tests.support import browser
from tests.support.browser import connected_charger, running_system
from tests.support.station_201 import connected_station

FIRMWARE = b"acme firmware 2.1.0\n" * 64


async def test_operator_updates_firmware_and_a_local_controller_publishes_it(
    tmp_path,
    chromium,
):
    (tmp_path / "firmware").mkdir()
    (tmp_path / "firmware" / "acme-2.1.0.bin").write_bytes(FIRMWARE)
    checksum = hashlib.md5(FIRMWARE).hexdigest()
    with running_system(tmp_path, files=True) as system:
        token = system.token("ops")
        async with async_playwright() as playwright:
            chrome = await browser.launch(playwright)
            page = await chrome.new_page(viewport={"width": 1280, "height": 900})
            errors = collect_errors(page)
            await page.goto(f"{system.base_url}/")
            await log_in(page, token)
            async with connected_charger(system, "CP-1") as charger:
                await opened(system, page, "CP-1")
                panel = await open_panel(page, "firmware")
                await expect(panel.locator("form.publish")).to_have_count(0)  # 2.x only
                form = panel.locator("form.firmware")
                await form.locator("input[name=file_name]").fill("nothing.bin")
                await form.locator("button.primary").click()
                await expect(panel.locator("p.problem")).to_contain_text("nothing.bin")
                await form.locator("input[name=file_name]").fill("acme-2.1.0.bin")
                await form.locator("input[name=retries]").fill("2")
                await form.locator("button.primary").click()
                row = panel.locator("table.firmware tbody tr").first
                await expect(row).to_have_attribute("data-state", "done")
                await expect(row).to_contain_text("Installed")
                assert charger.firmware == FIRMWARE  # fetched from the central system
                [(_, sent)] = [c for c in charger.calls if c[0] == "UpdateFirmware"]
                assert sent["retries"] == 2 and "acme-2.1.0.bin" in sent["location"]

            async with connected_station(system, "CP-2") as station:
                await opened(system, page, "CP-2")
                panel = await open_panel(page, "firmware")
                form = panel.locator("form.firmware")
                await form.locator("input[name=file_name]").fill("acme-2.1.0.bin")
                await form.locator("input[name=install_date]").fill("2030-01-01T03:00")
                await form.locator("button.primary").click()
                row = panel.locator("table.firmware tbody tr[data-action='UpdateFirmware']")
                await expect(row).to_have_attribute("data-state", "done")
                [(_, update)] = [c for c in station.calls if c[0] == "UpdateFirmware"]
                assert update["firmware"]["install_date_time"].startswith(
                    "2030-01-01T03:00:00"
                )  # UTC
                # As a local controller: publish the file, then stop publishing it.
                publishing = panel.locator("form.publish")
                await publishing.locator("input[name=publish_file]").fill("acme-2.1.0.bin")
                await publishing.locator("button[type=submit]").click()
                published = panel.locator("table.firmware tbody tr[data-action='PublishFirmware']")
                await expect(published).to_contain_text("Published")
                await expect(published).to_contain_text(checksum)
                await publishing.locator("input[name=checksum]").fill(checksum)
                await publishing.locator("button:text-is('Unpublish')").click()
                command = page.locator("#commands li[data-action='UnpublishFirmware']").first
                await expect(command).to_have_attribute("data-status", "accepted")
                await expect(published).to_contain_text("Unpublished")
            await chrome.close()
    assert [c[1]["checksum"] for c in station.calls if c[0] == "PublishFirmware"] == [checksum]
    assert [c[1] for c in station.calls if c[0] == "UnpublishFirmware"] == [{"checksum": checksum}]
    assert refused_loads(errors, 422) == [], errors
