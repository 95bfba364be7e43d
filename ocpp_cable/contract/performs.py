"""Performs: what the gateway asks of a station's channel (RPC Command "message" data).

`{"action", "command", "id", "payload"}` for a station's CALL (`action` is the
channel method: the action in snake_case, or `receive` without granular
actions); `ack` and `error` report the station's answer to one of our CALLs. A
payload repaired under a station's leniency also carries `raw` and `tolerated`.

Names say the direction: a perform is made of what came from a station
(`station_call`, `station_answer`, `call_failed`) and crosses as `encode_perform`;
transmissions.py holds the other way (`..._for_station`, `encode_transmission`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from ocpp_cable.contract.naming import action_method_name

ACK, ERROR, RECEIVE = "ack", "error", "receive"


@dataclass(frozen=True, slots=True)
class Tolerance:
    """Violations forgiven under a station's leniency: the payload as the station sent it,
    and what was repaired ("maxLength at info")."""

    raw: Any
    repairs: list[str]


def station_call(
    unique_id: str,
    action: str,
    payload: Any,
    granular: bool = True,
    tolerated: Tolerance | None = None,
) -> dict[str, Any]:
    """The station's CALL, for the channel method that handles it."""
    name = action_method_name(action) if granular else RECEIVE
    return _tolerating(
        {"action": name, "command": action, "id": unique_id, "payload": payload}, tolerated
    )


def station_answer(
    unique_id: str, action: str, payload: Any, tolerated: Tolerance | None = None
) -> dict[str, Any]:
    """The station's CALLRESULT to our CALL `unique_id` of `action`."""
    return _tolerating(
        {"action": ACK, "id": unique_id, "command": action, "payload": payload}, tolerated
    )


def _tolerating(data: dict[str, Any], tolerated: Tolerance | None) -> dict[str, Any]:
    """With violations tolerated: `payload` is the repaired one, `raw` the payload as the
    station sent it, `tolerated` what was forgiven."""
    if tolerated is not None:
        data["raw"] = tolerated.raw
        data["tolerated"] = tolerated.repairs
    return data


def call_failed(
    unique_id: Any, action: Any, code: str, message: str, details: Any = None
) -> dict[str, Any]:
    """Our CALL failed: a CALLERROR, a timeout, a malformed answer, or never sent."""
    return {
        "action": ERROR, "id": unique_id, "command": action, "code": code, "message": message,
        "payload": details if isinstance(details, dict) else {},
    }  # fmt: skip


def encode_perform(data: dict[str, Any]) -> str:
    return orjson.dumps(data).decode()


def decode_perform(raw: str | bytes) -> dict[str, Any]:
    """The perform `raw` holds (ValueError if it is not a JSON object)."""
    data = orjson.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("the message data is not a JSON object")
    return data
