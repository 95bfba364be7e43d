"""OCA 2.0.1 CSMS cases, block B (Provisioning): the device model read, written and
reported, each request composed by the CSMS from what the operator names
(`ocpp-cable variables`, `ocpp-cable report`, the API's device-model routes)."""

from __future__ import annotations

from ocpp.v201 import call

from ocpp_cable.channels.storage.models import Command, StationVariable
from tests.support.conformance import T0, csms

ATTRIBUTE_TYPES = ("Actual", "Target", "MinSet", "MaxSet")


def read(values):
    """A station's GetVariables answer: the value of each variable asked for, by
    "Component.Variable" (Accepted), or UnknownVariable."""

    def answer(request):
        results = []
        for data in request["get_variable_data"]:
            name = f"{data['component']['name']}.{data['variable']['name']}"
            result = {"component": data["component"], "variable": data["variable"]}
            if "attribute_type" in data:
                result["attribute_type"] = data["attribute_type"]
            if name in values:
                result.update(attribute_status="Accepted", attribute_value=values[name])
            else:
                result["attribute_status"] = "UnknownVariable"
            results.append(result)
        return {"get_variable_result": results}

    return answer


def written(request):
    """A station's SetVariables answer: every value Accepted."""
    return {
        "set_variable_result": [
            {"attribute_status": "Accepted", "component": d["component"], "variable": d["variable"]}
            for d in request["set_variable_data"]
        ]
    }


def entry(component, variable, value, variable_instance=None, evse=None, mutability="ReadWrite"):
    """A NotifyReport's ReportData for one variable's Actual attribute."""
    found = {
        "component": {"name": component, **({"evse": {"id": evse}} if evse else {})},
        "variable": {"name": variable,
                     **({"instance": variable_instance} if variable_instance else {})},
        "variable_attribute": [{"type": "Actual", "value": value, "mutability": mutability}],
        "variable_characteristics": {"data_type": "integer", "supports_monitoring": False},
    }  # fmt: skip
    return found


def statuses(system):
    """The status each command's answer gave, oldest first."""
    commands = sorted(system.rows(Command), key=lambda c: c.created_at)
    return [c.response.get("status") for c in commands]


def stored(system, component=None):
    rows = system.rows(StationVariable)
    return {
        (r.component, r.variable, r.variable_instance, r.evse_id): r.value
        for r in rows
        if component is None or r.component == component
    }


async def test_tc_b_06_csms(tmp_path, capsys):
    """Get Variables, one value: the operator asks for OCPPCommCtrlr.OfflineThreshold; the
    CSMS sends one GetVariablesRequest naming it (attributeType absent or Actual), and
    keeps the value the station answers with the station's variables."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        answers = {"GetVariables": read({"OCPPCommCtrlr.OfflineThreshold": "60"})}
        async with system.station(answers=answers) as cp:
            await cp.boot()
            await cp.status("Available")
            code, out, err = await system.operator(
                "variables", "get", "CP-1", "OCPPCommCtrlr.OfflineThreshold", "--wait"
            )
            assert code == 0, (out, err)
            request = await cp.request("GetVariables")
            offline_threshold = {"component": {"name": "OCPPCommCtrlr"},
                                 "variable": {"name": "OfflineThreshold"}}  # fmt: skip
            assert request == {"get_variable_data": [offline_threshold]}
            assert "OCPPCommCtrlr.OfflineThreshold  Accepted  60" in out
        assert stored(system) == {("OCPPCommCtrlr", "OfflineThreshold", None, None): "60"}
        [command] = system.rows(Command)
        assert command.action == "GetVariables" and command.status == "accepted"


async def test_tc_b_07_csms(tmp_path, capsys):
    """Get Variables, several values: OCPPCommCtrlr.OfflineThreshold and
    AuthCtrlr.AuthorizeRemoteStart go in one GetVariablesRequest (the station reported no
    limit), both read back and stored; asked through the HTTP API."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        values = {"OCPPCommCtrlr.OfflineThreshold": "60", "AuthCtrlr.AuthorizeRemoteStart": "true"}
        async with system.station(answers={"GetVariables": read(values)}) as cp:
            await cp.boot()
            wanted = ["OCPPCommCtrlr.OfflineThreshold", "AuthCtrlr.AuthorizeRemoteStart"]
            response = await system.http(
                "POST", "/api/v1/stations/CP-1/variables/get?wait=5", json={"variables": wanted}
            )
            assert response.status_code == 202, response.text
            [command] = response.json()["commands"]
            assert command["status"] == "accepted"
            request = await cp.request("GetVariables")
            asked = {(d["component"]["name"], d["variable"]["name"])
                     for d in request["get_variable_data"]}  # fmt: skip
            assert asked == {("OCPPCommCtrlr", "OfflineThreshold"),
                             ("AuthCtrlr", "AuthorizeRemoteStart")}  # fmt: skip
            for data in request["get_variable_data"]:
                assert data.get("attribute_type", "Actual") in ATTRIBUTE_TYPES
        assert stored(system) == {
            ("OCPPCommCtrlr", "OfflineThreshold", None, None): "60",
            ("AuthCtrlr", "AuthorizeRemoteStart", None, None): "true",
        }


