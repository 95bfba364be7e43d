"""OCA 2.0.1 CSMS cases, block N (Diagnostics): variable monitoring, alert events and customer
information, each request composed by the CSMS from what the operator names
(`ocpp-cable monitoring`, `ocpp-cable customer-information`, the API's routes)."""

from __future__ import annotations

from ocpp.v201 import call

from ocpp_cable.channels.storage.models import (
    Command,
    LocalList,
    StationNotification,
)
from tests.support.conformance import T0, csms
from tests.support.servers import eventually

TOKEN = {"id_token": "100000C01", "type": "Central"}
EVSE_AVAILABILITY = {"component": {"name": "EVSE", "evse": {"id": 1}},
                     "variable": {"name": "AvailabilityState"}}  # fmt: skip
STATION_AVAILABILITY = {"component": {"name": "ChargingStation"},
                        "variable": {"name": "AvailabilityState"}}  # fmt: skip
STATION_POWER = {"component": {"name": "ChargingStation"}, "variable": {"name": "Power"}}


def commands(system, action):
    found = [c for c in system.rows(Command) if c.action == action]
    return sorted(found, key=lambda c: c.created_at)


def notifications(system, action):
    return [n.payload for n in system.rows(StationNotification) if n.action == action]


def monitor_report(request_id):
    """The NotifyMonitoringReport a station sends of its one threshold monitor."""
    monitor = {**STATION_POWER, "variable_monitoring": [
        {"id": 7, "transaction": False, "value": 22000, "type": "UpperThreshold", "severity": 4}
    ]}  # fmt: skip
    return call.NotifyMonitoringReport(
        request_id=request_id, seq_no=0, generated_at=T0, monitor=[monitor]
    )


def empty_for(**first):
    """A GetMonitoringReport answer: EmptyResultSet for a request with `first`'s values,
    Accepted for any other."""

    def answer(request):
        empty = all(request.get(name) == value for name, value in first.items())
        return {"status": "EmptyResultSet" if empty else "Accepted"}

    return answer


async def _monitoring_reports(tmp_path, capsys, answer, asked):
    """Get Monitoring Report twice (`asked`: each time's command-line options and the
    request the CSMS must send): the first answered EmptyResultSet, the second Accepted
    and followed by a NotifyMonitoringReport the CSMS answers and keeps."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"GetMonitoringReport": answer}) as cp:
            await cp.boot()
            for nth, (options, wanted) in enumerate(asked, 1):
                code, out, err = await system.operator(
                    "monitoring", "report", "CP-1", *options, "--wait"
                )
                assert code == 0, (out, err)
                request = await cp.request("GetMonitoringReport", nth)
                assert {k: v for k, v in request.items() if k != "request_id"} == wanted
            assert await cp.call(monitor_report(request["request_id"])) is not None
        statuses = [c.response["status"] for c in commands(system, "GetMonitoringReport")]
        assert statuses == ["EmptyResultSet", "Accepted"][-len(asked) :]
        [kept] = notifications(system, "NotifyMonitoringReport")
        assert kept["requestId"] == request["request_id"]
        assert kept["monitor"][0]["variableMonitoring"][0]["id"] == 7


async def test_tc_n_01_csms(tmp_path, capsys):
    """Get Monitoring Report with monitoringCriteria: DeltaMonitoring (EmptyResultSet), then
    ThresholdMonitoring (Accepted, a report follows)."""
    await _monitoring_reports(
        tmp_path, capsys, empty_for(monitoring_criteria=["DeltaMonitoring"]),
        [(["--criteria", "DeltaMonitoring"], {"monitoring_criteria": ["DeltaMonitoring"]}),
         (["--criteria", "ThresholdMonitoring"],
          {"monitoring_criteria": ["ThresholdMonitoring"]})],
    )  # fmt: skip


async def test_tc_n_02_csms(tmp_path, capsys):
    """Get Monitoring Report with a component/variable: ChargingStation's Power
    (EmptyResultSet), then EVSE #1's AvailabilityState (Accepted, a report follows)."""
    await _monitoring_reports(
        tmp_path, capsys, empty_for(component_variable=[STATION_POWER]),
        [(["--component", "ChargingStation.Power"], {"component_variable": [STATION_POWER]}),
         (["--component", "EVSE@1.AvailabilityState"],
          {"component_variable": [EVSE_AVAILABILITY]})],
    )  # fmt: skip


