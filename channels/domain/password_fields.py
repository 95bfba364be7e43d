"""Where OCPP messages carry a station's own HTTP Basic password, masked before anything
keeps or shows them.

The password travels as 1.6's configuration key AuthorizationKey (ChangeConfiguration,
and GetConfiguration answers, although 1.6 makes the key write-only) and as 2.x's
variable SecurityCtrlr.BasicAuthPassword (SetVariables, GetVariables answers,
NotifyReport, although the variable is WriteOnly). The commands table, the message log,
the station's configuration and variables keep `MASK` in its place; only the CALL that
rotates the password (channels/domain/password_rotation.py) carries it, to the station. Each
is masked once, where it is kept (commands.record_command and record_reply, audit.row,
the configuration and variables stores): callers hand over what the station sent.
"""

from __future__ import annotations

from typing import Any

from ocpp_cable.foundation.redact import MASK

KEY = "AuthorizationKey"  # OCPP 1.6
COMPONENT, VARIABLE = "SecurityCtrlr", "BasicAuthPassword"  # OCPP 2.x
# The actions whose payloads (request or answer) may hold the password; others pass as is.
ACTIONS = frozenset(
    {"ChangeConfiguration", "GetConfiguration", "SetVariables", "GetVariables", "NotifyReport"}
)


def _named(value: Any, name: str) -> bool:
    # OCPP's keys and device model names compare case-insensitively.
    return isinstance(value, str) and value.lower() == name.lower()


def is_key(key: Any) -> bool:
    """Is `key` 1.6's AuthorizationKey?"""
    return _named(key, KEY)


def is_variable(component: Any, variable: Any) -> bool:
    """Do these 2.x ComponentType and VariableType name SecurityCtrlr.BasicAuthPassword?"""
    return (
        isinstance(component, dict)
        and isinstance(variable, dict)
        and _named(component.get("name"), COMPONENT)
        and _named(variable.get("name"), VARIABLE)
    )


def _masked_attribute(attribute: Any) -> Any:
    if isinstance(attribute, dict) and attribute.get("value") not in (None, MASK):
        return {**attribute, "value": MASK}
    return attribute


def _masked_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """The entry with its password masked; the entry itself when it holds none."""
    if is_key(entry.get("key")):  # {"key", "value"}: a change, or a reported key
        if entry.get("value") in (None, MASK):
            return entry
        return {**entry, "value": MASK}
    if not is_variable(entry.get("component"), entry.get("variable")):
        return entry
    changed = {}
    if entry.get("attributeValue") not in (None, MASK):  # SetVariableData, GetVariableResult
        changed["attributeValue"] = MASK
    attributes = entry.get("variableAttribute")  # NotifyReport's ReportData
    if isinstance(attributes, list):
        kept = [_masked_attribute(a) for a in attributes]
        if any(k is not a for k, a in zip(kept, attributes, strict=True)):
            changed["variableAttribute"] = kept
    return {**entry, **changed} if changed else entry


def _walk(value: Any) -> Any:
    """`value` with every password in it masked; `value` itself when it holds none."""
    if isinstance(value, list):
        items = [_walk(item) for item in value]
        return items if any(i is not v for i, v in zip(items, value, strict=True)) else value
    if isinstance(value, dict):
        entry = _masked_entry(value)
        items = {name: _walk(item) for name, item in entry.items()}
        unchanged = entry is value and all(items[n] is value[n] for n in value)
        return value if unchanged else items
    return value


def masked(action: Any, payload: Any) -> Any:
    """`payload` (a request or an answer of `action`, as sent or as a lenient station sent
    it) with every password in it replaced by MASK; the payload itself when it holds none."""
    if action not in ACTIONS or not isinstance(payload, (dict, list)):
        return payload
    return _walk(payload)


def masked_value(key: str, value: str | None) -> str | None:
    """A 1.6 configuration key's value as it may be kept."""
    return MASK if is_key(key) and value is not None else value


def sets_password(action: str, payload: Any) -> bool:
    """Does this command change the station's password (whatever the value it gives)?"""
    if not isinstance(payload, dict):
        return False
    if action == "ChangeConfiguration":
        return is_key(payload.get("key"))
    if action == "SetVariables":
        return any(
            isinstance(d, dict) and is_variable(d.get("component"), d.get("variable"))
            for d in payload.get("setVariableData") or ()
        )
    return False


def refusal(action: str, payload: Any, station_id: str) -> str | None:
    """Why a command that sets the station's password is not sent as any other, or None.

    Its value would be kept and shown with the command, and once the station took it, its
    next connection would be refused: the rotation keeps it from both."""
    if not sets_password(action, payload):
        return None
    return (
        f"{action} would set {station_id}'s HTTP Basic password: rotate it with "
        f"`ocpp-cable rotate-password {station_id}` or POST "
        f"/api/v1/stations/{station_id}/password-rotation, which make it (or take yours "
        "from a file), keep only its hash, and admit the station with it"
    )
