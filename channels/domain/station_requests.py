"""The requests an operator's everyday commands to a station become, in the OCPP version it
speaks: Reset, ChangeAvailability, ClearCache, TriggerMessage, UnlockConnector, (2.x)
SetNetworkProfile and (1.6) GetConfiguration and ChangeConfiguration. Pure functions: what
to send, or a RequestProblem saying why not.

An operator names what they want once (reset it now or when idle, take EVSE 2 out of
service, ask for a StatusNotification of connector 1); 1.6 and 2.x spell it differently
(1.6 connectors, 2.x EVSEs with connectors; Hard/Soft against Immediate/OnIdle).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

V16 = "1.6"
# What TriggerMessage may ask for, per version (the schemas' enumerations).
TRIGGERS_16 = (
    "BootNotification", "DiagnosticsStatusNotification", "FirmwareStatusNotification",
    "Heartbeat", "MeterValues", "StatusNotification",
)  # fmt: skip
TRIGGERS_2X = (
    "BootNotification", "LogStatusNotification", "FirmwareStatusNotification", "Heartbeat",
    "MeterValues", "SignChargingStationCertificate", "SignV2GCertificate",
    "StatusNotification", "TransactionEvent", "SignCombinedCertificate",
    "PublishFirmwareStatusNotification",
)  # fmt: skip
INTERFACES = (
    "Wired0", "Wired1", "Wired2", "Wired3", "Wireless0", "Wireless1", "Wireless2", "Wireless3",
)  # fmt: skip
OCPP_VERSIONS_2X = {"2.0.1": "OCPP20", "2.1": "OCPP20"}  # the 2.0.1 enumeration's names
KEY_LENGTH, VALUE_LENGTH = 50, 500  # 1.6 CiString50 and CiString500


class RequestProblem(Exception):
    """What the operator asked cannot be said to a station of this version."""


@dataclass(frozen=True, slots=True)
class Request:
    action: str
    payload: dict[str, Any]


def _is_16(version: str) -> bool:
    return version == V16


def reset(version: str, immediate: bool, evse: int | None = None) -> Request:
    """Restart the station (or, 2.x, one EVSE): now, or once no transaction runs."""
    if _is_16(version):
        if evse is not None:
            raise RequestProblem("a 1.6 station resets as a whole: no EVSE")
        # 1.6 has no "when idle": Soft ends transactions cleanly, Hard does not wait.
        return Request("Reset", {"type": "Hard" if immediate else "Soft"})
    payload: dict[str, Any] = {"type": "Immediate" if immediate else "OnIdle"}
    if evse is not None:
        payload["evseId"] = positive(evse, "EVSE")
    return Request("Reset", payload)


def availability(
    version: str, operative: bool, evse: int | None = None, connector: int | None = None
) -> Request:
    """Put the station, an EVSE (2.x) or a connector in or out of service."""
    status = "Operative" if operative else "Inoperative"
    if _is_16(version):
        if evse is not None:
            raise RequestProblem("a 1.6 station has connectors, not EVSEs: use --connector")
        return Request("ChangeAvailability", {"connectorId": connector or 0, "type": status})
    payload: dict[str, Any] = {"operationalStatus": status}
    if connector is not None and evse is None:
        raise RequestProblem("a 2.x connector is named within its EVSE: give --evse too")
    if evse is not None:
        payload["evse"] = _evse(evse, connector)
    return Request("ChangeAvailability", payload)


def clear_cache() -> Request:
    """Empty the station's authorization cache (the same in every version)."""
    return Request("ClearCache", {})


def trigger(
    version: str, message: str, evse: int | None = None, connector: int | None = None
) -> Request:
    """Ask the station to send `message` now (for an EVSE or connector where it is one's)."""
    if _is_16(version):
        if message not in TRIGGERS_16:
            raise RequestProblem(f"{message!r}: a 1.6 station is asked for one of " +
                                 ", ".join(TRIGGERS_16))  # fmt: skip
        if evse is not None:
            raise RequestProblem("a 1.6 station has connectors, not EVSEs: use --connector")
        payload: dict[str, Any] = {"requestedMessage": message}
        if connector is not None:
            payload["connectorId"] = positive(connector, "connector")
        return Request("TriggerMessage", payload)
    if message not in TRIGGERS_2X:
        raise RequestProblem(f"{message!r}: a 2.x station is asked for one of " +
                             ", ".join(TRIGGERS_2X))  # fmt: skip
    if connector is not None and evse is None:
        raise RequestProblem("a 2.x connector is named within its EVSE: give --evse too")
    payload = {"requestedMessage": message}
    if evse is not None:
        payload["evse"] = _evse(evse, connector)
    return Request("TriggerMessage", payload)


