"""An OCPP 2.0.1 station with a small device model, for the dashboard's 2.x panels: it
answers what an operator sends (variables, reports, monitoring, network profile,
customer information, display messages, logs, charging profiles, a transaction's status),
sends the reports that follow, uploads its log, starts a transaction when told, and records
every request (`calls`, as the `ocpp` package hands them over).

Used by tests/integration/test_dashboard_device_model.py and devtools/screenshots.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from typing import Any

import httpx
import websockets
from ocpp.routing import after, on
from ocpp.v201 import ChargePoint, call, call_result

from ocpp_cable.contract.timestamps import utc_text
from tests.support.browser import System

# (component, variable) -> (value, mutability); all Actual, on the station itself but EVSE 1's.
VARIABLES: dict[tuple[str, str], tuple[str, str]] = {
    ("OCPPCommCtrlr", "HeartbeatInterval"): ("300", "ReadWrite"),
    ("OCPPCommCtrlr", "MessageTimeout"): ("30", "ReadWrite"),
    ("SecurityCtrlr", "SecurityProfile"): ("1", "ReadOnly"),
    ("ChargingStation", "Model"): ("Wallbox 2", "ReadOnly"),
    ("EVSE", "AvailabilityState"): ("Available", "ReadOnly"),
}
TRANSACTION_ID = "TX-201"
LOG_FILE = b"2026-01-01T00:00:00Z boot\n2026-01-01T00:00:01Z connected\n"


def _entry(component: str, variable: str) -> dict[str, Any]:
    found: dict[str, Any] = {"component": {"name": component}, "variable": {"name": variable}}
    if component == "EVSE":
        found["component"]["evse"] = {"id": 1}
    return found


def _names(entry: dict[str, Any]) -> tuple[str, str | None]:
    return entry["component"]["name"], (entry.get("variable") or {}).get("name")


class Station201(ChargePoint):
    """Its variables start as VARIABLES (plus `extra`, e.g. a value meant to test escaping)."""

    def __init__(self, *args, extra: dict | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.calls: list[tuple[str, dict]] = []
        self.variables = {**VARIABLES, **(extra or {})}
        self.monitors: dict[int, dict[str, Any]] = {}
        self.messages: dict[int, dict[str, Any]] = {}
        self.customer_data = "idToken TAG-1: 3 sessions, last on 2026-01-01"
        self.uploads: list[int] = []
        self.profiles: dict[int, tuple[int, dict[str, Any]]] = {}  # id -> (EVSE, profile)
        self.published: set[str] = set()  # checksums it publishes as a local controller
        self._monitor_ids = itertools.count(1)

    async def boot(self) -> None:
        await self.call(call.BootNotification(
            charging_station={"vendor_name": "Acme", "model": "Wallbox 2"}, reason="PowerUp",
        ))  # fmt: skip
        await self.call(call.StatusNotification(
            timestamp=utc_text(), connector_status="Available", evse_id=1, connector_id=1,
        ))  # fmt: skip

    def _known(self, component: str, variable: str | None = None) -> bool:
        return any(c == component and variable in (None, v) for c, v in self.variables)

    # --- variables and reports ------------------------------------------------------------

    @on("GetVariables")
    def on_get_variables(self, get_variable_data, **_):
        self.calls.append(("GetVariables", get_variable_data))
        results = []
        for asked in get_variable_data:
            component, variable = _names(asked)
            result = {"component": asked["component"], "variable": asked["variable"],
                      "attribute_status": "Accepted"}  # fmt: skip
            if asked.get("attribute_type") not in (None, "Actual"):
                result["attribute_status"] = "NotSupportedAttributeType"
                result["attribute_type"] = asked["attribute_type"]
            elif (component, variable) in self.variables:
                result["attribute_value"] = self.variables[component, variable][0]
            else:
                known = self._known(component)
                result["attribute_status"] = "UnknownVariable" if known else "UnknownComponent"
            results.append(result)
        return call_result.GetVariables(get_variable_result=results)

    @on("SetVariables")
    def on_set_variables(self, set_variable_data, **_):
        self.calls.append(("SetVariables", set_variable_data))
        results = []
        for asked in set_variable_data:
            component, variable = _names(asked)
            result = {"component": asked["component"], "variable": asked["variable"]}
            found = self.variables.get((component, variable))
            if found is None:
                result["attribute_status"] = "UnknownVariable"
            elif found[1] == "ReadOnly":
                result["attribute_status"] = "Rejected"
                result["attribute_status_info"] = {"reason_code": "ReadOnly"}
            else:
                self.variables[component, variable] = (asked["attribute_value"], found[1])
                result["attribute_status"] = "Accepted"
            results.append(result)
        return call_result.SetVariables(set_variable_result=results)

    def _report_data(self, wanted=None) -> list[dict[str, Any]]:
        data = []
        for (component, variable), (value, mutability) in self.variables.items():
            if wanted is not None and not any(
                c == component and v in (None, variable) for c, v in wanted
            ):
                continue
            data.append({
                **_entry(component, variable),
                "variable_attribute": [{"type": "Actual", "value": value,
                                        "mutability": mutability}],
            })  # fmt: skip
        return data

    async def _notify_report(self, request_id: int, data: list[dict[str, Any]]) -> None:
        half = (len(data) + 1) // 2  # in two parts, as a station with a longer one would
        parts = [data[:half], data[half:]]
        for seq_no, part in enumerate(parts):
            await self.call(call.NotifyReport(
                request_id=request_id, generated_at=utc_text(), seq_no=seq_no,
                report_data=part, tbc=seq_no < len(parts) - 1,
            ))  # fmt: skip

    @on("GetBaseReport")
    def on_get_base_report(self, request_id, report_base, **_):
        self.calls.append(("GetBaseReport", {"request_id": request_id, "report_base": report_base}))
        return call_result.GetBaseReport(status="Accepted")

    @after("GetBaseReport")
    async def report_base(self, request_id, **_):
        await self._notify_report(request_id, self._report_data())

    @on("GetReport")
    def on_get_report(self, request_id, component_variable=None, component_criteria=None, **_):
        self.calls.append(("GetReport", {"component_variable": component_variable,
                                         "component_criteria": component_criteria}))  # fmt: skip
        found = self._report_data([_names(e) for e in component_variable or []] or None)
        return call_result.GetReport(status="Accepted" if found else "EmptyResultSet")

    @after("GetReport")
    async def report_some(self, request_id, component_variable=None, **_):
        found = self._report_data([_names(e) for e in component_variable or []] or None)
        if found:
            await self._notify_report(request_id, found)

    # --- monitoring -----------------------------------------------------------------------

    @on("SetVariableMonitoring")
    def on_set_monitoring(self, set_monitoring_data, **_):
        self.calls.append(("SetVariableMonitoring", set_monitoring_data))
        results = []
        for asked in set_monitoring_data:
            result = {key: asked[key] for key in ("type", "severity", "component", "variable")}
            if self._known(*_names(asked)):
                monitor_id = asked.get("id") or next(self._monitor_ids)
                self.monitors[monitor_id] = {**asked, "id": monitor_id}
                result.update(id=monitor_id, status="Accepted")
            else:
                result["status"] = "UnknownVariable"
            results.append(result)
        return call_result.SetVariableMonitoring(set_monitoring_result=results)

    @on("ClearVariableMonitoring")
    def on_clear_monitoring(self, id, **_):
        self.calls.append(("ClearVariableMonitoring", {"id": id}))
        results = [
            {"id": i, "status": "Accepted" if self.monitors.pop(i, None) else "NotFound"}
            for i in id
        ]
        return call_result.ClearVariableMonitoring(clear_monitoring_result=results)

    @on("SetMonitoringLevel")
    def on_monitoring_level(self, severity, **_):
        self.calls.append(("SetMonitoringLevel", {"severity": severity}))
        return call_result.SetMonitoringLevel(status="Accepted")

    @on("SetMonitoringBase")
    def on_monitoring_base(self, monitoring_base, **_):
        self.calls.append(("SetMonitoringBase", {"monitoring_base": monitoring_base}))
        return call_result.SetMonitoringBase(status="Accepted")

    @on("GetMonitoringReport")
    def on_monitoring_report(self, request_id, **request):
        self.calls.append(("GetMonitoringReport", request))
        return call_result.GetMonitoringReport(
            status="Accepted" if self.monitors else "EmptyResultSet"
        )

    @after("GetMonitoringReport")
    async def report_monitors(self, request_id, **_):
        if not self.monitors:
            return
        monitor = [
            {"component": m["component"], "variable": m["variable"],
             "variable_monitoring": [{"id": i, "transaction": m.get("transaction", False),
                                      "value": m["value"], "type": m["type"],
                                      "severity": m["severity"]}]}
            for i, m in self.monitors.items()
        ]  # fmt: skip
        await self.call(call.NotifyMonitoringReport(
            request_id=request_id, seq_no=0, generated_at=utc_text(), monitor=monitor,
        ))  # fmt: skip

    # --- network, customers, display messages ----------------------------------------------

    @on("SetNetworkProfile")
    def on_network_profile(self, configuration_slot, connection_data, **_):
        self.calls.append(("SetNetworkProfile", {"configuration_slot": configuration_slot,
                                                 "connection_data": connection_data}))  # fmt: skip
        return call_result.SetNetworkProfile(status="Accepted")

    @on("CustomerInformation")
    def on_customer_information(self, request_id, report, clear, **named):
        self.calls.append(("CustomerInformation", {"report": report, "clear": clear, **named}))
        return call_result.CustomerInformation(status="Accepted")

    @after("CustomerInformation")
    async def report_customer(self, request_id, report, clear, **_):
        data = self.customer_data if report else "cleared"
        if clear:
            self.customer_data = "nothing kept"
        await self.call(call.NotifyCustomerInformation(
            data=data, seq_no=0, generated_at=utc_text(), request_id=request_id,
        ))  # fmt: skip

    @on("SetDisplayMessage")
    def on_set_display_message(self, message, **_):
        self.calls.append(("SetDisplayMessage", message))
        self.messages[message["id"]] = message
        return call_result.SetDisplayMessage(status="Accepted")

    def _messages(self, id=None, priority=None, state=None) -> list[dict[str, Any]]:
        return [
            m for i, m in self.messages.items()
            if (not id or i in id) and priority in (None, m["priority"])
            and state in (None, m.get("state"))
        ]  # fmt: skip

    @on("GetDisplayMessages")
    def on_get_display_messages(self, request_id, **asked):
        self.calls.append(("GetDisplayMessages", asked))
        return call_result.GetDisplayMessages(
            status="Accepted" if self._messages(**asked) else "Unknown"
        )

    @after("GetDisplayMessages")
    async def list_messages(self, request_id, **asked):
        found = self._messages(**asked)
        if found:
            await self.call(call.NotifyDisplayMessages(request_id=request_id, message_info=found))

    @on("ClearDisplayMessage")
    def on_clear_display_message(self, id, **_):
        self.calls.append(("ClearDisplayMessage", {"id": id}))
        known = self.messages.pop(id, None) is not None
        return call_result.ClearDisplayMessage(status="Accepted" if known else "Unknown")

    # --- smart charging and transactions ----------------------------------------------------

    async def start_transaction(self, id_token: str = "TAG-1") -> None:
        """A transaction on EVSE 1, started (TRANSACTION_ID), left open."""
        await self.call(call.TransactionEvent(
            event_type="Started", timestamp=utc_text(), trigger_reason="Authorized", seq_no=0,
            transaction_info={"transaction_id": TRANSACTION_ID}, evse={"id": 1, "connector_id": 1},
            id_token={"id_token": id_token, "type": "ISO14443"},
        ))  # fmt: skip

    @on("SetChargingProfile")
    def on_set_charging_profile(self, evse_id, charging_profile, **_):
        asked = {"evse_id": evse_id, "charging_profile": charging_profile}
        self.calls.append(("SetChargingProfile", asked))
        self.profiles[charging_profile["id"]] = (evse_id, charging_profile)
        return call_result.SetChargingProfile(status="Accepted")

    @on("ClearChargingProfile")
    def on_clear_charging_profile(self, **asked):
        self.calls.append(("ClearChargingProfile", asked))
        if asked.get("charging_profile_id") is not None:
            known = self.profiles.pop(asked["charging_profile_id"], None) is not None
        else:  # the criteria: all of them, here
            known, self.profiles = bool(self.profiles), {}
        return call_result.ClearChargingProfile(status="Accepted" if known else "Unknown")

    @on("GetChargingProfiles")
    def on_get_charging_profiles(self, request_id, charging_profile, **asked):
        self.calls.append(("GetChargingProfiles", {"charging_profile": charging_profile, **asked}))
        return call_result.GetChargingProfiles(status="Accepted" if self.profiles else "NoProfiles")

    @after("GetChargingProfiles")
    async def report_profiles(self, request_id, **_):
        held = list(self.profiles.values())
        for at, (evse_id, profile) in enumerate(held):  # one a report, as an EVSE apart would
            await self.call(call.ReportChargingProfiles(
                request_id=request_id, charging_limit_source="CSO", evse_id=evse_id,
                charging_profile=[profile], tbc=at < len(held) - 1,
            ))  # fmt: skip

    @on("GetCompositeSchedule")
    def on_get_composite_schedule(self, evse_id, duration, **asked):
        self.calls.append(("GetCompositeSchedule", {"evse_id": evse_id, "duration": duration,
                                                    **asked}))  # fmt: skip
        if not self.profiles:
            return call_result.GetCompositeSchedule(status="Rejected")
        _, held = max(self.profiles.values(), key=lambda p: p[1]["stack_level"])
        (schedule,) = held["charging_schedule"]
        return call_result.GetCompositeSchedule(status="Accepted", schedule={
            "evse_id": evse_id, "duration": duration, "schedule_start": utc_text(),
            "charging_rate_unit": schedule["charging_rate_unit"],
            "charging_schedule_period": schedule["charging_schedule_period"],
        })  # fmt: skip

    @on("GetTransactionStatus")
    def on_get_transaction_status(self, **asked):
        self.calls.append(("GetTransactionStatus", asked))
        return call_result.GetTransactionStatus(messages_in_queue=False, ongoing_indicator=True)

    # --- logs -------------------------------------------------------------------------------

    @on("GetLog")
    def on_get_log(self, log, log_type, request_id, **_):
        self.calls.append(("GetLog", {"log_type": log_type, "request_id": request_id}))
        return call_result.GetLog(status="Accepted", filename="station.log")

    @after("GetLog")
    async def upload_log(self, log, request_id, **_):
        await self.call(call.LogStatusNotification(status="Uploading", request_id=request_id))
        async with httpx.AsyncClient() as client:
            answer = await client.put(f"{log['remote_location']}/station.log", content=LOG_FILE)
            answer.raise_for_status()
        self.uploads.append(request_id)
        await self.call(call.LogStatusNotification(status="Uploaded", request_id=request_id))

    @on("UpdateFirmware")
    def on_update_firmware(self, request_id, firmware, **_):
        self.calls.append(("UpdateFirmware", {"request_id": request_id, "firmware": firmware}))
        return call_result.UpdateFirmware(status="Accepted")

    @after("UpdateFirmware")
    async def install_firmware(self, request_id, firmware, **_):
        """Downloads the file from the central system, then installs it."""
        async with httpx.AsyncClient() as client:
            fetched = await client.get(firmware["location"])
        statuses = ("Downloading", "Downloaded", "Installing", "Installed")
        if fetched.status_code != 200:
            statuses = ("Downloading", "DownloadFailed")
        for status in statuses:
            await self.call(call.FirmwareStatusNotification(status=status, request_id=request_id))

    @on("PublishFirmware")
    def on_publish_firmware(self, location, checksum, request_id, **_):
        self.calls.append(("PublishFirmware", {"location": location, "checksum": checksum}))
        return call_result.PublishFirmware(status="Accepted")

    @after("PublishFirmware")
    async def publish(self, request_id, checksum, **_):
        self.published.add(checksum)
        await self.call(call.PublishFirmwareStatusNotification(
            status="Published", request_id=request_id, location=[f"http://lc.example/{checksum}"],
        ))  # fmt: skip

    @on("UnpublishFirmware")
    def on_unpublish_firmware(self, checksum, **_):
        self.calls.append(("UnpublishFirmware", {"checksum": checksum}))
        if checksum not in self.published:
            return call_result.UnpublishFirmware(status="NoFirmware")
        self.published.discard(checksum)
        return call_result.UnpublishFirmware(status="Unpublished")


@contextlib.asynccontextmanager
async def connected_station(
    system: System, station_id: str = "CP-2", extra: dict | None = None
) -> AsyncIterator[Station201]:
    """A Station201 connected to `system`, booted, its EVSE 1 Available."""
    async with websockets.connect(system.station_url(station_id), subprotocols=["ocpp2.0.1"]) as ws:
        station = Station201(station_id, ws, response_timeout=10, extra=extra)
        task = asyncio.create_task(station.start())
        try:
            await station.boot()
            yield station
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
