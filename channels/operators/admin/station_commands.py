"""`ocpp-cable reset|availability|clear-cache|trigger|unlock|network-profile` and
`remote-start|remote-stop|transaction-status`: an operator's everyday commands to a
station, composed by the central system in the version the station speaks
(channels/domain/station_requests.py, session_requests.py), then sent as `ocpp-cable send`
sends a command: checked, recorded, followed to the station's answer with `--wait`.

`send_request` serves the HTTP API (routes/station_commands.py) as well.
"""

from __future__ import annotations

import argparse
import json
import secrets
import uuid
from collections.abc import Callable
from typing import Any

from ocpp_cable.channels.domain import session_requests, station_requests
from ocpp_cable.channels.domain.station_requests import Request, RequestProblem
from ocpp_cable.channels.operators.admin import command_records
from ocpp_cable.channels.operators.admin.publishing import CommandFailed, build_call
from ocpp_cable.channels.settings import SendSettings
from ocpp_cable.channels.storage import db
from ocpp_cable.rpc_app.broadcasting import Broadcaster

NAMES = (
    "reset", "availability", "clear-cache", "trigger", "unlock", "network-profile",
    "remote-start", "remote-stop", "transaction-status", "configuration",
)  # fmt: skip


class RequestRefused(CommandFailed):
    """What was asked cannot be said to this station (bad input: exit 2)."""

    exit_code = 2


def send_request(
    settings: SendSettings,
    station_id: str,
    compose: Callable[[str], Request],
    broadcaster: Broadcaster | None = None,
) -> tuple[str, Request]:
    """Compose the request for the station's version, send it as `send` does: the
    command's id, and what was sent."""
    version = command_records.station_version(settings, station_id)
    if version is None:
        raise command_records.UnknownStation(
            f"no station {station_id} (ocpp-cable stations add {station_id})"
        )
    try:
        request = compose(version)
    except RequestProblem as exc:
        raise RequestRefused(f"{station_id} (OCPP {version}): {exc}") from None
    transmission = build_call(request.action, request.payload, uuid.uuid4().hex, version)
    stream = settings.stream_for_station(station_id)
    command_records.publish_recorded(settings, station_id, transmission, stream, broadcaster)
    return transmission["id"], request


def add_station_commands(
    commands: argparse._SubParsersAction, leaf: Callable[..., argparse.ArgumentParser]
) -> None:
    """Add the commands to the top-level subparsers with `leaf(group, name, handler, help)`
    (operations.py's)."""
    reset = leaf(commands, "reset", _reset, "restart a station, or a 2.x EVSE (Reset)")
    reset.add_argument("station_id")
    reset.add_argument(
        "--immediate",
        action="store_true",
        help="now, ending transactions (1.6: Hard); default: once idle (2.x OnIdle, 1.6 Soft)",
    )
    reset.add_argument("--evse", type=int, help="2.x: only this EVSE")
    availability = leaf(
        commands,
        "availability",
        _availability,
        "put a station, a 2.x EVSE or a connector in or out of service (ChangeAvailability)",
    )
    availability.add_argument("station_id")
    state = availability.add_mutually_exclusive_group(required=True)
    state.add_argument("--operative", action="store_true")
    state.add_argument("--inoperative", action="store_true")
    availability.add_argument("--evse", type=int, help="2.x: this EVSE (default: the station)")
    availability.add_argument(
        "--connector", type=int, help="1.6: this connector (0: the station); 2.x: of --evse"
    )
    clear = leaf(
        commands, "clear-cache", _clear_cache, "empty a station's authorization cache (ClearCache)"
    )
    clear.add_argument("station_id")
    trigger = leaf(
        commands, "trigger", _trigger, "ask a station to send a message now (TriggerMessage)"
    )
    trigger.add_argument("station_id")
    trigger.add_argument("message", help="e.g. StatusNotification, MeterValues, BootNotification")
    trigger.add_argument("--evse", type=int, help="2.x: for this EVSE")
    trigger.add_argument("--connector", type=int, help="for this connector (2.x: of --evse)")
    unlock = leaf(commands, "unlock", _unlock, "unlock a connector (UnlockConnector)")
    unlock.add_argument("station_id")
    unlock.add_argument("--connector", type=int, required=True)
    unlock.add_argument("--evse", type=int, help="2.x: the connector's EVSE")
    network = leaf(
        commands,
        "network-profile",
        _network_profile,
        "give a 2.x station a connection profile in a configuration slot (SetNetworkProfile)",
    )
    network.add_argument("station_id")
    network.add_argument("--slot", type=int, required=True, help="configuration slot")
    network.add_argument("--url", required=True, help="the central system's ws:// or wss:// URL")
    network.add_argument("--security-profile", type=int, required=True, choices=(1, 2, 3))
    network.add_argument(
        "--interface", default="Wired0", choices=station_requests.INTERFACES, metavar="NAME"
    )
    network.add_argument("--message-timeout", type=int, default=30, metavar="SECONDS")
    start = leaf(
        commands,
        "remote-start",
        _remote_start,
        "start a charging session for an idTag (1.6 RemoteStartTransaction, 2.x "
        "RequestStartTransaction)",
    )
    start.add_argument("station_id")
    start.add_argument("id_tag", help="the idTag (2.x: idToken) the session is charged to")
    start.add_argument("--connector", type=int, help="1.6: on this connector")
    start.add_argument("--evse", type=int, help="2.x: on this EVSE")
    start.add_argument(
        "--token-type",
        choices=session_requests.TOKEN_TYPES,
        metavar="TYPE",
        help="2.x: the idToken's type (default: Central, an id of the central system's)",
    )
    start.add_argument("--group-id-token", help="2.x: the idToken's group")
    start.add_argument(
        "--charging-profile",
        type=argparse.FileType("rb"),
        metavar="FILE",
        help="a JSON chargingProfile (a TxProfile) the session charges under",
    )
    stop = leaf(
        commands,
        "remote-stop",
        _remote_stop,
        "stop a charging session (1.6 RemoteStopTransaction, 2.x RequestStopTransaction)",
    )
    stop.add_argument("station_id")
    stop.add_argument(
        "transaction", help="our transaction id (transactions list), or a 2.x station's own"
    )
    status = leaf(
        commands,
        "transaction-status",
        _transaction_status,
        "ask a 2.x station whether a transaction goes on and its messages are delivered "
        "(GetTransactionStatus)",
    )
    status.add_argument("station_id")
    status.add_argument(
        "transaction",
        nargs="?",
        help="our transaction id or the station's own (default: whether any messages wait)",
    )
    configuration = commands.add_parser(
        "configuration",
        help="read and change a 1.6 station's configuration keys (GetConfiguration, "
        "ChangeConfiguration); stations config shows them as last reported",
        description="A 1.6 station's configuration keys (2.x: ocpp-cable variables).",
    ).add_subparsers(dest="configuration_command", required=True, metavar="SUBCOMMAND")
    read = leaf(
        configuration,
        "get",
        _configuration_get,
        "ask for the station's keys, all or those named (GetConfiguration)",
    )
    read.add_argument("station_id")
    read.add_argument("keys", nargs="*", metavar="KEY")
    change = leaf(configuration, "set", _configuration_set, "change one key (ChangeConfiguration)")
    change.add_argument("station_id")
    change.add_argument("setting", metavar="KEY=VALUE")
    for parser in (
        reset, availability, clear, trigger, unlock, network, start, stop, status, read, change,
    ):  # fmt: skip
        parser.add_argument("--wait", action="store_true", help="wait for the station's answer")


