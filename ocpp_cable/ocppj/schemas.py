"""Validation of OCPP payloads against the JSON schemas the `ocpp` package ships.

One `Schemas` per protocol version. Each schema is compiled once (fastjsonschema
turns it into Python code) on first use and kept. A failure is mapped to the
version's error code for its kind (OCPP-J 1.6 4.2.3, 2.0.1 4.3).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from importlib import resources
from typing import Any

import fastjsonschema

from ocpp_cable.ocppj import errors

# OCPP's integer is 32 bits (31 bits and a sign); the JSON schemas leave it unbounded.
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


class SchemaViolation(Exception):
    """A payload breaks its action's schema; `code` is the OCPP error code to answer with.

    `rule` (the schema keyword broken), `path` (where: ["data", "meterValue", 0, ...]),
    `definition` (the schema part that holds the rule) and `value` (what was there) say
    what broke, for ocppj.leniency to repair; None when no schema rule was reached.
    """

    def __init__(
        self,
        code: str,
        description: str,
        rule: str | None = None,
        path: list[Any] | None = None,
        definition: Any = None,
        value: Any = None,
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.rule = rule
        self.path = path
        self.definition = definition
        self.value = value


def read_schema(package: str, schema_name: str) -> dict[str, Any]:
    """The schema as we validate with it: OCPP's integer range added, no `$id`."""
    text = resources.files(package).joinpath(f"{schema_name}.json").read_text("utf-8")
    schema = _bounded_integers(json.loads(text))
    # 2.1's `$id` is a URN that `#/definitions/...` references would resolve against.
    schema.pop("$id", None)
    return schema


@cache
def _validator(package: str, schema_name: str) -> Callable[[Any], Any]:
    schema = read_schema(package, schema_name)
    # Read as draft-04, whose integer is strictly a JSON integer: 1.0 and 1e300 are not.
    # (The 1.6 schemas name draft-04; the security extension's and 2.x's name draft-06,
    # which would take them and hand a float on. 2.x uses no draft-06 keyword.)
    schema["$schema"] = "http://json-schema.org/draft-04/schema#"
    # use_default=False: validation must never write defaults into the payload.
    return fastjsonschema.compile(schema, use_default=False)


# Annotations, not rules. fastjsonschema copies a rule's whole node into the code it
# makes for each error: with 2.x's long descriptions that code is ten times larger
# and as much slower to compile.
_ANNOTATIONS = frozenset({"description", "comment", "$comment", "javaType", "title"})


def _bounded_integers(schema: Any) -> Any:
    """The schema with OCPP's 32-bit range on every integer that has no bound of its own,
    and without annotations."""
    if isinstance(schema, dict):
        schema = {
            key: _bounded_integers(value)
            for key, value in schema.items()
            if not (key in _ANNOTATIONS and isinstance(value, str))
        }
        if schema.get("type") == "integer":
            schema.setdefault("minimum", INT32_MIN)
            schema.setdefault("maximum", INT32_MAX)
    elif isinstance(schema, list):
        schema = [_bounded_integers(item) for item in schema]
    return schema


class Schemas:
    """The JSON schemas of one protocol version, and its error codes for their rules.

    Args:
        package: the `ocpp` package's module holding the schema files.
        codes: the version's error codes.
        request_suffix: what names a request's schema file after its action
            (1.6: `Authorize.json`; 2.x: `AuthorizeRequest.json`).
    """

    def __init__(self, package: str, codes: errors.ErrorCodes, request_suffix: str = "") -> None:
        self.package = package
        self.codes = codes
        files = [
            p.name[:-5] for p in resources.files(package).iterdir() if p.name.endswith(".json")
        ]
        self.names = frozenset(files)
        # Every action with a request schema (2.1's SEND-only messages included), and
        # that schema's name.
        self._requests = {
            n.removesuffix(request_suffix) if request_suffix else n: n
            for n in files
            if not n.endswith("Response")
        }
        self.actions = frozenset(self._requests)
        self._rule_codes = {
            "required": codes.occurrence_violation,
            "minItems": codes.occurrence_violation,
            "maxItems": codes.occurrence_violation,
            "type": errors.TYPE_CONSTRAINT_VIOLATION,
            "additionalProperties": codes.format_violation,
        }
        self._constant_valid: dict[tuple[str, ...], bool] = {}

    def request_schema(self, action: str) -> str:
        """The name of `action`'s request schema file (without `.json`)."""
        return self._requests.get(action, action)

    def validate_request(self, action: str, payload: Any) -> None:
        self._validate(self._requests.get(action, action), payload)

    def validate_response(self, action: str, payload: Any) -> None:
        self._validate(f"{action}Response", payload)

    def empty_response_valid(self, action: str) -> bool:
        """True when `{}` is a valid confirmation of `action` (no decision needed)."""
        return self.constant_response_valid(action, {})

    def constant_response_valid(self, action: str, payload: Mapping[str, str]) -> bool:
        """True when `payload`, a constant of the caller's, is a valid confirmation of
        `action`. Cached: asked for every CALL a channel leaves unanswered."""
        key = (action, *payload.items())
        valid = self._constant_valid.get(key)
        if valid is None:
            try:
                self.validate_response(action, dict(payload))
                valid = True
            except SchemaViolation:
                valid = False
            self._constant_valid[key] = valid
        return valid

    def _validate(self, schema_name: str, payload: Any) -> None:
        if not isinstance(payload, dict):
            raise SchemaViolation(self.codes.format_violation, "the payload must be a JSON object")
        try:
            _validator(self.package, schema_name)(payload)
        except fastjsonschema.JsonSchemaValueException as exc:
            if exc.rule in ("minimum", "maximum") and exc.rule_definition in (INT32_MIN, INT32_MAX):
                field = _describe(exc).split(" ", 1)[0]
                raise SchemaViolation(
                    errors.TYPE_CONSTRAINT_VIOLATION, f"{field} must be a 32-bit integer"
                ) from None
            code = self._rule_codes.get(exc.rule or "", errors.PROPERTY_CONSTRAINT_VIOLATION)
            raise SchemaViolation(
                code, _describe(exc), exc.rule, exc.path, exc.definition, exc.value
            ) from None

    def warm_up(self, actions: Iterable[str] | None = None) -> None:
        """Compile the request and response schemas of `actions` (default: all) now."""
        names = self.names
        if actions is not None:
            names = {self.request_schema(a) for a in actions} | {f"{a}Response" for a in actions}
        for name in names:
            _validator(self.package, name)


_ROOT = re.compile(r"^data(?=[ .\[])\.?")


def _describe(exc: fastjsonschema.JsonSchemaValueException) -> str:
    # "data.meterValue[0] must be array" -> "meterValue[0] must be array",
    # "data must contain [...]" -> "payload must contain [...]"
    message = exc.message
    if message.startswith("data "):
        return "payload" + message[4:]
    return _ROOT.sub("", message, count=1)
