"""The OCA test tool's reusable states for the 2.0.1 CSMS cases, in one place: what its
station sends to reach a state (Booted, Authorized, EVConnectedPreSession,
EnergyTransferStarted, ...) and what it checks of the central system's answers on the way.

A case's transaction is a `Tx`: the station playing it, the station's transactionId, the
EVSE and connector, the driver's idToken, and the transaction's own seqNo counter (a new
transaction starts again at 0) and clock (each message a minute after the one before). A
state function takes the Tx and returns the central system's answer to its last message;
an answer the state's tool validations refuse, or a CALLERROR, fails the case there.

The operator's side of a state (Unavailable: a ChangeAvailability the CSMS sends) goes
through the HTTP API's command of its own (`operate`); a command that has none yet is
written out in full (`command`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ocpp.v201 import call

from ocpp_cable.channels.storage.models import (
    Connector,
    StationNotification,
    Transaction,
    TransactionEvent,
)
from tests.support.conformance import CSMS, Station201

# The idToken the cases' tool is configured with as valid (`system.seed()` accepts TAG-1).
VALID_TOKEN = {"id_token": "TAG-1", "type": "ISO14443"}
START = datetime.fromisoformat("2026-12-01T10:00:00+00:00")
# A sampledValue's signedMeterValue as a station with a signing meter sends it (OCMF,
# base64-encoded), and as the central system keeps it: a SignedData reading beside the
# value, holding the object as sent.
SIGNED_METER_VALUE = {
    "signed_meter_data": "T0NNRnx7IkZWIjoiMS4wIn18eyJTRCI6IjMwNDUifQ==",
    "signing_method": "ECDSA-secp256r1-SHA256",
    "encoding_method": "OCMF",
    "public_key": "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEexample",
}
SIGNED_AS_KEPT = json.dumps(
    {
        "signedMeterData": SIGNED_METER_VALUE["signed_meter_data"],
        "signingMethod": SIGNED_METER_VALUE["signing_method"],
        "encodingMethod": SIGNED_METER_VALUE["encoding_method"],
        "publicKey": SIGNED_METER_VALUE["public_key"],
    },
    separators=(",", ":"),
)


def at(minutes: int) -> str:
    """A timestamp `minutes` after the cases' start."""
    return (START + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


async def sent(cp: Station201, payload: Any) -> Any:
    """Send `payload`, the central system's answer: a CALLERROR fails the case."""
    answer = await cp.call(payload, suppress=False)
    assert answer is not None
    return answer


def accepted(answer: Any) -> None:
    """The answer's idTokenInfo says Accepted (TransactionEventResponse, AuthorizeResponse)."""
    assert answer.id_token_info is not None, "the answer holds no idTokenInfo"
    assert answer.id_token_info["status"] == "Accepted", answer.id_token_info


@dataclass
class Tx:
    """A transaction as the tool's station plays it."""

    cp: Station201
    transaction_id: str = "tx-1"
    evse_id: int = 1
    connector_id: int = 1
    token: dict[str, str] = field(default_factory=lambda: dict(VALID_TOKEN))
    seq_no: int = 0  # the next event's
    minute: int = 0  # the last message's time, in minutes after START
    # What the central system answered, event by event: (seqNo, eventType, triggerReason).
    answered: list[tuple[int, str, str]] = field(default_factory=list)

    def tick(self) -> str:
        self.minute += 1
        return at(self.minute)

    @property
    def evse(self) -> dict[str, int]:
        return {"id": self.evse_id, "connector_id": self.connector_id}

    async def event(
        self, event_type: str, trigger: str, *, with_evse: bool = False, **fields: Any
    ) -> Any:
        """A TransactionEvent of this transaction (its next seqNo); `info` adds to its
        transactionInfo, `with_evse` names its EVSE and connector."""
        info = {"transaction_id": self.transaction_id, **fields.pop("info", {})}
        if with_evse:
            fields["evse"] = self.evse
        payload = call.TransactionEvent(
            event_type=event_type, timestamp=self.tick(), trigger_reason=trigger,
            seq_no=self.seq_no, transaction_info=info, **fields,
        )  # fmt: skip
        self.seq_no += 1
        answer = await sent(self.cp, payload)
        self.answered.append((payload.seq_no, event_type, trigger))
        return answer


# --- the station's own messages the states share -------------------------------------------


async def availability(
    cp: Station201, status: str, evse_id: int = 1, connector_id: int = 1, when: str | None = None
) -> None:
    """A connector's new state as a 2.0.1 station tells it: StatusNotification, then a
    NotifyEvent of the Connector's AvailabilityState (trigger Delta)."""
    when = when or at(0)
    await sent(cp, call.StatusNotification(
        timestamp=when, connector_status=status, evse_id=evse_id, connector_id=connector_id,
    ))  # fmt: skip
    component = {"name": "Connector", "evse": {"id": evse_id, "connector_id": connector_id}}
    event = {
        "event_id": 1, "timestamp": when, "trigger": "Delta", "actual_value": status,
        "event_notification_type": "CustomMonitor", "component": component,
        "variable": {"name": "AvailabilityState"},
    }  # fmt: skip
    await sent(cp, call.NotifyEvent(generated_at=when, seq_no=0, event_data=[event]))


async def booted(cp: Station201, connectors: tuple[tuple[int, int], ...] = ((1, 1),)) -> None:
    """Booted: BootNotification Accepted, then each (EVSE, connector) reported Available."""
    answer = await cp.boot()
    assert answer.status == "Accepted", answer
    for evse_id, connector_id in connectors:
        await availability(cp, "Available", evse_id, connector_id)


# --- the reusable states -------------------------------------------------------------------


async def authorized(tx: Tx, ev_connected: bool = False) -> Any:
    """Authorized: the driver's Authorize (Accepted), then a TransactionEvent Authorized
    with the idToken (Started; Updated when the EV is connected and the transaction on),
    its idTokenInfo Accepted."""
    answer = await sent(tx.cp, call.Authorize(id_token=tx.token))
    accepted(answer)
    event_type = "Updated" if ev_connected else "Started"
    answer = await tx.event(event_type, "Authorized", with_evse=True, id_token=tx.token)
    accepted(answer)
    return answer


async def ev_connected_pre_session(tx: Tx, starts: bool = True, **fields: Any) -> Any:
    """EVConnectedPreSession: the connector Occupied, then a TransactionEvent CablePluggedIn,
    chargingState EVConnected (Started when plugging in starts the transaction); `fields`
    add to the event (its meterValue)."""
    await availability(tx.cp, "Occupied", tx.evse_id, tx.connector_id, tx.tick())
    event_type = "Started" if starts else "Updated"
    return await tx.event(
        event_type, "CablePluggedIn", with_evse=True, info={"charging_state": "EVConnected"},
        **fields,
    )  # fmt: skip


async def energy_transfer_started(tx: Tx, ev_connected: bool = False) -> Any:
    """EnergyTransferStarted: when the EV is not connected yet, EVConnectedPreSession's
    plug-in (Updated); then a TransactionEvent ChargingStateChanged to Charging."""
    if not ev_connected:
        await ev_connected_pre_session(tx, starts=False)
    return await tx.event(
        "Updated", "ChargingStateChanged", with_evse=True, info={"charging_state": "Charging"}
    )


async def energy_transfer_suspended(tx: Tx) -> Any:
    """EnergyTransferSuspended: the EV stops drawing energy (SuspendedEV)."""
    return await tx.event(
        "Updated", "ChargingStateChanged", with_evse=True, info={"charging_state": "SuspendedEV"}
    )


async def stop_authorized(tx: Tx) -> Any:
    """StopAuthorized: the driver presents their idToken to stop (Updated, StopAuthorized);
    the answer's idTokenInfo, when given, Accepted."""
    answer = await tx.event(
        "Updated", "StopAuthorized", with_evse=True, id_token=tx.token,
        info={"charging_state": "Charging"},
    )  # fmt: skip
    if answer.id_token_info is not None:
        accepted(answer)
    return answer


async def ev_connected_post_session(tx: Tx) -> Any:
    """EVConnectedPostSession: energy transfer stopped, the EV still plugged in."""
    return await tx.event(
        "Updated", "ChargingStateChanged", with_evse=True, info={"charging_state": "EVConnected"}
    )


async def ev_disconnected(tx: Tx, ends: bool = True, **fields: Any) -> Any:
    """EVDisconnected: the connector Available again, then a TransactionEvent
    EVCommunicationLost, chargingState Idle: Ended with stoppedReason EVDisconnected, or
    Updated when unplugging does not end the transaction (`ends` False). `fields` add to
    the event (its meterValue)."""
    await availability(tx.cp, "Available", tx.evse_id, tx.connector_id, tx.tick())
    info = {"charging_state": "Idle"}
    if ends:
        info["stopped_reason"] = "EVDisconnected"
    event_type = "Ended" if ends else "Updated"
    return await tx.event(event_type, "EVCommunicationLost", with_evse=True, info=info, **fields)


async def parking_bay_occupied(tx: Tx, starts: bool = True) -> Any:
    """ParkingBayOccupied: the bay's detector sees an EV (EVDetected)."""
    return await tx.event("Started" if starts else "Updated", "EVDetected", with_evse=True)


async def unavailable(
    system: CSMS, cp: Station201, evse_id: int | None = None, connector_id: int | None = None
) -> dict[str, Any]:
    """Unavailable: the operator has the CSMS send ChangeAvailability Inoperative for the
    station, an EVSE or a connector; the station accepts and reports its connectors
    Unavailable (the ones named, or connector 1 of EVSE 1 for the whole station). Returns
    the command's record."""
    cp.answer("ChangeAvailability", {"status": "Accepted"})
    body = {"operative": False, "evse": evse_id, "connector": connector_id}
    record = await operate(system, "availability", body)
    assert record["status"] == "accepted", record
    # The tool's validation: Inoperative, for what was named (no connector unless one was).
    named: dict[str, Any] = {"operational_status": "Inoperative"}
    if evse_id is not None:
        named["evse"] = {"id": evse_id}
        if connector_id is not None:
            named["evse"]["connector_id"] = connector_id
    assert [p for action, p in cp.requests if action == "ChangeAvailability"][-1] == named
    await availability(cp, "Unavailable", evse_id or 1, connector_id or 1, at(30))
    return record


# --- what the central system stored ------------------------------------------------------


def stored_transaction(system: CSMS, tx: Tx) -> Transaction:
    """The transaction the central system keeps for `tx`, once each event it answered is
    recorded with its seqNo, type and trigger (what was acked is stored)."""
    events = system.rows(
        TransactionEvent, TransactionEvent.station_transaction_id == tx.transaction_id
    )
    assert sorted((e.seq_no, e.event_type, e.trigger_reason) for e in events) == sorted(tx.answered)
    [row] = system.rows(Transaction, Transaction.station_transaction_id == tx.transaction_id)
    return row


def connector_status(system: CSMS, evse_id: int = 1, connector_id: int = 1) -> str:
    """The status the central system keeps for a connector (its last StatusNotification)."""
    [row] = system.rows(
        Connector, Connector.evse_id == evse_id, Connector.connector_id == connector_id
    )
    return row.status


def notifications(system: CSMS, action: str) -> list[dict[str, Any]]:
    """The payloads of the station's `action` messages the central system kept, in order."""
    rows = system.rows(StationNotification, StationNotification.action == action)
    return [row.payload for row in sorted(rows, key=lambda row: row.id)]


# --- the operator -------------------------------------------------------------------------


async def operate(
    system: CSMS, name: str, body: dict[str, Any], station_id: str = "CP-1"
) -> dict[str, Any]:
    """The operator's everyday command `name` (availability, trigger, unlock, reset, ...),
    which the CSMS composes in the station's version: POST /api/v1/stations/{id}/{name},
    waiting for the command's final record (status and response)."""
    return await _followed(system, f"/api/v1/stations/{station_id}/{name}", body)


async def command(
    system: CSMS, action: str, payload: dict[str, Any], station_id: str = "CP-1"
) -> dict[str, Any]:
    """A command the operator writes out in full (POST /api/v1/stations/{id}/commands, what
    the dashboard's remote start and stop buttons use), for those with no command of their
    own yet; it waits for the command's final record."""
    body = {"action": action, "payload": payload}
    return await _followed(system, f"/api/v1/stations/{station_id}/commands", body)


async def _followed(system: CSMS, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await system.http("POST", path, json=body, params={"wait": 10})
    assert response.status_code == 201, response.text
    return response.json()


async def open_transaction(system: CSMS, station_id: str = "CP-1") -> dict[str, Any]:
    """The station's one open transaction as the operator finds it in the HTTP API (a 2.x
    station's own transactionId is its `station_transaction_id`)."""
    response = await system.http(
        "GET", "/api/v1/transactions", params={"station_id": station_id, "state": "open"}
    )
    assert response.status_code == 200, response.text
    [found] = response.json()["items"]
    return found