async def test_tc_b_08_csms(tmp_path, capsys):
    """Get Variables, at most ItemsPerMessageGetVariables per request: the station's base
    report says DeviceDataCtrlr.ItemsPerMessage[GetVariables] is 4; asked for five
    variables, the CSMS sends one GetVariablesRequest of 4 and one of 1, together naming
    all five."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        values = {"DeviceDataCtrlr.ItemsPerMessage": "4", "DeviceDataCtrlr.BytesPerMessage": "4096",
                  "AuthCtrlr.AuthorizeRemoteStart": "true"}  # fmt: skip
        answers = {"GetBaseReport": {"status": "Accepted"}, "GetVariables": read(values)}
        async with system.station(answers=answers) as cp:
            await cp.boot()
            code, out, err = await system.operator(
                "report", "CP-1", "--base", "ConfigurationInventory", "--wait"
            )
            assert code == 0, (out, err)
            base = await cp.request("GetBaseReport")
            limits = [
                entry("DeviceDataCtrlr", name, value, "GetVariables", mutability="ReadOnly")
                for name, value in (("ItemsPerMessage", "4"), ("BytesPerMessage", "4096"))
            ]
            await cp.call(call.NotifyReport(request_id=base["request_id"], generated_at=T0,
                                            seq_no=0, report_data=limits))  # fmt: skip
            five = ["DeviceDataCtrlr.ItemsPerMessage[GetReport]",
                    "DeviceDataCtrlr.ItemsPerMessage[GetVariables]",
                    "DeviceDataCtrlr.BytesPerMessage[GetReport]",
                    "DeviceDataCtrlr.BytesPerMessage[GetVariables]",
                    "AuthCtrlr.AuthorizeRemoteStart"]  # fmt: skip
            code, out, err = await system.operator("variables", "get", "CP-1", *five, "--wait")
            assert code == 0, (out, err)
            first, second = await cp.request("GetVariables"), await cp.request("GetVariables", 2)
            batches = [first["get_variable_data"], second["get_variable_data"]]
            assert sorted(len(b) for b in batches) == [1, 4]
            asked = {
                (d["component"]["name"], d["variable"]["name"], d["variable"].get("instance"))
                for batch in batches
                for d in batch
            }
            assert asked == {
                ("DeviceDataCtrlr", "ItemsPerMessage", "GetReport"),
                ("DeviceDataCtrlr", "ItemsPerMessage", "GetVariables"),
                ("DeviceDataCtrlr", "BytesPerMessage", "GetReport"),
                ("DeviceDataCtrlr", "BytesPerMessage", "GetVariables"),
                ("AuthCtrlr", "AuthorizeRemoteStart", None),
            }
        commands = [c for c in system.rows(Command) if c.action == "GetVariables"]
        assert sorted(c.status for c in commands) == ["accepted", "accepted"]


async def test_tc_b_09_csms(tmp_path, capsys):
    """Set Variables, one value: OCPPCommCtrlr.OfflineThreshold=123 goes in one
    SetVariablesRequest (attributeType absent: Actual); the station accepts, and the CSMS
    keeps 123 as the variable's value."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"SetVariables": written}) as cp:
            await cp.boot()
            code, out, err = await system.operator(
                "variables", "set", "CP-1", "OCPPCommCtrlr.OfflineThreshold=123", "--wait"
            )
            assert code == 0, (out, err)
            request = await cp.request("SetVariables")
            assert request == {
                "set_variable_data": [
                    {"attribute_value": "123", "component": {"name": "OCPPCommCtrlr"},
                     "variable": {"name": "OfflineThreshold"}}
                ]
            }  # fmt: skip
            assert "OCPPCommCtrlr.OfflineThreshold  Accepted" in out
        assert stored(system) == {("OCPPCommCtrlr", "OfflineThreshold", None, None): "123"}


