"""MessageLog: every message the application sees, in and out."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ocpp_cable.channels.domain import password_fields
from ocpp_cable.channels.domain.timeutil import now
from ocpp_cable.channels.storage.models import MessageLog


def row(
    station_id: str,
    direction: str,
    message_type: str,
    action: str | None,
    message_id: str | None,
    payload: Any,
) -> dict[str, Any]:
    """One MessageLog row: `direction` "in" from the station, "out" to it. A station's
    password in it is masked (channels/domain/password_fields.py)."""
    payload = password_fields.masked(action, payload)
    return {
        "station_id": station_id,
        "direction": direction,
        "message_type": message_type,
        "action": action,
        "message_id": message_id,
        "payload": payload if isinstance(payload, dict) else {"value": payload},
        "created_at": now(),
    }


def log_message(session: Session, *args: Any) -> None:
    """The row for `args` (as `row` takes them), added to the session."""
    session.add(MessageLog(**row(*args)))
