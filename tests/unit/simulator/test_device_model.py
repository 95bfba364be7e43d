"""A simulated 2.x charger's device model, monitors, display messages and customer data:
what each command keeps, answers and reports, every message valid in 2.0.1 and 2.1."""

from __future__ import annotations

import time

import pytest

from ocpp_cable.ocppj import versions
from ocpp_cable.simulator import DIALECTS
from ocpp_cable.simulator.device_model2 import REPORT_PART, VARIABLES
from ocpp_cable.simulator.dialects import Session, utc_time
from ocpp_cable.simulator.state import Reservation, SessionRecord
from tests.unit.simulator.test_payloads import Station, sent

VERSIONS_2X = ["2.0.1", "2.1"]
ACCEPTED = {"status": "Accepted"}


def answer(name: str, action: str, payload: dict, station: Station):
    """The dialect's answer to a valid request, and the reports it sends after it, all
    checked valid."""
    version = versions.named(name)
    station.ocpp_version = name
    version.schemas.validate_request(action, payload)
    found = DIALECTS[name].answer(action, payload, station)
    version.schemas.validate_response(action, found.payload)
    reports = []
    if found.then is not None:
        assert found.then[0] == "send"
        reports = [sent(version, message)[1] for message in found.then[1]]
    return found.payload, reports


def component(name: str, evse: int | None = None, connector: int | None = None) -> dict:
    found: dict = {"name": name}
    if evse is not None:
        found["evse"] = (
            {"id": evse} if connector is None else {"id": evse, "connectorId": connector}
        )
    return found


def names(reports: list[dict]) -> list[str]:
    """The variables a report's parts hold, as the operator writes them."""
    found = []
    for report in reports:
        for data in report["reportData"]:
            evse = data["component"].get("evse")
            where = "" if evse is None else f"@{evse['id']}"
            where += "" if evse is None or "connectorId" not in evse else f":{evse['connectorId']}"
            instance = data["variable"].get("instance")
            found.append(
                f"{data['component']['name']}{where}.{data['variable']['name']}"
                + ("" if instance is None else f"[{instance}]")
            )
    return found


def values(reports: list[dict]) -> dict[str, str]:
    flat = [d for report in reports for d in report["reportData"]]
    return dict(
        zip(names(reports), (d["variableAttribute"][0].get("value") for d in flat), strict=True)
    )


def get(name: str, station: Station, *wanted: tuple[dict, str]) -> list[tuple[str, str | None]]:
    data = [{"component": c, "variable": {"name": v}} for c, v in wanted]
    status, _ = answer(name, "GetVariables", {"getVariableData": data}, station)
    return [(r["attributeStatus"], r.get("attributeValue")) for r in status["getVariableResult"]]


def put(name: str, station: Station, *settings: tuple[dict, str, str]) -> list[str]:
    data = [{"component": c, "variable": {"name": v}, "attributeValue": x} for c, v, x in settings]
    status, _ = answer(name, "SetVariables", {"setVariableData": data}, station)
    return [r["attributeStatus"] for r in status["setVariableResult"]]


