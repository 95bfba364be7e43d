"""A simulated 2.x charger's device model (OCPP 2.0.1 block B): the components and
variables it has, GetVariables and SetVariables on them, the reports of them
(GetBaseReport, GetReport: Accepted, then NotifyReport parts), and its network profiles
(SetNetworkProfile).

A variable is named by its component (with the component's EVSE and connector, when it
has them) and its own name and instance, as a request names them; names match whatever
their case, as the spec's names do. Every variable has an Actual attribute only. What
the charger knows itself (its heartbeat interval, its EVSE's state, its power...) is read
from it when asked; the rest is kept as set.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ocpp_cable.simulator.dialects import Answer, Message, Payload, Station, utc_now

Key = tuple[Any, ...]
RW = "ReadWrite"
NUMERIC_TYPES = ("integer", "decimal")
AVAILABILITY = "Available,Occupied,Reserved,Unavailable,Faulted"
# What the charger reports its configuration in: entries of one NotifyReport.
REPORT_PART = 20
# The slots a network profile may take (OCPPCommCtrlr.NetworkConfigurationPriority's
# valuesList); slot 1 holds the profile it connects with.
SLOTS = (1, 2, 3)


def status(name: str, reason: str | None = None) -> Payload:
    """A command's answer: its status, and why (statusInfo's reasonCode) when told."""
    found: Payload = {"status": name}
    if reason is not None:
        found["statusInfo"] = {"reasonCode": reason}
    return found


ACCEPTED = status("Accepted")
WRITE_ONLY = "WriteOnly"


def _fold(name: str | None) -> str | None:
    return None if name is None else name.casefold()


def component_key(component: Payload) -> Key:
    """Where a request's component is: its name and instance, EVSE and connector."""
    evse = component.get("evse") or {}
    return (_fold(component["name"]), _fold(component.get("instance")),
            evse.get("id"), evse.get("connectorId"))  # fmt: skip


def variable_key(component: Payload, variable: Payload) -> Key:
    return (*component_key(component), _fold(variable["name"]), _fold(variable.get("instance")))


@dataclass(frozen=True)
class Variable:
    """One variable of one component, and what a report says of it."""

    component: str
    name: str
    data_type: str  # string, decimal, integer, boolean, OptionList, MemberList, SequenceList
    default: str = ""  # its value at boot, when the charger keeps it as set
    mutability: str = "ReadOnly"
    evse: int | None = None
    connector: int | None = None
    instance: str | None = None
    unit: str | None = None
    min_limit: float | None = None
    max_limit: float | None = None
    values_list: str | None = None
    monitorable: bool = True
    read: Callable[[Station], str] | None = None  # its value, read from the charger

    @property
    def notation(self) -> str:
        """The operator's name of it (`EVSE@1.AvailabilityState`), which also keys the
        value set in the charger's configuration."""
        text = self.component
        if self.evse is not None:
            text += f"@{self.evse}" + ("" if self.connector is None else f":{self.connector}")
        text += f".{self.name}"
        return text if self.instance is None else f"{text}[{self.instance}]"

    @property
    def key(self) -> Key:
        return variable_key(self.component_json(), self.variable_json())

    def component_json(self) -> Payload:
        found: Payload = {"name": self.component}
        if self.evse is not None:
            found["evse"] = {"id": self.evse}
            if self.connector is not None:
                found["evse"]["connectorId"] = self.connector
        return found

    def variable_json(self) -> Payload:
        found: Payload = {"name": self.name}
        if self.instance is not None:
            found["instance"] = self.instance
        return found

    def value(self, station: Station) -> str:
        if self.read is not None:
            return self.read(station)
        return station.state.configuration.get(self.notation, self.default)

    def characteristics(self) -> Payload:
        found: Payload = {"dataType": self.data_type, "supportsMonitoring": self.monitorable}
        optional = {"unit": self.unit, "minLimit": self.min_limit, "maxLimit": self.max_limit,
                    "valuesList": self.values_list}  # fmt: skip
        found.update({name: value for name, value in optional.items() if value is not None})
        return found

    def takes(self, value: str) -> bool:
        """Whether `value` is one this variable may hold (its type, limits, list)."""
        if self.data_type in NUMERIC_TYPES:
            try:
                number = int(value) if self.data_type == "integer" else float(value)
            except ValueError:
                return False
            low = -math.inf if self.min_limit is None else self.min_limit
            high = math.inf if self.max_limit is None else self.max_limit
            return math.isfinite(number) and low <= number <= high
        if self.data_type == "boolean":
            return value in ("true", "false")
        members = (self.values_list or "").split(",")
        if self.data_type == "OptionList":
            return value in members
        if self.data_type in ("MemberList", "SequenceList"):
            given = value.split(",")
            return len(set(given)) == len(given) and all(m in members for m in given)
        # A string's limits are its length's.
        return (self.min_limit or 0) <= len(value) <= (self.max_limit or math.inf)


