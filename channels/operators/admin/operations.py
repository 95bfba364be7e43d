"""`ocpp-cable local-list|reserve|reservations`: 1.6 stations' Local Authorization List, and
reservations (1.6 connectors, 2.x EVSEs), built from our records and sent as `ocpp-cable
send` sends a command (recorded, checked by channels/domain/command_hooks.py, refused for an
offline station); and `rotate-password` (channels/operators/admin/password_rotation.py).

The operations below serve the CLI and the HTTP API alike; each raises a CommandFailed
whose exit_code says bad input (2) or not possible as things stand (1).
"""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, select

from ocpp_cable.channels.domain import commands, local_list_requests, local_lists, reservations
from ocpp_cable.channels.domain.timeutil import now
from ocpp_cable.channels.operators.admin import (
    command_records,
    parsers,
    password_rotation,
    station_commands,
)
from ocpp_cable.channels.operators.admin.cli import _cell, _print_json, _print_rows
from ocpp_cable.channels.operators.admin.outcomes import exit_status
from ocpp_cable.channels.operators.admin.publishing import (
    CommandFailed,
    CommandLineError,
    build_call,
)
from ocpp_cable.channels.settings import SendSettings
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import ChargePoint, Command, LocalList, Reservation
from ocpp_cable.rpc_app.broadcasting import Broadcaster, BroadcastError

RESERVATION_FIELDS = (
    "id", "station_id", "connector_id", "evse_id", "connector_type", "id_tag", "id_token_type",
    "parent_id_tag", "expiry_date", "status", "reason", "command_id", "transaction_id",
    "created_at", "ended_at",
)  # fmt: skip


class OperationRefused(CommandFailed):
    """Bad input, or what OCPP or the station's configuration does not allow (exit 2)."""

    exit_code = 2


class OperationConflict(CommandFailed):
    """Not possible as things stand: the connector is reserved, an update is in flight."""


class NotFound(CommandFailed):
    """No such reservation."""


def _station(session: Any, station_id: str) -> ChargePoint:
    station = session.get(ChargePoint, station_id)
    if station is None:
        raise command_records.UnknownStation(
            f"no station {station_id} (ocpp-cable stations add {station_id})"
        )
    return station


def _publish(
    settings: SendSettings,
    station_id: str,
    action: str,
    payload: dict[str, Any],
    command_id: str,
    broadcaster: Broadcaster | None,
    version: str = "1.6",
) -> None:
    try:
        transmission = build_call(action, payload, command_id, version)
    except CommandLineError as exc:
        raise OperationRefused(str(exc)) from None
    stream = settings.stream_for_station(station_id)
    command_records.publish_recorded(settings, station_id, transmission, stream, broadcaster)


# --- the Local Authorization List --------------------------------------------------------------


def sync_local_list(
    settings: SendSettings,
    station_id: str,
    full: bool,
    broadcaster: Broadcaster | None = None,
    token_type: str | None = None,
) -> dict[str, Any]:
    """Send the station what it lacks of our idTags (Differential), or all (Full: asked
    for, or the station never acknowledged a list), in its version's SendLocalList (a 2.x
    one with `token_type` idTokens, split as its LocalAuthListCtrlr allows). Nothing when
    it is in sync."""
    command_id = uuid.uuid4().hex
    with db.session_scope(settings.database_url) as session:
        station = _station(session, station_id)
        if not station.connected:  # before anything is planned or recorded
            raise command_records.StationOffline(f"station {station_id} is not connected")
        version = station.ocpp_version or "1.6"
        pending = local_lists.in_flight(session, station_id, commands.patience(settings))
        if pending is not None:
            raise OperationConflict(
                f"SendLocalList {pending.id} (version {_list_version(pending.payload)}) "
                f"to {station_id} is still waiting for the station's answer"
            )
        more = False
        try:
            if version == "1.6":
                if token_type is not None:
                    raise local_lists.ListProblem(
                        "a 1.6 list holds idTags, which have no type: no token type"
                    )
                payload = local_lists.plan(session, station, full)
            else:
                planned = local_lists.plan_2(session, station, full, token_type)
                payload = None if planned is None else planned.payload
                if planned is not None:
                    more, token_type = planned.more_parts, planned.token_type
        except local_lists.ListProblem as exc:
            raise OperationRefused(str(exc)) from None
        if payload is None:
            held = local_lists.state(session, station_id).version
            return {"station_id": station_id, "sent": False, "command_id": None,
                    "version": held, "update_type": None, "entries": 0,
                    "more_parts": False}  # fmt: skip
        local_lists.started(session, station_id, command_id, more, token_type)
    _publish(settings, station_id, "SendLocalList", payload, command_id, broadcaster, version)
    return {
        "station_id": station_id,
        "sent": True,
        "command_id": command_id,
        "version": _list_version(payload),
        "update_type": payload["updateType"],
        "entries": len(payload.get("localAuthorizationList") or []),
        "more_parts": more,
    }


