"""TransactionEvent (2.x): the station's transaction, kept in the transactions table.

Each event is applied once: its (station, transactionId, seqNo) is recorded with
it, and the same again (a retry, or an offline queue sent anew) is answered
without changing anything. Events may come late and out of order (queued while
offline): the transaction is made by whichever comes first, the state fields
(charging state) are those of the highest seqNo, and the energy is read from the
stored register readings, first to last by time, whatever order they came in.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from ocpp_cable.channels.domain import costs, tariffs
from ocpp_cable.channels.domain.timeutil import parse_time
from ocpp_cable.channels.domain.transactions import (
    OPERATOR,
    first_energy_register,
    insert_meter_values,
    last_energy_reading,
)
from ocpp_cable.channels.handlers.ocpp2 import meter, tokens
from ocpp_cable.channels.storage.db import core, dialect_insert
from ocpp_cable.channels.storage.models import Transaction, TransactionEvent

TRANSACTIONS, EVENTS = Transaction.__table__, TransactionEvent.__table__
# An Ended event may leave stoppedReason out only when the reason is Local.
DEFAULT_STOP_REASON = "Local"

_FIND = select(
    TRANSACTIONS.c.id,
    TRANSACTIONS.c.id_tag,
    TRANSACTIONS.c.evse_id,
    TRANSACTIONS.c.start_time,
    TRANSACTIONS.c.stop_time,
    TRANSACTIONS.c.closed_by,
    TRANSACTIONS.c.meter_start,
    TRANSACTIONS.c.seq_no,
    TRANSACTIONS.c.tariff,
    TRANSACTIONS.c.currency,
    TRANSACTIONS.c.cost_minor,
    TRANSACTIONS.c.cost_updated_at,
).where(
    TRANSACTIONS.c.station_id == bindparam("station"),
    TRANSACTIONS.c.station_transaction_id == bindparam("ref"),
)
_NEW = insert(TRANSACTIONS).returning(TRANSACTIONS.c.id)


@functools.cache
def _record(dialect_name: str) -> Any:
    """INSERT the event ... ON CONFLICT DO NOTHING RETURNING: no row for one seen before."""
    return (
        dialect_insert(dialect_name)(EVENTS)
        .on_conflict_do_nothing(
            index_elements=[EVENTS.c.station_id, EVENTS.c.station_transaction_id, EVENTS.c.seq_no]
        )
        .returning(EVENTS.c.seq_no)
    )


@dataclass(frozen=True, slots=True)
class Applied:
    """What an event did, for the answer, the live events and the log."""

    transaction_id: int  # transactions.id
    duplicate: bool  # seen before: nothing was changed
    opened: bool  # the first event heard of the transaction
    ended: bool
    id_token_info: dict[str, Any] | None  # the answer's, when the event named an idToken
    evse_id: int | None
    meter_start: int | None
    meter_stop: int | None
    stop_reason: str | None
    # Its cost (minor units of `currency`): final when it ended, else running; and
    # whether this event calls for the running cost to be sent (an Updated event that
    # brought energy readings, live, to a transaction still open), when it was last sent.
    cost_minor: int | None = None
    currency: str | None = None
    cost_due: bool = False
    cost_updated_at: Any = None


def apply(session: Session, station_id: str, payload: dict[str, Any]) -> Applied:
    """Apply the event (once); the idTokenInfo to answer with is in the result."""
    info = payload["transactionInfo"]
    ref, seq_no, event_type = info["transactionId"], payload["seqNo"], payload["eventType"]
    at, at_text = parse_time(payload["timestamp"])
    connection = core(session)
    found = connection.execute(_FIND, {"station": station_id, "ref": ref}).first()
    opened = found is None
    if opened:
        values = {"station_id": station_id, "station_transaction_id": ref,
                  "start_time": at, "start_time_text": at_text,
                  **tariffs.snapshot(tariffs.in_force(session, station_id))}  # fmt: skip
        connection.execute(_NEW, values)
        found = connection.execute(_FIND, {"station": station_id, "ref": ref}).one()
    event = {
        "station_id": station_id,
        "station_transaction_id": ref,
        "seq_no": seq_no,
        "transaction_id": found.id,
        "event_type": event_type,
        "trigger_reason": payload["triggerReason"],
        "timestamp": at,
        "timestamp_text": at_text,
        "offline": payload.get("offline", False),
    }
    new = connection.execute(_record(connection.dialect.name), event).first() is not None
    token = payload.get("idToken")
    token_info = None
    if token is not None:
        token_info = tokens.id_token_info(
            session, token, ignore_transaction=found.id, starting=event_type == "Started"
        )
    if not new:  # an Ended sent again hears the cost it heard
        return Applied(found.id, True, False, False, token_info, found.evse_id, None, None, None,
                       found.cost_minor, found.currency)  # fmt: skip

    changes = _changes(payload, found, at, at_text)
    evse_id = changes.get("evse_id", found.evse_id)
    rows = meter.meter_rows(station_id, evse_id or 0, found.id, payload.get("meterValue", []))
    insert_meter_values(connection, rows)  # now: the energy below is read from them
    ended = event_type == "Ended"
    ended_before = found.stop_time is not None and found.closed_by != OPERATOR
    readings = meter.has_energy_register(rows)
    if readings or ended:
        start = first_energy_register(session, found.id)
        if start is None:
            start = found.meter_start  # none read yet (an operator's close may have set it)
        changes["meter_start"] = start
        newest = last_energy_reading(session, found.id)
        if ended or ended_before:
            stop = None if newest is None else newest.wh
            changes["meter_stop"] = stop
            changes["energy_wh"] = None if stop is None or start is None else stop - start
        if found.tariff is not None:
            changes["cost_minor"] = _cost(found, changes, newest, ended or ended_before)
    if changes:  # a late event (an older seqNo, no readings) may change nothing
        connection.execute(
            update(TRANSACTIONS).where(TRANSACTIONS.c.id == found.id).values(changes)
        )
    return Applied(
        found.id,
        False,
        opened,
        ended,
        token_info,
        evse_id,
        changes.get("meter_start", found.meter_start),
        changes.get("meter_stop"),
        changes.get("stop_reason"),
        changes.get("cost_minor", found.cost_minor),
        found.currency,
        cost_due=(event_type == "Updated" and readings and not ended_before
                  and not payload.get("offline", False)),
        cost_updated_at=found.cost_updated_at,
    )  # fmt: skip


def _cost(found: Any, changes: dict[str, Any], newest: Any, stopped: bool) -> int | None:
    """The transaction's cost after this event: final once it stopped, else running."""
    started = changes.get("start_time", found.start_time)
    if stopped:
        stop_time = changes.get("stop_time", found.stop_time)
        return tariffs.cost_minor(found.tariff, changes.get("energy_wh"), started, stop_time)
    return costs.running(found.tariff, changes.get("meter_start"), newest, started)