def _availability(station: Station) -> str:
    """The EVSE's (and its connector's) AvailabilityState."""
    if station.session is not None:
        return "Occupied"
    return station.state.idle_state(time.time())


def _station_availability(station: Station) -> str:
    return "Available" if station.state.available else "Unavailable"


def _monitoring_level(station: Station) -> str:
    return str(station.state.monitoring.level)


def _display_states(station: Station) -> str:
    return ",".join(display_states(station.ocpp_version))


def display_states(version: str) -> tuple[str, ...]:
    """The states a display message may be shown in (2.1 adds Suspended; it discharges
    nothing, so never Discharging)."""
    states = ("Charging", "Faulted", "Idle", "Unavailable")
    return (*states, "Suspended") if version == "2.1" else states


# The most an EVSE of this charger delivers: 32 A on three phases at 230 V.
EVSE_RATING_W = 22080.0
DISPLAY_ROOM = 10  # display messages it holds at once
DISPLAY_FORMATS = "ASCII,UTF8"
ON = {"data_type": "boolean", "default": "true"}
OFF = {"data_type": "boolean", "default": "false"}


def _part(component: str, evse: int | None = None, connector: int | None = None):
    """The variables of one physical part: the station, an EVSE, a connector."""
    where = {"evse": evse, "connector": connector}
    state = _station_availability if evse is None else _availability
    return (
        Variable(component, "AvailabilityState", "OptionList", **where,
                 values_list=AVAILABILITY, read=state),
        Variable(component, "Available", **where, **ON),
        Variable(component, "SupplyPhases", "integer", "3", **where, min_limit=1, max_limit=3),
        Variable(component, "Problem", **where, **OFF),
    )  # fmt: skip


def _limits(component: str, actions: Sequence[str], items: int, size: int):
    """A controller's ItemsPerMessage and BytesPerMessage, one instance per action."""
    return tuple(
        Variable(component, name, "integer", str(value), instance=action, min_limit=1,
                 monitorable=False)
        for action in actions
        for name, value in (("ItemsPerMessage", items), ("BytesPerMessage", size))
    )  # fmt: skip


def _seconds(component: str, name: str, default: str, **more: Any) -> Variable:
    return Variable(component, name, "integer", default, RW, unit="s", min_limit=0, **more)


# The password it presents at its HTTP Basic login; written only (A01), 16 to 40 characters.
PASSWORD = Variable("SecurityCtrlr", "BasicAuthPassword", "string", mutability=WRITE_ONLY,
                    min_limit=16, max_limit=40, monitorable=False)  # fmt: skip

