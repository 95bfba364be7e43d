"""Performs: what the gateway asks of a station's channel (RPC Command "message" data).

`{"action", "command", "id", "payload"}` for a station's CALL (`action` is the
channel method: the action in snake_case, or `receive` without granular
actions); `ack` and `error` report the station's answer to one of our CALLs.
"""

from __future__ import annotations

from typing import Any

import orjson

from contract.naming import action_method_name

ACK, ERROR, RECEIVE = "ack", "error", "receive"


def call(unique_id: str, action: str, payload: Any, granular: bool = True) -> dict[str, Any]:
    """The station's CALL, for the channel method that handles it."""
    name = action_method_name(action) if granular else RECEIVE
    return {"action": name, "command": action, "id": unique_id, "payload": payload}


def ack(unique_id: str, action: str, payload: Any) -> dict[str, Any]:
    """The station's CALLRESULT to our CALL `unique_id` of `action`."""
    return {"action": ACK, "id": unique_id, "command": action, "payload": payload}


def error(
    unique_id: Any, action: Any, code: str, message: str, details: Any = None
) -> dict[str, Any]:
    """Our CALL failed: a CALLERROR, a timeout, a malformed answer, or never sent."""
    return {
        "action": ERROR, "id": unique_id, "command": action, "code": code, "message": message,
        "payload": details if isinstance(details, dict) else {},
    }  # fmt: skip


def encode(data: dict[str, Any]) -> str:
    return orjson.dumps(data).decode()


def decode(raw: str | bytes) -> dict[str, Any]:
    """The perform `raw` holds (ValueError if it is not a JSON object)."""
    data = orjson.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("the message data is not a JSON object")
    return data
