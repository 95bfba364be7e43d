"""OCPP-J message framing (OCPP-J 1.6 section 4): parse and encode, no I/O.

A frame is a JSON array: CALL `[2, id, action, payload]`, CALLRESULT
`[3, id, payload]`, CALLERROR `[4, id, code, description, details]`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import orjson

from ocppj import errors

CALL = 2
CALLRESULT = 3
CALLERROR = 4

MAX_ID_LENGTH = 36
# The id used in a CALLERROR when the frame's own id cannot be read.
UNKNOWN_ID = "-1"
# Deepest nesting of arrays and objects a frame may have (the frame array counts).
# OCPP payloads need under ten levels; the bound keeps every later encoder (orjson
# stops at 254) and every recursive walk far from its limit.
MAX_DEPTH = 64

# The head of a frame, `[<type>, "<id>"`, read when the whole frame cannot be parsed.
_HEAD = re.compile(r'\s*\[\s*(-?\d{1,3})\s*,\s*("(?:[^"\\]|\\.)*")')


@dataclass(slots=True, frozen=True)
class Call:
    """A CALL: `[2, unique_id, action, payload]`."""

    unique_id: str
    action: str
    payload: dict[str, Any]


@dataclass(slots=True, frozen=True)
class CallResult:
    """A CALLRESULT: `[3, unique_id, payload]`."""

    unique_id: str
    payload: Any


@dataclass(slots=True, frozen=True)
class CallError:
    """A CALLERROR: `[4, unique_id, code, description, details]`."""

    unique_id: str
    code: str
    description: str
    details: Any


Frame = Call | CallResult | CallError


class FrameError(Exception):
    """A frame that breaks OCPP-J framing.

    `unique_id` is the frame's id when it could be read (None otherwise) and
    `message_type` its type id when known, so the caller can decide whether a
    CALLERROR reply is due (only CALLs are answered).
    """

    def __init__(
        self,
        code: str,
        description: str,
        unique_id: str | None = None,
        message_type: int | None = None,
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.unique_id = unique_id
        self.message_type = message_type


def clip(value: Any, limit: int = 120) -> Any:
    """A client's string cut to `limit` characters, for a log line or an error description."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]}…(+{len(value) - limit})"
    return value


def valid_unique_id(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH


def parse(text: str | bytes) -> Frame | None:
    """Parse one frame. Returns None for an unknown message type id (to be ignored)."""
    try:
        message = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise _unparseable(text, exc.msg) from None
    if not isinstance(message, list) or not message:
        raise FrameError(errors.PROTOCOL_ERROR, "an OCPP-J message is a non-empty JSON array")
    message_type = message[0]
    if type(message_type) is not int:
        raise FrameError(errors.PROTOCOL_ERROR, "the message type id must be an integer")
    if message_type not in (CALL, CALLRESULT, CALLERROR):
        return None  # OCPP-J 4.1.3: ignore unknown message types
    unique_id = message[1] if len(message) > 1 else None
    if not valid_unique_id(unique_id):
        raise FrameError(
            errors.PROTOCOL_ERROR,
            f"the message id must be a string of 1 to {MAX_ID_LENGTH} characters",
            # Echo any string id: the charger can then match the error to its CALL.
            unique_id if isinstance(unique_id, str) else None,
            message_type,
        )
    if _too_deep(text, message):
        raise FrameError(
            errors.FORMATION_VIOLATION,
            f"the message nests arrays and objects deeper than {MAX_DEPTH} levels",
            unique_id,
            message_type,
        )
    if message_type == CALL:
        return _call(message, unique_id)
    if message_type == CALLRESULT:
        if len(message) != 3:
            raise FrameError(
                errors.PROTOCOL_ERROR, "a CALLRESULT has 3 elements", unique_id, CALLRESULT
            )
        return CallResult(unique_id, message[2])
    return _call_error(message, unique_id)


def _unparseable(text: str | bytes, reason: str) -> FrameError:
    """The error for a frame orjson cannot read, with its type and id when they can be read.

    Valid JSON that orjson refuses holds a value no OCPP-J peer can carry (a number
    beyond a double, an unpaired surrogate): a FormationViolation. Anything else is
    not JSON: a ProtocolError.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    try:
        message = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        message_type, unique_id = _head(text)
        return FrameError(errors.PROTOCOL_ERROR, f"invalid JSON: {reason}", unique_id, message_type)
    message_type, unique_id = _head(text)
    if isinstance(message, list) and message and type(message[0]) is int:
        message_type = message[0]
        unique_id = message[1] if len(message) > 1 and isinstance(message[1], str) else None
    return FrameError(
        errors.FORMATION_VIOLATION,
        f"the message holds a value OCPP-J cannot carry: {reason}",
        unique_id,
        message_type,
    )


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _head(text: str) -> tuple[int | None, str | None]:
    match = _HEAD.match(text)
    if match is None:
        return None, None
    try:
        unique_id = orjson.loads(match.group(2))
    except orjson.JSONDecodeError:
        return int(match.group(1)), None
    return int(match.group(1)), unique_id


def _too_deep(text: str | bytes, message: list[Any]) -> bool:
    # Fewer brackets than the bound cannot nest deeper than it: the common case, in C.
    if isinstance(text, bytes):
        brackets = text.count(b"[") + text.count(b"{")
    else:
        brackets = text.count("[") + text.count("{")
    if brackets <= MAX_DEPTH:
        return False
    level: list[tuple[Any, int]] = [(message, 1)]
    while level:
        value, depth = level.pop()
        if depth > MAX_DEPTH:
            return True
        children = value.values() if isinstance(value, dict) else value
        level += [(child, depth + 1) for child in children if isinstance(child, (list, dict))]
    return False


def _call(message: list[Any], unique_id: str) -> Call:
    if len(message) != 4:
        raise FrameError(errors.PROTOCOL_ERROR, "a CALL has 4 elements", unique_id, CALL)
    action, payload = message[2], message[3]
    if not isinstance(action, str) or not action:
        raise FrameError(errors.PROTOCOL_ERROR, "the action must be a string", unique_id, CALL)
    if not isinstance(payload, dict):
        raise FrameError(
            errors.FORMATION_VIOLATION, "the payload must be a JSON object", unique_id, CALL
        )
    return Call(unique_id, action, payload)


def _call_error(message: list[Any], unique_id: str) -> CallError:
    if len(message) != 5:
        raise FrameError(errors.PROTOCOL_ERROR, "a CALLERROR has 5 elements", unique_id, CALLERROR)
    code, description, details = message[2], message[3], message[4]
    if not isinstance(code, str) or not isinstance(description, str):
        raise FrameError(
            errors.PROTOCOL_ERROR,
            "a CALLERROR's code and description are strings",
            unique_id,
            CALLERROR,
        )
    return CallError(unique_id, code, description, details if isinstance(details, dict) else {})


def encode_call(unique_id: str, action: str, payload: Any) -> str:
    return orjson.dumps([CALL, unique_id, action, payload]).decode()


def encode_result(unique_id: str, payload: Any) -> str:
    return orjson.dumps([CALLRESULT, unique_id, payload]).decode()


def encode_error(unique_id: str, code: str, description: str, details: Any = None) -> str:
    # errorDetails is always a JSON object, {} when there is nothing to say.
    if not isinstance(details, dict):
        details = {}
    return orjson.dumps([CALLERROR, unique_id, code, description, details]).decode()
