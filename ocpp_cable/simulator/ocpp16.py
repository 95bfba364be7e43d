"""OCPP 1.6 messages of a simulated charger (a `dialects.Dialect`)."""

from __future__ import annotations

import time

from ocpp_cable.simulator.dialects import (
    Answer,
    ConnectorState,
    Message,
    Payload,
    Session,
    Station,
    StopReason,
    Update,
    get_log,
    unix_time,
    update_firmware,
    utc_now,
    utc_time,
)
from ocpp_cable.simulator.state import Period, Profile, Reservation, schedule_periods, to_watts

ACCEPTED: Payload = {"status": "Accepted"}
REJECTED: Payload = {"status": "Rejected"}

# Commands with nothing behind them on a simulated charger.
CANNED: dict[str, Payload] = {
    "ClearCache": ACCEPTED,  # it caches no idTags
    "DataTransfer": {"status": "UnknownVendorId"},  # it knows no vendor's extensions
    # The security extension's certificates: it holds none and takes none (it connects
    # with a password), so it refuses them with the statuses the extension gives.
    "CertificateSigned": REJECTED,
    "InstallCertificate": REJECTED,
    "DeleteCertificate": {"status": "NotFound"},
    "GetInstalledCertificateIds": {"status": "NotFound"},
}

# The configuration keys it keeps, and their values at boot; ChangeConfiguration
# changes these (HeartbeatInterval is the interval it heartbeats at).
CONFIGURATION: dict[str, str] = {
    "HeartbeatInterval": "300",
    "MeterValueSampleInterval": "5",
    "ConnectionTimeOut": "60",
    "LocalAuthListEnabled": "true",
    "LocalPreAuthorize": "false",
    "AuthorizeRemoteTxRequests": "false",
    "StopTransactionOnInvalidId": "true",
    "MeterValuesSampledData": "Energy.Active.Import.Register,Power.Active.Import",
    "NumberOfConnectors": "1",
}
READ_ONLY = frozenset({"NumberOfConnectors"})
TRIGGERS = frozenset(
    {
        "BootNotification",
        "DiagnosticsStatusNotification",
        "FirmwareStatusNotification",
        "Heartbeat",
        "MeterValues",
        "StatusNotification",
    }
)
PURPOSES = {"ChargePointMaxProfile": "Max", "TxDefaultProfile": "TxDefault", "TxProfile": "Tx"}


def boot(station_id: str, reason: str = "PowerUp", firmware: str = "1.0") -> Message:
    return "BootNotification", {
        "chargePointVendor": "ocpp-cable",
        "chargePointModel": "Simulator",
        "chargePointSerialNumber": station_id[-25:],
        "firmwareVersion": firmware,
    }


def status(state: ConnectorState) -> Message | None:
    return "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": state}


def authorize(id_tag: str) -> Message:
    return "Authorize", {"idTag": id_tag}


def authorized(reply: Payload) -> str:
    return reply["idTagInfo"]["status"]


def start(session: Session, meter_wh: int) -> Message:
    payload: Payload = {
        "connectorId": 1,
        "idTag": session.id_tag,
        "meterStart": meter_wh,
        "timestamp": utc_now(),
    }
    if session.reservation_id is not None:
        payload["reservationId"] = session.reservation_id
    return "StartTransaction", payload


def started(session: Session, reply: Payload) -> str:
    # The transaction exists even when its idTag is refused: it is stopped, not dropped.
    session.transaction_id = reply["transactionId"]
    return reply["idTagInfo"]["status"]


def meter(session: Session, meter_wh: int, power_w: float) -> Message:
    return "MeterValues", meter_values(meter_wh, session.transaction_id, power_w=power_w)


def meter_values(
    meter_wh: int,
    transaction_id: int | str | None = None,
    context: str = "Sample.Periodic",
    power_w: float = 0.0,
) -> Payload:
    payload: Payload = {
        "connectorId": 1,
        "meterValue": [
            {
                "timestamp": utc_now(),
                "sampledValue": [
                    {"value": str(meter_wh), "measurand": "Energy.Active.Import.Register",
                     "unit": "Wh", "context": context},
                    {"value": str(round(power_w)), "measurand": "Power.Active.Import",
                     "unit": "W", "context": context},
                ],
            }
        ],
    }  # fmt: skip
    if transaction_id is not None:
        payload["transactionId"] = transaction_id
    return payload