def _list_version(payload: dict[str, Any]) -> Any:
    return payload.get("listVersion", payload.get("versionNumber"))  # 1.6, 2.x


def local_list_state(settings: SendSettings, station_id: str) -> dict[str, Any]:
    """What the station holds as far as we know, whether that is what it should hold,
    and the update on its way."""
    with db.session_scope(settings.database_url) as session:
        station = _station(session, station_id)
        known = session.get(LocalList, station_id)
        wanted = local_lists.wanted_for(session, station, known)
        pending = local_lists.in_flight(session, station_id, commands.patience(settings))
        held = known.entries if known is not None else {}
        return {
            "station_id": station_id,
            "version": known.version if known is not None else None,
            "in_sync": known is not None and local_lists.in_sync(session, known, station),
            "entries": len(held),
            "wanted": len(wanted.entries),
            "left_out": wanted.too_long,
            "supported": known.supported if known is not None else True,
            "problem": known.problem if known is not None else None,
            "token_type": known.token_type if known is not None else None,
            "more_parts": known.more_parts if known is not None else False,
            "in_flight": None if pending is None else _update_in_flight(pending),
        }


def _update_in_flight(command: Command) -> dict[str, Any]:
    return {
        "command_id": command.id,
        "version": _list_version(command.payload),
        "update_type": command.payload.get("updateType"),
        "entries": len(command.payload.get("localAuthorizationList") or []),
        "sent_at": command.sent_at or command.created_at,
    }


def local_list_version(
    settings: SendSettings, station_id: str, broadcaster: Broadcaster | None = None
) -> tuple[str, Any]:
    """Ask the station which list version it holds (GetLocalListVersion, the same in every
    version); its answer moves what we know (local_lists.on_version_answered). The
    command's id, and what was sent."""
    return station_commands.send_request(
        settings, station_id, lambda _: local_list_requests.get_version(), broadcaster
    )


# --- reservations ------------------------------------------------------------------------------


def reservation_row(reservation: Reservation) -> dict[str, Any]:
    """The reservation as the CLI's --json and the API show it; `reserves` says what it
    holds in words ("connector 1", "EVSE 2", "any cType2 connector", "any EVSE")."""
    row = {name: getattr(reservation, name) for name in RESERVATION_FIELDS}
    row["reserves"] = reservations.place_of(reservation).describe()
    return row


