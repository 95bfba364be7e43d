"""`ocpp-cable rotate-password`: a station's HTTP Basic password rotated (the flow is in
channels/domain/password_rotation.py), for the CLI and the HTTP API alike.

The password is made here, or read from a file or stdin (never a flag: a command line
is kept in shell histories and shown by `ps`). It is printed nowhere.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ocpp_cable.channels.domain import password_rotation
from ocpp_cable.channels.domain.passwords import hash_password
from ocpp_cable.channels.operators.admin import command_records
from ocpp_cable.channels.operators.admin.publishing import CommandFailed, build_call
from ocpp_cable.channels.settings import SendSettings
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import ChargePoint, Command
from ocpp_cable.rpc_app.broadcasting import Broadcaster, BroadcastError


class RotationRefused(CommandFailed):
    """Bad input, or a station without a password to rotate (exit 2)."""

    exit_code = 2


class RotationConflict(CommandFailed):
    """A rotation of the station is under way (exit 1)."""


def rotate_password(
    settings: SendSettings,
    station_id: str,
    password: str | None = None,
    broadcaster: Broadcaster | None = None,
) -> str:
    """Send the station a new password (`password`, else one made here) and keep its hash
    as the station's pending one; the command's id.

    Raises:
        CommandFailed: not sent (unknown or offline station, no password to rotate, a
            rotation under way, a password OCPP does not allow).
        BroadcastError: the broker did not take it (the rotation ends).
    """
    command_id = uuid.uuid4().hex
    with db.session_scope(settings.database_url) as session:
        station = session.get(ChargePoint, station_id)
        if station is None:
            raise command_records.UnknownStation(
                f"no station {station_id} (ocpp-cable stations add {station_id})"
            )
        if not station.connected:  # before anything is made or recorded
            raise command_records.StationOffline(f"station {station_id} is not connected")
        if station.password_hash is None:
            raise RotationRefused(
                f"{station_id} has no password to rotate (auth: "
                f"{'certificate' if station.auth_required else 'none'}); give it one with "
                "PATCH /api/v1/stations/<id>"
            )
        version = station.ocpp_version or "1.6"
        if password is not None:
            problem = password_rotation.password_problem(version, password)
            if problem is not None:
                raise RotationRefused(problem)
        blocker = password_rotation.in_the_way(session, station)
        if blocker is not None:
            raise RotationConflict(blocker)
        new = password or password_rotation.new_password(version)
        action, payload = password_rotation.request(version, new)
        transmission = build_call(action, payload, command_id, version)
    pending_hash = hash_password(new)

    def claim(session: Session) -> None:
        # Kept with the command's record, before it is sent: the station may come back
        # with it at once. Another rotation started meanwhile keeps this one out.
        if not password_rotation.start(session, station_id, command_id, pending_hash):
            station = session.get(ChargePoint, station_id)
            session.refresh(station)
            raise RotationConflict(
                password_rotation.in_the_way(session, station) or f"{station_id} is rotating"
            )

    try:
        command_records.publish_recorded(
            settings,
            station_id,
            transmission,
            settings.stream_for_station(station_id),
            broadcaster,
            claim=claim,
        )
    except (CommandFailed, BroadcastError):
        # Never published: the station cannot have it (a rotation not this one's stays).
        with db.session_scope(settings.database_url) as session:
            password_rotation.end(session, station_id, command_id)
        raise
    return command_id


def rotation_view(command: dict[str, Any]) -> dict[str, Any]:
    """A rotation as the API and the CLI show it, from its command's row."""
    return {
        "station_id": command["station_id"],
        "command_id": command["id"],
        "action": command["action"],
        "state": password_rotation.outcome(
            command["action"], command["status"], command["response"], command["error_code"]
        ),
        "command": command,
    }


# --- the command line --------------------------------------------------------------------------


def add_parser(leaf) -> argparse.ArgumentParser:
    """`rotate-password`, made by `leaf(name, handler, help)`."""
    parser = leaf(
        "rotate-password",
        _rotate,
        "give a station a new HTTP Basic password (1.6 ChangeConfiguration AuthorizationKey, "
        "2.x SetVariables BasicAuthPassword); made here unless --password-file, shown to "
        "no one; the old one is admitted until the station logs in with the new one",
    )
    parser.add_argument("station_id")
    parser.add_argument(
        "--password-file",
        metavar="PATH",
        help="read the new password from this file ('-': stdin) instead of making one",
    )
    parser.add_argument(
        "--wait", action="store_true", help="wait for the station's answer and say what it was"
    )
    return parser


def _read_password(path: str) -> str:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise RotationRefused(f"cannot read the password from {path}: {exc}") from None
    password = text.removesuffix("\n").removesuffix("\r")
    if not password:
        raise RotationRefused(f"no password in {path}")
    return password


SAID = {
    password_rotation.ACCEPTED: "accepted: {id} takes the new password from its next "
    "connection; the old one is admitted until it has logged in with the new one",
    password_rotation.REFUSED: "refused: {id} keeps its password",
    password_rotation.FAILED: "failed: {id} keeps its password",
    password_rotation.UNANSWERED: "unanswered: no word from {id}, which may have taken the "
    "new password; both are admitted until its next login settles it (the new one: "
    "it is the password; the old one: the rotation ends)",
}


def _rotate(args: argparse.Namespace, settings: SendSettings) -> int:
    password = _read_password(args.password_file) if args.password_file else None
    command_id = rotate_password(settings, args.station_id, password)
    print(
        f"rotate-password {command_id} sent to {args.station_id}: a new password "
        f"({'from ' + args.password_file if password else 'made here'}), shown to no one"
    )
    if not args.wait:
        return 0
    command = command_records.wait_for_answer(settings, command_id)
    if command is None:
        print(command_records.no_answer(command_id), file=sys.stderr)
        return 1
    state = password_rotation.outcome(
        command.action, command.status, command.response, command.error_code
    )
    print(SAID[state].format(id=args.station_id) + _why(command))
    return 0 if state == password_rotation.ACCEPTED else 1


def _why(command: Command) -> str:
    said = command.error_code or password_rotation.answer_status(command.action, command.response)
    return f" ({said})" if said else ""
