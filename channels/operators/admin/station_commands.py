"""`ocpp-cable reset|availability|clear-cache|trigger|unlock|network-profile`: an operator's
everyday commands to a station, composed by the central system in the version the station
speaks (channels/domain/station_requests.py), then sent as `ocpp-cable send` sends a
command: checked, recorded, followed to the station's answer with `--wait`.

`send_request` serves the HTTP API (routes/station_commands.py) as well.
"""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Callable

from ocpp_cable.channels.domain import station_requests
from ocpp_cable.channels.domain.station_requests import Request, RequestProblem
from ocpp_cable.channels.operators.admin import command_records
from ocpp_cable.channels.operators.admin.publishing import CommandFailed, build_call
from ocpp_cable.channels.settings import SendSettings
from ocpp_cable.rpc_app.broadcasting import Broadcaster

NAMES = ("reset", "availability", "clear-cache", "trigger", "unlock", "network-profile")


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


def add_station_commands(leaf: Callable[..., argparse.ArgumentParser]) -> None:
    """Add the commands with `leaf(group-less name, handler, help)` (operations.py's)."""
    reset = leaf("reset", _reset, "restart a station, or a 2.x EVSE (Reset)")
    reset.add_argument("station_id")
    reset.add_argument(
        "--immediate",
        action="store_true",
        help="now, ending transactions (1.6: Hard); default: once idle (2.x OnIdle, 1.6 Soft)",
    )
    reset.add_argument("--evse", type=int, help="2.x: only this EVSE")
    availability = leaf(
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
    clear = leaf("clear-cache", _clear_cache, "empty a station's authorization cache (ClearCache)")
    clear.add_argument("station_id")
    trigger = leaf("trigger", _trigger, "ask a station to send a message now (TriggerMessage)")
    trigger.add_argument("station_id")
    trigger.add_argument("message", help="e.g. StatusNotification, MeterValues, BootNotification")
    trigger.add_argument("--evse", type=int, help="2.x: for this EVSE")
    trigger.add_argument("--connector", type=int, help="for this connector (2.x: of --evse)")
    unlock = leaf("unlock", _unlock, "unlock a connector (UnlockConnector)")
    unlock.add_argument("station_id")
    unlock.add_argument("--connector", type=int, required=True)
    unlock.add_argument("--evse", type=int, help="2.x: the connector's EVSE")
    network = leaf(
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
    for parser in (reset, availability, clear, trigger, unlock, network):
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