def make_reservation(
    settings: SendSettings,
    station_id: str,
    connector_id: int | None,
    id_tag: str,
    parent_id_tag: str | None,
    expiry: Any,
    broadcaster: Broadcaster | None = None,
    *,
    evse_id: int | None = None,
    connector_type: str | None = None,
    id_token_type: str | None = None,
) -> dict[str, Any]:
    """Record the reservation (its id is the reservationId), then send ReserveNow in the
    station's version: a 1.6 station's names `connector_id`, a 2.x station's `evse_id`,
    `connector_type` or neither. One that could not be sent ends at once, saying why."""
    command_id = uuid.uuid4().hex
    with db.session_scope(settings.database_url) as session:
        station = _station(session, station_id)
        if not station.connected:
            raise command_records.StationOffline(f"station {station_id} is not connected")
        version = reservations.version_of(station)
        try:
            made = reservations.create(
                session, station, connector_id, id_tag, parent_id_tag, expiry, command_id,
                evse_id=evse_id, connector_type=connector_type, id_token_type=id_token_type,
            )  # fmt: skip
        except reservations.ReservationProblem as exc:
            raise OperationRefused(str(exc)) from None
        except reservations.ReservationConflict as exc:
            raise OperationConflict(str(exc)) from None
        reservation_id, payload = made.id, reservations.reserve_now(made)
    try:
        _publish(settings, station_id, "ReserveNow", payload, command_id, broadcaster, version)
    except (CommandFailed, BroadcastError) as exc:
        with db.session_scope(settings.database_url) as session:
            reservations.end(session, station_id, reservation_id, reservations.ENDED,
                             f"not sent: {exc}")  # fmt: skip
        raise
    return show_reservation(settings, reservation_id)


def show_reservation(settings: SendSettings, reservation_id: int) -> dict[str, Any]:
    with db.session_scope(settings.database_url) as session:
        found = session.get(Reservation, reservation_id)
        if found is None:
            raise NotFound(f"no reservation {reservation_id}")
        reservations.expire(session, found.station_id)
        session.refresh(found)
        return reservation_row(found)


def cancel_reservation(
    settings: SendSettings,
    reservation_id: int,
    broadcaster: Broadcaster | None = None,
    station_id: str | None = None,
) -> dict[str, Any]:
    """Send CancelReservation for a reservation still holding its connector; it is
    cancelled when the station accepts."""
    command_id = uuid.uuid4().hex
    with db.session_scope(settings.database_url) as session:
        try:
            found = reservations.cancellable(session, reservation_id, station_id)
        except LookupError as exc:
            raise NotFound(str(exc)) from None
        except reservations.ReservationConflict as exc:
            raise OperationConflict(str(exc)) from None
        station_id = found.station_id
        found.command_id = command_id
        version = reservations.version_of(_station(session, station_id))
    payload = {"reservationId": reservation_id}  # the same in every version
    _publish(settings, station_id, "CancelReservation", payload, command_id, broadcaster, version)
    return show_reservation(settings, reservation_id)


def reservations_query(station_id: str | None, everything: bool) -> Select:
    """Reservations holding a connector (with `everything`, the ended ones kept too),
    newest first. Run `reservations.expire` first, in the same session."""
    query = select(Reservation).order_by(Reservation.id.desc())
    if station_id is not None:
        query = query.where(Reservation.station_id == station_id)
    if not everything:
        query = query.where(Reservation.status.in_(reservations.HOLDING))
    return query


def list_reservations(
    settings: SendSettings, station_id: str | None, everything: bool
) -> list[dict[str, Any]]:
    with db.session_scope(settings.database_url) as session:
        reservations.expire(session, station_id)
        query = reservations_query(station_id, everything)
        return [reservation_row(r) for r in session.scalars(query)]


# --- the command line --------------------------------------------------------------------------