VARIABLES: tuple[Variable, ...] = (
    *_part("ChargingStation"),
    Variable("ChargingStation", "Model", "string", "Simulator", monitorable=False),
    Variable("ChargingStation", "VendorName", "string", "ocpp-cable", monitorable=False),
    *_part("EVSE", 1),
    Variable("EVSE", "Power", "decimal", evse=1, unit="W", min_limit=0,
             max_limit=EVSE_RATING_W, read=lambda station: str(round(station.power_w))),
    *_part("Connector", 1, 1),
    Variable("Connector", "ConnectorType", "string", "cType2", evse=1, connector=1,
             monitorable=False),
    Variable("OCPPCommCtrlr", "HeartbeatInterval", "integer", mutability=RW, unit="s",
             min_limit=1, read=lambda station: str(station.state.heartbeat_interval)),
    Variable("OCPPCommCtrlr", "NetworkConfigurationPriority", "SequenceList", "1", RW,
             values_list=",".join(map(str, SLOTS)), monitorable=False),
    Variable("OCPPCommCtrlr", "NetworkProfileConnectionAttempts", "integer", "3", RW,
             min_limit=1),
    _seconds("OCPPCommCtrlr", "OfflineThreshold", "60"),
    Variable("OCPPCommCtrlr", "MessageTimeout", "integer", "30", instance="Default", unit="s"),
    Variable("OCPPCommCtrlr", "MessageAttempts", "integer", "3", RW,
             instance="TransactionEvent", min_limit=0),
    _seconds("OCPPCommCtrlr", "MessageAttemptInterval", "10", instance="TransactionEvent"),
    Variable("OCPPCommCtrlr", "ResetRetries", "integer", "2", RW, min_limit=0),
    Variable("OCPPCommCtrlr", "UnlockOnEVSideDisconnect", mutability=RW, **ON),
    Variable("OCPPCommCtrlr", "FileTransferProtocols", "MemberList", "HTTP,HTTPS",
             values_list="FTP,FTPS,HTTP,HTTPS,SFTP", monitorable=False),
    Variable("SecurityCtrlr", "SecurityProfile", "integer", min_limit=0, max_limit=3,
             read=lambda station: str(station.state.security_profile)),
    Variable("SecurityCtrlr", "OrganizationName", "string", "ocpp-cable", RW,
             monitorable=False),
    PASSWORD,
    *_limits("DeviceDataCtrlr", ("GetReport", "GetVariables", "SetVariables"), 10, 4096),
    Variable("SampledDataCtrlr", "Enabled", mutability=RW, **ON),
    _seconds("SampledDataCtrlr", "TxUpdatedInterval", "5"),
    Variable("SampledDataCtrlr", "TxUpdatedMeasurands", "MemberList",
             "Energy.Active.Import.Register,Power.Active.Import", RW,
             values_list="Energy.Active.Import.Register,Power.Active.Import"),
    Variable("SampledDataCtrlr", "TxEndedMeasurands", "MemberList",
             "Energy.Active.Import.Register", RW, values_list="Energy.Active.Import.Register"),
    _seconds("TxCtrlr", "EVConnectionTimeOut", "60"),
    Variable("TxCtrlr", "StopTxOnInvalidId", mutability=RW, **ON),
    Variable("TxCtrlr", "StopTxOnEVSideDisconnect", **ON),
    Variable("TxCtrlr", "TxStartPoint", "MemberList", "Authorized",
             values_list="Authorized,EVConnected,PowerPathClosed"),
    Variable("TxCtrlr", "TxStopPoint", "MemberList", "EVConnected,Authorized",
             values_list="Authorized,EVConnected,PowerPathClosed"),
    Variable("AuthCtrlr", "Enabled", mutability=RW, **ON),
    Variable("AuthCtrlr", "AuthorizeRemoteStart", mutability=RW, **OFF),
    Variable("AuthCtrlr", "LocalAuthorizeOffline", mutability=RW, **ON),
    Variable("AuthCtrlr", "LocalPreAuthorize", mutability=RW, **OFF),
    Variable("LocalAuthListCtrlr", "Enabled", mutability=RW, **ON),
    Variable("LocalAuthListCtrlr", "Available", **ON),
    Variable("LocalAuthListCtrlr", "Entries", "integer", min_limit=0,
             read=lambda station: str(len(station.state.local_list))),
    Variable("LocalAuthListCtrlr", "ItemsPerMessage", "integer", "50", min_limit=1,
             monitorable=False),
    Variable("LocalAuthListCtrlr", "BytesPerMessage", "integer", "8192", min_limit=1,
             monitorable=False),
    Variable("SmartChargingCtrlr", "Enabled", mutability=RW, **ON),
    Variable("SmartChargingCtrlr", "Available", **ON),
    Variable("SmartChargingCtrlr", "Entries", "integer", instance="ChargingProfiles",
             min_limit=0, read=lambda station: str(len(station.state.limits.profiles))),
    Variable("MonitoringCtrlr", "Enabled", mutability=RW, **ON),
    Variable("MonitoringCtrlr", "Available", **ON),
    *_limits("MonitoringCtrlr", ("ClearVariableMonitoring", "SetVariableMonitoring"), 10, 4096),
    Variable("MonitoringCtrlr", "OfflineQueuingSeverity", "integer", "2", RW, min_limit=0,
             max_limit=9),
    Variable("MonitoringCtrlr", "ActiveMonitoringBase", "OptionList",
             values_list="All,FactoryDefault,HardWiredOnly",
             read=lambda station: station.state.monitoring.base),
    Variable("MonitoringCtrlr", "ActiveMonitoringLevel", "integer", min_limit=0, max_limit=9,
             read=_monitoring_level),
    Variable("DisplayMessageCtrlr", "Enabled", mutability=RW, **ON),
    Variable("DisplayMessageCtrlr", "Available", **ON),
    Variable("DisplayMessageCtrlr", "DisplayMessages", "integer", min_limit=0,
             max_limit=DISPLAY_ROOM,
             read=lambda station: str(len(station.state.display_messages))),
    Variable("DisplayMessageCtrlr", "SupportedFormats", "MemberList", DISPLAY_FORMATS,
             values_list="ASCII,HTML,URI,UTF8", monitorable=False),
    Variable("DisplayMessageCtrlr", "SupportedPriorities", "MemberList",
             "AlwaysFront,InFront,NormalCycle", values_list="AlwaysFront,InFront,NormalCycle",
             monitorable=False),
    Variable("DisplayMessageCtrlr", "SupportedStates", "MemberList",
             values_list="Charging,Faulted,Idle,Unavailable,Suspended,Discharging",
             monitorable=False, read=_display_states),
)  # fmt: skip
BY_KEY = {variable.key: variable for variable in VARIABLES}
BY_NOTATION = {variable.notation: variable for variable in VARIABLES}
COMPONENTS = {variable.key[:4] for variable in VARIABLES}
HEARTBEAT = BY_NOTATION["OCPPCommCtrlr.HeartbeatInterval"]
PROBLEMS = ("Problem",)  # what a component says is wrong, when true


