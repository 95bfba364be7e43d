"""OCPP 2.0.1 and 2.1 messages of a simulated charger (a `dialects.Dialect`).

What the simulator sends and answers has the same shape in both versions.
A session is one transaction of TransactionEvents (Started, Updated...,
Ended) whose id the charger makes, on EVSE 1, connector 1.
"""

from __future__ import annotations

import time
import uuid

from ocpp_cable.simulator import customers2, device_model2, display_messages2, monitoring2
from ocpp_cable.simulator.dialects import (
    Answer,
    ConnectorState,
    Message,
    Payload,
    Session,
    Station,
    StopReason,
    get_log,
    unix_time,
    update_firmware,
    utc_now,
    utc_time,
)
from ocpp_cable.simulator.state import Period, Profile, Reservation, schedule_periods, to_watts

ACCEPTED: Payload = {"status": "Accepted"}
REJECTED: Payload = {"status": "Rejected"}
EVSE: Payload = {"id": 1, "connectorId": 1}

# Commands with nothing behind them on a simulated charger.
CANNED: dict[str, Payload] = {
    "ClearCache": ACCEPTED,  # it caches no idTokens
    "DataTransfer": {"status": "UnknownVendorId"},  # it knows no vendor's extensions
    "CostUpdated": {},  # the running cost, shown to the driver
}
# What it cannot do, refused in the words the spec gives for it (it has no
# certificates, tariffs or DER).
REFUSALS: dict[str, Payload] = {
    "CertificateSigned": REJECTED,
    "InstallCertificate": REJECTED,
    "DeleteCertificate": {"status": "NotFound"},
    "GetInstalledCertificateIds": {"status": "NotFound"},
    "PublishFirmware": REJECTED,  # it is no local controller
    "UnpublishFirmware": {"status": "NoFirmware"},
    # 2.1 only
    "AFRRSignal": REJECTED,
    "AdjustPeriodicEventStream": REJECTED,
    "ChangeTransactionTariff": REJECTED,
    "SetDefaultTariff": REJECTED,
    "GetTariffs": {"status": "NoTariff"},
    "SetDERControl": {"status": "NotSupported"},
    "GetDERControl": {"status": "NotSupported"},
    "ClearDERControl": {"status": "NotSupported"},
    "NotifyAllowedEnergyTransfer": REJECTED,
    "RequestBatterySwap": REJECTED,
    "UpdateDynamicSchedule": REJECTED,
    "UsePriorityCharging": {"status": "NoProfile"},
}
PURPOSES = {"ChargingStationMaxProfile": "Max", "TxDefaultProfile": "TxDefault", "TxProfile": "Tx"}
NAMES = {purpose: name for name, purpose in PURPOSES.items()}

# The triggerReason and stoppedReason of the Ended event, by why the session ended.
END_TRIGGERS: dict[StopReason, str] = {
    "EVDisconnected": "EVDeparted",
    "Local": "StopAuthorized",
    "Remote": "RemoteStop",
    "DeAuthorized": "Deauthorized",
    "SoftReset": "ResetCommand",
    "HardReset": "ResetCommand",
    "UnlockCommand": "UnlockCommand",
}
STOPPED_REASONS: dict[StopReason, str] = {
    "SoftReset": "ImmediateReset",
    "HardReset": "ImmediateReset",
    "UnlockCommand": "Other",
}
# 1.6's connector states in 2.x's ConnectorStatusEnumType; None: still Occupied.
STATUSES: dict[str, str | None] = {
    "Available": "Available",
    "Preparing": "Occupied",
    "Charging": None,
    "Finishing": None,
    "Reserved": "Reserved",
    "Unavailable": "Unavailable",
    "Faulted": "Faulted",
}
TRIGGERS = frozenset(
    {"BootNotification", "Heartbeat", "MeterValues", "StatusNotification",
     "TransactionEvent", "FirmwareStatusNotification", "LogStatusNotification"}
)  # fmt: skip