def add_operation_commands(
    commands: argparse._SubParsersAction,
    add_setting_flags: Callable[[argparse.ArgumentParser], None],
) -> None:
    """Add `local-list`, `reserve`, `reservations` and `rotate-password` to the top-level
    subparsers."""
    leaves = []

    def leaf(group, name: str, handler, help_text: str, json_flag: bool = False):
        parser = parsers.leaf(
            group, name, handler, help_text, json_flag, handler_key="operation_handler"
        )
        leaves.append(parser)
        return parser

    local_list = commands.add_parser(
        "local-list",
        help="a station's Local Authorization List (our idTags)",
        description="Keep a station's Local Authorization List in step with our idTags.",
    )
    list_commands = local_list.add_subparsers(
        dest="local_list_command", required=True, metavar="SUBCOMMAND"
    )
    sync = leaf(
        list_commands,
        "sync",
        _local_list_sync,
        "send the station what changed since the list it acknowledged (SendLocalList)",
    )
    sync.add_argument("station_id")
    sync.add_argument("--full", action="store_true", help="send the whole list (Full update)")
    sync.add_argument(
        "--wait", action="store_true", help="wait for the station's answer (to the first part)"
    )
    sync.add_argument(
        "--token-type",
        choices=local_list_requests.TOKEN_TYPES,
        metavar="TYPE",
        help="2.x: the entries' idToken type (default: as last sent, else "
        f"{local_list_requests.DEFAULT_TOKEN_TYPE}; one of "
        f"{', '.join(local_list_requests.TOKEN_TYPES)})",
    )
    show = leaf(
        list_commands,
        "show",
        _local_list_show,
        "the list version the station acknowledged, whether it is in sync, the update in flight",
        json_flag=True,
    )
    show.add_argument("station_id")
    version = leaf(
        list_commands,
        "version",
        _local_list_version,
        "ask the station which list version it holds (GetLocalListVersion)",
    )
    version.add_argument("station_id")
    version.add_argument("--wait", action="store_true", help="wait for the station's answer")

    reserve = leaf(
        commands,
        "reserve",
        _reserve,
        "reserve a 1.6 connector or a 2.x EVSE for an idTag (ReserveNow)",
    )
    reserve.add_argument("station_id")
    reserve.add_argument(
        "--connector",
        type=int,
        help="1.6: the connector's number; 0 (any) if the station reports "
        "ReserveConnectorZeroSupported",
    )
    reserve.add_argument("--evse", type=int, help="2.x: the EVSE (default: any EVSE)")
    reserve.add_argument(
        "--connector-type", help="2.x: a connector of this type (cType2, cCCS2, ...)"
    )
    reserve.add_argument(
        "--id-tag", required=True, help="an Accepted idTag of ours (2.x: the idToken's value)"
    )
    reserve.add_argument(
        "--token-type",
        help=f"2.x: the idToken's type (default {reservations.DEFAULT_TOKEN_TYPE}: an RFID card)",
    )
    reserve.add_argument(
        "--parent-id-tag",
        "--group-id-token",
        dest="parent_id_tag",
        help="its group, 2.x's groupIdToken (default: the idTag's parent in our table)",
    )
    reserve.add_argument(
        "--expires",
        required=True,
        help="ISO 8601 time (UTC if no zone), or a duration from now: 90s, 30m, 2h, 1d",
    )
    reserve.add_argument("--wait", action="store_true", help="wait for the station's answer")

    reservations_parser = commands.add_parser(
        "reservations",
        help="list and cancel reservations",
        description="Reservations made with `ocpp-cable reserve`.",
    )
    reservation_commands = reservations_parser.add_subparsers(
        dest="reservations_command", required=True, metavar="SUBCOMMAND"
    )
    listing = leaf(
        reservation_commands,
        "list",
        _reservations_list,
        "reservations holding a connector, newest first",
        json_flag=True,
    )
    listing.add_argument("--station", metavar="ID", help="only this station's")
    listing.add_argument("--all", action="store_true", help="ended ones too (the last 100 kept)")
    cancel = leaf(
        reservation_commands, "cancel", _reservations_cancel, "cancel one (CancelReservation)"
    )
    cancel.add_argument("reservation_id", type=int)
    cancel.add_argument("--wait", action="store_true", help="wait for the station's answer")
    password_rotation.add_parser(lambda *named: leaf(commands, *named))
    station_commands.add_station_commands(commands, leaf)
    for parser in leaves:  # last, so a leaf's own arguments come first in --help
        add_setting_flags(parser)


def run_operation(args: argparse.Namespace, settings: SendSettings) -> int:
    """Run the command in `args`; the exit status."""

    def run() -> int:
        if settings.auto_migrate:
            db.upgrade(settings.database_url)
        return args.operation_handler(args, settings)

    return exit_status(run)


