"""A simulated charger's file transfers: the firmware an UpdateFirmware names, fetched
over HTTP, and the diagnostics (1.6 GetDiagnostics, 2.x GetLog) uploaded to where the
central system said, each reported as a real charger reports it.

A diagnostics upload is an HTTP PUT of a small text file to `<location>/<file name>`
(what the reference system's /files routes take); a location that is not http(s) fails,
as does any download or upload the server refuses.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Protocol

import aiohttp

from ocpp_cable.simulator.dialects import Update


class SimCharger(Protocol):
    """What a transfer needs of the charger (chargers.SimCharger), named here so that
    module and this one do not import each other."""

    dialect: Any
    stats: Any
    state: Any
    station_id: str
    version: Any
    connector: Any  # the state last reported
    meter_wh: float

    async def request(self, message: Any) -> Any: ...

    async def reset(self, kind: Any) -> None: ...


IDLE = "Idle"
TIMEOUT = aiohttp.ClientTimeout(total=30)
# What a firmware "installs" takes, and the most of it we keep (the version it names).
INSTALL_SECONDS = 0.2


async def update_firmware(charger: SimCharger, update: Update) -> None:
    """At its retrieve time, download, report each step (Downloading, Downloaded or
    DownloadFailed, Installing, Installed; at its install time when it names one), then
    reboot on the new firmware (1.6 4.5; 2.x L01). An update with a request id (2.x, 1.6
    signed) also says DownloadScheduled and InstallScheduled while it waits; a 1.6
    UpdateFirmware has no words for them and waits in silence."""
    dialect, location, request_id = charger.dialect, update.location, update.request_id
    if update.retrieve_at > time.time():
        if request_id is not None:
            await charger.request(dialect.firmware_status("DownloadScheduled", request_id))
        await asyncio.sleep(update.retrieve_at - time.time())
    await charger.request(dialect.firmware_status("Downloading", request_id))
    try:
        body = await _download(location)
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        charger.stats.fail(f"firmware download: {type(exc).__name__}")
        await charger.request(dialect.firmware_status("DownloadFailed", request_id))
        return
    await charger.request(dialect.firmware_status("Downloaded", request_id))
    if update.install_at is not None and update.install_at > time.time():
        await charger.request(dialect.firmware_status("InstallScheduled", request_id))
        await asyncio.sleep(update.install_at - time.time())
    await charger.request(dialect.firmware_status("Installing", request_id))
    await asyncio.sleep(INSTALL_SECONDS)
    name = location.rstrip("/").rsplit("/", 1)[-1] or "firmware"
    charger.state.firmware_version = f"{name[:40]} ({len(body)} B)"[:50]
    await charger.request(dialect.firmware_status("Installed", request_id))
    await charger.reset(None)  # the new firmware runs after a reboot


async def upload_diagnostics(
    charger: SimCharger, location: str, file_name: str, request_id: Any = None
) -> None:
    """Upload a small text file, reporting Uploading, then Uploaded or UploadFailed."""
    dialect = charger.dialect
    await charger.request(dialect.upload_status("Uploading", request_id))
    try:
        await _upload(location, file_name, diagnostics_text(charger).encode())
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        charger.stats.fail(f"diagnostics upload: {type(exc).__name__}")
        await charger.request(dialect.upload_status("UploadFailed", request_id))
        return
    await charger.request(dialect.upload_status("Uploaded", request_id))


def diagnostics_text(charger: SimCharger) -> str:
    state = charger.state
    return "\n".join(
        [
            f"station {charger.station_id} (ocpp-cable simulator, OCPP {charger.version.name})",
            f"time {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}",
            f"firmware {state.firmware_version}",
            f"connector {charger.connector}",
            f"meter {round(charger.meter_wh)} Wh",
            f"local list version {state.local_list_version}",
            "",
        ]
    )


def _http(location: str) -> str:
    if not location.startswith(("http://", "https://")):
        raise ValueError(f"not an HTTP location: {location}")
    return location


async def _download(location: str) -> bytes:
    async with (
        aiohttp.ClientSession(timeout=TIMEOUT) as http,
        http.get(_http(location)) as response,
    ):
        response.raise_for_status()
        return await response.read()


async def _upload(location: str, file_name: str, body: bytes) -> None:
    url = f"{_http(location).rstrip('/')}/{file_name}"
    async with (
        aiohttp.ClientSession(timeout=TIMEOUT) as http,
        http.put(url, data=body, headers={"Content-Type": "text/plain"}) as response,
    ):
        response.raise_for_status()