def boot(station_id: str, reason: str = "PowerUp", firmware: str = "1.0") -> Message:
    return "BootNotification", {
        "reason": reason,
        "chargingStation": {
            "model": "Simulator",
            "vendorName": "ocpp-cable",
            "serialNumber": station_id[-25:],
            "firmwareVersion": firmware,
        },
    }


def status(state: ConnectorState) -> Message | None:
    connector_status = STATUSES[state]
    if connector_status is None:
        return None
    return "StatusNotification", {
        "timestamp": utc_now(),
        "connectorStatus": connector_status,
        "evseId": EVSE["id"],
        "connectorId": EVSE["connectorId"],
    }


def heartbeat() -> Message:
    return "Heartbeat", {}


def triggered_meter(session: Session | None, meter_wh: int) -> Message:
    """What a TriggerMessage of MeterValues or TransactionEvent asks for: an Updated
    event of the running transaction, else the register in a MeterValues."""
    sample = {"value": meter_wh, "measurand": "Energy.Active.Import.Register",
              "context": "Trigger"}  # fmt: skip
    if session is None or session.transaction_id is None:
        reading = {"timestamp": utc_now(), "sampledValue": [sample]}
        return "MeterValues", {"evseId": EVSE["id"], "meterValue": [reading]}
    event = transaction_event(session, "Updated", "Trigger", meter_wh, "Trigger")
    return "TransactionEvent", event


def firmware_status(status_name: str, request_id: int | None = None) -> Message:
    payload: Payload = {"status": status_name}
    if request_id is not None:
        payload["requestId"] = request_id
    return "FirmwareStatusNotification", payload


def upload_status(status_name: str, request_id: int | None = None) -> Message:
    payload: Payload = {"status": "UploadFailure" if status_name == "UploadFailed" else status_name}
    if request_id is not None:
        payload["requestId"] = request_id
    return "LogStatusNotification", payload


def authorized(reply: Payload) -> str:
    return reply["idTokenInfo"]["status"]


def id_token(id_tag: str) -> Payload:
    return {"idToken": id_tag, "type": "ISO14443"}


def authorize(id_tag: str) -> Message:
    return "Authorize", {"idToken": id_token(id_tag)}


def start(session: Session, meter_wh: int) -> Message:
    session.transaction_id = str(uuid.uuid4())
    trigger = "RemoteStart" if session.remote else "Authorized"
    event = transaction_event(session, "Started", trigger, meter_wh, "Transaction.Begin")
    event["evse"] = EVSE
    event["idToken"] = id_token(session.id_tag)
    if session.remote_start_id is not None:
        event["transactionInfo"]["remoteStartId"] = session.remote_start_id
    if session.reservation_id is not None:
        event["reservationId"] = session.reservation_id
    return "TransactionEvent", event


def reservation_update(reservation_id: int, status_name: str) -> Message | None:
    return "ReservationStatusUpdate", {
        "reservationId": reservation_id,
        "reservationUpdateStatus": status_name,
    }


def started(session: Session, reply: Payload) -> str:
    """The charger made the transaction's id itself; the idToken's status, if told."""
    return reply.get("idTokenInfo", {}).get("status", "Accepted")


def meter(session: Session, meter_wh: int, power_w: float) -> Message:
    event = transaction_event(
        session, "Updated", "MeterValuePeriodic", meter_wh, "Sample.Periodic", power_w
    )
    return "TransactionEvent", event


def stop(session: Session, meter_wh: int, reason: StopReason) -> Message:
    event = transaction_event(session, "Ended", END_TRIGGERS[reason], meter_wh, "Transaction.End")
    event["transactionInfo"]["stoppedReason"] = STOPPED_REASONS.get(reason, reason)
    return "TransactionEvent", event


