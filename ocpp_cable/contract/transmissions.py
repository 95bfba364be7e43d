"""Transmissions: what the application sends a client, in an RPC answer or a broadcast.

rpc_app answers as AnyCable's Rails side does, in the Action Cable protocol: a
channel's data goes out as `{"identifier": ..., "message": data}`, and the
protocol's own messages (`welcome`, `confirm_subscription`,
`reject_subscription`, `disconnect`) carry a `type`. Broadcasts carry the data
alone. A browser gets all of it as it is; the OCPP gateway reads the data and
drops the protocol's own messages, which mean nothing to a station.

For a station the data is a JSON object: `{"command": "Ack", ...}` answers its
CALL, `{"command": "Error", ...}` refuses it, and any other command is a CALL of
ours to the station (its answer comes back as an `ack` or `error` perform).

Names say the direction: `ack_for_station`, `error_for_station` and
`call_for_station` go to a station, and cross as `encode_transmission`; performs.py
holds what comes from one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

ACK, ERROR = "Ack", "Error"


@dataclass(frozen=True, slots=True)
class Ack:
    """A CALLRESULT for the station's CALL `id`."""

    id: Any
    payload: Any


@dataclass(frozen=True, slots=True)
class Error:
    """A CALLERROR for the station's CALL `id`."""

    id: Any
    code: Any
    message: Any
    details: Any


@dataclass(frozen=True, slots=True)
class Call:
    """A CALL of ours; `id` None lets the gateway name it. The gateway checks the types."""

    action: Any
    id: Any
    payload: Any


@dataclass(frozen=True, slots=True)
class Control:
    """One of the Action Cable protocol's own messages (`welcome`, a subscription's
    confirmation, ...): for the client's protocol, not for a station."""

    type: str


Transmission = Ack | Error | Call | Control

WELCOME = "welcome"
DISCONNECT = "disconnect"
CONFIRMATION = "confirm_subscription"
REJECTION = "reject_subscription"
UNAUTHORIZED = "unauthorized"  # a disconnect's reason: these credentials are not good


class Malformed(ValueError):
    """Not a transmission at all (not JSON, not an object)."""


def ack_for_station(id: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"command": ACK, "id": id, "payload": payload}


def error_for_station(
    id: str, code: str, message: str = "", details: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "command": ERROR, "id": id, "error_code": code, "error_message": message,
        "payload": details or {},
    }  # fmt: skip


def call_for_station(action: str, id: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"command": action, "id": id, "payload": payload}


def message(identifier: str, data: Any) -> dict[str, Any]:
    """A channel's `data` for the subscription `identifier`, as Action Cable sends it."""
    return {"identifier": identifier, "message": data}


def welcome() -> dict[str, Any]:
    return {"type": WELCOME}


def disconnect(reason: str, reconnect: bool) -> dict[str, Any]:
    """Action Cable's goodbye: `reason` (e.g. "unauthorized"), and whether to come back."""
    return {"type": DISCONNECT, "reason": reason, "reconnect": reconnect}


def unauthorized() -> dict[str, Any]:
    """A refused connection's goodbye: not to come back with the same credentials."""
    return disconnect(UNAUTHORIZED, reconnect=False)


def confirmation(identifier: str) -> dict[str, Any]:
    return {"identifier": identifier, "type": CONFIRMATION}


def rejection(identifier: str) -> dict[str, Any]:
    return {"identifier": identifier, "type": REJECTION}


def encode_transmission(transmission: dict[str, Any]) -> str:
    return orjson.dumps(transmission).decode()


def decode_transmission(raw: str | bytes) -> Transmission:
    """The transmission `raw` holds; Malformed if it holds none."""
    try:
        message = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise Malformed("transmission is not JSON") from None
    if not isinstance(message, dict):
        raise Malformed("transmission is not an object")
    if "type" in message and "command" not in message:
        kind = message["type"]
        if not isinstance(kind, str):
            raise Malformed("a protocol message's type is not a string")
        return Control(kind)
    if "identifier" in message and "message" in message:
        message = message["message"]  # a channel's data, as Action Cable wraps it
        if not isinstance(message, dict):
            raise Malformed("the message of a transmission is not an object")
    command = message.get("command")
    if command == ACK:
        return Ack(message.get("id"), message.get("payload"))
    if command == ERROR:
        return Error(
            message.get("id"),
            message.get("error_code"),
            message.get("error_message"),
            message.get("payload"),
        )
    return Call(command, message.get("id"), message.get("payload"))
