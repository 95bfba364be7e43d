"""Building 2.x device-model requests without I/O: the operator's notation for a component's
variable, and a list of reads, writes or monitor ids split into as many requests as the
station's ItemsPerMessage* and BytesPerMessage* allow.

A variable is written `Component[instance]@evse:connector.Variable[instance]/AttributeType`,
every part but the two names optional: `OCPPCommCtrlr.HeartbeatInterval`,
`EVSE@1.AvailabilityState`, `DeviceDataCtrlr.ItemsPerMessage[GetVariables]`,
`OCPPCommCtrlr.HeartbeatInterval/Target`; a write adds `=value`. A report or a monitoring
report may name a component alone (`EVSE@1`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ocpp_cable.ocppj.frames import encode_call

ATTRIBUTE_TYPES = ("Actual", "Target", "MinSet", "MaxSet")
# The message id the gateway sends our commands with: a uuid4's 32 hex digits.
MESSAGE_ID_LENGTH = 32
# A requestId as wide as it gets, where a request's size is measured before its own is drawn.
WIDEST_REQUEST_ID = 2**31 - 1

_NAME = r"[^.\[\]@/=\s]+"
_NOTATION = re.compile(
    rf"(?P<component>{_NAME})(?:\[(?P<component_instance>[^\]]+)\])?"
    r"(?:@(?P<evse>\d{1,9})(?::(?P<connector>\d{1,9}))?)?"  # ids within an int32
    rf"(?:\.(?P<variable>{_NAME})(?:\[(?P<variable_instance>[^\]]+)\])?"
    rf"(?:/(?P<attribute>{'|'.join(ATTRIBUTE_TYPES)}))?)?"
    r"(?P<assignment>=(?P<value>.*))?",
    re.DOTALL,
)
NOTATION_HELP = (
    "Component[instance]@evse:connector.Variable[instance]/AttributeType, all but the names "
    "optional (e.g. OCPPCommCtrlr.HeartbeatInterval, EVSE@1.AvailabilityState, "
    "DeviceDataCtrlr.ItemsPerMessage[GetVariables])"
)

# The limits each split request answers to: the controller component and the instance of
# its ItemsPerMessage and BytesPerMessage variables (OCPP 2.0.1 part 2, appendix 3).
LIMITED: dict[str, tuple[str, str]] = {
    "GetVariables": ("DeviceDataCtrlr", "GetVariables"),
    "SetVariables": ("DeviceDataCtrlr", "SetVariables"),
    "GetReport": ("DeviceDataCtrlr", "GetReport"),
    "SetVariableMonitoring": ("MonitoringCtrlr", "SetVariableMonitoring"),
    "ClearVariableMonitoring": ("MonitoringCtrlr", "ClearVariableMonitoring"),
}
ITEMS, BYTES = "ItemsPerMessage", "BytesPerMessage"


class NotationProblem(ValueError):
    """Text that names no component and variable in our notation."""


class TooLarge(ValueError):
    """One item makes a request larger than the station takes (BytesPerMessage)."""


@dataclass(frozen=True, slots=True)
class VariableRef:
    """A component (at an EVSE, a connector) and one of its variables' attributes."""

    component: str
    variable: str | None = None
    component_instance: str | None = None
    evse_id: int | None = None
    connector_id: int | None = None
    variable_instance: str | None = None
    attribute_type: str | None = None

    def component_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {"name": self.component}
        if self.component_instance is not None:
            found["instance"] = self.component_instance
        if self.evse_id is not None:
            found["evse"] = {"id": self.evse_id}
            if self.connector_id is not None:
                found["evse"]["connectorId"] = self.connector_id
        return found

    def variable_json(self) -> dict[str, Any]:
        assert self.variable is not None
        found: dict[str, Any] = {"name": self.variable}
        if self.variable_instance is not None:
            found["instance"] = self.variable_instance
        return found

    def component_variable(self) -> dict[str, Any]:
        """A ComponentVariableType (GetReport, GetMonitoringReport): the variable optional."""
        found: dict[str, Any] = {"component": self.component_json()}
        if self.variable is not None:
            found["variable"] = self.variable_json()
        return found

    def variable_data(self) -> dict[str, Any]:
        """A GetVariableData (and the start of a SetVariableData): its attribute type only
        when one was named (a station takes none as Actual)."""
        found = {"component": self.component_json(), "variable": self.variable_json()}
        if self.attribute_type is not None:
            found["attributeType"] = self.attribute_type
        return found

    def __str__(self) -> str:
        text = self.component
        if self.component_instance is not None:
            text += f"[{self.component_instance}]"
        if self.evse_id is not None:
            text += f"@{self.evse_id}"
            if self.connector_id is not None:
                text += f":{self.connector_id}"
        if self.variable is not None:
            text += f".{self.variable}"
            if self.variable_instance is not None:
                text += f"[{self.variable_instance}]"
        if self.attribute_type is not None:
            text += f"/{self.attribute_type}"
        return text


