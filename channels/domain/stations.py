"""Stations: registration, boot details, connection state, connectors, notifications."""

from __future__ import annotations

import functools
import urllib.parse
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from ocpp_cable.channels.domain import presence
from ocpp_cable.channels.domain.passwords import hash_password
from ocpp_cable.channels.domain.timeutil import now, parse_time
from ocpp_cable.channels.storage.db import core, dialect_insert
from ocpp_cable.channels.storage.models import (
    ChargePoint,
    Connector,
    MeterValue,
    StationNotification,
    Transaction,
)
from ocpp_cable.ocppj.handshake import HandshakeRefused, station_id_from_path


def station_id_problem(station_id: str, path_prefix: str) -> str | None:
    """Why the gateway would refuse this id (such a station could be added but never
    connect), or None."""
    try:
        quoted = urllib.parse.quote(station_id, safe="")
        station_id_from_path(f"{path_prefix}/{quoted}", path_prefix)
    except HandshakeRefused as exc:
        return exc.reason
    except UnicodeError:  # undecodable bytes on a command line arrive as surrogates
        return "not valid text"
    return None


# BootNotification payload field -> ChargePoint column.
BOOT_FIELDS = {
    "chargePointVendor": "vendor",
    "chargePointModel": "model",
    "chargePointSerialNumber": "charge_point_serial_number",
    "chargeBoxSerialNumber": "charge_box_serial_number",
    "firmwareVersion": "firmware_version",
    "iccid": "iccid",
    "imsi": "imsi",
    "meterType": "meter_type",
    "meterSerialNumber": "meter_serial_number",
}


def add_station(
    session: Session, station_id: str, password: str | None = None, auth_required: bool = True
) -> ChargePoint:
    station = ChargePoint(
        id=station_id,
        password_hash=hash_password(password) if password else None,
        auth_required=auth_required if password else False,
    )
    session.add(station)
    return station


def set_password(station: ChargePoint, password: str | None) -> None:
    """A new password (salted hash), or none: the station connects without credentials.
    A rotation under way ends: this password is the one the operator wants."""
    station.password_hash = hash_password(password) if password else None
    station.auth_required = bool(password)
    station.pending_password_hash = station.pending_password_command = None
    station.pending_password_status = station.pending_password_at = None


@dataclass(frozen=True, slots=True)
class Removed:
    """What went with a removed station (the database cascades them)."""

    transactions: int
    meter_values: int
    was_connected: bool


def remove_station(session: Session, station_id: str) -> Removed | None:
    """Delete the station with its connectors, transactions and meter values; None when
    there is no such station."""
    station = session.get(ChargePoint, station_id)
    if station is None:
        return None
    count = select(func.count())
    removed = Removed(
        session.scalar(count.where(Transaction.station_id == station_id)) or 0,
        session.scalar(count.where(MeterValue.station_id == station_id)) or 0,
        bool(station.connected),
    )
    session.delete(station)
    return removed


@dataclass(frozen=True, slots=True)
class Credentials:
    """What Connect needs to know of a station, read in the store, checked outside it."""

    station_id: str
    auth_required: bool
    password_hash: str | None
    registered_now: bool = False
    # The schema rules it may break (ocppj.leniency): the connection tells the gateway.
    tolerate: tuple[str, ...] = ()
    # A rotation's new password, admitted beside the current one (password_rotation.py).
    pending_password_hash: str | None = None
    # The lowest security profile it may connect with, and one it is moving to
    # (security_profiles.py).
    security_profile: int | None = None
    pending_security_profile: int | None = None


# The statements every connection and boot runs, built once (see db.core).
STATIONS = ChargePoint.__table__
_CREDENTIALS = select(
    STATIONS.c.id,
    STATIONS.c.auth_required,
    STATIONS.c.password_hash,
    STATIONS.c.tolerate,
    STATIONS.c.pending_password_hash,
    STATIONS.c.security_profile,
    STATIONS.c.pending_security_profile,
).where(STATIONS.c.id.in_(bindparam("stations", expanding=True)))
_REGISTER = insert(STATIONS).values(id=bindparam("station"), auth_required=False)


def credentials_of(session: Session, station_ids: list[str]) -> dict[str, Credentials]:
    """The credentials of those of `station_ids` we know, in one query."""
    found = core(session).execute(_CREDENTIALS, {"stations": station_ids})
    return {
        row.id: Credentials(
            row.id,
            row.auth_required,
            row.password_hash,
            tolerate=split_rules(row.tolerate),
            pending_password_hash=row.pending_password_hash,
            security_profile=row.security_profile,
            pending_security_profile=row.pending_security_profile,
        )
        for row in found
    }


def split_rules(text: str | None) -> tuple[str, ...]:
    """'additionalProperties,maxLength' -> ("additionalProperties", "maxLength")."""
    return tuple(rule for rule in (text or "").split(",") if rule)


def credentials(session: Session, station_id: str) -> Credentials | None:
    """The station's credentials; None for a station we do not know."""
    return credentials_of(session, [station_id]).get(station_id)


def register(connection: Connection, station_ids: list[str]) -> None:
    """Register stations first heard of (no password: auto-registration)."""
    connection.execute(_REGISTER, [{"station": station_id} for station_id in station_ids])


def boot_values(payload: dict[str, Any], status: str) -> dict[str, Any]:
    """A BootNotification's columns of the station's row."""
    at = now()
    values = {column: payload.get(field) for field, column in BOOT_FIELDS.items()}
    return {**values, "boot_status": status, "booted_at": at, "last_seen": at}


