"""Rotating a station's HTTP Basic password (security profiles 1 and 2), as the OCPP 1.6
security whitepaper and OCPP 2.0.1's use case A01 describe it.

1. An operator starts it (`ocpp-cable rotate-password`, the HTTP API, the dashboard): a
   new password is made (or the operator's is taken), its hash is kept as the station's
   pending password (`start`), and the command carrying it goes out: 1.6's
   ChangeConfiguration AuthorizationKey (the password's octets as hexadecimal digits),
   2.x's SetVariables SecurityCtrlr.BasicAuthPassword. That CALL is the one place the
   password is in: the command's record and the message log keep it masked.
2. The station answers. Accepted or RebootRequired: the pending password is marked
   accepted. Any other status, or a CALLERROR of the station's, ends the rotation: the
   old password stays the only one. So does a command that provably never left
   (BroadcastFailed; the gateway's QueueFull, or a CALL it would not send).
3. Every other end of the command says nothing of what the station did (UNKNOWN):
   Timeout (it may answer after --call-timeout; the gateway drops that answer, and the
   station has the password), NoAnswer (its answer was lost), NotSent (the sender died,
   maybe after publishing), NotConnected (gone, maybe after taking it). The rotation is
   then `unanswered`, and both passwords stay admitted: the password was shown to no
   one, so dropping it could lock the station out for good.
4. The station's next login settles it. With the new password: it is the station's
   password now, the old one retires (`promote`). With the old one once the command is
   final and unanswered: the station did not switch, and the rotation ends (`disproved`).
   An accepted rotation waits for the new password (a station that said RebootRequired
   may come back with the old one before its reboot).

The pending password is admitted from the moment it is sent, not only once the answer
is stored: a station reconnects as soon as it has answered, and its login may reach us
before its answer does. One rotation at a time (`in_the_way`): a new one waits until
the last is settled, however long that takes; setting a password directly ends it.
"""

from __future__ import annotations

import secrets
import string
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ocpp_cable.channels.domain import commands, password_fields
from ocpp_cable.channels.domain.timeutil import now
from ocpp_cable.channels.storage.models import ChargePoint, Command
from ocpp_cable.ocppj import errors

# A rotation's state: its command open (sent), the station took the password (accepted),
# or the command ended without the station's word (unanswered: derived, never stored).
SENT, ACCEPTED, UNANSWERED = "sent", "accepted", "unanswered"
# What an operator learns of a rotation from its command (and UNANSWERED, ACCEPTED).
WAITING, REFUSED, FAILED = "waiting", "refused", "failed"
TAKEN = ("Accepted", "RebootRequired")  # answers meaning the station has the password
# Ends of a command that say nothing of whether the station took the password.
UNKNOWN = frozenset({errors.TIMEOUT, errors.NOT_CONNECTED, commands.NO_ANSWER, commands.NOT_SENT})

# A station's columns with no rotation under way.
NONE_PENDING: dict[str, Any] = dict.fromkeys(
    ("pending_password_hash", "pending_password_command", "pending_password_status",
     "pending_password_at")
)  # fmt: skip

# 2.x's passwordString; a password made here takes letters and digits only.
CHARACTERS = frozenset(string.ascii_letters + string.digits + "*-_=:+|@.")
MADE_OF = string.ascii_letters + string.digits
# (shortest, longest, made) in characters. 1.6: 16 to 20 octets, sent as up to 40
# hexadecimal digits (the whitepaper); 2.x: 16 to 40 characters (passwordString).
LENGTHS = {"1.6": (16, 20, 20), "2.x": (16, 40, 40)}


def _family(version: str) -> str:
    return "1.6" if version == "1.6" else "2.x"


def new_password(version: str) -> str:
    """A password for a station speaking `version`, as long as OCPP lets it be: 20
    characters (119 bits) for 1.6, 40 (238 bits) for 2.x."""
    made = LENGTHS[_family(version)][2]
    return "".join(secrets.choice(MADE_OF) for _ in range(made))