def stop(session: Session, meter_wh: int, reason: StopReason) -> Message:
    return "StopTransaction", {
        "transactionId": session.transaction_id,
        "meterStop": meter_wh,
        "timestamp": utc_now(),
        "idTag": session.id_tag,
        "reason": reason,
    }


def reservation_update(reservation_id: int, status_name: str) -> Message | None:
    return None  # 1.6 has no word for it: the connector's status says it


def heartbeat() -> Message:
    return "Heartbeat", {}


def triggered_meter(session: Session | None, meter_wh: int) -> Message:
    """The MeterValues a TriggerMessage asked for: the register now."""
    transaction_id = session.transaction_id if session is not None else None
    return "MeterValues", meter_values(meter_wh, transaction_id, context="Trigger")


def firmware_status(status_name: str, request_id: int | None = None) -> Message:
    """An UpdateFirmware's status; a SignedUpdateFirmware's (the security extension's,
    with its requestId) when there is a request id."""
    if request_id is None:
        return "FirmwareStatusNotification", {"status": status_name}
    return "SignedFirmwareStatusNotification", {"status": status_name, "requestId": request_id}


def upload_status(status_name: str, request_id: int | None = None) -> Message:
    """A GetDiagnostics' upload status; a GetLog's (the security extension's, with its
    requestId) when there is a request id."""
    if request_id is None:
        return "DiagnosticsStatusNotification", {"status": status_name}
    status = "UploadFailure" if status_name == "UploadFailed" else status_name
    return "LogStatusNotification", {"status": status, "requestId": request_id}


def answer(action: str, payload: Payload, station: Station) -> Answer | None:
    handler = HANDLERS.get(action)
    if handler is not None:
        return handler(payload, station)
    reply = CANNED.get(action)
    return None if reply is None else Answer(reply)


def configuration(keys: list[str] | None, station: Station) -> Payload:
    """GetConfiguration's answer: the keys asked for, all of them when none are named."""
    known = _configuration(station)
    asked = keys or list(known)
    reply: Payload = {
        "configurationKey": [
            {"key": key, "readonly": key in READ_ONLY, "value": known[key]}
            for key in asked
            if key in known
        ]
    }
    unknown = [key for key in asked if key not in known]
    if unknown:
        reply["unknownKey"] = unknown
    return reply


def _configuration(station: Station) -> dict[str, str]:
    known = {**CONFIGURATION, **station.state.configuration}
    known["HeartbeatInterval"] = str(station.state.heartbeat_interval)
    return known


def _get_configuration(payload: Payload, station: Station) -> Answer:
    return Answer(configuration(payload.get("key"), station))


def _change_configuration(payload: Payload, station: Station) -> Answer:
    key, value = payload["key"], payload["value"]
    if key == "AuthorizationKey":
        # The security whitepaper's new password, as hexadecimal digits; it is write-only
        # (never reported), and the charger comes back with it at once.
        if not 16 <= len(value) <= 40:
            return Answer(REJECTED)
        return Answer(ACCEPTED, then=("password", value))
    if key not in CONFIGURATION:
        return Answer({"status": "NotSupported"})
    if key in READ_ONLY:
        return Answer(REJECTED)
    numeric = ("HeartbeatInterval", "MeterValueSampleInterval", "ConnectionTimeOut")
    if key in numeric and not value.isdigit():
        return Answer(REJECTED)
    if key == "HeartbeatInterval":
        station.state.heartbeat_interval = int(value)
    station.state.configuration[key] = value
    return Answer(ACCEPTED)


def _reset(payload: Payload, station: Station) -> Answer:
    reason: StopReason = "HardReset" if payload["type"] == "Hard" else "SoftReset"
    return Answer(ACCEPTED, then=("reset", reason))


def _change_availability(payload: Payload, station: Station) -> Answer:
    if payload["connectorId"] not in (0, 1):
        return Answer(REJECTED)
    wanted = payload["type"] == "Operative"
    if station.session is not None and not wanted:
        station.state.available_after_session = wanted  # after the session (1.6 5.2)
        return Answer({"status": "Scheduled"})
    station.state.available = wanted
    station.state.available_after_session = None
    return Answer(ACCEPTED, then=("status", None) if station.session is None else None)