@pytest.mark.parametrize("name", VERSIONS_2X)
def test_a_base_report_comes_in_numbered_parts(name):
    station = Station(heartbeat_interval=120)
    full = {"requestId": 11, "reportBase": "FullInventory"}
    status, reports = answer(name, "GetBaseReport", full, station)
    assert status == ACCEPTED
    assert [(r["requestId"], r["seqNo"], r["tbc"]) for r in reports] == [
        (11, n, n < len(reports) - 1) for n in range(len(reports))
    ]
    assert len(reports) > 1 and all(len(r["reportData"]) <= REPORT_PART for r in reports)
    assert names(reports) == [v.notation for v in VARIABLES]
    reported = values(reports)
    assert reported["OCPPCommCtrlr.HeartbeatInterval"] == "120"
    assert reported["EVSE@1.AvailabilityState"] == "Available"
    assert reported["Connector@1:1.ConnectorType"] == "cType2"
    assert reported["DeviceDataCtrlr.ItemsPerMessage[GetVariables]"] == "10"
    # What it says of a variable besides its value.
    (power,) = [d for r in reports for d in r["reportData"] if d["variable"]["name"] == "Power"]
    assert power["variableAttribute"] == [
        {"type": "Actual", "value": "0", "mutability": "ReadOnly"}
    ]
    assert power["variableCharacteristics"] == {
        "dataType": "decimal", "supportsMonitoring": True, "unit": "W", "minLimit": 0,
        "maxLimit": 22080.0,
    }  # fmt: skip
    # What the operator may set; the availability of the station and its parts.
    configuration = {"requestId": 12, "reportBase": "ConfigurationInventory"}
    _, reports = answer(name, "GetBaseReport", configuration, station)
    attributes = [d["variableAttribute"][0] for r in reports for d in r["reportData"]]
    assert attributes and {a["mutability"] for a in attributes} == {"ReadWrite", "WriteOnly"}
    # The password may be set, and is never reported.
    assert [a for a in attributes if a["mutability"] == "WriteOnly"] == [
        {"type": "Actual", "mutability": "WriteOnly"}
    ]
    summary = {"requestId": 13, "reportBase": "SummaryInventory"}
    _, reports = answer(name, "GetBaseReport", summary, Station(session=Session("T")))
    assert values(reports) == {
        "ChargingStation.AvailabilityState": "Available",
        "EVSE@1.AvailabilityState": "Occupied",
        "Connector@1:1.AvailabilityState": "Occupied",
    }


@pytest.mark.parametrize("name", VERSIONS_2X)
def test_a_custom_report_takes_the_components_named_that_meet_the_criteria(name):
    station = Station()

    def report(**asked) -> tuple[dict, list[str]]:
        status, reports = answer(name, "GetReport", {"requestId": 5, **asked}, station)
        return status, names(reports)

    evse = [{"component": component("EVSE", 1)}]
    status, found = report(componentVariable=evse)
    assert status == ACCEPTED and found == [
        "EVSE@1.AvailabilityState", "EVSE@1.Available", "EVSE@1.SupplyPhases", "EVSE@1.Problem",
        "EVSE@1.Power",
    ]  # fmt: skip
    # A component without its EVSE is every EVSE's; a variable without its instance, every
    # instance's; names match whatever their case.
    assert report(componentVariable=[{"component": {"name": "evse"}}])[1] == found
    items = [{"component": {"name": "DeviceDataCtrlr"}, "variable": {"name": "ItemsPerMessage"}}]
    actions = ("GetReport", "GetVariables", "SetVariables")
    assert report(componentVariable=items)[1] == [
        f"DeviceDataCtrlr.ItemsPerMessage[{action}]" for action in actions
    ]
    assert report(componentVariable=[{"component": component("EVSE", 2)}]) == (
        {"status": "EmptyResultSet"}, [],
    )  # fmt: skip
    # No problem: nothing to report; Enabled: a component that is, or does not say.
    assert report(componentCriteria=["Problem"], componentVariable=evse)[0] == {
        "status": "EmptyResultSet"
    }
    monitoring = [{"component": {"name": "MonitoringCtrlr"}}]
    status, found = report(componentCriteria=["Enabled"], componentVariable=monitoring)
    assert status == ACCEPTED and "MonitoringCtrlr.Enabled" in found
    assert put(name, station, (component("MonitoringCtrlr"), "Enabled", "false")) == ["Accepted"]
    assert report(componentCriteria=["Enabled"], componentVariable=monitoring)[0] == {
        "status": "EmptyResultSet"
    }
    assert report(componentCriteria=["Enabled", "Available"], componentVariable=monitoring)[1]