async def test_tc_b_10_csms(tmp_path, capsys):
    """Set Variables, several values: OfflineThreshold=123 and AuthorizeRemoteStart=false in
    one SetVariablesRequest, through the HTTP API; both accepted and stored."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        async with system.station(answers={"SetVariables": written}) as cp:
            await cp.boot()
            values = [{"variable": "OCPPCommCtrlr.OfflineThreshold", "value": "123"},
                      {"variable": "AuthCtrlr.AuthorizeRemoteStart", "value": "false"}]  # fmt: skip
            response = await system.http(
                "POST", "/api/v1/stations/CP-1/variables/set?wait=5", json={"values": values}
            )
            assert response.status_code == 202, response.text
            assert [c["status"] for c in response.json()["commands"]] == ["accepted"]
            request = await cp.request("SetVariables")
            sent = {(d["component"]["name"], d["variable"]["name"]):
                    (d["attribute_value"], d.get("attribute_type", "Actual"))
                    for d in request["set_variable_data"]}  # fmt: skip
            assert sent == {("OCPPCommCtrlr", "OfflineThreshold"): ("123", "Actual"),
                            ("AuthCtrlr", "AuthorizeRemoteStart"): ("false", "Actual")}  # fmt: skip
        assert stored(system) == {
            ("OCPPCommCtrlr", "OfflineThreshold", None, None): "123",
            ("AuthCtrlr", "AuthorizeRemoteStart", None, None): "false",
        }


async def _base_report(tmp_path, capsys, report_base):
    """Get Base Report: the operator asks for `report_base`; the CSMS sends
    GetBaseReportRequest (requestId >= 0, that reportBase), takes every NotifyReport part
    of that requestId, and shows what they reported."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        async with system.station(answers={"GetBaseReport": {"status": "Accepted"}}) as cp:
            await cp.boot()
            code, out, err = await system.operator("report", "CP-1", "--base", report_base)
            assert code == 0, (out, err)
            request = await cp.request("GetBaseReport")
            assert request["report_base"] == report_base and request["request_id"] >= 0
            assert f"requestId {request['request_id']}" in out
            parts = [
                [entry("OCPPCommCtrlr", "HeartbeatInterval", "300"),
                 entry("EVSE", "AvailabilityState", "Available", evse=1)],
                [entry("AuthCtrlr", "AuthorizeRemoteStart", "true")],
            ]  # fmt: skip
            for seq_no, data in enumerate(parts):
                notify = call.NotifyReport(
                    request_id=request["request_id"], generated_at=T0, seq_no=seq_no,
                    report_data=data, tbc=seq_no < len(parts) - 1,
                )  # fmt: skip
                assert await cp.call(notify) is not None
        assert stored(system) == {
            ("OCPPCommCtrlr", "HeartbeatInterval", None, None): "300",
            ("EVSE", "AvailabilityState", None, 1): "Available",
            ("AuthCtrlr", "AuthorizeRemoteStart", None, None): "true",
        }
        shown = (await system.http("GET", "/api/v1/stations/CP-1/variables")).json()["items"]
        assert {(v["component"], v["variable"], v["value"]) for v in shown} == {
            ("OCPPCommCtrlr", "HeartbeatInterval", "300"),
            ("EVSE", "AvailabilityState", "Available"),
            ("AuthCtrlr", "AuthorizeRemoteStart", "true"),
        }


async def test_tc_b_12_csms(tmp_path, capsys):
    """Get Base Report, ConfigurationInventory (see _base_report)."""
    await _base_report(tmp_path, capsys, "ConfigurationInventory")


async def test_tc_b_13_csms(tmp_path, capsys):
    """Get Base Report, FullInventory (see _base_report)."""
    await _base_report(tmp_path, capsys, "FullInventory")


async def test_tc_b_14_csms(tmp_path, capsys):
    """Get Base Report, SummaryInventory (see _base_report)."""
    await _base_report(tmp_path, capsys, "SummaryInventory")


async def test_tc_b_18_csms(tmp_path, capsys):
    """Get Custom Report with componentCriteria and a component/variable: EVSE #1's
    AvailabilityState among Problem components (the station answers EmptyResultSet: the
    CSMS takes it), then among Available ones (Accepted, and a NotifyReport that the CSMS
    answers and stores)."""

    def report(request):
        empty = request["component_criteria"] == ["Problem"]
        return {"status": "EmptyResultSet" if empty else "Accepted"}

    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"GetReport": report}) as cp:
            await cp.boot()
            evse = {"component": {"name": "EVSE", "evse": {"id": 1}},
                    "variable": {"name": "AvailabilityState"}}  # fmt: skip
            for nth, criteria in enumerate(("Problem", "Available"), 1):
                code, out, err = await system.operator(
                    "report", "CP-1", "--criteria", criteria,
                    "--component", "EVSE@1.AvailabilityState", "--wait",
                )  # fmt: skip
                assert code == 0, (out, err)
                request = await cp.request("GetReport", nth)
                assert request["component_criteria"] == [criteria]
                assert request["component_variable"] == [evse]
            assert statuses(system) == ["EmptyResultSet", "Accepted"]
            notify = call.NotifyReport(
                request_id=request["request_id"], generated_at=T0, seq_no=0,
                report_data=[entry("EVSE", "AvailabilityState", "Available", evse=1)],
            )  # fmt: skip
            assert await cp.call(notify) is not None
        assert stored(system) == {("EVSE", "AvailabilityState", None, 1): "Available"}