def _changes(payload: dict[str, Any], found: Any, at: Any, at_text: str | None) -> dict[str, Any]:
    """The transaction's columns this event sets (meter values apart)."""
    info, changes = payload["transactionInfo"], {}
    if payload["eventType"] == "Started" or at < found.start_time:
        changes.update(start_time=at, start_time_text=at_text)
    evse = payload.get("evse")
    if evse is not None:
        changes["evse_id"] = evse["id"]
        if "connectorId" in evse:
            changes["connector_id"] = evse["connectorId"]
    token = payload.get("idToken")
    if token is not None:
        if found.id_tag is None:
            changes.update(id_tag=token["idToken"], id_token_type=token["type"])
        elif token["idToken"] != found.id_tag and (
            payload["eventType"] == "Ended" or payload["triggerReason"] == "StopAuthorized"
        ):
            # Stopped with another token: a group's (C09) or a Master Pass (C16), named in
            # the Ended event or in the StopAuthorized one before it.
            changes["stop_id_tag"] = token["idToken"]
    if found.seq_no is None or payload["seqNo"] >= found.seq_no:
        changes["seq_no"] = payload["seqNo"]
        if "chargingState" in info:
            changes["charging_state"] = info["chargingState"]
    if "remoteStartId" in info:
        changes["remote_start_id"] = info["remoteStartId"]
    if "reservationId" in payload:
        changes["reservation_id"] = payload["reservationId"]
    if payload["eventType"] == "Ended":
        changes.update(
            stop_time=at,
            stop_time_text=at_text,
            stop_reason=info.get("stoppedReason", DEFAULT_STOP_REASON),
            closed_by=None,  # the station's own stop replaces an operator's guess
        )
    return changes