@pytest.mark.parametrize("name", VERSIONS_2X)
def test_variables_are_found_at_their_evse_and_checked_when_set(name):
    station = Station()
    evse, connector, comm = (
        component("EVSE", 1),
        component("Connector", 1, 1),
        component("OCPPCommCtrlr"),
    )
    assert get(name, station, (evse, "AvailabilityState"), (connector, "ConnectorType"),
               (component("EVSE"), "AvailabilityState"), (component("EVSE", 2), "Power"),
               (evse, "Nope")) == [
        ("Accepted", "Available"), ("Accepted", "cType2"), ("UnknownComponent", None),
        ("UnknownComponent", None), ("UnknownVariable", None),
    ]  # fmt: skip
    charging = Station(session=Session("T", transaction_id="tx-1"), power_w=7012.4)
    assert get(name, charging, (evse, "AvailabilityState"), (evse, "Power")) == [
        ("Accepted", "Occupied"), ("Accepted", "7012"),
    ]  # fmt: skip
    # Read-only, not of its type, beyond its limits, not in its list: Rejected.
    auth = component("AuthCtrlr")
    assert put(name, station, (evse, "AvailabilityState", "Unavailable"),
               (comm, "HeartbeatInterval", "soon"), (comm, "HeartbeatInterval", "0"),
               (auth, "LocalPreAuthorize", "yes"),
               (comm, "NetworkConfigurationPriority", "4"),
               (comm, "NetworkConfigurationPriority", "2,2")) == ["Rejected"] * 6  # fmt: skip
    assert station.state.heartbeat_interval == 300
    lower = {"name": "ocppcommctrlr"}
    assert put(name, station, (lower, "heartbeatinterval", "60"),
               (auth, "LocalPreAuthorize", "true"),
               (comm, "NetworkConfigurationPriority", "2,1")) == ["Accepted"] * 3  # fmt: skip
    assert station.state.heartbeat_interval == 60
    priority = (comm, "NetworkConfigurationPriority")
    assert get(name, station, (auth, "LocalPreAuthorize"), priority) == [
        ("Accepted", "true"), ("Accepted", "2,1"),
    ]  # fmt: skip


def profile(slot: int, url: str, security_profile: int, **more) -> dict:
    data = {"ocppVersion": "OCPP20", "ocppTransport": "JSON", "ocppInterface": "Wired0",
            "ocppCsmsUrl": url, "messageTimeout": 30,
            "securityProfile": security_profile}  # fmt: skip
    return {"configurationSlot": slot, "connectionData": {**data, **more}}


@pytest.mark.parametrize("name", VERSIONS_2X)
def test_a_network_profile_is_kept_in_its_slot(name):
    station = Station()
    assert answer(name, "SetNetworkProfile", profile(2, "wss://c.example/ocpp", 2), station)[0] == (
        ACCEPTED
    )
    assert station.state.network_profiles[2]["ocppCsmsUrl"] == "wss://c.example/ocpp"

    def refused(request: dict, on: Station = station) -> str:
        status, _ = answer(name, "SetNetworkProfile", request, on)
        assert status["status"] == "Rejected"
        return status["statusInfo"]["reasonCode"]

    assert refused(profile(7, "wss://c.example/ocpp", 2)) == "InvalidConfSlot"
    assert refused(profile(3, "ws://c.example/ocpp", 2)) == "InvalidNetworkConf"
    assert refused(profile(3, "wss://c.example/ocpp", 1)) == "InvalidNetworkConf"
    over_tls = Station()
    over_tls.state.security_profile = 2
    assert refused(profile(3, "ws://c.example/ocpp", 1), over_tls) == "NoSecurityDowngrade"
    assert set(station.state.network_profiles) == {2}


def monitor(variable: str, kind: str, value: float, severity: int, at=None, **more) -> dict:
    return {"component": at or component("EVSE", 1), "variable": {"name": variable},
            "type": kind, "value": value, "severity": severity, **more}  # fmt: skip


def monitored(name: str, station: Station, **asked) -> dict[int, tuple[str, str]]:
    """The monitors a GetMonitoringReport lists: {id: (variable, type)}."""
    status, reports = answer(name, "GetMonitoringReport", {"requestId": 8, **asked}, station)
    if status == {"status": "EmptyResultSet"}:
        return {}
    assert status == ACCEPTED and [r["seqNo"] for r in reports] == list(range(len(reports)))
    found = {}
    for report in reports:
        for data in report["monitor"]:
            for m in data["variableMonitoring"]:
                # 2.1 says which kind of monitor each is; 2.0.1 has no word for it.
                assert ("eventNotificationType" in m) == (name == "2.1")
                found[m["id"]] = (data["variable"]["name"], m["type"])
    return found


