"""`ocpp-cable send` on the reference central system: commands recorded, replies awaited."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy.orm import Session

from ocpp_cable.channels.domain import audit, command_hooks, commands, presence, stations
from ocpp_cable.channels.domain.timeutil import now
from ocpp_cable.channels.operators.admin.publishing import CommandFailed, publish
from ocpp_cable.channels.settings import SendSettings
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import ChargePoint, Command
from ocpp_cable.rpc_app.broadcasting import Broadcaster, BroadcastError, message


class UnknownStation(CommandFailed):
    """No such station is registered."""


class StationOffline(CommandFailed):
    """The station is not connected, so the command could not reach it."""


class CommandRefused(CommandFailed):
    """The central system keeps a rule of OCPP that the command breaks (domain/hook_table.py):
    bad input, exit 2."""

    exit_code = 2


def station_version(settings: SendSettings, station_id: str) -> str | None:
    """The OCPP version the station speaks (commands are checked against it); None for
    an unknown station."""
    with db.session_scope(settings.database_url) as session:
        return stations.station_version(session, station_id)


def publish_recorded(
    settings: SendSettings,
    station_id: str,
    transmission: dict[str, Any],
    stream: str,
    broadcaster: Broadcaster | None = None,
    recorded_payload: dict[str, Any] | None = None,
    claim: Callable[[Session], None] | None = None,
) -> None:
    """Refuse at once for a station that is not connected; else record, publish, mark sent.

    `broadcaster`: a long-lived process's own (the API's); else one for this command.
    The schema is the caller's to bring up to date (`send` does, the API at start-up):
    migrating per command would run Alembic, which is not thread-safe, per request.
    `recorded_payload`: what the record and the message log keep instead of the payload
    sent (one holding a secret, such as an upload URL's token, keeps it masked).
    `claim`: what else the command's record commits with, once the station's checks
    passed (a password rotation's pending password); it may raise CommandFailed."""
    command_id, action, payload = (
        transmission["id"],
        transmission["command"],
        transmission["payload"],
    )
    with db.session_scope(settings.database_url) as session:
        station = session.get(ChargePoint, station_id)
        if station is None:
            raise UnknownStation(f"no station {station_id} (ocpp-cable stations add {station_id})")
        if not station.connected:
            raise StationOffline(f"station {station_id} is not connected")
        if not presence.is_present(session, station):
            raise StationOffline(
                f"station {station_id} is not connected: its gateway node is gone "
                "(no lease renewal)"
            )
        refused = command_hooks.problem(session, station, action, payload)
        if refused is not None:
            raise CommandRefused(f"{action} not sent to {station_id}: {refused}")
        if claim is not None:
            claim(session)
        kept = payload if recorded_payload is None else recorded_payload
        commands.record_command(session, command_id, station_id, action, kept)
        if settings.audit_log:
            audit.log_message(session, station_id, "out", "CALL", action, command_id, kept)
    try:
        if broadcaster is None:
            publish(settings, stream, transmission)
        else:
            broadcaster.publish([message(stream, transmission)])
    except BroadcastError as exc:
        with db.session_scope(settings.database_url) as session:
            commands.record_failure(
                session, station_id, command_id, "BroadcastFailed", {"message": str(exc)}
            )
        raise
    with db.session_scope(settings.database_url) as session:
        commands.mark_sent(session, command_id)


def wait_for_answer(settings: SendSettings, command_id: str, poll: float = 0.1) -> Command | None:
    """The command once final: answered, failed, or ended by rpc_app's sweep. None when
    it is unknown, or still open at the latest time it could be final
    (commands.patience: the sweep's own measure), which only a sweep that does not run
    (no rpc_app, or one given other timings than the gateway) leaves it open past."""
    patience = commands.patience(settings)
    deadline = None
    while True:
        with db.session_scope(settings.database_url) as session:
            command = session.get(Command, command_id)
            if command is None or command.status not in commands.OPEN:
                return command
            if deadline is None:
                deadline = commands.final_by(session, command_id, patience)
        if deadline is None or now() >= deadline:
            return None
        time.sleep(poll)


def no_answer(command_id: str) -> str:
    """What a wait that ended with the command still open says."""
    return (
        f"ocpp-cable: no answer recorded for {command_id}, and it is still open past the "
        "time rpc_app's sweep ends it: is rpc_app running, with the gateway's "
        "--call-timeout and --reply-retry-time?"
    )


def wait_and_print(settings: SendSettings, command_id: str, poll: float = 0.1) -> int:
    """Wait for the station's reply (or the gateway's timeout) and print it; 0 when accepted."""
    command = wait_for_answer(settings, command_id, poll)
    if command is None:
        print(no_answer(command_id), file=sys.stderr)
        return 1
    print(f"{command.status}: {orjson.dumps(command.response).decode()}")
    return 0 if command.status == "accepted" else 1