def password_problem(version: str, password: str) -> str | None:
    """What is wrong with `password` (an operator's) for a station speaking `version`;
    it is not named in the answer."""
    shortest, longest, _ = LENGTHS[_family(version)]
    if not shortest <= len(password) <= longest:
        return (
            f"a password for an OCPP {version} station has {shortest} to {longest} "
            f"characters (this one has {len(password)})"
        )
    if not set(password) <= CHARACTERS:
        return "a password may hold letters, digits and * - _ = : + | @ . only"
    return None


def request(version: str, password: str) -> tuple[str, dict[str, Any]]:
    """The command that gives a station speaking `version` its new password."""
    if _family(version) == "1.6":
        key = password.encode().hex().upper()
        return "ChangeConfiguration", {"key": password_fields.KEY, "value": key}
    data = {
        "component": {"name": password_fields.COMPONENT},
        "variable": {"name": password_fields.VARIABLE},
        "attributeValue": password,
    }
    return "SetVariables", {"setVariableData": [data]}


def _rotation_state(session: Session, station: ChargePoint) -> tuple[str, str | None]:
    """The rotation's state (SENT, ACCEPTED, UNANSWERED) and the error code it ended with."""
    if station.pending_password_status == ACCEPTED:
        return ACCEPTED, None
    command = session.get(Command, station.pending_password_command)
    if command is not None and command.status in commands.OPEN:
        return SENT, None
    # Ended unanswered (or ended by the station's node going: no hook ran).
    return UNANSWERED, None if command is None else command.error_code


def in_the_way(session: Session, station: ChargePoint) -> str | None:
    """Why a new rotation of `station` may not start now, or None. The last one is not
    settled: its command waits for the station's answer, or the station accepted and has
    not logged in with the new password, or the command ended without the station's word.
    Replacing it could leave the station with a password no longer admitted. No time
    limit: only the station (or a password set directly) settles it."""
    command_id = station.pending_password_command
    if command_id is None:
        return None
    state, code = _rotation_state(session, station)
    settle = (
        "; setting its password (PATCH /api/v1/stations/<id>) ends the rotation, and "
        "locks the station out if it took the new one"
    )
    if state == SENT:
        return f"rotation {command_id} of {station.id} is still waiting for the station's answer"
    if state == ACCEPTED:
        return (
            f"{station.id} accepted the password of rotation {command_id} and has not "
            "logged in with it yet; both are admitted until it does (a Reset makes it "
            "reconnect)" + settle
        )
    return (
        f"rotation {command_id} of {station.id} ended without the station's word "
        f"({code or 'no answer'}): it may have taken the new password, so both are "
        "admitted until its next login settles it (a Reset makes it reconnect)" + settle
    )


def _ours(station_id: str, command_id: str) -> Any:
    return (ChargePoint.id == station_id) & (ChargePoint.pending_password_command == command_id)