@pytest.mark.parametrize("name", VERSIONS_2X)
def test_monitors_are_set_replaced_cleared_and_reported(name):
    station = Station()
    built_in = {1: ("Power", "UpperThreshold"), 2: ("Problem", "Delta"),
                3: ("AvailabilityState", "Delta"), 4: ("AvailabilityState", "Delta"),
                5: ("Power", "Periodic")}  # fmt: skip
    assert monitored(name, station) == built_in

    def set_(*data: dict) -> list[tuple[str, int | None]]:
        status, _ = answer(
            name, "SetVariableMonitoring", {"setMonitoringData": list(data)}, station
        )
        return [(r["status"], r.get("id")) for r in status["setMonitoringResult"]]

    assert set_(
        monitor("AvailabilityState", "Delta", 1, 8),
        monitor("AvailabilityState", "Delta", 1, 8),  # the same type and severity again
        monitor("Power", "UpperThreshold", 11000, 4),  # as hard-wired monitor 1
        monitor("Power", "UpperThreshold", 30000, 3),  # beyond what the EVSE delivers
        monitor("Power", "Delta", -5, 3),
        monitor("AvailabilityState", "UpperThreshold", 1, 3),  # a threshold on a word
        monitor("Nope", "Delta", 1, 3),
        monitor("Power", "Delta", 1, 3, at=component("EVSE", 2)),
        monitor("Power", "Periodic", 60, 7, transaction=True),
    ) == [("Accepted", 100), ("Duplicate", None), ("Duplicate", None), ("Rejected", None),
          ("Rejected", None), ("UnsupportedMonitorType", None), ("UnknownVariable", None),
          ("UnknownComponent", None), ("Accepted", 101)]  # fmt: skip
    # Replaced by its id, on its own variable only; a hard-wired one stays as it is.
    assert set_(
        monitor("AvailabilityState", "Delta", 1, 6, id=100),
        monitor("Power", "Delta", 1, 6, id=100),
        monitor("Power", "UpperThreshold", 20000, 2, id=1),
        monitor("Power", "Delta", 1, 6, id=999),
        monitor("AvailabilityState", "Delta", 1, 7, id=3),
    ) == [("Accepted", 100), ("Rejected", None), ("Rejected", None), ("Rejected", None),
          ("Accepted", 3)]  # fmt: skip
    if name == "2.1":  # a target it does not have; events it does not stream
        stream = {"interval": 60, "values": 1}
        assert set_(
            monitor("Power", "TargetDelta", 1, 3),
            monitor("Power", "Delta", 1, 3, periodicEventStream=stream),
        ) == [("UnsupportedMonitorType", None), ("Rejected", None)]
    held = station.state.monitoring
    assert held.custom[100].severity == 6 and held.custom[3].origin == "CustomMonitor"
    assert monitored(name, station, monitoringCriteria=["ThresholdMonitoring"]) == {
        1: ("Power", "UpperThreshold")
    }
    periodic = {"monitoringCriteria": ["PeriodicMonitoring", "DeltaMonitoring"],
                "componentVariable": [{"component": {"name": "EVSE"},
                                       "variable": {"name": "Power"}}]}  # fmt: skip
    assert monitored(name, station, **periodic) == {
        5: ("Power", "Periodic"),
        101: ("Power", "Periodic"),
    }
    # Cleared: a hard-wired one stays, a preconfigured one is off until the base is set.
    status, _ = answer(name, "ClearVariableMonitoring", {"id": [100, 1, 4, 999]}, station)
    assert [(r["id"], r["status"]) for r in status["clearMonitoringResult"]] == [
        (100, "Accepted"), (1, "Rejected"), (4, "Accepted"), (999, "NotFound"),
    ]  # fmt: skip
    assert set(monitored(name, station)) == {1, 2, 3, 5, 101}
    assert answer(name, "SetMonitoringBase", {"monitoringBase": "All"}, station)[0] == ACCEPTED
    assert set(monitored(name, station)) == {1, 2, 3, 4, 5, 101}  # its own kept
    answer(name, "SetMonitoringBase", {"monitoringBase": "FactoryDefault"}, station)
    assert monitored(name, station) == {k: v for k, v in built_in.items() if k != 5}
    answer(name, "SetMonitoringBase", {"monitoringBase": "HardWiredOnly"}, station)
    assert set(monitored(name, station)) == {1, 2}
    assert monitored(name, station, monitoringCriteria=["PeriodicMonitoring"]) == {}
    assert set_(monitor("AvailabilityState", "Delta", 1, 7, id=3)) == [("Rejected", None)]
    assert set_(monitor("AvailabilityState", "Delta", 1, 7)) == [("Accepted", 102)]
    assert answer(name, "SetMonitoringLevel", {"severity": 4}, station)[0] == ACCEPTED
    assert held.level == 4 and held.base == "HardWiredOnly"
    _, reports = answer(name, "GetReport", {"requestId": 1, "componentVariable": [
        {"component": {"name": "MonitoringCtrlr"}, "variable": {"name": "ActiveMonitoringBase"}},
        {"component": {"name": "MonitoringCtrlr"}, "variable": {"name": "ActiveMonitoringLevel"}},
    ]}, station)  # fmt: skip
    assert values(reports) == {
        "MonitoringCtrlr.ActiveMonitoringBase": "HardWiredOnly",
        "MonitoringCtrlr.ActiveMonitoringLevel": "4",
    }
    assert DIALECTS[name].answer("SetMonitoringLevel", {"severity": 10}, station).payload == {
        "status": "Rejected"
    }


