"""A 2.x station's device model operated: variables read and written, reports, variable
monitoring and customer information, each request composed here from what the operator
names and split as the station's reported limits allow (channels/domain/device_requests.py),
then recorded and sent as `ocpp-cable send` sends a command.

The operations serve the CLI (device_model_cli.py) and the HTTP API alike; each raises a
CommandFailed whose exit_code says bad input (2) or not possible as things stand (1).
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ocpp_cable.channels.domain import device_model, password_fields
from ocpp_cable.channels.domain.device_requests import (
    WIDEST_REQUEST_ID,
    Limits,
    TooLarge,
    VariableRef,
    split,
)
from ocpp_cable.channels.operators.admin import command_records
from ocpp_cable.channels.operators.admin.publishing import (
    CommandFailed,
    CommandLineError,
    build_call,
)
from ocpp_cable.channels.settings import SendSettings
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import ChargePoint
from ocpp_cable.rpc_app.broadcasting import Broadcaster

REPORT_BASES = ("ConfigurationInventory", "FullInventory", "SummaryInventory")
COMPONENT_CRITERIA = ("Active", "Available", "Enabled", "Problem")
MONITORING_CRITERIA = ("ThresholdMonitoring", "DeltaMonitoring", "PeriodicMonitoring")
MONITOR_TYPES = ("UpperThreshold", "LowerThreshold", "Delta", "Periodic", "PeriodicClockAligned")
MONITORING_BASES = ("All", "FactoryDefault", "HardWiredOnly")
SEVERITIES = range(10)  # 0 Danger ... 9 Debug
# A monitor's value: a threshold, a delta or seconds; well past any, well within a double.
MAX_MONITOR_VALUE = 1e15


class DeviceModelRefused(CommandFailed):
    """Bad input, or what a 1.6 station or the station's limits do not allow (exit 2)."""

    exit_code = 2


@dataclass(frozen=True, slots=True)
class Monitor:
    """A monitor to set (SetMonitoringData): on `ref`, of `type`, at `value`."""

    ref: VariableRef
    type: str
    value: float
    severity: int
    transaction: bool = False
    id: int | None = None

    def data(self) -> dict[str, Any]:
        # A whole number goes as one (1, not 1.0), as an operator wrote it.
        whole = float(self.value).is_integer() and abs(self.value) < 2**53
        found: dict[str, Any] = {
            "value": int(self.value) if whole else self.value,
            "type": self.type,
            "severity": self.severity,
            "component": self.ref.component_json(),
            "variable": self.ref.variable_json(),
        }
        if self.transaction:
            found["transaction"] = True
        if self.id is not None:
            found["id"] = self.id
        return found


@dataclass(frozen=True, slots=True)
class Sent:
    """What an operation sent: one command per request, in order."""

    station_id: str
    action: str
    command_ids: list[str]


def new_request_id() -> int:
    """A requestId the station's reports name (NotifyReport, NotifyMonitoringReport,
    NotifyCustomerInformation): 1 to 2^31-1, drawn at random, so no two processes sending
    at once need agree on a counter."""
    return secrets.randbelow(WIDEST_REQUEST_ID) + 1


def _version(settings: SendSettings, station_id: str) -> str:
    """The 2.x version the station speaks; refused for an unknown, offline or 1.6 one."""
    with db.session_scope(settings.database_url) as session:
        station = session.get(ChargePoint, station_id)
        if station is None:
            raise command_records.UnknownStation(
                f"no station {station_id} (ocpp-cable stations add {station_id})"
            )
        if not station.connected:  # its version is the last connection's, or none yet
            raise command_records.StationOffline(f"station {station_id} is not connected")
        version = station.ocpp_version or "1.6"
    if version == "1.6":
        raise DeviceModelRefused(
            f"station {station_id} speaks OCPP 1.6, which has no device model: read and "
            "change its configuration with GetConfiguration and ChangeConfiguration"
        )
    return version


def _limits(settings: SendSettings, station_id: str, action: str) -> Limits:
    with db.session_scope(settings.database_url) as session:
        return device_model.reported_limits(session, station_id, action)


def send(
    settings: SendSettings,
    station_id: str,
    action: str,
    payloads: Sequence[dict[str, Any]],
    broadcaster: Broadcaster | None,
) -> Sent:
    """Check every request against the station's schemas, then record and send each."""
    version = _version(settings, station_id)
    try:
        transmissions = [build_call(action, payload, version=version) for payload in payloads]
    except CommandLineError as exc:
        raise DeviceModelRefused(str(exc)) from None
    stream = settings.stream_for_station(station_id)
    for transmission in transmissions:
        command_records.publish_recorded(settings, station_id, transmission, stream, broadcaster)
    return Sent(station_id, action, [t["id"] for t in transmissions])


