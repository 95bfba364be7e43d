"""Commands sent to stations and what became of them.

A command's state only moves forward: queued -> sent -> one answer (accepted,
rejected, error, timeout), and an answer is final. Each step is one conditional
UPDATE, so the CLI marking a command sent and rpc_app recording the station's
answer can race in any order without undoing each other.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, literal, select, update
from sqlalchemy.orm import Session

from channels import password_fields
from channels.models import Command
from channels.timeutil import now

QUEUED, SENT = "queued", "sent"
OPEN = (QUEUED, SENT)
# A reply's `status` -> the command's status.
REJECTED_STATUSES = frozenset({"Rejected", "NotSupported", "Faulted", "Failed", "Unlocked"})


def record_command(
    session: Session, command_id: str, station_id: str, action: str, payload: dict[str, Any]
) -> Command:
    kept = password_fields.masked(action, payload)  # a station's password is never kept
    command = Command(
        id=command_id, station_id=station_id, action=action, payload=kept, status=QUEUED
    )
    session.add(command)
    return command


def _advance(session: Session, command_id: str, allowed_from: tuple[str, ...], **values) -> bool:
    """Set `values` if the command is still in one of `allowed_from`; True when it was."""
    result = session.execute(
        update(Command)
        .where(Command.id == command_id, Command.status.in_(allowed_from))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


def _sent_by(at: Any) -> Any:
    """An answer proves the command went out: if the answer was recorded before the
    sender marked it sent (they race), sent_at is the answer's time, an upper bound."""
    return func.coalesce(Command.sent_at, literal(at, Command.__table__.c.sent_at.type))


def mark_sent(session: Session, command_id: str) -> None:
    _advance(session, command_id, (QUEUED,), status=SENT, sent_at=now())


def record_reply(session: Session, command_id: str, payload: dict[str, Any]) -> None:
    action = session.scalar(select(Command.action).where(Command.id == command_id))
    if action is None:
        return  # a command not sent through `ocpp-cable send`
    payload = password_fields.masked(action, payload)
    status = payload.get("status") if isinstance(payload, dict) else None
    # UnlockConnector answers "Unlocked" on success; everything else named above is a refusal.
    refused = status in REJECTED_STATUSES and not (
        action == "UnlockConnector" and status == "Unlocked"
    )
    at = now()
    _advance(
        session,
        command_id,
        OPEN,
        status="rejected" if refused else "accepted",
        response=payload,
        answered_at=at,
        sent_at=_sent_by(at),
    )


def record_failure(session: Session, command_id: str, code: str, data: dict[str, Any]) -> None:
    at = now()
    _advance(
        session,
        command_id,
        OPEN,
        status="timeout" if code == "Timeout" else "error",
        error_code=code,
        response={"code": code, "message": data.get("message"), "details": data.get("payload")},
        answered_at=at,
        sent_at=_sent_by(at),
    )


def fail_open(session: Session, station_ids: list[str], code: str, message: str) -> None:
    """Every command still open for these stations ends as `error` with `code`."""
    session.execute(
        update(Command)
        .where(Command.station_id.in_(station_ids), Command.status.in_(OPEN))
        .values(
            status="error",
            error_code=code,
            response={"code": code, "message": message, "details": {}},
            answered_at=now(),
        )
        .execution_options(synchronize_session=False)
    )
