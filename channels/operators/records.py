"""The central system's rows as people see them, the same in the CLI and the HTTP API."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ocpp_cable.channels.domain import costs, password_rotation
from ocpp_cable.channels.domain.stations import split_rules
from ocpp_cable.channels.storage.models import (
    ChargePoint,
    Connector,
    IdTag,
    MessageLog,
    MeterValue,
    StationVariable,
    Transaction,
    ViewerToken,
)

Row = dict[str, Any]

# Every column of a station but its password's: the hashes, and the rotation under way
# (shown as `password_rotation`).
STATION_FIELDS = tuple(c.key for c in ChargePoint.__table__.columns if "password" not in c.key)
CONNECTOR_FIELDS = ("evse_id", "connector_id", "status", "error_code", "info", "updated_at")
VARIABLE_FIELDS = (
    "component", "component_instance", "evse_id", "connector_id", "variable",
    "variable_instance", "attribute_type", "value", "mutability", "reported_at",
)  # fmt: skip
METER_VALUE_FIELDS = (
    "station_id", "connector_id", "transaction_id", "claimed_transaction_id",
    "timestamp", "measurand", "phase", "value", "unit", "context", "location",
)  # fmt: skip
ID_TAG_FIELDS = ("tag", "status", "expiry_date", "parent_id_tag", "created_at")
# Never its hash: it is what a token is looked up by, and no reader needs it.
TOKEN_FIELDS = ("name", "scope", "created_at", "revoked_at")
MESSAGE_FIELDS = (
    "id", "station_id", "direction", "message_type", "action", "message_id", "payload",
    "created_at",
)  # fmt: skip


def auth(station: ChargePoint) -> str:
    """How the station proves itself. As Connect decides: auth_required without a
    password hash refuses every attempt ("missing")."""
    if not station.auth_required:
        return "none"
    return "password" if station.password_hash else "missing"


def station_summary(station: ChargePoint, connected: bool) -> Row:
    return {
        "id": station.id,
        "ocpp_version": station.ocpp_version,
        "connected": connected,
        "registration": station.registration,
        "boot_status": station.boot_status,
        "vendor": station.vendor,
        "model": station.model,
        "firmware_version": station.firmware_version,
        "last_seen": station.last_seen,
        "auth": auth(station),
    }


def station_detail(session: Session, station: ChargePoint, connected: bool) -> Row:
    detail: Row = {name: getattr(station, name) for name in STATION_FIELDS}
    detail["connected"] = connected
    detail["has_password"] = station.password_hash is not None
    detail["password_rotation"] = password_rotation.state(session, station)
    detail["auth"] = auth(station)
    detail["tolerate"] = list(split_rules(station.tolerate))
    detail["tolerated_count"] = station.tolerated_count
    return detail


def connector_row(connector: Connector) -> Row:
    return {name: getattr(connector, name) for name in CONNECTOR_FIELDS}


def transaction_row(t: Transaction, session: Session) -> Row:
    """A transaction with its cost: final once stopped, running while open (as of its
    newest energy reading), None when it is not priced."""
    return {
        "id": t.id,
        "station_id": t.station_id,
        "connector_id": t.connector_id,
        "id_tag": t.id_tag,
        "start_time": t.start_time,
        "stop_time": t.stop_time,
        "meter_start": t.meter_start,
        "meter_stop": t.meter_stop,
        "energy_wh": t.energy_wh,
        "energy_kwh": None if t.energy_wh is None else t.energy_wh / 1000,
        "stop_reason": t.stop_reason,
        "closed_by": t.closed_by,
        # OCPP 2.x: the station's own transactionId and what its events said.
        "station_transaction_id": t.station_transaction_id,
        "evse_id": t.evse_id,
        "charging_state": t.charging_state,
        # Priced by the tariff in force at its start (its name as it was then).
        "tariff": (t.tariff or {}).get("name"),
        **costs.cost_fields(costs.cost_of(session, t), t.currency),
    }


def meter_value_row(value: MeterValue) -> Row:
    return {name: getattr(value, name) for name in METER_VALUE_FIELDS}


def variable_row(variable: StationVariable) -> Row:
    return {name: getattr(variable, name) for name in VARIABLE_FIELDS}


def id_tag_row(tag: IdTag) -> Row:
    return {name: getattr(tag, name) for name in ID_TAG_FIELDS}


def token_row(token: ViewerToken) -> Row:
    return {name: getattr(token, name) for name in TOKEN_FIELDS}


def message_row(message: MessageLog) -> Row:
    return {name: getattr(message, name) for name in MESSAGE_FIELDS}
