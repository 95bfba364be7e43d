"""Schema violations a station may be forgiven: each repaired the one way it can be.

Real networks have chargers that cannot be fixed: extra properties, a vendor name
longer than 1.6 allows, `"available"` for `"Available"`, `"1"` for `1`, timestamps
without a zone. An operator names the rules a station may break (by their JSON
Schema keyword); a payload that breaks only those is repaired into a valid one, and
the repairs are reported so the raw message can be stored as it came. Anything else,
or a violation no repair can mend, stays refused as before.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ocpp_cable.ocppj.schemas import SchemaViolation

# The rules that can be tolerated, and what tolerating each does.
RULES: dict[str, str] = {
    "additionalProperties": "properties the schema does not name are dropped",
    "maxLength": "a string longer than allowed is cut to the maximum",
    "enum": "a value in the wrong case takes the schema's spelling",
    "type": "numbers and booleans sent as strings, whole numbers sent as 1.0, "
    "and numbers where a string belongs are converted",
    "format": "a date-time without a zone (read as UTC) or with a space for the T "
    "is written in ISO 8601",
}
# A payload needing more repairs than this is refused: repairing stays cheap.
MAX_REPAIRS = 32


@dataclass(frozen=True, slots=True)
class Repair:
    """One violation forgiven: the rule broken, and where (`meterValue[0].unit`)."""

    rule: str
    where: str

    def __str__(self) -> str:
        return f"{self.rule} at {self.where}"


def known_rules(names: Iterable[Any]) -> frozenset[str]:
    """The names that are rules of RULES (others are ignored: a typo tolerates nothing)."""
    return frozenset(name for name in names if isinstance(name, str) and name in RULES)


def repaired(
    validate: Callable[[Any], None], payload: Any, tolerated: frozenset[str]
) -> tuple[Any, list[Repair]]:
    """`payload`, validated by `validate`, with the `tolerated` violations repaired.

    Returns:
        (the payload, the repairs made): the payload itself when it is valid, else a
        repaired copy (the original is never changed).

    Raises:
        SchemaViolation: a violation not tolerated, or not repairable, or too many.
    """
    try:
        validate(payload)
        return payload, []
    except SchemaViolation as exc:
        if not tolerated or exc.rule not in tolerated:
            raise
        first = exc
    payload = copy.deepcopy(payload)
    repairs: list[Repair] = []
    violation: SchemaViolation | None = first
    while violation is not None:
        if (
            violation.rule not in tolerated
            or len(repairs) >= MAX_REPAIRS
            or not _repair(payload, violation)
        ):
            raise violation
        repairs.append(Repair(violation.rule, _where(violation.path)))
        try:
            validate(payload)
            violation = None
        except SchemaViolation as exc:
            violation = exc
    return payload, repairs


def _where(path: list[Any] | None) -> str:
    """["data", "meterValue", 0, "unit"] -> "meterValue[0].unit"; the root: "payload"."""
    text = ""
    for part in (path or ["data"])[1:]:
        index = isinstance(part, int) or str(part).isdigit()
        text += f"[{part}]" if index else f".{part}" if text else str(part)
    return text or "payload"


def _repair(payload: Any, violation: SchemaViolation) -> bool:
    """Mend the violation in place; False when it cannot be mended."""
    path = violation.path or ["data"]
    if len(path) == 1:  # the payload itself: only its properties can be mended
        return violation.rule == "additionalProperties" and _drop_extra(
            payload, violation.definition
        )
    try:
        parent = payload
        for part in path[1:-1]:
            parent = parent[_key(parent, part)]
        key = _key(parent, path[-1])
        value = parent[key]
    except (KeyError, IndexError, TypeError, ValueError):
        return False  # not where the validator said: nothing to mend
    if violation.rule == "additionalProperties":
        return _drop_extra(value, violation.definition)
    fixed = _mended(violation.rule, value, violation.definition)
    if fixed is None or (fixed == value and type(fixed) is type(value)):
        return False
    parent[key] = fixed
    return True


def _key(container: Any, part: Any) -> Any:
    """A path part as the container takes it (the validator names list items "0")."""
    return int(part) if isinstance(container, list) else part


def _drop_extra(obj: Any, definition: Any) -> bool:
    names = definition.get("properties") if isinstance(definition, dict) else None
    if not isinstance(obj, dict) or not isinstance(names, dict):
        return False
    extra = [key for key in obj if key not in names]
    for key in extra:
        del obj[key]
    return bool(extra)


def _mended(rule: str | None, value: Any, definition: Any) -> Any:
    """The value that keeps `rule`, or None."""
    if not isinstance(definition, dict):
        return None
    if rule == "maxLength" and isinstance(value, str):
        return value[: definition.get("maxLength", len(value))]
    if rule == "enum" and isinstance(value, str):
        matches = [e for e in definition.get("enum", ()) if str(e).casefold() == value.casefold()]
        return matches[0] if len(matches) == 1 else None
    if rule == "type":
        return _converted(value, definition.get("type"))
    if rule == "format" and definition.get("format") == "date-time" and isinstance(value, str):
        return _iso_time(value)
    return None


def _converted(value: Any, wanted: Any) -> Any:
    if wanted == "integer":
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
            return int(value)
    elif wanted == "number" and isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        return number if number == number and abs(number) != float("inf") else None
    elif wanted == "string" and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    elif wanted == "boolean" and isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _iso_time(value: str) -> str | None:
    try:
        moment = datetime.fromisoformat(value.strip().replace(" ", "T", 1))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    text = moment.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")