async def test_tc_n_03_csms(tmp_path, capsys):
    """Get Monitoring Report with criteria and a component/variable: DeltaMonitoring on EVSE
    #1's AvailabilityState (EmptyResultSet), then ThresholdMonitoring on ChargingStation's
    Power (Accepted, a report follows)."""
    await _monitoring_reports(
        tmp_path, capsys, empty_for(monitoring_criteria=["DeltaMonitoring"]),
        [(["--criteria", "DeltaMonitoring", "--component", "EVSE@1.AvailabilityState"],
          {"monitoring_criteria": ["DeltaMonitoring"], "component_variable": [EVSE_AVAILABILITY]}),
         (["--criteria", "ThresholdMonitoring", "--component", "ChargingStation.Power"],
          {"monitoring_criteria": ["ThresholdMonitoring"], "component_variable": [STATION_POWER]})],
    )  # fmt: skip


async def test_tc_n_47_csms(tmp_path, capsys):
    """Get Monitoring Report, all: neither monitoringCriteria nor componentVariable; the
    station accepts and reports, and the CSMS keeps the report."""
    await _monitoring_reports(tmp_path, capsys, {"status": "Accepted"}, [([], {})])


async def test_tc_n_60_csms(tmp_path, capsys):
    """Get Monitoring Report with criteria and a list of components/variables:
    ChargingStation's and EVSE #1's AvailabilityState, DeltaMonitoring (EmptyResultSet)
    then ThresholdMonitoring (Accepted, a report follows)."""
    both = ["--component", "ChargingStation.AvailabilityState",
            "--component", "EVSE@1.AvailabilityState"]  # fmt: skip
    listed = [STATION_AVAILABILITY, EVSE_AVAILABILITY]
    await _monitoring_reports(
        tmp_path, capsys, empty_for(monitoring_criteria=["DeltaMonitoring"]),
        [(["--criteria", "DeltaMonitoring", *both],
          {"monitoring_criteria": ["DeltaMonitoring"], "component_variable": listed}),
         (["--criteria", "ThresholdMonitoring", *both],
          {"monitoring_criteria": ["ThresholdMonitoring"], "component_variable": listed})],
    )  # fmt: skip


async def test_tc_n_05_csms(tmp_path, capsys):
    """Set Monitoring Base: All, FactoryDefault, HardWiredOnly in turn, each answered and
    recorded with the station's answer."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"SetMonitoringBase": {"status": "Accepted"}}) as cp:
            await cp.boot()
            bases = ["All", "FactoryDefault", "HardWiredOnly"]
            for nth, base in enumerate(bases, 1):
                code, out, err = await system.operator("monitoring", "base", "CP-1", base, "--wait")
                assert code == 0, (out, err)
                assert await cp.request("SetMonitoringBase", nth) == {"monitoring_base": base}
        sent = commands(system, "SetMonitoringBase")
        assert [c.payload["monitoringBase"] for c in sent] == bases
        assert {c.status for c in sent} == {"accepted"}


def monitors_set(request):
    """A station's SetVariableMonitoring answer: each monitor Accepted, given an id."""
    return {
        "set_monitoring_result": [
            {"id": 100 + n, "status": "Accepted", "type": d["type"], "severity": d["severity"],
             "component": d["component"], "variable": d["variable"]}
            for n, d in enumerate(request["set_monitoring_data"])
        ]
    }  # fmt: skip


async def test_tc_n_08_csms(tmp_path, capsys):
    """Set Variable Monitoring, one element: a Delta monitor (value 1, severity 8) on EVSE
    #1's AvailabilityState; the station accepts it, and its id is kept with the command."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"SetVariableMonitoring": monitors_set}) as cp:
            await cp.boot()
            code, out, err = await system.operator(
                "monitoring", "set", "CP-1", "EVSE@1.AvailabilityState",
                "--type", "Delta", "--value", "1", "--severity", "8", "--wait",
            )  # fmt: skip
            assert code == 0, (out, err)
            request = await cp.request("SetVariableMonitoring")
            assert request == {"set_monitoring_data": [
                {"value": 1, "type": "Delta", "severity": 8, **EVSE_AVAILABILITY}
            ]}  # fmt: skip
            assert "100  EVSE@1.AvailabilityState  Delta" in out
        [command] = commands(system, "SetVariableMonitoring")
        assert command.response["setMonitoringResult"][0]["id"] == 100


async def test_tc_n_09_csms(tmp_path, capsys):
    """Set Variable Monitoring, elements on different components: Delta monitors on EVSE
    #1's and ChargingStation's AvailabilityState in one request, through the HTTP API."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        async with system.station(answers={"SetVariableMonitoring": monitors_set}) as cp:
            await cp.boot()
            monitors = [
                {"variable": name, "type": "Delta", "value": 1, "severity": 8}
                for name in ("EVSE@1.AvailabilityState", "ChargingStation.AvailabilityState")
            ]
            response = await system.http(
                "POST", "/api/v1/stations/CP-1/monitoring/set?wait=5", json={"monitors": monitors}
            )
            assert response.status_code == 202, response.text
            [command] = response.json()["commands"]
            assert command["status"] == "accepted"
            request = await cp.request("SetVariableMonitoring")
            assert request == {"set_monitoring_data": [
                {"value": 1, "type": "Delta", "severity": 8, **EVSE_AVAILABILITY},
                {"value": 1, "type": "Delta", "severity": 8, **STATION_AVAILABILITY},
            ]}  # fmt: skip