def _run(args: argparse.Namespace, settings: SendSettings, compose: Callable[[str], Request]):
    command_id, request = send_request(settings, args.station_id, compose)
    print(f"{request.action} {command_id} sent to {args.station_id}: {request.payload}")
    return command_records.wait_and_print(settings, command_id) if args.wait else 0


def _reset(args, settings):
    return _run(args, settings, lambda v: station_requests.reset(v, args.immediate, args.evse))


def _availability(args, settings):
    return _run(
        args,
        settings,
        lambda v: station_requests.availability(v, args.operative, args.evse, args.connector),
    )


def _clear_cache(args, settings):
    return _run(args, settings, lambda _: station_requests.clear_cache())


def _trigger(args, settings):
    return _run(
        args,
        settings,
        lambda v: station_requests.trigger(v, args.message, args.evse, args.connector),
    )


def _unlock(args, settings):
    return _run(args, settings, lambda v: station_requests.unlock(v, args.connector, args.evse))


def _network_profile(args, settings):
    return _run(
        args,
        settings,
        lambda v: station_requests.network_profile(
            v, args.slot, args.url, args.security_profile, args.interface, args.message_timeout
        ),
    )


def new_remote_start_id() -> int:
    """A 2.x remoteStartId: the station hands it back in the transaction it starts."""
    return secrets.randbelow(session_requests.MAX_INT) + 1


def charging_profile_from(source: Any) -> dict[str, Any]:
    """The chargingProfile an operator wrote in a JSON file (checked with the request)."""
    try:
        profile = json.load(source)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RequestRefused(f"{source.name}: not JSON ({exc})") from None
    if not isinstance(profile, dict):
        raise RequestRefused(f"{source.name}: a chargingProfile is a JSON object")
    return profile


def transaction_named(settings: SendSettings, station_id: str, version: str, named: str) -> str:
    """The id the station knows for the session the operator named (ours or its own)."""
    with db.session_scope(settings.database_url) as session:
        return session_requests.resolve_transaction(session, station_id, version, named)


def _remote_start(args, settings):
    profile = None
    if args.charging_profile is not None:
        with args.charging_profile as source:
            profile = charging_profile_from(source)
    remote_start_id = new_remote_start_id()
    return _run(
        args,
        settings,
        lambda v: session_requests.remote_start(
            v, args.id_tag, remote_start_id, token_type=args.token_type,
            connector=args.connector, evse=args.evse, group_id_token=args.group_id_token,
            charging_profile=profile,
        ),
    )  # fmt: skip


def stop_composer(settings: SendSettings, station_id: str, named: str) -> Callable[[str], Request]:
    """RemoteStop/RequestStopTransaction of the session the operator `named`."""

    def compose(version: str) -> Request:
        known = transaction_named(settings, station_id, version, named)
        return session_requests.remote_stop(version, known)

    return compose


def status_composer(
    settings: SendSettings, station_id: str, named: str | None
) -> Callable[[str], Request]:
    """GetTransactionStatus of the session the operator `named` (or of none)."""

    def compose(version: str) -> Request:
        known = named
        if named is not None and version != session_requests.V16:
            known = transaction_named(settings, station_id, version, named)
        return session_requests.transaction_status(version, known)

    return compose


def _remote_stop(args, settings):
    return _run(args, settings, stop_composer(settings, args.station_id, args.transaction))


def _transaction_status(args, settings):
    return _run(args, settings, status_composer(settings, args.station_id, args.transaction))


def _configuration_get(args, settings):
    keys = tuple(args.keys)
    return _run(args, settings, lambda v: station_requests.get_configuration(v, keys))


def _configuration_set(args, settings):
    key, equals, value = args.setting.partition("=")
    if not equals:
        raise RequestRefused(f"{args.setting!r}: KEY=VALUE")
    return _run(args, settings, lambda v: station_requests.change_configuration(v, key, value))
