"""`ocpp-cable display-messages set|get|clear`: the messages a 2.x station shows its drivers
(OCPP 2.0.1 block O), each request composed here and sent as the device model's are
(channels/operators/admin/device_model.py), for the CLI and the HTTP API alike."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ocpp_cable.channels.domain.timeutil import now, parse_when
from ocpp_cable.channels.operators.admin import device_model, device_model_cli, parsers
from ocpp_cable.channels.operators.admin.device_model import DeviceModelRefused, Sent
from ocpp_cable.channels.settings import SendSettings
from ocpp_cable.contract.timestamps import utc_text
from ocpp_cable.rpc_app.broadcasting import Broadcaster

PRIORITIES = ("AlwaysFront", "InFront", "NormalCycle")
STATES = ("Charging", "Faulted", "Idle", "Unavailable")
FORMATS = ("ASCII", "HTML", "URI", "UTF8")


@dataclass(frozen=True, slots=True)
class DisplayMessage:
    """A message to show (MessageInfo): its id is drawn when none is given."""

    content: str
    priority: str = "NormalCycle"
    format: str = "UTF8"
    id: int | None = None
    language: str | None = None
    state: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    transaction_id: str | None = None

    def info(self, message_id: int) -> dict[str, Any]:
        text: dict[str, Any] = {"format": self.format, "content": self.content}
        if self.language is not None:
            text["language"] = self.language
        found: dict[str, Any] = {"id": message_id, "priority": self.priority, "message": text}
        optional = {
            "state": self.state,
            "startDateTime": None if self.start is None else utc_text(self.start, timespec="auto"),
            "endDateTime": None if self.end is None else utc_text(self.end, timespec="auto"),
            "transactionId": self.transaction_id,
        }
        found.update({name: value for name, value in optional.items() if value is not None})
        return found


def set_message(
    settings: SendSettings,
    station_id: str,
    message: DisplayMessage,
    broadcaster: Broadcaster | None = None,
) -> Sent:
    """SetDisplayMessage: a message with the same id replaces the one the station shows."""
    if message.start and message.end and message.end <= message.start:
        raise DeviceModelRefused("the message ends before it starts")
    device_model.check_id(message.id, "message id")
    message_id = message.id if message.id is not None else device_model.new_request_id()
    payload = {"message": message.info(message_id)}
    return device_model.send(settings, station_id, "SetDisplayMessage", [payload], broadcaster)


def get_messages(
    settings: SendSettings,
    station_id: str,
    ids: Sequence[int] = (),
    priority: str | None = None,
    state: str | None = None,
    broadcaster: Broadcaster | None = None,
) -> Sent:
    """GetDisplayMessages of the messages matching every filter given (none: all); the
    NotifyDisplayMessages parts are kept as the station sent them."""
    for message_id in ids:
        device_model.check_id(message_id, "message id")
    payload: dict[str, Any] = {"requestId": device_model.new_request_id()}
    if ids:
        payload["id"] = list(ids)
    if priority is not None:
        payload["priority"] = priority
    if state is not None:
        payload["state"] = state
    return device_model.send(settings, station_id, "GetDisplayMessages", [payload], broadcaster)


def clear_message(
    settings: SendSettings, station_id: str, message_id: int, broadcaster: Broadcaster | None = None
) -> Sent:
    """ClearDisplayMessage: the station stops showing the message."""
    device_model.check_id(message_id, "message id")
    payload = {"id": message_id}
    return device_model.send(settings, station_id, "ClearDisplayMessage", [payload], broadcaster)


# --- the command line --------------------------------------------------------------------------


def add_display_message_commands(
    commands: argparse._SubParsersAction,
    add_setting_flags: Callable[[argparse.ArgumentParser], None],
) -> None:
    """Add `display-messages` to the top-level subparsers."""
    help_text = "the messages a 2.x station shows its drivers"
    group = commands.add_parser("display-messages", help=help_text, description=help_text)
    leaves = group.add_subparsers(dest="display_command", required=True, metavar="SUBCOMMAND")

    def leaf(name: str, handler, text: str) -> argparse.ArgumentParser:
        parser = parsers.leaf(
            leaves, name, handler, text, True, handler_key=device_model_cli.HANDLER
        )
        parser.add_argument("station_id")
        return parser

    put = leaf("set", _set, "show a message, or replace one by its --id (SetDisplayMessage)")
    put.add_argument("content", help="the text (or HTML, or a URI, per --format)")
    put.add_argument("--id", type=int, help="the message's id (default: one drawn at random)")
    put.add_argument("--priority", choices=PRIORITIES, default="NormalCycle")
    put.add_argument("--format", choices=FORMATS, default="UTF8")
    put.add_argument("--language", help="RFC 5646 tag, e.g. en")
    put.add_argument("--state", choices=STATES, help="only while the station is in this state")
    put.add_argument(
        "--start", help="shown from: now, a duration from now (30m, 2h, 1d) or an ISO 8601 time"
    )
    put.add_argument(
        "--end", help="removed at: a duration from now (30m, 2h, 1d) or an ISO 8601 time"
    )
    put.add_argument(
        "--transaction", metavar="TXID", help="only during this transaction (the station's id)"
    )
    get = leaf("get", _get, "ask for the messages shown (GetDisplayMessages; no filter: all)")
    get.add_argument("--id", type=int, action="append", help="repeatable")
    get.add_argument("--priority", choices=PRIORITIES)
    get.add_argument("--state", choices=STATES)
    clear = leaf("clear", _clear, "stop showing a message (ClearDisplayMessage)")
    clear.add_argument("message_id", type=int)
    for parser in (put, get, clear):
        parser.add_argument(
            "--wait", action="store_true", help="wait for the station's answer and print it"
        )
        add_setting_flags(parser)


def _time(text: str | None, flag: str) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_when(text, now())
    except ValueError:
        raise DeviceModelRefused(
            f"invalid {flag} {text!r}: now, a duration from now (30m, 2h, 1d) or an ISO 8601 time"
        ) from None


def _set(args: argparse.Namespace, settings: SendSettings) -> Sent:
    message = DisplayMessage(
        content=args.content,
        priority=args.priority,
        format=args.format,
        id=args.id,
        language=args.language,
        state=args.state,
        start=_time(args.start, "--start"),
        end=_time(args.end, "--end"),
        transaction_id=args.transaction,
    )
    return set_message(settings, args.station_id, message)


def _get(args: argparse.Namespace, settings: SendSettings) -> Sent:
    return get_messages(settings, args.station_id, args.id or (), args.priority, args.state)


def _clear(args: argparse.Namespace, settings: SendSettings) -> Sent:
    return clear_message(settings, args.station_id, args.message_id)
