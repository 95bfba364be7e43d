"""OCPP 2.0.1 and 2.1 messages of a simulated charger (a `dialects.Dialect`).

What the simulator sends and answers has the same shape in both versions.
A session is one transaction of TransactionEvents (Started, Updated...,
Ended) whose id the charger makes, on EVSE 1, connector 1.
"""

from __future__ import annotations

import uuid

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
EVSE: Payload = {"id": 1, "connectorId": 1}

# Commands accepted as they come: the simulator has nothing behind them.
CANNED: dict[str, Payload] = {
    "Reset": ACCEPTED,
    "TriggerMessage": ACCEPTED,
    "UnlockConnector": {"status": "Unlocked"},
    "ChangeAvailability": ACCEPTED,
    "ClearCache": ACCEPTED,
    "DataTransfer": ACCEPTED,
    "CostUpdated": {},  # the running cost, shown to the driver
}

# The triggerReason of the Ended event, by why the session ended.
END_TRIGGERS: dict[StopReason, str] = {
    "EVDisconnected": "EVDeparted",
    "Local": "StopAuthorized",
    "Remote": "RemoteStop",
}

# The one variable the simulator has (1.6: the HeartbeatInterval configuration key).
HEARTBEAT = ("OCPPCommCtrlr", "HeartbeatInterval")


def boot(station_id: str) -> Message:
    return "BootNotification", {
        "reason": "PowerUp",
        "chargingStation": {
            "model": "Simulator",
            "vendorName": "ocpp-cable",
            "serialNumber": station_id[-25:],
            "firmwareVersion": "1.0",
        },
    }


def status(occupied: bool) -> Message:
    return "StatusNotification", {
        "timestamp": utc_now(),
        "connectorStatus": "Occupied" if occupied else "Available",
        "evseId": EVSE["id"],
        "connectorId": EVSE["connectorId"],
    }


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
    return "TransactionEvent", event


def started(session: Session, reply: Payload) -> None:
    """Nothing to take: the charger made the transaction's id itself."""


def meter(session: Session, meter_wh: int) -> Message:
    event = transaction_event(session, "Updated", "MeterValuePeriodic", meter_wh, "Sample.Periodic")
    return "TransactionEvent", event


def stop(session: Session, meter_wh: int, reason: StopReason) -> Message:
    event = transaction_event(session, "Ended", END_TRIGGERS[reason], meter_wh, "Transaction.End")
    event["transactionInfo"]["stoppedReason"] = reason
    return "TransactionEvent", event


def transaction_event(
    session: Session, event_type: str, trigger: str, meter_wh: int, context: str
) -> Payload:
    """A TransactionEvent of `session` with one energy reading; it takes the next seqNo."""
    seq_no, session.seq_no = session.seq_no, session.seq_no + 1
    now = utc_now()
    sample = {"value": meter_wh, "measurand": "Energy.Active.Import.Register", "context": context}
    return {
        "eventType": event_type,
        "timestamp": now,
        "triggerReason": trigger,
        "seqNo": seq_no,
        "transactionInfo": {
            "transactionId": session.transaction_id,
            "chargingState": "EVConnected" if event_type == "Ended" else "Charging",
        },
        "meterValue": [{"timestamp": now, "sampledValue": [sample]}],
    }


def answer(action: str, payload: Payload, station: Station) -> Answer | None:
    if action == "GetVariables":
        results = [variable_result(data, station) for data in payload["getVariableData"]]
        return Answer({"getVariableResult": results})
    if action == "SetVariables":
        results = [
            {"attributeStatus": "Accepted", "component": d["component"], "variable": d["variable"]}
            for d in payload["setVariableData"]
        ]
        return Answer({"setVariableResult": results})
    if action == "RequestStartTransaction":
        if station.session is not None:
            return Answer(REJECTED)  # one connector, and it is in use
        session = Session(
            payload["idToken"]["idToken"], remote=True, remote_start_id=payload["remoteStartId"]
        )
        return Answer(ACCEPTED, start=session)
    if action == "RequestStopTransaction":
        session = station.session
        if session is None or session.transaction_id != payload["transactionId"]:
            return Answer(REJECTED)
        return Answer(ACCEPTED, stop=True)
    reply = CANNED.get(action)
    return None if reply is None else Answer(reply)


def variable_result(data: Payload, station: Station) -> Payload:
    """GetVariables' result for one GetVariableData: the heartbeat interval, or unknown."""
    component, variable = data["component"], data["variable"]
    result: Payload = {"component": component, "variable": variable}
    if "attributeType" in data:
        result["attributeType"] = data["attributeType"]
    if component["name"] != HEARTBEAT[0]:
        result["attributeStatus"] = "UnknownComponent"
    elif variable["name"] != HEARTBEAT[1]:
        result["attributeStatus"] = "UnknownVariable"
    elif data.get("attributeType", "Actual") != "Actual":
        result["attributeStatus"] = "NotSupportedAttributeType"  # no target, no limits
    else:
        result["attributeStatus"] = "Accepted"
        result["attributeValue"] = str(station.heartbeat_interval)
    return result