async def _set_monitoring_level(tmp_path, capsys, status):
    """Set Monitoring Level: severity 4 sent, the station's answer (`status`) recorded."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"SetMonitoringLevel": {"status": status}}) as cp:
            await cp.boot()
            code, out, err = await system.operator("monitoring", "level", "CP-1", "4", "--wait")
            assert code == (0 if status == "Accepted" else 1), (out, err)
            assert await cp.request("SetMonitoringLevel") == {"severity": 4}
        [command] = commands(system, "SetMonitoringLevel")
        assert command.response == {"status": status}
        assert command.status == ("accepted" if status == "Accepted" else "rejected")


async def test_tc_n_16_csms(tmp_path, capsys):
    """Set Monitoring Level, accepted: severity 4 sent; the station's Accepted recorded."""
    await _set_monitoring_level(tmp_path, capsys, "Accepted")


async def test_tc_n_17_csms(tmp_path, capsys):
    """Set Monitoring Level, out of range: severity 4 sent; the station's Rejected is
    recorded (the command ends rejected, the operator told so)."""
    await _set_monitoring_level(tmp_path, capsys, "Rejected")


def cleared(status):
    def answer(request):
        return {"clear_monitoring_result": [{"id": i, "status": status} for i in request["id"]]}

    return answer


async def test_tc_n_18_csms(tmp_path, capsys):
    """Clear Monitoring, more ids than one request takes: the CSMS reads
    MonitoringCtrlr.ItemsPerMessage[ClearVariableMonitoring] (3), then clears seven
    monitors in three ClearVariableMonitoringRequests of at most 3 ids, every id once."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        limit = {"get_variable_result": [{
            "attribute_status": "Accepted", "attribute_value": "3",
            "component": {"name": "MonitoringCtrlr"},
            "variable": {"name": "ItemsPerMessage", "instance": "ClearVariableMonitoring"},
        }]}  # fmt: skip
        answers = {"GetVariables": limit, "ClearVariableMonitoring": cleared("Accepted")}
        async with system.station(answers=answers) as cp:
            await cp.boot()
            code, out, err = await system.operator(
                "variables", "get", "CP-1",
                "MonitoringCtrlr.ItemsPerMessage[ClearVariableMonitoring]", "--wait",
            )  # fmt: skip
            assert code == 0, (out, err)
            assert await cp.request("GetVariables") == {"get_variable_data": [
                {"component": {"name": "MonitoringCtrlr"},
                 "variable": {"name": "ItemsPerMessage", "instance": "ClearVariableMonitoring"}}
            ]}  # fmt: skip
            ids = [str(i) for i in range(1, 8)]
            code, out, err = await system.operator("monitoring", "clear", "CP-1", *ids, "--wait")
            assert code == 0, (out, err)
            requests = [await cp.request("ClearVariableMonitoring", n) for n in (1, 2, 3)]
            assert cp.asked("ClearVariableMonitoring") == 3
            assert all(len(r["id"]) <= 3 for r in requests)
            assert sorted(i for r in requests for i in r["id"]) == list(range(1, 8))
        assert [c.status for c in commands(system, "ClearVariableMonitoring")] == ["accepted"] * 3


async def test_tc_n_44_csms(tmp_path, capsys):
    """Clear Monitoring, rejected: the station answers clearMonitoringResult Rejected; the
    CSMS records the answer and tells the operator, per id."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        answers = {"ClearVariableMonitoring": cleared("Rejected")}
        async with system.station(answers=answers) as cp:
            await cp.boot()
            response = await system.http(
                "POST", "/api/v1/stations/CP-1/monitoring/clear?wait=5", json={"ids": [7]}
            )
            assert response.status_code == 202, response.text
            [command] = response.json()["commands"]
            assert command["response"] == {
                "clearMonitoringResult": [{"id": 7, "status": "Rejected"}]
            }
            assert await cp.request("ClearVariableMonitoring") == {"id": [7]}


