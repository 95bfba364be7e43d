"""Commands sent to stations and what became of them.

A command's state only moves forward: queued -> sent -> one answer (accepted,
rejected, error, timeout), and an answer is final. Each step is one conditional
UPDATE, so the CLI marking a command sent and rpc_app recording the station's
answer can race in any order without undoing each other, and an answer that
comes twice (the gateway offered it again after rpc_app died) changes nothing.

A command nobody can answer any more ends too (`settle_overdue`, rpc_app's sweep):
one its sender never recorded as sent (the API died on the way) as `error`
NotSent, one sent whose answer never came back as `error` NoAnswer, once the
station and the gateway have had all the time they are given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import func, literal, or_, select, update
from sqlalchemy.orm import Session, aliased

from ocpp_cable.channels.domain import password_fields
from ocpp_cable.channels.domain.timeutil import now
from ocpp_cable.channels.storage.models import Command

QUEUED, SENT = "queued", "sent"
OPEN = (QUEUED, SENT)
# Why the sweep ended a command (its error_code).
NOT_SENT, NO_ANSWER = "NotSent", "NoAnswer"
# A reply's `status` -> the command's status.
REJECTED_STATUSES = frozenset(
    {"Rejected", "NotSupported", "Faulted", "Failed", "Unlocked"}
    # SetDisplayMessage's refusals (2.x)
    | {"NotSupportedMessageFormat", "NotSupportedPriority", "NotSupportedState"}
    | {"UnknownTransaction"}
)


def record_command(
    session: Session, command_id: str, station_id: str, action: str, payload: dict[str, Any]
) -> Command:
    kept = password_fields.masked(action, payload)  # a station's password is never kept
    command = Command(
        id=command_id, station_id=station_id, action=action, payload=kept, status=QUEUED
    )
    session.add(command)
    return command


def _advance(
    session: Session,
    command_id: str,
    allowed_from: tuple[str, ...],
    station_id: str | None = None,
    **values,
) -> bool:
    """Set `values` if the command is still in one of `allowed_from` (and, with
    `station_id`, is that station's); True when it was."""
    mine = () if station_id is None else (Command.station_id == station_id,)
    result = session.execute(
        update(Command)
        .where(Command.id == command_id, Command.status.in_(allowed_from), *mine)
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


def record_reply(
    session: Session, station_id: str, command_id: str, payload: dict[str, Any]
) -> bool:
    """Record `station_id`'s answer. False when the command's record was final already
    (the same answer offered again, or one that came after the command was given up),
    or is another station's: what the answer changes was applied then, or must not be."""
    found = session.execute(
        select(Command.action, Command.station_id).where(Command.id == command_id)
    ).first()
    if found is None:
        return True  # a command not sent through `ocpp-cable send`: nothing recorded
    action, owner = found
    if owner != station_id:
        return False  # a station answers only what was sent to it
    payload = password_fields.masked(action, payload)
    status = payload.get("status") if isinstance(payload, dict) else None
    # UnlockConnector answers "Unlocked" on success; everything else named above is a refusal.
    refused = status in REJECTED_STATUSES and not (
        action == "UnlockConnector" and status == "Unlocked"
    )
    at = now()
    return _advance(
        session,
        command_id,
        OPEN,
        station_id,
        status="rejected" if refused else "accepted",
        response=payload,
        answered_at=at,
        sent_at=_sent_by(at),
    )


def record_failure(
    session: Session, station_id: str, command_id: str, code: str, data: dict[str, Any]
) -> bool:
    """Record a CALLERROR, a timeout or a command not sent to `station_id`. False when
    the command is final already, not recorded at all, or another station's: its failure
    hooks are not for this call."""
    at = now()
    return _advance(
        session,
        command_id,
        OPEN,
        station_id,
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


# Commands looked at per sweep, oldest first: a backlog (a long outage) ends over a few.
SWEEP_LIMIT = 500


# Seconds two hosts' clocks may differ by: a command's times are written by the process
# that sent it and by rpc_app, and the sweep compares them with its own clock.
CLOCK_SKEW = 5.0
# Seconds past its due time by which the sweep has ended a command: it runs every 2 s
# (rpc_app/sweeping.py), and a loaded machine starts a run, or gets through it, later.
SWEEP_LATENESS = 5.0


@dataclass(frozen=True, slots=True)
class Patience:
    """How long a command may stay open before nothing will answer it any more.

    `per_call`: the station's time to answer one CALL (--call-timeout), for the command
    itself and for each CALL ahead of it in the station's queue at the gateway (one at a
    time). `grace`: the time its answer then has to reach the database: the gateway
    offers it to rpc_app for --reply-retry-time, each try one --rpc-timeout, the
    sender's publish another, and the clocks of two hosts may differ a little.
    """

    per_call: float
    grace: float

    def due(self, since: datetime, ahead: int) -> datetime:
        """When the sweep may end a command sent at `since` behind `ahead` others."""
        return since + timedelta(seconds=(ahead + 1) * self.per_call + self.grace)

    def final_by(self, since: datetime, ahead: int) -> datetime:
        """When such a command is final at the latest: due, and the sweep has run."""
        return self.due(since, ahead) + timedelta(seconds=SWEEP_LATENESS)


class Timings(Protocol):
    """The settings a command's patience is made of (the gateway's, given to rpc_app
    and to every process that sends or waits)."""

    call_timeout: float
    reply_retry_time: float
    rpc_timeout: float


def patience(settings: Timings) -> Patience:
    """How long a command may stay open: the one measure of "can still be answered", for
    rpc_app's sweep and for every wait (`send --wait`, `?wait=`, one rotation or list
    update at a time).

    Its answer reaches the database at the latest --reply-retry-time after the station's
    time ran out (the gateway's last try taking one --rpc-timeout), and the sender
    publishes within two more: the broker's connect and its answer."""
    return Patience(
        per_call=settings.call_timeout,
        grace=settings.reply_retry_time + 3 * settings.rpc_timeout + CLOCK_SKEW,
    )


@dataclass(frozen=True, slots=True)
class Ended:
    """A command the sweep ended, for what else its failure changes."""

    id: str
    station_id: str
    action: str
    code: str


def _since() -> Any:
    """When a command's clock started: sent, or recorded if it never was marked sent."""
    return func.coalesce(Command.sent_at, Command.created_at)


def _ahead() -> Any:
    """How many commands of its station a command waited behind at the gateway: those
    started before it and still open when it started (one CALL at a time)."""
    before = aliased(Command)
    since = _since()
    its_since = func.coalesce(before.sent_at, before.created_at)
    return (
        select(func.count())
        .where(
            before.station_id == Command.station_id,
            before.id != Command.id,
            its_since < since,
            or_(before.answered_at.is_(None), before.answered_at > since),
        )
        .correlate(Command)
        .scalar_subquery()
    )


def final_by(session: Session, command_id: str, patience: Patience) -> datetime | None:
    """When the command is final at the latest, answered or ended by the sweep, as the
    sweep counts (`settle_overdue`); None for an unknown command. A wait for its answer
    ends there: no answer can come after it."""
    found = session.execute(select(_since(), _ahead()).where(Command.id == command_id)).first()
    return None if found is None else patience.final_by(found[0], found[1])


def settle_overdue(
    session: Session, patience: Patience, at: datetime | None = None, limit: int = SWEEP_LIMIT
) -> list[Ended]:
    """End the open commands nobody will answer any more; returns those it ended.

    A command's clock starts when it was sent (recorded, if it never was marked sent).
    Then it waits behind the commands of its station sent before it and still open at
    that time, each for at most `per_call`, then gets its own, then `grace`. Past that:
    one still `queued` (its sender died between recording and marking it sent) ends as
    `error` NotSent, one `sent` (its broadcast or its answer was lost) as NoAnswer.

    Neither is sent again: a sender that died after publishing may have delivered it,
    and a Reset or a RemoteStartTransaction run twice on a station is worse than an
    error an operator sees and repeats. Each end is a conditional UPDATE from the state
    read, so rpc_app replicas sweeping at once, or an answer recorded meanwhile, are safe.
    """
    at = at or now()
    since, ahead = _since(), _ahead()
    # Only commands older than the least anyone is given: most sweeps read nothing.
    soonest = at - timedelta(seconds=patience.per_call + patience.grace)
    rows = session.execute(
        select(Command.id, Command.station_id, Command.action, Command.status, since, ahead)
        .where(Command.status.in_(OPEN), since <= soonest)
        .order_by(since)
        .limit(limit)
    ).all()
    ended = []
    for command_id, station_id, action, status, started, waited_behind in rows:
        if at < patience.due(started, waited_behind):
            continue
        if status == QUEUED:
            code, why = NOT_SENT, "its sender stopped before recording it sent"
        else:
            code, why = NO_ANSWER, "no answer reached the central system in time"
        if _advance(
            session,
            command_id,
            (status,),
            status="error",
            error_code=code,
            response={"code": code, "message": why, "details": {}},
            answered_at=at,
        ):
            ended.append(Ended(command_id, station_id, action, code))
    return ended
