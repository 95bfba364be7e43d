"""The OCPP versions the gateway speaks, and how a connection picks one.

A `Version` holds everything that differs between OCPP 1.6, 2.0.1 and 2.1 at
the protocol line: the WebSocket subprotocol, the JSON schemas, who may send
which action, the error codes and their spellings, and the message types.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ocpp_cable.ocppj import errors, frames
from ocpp_cable.ocppj.schemas import Schemas


@dataclass(frozen=True, slots=True)
class Version:
    """One OCPP version at the protocol line."""

    name: str  # "1.6", "2.0.1", "2.1": what the application sees
    subprotocol: str  # "ocpp1.6": what the handshake negotiates
    schemas: Schemas
    # CALLs a station sends (DataTransfer goes both ways).
    charger_actions: frozenset[str]
    # SENDs a station sends (OCPP-J 2.1: never answered).
    send_actions: frozenset[str]
    codes: errors.ErrorCodes
    message_types: frozenset[int]
    # What a station sends all day: compiled at start, the rest on first use.
    busy_actions: frozenset[str]
    # CALLs the central system sends to a station (every other action, and DataTransfer):
    # set once here, as every command we send is checked against it.
    central_actions: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        calls = self.schemas.actions - self.charger_actions - self.send_actions
        object.__setattr__(self, "central_actions", calls | {"DataTransfer"})

    def is_known_action(self, action: str) -> bool:
        return action in self.schemas.actions


# OCPP 1.6 and its security extension.
_CHARGER_16 = frozenset(
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
# OCPP 2.0.1 Part 2, the messages a Charging Station sends to the CSMS.
_CHARGER_201 = frozenset(
    {
        "Authorize",
        "BootNotification",
        "ClearedChargingLimit",
        "DataTransfer",
        "FirmwareStatusNotification",
        "Get15118EVCertificate",
        "GetCertificateStatus",
        "Heartbeat",
        "LogStatusNotification",
        "MeterValues",
        "NotifyChargingLimit",
        "NotifyCustomerInformation",
        "NotifyDisplayMessages",
        "NotifyEVChargingNeeds",
        "NotifyEVChargingSchedule",
        "NotifyEvent",
        "NotifyMonitoringReport",
        "NotifyReport",
        "PublishFirmwareStatusNotification",
        "ReportChargingProfiles",
        "ReservationStatusUpdate",
        "SecurityEventNotification",
        "SignCertificate",
        "StatusNotification",
        "TransactionEvent",
    }
)
# OCPP 2.1 adds these from the station (bidirectional power, tariffs, batteries, streams).
_CHARGER_21 = _CHARGER_201 | {
    "BatterySwap",
    "ClosePeriodicEventStream",
    "GetCertificateChainStatus",
    "NotifyDERAlarm",
    "NotifyDERStartStop",
    "NotifyPriorityCharging",
    "NotifySettlement",
    "OpenPeriodicEventStream",
    "PullDynamicScheduleUpdate",
    "ReportDERControl",
    "VatNumberValidation",
}

_BUSY = frozenset(
    {"BootNotification", "Heartbeat", "StatusNotification", "Authorize", "MeterValues"}
)

OCPP16 = Version(
    name="1.6",
    subprotocol="ocpp1.6",
    schemas=Schemas("ocpp.v16.schemas", errors.OCPP16),
    charger_actions=_CHARGER_16,
    send_actions=frozenset(),
    codes=errors.OCPP16,
    message_types=frames.OCPP16_TYPES,
    busy_actions=_BUSY | {"StartTransaction", "StopTransaction"},
)
OCPP201 = Version(
    name="2.0.1",
    subprotocol="ocpp2.0.1",
    schemas=Schemas("ocpp.v201.schemas", errors.OCPP2, "Request"),
    charger_actions=_CHARGER_201,
    send_actions=frozenset(),
    codes=errors.OCPP2,
    message_types=frames.OCPP16_TYPES,
    busy_actions=_BUSY | {"TransactionEvent"},
)
OCPP21 = Version(
    name="2.1",
    subprotocol="ocpp2.1",
    schemas=Schemas("ocpp.v21.schemas", errors.OCPP2, "Request"),
    charger_actions=_CHARGER_21,
    send_actions=frozenset({"NotifyPeriodicEventStream"}),
    codes=errors.OCPP2,
    message_types=frames.OCPP21_TYPES,
    busy_actions=_BUSY | {"TransactionEvent"},
)

# Newest first: the gateway's default preference.
VERSIONS = (OCPP21, OCPP201, OCPP16)
BY_NAME = {v.name: v for v in VERSIONS}
BY_SUBPROTOCOL = {v.subprotocol: v for v in VERSIONS}
# Every action any version has, for bounded metric labels and request enums.
ALL_ACTIONS = frozenset().union(*(v.schemas.actions for v in VERSIONS))
ALL_CENTRAL_ACTIONS = frozenset().union(*(v.central_actions for v in VERSIONS))


def named(name: str) -> Version:
    """The version called `name` ("1.6", "2.0.1", "2.1"); KeyError for another."""
    return BY_NAME[name]


def negotiate(offered: Iterable[str], preference: Iterable[Version]) -> Version | None:
    """The first version of `preference` (the server's order) the client offered.

    RFC 6455 4.2.2 lets the server pick among the offered subprotocols; OCPP-J
    (2.0.1 section 3.1.2) leaves the choice to the CSMS's preference.
    """
    offered = set(offered)
    for version in preference:
        if version.subprotocol in offered:
            return version
    return None


def warm_up(versions: Iterable[Version] = VERSIONS) -> None:
    """Compile the schemas of what stations of `versions` send all day, so no charger
    waits for them. Compiling all of 2.x's would take seconds at every start; a rarer
    message's schema is compiled at its first use (tens of milliseconds, once)."""
    for version in versions:
        version.schemas.warm_up(version.busy_actions)