def connected_values(
    connection_id: str, node_id: str | None = None, ocpp_version: str = "1.6"
) -> dict[str, Any]:
    """The station's columns once `connection_id` (held by gateway node `node_id`, speaking
    `ocpp_version`) is its."""
    return {"connected": True, "connection_id": connection_id, "node_id": node_id,
            "last_seen": now(), "ocpp_version": ocpp_version}  # fmt: skip


def station_version(session: Session, station_id: str) -> str | None:
    """The OCPP version the station spoke when last connected; None for an unknown
    station. One that connected before versions were kept spoke 1.6."""
    found = session.execute(select(STATIONS.c.ocpp_version).where(STATIONS.c.id == station_id))
    row = found.first()
    return None if row is None else (row.ocpp_version or "1.6")


@functools.cache
def _update_upsert(dialect_name: str, columns: tuple[str, ...]) -> Any:
    """Set `columns` on a station; one removed meanwhile is registered again."""
    insert_ = dialect_insert(dialect_name)(STATIONS)
    new = {column: insert_.excluded[column] for column in columns}
    return insert_.on_conflict_do_update(index_elements=[STATIONS.c.id], set_=new)


def write_updates(connection: Connection, updates: dict[str, dict[str, Any]]) -> None:
    """Set each station's values: one statement per set of columns, each sent once for
    all its rows (the columns come from this module's *_values, so the sets are few)."""
    rows_by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for station_id, values in updates.items():
        rows = rows_by_columns.setdefault(tuple(values), [])
        rows.append({**values, "id": station_id, "auth_required": False})
    for columns, rows in rows_by_columns.items():
        connection.execute(_update_upsert(connection.dialect.name, columns), rows)


def record_boot(session: Session, station_id: str, payload: dict[str, Any], status: str) -> None:
    write_updates(core(session), {station_id: boot_values(payload, status)})


def mark_connected(
    session: Session, station_id: str, connection_id: str, node_id: str | None = None
) -> None:
    write_updates(core(session), {station_id: connected_values(connection_id, node_id)})


_DISCONNECTED = (
    update(STATIONS)
    .where(STATIONS.c.id == bindparam("station"), STATIONS.c.connection_id == bindparam("conn"))
    .values(connected=False, last_seen=bindparam("at"))
)


def mark_disconnected(session: Session, station_id: str, connection_id: str) -> None:
    """Only the connection that is current: a late Disconnect of an older one changes nothing.

    Commands still open for the station end as failed: no answer can come any more.
    """
    params = {"station": station_id, "conn": connection_id, "at": now()}
    if core(session).execute(_DISCONNECTED, params).rowcount:
        presence.station_gone(session, station_id)


_STATUS_COLUMNS = (
    "status", "error_code", "info", "vendor_id", "vendor_error_code", "updated_at",
    "timestamp_text",
)  # fmt: skip


@functools.cache
def _status_upsert(dialect_name: str) -> Any:
    """INSERT ... ON CONFLICT DO UPDATE for a connector: one statement, new or known."""
    table = Connector.__table__
    insert_ = dialect_insert(dialect_name)(table)
    return insert_.on_conflict_do_update(
        index_elements=[table.c.station_id, table.c.evse_id, table.c.connector_id],
        set_={column: insert_.excluded[column] for column in _STATUS_COLUMNS},
    )


def status_row(station_id: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A 1.6 StatusNotification as the connector's row (written by write_statuses)."""
    sent = payload.get("timestamp")
    updated_at, timestamp_text = parse_time(sent) if sent else (now(), None)
    return {
        "station_id": station_id,
        "evse_id": payload["connectorId"],  # a 1.6 connector is an EVSE of its own
        "connector_id": payload["connectorId"],
        "status": payload["status"],
        "error_code": payload["errorCode"],
        "info": payload.get("info"),
        "vendor_id": payload.get("vendorId"),
        "vendor_error_code": payload.get("vendorErrorCode"),
        "updated_at": updated_at,
        "timestamp_text": timestamp_text,
    }


def write_statuses(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Upsert connector rows in order, in one statement: of several for one connector the
    last is what stays, as if each had been written in turn."""
    last = {(row["station_id"], row["evse_id"], row["connector_id"]): row for row in rows}
    connection.execute(_status_upsert(connection.dialect.name), list(last.values()))


def record_notification(
    session: Session, station_id: str, action: str, payload: dict[str, Any]
) -> None:
    session.add(StationNotification(station_id=station_id, action=action, payload=payload))
    status = payload.get("status")
    if action in ("FirmwareStatusNotification", "SignedFirmwareStatusNotification"):
        session.execute(
            update(ChargePoint).where(ChargePoint.id == station_id).values(firmware_status=status)
        )
    elif action == "DiagnosticsStatusNotification":
        session.execute(
            update(ChargePoint)
            .where(ChargePoint.id == station_id)
            .values(diagnostics_status=status)
        )


def count_tolerated(session: Session, station_id: str) -> None:
    """One more message of the station's taken with violations forgiven (ocppj.leniency)."""
    session.execute(
        update(ChargePoint)
        .where(ChargePoint.id == station_id)
        .values(tolerated_count=ChargePoint.tolerated_count + 1)
        .execution_options(synchronize_session=False)
    )


def set_tolerated_rules(session: Session, station_id: str, rules: list[str]) -> bool:
    """The schema rules the station may break from its next connection on (empty: strict);
    False for an unknown station. The names must be ocppj.leniency.RULES'."""
    result = session.execute(
        update(ChargePoint)
        .where(ChargePoint.id == station_id)
        .values(tolerate=",".join(sorted(set(rules))) or None)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)