def _set(session: Session, where: Any, **values: Any) -> bool:
    done = session.execute(
        update(ChargePoint)
        .where(where)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(done.rowcount)


def start(session: Session, station_id: str, command_id: str, pending_hash: str) -> bool:
    """The password the command `command_id` sends (`pending_hash`, its hash) is the
    station's pending one; False (nothing changes) while another rotation is under way.
    Run in the transaction that records the command: a pending password has its command."""
    return _set(
        session,
        (ChargePoint.id == station_id) & ChargePoint.pending_password_command.is_(None),
        pending_password_hash=pending_hash,
        pending_password_command=command_id,
        pending_password_status=SENT,
        pending_password_at=now(),
    )


def end(session: Session, station_id: str, command_id: str) -> None:
    """The rotation `command_id` is over, the station keeps its password (a newer
    rotation is left alone)."""
    _set(session, _ours(station_id, command_id), **NONE_PENDING)


def promote(
    session: Session, station_id: str, pending_hash: str, kept_hash: str | None = None
) -> bool:
    """The station logged in with its pending password: it is its password now, and the
    old one is retired. `kept_hash`: the hash of the password as the station presents it,
    when that is not the form hashed (a 1.6 key's hexadecimal digits): its later logins
    then cost one scrypt. False when the rotation ended meanwhile (nothing changes)."""
    return _set(
        session,
        (ChargePoint.id == station_id) & (ChargePoint.pending_password_hash == pending_hash),
        password_hash=kept_hash or pending_hash,
        auth_required=True,
        **NONE_PENDING,
    )


def disproved(session: Session, station_id: str, pending_hash: str) -> bool:
    """The station logged in with its old password: once its rotation's command is final
    and was not accepted, that proves it did not take the new one, and the rotation ends.
    False (nothing changes) while the command may still be answered, once the station
    accepted (it may come back with the old one before it switches), or when the
    rotation ended meanwhile."""
    final = (
        select(Command.id)
        .where(
            Command.id == ChargePoint.pending_password_command,
            Command.status.not_in(commands.OPEN),
        )
        .exists()
    )
    return _set(
        session,
        (ChargePoint.id == station_id)
        & (ChargePoint.pending_password_hash == pending_hash)
        & ChargePoint.pending_password_status.is_distinct_from(ACCEPTED)
        & final,
        **NONE_PENDING,
    )


def answer_status(action: str, answer: Any) -> str | None:
    """The station's word on its new password in its answer to a rotation's command: 1.6's
    status, or the attributeStatus of 2.x's BasicAuthPassword."""
    if not isinstance(answer, dict):
        return None
    if action == "ChangeConfiguration":
        status = answer.get("status")
        return status if isinstance(status, str) else None
    for result in answer.get("setVariableResult") or ():
        if isinstance(result, dict) and password_fields.is_variable(
            result.get("component"), result.get("variable")
        ):
            status = result.get("attributeStatus")
            return status if isinstance(status, str) else None
    return None


def taken(action: str, answer: Any) -> bool:
    """Does this answer to a rotation's command say the station has the password?"""
    return answer_status(action, answer) in TAKEN


def outcome(action: str, status: str, response: Any, error_code: str | None) -> str:
    """What a rotation's command (its action, status, response and error code) says of
    it: waiting (no answer yet), accepted (the station has the new password), refused (it
    keeps the old one: Rejected, NotSupported, ...), failed (a CALLERROR of the station's,
    or never delivered: it keeps the old one) or unanswered (no word from the station:
    Timeout, NoAnswer, NotSent, NotConnected; both are admitted until its next login)."""
    if status in commands.OPEN:
        return WAITING
    if error_code in UNKNOWN:
        return UNANSWERED
    if status in ("error", "timeout"):
        return FAILED
    return ACCEPTED if taken(action, response) else REFUSED


def state(session: Session, station: ChargePoint) -> dict[str, Any] | None:
    """The rotation under way, as people see it (never its hash): its command, its state
    (sent, accepted, unanswered), and the error code of an unanswered one."""
    if station.pending_password_command is None:
        return None
    status, code = _rotation_state(session, station)
    return {
        "command_id": station.pending_password_command,
        "status": status,
        "error_code": code,
        "started_at": station.pending_password_at,
    }


# --- the command hooks --------------------------------------------------------------------


def _answered(session: Session, station_id: str, action: str, answer: Any, command_id: str):
    if taken(action, answer):
        _set(session, _ours(station_id, command_id), pending_password_status=ACCEPTED)
    else:
        end(session, station_id, command_id)


def on_key_answered(session, station_id, payload, answer, command_id):
    if password_fields.sets_password("ChangeConfiguration", payload):
        _answered(session, station_id, "ChangeConfiguration", answer, command_id)


def on_variables_answered(session, station_id, payload, answer, command_id):
    if password_fields.sets_password("SetVariables", payload):
        _answered(session, station_id, "SetVariables", answer, command_id)


def on_rotation_failed(session, station_id, payload, code, command_id):
    # The station refused it (its CALLERROR), or it never left: the old password stays.
    # Any other end says nothing of what the station did: its next login tells.
    if code not in UNKNOWN:
        end(session, station_id, command_id)  # only the rotation this command is
