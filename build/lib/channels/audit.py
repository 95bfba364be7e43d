"""MessageLog: every message the application sees, in and out."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from channels.models import MessageLog


def log_message(
    session: Session,
    station_id: str,
    direction: str,
    message_type: str,
    action: str | None,
    message_id: str | None,
    payload: Any,
) -> None:
    session.add(
        MessageLog(
            station_id=station_id,
            direction=direction,
            message_type=message_type,
            action=action,
            message_id=message_id,
            payload=payload if isinstance(payload, dict) else {"value": payload},
        )
    )
