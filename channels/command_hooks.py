"""What the reference system does around a command to a station, per OCPP action.

Two kinds of hooks, registered by the feature modules (smart charging, local lists,
reservations, files, configuration):

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
what it changed are committed together. A hook registered `with_id` also gets the
command's id (keyword `command_id`): a password rotation follows its own command, and
its recorded payload (masked) cannot tell it from another.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ocpp_cable.channels import commands
from ocpp_cable.channels.models import ChargePoint, Command


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A command an answer calls for: recorded by `replied`, sent by the channel."""

    action: str
    payload: dict[str, Any]
    id: str = field(default_factory=lambda: uuid.uuid4().hex)


# (session, station, payload) -> what is wrong with sending it, or None.
Check = Callable[[Session, ChargePoint, dict[str, Any]], str | None]
# (session, station_id, the command's payload, the station's answer) -> commands it calls for.
Reply = Callable[[Session, str, dict[str, Any], dict[str, Any]], Iterable[FollowUp] | None]
# (session, station_id, the command's payload, the error code).
Failure = Callable[[Session, str, dict[str, Any], str], None]

_checks: dict[str, list[Check]] = {}
# Each hook with whether it takes the command's id.
_replies: dict[str, list[tuple[Reply, bool]]] = {}
_failures: dict[str, list[tuple[Failure, bool]]] = {}


def check(action: str) -> Callable[[Check], Check]:
    """Register a check of `action` commands before they are sent."""

    def register(fn: Check) -> Check:
        _checks.setdefault(action, []).append(fn)
        return fn

    return register


def on_reply(action: str, *, with_id: bool = False) -> Callable[[Reply], Reply]:
    """Register what a station's answer to an `action` command changes."""

    def register(fn: Reply) -> Reply:
        _replies.setdefault(action, []).append((fn, with_id))
        return fn

    return register


def on_failure(action: str, *, with_id: bool = False) -> Callable[[Failure], Failure]:
    """Register what a failed `action` command (error, timeout) changes."""

    def register(fn: Failure) -> Failure:
        _failures.setdefault(action, []).append((fn, with_id))
        return fn

    return register


def problem(session: Session, station: ChargePoint, action: str, payload: dict) -> str | None:
    """The first check of `action` that finds something wrong with `payload`, or None."""
    for fn in _checks.get(action, ()):
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
    for fn, with_id in _replies.get(action, ()):
        named = {"command_id": command_id} if with_id else {}
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
    for fn, with_id in _failures.get(action, ()):
        named = {"command_id": command_id} if with_id else {}
        fn(session, station_id, payload, code, **named)