def message(message_id: int, priority: str = "NormalCycle", text_format: str = "UTF8", **more):
    text = {"format": text_format, "content": f"message {message_id}"}
    return {"message": {"id": message_id, "priority": priority, **more, "message": text}}


@pytest.mark.parametrize("name", VERSIONS_2X)
def test_display_messages_are_kept_asked_for_and_cleared(name):
    station = Station()

    def set_(request: dict, on: Station = station) -> str:
        return answer(name, "SetDisplayMessage", request, on)[0]["status"]

    def shown(**asked) -> list[int] | None:
        status, reports = answer(name, "GetDisplayMessages", {"requestId": 3, **asked}, station)
        if status == {"status": "Unknown"}:
            return None
        assert [r["requestId"] for r in reports] == [3] * len(reports)
        assert [r["tbc"] for r in reports] == [True] * (len(reports) - 1) + [False]
        return [m["id"] for r in reports for m in r["messageInfo"]]

    assert set_(message(1, "InFront", state="Idle")) == "Accepted"
    assert set_(message(2, text_format="HTML")) == "NotSupportedMessageFormat"
    assert set_(message(3, transactionId="tx-9")) == "UnknownTransaction"
    if name == "2.1":
        assert set_(message(3, state="Discharging")) == "NotSupportedState"  # no V2X
        assert set_(message(3, state="Suspended")) == "Accepted"
    ended = utc_time(time.time() - 1)
    assert set_(message(4, endDateTime=ended)) == "Accepted"
    for message_id in range(10, 17):
        assert set_(message(message_id, "AlwaysFront")) == "Accepted"
    assert shown() == [1, *([3] if name == "2.1" else []), *range(10, 17)]  # 4 has ended
    assert set_(message(1, "NormalCycle")) == "Accepted"  # the same id: replaced
    assert shown(priority="InFront") is None
    assert shown(id=[1, 12, 99], priority="NormalCycle") == [1]
    assert shown(state="Idle") is None  # replaced without a state
    # A message of the transaction that runs, gone with it.
    charging = Station(session=Session("T", transaction_id="tx-1"), state=station.state)
    answer(name, "ClearDisplayMessage", {"id": 10}, station)
    assert set_(message(5, transactionId="tx-1"), charging) == "Accepted"
    station.state.session_ended(SessionRecord("T", "tx-1", 0, 1, 0))
    assert 5 not in station.state.display_messages
    assert answer(name, "ClearDisplayMessage", {"id": 1}, station)[0] == ACCEPTED
    assert answer(name, "ClearDisplayMessage", {"id": 1}, station)[0] == {"status": "Unknown"}


