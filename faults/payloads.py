"""Frames for fuzzing: schema-valid payloads from a version's schemas, and broken frames.

Valid payloads follow each charger action's JSON schema (with OCPP's 32-bit integers,
as the gateway checks them), with values chosen to hurt: NUL and other control
characters, emoji, strings at their longest, integers at their bounds, every RFC
3339 form (lower case, leap seconds, nine fractional digits, years 0001 and 9999
with offsets). A schema-valid CALL must get a definitive answer, never
InternalError. Broken frames are valid frames mangled: cut, flipped, nested deep,
ids too long, numbers beyond a double, binary. (hypothesis-jsonschema would be the
library for the first half, but its 0.23 does not run on today's Hypothesis.)
"""

from __future__ import annotations

import random
from functools import cache
from typing import Any

import orjson

from ocpp_cable.ocppj import schemas, versions
from ocpp_cable.ocppj.versions import Version

_NASTY = ["\x00", "\x01", "\x1f", "\x7f", "\u2028", "\ufeff", "\U0001f50c", "é", "\\", '"', "'"]
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:/ "


@cache
def schema(action: str, version: Version = versions.OCPP16) -> dict[str, Any]:
    """The request schema of `action`, with the bounds the gateway adds."""
    return schemas.read_schema(version.schemas.package, version.schemas.request_schema(action))


def valid_payload(
    rng: random.Random, action: str, version: Version = versions.OCPP16
) -> dict[str, Any]:
    root = schema(action, version)
    return _value(rng, root, root)


def _value(rng: random.Random, node: dict[str, Any], root: dict[str, Any]) -> Any:
    if "$ref" in node:  # "#/definitions/Name", within the same schema
        node = root["definitions"][node["$ref"].rsplit("/", 1)[-1]]
    if "enum" in node:
        return rng.choice(node["enum"])
    kind = node.get("type")
    if kind == "object":
        return _object(rng, node, root)
    if kind == "array":
        items = node.get("items", {})
        low = node.get("minItems", 0)
        high = node.get("maxItems", low + 3)
        return [_value(rng, items, root) for _ in range(rng.randint(low, min(high, low + 4)))]
    if kind == "string":
        if node.get("format") == "date-time":
            return date_time(rng)
        return _string(rng, node.get("maxLength", 200))
    if kind == "integer":
        # 2.x's schemas write some integer bounds as numbers (`"minimum": 0.0`).
        low = int(node.get("minimum", schemas.INT32_MIN))
        high = int(node.get("maximum", schemas.INT32_MAX))
        return rng.choice(
            [x for x in (low, high, 0, 1, rng.randint(low, high)) if low <= x <= high]
        )
    if kind == "number":
        low, high = node.get("minimum", -1e308), node.get("maximum", 1e308)
        nasty = [0, -1.5, 1e300, -1e-300, 5e-324, rng.uniform(-1e6, 1e6), 7, low, high]
        return rng.choice([x for x in nasty if low <= x <= high])  # 2.1: dischargeLimit <= 0
    if kind == "boolean":
        return rng.random() < 0.5
    return None


