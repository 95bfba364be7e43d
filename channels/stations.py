"""Stations: registration, boot details, connection state, connectors, notifications."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from channels import presence
from channels.models import ChargePoint, Connector, StationNotification
from channels.passwords import hash_password
from channels.timeutil import now, parse_time

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


@dataclass(frozen=True, slots=True)
class Credentials:
    """What Connect needs to know of a station, read in the store, checked outside it."""

    station_id: str
    auth_required: bool
    password_hash: str | None
    registered_now: bool = False


def credentials(session: Session, station_id: str, register: bool) -> Credentials | None:
    """The station's credentials; an unknown one is registered if `register`, else None."""
    found = session.execute(
        select(ChargePoint.auth_required, ChargePoint.password_hash).where(
            ChargePoint.id == station_id
        )
    ).first()
    if found is not None:
        return Credentials(station_id, found.auth_required, found.password_hash)
    if not register:
        return None
    add_station(session, station_id)
    return Credentials(station_id, False, None, registered_now=True)


def _update_or_add(session: Session, station_id: str, values: dict[str, Any]) -> None:
    """Set `values` on the station; a station removed meanwhile is registered again."""
    changed = session.execute(
        update(ChargePoint)
        .where(ChargePoint.id == station_id)
        .values(values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        station = add_station(session, station_id)
        for column, value in values.items():
            setattr(station, column, value)
        session.flush()


def record_boot(session: Session, station_id: str, payload: dict[str, Any], status: str) -> None:
    at = now()
    values = {column: payload.get(field) for field, column in BOOT_FIELDS.items()}
    _update_or_add(session, station_id, {**values, "boot_status": status, "booted_at": at,
                                         "last_seen": at})  # fmt: skip


def mark_connected(
    session: Session, station_id: str, connection_id: str, node_id: str | None = None
) -> None:
    values = {"connected": True, "connection_id": connection_id, "node_id": node_id}
    _update_or_add(session, station_id, {**values, "last_seen": now()})


def mark_disconnected(session: Session, station_id: str, connection_id: str) -> None:
    """Only the connection that is current: a late Disconnect of an older one changes nothing.

    Commands still open for the station end as failed: no answer can come any more.
    """
    result = session.execute(
        update(ChargePoint)
        .where(ChargePoint.id == station_id, ChargePoint.connection_id == connection_id)
        .values(connected=False, last_seen=now())
    )
    if result.rowcount:
        presence.station_gone(session, station_id)


def touch(session: Session, station_id: str) -> None:
    session.execute(update(ChargePoint).where(ChargePoint.id == station_id).values(last_seen=now()))


def record_status(session: Session, station_id: str, payload: dict[str, Any]) -> None:
    sent = payload.get("timestamp")
    updated_at, timestamp_text = parse_time(sent) if sent else (now(), None)
    values = {
        "status": payload["status"],
        "error_code": payload["errorCode"],
        "info": payload.get("info"),
        "vendor_id": payload.get("vendorId"),
        "vendor_error_code": payload.get("vendorErrorCode"),
        "updated_at": updated_at,
        "timestamp_text": timestamp_text,
    }
    # One statement, whether the connector is new or known.
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(Connector).values(
        station_id=station_id, connector_id=payload["connectorId"], **values
    )
    session.execute(
        statement.on_conflict_do_update(index_elements=["station_id", "connector_id"], set_=values)
    )


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