def _remote_start(payload: Payload, station: Station) -> Answer:
    if payload.get("connectorId", 1) != 1 or station.session is not None:
        return Answer(REJECTED)  # one connector, and it is in use
    id_tag = payload["idTag"]
    if not station.state.may_start(id_tag, time.time()):
        return Answer(REJECTED)  # unavailable, or reserved for someone else
    session = Session(id_tag, remote=True)
    profile = payload.get("chargingProfile")
    if profile is not None:
        if profile["chargingProfilePurpose"] != "TxProfile":
            return Answer(REJECTED)
        station.state.limits.set(_profile(profile))
    return Answer(ACCEPTED, start=session)


def _remote_stop(payload: Payload, station: Station) -> Answer:
    session = station.session
    if session is None or session.transaction_id != payload["transactionId"]:
        return Answer(REJECTED)
    return Answer(ACCEPTED, stop="Remote")


def _unlock(payload: Payload, station: Station) -> Answer:
    if payload["connectorId"] != 1:
        return Answer({"status": "NotSupported"})
    if station.session is not None:
        return Answer({"status": "Unlocked"}, stop="UnlockCommand")
    return Answer({"status": "Unlocked"})


def _trigger(payload: Payload, station: Station) -> Answer:
    message = payload["requestedMessage"]
    if payload.get("connectorId", 1) not in (0, 1):
        return Answer(REJECTED)
    if message not in TRIGGERS:
        return Answer({"status": "NotImplemented"})
    return Answer(ACCEPTED, then=("trigger", message))


def _send_local_list(payload: Payload, station: Station) -> Answer:
    state, version = station.state, payload["listVersion"]
    entries = payload.get("localAuthorizationList", [])
    if payload["updateType"] == "Full":
        state.local_list = {e["idTag"]: e["idTagInfo"] for e in entries if "idTagInfo" in e}
    else:
        if version <= state.local_list_version:
            return Answer({"status": "VersionMismatch"})
        for entry in entries:
            if "idTagInfo" in entry:
                state.local_list[entry["idTag"]] = entry["idTagInfo"]
            else:
                state.local_list.pop(entry["idTag"], None)
    state.local_list_version = version
    return Answer(ACCEPTED)


def _local_list_version(payload: Payload, station: Station) -> Answer:
    return Answer({"listVersion": station.state.local_list_version})


def _reserve(payload: Payload, station: Station) -> Answer:
    state, now = station.state, time.time()
    if payload["connectorId"] not in (0, 1):
        return Answer(REJECTED)
    if not state.available:
        return Answer({"status": "Unavailable"})
    held = state.reservation_holds(now)
    if station.session is not None or (
        held is not None and held.reservation_id != payload["reservationId"]
    ):
        return Answer({"status": "Occupied"})
    state.reservation = Reservation(
        payload["reservationId"],
        payload["idTag"],
        unix_time(payload["expiryDate"]),
        payload.get("parentIdTag"),
    )
    return Answer(ACCEPTED, then=("reserved", state.reservation))


def _cancel_reservation(payload: Payload, station: Station) -> Answer:
    held = station.state.reservation_holds(time.time())
    if held is None or held.reservation_id != payload["reservationId"]:
        return Answer(REJECTED)
    station.state.reservation = None
    return Answer(ACCEPTED, then=("status", None))


def _profile(data: Payload) -> Profile:
    schedule = data["chargingSchedule"]
    unit = schedule["chargingRateUnit"]
    starts_at = None
    if data["chargingProfileKind"] == "Absolute" and "startSchedule" in schedule:
        starts_at = unix_time(schedule["startSchedule"])
    elif data["chargingProfileKind"] == "Recurring" and "startSchedule" in schedule:
        starts_at = unix_time(schedule["startSchedule"])  # its first occurrence
    periods = [
        Period(p["startPeriod"], to_watts(p["limit"], unit, p.get("numberPhases")))
        for p in schedule["chargingSchedulePeriod"]
    ]
    return Profile(
        data["chargingProfileId"],
        data["stackLevel"],
        PURPOSES[data["chargingProfilePurpose"]],
        periods,
        starts_at,
        schedule.get("duration"),
        data.get("transactionId"),
    )