def _split(
    settings: SendSettings,
    station_id: str,
    action: str,
    items: Sequence[Any],
    payload_of: Callable[[list[Any]], dict[str, Any]],
) -> list[list[Any]]:
    _version(settings, station_id)  # a 1.6 station is refused before its limits are read
    try:
        return split(action, items, _limits(settings, station_id, action), payload_of)
    except TooLarge as exc:
        raise DeviceModelRefused(str(exc)) from None


def check_id(value: int | None, what: str) -> None:
    if value is not None and not 0 <= value <= WIDEST_REQUEST_ID:
        raise DeviceModelRefused(f"{what} {value}: 0 to {WIDEST_REQUEST_ID}")


def _needed(items: Sequence[Any], what: str) -> None:
    if not items:
        raise DeviceModelRefused(f"name at least one {what}")


# --- variables ---------------------------------------------------------------------------------


def get_variables(
    settings: SendSettings,
    station_id: str,
    refs: Sequence[VariableRef],
    broadcaster: Broadcaster | None = None,
) -> Sent:
    """GetVariables for `refs`, in as many requests as the station's ItemsPerMessage and
    BytesPerMessage [GetVariables] allow; the values it answers are stored with its
    variables."""
    _needed(refs, "variable")
    data = [ref.variable_data() for ref in refs]

    def payload(batch: list[dict]) -> dict[str, Any]:
        return {"getVariableData": batch}

    batches = _split(settings, station_id, "GetVariables", data, payload)
    return send(settings, station_id, "GetVariables", [payload(b) for b in batches], broadcaster)


def set_variables(
    settings: SendSettings,
    station_id: str,
    values: Sequence[tuple[VariableRef, str]],
    broadcaster: Broadcaster | None = None,
) -> Sent:
    """SetVariables, split as [SetVariables] allows; the values the station accepts are
    stored as its variables' values. A station's own password is not set this way (the
    rotation is)."""
    _needed(values, "variable=value")
    data = [{**ref.variable_data(), "attributeValue": value} for ref, value in values]

    def payload(batch: list[dict]) -> dict[str, Any]:
        return {"setVariableData": batch}

    refused = password_fields.refusal("SetVariables", payload(data), station_id)
    if refused is not None:
        raise DeviceModelRefused(refused)
    batches = _split(settings, station_id, "SetVariables", data, payload)
    return send(settings, station_id, "SetVariables", [payload(b) for b in batches], broadcaster)


# --- reports -----------------------------------------------------------------------------------


def base_report(
    settings: SendSettings,
    station_id: str,
    report_base: str,
    broadcaster: Broadcaster | None = None,
) -> Sent:
    """GetBaseReport; the station's NotifyReport parts are stored with its variables."""
    if report_base not in REPORT_BASES:
        raise DeviceModelRefused(f"report base {report_base!r}: one of {', '.join(REPORT_BASES)}")
    payload = {"requestId": new_request_id(), "reportBase": report_base}
    return send(settings, station_id, "GetBaseReport", [payload], broadcaster)


def custom_report(
    settings: SendSettings,
    station_id: str,
    criteria: Sequence[str],
    components: Sequence[VariableRef],
    broadcaster: Broadcaster | None = None,
) -> Sent:
    """GetReport of the components matching `criteria` among `components` (either may be
    empty, not both), split as [GetReport] allows, each request with a requestId of its
    own."""
    if not criteria and not components:
        raise DeviceModelRefused("name component criteria, components, or both")
    head: dict[str, Any] = {"componentCriteria": list(criteria)} if criteria else {}
    if not components:
        payloads = [{"requestId": new_request_id(), **head}]
        return send(settings, station_id, "GetReport", payloads, broadcaster)
    entries = [ref.component_variable() for ref in components]

    def payload(batch: list[dict], request_id: int = WIDEST_REQUEST_ID) -> dict[str, Any]:
        return {"requestId": request_id, **head, "componentVariable": batch}

    batches = _split(settings, station_id, "GetReport", entries, payload)
    payloads = [payload(b, new_request_id()) for b in batches]
    return send(settings, station_id, "GetReport", payloads, broadcaster)


# --- monitoring --------------------------------------------------------------------------------