def lookup(component: Payload, variable: Payload) -> tuple[str, Variable | None]:
    """The variable a request names, or what of it is unknown."""
    key = variable_key(component, variable)
    found = BY_KEY.get(key)
    if found is not None:
        return "Accepted", found
    return ("UnknownVariable" if key[:4] in COMPONENTS else "UnknownComponent"), None


def named_by(entry: Payload, variable: Variable) -> bool:
    """Whether a report's ComponentVariable names `variable`: what it leaves out (the
    component's instance or EVSE, the connector, the variable or its instance) is any."""
    component, wanted = entry["component"], entry.get("variable")
    evse = component.get("evse")
    if _fold(component["name"]) != _fold(variable.component) or "instance" in component:
        return False  # none of its components has instances
    if evse is not None and (
        evse["id"] != variable.evse
        or evse.get("connectorId", variable.connector) != variable.connector
    ):
        return False
    if wanted is None:
        return True
    if _fold(wanted["name"]) != _fold(variable.name):
        return False
    return "instance" not in wanted or _fold(wanted["instance"]) == _fold(variable.instance)


def _result(data: Payload) -> Payload:
    result: Payload = {"component": data["component"], "variable": data["variable"]}
    if "attributeType" in data:
        result["attributeType"] = data["attributeType"]
    return result


def variable_result(data: Payload, station: Station) -> Payload:
    """GetVariables' result for one GetVariableData: its value, or what is unknown."""
    result = _result(data)
    found, variable = lookup(data["component"], data["variable"])
    if variable is None:
        result["attributeStatus"] = found
    elif data.get("attributeType", "Actual") != "Actual":
        result["attributeStatus"] = "NotSupportedAttributeType"  # no target, no limits
    elif variable.mutability == WRITE_ONLY:
        result["attributeStatus"] = "Rejected"  # a password is never read back
    else:
        result["attributeStatus"] = "Accepted"
        result["attributeValue"] = variable.value(station)
    return result


def set_variable(data: Payload, station: Station) -> Payload:
    """SetVariables' result for one SetVariableData: kept, or why not (a read-only
    variable, or a value it may not hold: Rejected)."""
    result = _result(data)
    found, variable = lookup(data["component"], data["variable"])
    value = data["attributeValue"]
    if variable is None:
        result["attributeStatus"] = found
    elif data.get("attributeType", "Actual") != "Actual":
        result["attributeStatus"] = "NotSupportedAttributeType"
    elif variable.mutability == "ReadOnly" or not variable.takes(value):
        result["attributeStatus"] = "Rejected"
    else:
        if variable is HEARTBEAT:
            station.state.heartbeat_interval = int(value)
        if variable is not PASSWORD:  # the charger presents it, and keeps it nowhere else
            station.state.configuration[variable.notation] = value
        result["attributeStatus"] = "Accepted"
    return result


def parts(entries: list[Payload], size: int) -> list[list[Payload]]:
    """`entries` in reports of at most `size` each, in order."""
    return [entries[start : start + size] for start in range(0, len(entries), size)]


def numbered(action: str, request_id: int, bodies: list[Payload]) -> list[Message]:
    """Reports of one request: each with its requestId, seqNo (from 0), and tbc but the
    last; generated now."""
    now = utc_now()
    return [
        (action, {"requestId": request_id, "generatedAt": now, "seqNo": seq_no,
                  "tbc": seq_no < len(bodies) - 1, **body})
        for seq_no, body in enumerate(bodies)
    ]  # fmt: skip


