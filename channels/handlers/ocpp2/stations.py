"""A 2.x station's BootNotification and StatusNotification as the rows 1.6 ones fill."""

from __future__ import annotations

from typing import Any

from ocpp_cable.channels.domain import stations
from ocpp_cable.channels.domain.timeutil import parse_time


def boot_values(payload: dict[str, Any], status: str) -> dict[str, Any]:
    """The station's columns (the same as stations.boot_values sets, for one statement)."""
    station = payload["chargingStation"]
    modem = station.get("modem") or {}
    as_16 = {
        "chargePointVendor": station["vendorName"],
        "chargePointModel": station["model"],
        "chargePointSerialNumber": station.get("serialNumber"),
        "firmwareVersion": station.get("firmwareVersion"),
        "iccid": modem.get("iccid"),
        "imsi": modem.get("imsi"),
    }
    return stations.boot_values(as_16, status)


def status_row(station_id: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The connector's row (the keys of stations.status_row: written in one statement)."""
    updated_at, timestamp_text = parse_time(payload["timestamp"])
    return {
        "station_id": station_id,
        "evse_id": payload["evseId"],
        "connector_id": payload["connectorId"],
        "status": payload["connectorStatus"],
        "error_code": None,  # 2.x tells of errors in NotifyEvent
        "info": None,
        "vendor_id": None,
        "vendor_error_code": None,
        "updated_at": updated_at,
        "timestamp_text": timestamp_text,
    }