async def _notify_event(tmp_path, capsys, **event):
    """A NotifyEvent with one event (`event` over a default) is answered empty and kept."""
    data = {"event_id": 1, "timestamp": T0, "trigger": "Delta", "actual_value": "Faulted",
            "event_notification_type": "CustomMonitor", **EVSE_AVAILABILITY, **event}  # fmt: skip
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            await cp.boot()
            notify = call.NotifyEvent(generated_at=T0, seq_no=0, event_data=[data])
            answer = await cp.call(notify)
            assert answer is not None and answer.custom_data is None
        [kept] = notifications(system, "NotifyEvent")
        assert kept["eventData"][0]["eventId"] == 1


async def test_tc_n_21_csms(tmp_path, capsys):
    """Alert Event, HardWiredMonitor: the CSMS answers an empty NotifyEventResponse."""
    await _notify_event(tmp_path, capsys, event_notification_type="HardWiredMonitor")


async def test_tc_n_24_csms(tmp_path, capsys):
    """Periodic event: each periodic NotifyEvent gets an empty NotifyEventResponse."""
    await _notify_event(tmp_path, capsys, trigger="Periodic", actual_value="Available")


async def test_tc_n_48_csms(tmp_path, capsys):
    """Alert Event on a write-only variable: an empty actualValue is answered all the same."""
    await _notify_event(tmp_path, capsys, actual_value="")


async def test_tc_n_49_csms(tmp_path, capsys):
    """Alert Event cleared after a reboot: eventData.cleared true is answered."""
    await _notify_event(tmp_path, capsys, trigger="Alerting", cleared=True)


async def test_tc_n_50_csms(tmp_path, capsys):
    """Alert Event, periodic trigger: eventData.trigger Periodic is answered."""
    await _notify_event(tmp_path, capsys, trigger="Periodic")


# --- customer information ----------------------------------------------------------------------


async def _customer_information(tmp_path, capsys, options, wanted, status="Accepted", data=""):
    """CustomerInformation as the operator asks (`options`): the request the CSMS sends is
    `wanted` (with a requestId); then, when the station accepts, its
    NotifyCustomerInformation is answered and kept under that requestId."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        answers = {"CustomerInformation": {"status": status}}
        async with system.station(answers=answers) as cp:
            await cp.boot()
            code, out, err = await system.operator(
                "customer-information", "CP-1", *options, "--wait"
            )
            assert code == (0 if status == "Accepted" else 1), (out, err)
            request = await cp.request("CustomerInformation")
            assert request.pop("request_id") >= 0
            assert request == wanted
            [command] = commands(system, "CustomerInformation")
            assert command.response == {"status": status}
            if status != "Accepted":
                return
            notify = call.NotifyCustomerInformation(
                data=data, seq_no=0, generated_at=T0, request_id=command.payload["requestId"]
            )
            assert await cp.call(notify) is not None
        [kept] = notifications(system, "NotifyCustomerInformation")
        assert kept == {"data": data, "seqNo": 0, "generatedAt": T0,
                        "requestId": command.payload["requestId"]}  # fmt: skip


BY_TOKEN = ["--id-token", TOKEN["id_token"], "--id-token-type", TOKEN["type"]]


async def test_tc_n_27_csms(tmp_path, capsys):
    """Get Customer Information, accepted with data: report=true, clear=false, the
    configured idToken; the NotifyCustomerInformation is answered and kept."""
    await _customer_information(tmp_path, capsys, ["--report", *BY_TOKEN],
                                {"report": True, "clear": False, "id_token": TOKEN},
                                data="Customer information data.")  # fmt: skip


async def test_tc_n_28_csms(tmp_path, capsys):
    """Get Customer Information, accepted without data: an empty report is answered and kept."""
    await _customer_information(tmp_path, capsys, ["--report", *BY_TOKEN],
                                {"report": True, "clear": False, "id_token": TOKEN})  # fmt: skip


async def test_tc_n_29_csms(tmp_path, capsys):
    """Get Customer Information, not accepted: the station's Rejected is recorded and the
    operator told (exit 1)."""
    await _customer_information(tmp_path, capsys, ["--report", *BY_TOKEN],
                                {"report": True, "clear": False, "id_token": TOKEN},
                                status="Rejected")  # fmt: skip


async def test_tc_n_30_csms(tmp_path, capsys):
    """Clear Customer Information, clear and report with data: report=true, clear=true."""
    await _customer_information(tmp_path, capsys, ["--report", "--clear", *BY_TOKEN],
                                {"report": True, "clear": True, "id_token": TOKEN},
                                data="Customer information data.")  # fmt: skip


async def test_tc_n_31_csms(tmp_path, capsys):
    """Clear Customer Information, clear and report without data."""
    await _customer_information(tmp_path, capsys, ["--report", "--clear", *BY_TOKEN],
                                {"report": True, "clear": True, "id_token": TOKEN})  # fmt: skip


async def test_tc_n_32_csms(tmp_path, capsys):
    """Clear Customer Information, clear and no report: report=false, clear=true; the
    NotifyCustomerInformation the station sends anyway is answered and kept."""
    await _customer_information(tmp_path, capsys, ["--clear", *BY_TOKEN],
                                {"report": False, "clear": True, "id_token": TOKEN},
                                data="Cleared")  # fmt: skip


async def test_tc_n_62_csms(tmp_path, capsys):
    """Clear Customer Information by customerIdentifier: report and clear for
    "OpenChargeAlliance"."""
    await _customer_information(
        tmp_path, capsys,
        ["--report", "--clear", "--customer-identifier", "OpenChargeAlliance"],
        {"report": True, "clear": True, "customer_identifier": "OpenChargeAlliance"},
    )  # fmt: skip


async def test_tc_n_63_csms(tmp_path, capsys):
    """Clear Customer Information by customerCertificate: report and clear for the
    certificate's hash data."""
    hashes = {"hash_algorithm": "SHA256", "issuer_name_hash": "a" * 64,
              "issuer_key_hash": "b" * 64, "serial_number": "0123abcd"}  # fmt: skip
    given = ":".join(hashes.values())
    await _customer_information(
        tmp_path, capsys, ["--report", "--clear", "--customer-certificate", given],
        {"report": True, "clear": True, "customer_certificate": hashes},
    )  # fmt: skip


