"""OCPP-J message framing (OCPP-J 1.6 and 2.0.1 section 4, 2.1 section 4): parse and
encode, no I/O.

A frame is a JSON array: CALL `[2, id, action, payload]`, CALLRESULT
`[3, id, payload]`, CALLERROR `[4, id, code, description, details]`; OCPP-J 2.1
adds CALLRESULTERROR `[5, id, code, description, details]` (our CALLRESULT could
not be processed) and SEND `[6, id, action, payload]` (a message never answered).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import orjson

from ocpp_cable.ocppj import errors

CALL = 2
CALLRESULT = 3
CALLERROR = 4
CALLRESULTERROR = 5
SEND = 6
OCPP16_TYPES = frozenset({CALL, CALLRESULT, CALLERROR})
OCPP21_TYPES = OCPP16_TYPES | {CALLRESULTERROR, SEND}

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


@dataclass(slots=True, frozen=True)
class CallResultError:
    """A CALLRESULTERROR (OCPP-J 2.1): `[5, unique_id, code, description, details]`."""

    unique_id: str
    code: str
    description: str
    details: Any


@dataclass(slots=True, frozen=True)
class SendMessage:
    """A SEND (OCPP-J 2.1): `[6, unique_id, action, payload]`, never answered."""

    unique_id: str
    action: str
    payload: dict[str, Any]


Frame = Call | CallResult | CallError | CallResultError | SendMessage


class FrameError(Exception):
    """A frame that breaks OCPP-J framing.

    `unique_id` is the frame's id when it could be read (None otherwise) and
    `message_type` its type id when known. `answered` says whether a CALLERROR
    reply is due: for a CALL, a frame whose type could not be read, and (OCPP-J
    2.x) a type the version does not have.
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
        self.answered = message_type in (None, CALL)


def clip(value: Any, limit: int = 120) -> Any:
    """A client's string cut to `limit` characters, for a log line or an error description."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]}…(+{len(value) - limit})"
    return value


def valid_unique_id(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH


def parse(
    text: str | bytes,
    codes: errors.ErrorCodes = errors.OCPP16,
    message_types: frozenset[int] = OCPP16_TYPES,
) -> Frame | None:
    """Parse one frame of a version that has `message_types` and answers with `codes`.

    Returns None for an unknown message type id where the version ignores it
    (OCPP-J 1.6 4.1.3); OCPP-J 2.x answers it with MessageTypeNotSupported.
    """
    try:
        message = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise _unparseable(text, exc.msg, codes) from None
    if not isinstance(message, list) or not message:
        raise FrameError(codes.framework_error, "an OCPP-J message is a non-empty JSON array")
    message_type = message[0]
    if type(message_type) is not int:
        raise FrameError(codes.framework_error, "the message type id must be an integer")
    unique_id = message[1] if len(message) > 1 else None
    if message_type not in message_types:
        if codes.message_type_not_supported is None:
            return None
        exc = FrameError(
            codes.message_type_not_supported,
            f"message type {clip(message_type)} is not supported",
            unique_id if valid_unique_id(unique_id) else None,
            message_type,
        )
        exc.answered = True
        raise exc
    if not valid_unique_id(unique_id):
        raise FrameError(
            codes.framework_error,
            f"the message id must be a string of 1 to {MAX_ID_LENGTH} characters",
            # Echo any string id: the charger can then match the error to its CALL.
            unique_id if isinstance(unique_id, str) else None,
            message_type,
        )
    if _too_deep(text, message):
        raise FrameError(
            codes.format_violation,
            f"the message nests arrays and objects deeper than {MAX_DEPTH} levels",
            unique_id,
            message_type,
        )
    if message_type == CALL:
        action, payload = _action_frame(message, unique_id, CALL, codes)
        return Call(unique_id, action, payload)
    if message_type == CALLRESULT:
        if len(message) != 3:
            raise FrameError(
                codes.framework_error, "a CALLRESULT has 3 elements", unique_id, CALLRESULT
            )
        return CallResult(unique_id, message[2])
    if message_type == SEND:
        action, payload = _action_frame(message, unique_id, SEND, codes)
        return SendMessage(unique_id, action, payload)
    code, description, details = _error_frame(message, unique_id, message_type, codes)
    if message_type == CALLERROR:
        return CallError(unique_id, code, description, details)
    return CallResultError(unique_id, code, description, details)


def _unparseable(text: str | bytes, reason: str, codes: errors.ErrorCodes) -> FrameError:
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
        return FrameError(codes.framework_error, f"invalid JSON: {reason}", unique_id, message_type)
    message_type, unique_id = _head(text)
    if isinstance(message, list) and message and type(message[0]) is int:
        message_type = message[0]
        unique_id = message[1] if len(message) > 1 and isinstance(message[1], str) else None
    return FrameError(
        codes.format_violation,
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


def _action_frame(
    message: list[Any], unique_id: str, message_type: int, codes: errors.ErrorCodes
) -> tuple[str, dict[str, Any]]:
    """The action and payload of a CALL or a SEND."""
    if len(message) != 4:
        raise FrameError(codes.framework_error, "a CALL has 4 elements", unique_id, message_type)
    action, payload = message[2], message[3]
    if not isinstance(action, str) or not action:
        raise FrameError(
            codes.framework_error, "the action must be a string", unique_id, message_type
        )
    if not isinstance(payload, dict):
        raise FrameError(
            codes.format_violation, "the payload must be a JSON object", unique_id, message_type
        )
    return action, payload


def _error_frame(
    message: list[Any], unique_id: str, message_type: int, codes: errors.ErrorCodes
) -> tuple[str, str, dict[str, Any]]:
    """The code, description and details of a CALLERROR or a CALLRESULTERROR."""
    if len(message) != 5:
        raise FrameError(
            codes.framework_error, "a CALLERROR has 5 elements", unique_id, message_type
        )
    code, description, details = message[2], message[3], message[4]
    if not isinstance(code, str) or not isinstance(description, str):
        raise FrameError(
            codes.framework_error,
            "a CALLERROR's code and description are strings",
            unique_id,
            message_type,
        )
    return code, description, details if isinstance(details, dict) else {}


def encode_call(unique_id: str, action: str, payload: Any) -> str:
    return orjson.dumps([CALL, unique_id, action, payload]).decode()


def encode_result(unique_id: str, payload: Any) -> str:
    return orjson.dumps([CALLRESULT, unique_id, payload]).decode()


def encode_error(
    unique_id: str,
    code: str,
    description: str,
    details: Any = None,
    message_type: int = CALLERROR,
) -> str:
    """A CALLERROR (or, with `message_type` CALLRESULTERROR, its OCPP-J 2.1 sibling)."""
    # errorDetails is always a JSON object, {} when there is nothing to say.
    if not isinstance(details, dict):
        details = {}
    return orjson.dumps([message_type, unique_id, code, description, details]).decode()