def _object(rng: random.Random, node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    properties = node.get("properties", {})
    required = set(node.get("required", ()))
    return {
        name: _value(rng, sub, root)
        for name, sub in properties.items()
        if name in required or rng.random() < 0.6
    }


def _string(rng: random.Random, longest: int) -> str:
    length = rng.choice([0, 1, longest, rng.randint(0, longest)])
    chars = [
        rng.choice(_NASTY) if rng.random() < 0.15 else rng.choice(_ALPHABET) for _ in range(length)
    ]
    return "".join(chars)[:longest]


def date_time(rng: random.Random) -> str:
    """An RFC 3339 date-time, in the forms chargers send and Python trips on."""
    year = rng.choice([1, 1970, 2016, 2026, 9999, rng.randint(1, 9999)])
    month = rng.randint(1, 12)
    day = rng.randint(1, 28)
    hour, minute = rng.choice([(23, 59), (0, 0), (rng.randint(0, 23), rng.randint(0, 59))])
    second = rng.choice(["00", "59", "60", f"{rng.randint(0, 59):02d}"])
    fraction = rng.choice(["", ".5", ".123", ".123456", ".123456789"])
    zone = rng.choice(["Z", "z", "+00:00", "-00:00", "+23:59", "-23:59", "+05:30", "+0100"])
    t = rng.choice(["T", "t"])
    return f"{year:04d}-{month:02d}-{day:02d}{t}{hour:02d}:{minute:02d}:{second}{fraction}{zone}"


def valid_call(
    rng: random.Random,
    unique_id: str,
    version: Version = versions.OCPP16,
    actions: list[str] | None = None,
) -> tuple[str, str]:
    """(action, frame) of a schema-valid CALL from a charger, of one of `actions`
    (default: every action a charger of `version` sends)."""
    action = rng.choice(actions or sorted(version.charger_actions))
    frame = [2, unique_id, action, valid_payload(rng, action, version)]
    return action, orjson.dumps(frame).decode()


def broken_frame(
    rng: random.Random, unique_id: str, version: Version = versions.OCPP16
) -> str | bytes:
    """A frame that breaks OCPP-J somewhere, or a text that is no frame at all."""
    _, frame = valid_call(rng, unique_id, version)
    how = rng.randrange(40)
    if how >= 12:
        how = rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11])  # binary (7) costs a reconnect
    if how == 0:
        return frame[: rng.randint(0, len(frame) - 1)]  # cut short
    if how == 1:
        at = rng.randrange(len(frame))
        return frame[:at] + chr(rng.randint(0, 0x2FF)) + frame[at + 1 :]  # one character off
    if how == 2:
        depth = rng.choice([70, 300, 2000])
        return f'[2,"{unique_id}","DataTransfer",{{"vendorId":"v","x":{"[" * depth}{"]" * depth}}}]'
    if how == 3:
        return frame.replace(f'"{unique_id}"', f'"{unique_id * 10}"', 1)  # id too long
    if how == 4:
        return frame.replace(f'"{unique_id}"', rng.choice(["17", "null", '""', "[]", "1e400"]), 1)
    if how == 5:
        return f'[2,"{unique_id}","MeterValues",{{"connectorId":{rng.choice(["1e400", "-1e400", "99999999999999999999999", "1.0", "2147483648"])},"meterValue":[]}}]'  # noqa: E501
    if how == 6:
        return f'[2,"{unique_id}","Authorize",{{"idTag":"\\ud83d"}}]'  # unpaired surrogate
    if how == 7:
        return frame.encode()  # a binary frame
    if how == 8:
        return orjson.dumps([rng.choice([0, 1, 5, 7, -2, 2**40]), unique_id, "x", {}]).decode()
    if how == 9:
        return orjson.dumps([2, unique_id, rng.choice(["Fly", "reset", "", "Reset"]), {}]).decode()
    if how == 10:
        return orjson.dumps([3, unique_id, {"status": "Accepted"}]).decode()  # unmatched reply
    return "".join(chr(rng.randint(32, 126)) for _ in range(rng.randint(0, 64)))  # noise


def bent_call(
    rng: random.Random, unique_id: str, version: Version, actions: list[str]
) -> tuple[str, str]:
    """(action, frame) of a CALL bent the ways real chargers bend them (an extra property,
    a string too long, an enum in the wrong case, a number as text, a time without a
    zone, a property missing, a value of the wrong kind): a lenient station's frame."""
    action = rng.choice(actions)
    payload = valid_payload(rng, action, version)
    for _ in range(rng.randrange(1, 4)):
        bend(rng, payload)
    return action, orjson.dumps([2, unique_id, action, payload]).decode()


def bend(rng: random.Random, node: Any) -> None:
    """Break one thing somewhere in `node` (in place), as a non-compliant charger does."""
    if isinstance(node, dict) and node:
        key = rng.choice(sorted(node))
        value = node[key]
        if isinstance(value, dict | list) and value and rng.random() < 0.6:
            bend(rng, value)
            return
        kind = rng.randrange(7)
        if kind == 0:
            node["vendorExtra" + str(rng.randrange(3))] = rng.random()
        elif kind == 1 and isinstance(value, str):
            node[key] = value + "x" * rng.randrange(1, 600)
        elif kind == 2 and isinstance(value, str):
            node[key] = rng.choice([value.lower(), value.upper(), value.swapcase()])
        elif kind == 3 and isinstance(value, int) and not isinstance(value, bool):
            node[key] = rng.choice([str(value), float(value), value + 0.5])
        elif kind == 4 and isinstance(value, str) and "T" in value:
            node[key] = value.replace("T", " ").rstrip("Z")
        elif kind == 5:
            del node[key]
        else:
            node[key] = rng.choice([None, [], {}, True, 3])
    elif isinstance(node, list) and node:
        bend(rng, rng.choice(node))
