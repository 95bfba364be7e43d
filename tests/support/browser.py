"""The dashboard in a real browser: `ocpp-cable up` as a user runs it, a charger that
charges when asked, and Debian's Chromium driven by Playwright.

Used by tests/integration/test_dashboard.py and devtools/screenshots.py.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import math
import os
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import websockets
from ocpp.routing import after, on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action

from ocpp_cable.channels.domain import viewers
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.store import dispose
from ocpp_cable.contract.timestamps import utc_text
from tests.support.processes import CLI, free_port

CHROMIUM = Path("/usr/bin/chromium")
# Debian's Chromium, never Playwright's download; nothing of Google's services.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def chromium_missing() -> str | None:
    """Why Chromium cannot run here, or None."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is not installed (apt-get install chromium)"
    return None


async def launch(playwright):
    return await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


@dataclass
class System:
    """`ocpp-cable up` in its own working directory, on free ports."""

    workdir: Path
    process: subprocess.Popen
    port: int  # the gateway: chargers and /cable
    api_port: int  # the API and the dashboard
    database_url: str

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def station_url(self, station_id: str) -> str:
        return f"ws://127.0.0.1:{self.port}/ocpp/{station_id}"

    def token(self, name: str = "ops", scope: str = viewers.WRITE) -> str:
        with db.session_scope(self.database_url) as session:
            return viewers.add_viewer(session, name, scope)

    def log_tail(self, lines: int = 30) -> str:
        text = (self.workdir / "up.log").read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def running_system(
    workdir: Path, *flags: str, timeout: float = 20, files: bool = False
) -> Iterator[System]:
    """`up` with stations registering on first connection (as `make run`), and `flags`;
    its log goes to up.log in `workdir` (a pipe nobody reads would fill and stop it).
    `files`: stations download and upload files at the API's own address (--files-url)."""
    port, api_port = free_port(), free_port()
    if files:
        flags = (*flags, "--files-url", f"http://127.0.0.1:{api_port}")
    database_url = f"sqlite:///{workdir / 'ocpp_cable.db'}"
    command = [
        *CLI, "up", "--port", str(port), "--http-port", str(free_port()),
        "--rpc-host", f"127.0.0.1:{free_port()}", "--rpc-metrics-port", str(free_port()),
        "--api-port", str(api_port), "--database-url", database_url,
        "--auto-register", "true", "--log-format", "json", *flags,
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCPP_CABLE_")}
    with open(workdir / "up.log", "wb") as log:
        process = subprocess.Popen(
            command, cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=log
        )
    system = System(workdir, process, port, api_port, database_url)
    try:
        deadline = time.monotonic() + timeout
        while not (_listening(api_port) and _listening(port)):
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"ocpp-cable up did not start:\n{system.log_tail()}")
            time.sleep(0.1)
        yield system
    except BaseException:
        print(f"ocpp-cable up's log ends:\n{system.log_tail()}")  # shown with the failure
        raise
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        dispose(database_url)


@dataclass
class Meter:
    """The connector's energy register, rising at about `power_w` as a car's draw wavers."""

    wh: float = 1_250_000.0
    power_w: float = 11_000.0
    started: float = field(default_factory=time.monotonic)

    def advance(self, seconds: float) -> str:
        """The register after `seconds` more, as a sampled value's text (0.1 Wh)."""
        wave = 0.85 + 0.15 * math.sin((time.monotonic() - self.started) / 4)
        self.wh += self.power_w * wave * seconds / 3600
        return f"{self.wh:.1f}"