def _set_charging_profile(payload: Payload, station: Station) -> Answer:
    data = payload["csChargingProfiles"]
    purpose = data["chargingProfilePurpose"]
    if payload["connectorId"] not in (0, 1):
        return Answer(REJECTED)
    if purpose == "ChargePointMaxProfile" and payload["connectorId"] != 0:
        return Answer(REJECTED)  # the station's limit is set on connector 0
    if purpose == "TxProfile":
        session = station.session
        if session is None or data.get("transactionId", session.transaction_id) != (
            session.transaction_id
        ):
            return Answer(REJECTED)  # a TxProfile needs its transaction running
    station.state.limits.set(_profile(data))
    return Answer(ACCEPTED)


def _clear_charging_profile(payload: Payload, station: Station) -> Answer:
    if payload.get("connectorId", 1) not in (0, 1):
        return Answer({"status": "Unknown"})
    purpose = payload.get("chargingProfilePurpose")
    cleared = station.state.limits.clear(
        payload.get("id"), PURPOSES[purpose] if purpose else None, payload.get("stackLevel")
    )
    return Answer(ACCEPTED if cleared else {"status": "Unknown"})


def _composite_schedule(payload: Payload, station: Station) -> Answer:
    if payload["connectorId"] not in (0, 1):
        return Answer(REJECTED)
    unit = payload.get("chargingRateUnit", "W")
    now = float(int(time.time()))
    session = station.session
    started = session.started_at if session is not None else None
    periods = station.state.limits.composite(now, payload["duration"], started)
    schedule = schedule_periods(periods, station.max_power_w, unit)
    return Answer(
        {
            "status": "Accepted",
            "connectorId": payload["connectorId"],
            "scheduleStart": utc_time(now),
            "chargingSchedule": {
                "duration": payload["duration"],
                "chargingRateUnit": unit,
                "chargingSchedulePeriod": schedule,
            },
        }
    )


def _update_firmware(payload: Payload, station: Station) -> Answer:
    update = Update(payload["location"], None, unix_time(payload["retrieveDate"]))
    return Answer({}, then=("firmware", update))


def _get_diagnostics(payload: Payload, station: Station) -> Answer:
    name = f"diagnostics-{int(time.time())}.txt"
    return Answer({"fileName": name}, then=("diagnostics", (payload["location"], name)))


def _extended_trigger(payload: Payload, station: Station) -> Answer:
    """The security extension's ExtendedTriggerMessage; its firmware and log statuses are
    the extension's messages."""
    message = payload["requestedMessage"]
    if payload.get("connectorId", 1) not in (0, 1):
        return Answer(REJECTED)
    if message == "FirmwareStatusNotification":
        idle = ("SignedFirmwareStatusNotification", {"status": "Idle"})
        return Answer(ACCEPTED, then=("send", [idle]))
    if message == "LogStatusNotification":
        return Answer(ACCEPTED, then=("send", [("LogStatusNotification", {"status": "Idle"})]))
    if message not in TRIGGERS:
        return Answer({"status": "NotImplemented"})  # SignChargePointCertificate
    return Answer(ACCEPTED, then=("trigger", message))


HANDLERS = {
    "GetConfiguration": _get_configuration,
    "ChangeConfiguration": _change_configuration,
    "Reset": _reset,
    "ChangeAvailability": _change_availability,
    "RemoteStartTransaction": _remote_start,
    "RemoteStopTransaction": _remote_stop,
    "UnlockConnector": _unlock,
    "TriggerMessage": _trigger,
    "SendLocalList": _send_local_list,
    "GetLocalListVersion": _local_list_version,
    "ReserveNow": _reserve,
    "CancelReservation": _cancel_reservation,
    "SetChargingProfile": _set_charging_profile,
    "ClearChargingProfile": _clear_charging_profile,
    "GetCompositeSchedule": _composite_schedule,
    "UpdateFirmware": _update_firmware,
    "GetDiagnostics": _get_diagnostics,
    "GetLog": get_log,  # the security extension's, 2.0.1's shape
    "SignedUpdateFirmware": update_firmware,
    "ExtendedTriggerMessage": _extended_trigger,
}
