"""Transmissions: what the application sends a station, in an RPC answer or a broadcast.

Each is a JSON object. `{"command": "Ack", ...}` answers the station's CALL,
`{"command": "Error", ...}` refuses it, and any other command is a CALL of
ours to the station (its answer comes back as an `ack` or `error` perform).
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


Transmission = Ack | Error | Call


class Malformed(ValueError):
    """Not a transmission at all (not JSON, not an object)."""


def ack(id: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"command": ACK, "id": id, "payload": payload}


def error(
    id: str, code: str, message: str = "", details: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "command": ERROR, "id": id, "error_code": code, "error_message": message,
        "payload": details or {},
    }  # fmt: skip


def call(action: str, id: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"command": action, "id": id, "payload": payload}


def encode(transmission: dict[str, Any]) -> str:
    return orjson.dumps(transmission).decode()


def decode(raw: str | bytes) -> Transmission:
    """The transmission `raw` holds; Malformed if it holds none."""
    try:
        message = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise Malformed("transmission is not JSON") from None
    if not isinstance(message, dict):
        raise Malformed("transmission is not an object")
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