def set_monitors(
    settings: SendSettings,
    station_id: str,
    monitors: Sequence[Monitor],
    broadcaster: Broadcaster | None = None,
) -> Sent:
    """SetVariableMonitoring, split as MonitoringCtrlr's [SetVariableMonitoring] allows; each
    monitor's result (its id, or why not) is kept with the command's answer."""
    _needed(monitors, "monitor")
    for monitor in monitors:
        if not math.isfinite(monitor.value) or abs(monitor.value) > MAX_MONITOR_VALUE:
            raise DeviceModelRefused(f"a monitor's value {monitor.value}: a finite number")
        check_id(monitor.id, "monitor id")
    data = [monitor.data() for monitor in monitors]

    def payload(batch: list[dict]) -> dict[str, Any]:
        return {"setMonitoringData": batch}

    batches = _split(settings, station_id, "SetVariableMonitoring", data, payload)
    payloads = [payload(b) for b in batches]
    return send(settings, station_id, "SetVariableMonitoring", payloads, broadcaster)


def clear_monitors(
    settings: SendSettings,
    station_id: str,
    ids: Sequence[int],
    broadcaster: Broadcaster | None = None,
) -> Sent:
    """ClearVariableMonitoring of these monitor ids, split as MonitoringCtrlr's
    [ClearVariableMonitoring] allows (N06.FR.04)."""
    _needed(ids, "monitor id")
    for monitor_id in ids:
        check_id(monitor_id, "monitor id")

    def payload(batch: list[int]) -> dict[str, Any]:
        return {"id": batch}

    batches = _split(settings, station_id, "ClearVariableMonitoring", list(ids), payload)
    payloads = [payload(b) for b in batches]
    return send(settings, station_id, "ClearVariableMonitoring", payloads, broadcaster)


def monitoring_base(
    settings: SendSettings, station_id: str, base: str, broadcaster: Broadcaster | None = None
) -> Sent:
    """SetMonitoringBase: which monitors the station keeps active."""
    if base not in MONITORING_BASES:
        raise DeviceModelRefused(f"monitoring base {base!r}: one of {', '.join(MONITORING_BASES)}")
    payload = {"monitoringBase": base}
    return send(settings, station_id, "SetMonitoringBase", [payload], broadcaster)


def monitoring_level(
    settings: SendSettings, station_id: str, severity: int, broadcaster: Broadcaster | None = None
) -> Sent:
    """SetMonitoringLevel: events of this severity (0 Danger to 9 Debug) and graver are
    reported."""
    if severity not in SEVERITIES:
        raise DeviceModelRefused(f"severity {severity}: 0 (Danger) to 9 (Debug)")
    payload = {"severity": severity}
    return send(settings, station_id, "SetMonitoringLevel", [payload], broadcaster)


def monitoring_report(
    settings: SendSettings,
    station_id: str,
    criteria: Sequence[str],
    components: Sequence[VariableRef],
    broadcaster: Broadcaster | None = None,
) -> Sent:
    """GetMonitoringReport of the monitors matching `criteria` on `components` (neither:
    every monitor); the NotifyMonitoringReport parts are stored as the station sent them."""
    payload: dict[str, Any] = {"requestId": new_request_id()}
    if criteria:
        payload["monitoringCriteria"] = list(criteria)
    if components:
        payload["componentVariable"] = [ref.component_variable() for ref in components]
    return send(settings, station_id, "GetMonitoringReport", [payload], broadcaster)


# --- customer information ----------------------------------------------------------------------


def customer_information(
    settings: SendSettings,
    station_id: str,
    report: bool,
    clear: bool,
    id_token: dict[str, str] | None = None,
    customer_identifier: str | None = None,
    customer_certificate: dict[str, str] | None = None,
    broadcaster: Broadcaster | None = None,
) -> Sent:
    """CustomerInformation about one customer, named by exactly one of an idToken, the
    identifier or the certificate (N09.FR.04, N10.FR.08): their data reported, cleared,
    or both. The NotifyCustomerInformation parts are stored as the station sent them;
    once data of a token in the station's Local Authorization List is cleared, the list is
    updated (N10.FR.02)."""
    named = [x for x in (id_token, customer_identifier, customer_certificate) if x is not None]
    if len(named) != 1:
        raise DeviceModelRefused(
            "name the customer by one of: an idToken, a customer identifier, a customer certificate"
        )
    if not report and not clear:
        raise DeviceModelRefused("ask for a report, a clear, or both")
    payload: dict[str, Any] = {"requestId": new_request_id(), "report": report, "clear": clear}
    if id_token is not None:
        payload["idToken"] = id_token
    if customer_identifier is not None:
        payload["customerIdentifier"] = customer_identifier
    if customer_certificate is not None:
        payload["customerCertificate"] = customer_certificate
    return send(settings, station_id, "CustomerInformation", [payload], broadcaster)