class Charger(ChargePoint):
    """An OCPP 1.6 charger with one connector: accepts the dashboard's commands, records
    each (`calls`), keeps its configuration keys and the charging profiles it is set, and
    charges when remotely started, sending MeterValues (the energy register only: the
    dashboard derives the power) every `meter_interval` seconds."""

    def __init__(self, *args, meter_interval: float = 1.0, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.calls: list[tuple[str, dict]] = []
        # key -> (value, readonly)
        self.configuration: dict[str, tuple[str, bool]] = {
            "HeartbeatInterval": ("300", False), "NumberOfConnectors": ("1", True),
        }  # fmt: skip
        self.profiles: dict[int, dict] = {}
        self.list_version = 0
        self.firmware: bytes | None = None  # the last file it downloaded
        self.meter = Meter()
        self.meter_interval = meter_interval
        self.transaction_id: int | None = None
        self._session: asyncio.Task | None = None

    async def boot(self, vendor: str = "Acme", model: str = "Wallbox 22") -> None:
        await self.call(call.BootNotification(charge_point_model=model, charge_point_vendor=vendor))
        await self.status(1, "Available")

    async def status(self, connector_id: int, status: str) -> None:
        await self.call(
            call.StatusNotification(
                connector_id=connector_id, error_code="NoError", status=status,
                timestamp=utc_text(),
            )
        )  # fmt: skip

    @on(Action.remote_start_transaction)
    def on_remote_start(self, id_tag, connector_id=None, **_):
        self.calls.append(
            ("RemoteStartTransaction", {"idTag": id_tag, "connectorId": connector_id})
        )
        return call_result.RemoteStartTransaction(status="Accepted")

    @after(Action.remote_start_transaction)
    def start_session(self, id_tag, connector_id=None, **_):
        if self._session is None or self._session.done():
            self._session = asyncio.create_task(self._charge(id_tag, connector_id or 1))

    @on(Action.remote_stop_transaction)
    def on_remote_stop(self, transaction_id, **_):
        self.calls.append(("RemoteStopTransaction", {"transactionId": transaction_id}))
        known = transaction_id == self.transaction_id
        return call_result.RemoteStopTransaction(status="Accepted" if known else "Rejected")

    @after(Action.remote_stop_transaction)
    async def stop_session(self, transaction_id, **_):
        if transaction_id == self.transaction_id and self._session is not None:
            self._session.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._session
            await self.call(
                call.StopTransaction(
                    meter_stop=round(self.meter.wh), timestamp=utc_text(),
                    transaction_id=transaction_id, reason="Remote",
                )
            )  # fmt: skip
            self.transaction_id = None
            await self.status(1, "Available")

    @on(Action.reset)
    def on_reset(self, type, **_):
        self.calls.append(("Reset", {"type": type}))
        return call_result.Reset(status="Accepted")

    @on(Action.unlock_connector)
    def on_unlock(self, connector_id, **_):
        self.calls.append(("UnlockConnector", {"connectorId": connector_id}))
        return call_result.UnlockConnector(status="Unlocked")

    @on(Action.trigger_message)
    def on_trigger(self, requested_message, connector_id=None, **_):
        self.calls.append(("TriggerMessage", {"requestedMessage": requested_message}))
        return call_result.TriggerMessage(status="Accepted")

    @on(Action.change_availability)
    def on_change_availability(self, connector_id, type, **_):
        self.calls.append(("ChangeAvailability", {"connectorId": connector_id, "type": type}))
        return call_result.ChangeAvailability(status="Accepted")

    @on(Action.clear_cache)
    def on_clear_cache(self, **_):
        self.calls.append(("ClearCache", {}))
        return call_result.ClearCache(status="Accepted")

    @on(Action.change_configuration)
    def on_change_configuration(self, key, value, **_):
        self.calls.append(("ChangeConfiguration", {"key": key, "value": value}))
        if key in self.configuration:
            if self.configuration[key][1]:
                return call_result.ChangeConfiguration(status="Rejected")
            self.configuration[key] = (value, False)
        return call_result.ChangeConfiguration(status="Accepted")

    @on(Action.get_configuration)
    def on_get_configuration(self, key=None, **_):
        self.calls.append(("GetConfiguration", {"key": key}))
        asked = key or list(self.configuration)
        known = [k for k in asked if k in self.configuration]
        return call_result.GetConfiguration(
            configuration_key=[
                {"key": k, "value": self.configuration[k][0], "readonly": self.configuration[k][1]}
                for k in known
            ],
            unknown_key=[k for k in asked if k not in self.configuration] or None,
        )

    @on(Action.send_local_list)
    def on_send_local_list(self, list_version, update_type, local_authorization_list=None, **_):
        entries = [e["id_tag"] for e in local_authorization_list or []]
        asked = {"list_version": list_version, "update_type": update_type, "id_tags": entries}
        self.calls.append(("SendLocalList", asked))
        self.list_version = list_version
        return call_result.SendLocalList(status="Accepted")

    @on(Action.get_local_list_version)
    def on_get_local_list_version(self, **_):
        self.calls.append(("GetLocalListVersion", {}))
        return call_result.GetLocalListVersion(list_version=self.list_version)

    # --- smart charging: the profiles held, by chargingProfileId ---------------------------

    @on(Action.set_charging_profile)
    def on_set_charging_profile(self, connector_id, cs_charging_profiles, **_):
        asked = {"connector_id": connector_id, "cs_charging_profiles": cs_charging_profiles}
        self.calls.append(("SetChargingProfile", asked))
        self.profiles[cs_charging_profiles["charging_profile_id"]] = cs_charging_profiles
        return call_result.SetChargingProfile(status="Accepted")

    @on(Action.clear_charging_profile)
    def on_clear_charging_profile(self, **asked):
        self.calls.append(("ClearChargingProfile", asked))
        if asked.get("id") is not None:
            known = self.profiles.pop(asked["id"], None) is not None
        else:  # the criteria: all of them, here
            known, self.profiles = bool(self.profiles), {}
        return call_result.ClearChargingProfile(status="Accepted" if known else "Unknown")

    @on(Action.update_firmware)
    def on_update_firmware(self, location, retrieve_date, **asked):
        self.calls.append(("UpdateFirmware", {"location": location, **asked}))
        return call_result.UpdateFirmware()

    @after(Action.update_firmware)
    async def install_firmware(self, location, **_):
        """Downloads the file from the central system, then installs it."""
        await self.call(call.FirmwareStatusNotification(status="Downloading"))
        async with httpx.AsyncClient() as client:
            fetched = await client.get(location)
        self.firmware = fetched.content if fetched.status_code == 200 else None
        if self.firmware is None:
            await self.call(call.FirmwareStatusNotification(status="DownloadFailed"))
            return
        for status in ("Downloaded", "Installing", "Installed"):
            await self.call(call.FirmwareStatusNotification(status=status))

    @on(Action.get_composite_schedule)
    def on_get_composite_schedule(self, connector_id, duration, **asked):
        self.calls.append(("GetCompositeSchedule", {"connector_id": connector_id,
                                                    "duration": duration, **asked}))  # fmt: skip
        if not self.profiles:
            return call_result.GetCompositeSchedule(status="Rejected")
        held = max(self.profiles.values(), key=lambda p: p["stack_level"])
        schedule = {**held["charging_schedule"], "duration": duration}
        return call_result.GetCompositeSchedule(
            status="Accepted", connector_id=connector_id, schedule_start=utc_text(),
            charging_schedule=schedule,
        )  # fmt: skip

    async def _charge(self, id_tag: str, connector_id: int) -> None:
        started = await self.call(
            call.StartTransaction(
                connector_id=connector_id, id_tag=id_tag, meter_start=round(self.meter.wh),
                timestamp=utc_text(),
            )
        )  # fmt: skip
        self.transaction_id = started.transaction_id
        await self.status(connector_id, "Charging")
        while True:
            await asyncio.sleep(self.meter_interval)
            reading = {"value": self.meter.advance(self.meter_interval), "unit": "Wh"}
            await self.call(
                call.MeterValues(
                    connector_id=connector_id, transaction_id=self.transaction_id,
                    meter_value=[{"timestamp": utc_text(), "sampledValue": [reading]}],
                )
            )  # fmt: skip


@contextlib.asynccontextmanager
async def connected_charger(
    system: System,
    station_id: str = "CP-1",
    vendor: str = "Acme",
    model: str = "Wallbox 22",
    password: str | None = None,
) -> AsyncIterator[Charger]:
    """A charger connected to `system` (with HTTP Basic `password`, if any), booted, its
    connector Available."""
    headers = {}
    if password is not None:
        credentials = base64.b64encode(f"{station_id}:{password}".encode()).decode()
        headers["Authorization"] = f"Basic {credentials}"
    async with websockets.connect(
        system.station_url(station_id), subprotocols=["ocpp1.6"], additional_headers=headers
    ) as ws:
        charger = Charger(station_id, ws, response_timeout=10)
        task = asyncio.create_task(charger.start())
        try:
            await charger.boot(vendor, model)
            yield charger
        finally:
            if charger._session is not None:
                charger._session.cancel()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