def test_display_messages_beyond_its_room_are_rejected():
    station = Station()
    for message_id in range(10):
        assert answer("2.0.1", "SetDisplayMessage", message(message_id), station)[0] == ACCEPTED
    status, _ = answer("2.0.1", "SetDisplayMessage", message(10), station)
    assert status == {"status": "Rejected"}
    assert answer("2.0.1", "SetDisplayMessage", message(9, "InFront"), station)[0] == ACCEPTED


def told(reports: list[dict]) -> list[str]:
    assert [r["seqNo"] for r in reports] == list(range(len(reports)))
    assert all(len(r["data"]) <= 512 for r in reports)
    return [line for r in reports for line in r["data"].split("\n")]


@pytest.mark.parametrize("name", VERSIONS_2X)
def test_customer_information_reports_and_clears_what_it_holds(name):
    station = Station()
    state = station.state
    group = {"idToken": "G", "type": "Central"}
    state.local_list = {"100000C01": {"status": "Accepted", "groupIdToken": group}}
    state.reservation = Reservation(7, "100000c01", time.time() + 600)
    state.session_ended(SessionRecord("100000C01", "tx-1", 0, 3600, 7400))
    state.session_ended(SessionRecord("OTHER", "tx-2", 0, 60, 10))
    token = {"idToken": "100000C01", "type": "ISO14443"}

    def ask(report: bool, clear: bool, **customer) -> tuple[str, list[str]]:
        request = {"requestId": 4, "report": report, "clear": clear, **customer}
        status, reports = answer(name, "CustomerInformation", request, station)
        return status["status"], told(reports)

    status, lines = ask(True, True, idToken=token)
    assert status == "Accepted" and lines == [
        "Local Authorization List: 100000C01 Accepted, group G",
        f"Reservation 7 until {utc_time(state.reservation.expires)}",
        "Session tx-1: 1970-01-01T00:00:00Z to 1970-01-01T01:00:00Z, 7400 Wh",
        "Cleared 1 session(s) of idToken 100000C01 (ISO14443)",
    ]
    # Its sessions are gone; its list entry is the central system's to remove.
    assert [r.id_tag for r in state.sessions] == ["OTHER"]
    assert "100000C01" in state.local_list
    status, lines = ask(False, True, idToken=token)
    assert lines == ["Cleared 0 session(s) of idToken 100000C01 (ISO14443)"]
    assert ask(True, False, idToken={"idToken": "NOBODY", "type": "Central"})[1] == [
        "No data about idToken NOBODY (Central)"
    ]
    assert ask(True, False, customerIdentifier="C-1")[1] == ["No data about customer C-1"]
    assert ask(False, False, idToken=token) == ("Rejected", [])
    assert ask(True, False, idToken=token, customerIdentifier="C-1") == ("Invalid", [])
    # Much held: as many messages as it takes.
    for n in range(30):
        state.session_ended(SessionRecord("OTHER", f"tx-{n:032d}", 0, 60, n))
    status, lines = ask(True, False, idToken={"idToken": "other", "type": "ISO14443"})
    assert len(lines) == 20  # the sessions it keeps


@pytest.mark.parametrize("name", VERSIONS_2X)
def test_a_new_basic_auth_password_is_taken_never_read_back_and_presented_next(name):
    station = Station()
    security = {"name": "SecurityCtrlr"}
    password = {"component": security, "variable": {"name": "BasicAuthPassword"}}
    short = DIALECTS[name].answer(
        "SetVariables", {"setVariableData": [{**password, "attributeValue": "short"}]}, station
    )
    assert short.payload["setVariableResult"][0]["attributeStatus"] == "Rejected"
    assert short.then is None
    new = "p" * 40
    taken = DIALECTS[name].answer(
        "SetVariables", {"setVariableData": [{**password, "attributeValue": new}]}, station
    )
    assert taken.payload["setVariableResult"][0]["attributeStatus"] == "Accepted"
    assert taken.then == ("password", new)  # the charger connects again with it
    assert get(name, station, (security, "BasicAuthPassword")) == [("Rejected", None)]
    assert new not in str(station.state.configuration)