def unlock(version: str, connector: int, evse: int | None = None) -> Request:
    """Unlock a connector (2.x: the connector of an EVSE)."""
    if _is_16(version):
        if evse is not None:
            raise RequestProblem("a 1.6 station has connectors, not EVSEs: give the connector")
        return Request("UnlockConnector", {"connectorId": positive(connector, "connector")})
    if evse is None:
        raise RequestProblem("a 2.x connector is named within its EVSE: give --evse too")
    return Request(
        "UnlockConnector",
        {"evseId": positive(evse, "EVSE"), "connectorId": positive(connector, "connector")},
    )


def network_profile(
    version: str,
    slot: int,
    url: str,
    security_profile: int,
    interface: str = "Wired0",
    message_timeout: int = 30,
) -> Request:
    """Give a 2.x station a connection profile in configuration slot `slot` (it connects
    with it once its NetworkConfigurationPriority names the slot)."""
    if _is_16(version):
        raise RequestProblem(
            "a 1.6 station has no network profiles: its SecurityProfile and URL are "
            "configuration keys (ChangeConfiguration)"
        )
    if security_profile not in (1, 2, 3):
        raise RequestProblem("security profile: 1, 2 or 3")
    if interface not in INTERFACES:
        raise RequestProblem(f"interface {interface!r}: one of {', '.join(INTERFACES)}")
    scheme = url.split("://", 1)[0].lower()
    if scheme not in ("ws", "wss"):
        raise RequestProblem(f"{url!r}: a ws:// or wss:// URL")
    if (scheme == "wss") != (security_profile > 1):
        raise RequestProblem(
            f"security profile {security_profile} connects over "
            + ("wss://" if security_profile > 1 else "ws://")
        )
    return Request(
        "SetNetworkProfile",
        {
            "configurationSlot": positive(slot, "configuration slot"),
            "connectionData": {
                "ocppVersion": OCPP_VERSIONS_2X.get(version, "OCPP20"),
                "ocppTransport": "JSON",
                "ocppCsmsUrl": url,
                "messageTimeout": positive(message_timeout, "message timeout"),
                "securityProfile": security_profile,
                "ocppInterface": interface,
            },
        },
    )


def get_configuration(version: str, keys: Sequence[str] = ()) -> Request:
    """Ask a 1.6 station for its configuration keys (all of them, or those named)."""
    if not _is_16(version):
        raise RequestProblem(
            "a 2.x station keeps variables, not configuration keys: ocpp-cable variables get"
        )
    for key in keys:
        _key(key)
    return Request("GetConfiguration", {"key": list(keys)} if keys else {})


def change_configuration(version: str, key: str, value: str) -> Request:
    """Change one configuration key of a 1.6 station."""
    if not _is_16(version):
        raise RequestProblem(
            "a 2.x station keeps variables, not configuration keys: ocpp-cable variables set"
        )
    _key(key)
    if key.lower() == "authorizationkey":
        # The password goes only through its rotation, which keeps it from every record.
        raise RequestProblem(
            "AuthorizationKey is the station's password: ocpp-cable rotate-password"
        )
    if len(value) > VALUE_LENGTH:
        raise RequestProblem(f"a value is at most {VALUE_LENGTH} characters ({len(value)} given)")
    return Request("ChangeConfiguration", {"key": key, "value": value})


def _key(key: str) -> None:
    if not key or len(key) > KEY_LENGTH:
        raise RequestProblem(f"{key!r}: a configuration key is 1 to {KEY_LENGTH} characters")


def positive(value: int, what: str) -> int:
    if value < 1:
        raise RequestProblem(f"{what} {value}: 1 or more")
    return value


def _evse(evse: int, connector: int | None) -> dict[str, int]:
    named = {"id": positive(evse, "EVSE")}
    if connector is not None:
        named["connectorId"] = positive(connector, "connector")
    return named
