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

from gateway.protocol import errors

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


class SchemaViolation(Exception):
    def __init__(self, code: str, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


@cache
def _validator(schema_name: str) -> Callable[[Any], Any]:
    text = resources.files(SCHEMA_PACKAGE).joinpath(f"{schema_name}.json").read_text("utf-8")
    schema = json.loads(text)
    schema.pop("$schema", None)  # draft-04 is fastjsonschema's default reading
    # use_default=False: validation must never write defaults into the payload.
    return fastjsonschema.compile(schema, use_default=False)


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
