"""OCPP 1.6 messages of a simulated charger (a `dialects.Dialect`)."""

from __future__ import annotations

from ocpp_cable.simulator.dialects import (
    Answer,
    Message,
    Payload,
    Session,
    Station,
    StopReason,
    utc_now,
)

ACCEPTED: Payload = {"status": "Accepted"}
REJECTED: Payload = {"status": "Rejected"}

# Commands accepted as they come: the simulator has nothing behind them.
CANNED: dict[str, Payload] = {
    "Reset": ACCEPTED,
    "TriggerMessage": ACCEPTED,
    "ChangeConfiguration": ACCEPTED,
    "UnlockConnector": {"status": "Unlocked"},
    "ChangeAvailability": ACCEPTED,
    "ClearCache": ACCEPTED,
    "DataTransfer": ACCEPTED,
}


def boot(station_id: str) -> Message:
    return "BootNotification", {
        "chargePointVendor": "ocpp-cable",
        "chargePointModel": "Simulator",
        "chargePointSerialNumber": station_id[-25:],
        "firmwareVersion": "1.0",
    }


def status(occupied: bool) -> Message:
    state = "Preparing" if occupied else "Available"
    return "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": state}


def authorize(id_tag: str) -> Message:
    return "Authorize", {"idTag": id_tag}


def start(session: Session, meter_wh: int) -> Message:
    return "StartTransaction", {
        "connectorId": 1,
        "idTag": session.id_tag,
        "meterStart": meter_wh,
        "timestamp": utc_now(),
    }


def started(session: Session, reply: Payload) -> None:
    session.transaction_id = reply["transactionId"]


def meter(session: Session, meter_wh: int) -> Message:
    return "MeterValues", meter_values(meter_wh, session.transaction_id)


def meter_values(
    meter_wh: int, transaction_id: int | str | None = None, context: str = "Sample.Periodic"
) -> Payload:
    payload: Payload = {
        "connectorId": 1,
        "meterValue": [
            {
                "timestamp": utc_now(),
                "sampledValue": [
                    {"value": str(meter_wh), "measurand": "Energy.Active.Import.Register",
                     "unit": "Wh", "context": context},
                    {"value": "7200", "measurand": "Power.Active.Import", "unit": "W"},
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


def answer(action: str, payload: Payload, station: Station) -> Answer | None:
    if action == "GetConfiguration":
        return Answer(configuration(payload.get("key"), station))
    if action == "RemoteStartTransaction":
        if station.session is not None:
            return Answer(REJECTED)  # one connector, and it is in use
        return Answer(ACCEPTED, start=Session(payload["idTag"], remote=True))
    if action == "RemoteStopTransaction":
        session = station.session
        if session is None or session.transaction_id != payload["transactionId"]:
            return Answer(REJECTED)
        return Answer(ACCEPTED, stop=True)
    reply = CANNED.get(action)
    return None if reply is None else Answer(reply)


def configuration(keys: list[str] | None, station: Station) -> Payload:
    """GetConfiguration's answer: the keys asked for, all of them when none are named."""
    known = {"HeartbeatInterval": str(station.heartbeat_interval)}
    asked = keys or list(known)
    reply: Payload = {
        "configurationKey": [
            {"key": key, "readonly": False, "value": known[key]} for key in asked if key in known
        ]
    }
    unknown = [key for key in asked if key not in known]
    if unknown:
        reply["unknownKey"] = unknown
    return reply
