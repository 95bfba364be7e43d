"""A simulated 2.x charger's variable monitors (OCPP 2.0.1 N02 to N06): its built-in
ones (hard-wired, which stay; preconfigured, which SetMonitoringBase turns on and off),
those the central system sets, replaces and clears, the monitoring level, and the
reports of them (GetMonitoringReport: Accepted, then NotifyMonitoringReport parts).

It keeps monitors as a station does and reports them; it sends no NotifyEvent.
"""

from __future__ import annotations

from collections.abc import Callable

from ocpp_cable.simulator.device_model2 import (
    ACCEPTED,
    BY_KEY,
    BY_NOTATION,
    EVSE_RATING_W,
    NUMERIC_TYPES,
    Variable,
    lookup,
    named_by,
    numbered,
    parts,
    status,
    variable_key,
)
from ocpp_cable.simulator.dialects import Answer, Payload, Station
from ocpp_cable.simulator.state import Monitor, Monitoring

HARD_WIRED, PRECONFIGURED = "HardWiredMonitor", "PreconfiguredMonitor"
THRESHOLDS = ("UpperThreshold", "LowerThreshold")
PERIODIC = ("Periodic", "PeriodicClockAligned")
# The monitor types it has (2.1's TargetDelta ones watch a Target attribute: it has none).
KINDS = (*THRESHOLDS, "Delta", *PERIODIC)
CRITERIA = {"ThresholdMonitoring": THRESHOLDS, "DeltaMonitoring": ("Delta",),
            "PeriodicMonitoring": PERIODIC}  # fmt: skip
SEVERITIES = range(10)  # 0 Danger ... 9 Debug
MONITOR_PART = 10  # variables in one NotifyMonitoringReport


def _built_in(
    monitor_id: int, notation: str, kind: str, value: float, severity: int, origin: str
) -> Monitor:
    variable = BY_NOTATION[notation]
    return Monitor(monitor_id, variable.component_json(), variable.variable_json(), kind,
                   value, severity, origin=origin)  # fmt: skip


# Its manufacturer's monitors: an EVSE over its rating is an error, a problem with the
# station a hardware failure; these stay whatever the base.
HARD_WIRED_MONITORS = (
    _built_in(1, "EVSE@1.Power", "UpperThreshold", EVSE_RATING_W, 4, HARD_WIRED),
    _built_in(2, "ChargingStation.Problem", "Delta", 1, 1, HARD_WIRED),
)
# The preconfigured ones, and whether FactoryDefault has them (All has all of them).
PRECONFIGURED_MONITORS = (
    (_built_in(3, "EVSE@1.AvailabilityState", "Delta", 1, 5, PRECONFIGURED), True),
    (_built_in(4, "Connector@1:1.AvailabilityState", "Delta", 1, 5, PRECONFIGURED), True),
    (_built_in(5, "EVSE@1.Power", "Periodic", 3600, 9, PRECONFIGURED), False),
)
PRECONFIGURED_IDS = frozenset(monitor.monitor_id for monitor, _ in PRECONFIGURED_MONITORS)


def active(monitoring: Monitoring) -> dict[int, Monitor]:
    """The monitors in force, by id: the hard-wired ones, the preconfigured ones of the
    base not cleared since it was set, and the central system's (replacing a built-in
    one of the same id)."""
    found = {monitor.monitor_id: monitor for monitor in HARD_WIRED_MONITORS}
    for monitor, factory in PRECONFIGURED_MONITORS:
        on = monitoring.base == "All" or (monitoring.base == "FactoryDefault" and factory)
        if on and monitor.monitor_id not in monitoring.cleared:
            found[monitor.monitor_id] = monitor
    found.update(monitoring.custom)
    return found


def variable_of(monitor: Monitor) -> Variable:
    return BY_KEY[variable_key(monitor.component, monitor.variable)]


def _refusal(data: Payload, variable: Variable, held: dict[int, Monitor]) -> str | None:
    """Why a SetMonitoringData is not taken (N04), or None."""
    kind, value, severity = data["type"], data["value"], data["severity"]
    numeric = variable.data_type in NUMERIC_TYPES
    if kind not in KINDS or not variable.monitorable or (kind in THRESHOLDS and not numeric):
        return "UnsupportedMonitorType"  # N04.FR.05
    if severity not in SEVERITIES:
        return "Rejected"
    if "periodicEventStream" in data:
        return "Rejected"  # 2.1: it streams no periodic events
    low, high = variable.min_limit, variable.max_limit
    if kind in THRESHOLDS and (
        (low is not None and value < low) or (high is not None and value > high)
    ):
        return "Rejected"  # beyond what the variable can be (N04.FR.06)
    if (kind == "Delta" and value < 0) or (kind in PERIODIC and value <= 0):
        return "Rejected"  # N04.FR.14; an interval is a positive number of seconds
    wanted = data.get("id")
    if wanted is not None:
        replaced = held.get(wanted)
        if replaced is None or replaced.origin == HARD_WIRED:
            return "Rejected"  # none of that id (N04.FR.13), or hard-wired (N04.FR.18)
        if variable_of(replaced) is not variable:
            return "Rejected"  # a monitor stays on its variable (N04.FR.16)
    same = [m for m in held.values() if m.monitor_id != wanted and variable_of(m) is variable
            and (m.kind, m.severity) == (kind, severity)]  # fmt: skip
    return "Duplicate" if same else None  # N04.FR.10