def transaction_event(
    session: Session,
    event_type: str,
    trigger: str,
    meter_wh: int,
    context: str,
    power_w: float | None = None,
) -> Payload:
    """A TransactionEvent of `session` with one energy reading (and the power, when
    given); it takes the next seqNo."""
    seq_no, session.seq_no = session.seq_no, session.seq_no + 1
    now = utc_now()
    sample = {"value": meter_wh, "measurand": "Energy.Active.Import.Register", "context": context}
    samples: list[Payload] = [sample]
    if power_w is not None:
        samples.append(
            {"value": round(power_w), "measurand": "Power.Active.Import", "context": context}
        )
    return {
        "eventType": event_type,
        "timestamp": now,
        "triggerReason": trigger,
        "seqNo": seq_no,
        "transactionInfo": {
            "transactionId": session.transaction_id,
            "chargingState": "EVConnected" if event_type == "Ended" else "Charging",
        },
        "meterValue": [{"timestamp": now, "sampledValue": samples}],
    }


def answer(action: str, payload: Payload, station: Station) -> Answer | None:
    handler = HANDLERS.get(action)
    if handler is not None:
        return handler(payload, station)
    reply = CANNED.get(action, REFUSALS.get(action))
    return None if reply is None else Answer(reply)


def _request_start(payload: Payload, station: Station) -> Answer:
    if station.session is not None or payload.get("evseId", 1) != 1:
        return Answer(REJECTED)  # one connector, and it is in use
    id_tag = payload["idToken"]["idToken"]
    group = payload.get("groupIdToken", {}).get("idToken")
    if not station.state.may_start(id_tag, time.time(), group):
        return Answer(REJECTED)  # unavailable, or reserved for someone else
    session = Session(id_tag, remote=True, remote_start_id=payload["remoteStartId"], group=group)
    data = payload.get("chargingProfile")
    if data is not None:
        if data["chargingProfilePurpose"] != "TxProfile":
            return Answer(REJECTED)  # a remote start's profile is its transaction's (K05)
        profile = _profile(data, 1)
        if profile is None:
            return Answer(REJECTED)
        station.state.limits.set(profile)
    return Answer(ACCEPTED, start=session)


def _request_stop(payload: Payload, station: Station) -> Answer:
    session = station.session
    if session is None or session.transaction_id != payload["transactionId"]:
        return Answer(REJECTED)
    return Answer(ACCEPTED, stop="Remote")


def _reset(payload: Payload, station: Station) -> Answer:
    if "evseId" in payload:
        return Answer(REJECTED)  # the whole station resets, not one EVSE
    if payload["type"] == "OnIdle" and station.session is not None:
        return Answer({"status": "Scheduled"}, then=("reset", None))  # after the session
    return Answer(ACCEPTED, then=("reset", "HardReset"))


def _change_availability(payload: Payload, station: Station) -> Answer:
    evse = payload.get("evse", {"id": 1})
    if evse.get("id", 1) not in (0, 1) or evse.get("connectorId", 1) != 1:
        return Answer(REJECTED)
    wanted = payload["operationalStatus"] == "Operative"
    if station.session is not None and not wanted:
        station.state.available_after_session = wanted
        return Answer({"status": "Scheduled"})
    station.state.available = wanted
    station.state.available_after_session = None
    return Answer(ACCEPTED, then=("status", None) if station.session is None else None)


def _unlock(payload: Payload, station: Station) -> Answer:
    if (payload["evseId"], payload["connectorId"]) != (1, 1):
        return Answer({"status": "UnknownConnector"})
    if station.session is not None:
        return Answer({"status": "OngoingAuthorizedTransaction"})
    return Answer({"status": "Unlocked"})


def _trigger(payload: Payload, station: Station) -> Answer:
    message = payload["requestedMessage"]
    if message not in TRIGGERS:
        return Answer({"status": "NotImplemented"})
    if message == "TransactionEvent" and station.session is None:
        return Answer(REJECTED)
    return Answer(ACCEPTED, then=("trigger", message))


def _get_transaction_status(payload: Payload, station: Station) -> Answer:
    session = station.session
    reply: Payload = {"messagesInQueue": False}  # it sends each message at once
    if "transactionId" in payload:
        reply["ongoingIndicator"] = (
            session is not None and session.transaction_id == payload["transactionId"]
        )
    return Answer(reply)