def ref_of(entry: dict[str, Any]) -> VariableRef:
    """The variable an OCPP entry (a result, a monitor) names, with its attribute type."""
    component, variable = entry.get("component") or {}, entry.get("variable") or {}
    evse = component.get("evse") or {}
    return VariableRef(
        component=str(component.get("name")),
        variable=variable.get("name"),
        component_instance=component.get("instance"),
        evse_id=evse.get("id"),
        connector_id=evse.get("connectorId"),
        variable_instance=variable.get("instance"),
        attribute_type=entry.get("attributeType"),
    )


def _parsed(text: str) -> tuple[VariableRef, str | None]:
    found = _NOTATION.fullmatch(text)
    if found is None:
        raise NotationProblem(f"{text!r} is not {NOTATION_HELP}")
    parts = found.groupdict()
    evse, connector = parts["evse"], parts["connector"]
    ref = VariableRef(
        component=parts["component"],
        variable=parts["variable"],
        component_instance=parts["component_instance"],
        evse_id=None if evse is None else int(evse),
        connector_id=None if connector is None else int(connector),
        variable_instance=parts["variable_instance"],
        attribute_type=parts["attribute"],
    )
    return ref, parts["value"] if parts["assignment"] is not None else None


def parse_variable(text: str) -> VariableRef:
    """A variable to read (`Component.Variable`, with its optional parts)."""
    ref, value = _parsed(text)
    if value is not None:
        raise NotationProblem(f"{text!r}: a variable to read takes no =value")
    if ref.variable is None:
        raise NotationProblem(f"{text!r} names no variable: {NOTATION_HELP}")
    return ref


def parse_setting(text: str) -> tuple[VariableRef, str]:
    """A variable and the value to write (`Component.Variable=value`; the value may be
    empty, and holds everything after the first = past the names)."""
    ref, value = _parsed(text)
    if ref.variable is None or value is None:
        raise NotationProblem(f"{text!r} is not {NOTATION_HELP}=value")
    return ref, value


def parse_component(text: str) -> VariableRef:
    """A component, with or without one of its variables (a report's filter)."""
    ref, value = _parsed(text)
    if value is not None or ref.attribute_type is not None:
        raise NotationProblem(f"{text!r}: a report names a component and variable only")
    return ref


@dataclass(frozen=True, slots=True)
class Limits:
    """What one request may hold: entries (ItemsPerMessage) and bytes (BytesPerMessage) of
    the message as sent; None where the station did not say."""

    items: int | None = None
    bytes: int | None = None


def limits_of(action: str, reported: Mapping[tuple[str, str, str | None], str | None]) -> Limits:
    """The limits of `action` among a station's reported values, keyed by (component,
    variable, variable instance) of their Actual attribute. The 2.0.1 names
    (ItemsPerMessage[GetVariables]) are read, and the flat ones some stations report
    (ItemsPerMessageGetVariables); a value that is no positive integer is as if unsaid."""
    component, instance = LIMITED[action]

    def number(variable: str) -> int | None:
        for key in ((component, variable, instance), (component, variable + instance, None)):
            text = reported.get(key)
            if text is not None and text.strip().isdigit() and int(text) > 0:
                return int(text)
        return None

    return Limits(number(ITEMS), number(BYTES))


def message_size(action: str, payload: dict[str, Any]) -> int:
    """Bytes of the CALL frame the gateway sends for `payload` (UTF-8, as on the wire)."""
    return len(encode_call("0" * MESSAGE_ID_LENGTH, action, payload).encode())


def split(
    action: str,
    items: Sequence[Any],
    limits: Limits,
    payload_of: Callable[[list[Any]], dict[str, Any]],
) -> list[list[Any]]:
    """`items` in order, in as few batches as the limits allow: each holds at most
    `limits.items` of them, and `payload_of(batch)` sent as `action` takes at most
    `limits.bytes`. No limits: one batch.

    Raises:
        TooLarge: one item alone makes a message larger than `limits.bytes`.
    """
    batches: list[list[Any]] = []
    current: list[Any] = []

    def fits(batch: list[Any]) -> bool:
        if limits.items is not None and len(batch) > limits.items:
            return False
        return limits.bytes is None or message_size(action, payload_of(batch)) <= limits.bytes

    for number, item in enumerate(items, 1):
        if fits([*current, item]):
            current.append(item)
            continue
        if not fits([item]):
            size = message_size(action, payload_of([item]))
            raise TooLarge(
                f"{action} with entry {number} alone is "
                f"{size} bytes, and the station takes at most {limits.bytes} "
                f"({BYTES}[{LIMITED[action][1]}])"
            )
        batches.append(current)
        current = [item]
    if current:
        batches.append(current)
    return batches