def set_monitor(data: Payload, station: Station) -> Payload:
    """SetVariableMonitoring's result for one SetMonitoringData: the monitor's id (one it
    makes, or the one given, replaced), or why not."""
    result: Payload = {key: data[key] for key in ("type", "severity", "component", "variable")}
    found, variable = lookup(data["component"], data["variable"])
    monitoring = station.state.monitoring
    refused = found if variable is None else _refusal(data, variable, active(monitoring))
    if refused is not None or variable is None:
        result["status"] = refused
        return result
    monitor_id = data.get("id")
    if monitor_id is None:
        monitor_id, monitoring.next_id = monitoring.next_id, monitoring.next_id + 1
    monitoring.custom[monitor_id] = Monitor(
        monitor_id, variable.component_json(), variable.variable_json(), data["type"],
        data["value"], data["severity"], data.get("transaction", False),
    )  # fmt: skip
    result.update(status="Accepted", id=monitor_id)
    return result


def _set_monitoring(payload: Payload, station: Station) -> Answer:
    results = [set_monitor(data, station) for data in payload["setMonitoringData"]]
    return Answer({"setMonitoringResult": results})


def clear_monitor(monitor_id: int, monitoring: Monitoring) -> Payload:
    """ClearVariableMonitoring's result for one id (N06): a hard-wired monitor stays; a
    preconfigured one is off until the base is set again."""
    held = active(monitoring).get(monitor_id)
    if held is None:
        outcome = "NotFound"
    elif held.origin == HARD_WIRED:
        outcome = "Rejected"
    else:
        monitoring.custom.pop(monitor_id, None)
        if monitor_id in PRECONFIGURED_IDS:
            monitoring.cleared.add(monitor_id)
        outcome = "Accepted"
    return {"id": monitor_id, "status": outcome}


def _clear_monitoring(payload: Payload, station: Station) -> Answer:
    monitoring = station.state.monitoring
    results = [clear_monitor(monitor_id, monitoring) for monitor_id in payload["id"]]
    return Answer({"clearMonitoringResult": results})


def _monitoring_base(payload: Payload, station: Station) -> Answer:
    """All turns every preconfigured monitor on and keeps the central system's;
    FactoryDefault and HardWiredOnly drop those, and turn on the factory's set or none
    (N03.FR.03 to 05)."""
    monitoring, base = station.state.monitoring, payload["monitoringBase"]
    if base != "All":
        monitoring.custom.clear()
    monitoring.cleared.clear()
    monitoring.base = base
    return Answer(ACCEPTED)


def _monitoring_level(payload: Payload, station: Station) -> Answer:
    if payload["severity"] not in SEVERITIES:
        return Answer(status("Rejected"))  # N05.FR.02
    station.state.monitoring.level = payload["severity"]
    return Answer(ACCEPTED)


def _monitoring_report(payload: Payload, station: Station) -> Answer:
    """The monitors matching every filter given (N02): their types by the criteria, their
    variables by the componentVariables; EmptyResultSet when none does."""
    criteria, asked = payload.get("monitoringCriteria"), payload.get("componentVariable")
    kinds = None if criteria is None else {k for c in criteria for k in CRITERIA[c]}
    by_variable: dict[Variable, list[Monitor]] = {}
    for _, monitor in sorted(active(station.state.monitoring).items()):
        variable = variable_of(monitor)
        if (kinds is None or monitor.kind in kinds) and (
            asked is None or any(named_by(entry, variable) for entry in asked)
        ):
            by_variable.setdefault(variable, []).append(monitor)
    if not by_variable:
        return Answer(status("EmptyResultSet"))
    with_origin = station.ocpp_version == "2.1"  # 2.1 says which kind each is; 2.0.1 may not
    data = [
        {"component": variable.component_json(), "variable": variable.variable_json(),
         "variableMonitoring": [_monitoring(m, with_origin) for m in monitors]}
        for variable, monitors in by_variable.items()
    ]  # fmt: skip
    bodies = [{"monitor": part} for part in parts(data, MONITOR_PART)]
    return Answer(
        ACCEPTED, then=("send", numbered("NotifyMonitoringReport", payload["requestId"], bodies))
    )


def _monitoring(monitor: Monitor, with_origin: bool) -> Payload:
    found: Payload = {
        "id": monitor.monitor_id,
        "transaction": monitor.transaction,
        "value": monitor.value,
        "type": monitor.kind,
        "severity": monitor.severity,
    }
    if with_origin:
        found["eventNotificationType"] = monitor.origin
    return found


HANDLERS: dict[str, Callable[[Payload, Station], Answer]] = {
    "SetVariableMonitoring": _set_monitoring,
    "ClearVariableMonitoring": _clear_monitoring,
    "SetMonitoringBase": _monitoring_base,
    "SetMonitoringLevel": _monitoring_level,
    "GetMonitoringReport": _monitoring_report,
}
