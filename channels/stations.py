"""Stations: registration, boot details, connection state, connectors, notifications."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
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


def record_boot(session: Session, station_id: str, payload: dict[str, Any], status: str) -> None:
    station = session.get(ChargePoint, station_id) or add_station(session, station_id)
    for field, column in BOOT_FIELDS.items():
        setattr(station, column, payload.get(field))
    station.boot_status = status
    station.booted_at = station.last_seen = now()


def mark_connected(
    session: Session, station_id: str, connection_id: str, node_id: str | None = None
) -> None:
    station = session.get(ChargePoint, station_id) or add_station(session, station_id)
    station.connected = True
    station.connection_id = connection_id
    station.node_id = node_id
    station.last_seen = now()


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
    key = (station_id, payload["connectorId"])
    connector = session.get(Connector, key) or Connector(
        station_id=station_id, connector_id=payload["connectorId"]
    )
    connector.status = payload["status"]
    connector.error_code = payload["errorCode"]
    connector.info = payload.get("info")
    connector.vendor_id = payload.get("vendorId")
    connector.vendor_error_code = payload.get("vendorErrorCode")
    sent = payload.get("timestamp")
    connector.updated_at, connector.timestamp_text = parse_time(sent) if sent else (now(), None)
    session.add(connector)


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