def _send_local_list(payload: Payload, station: Station) -> Answer:
    state, version = station.state, payload["versionNumber"]
    entries = payload.get("localAuthorizationList", [])
    if payload["updateType"] == "Full":
        state.local_list = {
            e["idToken"]["idToken"]: e["idTokenInfo"] for e in entries if "idTokenInfo" in e
        }
    else:
        if version <= state.local_list_version:
            return Answer({"status": "VersionMismatch"})  # D01.FR.19
        for entry in entries:
            token = entry["idToken"]["idToken"]
            if "idTokenInfo" in entry:
                state.local_list[token] = entry["idTokenInfo"]
            else:
                state.local_list.pop(token, None)
    state.local_list_version = version
    return Answer(ACCEPTED)


def _local_list_version(payload: Payload, station: Station) -> Answer:
    return Answer({"versionNumber": station.state.local_list_version})


def _reserve(payload: Payload, station: Station) -> Answer:
    state, now = station.state, time.time()
    if payload.get("evseId", 1) != 1:
        return Answer(REJECTED)  # one EVSE (none named: any, so this one)
    if not state.available:
        return Answer({"status": "Unavailable"})
    held = state.reservation_holds(now)
    if station.session is not None or (held is not None and held.reservation_id != payload["id"]):
        return Answer({"status": "Occupied"})
    group = payload.get("groupIdToken", {}).get("idToken")
    reservation = Reservation(
        payload["id"], payload["idToken"]["idToken"], unix_time(payload["expiryDateTime"]), group
    )
    state.reservation = reservation  # the same id replaces it (H01.FR.02)
    return Answer(ACCEPTED, then=("reserved", reservation))


def _cancel_reservation(payload: Payload, station: Station) -> Answer:
    held = station.state.reservation_holds(time.time())
    if held is None or held.reservation_id != payload["reservationId"]:
        return Answer(REJECTED)
    station.state.reservation = None
    removed = reservation_update(held.reservation_id, "Removed")
    return Answer(ACCEPTED, then=("status", [removed]))


def _profile(data: Payload, evse_id: int) -> Profile | None:
    """The profile in the words both versions share; None if it has a period without a
    limit (2.1: a setpoint only), which it cannot follow."""
    schedule = data["chargingSchedule"][0]  # the first (the others are for ISO 15118)
    unit = schedule["chargingRateUnit"]
    if any("limit" not in p for p in schedule["chargingSchedulePeriod"]):
        return None
    starts_at = None
    if data["chargingProfileKind"] != "Relative" and "startSchedule" in schedule:
        starts_at = unix_time(schedule["startSchedule"])
    periods = [
        Period(p["startPeriod"], to_watts(p["limit"], unit, p.get("numberPhases")))
        for p in schedule["chargingSchedulePeriod"]
    ]
    return Profile(
        data["id"],
        data["stackLevel"],
        PURPOSES[data["chargingProfilePurpose"]],
        periods,
        starts_at,
        schedule.get("duration"),
        data.get("transactionId"),
        evse_id,
        data,
    )


def _set_charging_profile(payload: Payload, station: Station) -> Answer:
    data, evse_id = payload["chargingProfile"], payload["evseId"]
    purpose = data["chargingProfilePurpose"]
    if evse_id not in (0, 1) or purpose not in PURPOSES:
        return Answer(REJECTED)  # one EVSE; ExternalConstraints are not the CSMS's (K01.FR.22)
    if purpose == "ChargingStationMaxProfile" and evse_id != 0:
        return Answer(REJECTED)  # the station's limit is set on EVSE 0 (K01.FR.38)
    if purpose == "TxProfile":
        session = station.session
        if evse_id != 1 or session is None or session.transaction_id is None:
            return Answer(REJECTED)  # a TxProfile needs its transaction running (K01.FR.09)
        if data.get("transactionId", session.transaction_id) != session.transaction_id:
            return Answer(REJECTED)
        data = {**data, "transactionId": session.transaction_id}  # bound to it
    profile = _profile(data, evse_id)
    if profile is None:
        return Answer(REJECTED)
    station.state.limits.set(profile)
    return Answer(ACCEPTED)


