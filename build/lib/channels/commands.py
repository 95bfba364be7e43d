"""Commands sent to stations and what became of them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from channels.models import Command
from channels.timeutil import now

# A reply's `status` -> the command's status.
REJECTED_STATUSES = frozenset({"Rejected", "NotSupported", "Faulted", "Failed", "Unlocked"})


def record_command(
    session: Session, command_id: str, station_id: str, action: str, payload: dict[str, Any]
) -> Command:
    command = Command(
        id=command_id, station_id=station_id, action=action, payload=payload, status="queued"
    )
    session.add(command)
    return command


def mark_sent(session: Session, command_id: str) -> None:
    command = session.get(Command, command_id)
    if command is not None and command.status == "queued":
        command.status = "sent"
        command.sent_at = now()


def record_reply(session: Session, command_id: str, payload: dict[str, Any]) -> None:
    command = session.get(Command, command_id)
    if command is None:
        return  # a command not sent through `ocpp-cable send`
    status = payload.get("status") if isinstance(payload, dict) else None
    # UnlockConnector answers "Unlocked" on success; everything else named above is a refusal.
    refused = status in REJECTED_STATUSES and not (
        command.action == "UnlockConnector" and status == "Unlocked"
    )
    command.status = "rejected" if refused else "accepted"
    command.response = payload
    command.answered_at = now()


def record_failure(session: Session, command_id: str, code: str, data: dict[str, Any]) -> None:
    command = session.get(Command, command_id)
    if command is None:
        return
    command.status = "timeout" if code == "Timeout" else "error"
    command.error_code = code
    command.response = {
        "code": code,
        "message": data.get("message"),
        "details": data.get("payload"),
    }
    command.answered_at = now()
