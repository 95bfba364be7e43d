"""Validation of OCPP 1.6 payloads against the JSON schemas the `ocpp` package ships.

Each schema is compiled once (fastjsonschema turns it into Python code) on first
use and kept. A failure is mapped to the OCPP-J 1.6 error code for its kind.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

import fastjsonschema

from ocppj import errors

SCHEMA_PACKAGE = "ocpp.v16.schemas"

# Actions a charge point initiates (OCPP 1.6 and its security extension).
CHARGER_ACTIONS = frozenset(
    {
        "Authorize",
        "BootNotification",
        "DataTransfer",
        "DiagnosticsStatusNotification",
        "FirmwareStatusNotification",
        "Heartbeat",
        "LogStatusNotification",
        "MeterValues",
        "SecurityEventNotification",
        "SignCertificate",
        "SignedFirmwareStatusNotification",
        "StartTransaction",
        "StatusNotification",
        "StopTransaction",
    }
)


def _schema_names() -> frozenset[str]:
    names = resources.files(SCHEMA_PACKAGE).iterdir()
    return frozenset(p.name[:-5] for p in names if p.name.endswith(".json"))


_SCHEMAS = _schema_names()
ALL_ACTIONS = frozenset(n for n in _SCHEMAS if not n.endswith("Response"))
# Actions the central system sends to a charge point.
CENTRAL_ACTIONS = (ALL_ACTIONS - CHARGER_ACTIONS) | {"DataTransfer"}

# fastjsonschema rule -> OCPP-J 1.6 error code (OCPP-J 4.2.3).
_RULE_CODES = {
    "required": errors.OCCURENCE_CONSTRAINT_VIOLATION,
    "minItems": errors.OCCURENCE_CONSTRAINT_VIOLATION,
    "maxItems": errors.OCCURENCE_CONSTRAINT_VIOLATION,
    "type": errors.TYPE_CONSTRAINT_VIOLATION,
    "additionalProperties": errors.FORMATION_VIOLATION,
}


# OCPP's integer is 32 bits (31 bits and a sign); the JSON schemas leave it unbounded.
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


class SchemaViolation(Exception):
    """A payload breaks its action's schema; `code` is the OCPP error code to answer with."""

    def __init__(self, code: str, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


@cache
def _validator(schema_name: str) -> Callable[[Any], Any]:
    text = resources.files(SCHEMA_PACKAGE).joinpath(f"{schema_name}.json").read_text("utf-8")
    # Read as draft-04, whose integer is strictly a JSON integer: 1.0 and 1e300 are not.
    # (The 1.6 schemas name draft-04; the security extension's name draft-06, which
    # would take them and hand a float on.)
    schema = _bounded_integers(json.loads(text))
    schema["$schema"] = "http://json-schema.org/draft-04/schema#"
    # use_default=False: validation must never write defaults into the payload.
    return fastjsonschema.compile(schema, use_default=False)


def _bounded_integers(schema: Any) -> Any:
    """The schema with OCPP's 32-bit range on every integer that has no bound of its own."""
    if isinstance(schema, dict):
        schema = {key: _bounded_integers(value) for key, value in schema.items()}
        if schema.get("type") == "integer":
            schema.setdefault("minimum", INT32_MIN)
            schema.setdefault("maximum", INT32_MAX)
    elif isinstance(schema, list):
        schema = [_bounded_integers(item) for item in schema]
    return schema


def is_known_action(action: str) -> bool:
    return action in ALL_ACTIONS


def validate_request(action: str, payload: Any) -> None:
    _validate(action, payload)


def validate_response(action: str, payload: Any) -> None:
    _validate(f"{action}Response", payload)


def empty_response_valid(action: str) -> bool:
    """True when `{}` is a valid confirmation of `action` (no decision needed)."""
    return _empty_valid(action)


@cache
def _empty_valid(action: str) -> bool:
    try:
        validate_response(action, {})
    except SchemaViolation:
        return False
    return True


def _validate(schema_name: str, payload: Any) -> None:
    if not isinstance(payload, dict):
        raise SchemaViolation(errors.FORMATION_VIOLATION, "the payload must be a JSON object")
    try:
        _validator(schema_name)(payload)
    except fastjsonschema.JsonSchemaValueException as exc:
        if exc.rule in ("minimum", "maximum") and exc.rule_definition in (INT32_MIN, INT32_MAX):
            field = _describe(exc).split(" ", 1)[0]
            raise SchemaViolation(
                errors.TYPE_CONSTRAINT_VIOLATION, f"{field} must be a 32-bit integer"
            ) from None
        code = _RULE_CODES.get(exc.rule or "", errors.PROPERTY_CONSTRAINT_VIOLATION)
        raise SchemaViolation(code, _describe(exc)) from None


_ROOT = re.compile(r"^data(?=[ .\[])\.?")


def _describe(exc: fastjsonschema.JsonSchemaValueException) -> str:
    # "data.meterValue[0] must be array" -> "meterValue[0] must be array",
    # "data must contain [...]" -> "payload must contain [...]"
    message = exc.message
    if message.startswith("data "):
        return "payload" + message[4:]
    return _ROOT.sub("", message, count=1)


def warm_up() -> None:
    """Compile every schema now, so no charger pays for the first compilation."""
    for name in _SCHEMAS:
        _validator(name)
