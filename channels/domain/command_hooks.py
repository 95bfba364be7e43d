"""What the reference system does around a command to a station, per OCPP action.

Two kinds of hooks, listed per action in one table (hook_table.py), each a function of
its feature's module (smart charging, local lists, reservations, files, configuration,
password rotation):

- a **check** before the command is recorded and sent (`ocpp-cable send`, the HTTP
  API, the dashboard): OCPP's rules that the central system keeps, such as "a
  TxProfile only during a transaction". It returns what is wrong, or None.
- what the station's **answer** changes beyond the command's own record (the
  profiles installed, the list version, a reservation accepted), and what a
  **failure** (CALLERROR, timeout, not sent) changes. An answer may call for
  another command (a local list the station failed to apply is sent in full):
  the hook returns it as a `FollowUp`, recorded here and sent by the channel once
  the unit is committed.

Answers are applied in the unit that records them, so the command's record and
what it changed are committed together. A hook listed `WithId` also gets the
command's id (keyword `command_id`): a password rotation follows its own command,
and its recorded payload (masked) cannot tell it from another.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ocpp_cable.channels.domain import commands, registration
from ocpp_cable.channels.domain.follow_ups import FollowUp
from ocpp_cable.channels.domain.hook_table import CHECKS, FAILURES, REPLIES, WithId
from ocpp_cable.channels.storage.models import ChargePoint, Command

__all__ = ["FollowUp", "failed", "problem", "replied"]


def problem(session: Session, station: ChargePoint, action: str, payload: dict) -> str | None:
    """What is wrong with sending `action`: the station is rejected (it is sent nothing),
    or the first check of `action` that finds something wrong with `payload`; or None."""
    refused = registration.command_refusal(station.registration)
    if refused is not None:
        return refused
    for fn in CHECKS.get(action, ()):
        found = fn(session, station, payload)
        if found is not None:
            return found
    return None


def _command(session: Session, command_id: str) -> tuple[str, dict[str, Any]] | None:
    row = session.execute(
        select(Command.action, Command.payload).where(Command.id == command_id)
    ).first()
    return None if row is None else (row.action, row.payload)


def replied(session: Session, station_id: str, command_id: str, answer: Any) -> list[FollowUp]:
    """Apply the hooks of the command `command_id` (recorded) to the station's answer.

    Returns:
        The commands the answer calls for, recorded as sent: the caller sends them once
        this session is committed.
    """
    found = _command(session, command_id)
    if found is None or not isinstance(answer, dict):
        return []  # not a recorded command, or no answer to read
    action, payload = found
    follow_ups: list[FollowUp] = []
    for fn in REPLIES.get(action, ()):
        named = {"command_id": command_id} if isinstance(fn, WithId) else {}
        follow_ups += fn(session, station_id, payload, answer, **named) or ()
    for follow_up in follow_ups:
        commands.record_command(
            session, follow_up.id, station_id, follow_up.action, follow_up.payload
        )
        commands.mark_sent(session, follow_up.id)
    return follow_ups


def failed(session: Session, station_id: str, command_id: str, code: str) -> None:
    """Apply the failure hooks of the command `command_id` (recorded)."""
    found = _command(session, command_id)
    if found is None:
        return
    action, payload = found
    for fn in FAILURES.get(action, ()):
        named = {"command_id": command_id} if isinstance(fn, WithId) else {}
        fn(session, station_id, payload, code, **named)
