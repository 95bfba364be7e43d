"""The reference central system with OCPP 2.0.1 and 2.1 stations, end to end: a real
`ocpp` ChargePoint, the gateway, rpc_app and the database (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys

from ocpp.v16 import call as call16
from ocpp.v21 import ChargePoint as Charger21
from ocpp.v21 import call as call21
from ocpp.v201 import call

from ocpp_cable.channels.storage.models import (
    ChargePoint,
    Command,
    Connector,
    MeterValue,
    StationNotification,
    StationVariable,
    Transaction,
    TransactionEvent,
)
from tests.support.api import bearer, make_token, served_api
from tests.support.central import PASSWORD, basic, central_system, connected, rows, seed
from tests.support.processes import ROOT
from tests.support.servers import BROADCAST_KEY, Charger201, charger, eventually, subscribed

T0 = "2026-12-01T10:00:00Z"
TOKEN = {"id_token": "TAG-1", "type": "ISO14443"}
EVSE = {"id": 1, "connector_id": 1}


@contextlib.asynccontextmanager
async def station(node, station_id="CP-2", cls=Charger201, subprotocol="ocpp2.0.1"):
    auth = basic(station_id, PASSWORD)
    async with charger(node, station_id, cls, subprotocol, additional_headers=auth) as cp:
        await eventually(lambda: subscribed(node, station_id))
        yield cp


def energy(wh: float, at: str, context: str = "Sample.Periodic", **unit) -> list[dict]:
    return [
        {
            "timestamp": at,
            "sampled_value": [
                {
                    "value": wh,
                    "measurand": "Energy.Active.Import.Register",
                    "context": context,
                    "unit_of_measure": unit or {"unit": "Wh"},
                },
                {"value": 7200, "measurand": "Power.Active.Import", "context": context},
            ],
        }
    ]


def event(event_type, seq_no, at, trigger="MeterValuePeriodic", **fields):
    info = {"transaction_id": "tx-201", **fields.pop("info", {})}
    return call.TransactionEvent(
        event_type=event_type,
        timestamp=at,
        trigger_reason=trigger,
        seq_no=seq_no,
        transaction_info=info,
        **fields,
    )


async def boot(cp, vendor="Acme", model="Wallbox 2"):
    return await cp.call(
        call.BootNotification(
            charging_station={
                "vendor_name": vendor,
                "model": model,
                "serial_number": "SN-2",
                "firmware_version": "2.0.0",
                "modem": {"iccid": "8931", "imsi": "2620"},
            },
            reason="PowerUp",
        )
    )


async def test_a_201_charging_session_is_stored(database_url):
    seed(database_url, station_id="CP-2")
    async with central_system(database_url, heartbeat_interval=120) as (node, _):
        async with station(node) as cp:
            booted = await boot(cp)
            await cp.call(
                call.StatusNotification(
                    timestamp=T0, connector_status="Occupied", evse_id=1, connector_id=1
                )
            )
            await cp.call(
                call.StatusNotification(
                    timestamp=T0, connector_status="Available", evse_id=2, connector_id=1
                )
            )
            authorized = await cp.call(call.Authorize(id_token=TOKEN))
            unknown = await cp.call(call.Authorize(id_token={"id_token": "NOPE", "type": "Local"}))
            started = await cp.call(
                event(
                    "Started",
                    0,
                    T0,
                    "Authorized",
                    info={"charging_state": "EVConnected", "remote_start_id": 7},
                    evse=EVSE,
                    id_token=TOKEN,
                    meter_value=energy(1000, T0, "Transaction.Begin"),
                )
            )
            await cp.call(
                event(
                    "Updated",
                    1,
                    "2026-12-01T10:01:00Z",
                    "ChargingStateChanged",
                    info={"charging_state": "Charging"},
                    meter_value=energy(1.5, "2026-12-01T10:01:00Z", unit="Wh", multiplier=3),
                )
            )
            # The same event again (an offline queue sent anew): answered, not applied.
            again = await cp.call(
                event(
                    "Updated",
                    1,
                    "2026-12-01T10:01:00Z",
                    "ChargingStateChanged",
                    info={"charging_state": "Charging"},
                    meter_value=energy(1.5, "2026-12-01T10:01:00Z", unit="Wh", multiplier=3),
                )
            )
            ended = await cp.call(
                event(
                    "Ended",
                    2,
                    "2026-12-01T10:03:00Z",
                    "EVDeparted",
                    info={"stopped_reason": "EVDisconnected", "charging_state": "Idle"},
                    id_token=TOKEN,
                    meter_value=energy(2600, "2026-12-01T10:03:00Z", "Transaction.End"),
                )
            )
            await cp.call(
                call.MeterValues(evse_id=2, meter_value=energy(50, "2026-12-01T10:04:00Z"))
            )
            (cs,) = rows(database_url, ChargePoint)
            assert cs.connected and cs.ocpp_version == "2.0.1"

    assert booted.status == "Accepted" and booted.interval == 120
    assert authorized.id_token_info == {"status": "Accepted"}
    assert unknown.id_token_info == {"status": "Unknown"}
    assert started.id_token_info == {"status": "Accepted"}
    assert again.id_token_info is None and ended.id_token_info == {"status": "Accepted"}
    assert (cs.vendor, cs.model, cs.charge_point_serial_number) == ("Acme", "Wallbox 2", "SN-2")
    assert (cs.firmware_version, cs.iccid, cs.imsi) == ("2.0.0", "8931", "2620")
    connectors = sorted((c.evse_id, c.connector_id, c.status, c.error_code)
                        for c in rows(database_url, Connector))  # fmt: skip
    assert connectors == [(1, 1, "Occupied", None), (2, 1, "Available", None)]
    (tx,) = rows(database_url, Transaction)
    assert (tx.station_transaction_id, tx.evse_id, tx.connector_id) == ("tx-201", 1, 1)
    assert (tx.id_tag, tx.id_token_type, tx.remote_start_id) == ("TAG-1", "ISO14443", 7)
    assert (tx.meter_start, tx.meter_stop, tx.energy_wh) == (1000, 2600, 1600)
    assert (tx.stop_reason, tx.charging_state, tx.seq_no) == ("EVDisconnected", "Idle", 2)
    assert tx.stop_time is not None and tx.closed_by is None
    events = rows(database_url, TransactionEvent)
    assert sorted(e.seq_no for e in events) == [0, 1, 2]  # seqNo 1 once
    readings = rows(database_url, MeterValue, MeterValue.transaction_id == tx.id)
    assert len(readings) == 6  # two sampled values in each of three events, none twice
    registers = sorted(
        (r.timestamp.isoformat(), r.value, r.unit, r.connector_id)
        for r in readings
        if r.measurand == "Energy.Active.Import.Register"
    )
    assert [value for _, value, _, _ in registers] == ["1000", "1500", "2600"]
    assert {connector for *_, connector in registers} == {1}  # the EVSE
    (outside,) = rows(database_url, MeterValue, MeterValue.transaction_id.is_(None),
                      MeterValue.measurand == "Energy.Active.Import.Register")  # fmt: skip
    assert (outside.connector_id, outside.value) == (2, "50")


async def test_an_offline_event_and_an_unknown_token(database_url):
    seed(database_url, station_id="CP-2")
    async with central_system(database_url) as (node, _):
        async with station(node) as cp:
            # Queued while offline, sent on reconnection: an hour old, marked offline.
            started = await cp.call(
                event(
                    "Started",
                    0,
                    "2026-12-01T09:00:00Z",
                    "CablePluggedIn",
                    offline=True,
                    evse={"id": 1},
                    id_token={"id_token": "STRANGER", "type": "ISO14443"},
                )
            )
            free = await cp.call(
                event(
                    "Updated",
                    1,
                    "2026-12-01T09:00:05Z",
                    "Authorized",
                    id_token={"id_token": "", "type": "NoAuthorization"},
                )
            )
    assert started.id_token_info == {"status": "Unknown"}
    assert free.id_token_info == {"status": "Accepted"}
    (tx,) = rows(database_url, Transaction)
    assert tx.start_time.isoformat() == "2026-12-01T09:00:00+00:00" and tx.stop_time is None
    assert (tx.evse_id, tx.connector_id, tx.id_tag, tx.meter_start) == (1, None, "STRANGER", None)
    offline = {e.seq_no: e.offline for e in rows(database_url, TransactionEvent)}
    assert offline == {0: True, 1: False}


async def test_notify_report_event_and_notifications_are_stored(database_url):
    seed(database_url, station_id="CP-2")
    report = [
        {
            "component": {"name": "OCPPCommCtrlr"},
            "variable": {"name": "HeartbeatInterval"},
            "variable_attribute": [{"type": "Actual", "value": "300", "mutability": "ReadWrite"}],
            "variable_characteristics": {"data_type": "integer", "supports_monitoring": False},
        },
        {
            "component": {"name": "EVSE", "evse": {"id": 1}},
            "variable": {"name": "Power"},
            "variable_attribute": [{"value": "22000"}, {"type": "MaxSet", "value": "22000"}],
        },
    ]
    async with central_system(database_url) as (node, _):
        async with station(node) as cp:
            for seq_no, part in enumerate(report):
                await cp.call(
                    call.NotifyReport(
                        request_id=3,
                        generated_at=T0,
                        seq_no=seq_no,
                        report_data=[part],
                        tbc=seq_no == 0,
                    )
                )
            await cp.call(
                call.NotifyEvent(
                    generated_at=T0,
                    seq_no=0,
                    event_data=[
                        {
                            "event_id": 1,
                            "timestamp": T0,
                            "trigger": "Alerting",
                            "actual_value": "Faulted",
                            "event_notification_type": "HardWiredNotification",
                            "component": {"name": "Connector"},
                            "variable": {"name": "Problem"},
                        }
                    ],
                )
            )
            await cp.call(call.SecurityEventNotification(type="StartupOfTheDevice", timestamp=T0))
            await cp.call(call.FirmwareStatusNotification(status="Downloading"))
            await cp.call(call.LogStatusNotification(status="Uploading"))
    variables = {
        (v.component, v.evse_id, v.variable, v.attribute_type): (v.value, v.mutability)
        for v in rows(database_url, StationVariable)
    }
    assert variables == {
        ("OCPPCommCtrlr", None, "HeartbeatInterval", "Actual"): ("300", "ReadWrite"),
        ("EVSE", 1, "Power", "Actual"): ("22000", None),
        ("EVSE", 1, "Power", "MaxSet"): ("22000", None),
    }
    kept = [(n.action, n.payload) for n in rows(database_url, StationNotification)]
    assert [action for action, _ in kept] == [
        "NotifyReport",
        "NotifyReport",
        "NotifyEvent",
        "SecurityEventNotification",
        "FirmwareStatusNotification",
        "LogStatusNotification",
    ]
    assert kept[0][1]["variables"] == 1 and "reportData" not in kept[0][1]
    assert kept[2][1]["eventData"][0]["actualValue"] == "Faulted"
    assert rows(database_url, ChargePoint)[0].firmware_status == "Downloading"


async def test_commands_to_a_201_station_are_checked_and_answered(database_url):
    seed(database_url, station_id="CP-2")
    async with served_api(database_url) as (node, api, _):
        auth = bearer(make_token(database_url))
        async with station(node) as cp:
            await boot(cp)

            async def send(action, payload):
                return await api.post(
                    "/api/v1/stations/CP-2/commands?wait=10",
                    json={"action": action, "payload": payload},
                    headers=auth,
                )

            start = await send(
                "RequestStartTransaction",
                {"idToken": {"idToken": "TAG-1", "type": "Central"}, "remoteStartId": 42},
            )
            get = await send(
                "GetVariables",
                {"getVariableData": [{"component": {"name": "OCPPCommCtrlr"},
                                      "variable": {"name": "HeartbeatInterval"}}]},
            )  # fmt: skip
            # A 1.6 command is not one a 2.0.1 station takes: refused before it is sent.
            wrong = await send("RemoteStartTransaction", {"idTag": "TAG-1"})
            invalid = await send("RequestStopTransaction", {"transactionId": 7})
            # The CLI checks against the station's version alike.
            code, out, err = await run_cli(
                "send", "CP-2", "RequestStopTransaction", '{"transactionId": "tx-201"}', "--wait",
                env=cli_env(node, database_url),
            )  # fmt: skip
            variables = await api.get("/api/v1/stations/CP-2/variables", headers=auth)
    assert start.status_code == 201, start.text
    assert start.json()["status"] == "accepted"
    assert start.json()["response"] == {"status": "Accepted"}
    # (The `ocpp` package hands its handlers keys in snake case.)
    assert cp.remote_starts == [({"id_token": "TAG-1", "type": "Central"}, 42)]
    assert get.json()["status"] == "accepted"
    detail = problem(wrong, 422, "invalid-command")["detail"]
    assert "not an OCPP 2.0.1 action" in detail
    assert "RequestStopTransaction" in problem(invalid, 422, "invalid-command")["detail"]
    assert code == 0 and 'accepted: {"status":"Accepted"}' in out, err
    commands = {c.action: c.status for c in rows(database_url, Command)}
    assert commands == {
        "RequestStartTransaction": "accepted",
        "GetVariables": "accepted",
        "RequestStopTransaction": "accepted",
    }
    (variable,) = variables.json()["items"]
    assert (variable["component"], variable["variable"], variable["value"]) == (
        "OCPPCommCtrlr",
        "HeartbeatInterval",
        "300",
    )


async def test_a_21_station_charges_too(database_url):
    seed(database_url, station_id="CP-21")
    async with central_system(database_url) as (node, _):
        async with station(node, "CP-21", Charger21, "ocpp2.1") as cp:
            booted = await cp.call(
                call21.BootNotification(
                    charging_station={"vendor_name": "Acme", "model": "Bidi"}, reason="PowerUp"
                )
            )
            started = await cp.call(
                call21.TransactionEvent(
                    event_type="Started",
                    timestamp=T0,
                    trigger_reason="Authorized",
                    seq_no=0,
                    transaction_info={"transaction_id": "tx-21"},
                    evse=EVSE,
                    id_token=TOKEN,
                    meter_value=energy(100, T0, "Transaction.Begin"),
                )
            )
            await cp.call(
                call21.TransactionEvent(
                    event_type="Ended",
                    timestamp="2026-12-01T10:30:00Z",
                    trigger_reason="StopAuthorized",
                    seq_no=1,
                    transaction_info={"transaction_id": "tx-21", "stopped_reason": "Local"},
                    meter_value=energy(5100, "2026-12-01T10:30:00Z", "Transaction.End"),
                )
            )
    assert booted.status == "Accepted" and started.id_token_info == {"status": "Accepted"}
    (cs,) = rows(database_url, ChargePoint)
    assert cs.ocpp_version == "2.1"
    (tx,) = rows(database_url, Transaction)
    assert (tx.station_transaction_id, tx.energy_wh, tx.stop_reason) == ("tx-21", 5000, "Local")


async def test_16_and_201_stations_in_the_same_lists(database_url):
    seed(database_url, station_id="CP-1")
    seed(database_url, station_id="CP-2", tags=())
    async with served_api(database_url) as (node, api, _):
        auth = bearer(make_token(database_url))
        async with connected(node, "CP-1") as cp16, station(node, "CP-2") as cp:
            await eventually(lambda: subscribed(node, "CP-1"))
            await cp16.call(
                call16.StartTransaction(connector_id=1, id_tag="TAG-1", meter_start=0, timestamp=T0)
            )
            await cp.call(
                event("Started", 0, T0, "CablePluggedIn", evse=EVSE,
                      meter_value=energy(10, T0, "Transaction.Begin"))
            )  # fmt: skip
            await cp.call(
                event("Updated", 1, "2026-12-01T10:10:00Z",
                      meter_value=energy(3010, "2026-12-01T10:10:00Z"))
            )  # fmt: skip
            code, listed, err = await run_cli(
                "stations", "list", "--json", env=cli_env(node, database_url)
            )
            assert code == 0, err
            stations = (await api.get("/api/v1/stations", headers=auth)).json()["items"]
            ours = (await api.get("/api/v1/transactions?station_id=CP-2", headers=auth)).json()
            (tx,) = ours["items"]
            # The station never ends it: an operator closes it at its last reading.
            closed = await api.post(f"/api/v1/transactions/{tx['id']}/close", json={}, headers=auth)
            every = (await api.get("/api/v1/transactions", headers=auth)).json()
            report = (await api.get("/api/v1/reports/energy?period=day", headers=auth)).json()
    assert {s["id"]: s["ocpp_version"] for s in json.loads(listed)} == {
        "CP-1": "1.6",
        "CP-2": "2.0.1",
    }
    assert {s["id"]: s["ocpp_version"] for s in stations} == {"CP-1": "1.6", "CP-2": "2.0.1"}
    assert (tx["station_transaction_id"], tx["evse_id"], tx["id_tag"]) == ("tx-201", 1, None)
    assert (tx["meter_start"], tx["charging_state"]) == (10, None)
    assert closed.status_code == 200, closed.text
    assert (closed.json()["meter_stop"], closed.json()["energy_wh"]) == (3010, 3000)
    assert sorted(t["station_id"] for t in every["items"]) == ["CP-1", "CP-2"]
    assert report["total_wh"] == 3000  # the 1.6 session is still open: no energy yet


def cli_env(node, database_url) -> dict[str, str]:
    return {
        "OCPP_CABLE_DATABASE_URL": database_url,
        "OCPP_CABLE_BROADCAST_URL": f"http://127.0.0.1:{node.http_port}/_broadcast",
        "OCPP_CABLE_BROADCAST_KEY": BROADCAST_KEY,
    }


async def run_cli(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ocpp_cable.cli", *args, cwd=ROOT, env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, out.decode(), err.decode()


def problem(response, status: int, kind: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["type"].endswith(kind), body
    return body