def notify_report(
    request_id: int, variables: Iterable[Variable], station: Station
) -> list[Message]:
    """The NotifyReport parts that report `variables`."""
    data = [
        {
            "component": variable.component_json(),
            "variable": variable.variable_json(),
            "variableAttribute": [
                {
                    "type": "Actual",
                    "mutability": variable.mutability,
                    # A write-only variable's value is never reported.
                    **(
                        {}
                        if variable.mutability == WRITE_ONLY
                        else {"value": variable.value(station)}
                    ),
                }
            ],
            "variableCharacteristics": variable.characteristics(),
        }
        for variable in variables
    ]
    bodies = [{"reportData": part} for part in parts(data, REPORT_PART)]
    return numbered("NotifyReport", request_id, bodies)


def _summary(variable: Variable, station: Station) -> bool:
    """In a SummaryInventory: the availability of the station, its EVSE and connector,
    and each problem there is."""
    if variable.name in PROBLEMS:
        return variable.value(station) == "true"
    return variable.name == "AvailabilityState"


BASES: dict[str, Callable[[Variable, Station], bool]] = {
    "ConfigurationInventory": lambda variable, _: variable.mutability != "ReadOnly",
    "FullInventory": lambda *_: True,
    "SummaryInventory": _summary,
}


def _base_report(payload: Payload, station: Station) -> Answer:
    chosen = BASES.get(payload["reportBase"])
    if chosen is None:
        return Answer(status("NotSupported"))
    variables = [variable for variable in VARIABLES if chosen(variable, station)]
    return Answer(ACCEPTED, then=("send", notify_report(payload["requestId"], variables, station)))


def _meets(variable: Variable, criteria: list[str], station: Station) -> bool:
    """Whether the variable's component meets one of the criteria (B08.FR.07 to 10): it
    is Active, Available or Enabled when it says so or does not say; it has a Problem
    only when it says so."""
    for criterion in criteria:
        said = BY_KEY.get((*variable.key[:4], _fold(criterion), None))
        if said is not None and said.value(station) == "true":
            return True
        if said is None and criterion != "Problem":
            return True
    return False


def _report(payload: Payload, station: Station) -> Answer:
    asked, criteria = payload.get("componentVariable"), payload.get("componentCriteria")
    variables = [
        variable
        for variable in VARIABLES
        if (asked is None or any(named_by(entry, variable) for entry in asked))
        and (criteria is None or _meets(variable, criteria, station))
    ]
    if not variables:
        return Answer(status("EmptyResultSet"))
    return Answer(ACCEPTED, then=("send", notify_report(payload["requestId"], variables, station)))


def _get_variables(payload: Payload, station: Station) -> Answer:
    results = [variable_result(data, station) for data in payload["getVariableData"]]
    return Answer({"getVariableResult": results})


def _set_variables(payload: Payload, station: Station) -> Answer:
    """Each variable set, or why not; a new BasicAuthPassword accepted, the charger
    connects again presenting it (A01)."""
    results = [set_variable(data, station) for data in payload["setVariableData"]]
    passwords = [
        data["attributeValue"]
        for data, result in zip(payload["setVariableData"], results, strict=True)
        if result["attributeStatus"] == "Accepted"
        and lookup(data["component"], data["variable"])[1] is PASSWORD
    ]
    then = ("password", passwords[-1]) if passwords else None
    return Answer({"setVariableResult": results}, then=then)


def _network_profile(payload: Payload, station: Station) -> Answer:
    """Kept in its slot (B09): the charger connects with what it was started with, so
    the profile waits there, as one in a slot NetworkConfigurationPriority does not name."""
    slot, profile = payload["configurationSlot"], payload["connectionData"]
    if slot not in SLOTS:
        return Answer(status("Rejected", "InvalidConfSlot"))  # B09.FR.05
    if profile["securityProfile"] < station.state.security_profile:
        return Answer(status("Rejected", "NoSecurityDowngrade"))  # B09.FR.04
    scheme = profile["ocppCsmsUrl"].split("://", 1)[0].lower()
    valid = (
        profile["ocppTransport"] == "JSON"
        and scheme == ("wss" if profile["securityProfile"] > 1 else "ws")
        and "apn" not in profile  # it has no modem,
        and "vpn" not in profile  # nor a VPN client
    )
    if not valid:
        return Answer(status("Rejected", "InvalidNetworkConf"))  # B09.FR.02
    station.state.network_profiles[slot] = profile
    return Answer(ACCEPTED)


HANDLERS: dict[str, Callable[[Payload, Station], Answer]] = {
    "GetVariables": _get_variables,
    "SetVariables": _set_variables,
    "GetBaseReport": _base_report,
    "GetReport": _report,
    "SetNetworkProfile": _network_profile,
}