def _local_list_sync(args: argparse.Namespace, settings: SendSettings) -> int:
    result = sync_local_list(settings, args.station_id, args.full, token_type=args.token_type)
    if not result["sent"]:
        print(f"{args.station_id} holds our list at version {result['version']}: nothing sent")
        return 0
    more = "; the rest follows in parts as each is accepted" if result["more_parts"] else ""
    print(
        f"SendLocalList {result['command_id']} sent to {args.station_id}: "
        f"{result['update_type']} update to version {result['version']}, "
        f"{result['entries']} entries{more}"
    )
    return command_records.wait_and_print(settings, result["command_id"]) if args.wait else 0


def _local_list_version(args: argparse.Namespace, settings: SendSettings) -> int:
    command_id, request = local_list_version(settings, args.station_id)
    print(f"{request.action} {command_id} sent to {args.station_id}")
    return command_records.wait_and_print(settings, command_id) if args.wait else 0


def _local_list_show(args: argparse.Namespace, settings: SendSettings) -> int:
    state = local_list_state(settings, args.station_id)
    if args.json:
        _print_json(state)
        return 0
    version = state["version"]
    sync = "in sync" if state["in_sync"] else "not in sync"
    pending = state["in_flight"]
    left_out = (
        f" ({state['left_out']} idTags longer than the station's idTag left out)"
        if state["left_out"]
        else ""
    )
    lines = [
        ("station", state["station_id"]),
        ("version", f"{'none acknowledged' if version is None else version} ({sync})"),
        ("entries", f"{state['entries']} held, {state['wanted']} in our list{left_out}"),
        ("in flight", "none" if pending is None else
            f"SendLocalList {pending['command_id']}: {pending['update_type']} update to "
            f"version {pending['version']}, {pending['entries']} entries, sent "
            f"{_cell(pending['sent_at'])}"),
        ("supported", "yes" if state["supported"] else "no"),
        *([("token type", state["token_type"])] if state["token_type"] else []),
        ("problem", state["problem"]),
    ]  # fmt: skip
    for name, value in lines:
        print(f"{name:10} {_cell(value)}")
    return 0


def _reserve(args: argparse.Namespace, settings: SendSettings) -> int:
    try:
        expiry = reservations.parse_expiry(args.expires, now())
    except reservations.ReservationProblem as exc:
        raise OperationRefused(str(exc)) from None
    row = make_reservation(
        settings, args.station_id, args.connector, args.id_tag, args.parent_id_tag, expiry,
        evse_id=args.evse, connector_type=args.connector_type, id_token_type=args.token_type,
    )  # fmt: skip
    print(
        f"reservation {row['id']} of {row['reserves']} at {row['station_id']} "
        f"until {_cell(row['expiry_date'])}: ReserveNow {row['command_id']} sent"
    )
    return command_records.wait_and_print(settings, row["command_id"]) if args.wait else 0


def _reservations_list(args: argparse.Namespace, settings: SendSettings) -> int:
    rows = list_reservations(settings, args.station, args.all)
    _print_rows(
        args,
        rows,
        "no reservations",
        [
            ("ID", "id"),
            ("STATION", "station_id"),
            ("RESERVES", "reserves"),
            ("IDTAG", "id_tag"),
            ("PARENT", "parent_id_tag"),
            ("EXPIRES", "expiry_date"),
            ("STATUS", "status"),
            ("REASON", "reason"),
            ("TX", "transaction_id"),
        ],
    )
    return 0


def _reservations_cancel(args: argparse.Namespace, settings: SendSettings) -> int:
    row = cancel_reservation(settings, args.reservation_id)
    print(
        f"CancelReservation {row['command_id']} sent to {row['station_id']} for reservation "
        f"{row['id']}"
    )
    return command_records.wait_and_print(settings, row["command_id"]) if args.wait else 0