async def test_tc_n_46_csms(tmp_path, capsys):
    """Clear Customer Information, then the Local Authorization List: the station holds our
    list at version 1 with the customer's idToken (the prerequisite: `local-list sync`, the
    central system's own Full list of our idTags, Central tokens, accepted). The CSMS asks
    to report and clear the token's data; after the NotifyCustomerInformation it sends, by
    itself, SendLocalList Differential, versionNumber 2, the token without idTokenInfo
    (removed); once accepted, we know the station holds version 2 without it."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed(tags=(("100000C01", "Accepted", None),))
        answers = {"SendLocalList": {"status": "Accepted"},
                   "CustomerInformation": {"status": "Accepted"}}  # fmt: skip
        async with system.station(answers=answers) as cp:
            await cp.boot()
            code, out, err = await system.operator(
                "local-list", "sync", "CP-1", "--token-type", "Central"
            )
            assert code == 0 and "Full update to version 1, 1 entries" in out, (out, err)
            listed = await cp.request("SendLocalList")
            assert listed["local_authorization_list"] == [
                {"id_token": TOKEN, "id_token_info": {"status": "Accepted"}}
            ]
            [known] = await eventually(
                lambda: [k for k in system.rows(LocalList) if k.version == 1]
            )
            assert len(known.entries) == 1
            body = {"report": True, "clear": True,
                    "id_token": {"id_token": "100000C01", "type": "Central"}}  # fmt: skip
            response = await system.http(
                "POST", "/api/v1/stations/CP-1/customer-information?wait=5", json=body
            )
            assert response.status_code == 202, response.text
            [command] = response.json()["commands"]
            assert command["status"] == "accepted"
            request = await cp.request("CustomerInformation")
            assert (request["report"], request["clear"], request["id_token"]) == (True, True, TOKEN)
            assert cp.asked("SendLocalList") == 1  # nothing before the station's report
            notify = call.NotifyCustomerInformation(
                data="Customer information data.", seq_no=0, generated_at=T0,
                request_id=request["request_id"],
            )  # fmt: skip
            assert await cp.call(notify) is not None
            update = await cp.request("SendLocalList", 2)
            assert update == {"version_number": 2, "update_type": "Differential",
                              "local_authorization_list": [{"id_token": TOKEN}]}  # fmt: skip
            [known] = await eventually(
                lambda: [k for k in system.rows(LocalList) if k.version == 2]
            )
        assert known.entries == {}
        [sent] = [c for c in commands(system, "SendLocalList") if c.payload["versionNumber"] == 2]
        assert sent.status == "accepted"