def _matching(station: Station, evse_id: int | None, criteria: Payload) -> list[Profile]:
    """The profiles held on `evse_id` (None: any) matching every criterion given."""
    ids = criteria.get("chargingProfileId")
    purpose = criteria.get("chargingProfilePurpose")
    sources = criteria.get("chargingLimitSource")
    if sources is not None and "CSO" not in sources:
        return []  # every profile it holds is the central system's
    return [
        p
        for p in station.state.limits.profiles.values()
        if (evse_id is None or p.evse_id == evse_id)
        and (ids is None or p.profile_id in ids)
        and (purpose is None or NAMES[p.purpose] == purpose)
        and criteria.get("stackLevel", p.stack_level) == p.stack_level
    ]


def _clear_charging_profile(payload: Payload, station: Station) -> Answer:
    if "chargingProfileId" in payload:
        gone = [p for p in station.state.limits.profiles.values()
                if p.profile_id == payload["chargingProfileId"]]  # fmt: skip
    else:
        criteria = payload.get("chargingProfileCriteria", {})
        gone = _matching(station, criteria.get("evseId"), criteria)
    for profile in gone:
        station.state.limits.clear(profile.profile_id)
    return Answer(ACCEPTED if gone else {"status": "Unknown"})


def _get_charging_profiles(payload: Payload, station: Station) -> Answer:
    found = _matching(station, payload.get("evseId"), payload["chargingProfile"])
    if not found:
        return Answer({"status": "NoProfiles"})
    by_evse: dict[int, list[Payload]] = {}
    for profile in sorted(found, key=lambda p: (p.evse_id, p.profile_id)):
        by_evse.setdefault(profile.evse_id, []).append(profile.data or {})
    reports: list[Message] = []
    for n, (evse_id, profiles) in enumerate(by_evse.items(), 1):
        report: Payload = {
            "requestId": payload["requestId"],
            "chargingLimitSource": "CSO",
            "evseId": evse_id,
            "chargingProfile": profiles,
        }
        if n < len(by_evse):
            report["tbc"] = True  # more reports follow (K09.FR.04)
        reports.append(("ReportChargingProfiles", report))
    return Answer(ACCEPTED, then=("send", reports))


def _composite_schedule(payload: Payload, station: Station) -> Answer:
    if payload["evseId"] not in (0, 1):
        return Answer(REJECTED)
    unit = payload.get("chargingRateUnit", "W")
    now = float(int(time.time()))
    session = station.session
    started = session.started_at if session is not None else None
    periods = station.state.limits.composite(now, payload["duration"], started)
    return Answer(
        {
            "status": "Accepted",
            "schedule": {
                "evseId": payload["evseId"],
                "duration": payload["duration"],
                "scheduleStart": utc_time(now),
                "chargingRateUnit": unit,
                "chargingSchedulePeriod": schedule_periods(periods, station.max_power_w, unit),
            },
        }
    )


HANDLERS = {
    "SendLocalList": _send_local_list,
    "GetLocalListVersion": _local_list_version,
    "ReserveNow": _reserve,
    "CancelReservation": _cancel_reservation,
    "SetChargingProfile": _set_charging_profile,
    "ClearChargingProfile": _clear_charging_profile,
    "GetChargingProfiles": _get_charging_profiles,
    "GetCompositeSchedule": _composite_schedule,
    "GetTransactionStatus": _get_transaction_status,
    "UpdateFirmware": update_firmware,
    "GetLog": get_log,
    "RequestStartTransaction": _request_start,
    "RequestStopTransaction": _request_stop,
    "Reset": _reset,
    "ChangeAvailability": _change_availability,
    "UnlockConnector": _unlock,
    "TriggerMessage": _trigger,
    # The device model, monitors, display messages and customer data: kept apart.
    **device_model2.HANDLERS,
    **monitoring2.HANDLERS,
    **display_messages2.HANDLERS,
    **customers2.HANDLERS,
}
