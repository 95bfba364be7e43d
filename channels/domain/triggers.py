"""TriggerMessage: what the central system checks before it asks a station for a message."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ocpp_cable.channels.storage.models import ChargePoint


def check_trigger(session: Session, station: ChargePoint, payload: dict[str, Any]) -> str | None:
    """2.x (F06.FR.13): a StatusNotification is sent per connector, so the request names
    the EVSE; 1.6 asks every connector when it names none."""
    if station.ocpp_version in (None, "1.6"):
        return None
    if payload.get("requestedMessage") == "StatusNotification" and "evse" not in payload:
        return "a 2.x StatusNotification is asked of a connector: name its EVSE (F06.FR.13)"
    return None
