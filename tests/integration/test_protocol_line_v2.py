"""OCPP-J 2.0.1 and 2.1 at the gateway, over a real socket: the 1.6 table in 2.x's words,
subprotocol negotiation, the version reaching the application, and 2.1's SEND and
CALLRESULTERROR."""

from __future__ import annotations

import asyncio
import contextlib

import orjson
import pytest
import websockets
from ocpp.v21 import ChargePoint as ChargePoint21
from ocpp.v21 import call as call21
from ocpp.v201 import call as call201
from websockets.exceptions import InvalidStatus

from tests.support.servers import (
    Charger201,
    charger,
    eventually,
    gateway,
    rpc_server,
    station_url,
    subscribed,
)

ID37 = "x" * 37
V2_CHANNELS = "2.0.1=V2Channel,2.1=V2Channel"
BOOT = {"reason": "PowerUp", "chargingStation": {"model": "M", "vendorName": "V"}}
TOKEN = {"idToken": "T", "type": "ISO14443"}


def call(action: str, payload, unique_id: str = "m1") -> str:
    return orjson.dumps([2, unique_id, action, payload]).decode()


# (name, frame sent, expected CALLERROR id, expected error code): the rows of the 1.6
# table (test_protocol_line.py), with 2.x's codes and spellings.
ERROR_ROWS = [
    ("unknown action", call("FlyToTheMoon", {}), "m1", "NotImplemented"),
    (
        "CSMS action from a station",
        call("RequestStartTransaction", {"idToken": TOKEN, "remoteStartId": 1}),
        "m1",
        "NotSupported",
    ),
    (
        "known action the application does not handle",
        call("NotifyEvent", {"generatedAt": "2026-11-30T10:00:00Z", "seqNo": 0, "eventData": []}),
        "m1",
        "OccurrenceConstraintViolation",  # eventData needs an item: refused before the app
    ),
    ("missing required field", call("Authorize", {}), "m1", "OccurrenceConstraintViolation"),
    (
        "wrong JSON type",
        call("Authorize", {"idToken": {"idToken": 7, "type": "ISO14443"}}),
        "m1",
        "TypeConstraintViolation",
    ),
    (
        "value outside its enum",
        call("BootNotification", {**BOOT, "reason": "Bored"}),
        "m1",
        "PropertyConstraintViolation",
    ),
    (
        "string too long",
        call(
            "BootNotification", {**BOOT, "chargingStation": {"model": "M" * 21, "vendorName": "V"}}
        ),
        "m1",
        "PropertyConstraintViolation",
    ),
    (
        "bad date-time format",
        call(
            "TransactionEvent",
            {
                "eventType": "Started",
                "timestamp": "yesterday",
                "triggerReason": "Authorized",
                "seqNo": 0,
                "transactionInfo": {"transactionId": "t1"},
            },
        ),
        "m1",
        "PropertyConstraintViolation",
    ),
    ("unexpected property", call("Authorize", {"idToken": TOKEN, "x": 1}), "m1", "FormatViolation"),
    ("payload not an object", '[2,"m1","Authorize",["T"]]', "m1", "FormatViolation"),
    ("invalid JSON, id readable", '[2,"m1","Authorize",{', "m1", "RpcFrameworkError"),
    ("invalid JSON, id unreadable", '[2,"m1', "-1", "RpcFrameworkError"),
    (
        "number beyond a double",
        call("Heartbeat", {}).replace("{}", '{"x":1e400}'),
        "m1",
        "FormatViolation",
    ),
    ("not an array", '{"id":"m1"}', "-1", "RpcFrameworkError"),
    ("message type not a number", '["2","m1","Heartbeat",{}]', "-1", "RpcFrameworkError"),
    ("message id not a string", '[2,17,"Heartbeat",{}]', "-1", "RpcFrameworkError"),
    ("message id of 37 characters", call("Heartbeat", {}, ID37), ID37, "RpcFrameworkError"),
    ("CALL with 3 elements, id readable", '[2,"m1","Heartbeat"]', "m1", "RpcFrameworkError"),
    ("unknown message type", '[7,"m1","Heartbeat",{}]', "m1", "MessageTypeNotSupported"),
    ("unknown message type, no id", "[7]", "-1", "MessageTypeNotSupported"),
]
# 2.0.1 has no SEND nor CALLRESULTERROR: they are message types it does not support.
ERROR_ROWS_201 = [
    ("SEND in 2.0.1", '[6,"m1","NotifyPeriodicEventStream",{}]', "m1", "MessageTypeNotSupported"),
    (
        "CALLRESULTERROR in 2.0.1",
        '[5,"m1","FormatViolation","",{}]',
        "m1",
        "MessageTypeNotSupported",
    ),
]
ERROR_ROWS_21 = [
    (
        "SEND-only message as a CALL",
        call("NotifyPeriodicEventStream", {"id": 1, "pending": 0, "basetime": "2026", "data": []}),
        "m1",
        "NotSupported",
    ),
]


@pytest.fixture
async def node():
    async with rpc_server() as (_, port, _), gateway(port, version_channels=V2_CHANNELS) as node:
        yield node


@contextlib.asynccontextmanager
async def raw(node, station_id="CP-1", subprotocol="ocpp2.0.1", **kw):
    ws = await websockets.connect(
        station_url(node, station_id), subprotocols=kw.pop("subprotocols", [subprotocol]), **kw
    )
    try:
        yield ws
    finally:
        await ws.close()


async def exchange(ws, frame: str):
    await ws.send(frame)
    return orjson.loads(await asyncio.wait_for(ws.recv(), 5))


def rows(version: str):
    extra = ERROR_ROWS_201 if version == "ocpp2.0.1" else ERROR_ROWS_21
    return [(version, *row) for row in ERROR_ROWS + extra]


@pytest.mark.parametrize(
    ("subprotocol", "name", "frame", "unique_id", "code"),
    rows("ocpp2.0.1") + rows("ocpp2.1"),
    ids=[f"{r[0]}-{r[1]}" for r in rows("ocpp2.0.1") + rows("ocpp2.1")],
)
async def test_error_rows(node, subprotocol, name, frame, unique_id, code):
    async with raw(node, subprotocol=subprotocol) as ws:
        reply = await exchange(ws, frame)
    assert reply[0] == 4 and len(reply) == 5, reply
    assert reply[1] == unique_id
    assert reply[2] == code, reply
    assert isinstance(reply[3], str) and reply[3]
    assert reply[4] == {}


@pytest.mark.parametrize(
    ("versions", "offered", "chosen"),
    [
        ("2.1,2.0.1,1.6", ["ocpp1.6", "ocpp2.0.1"], "ocpp2.0.1"),
        ("2.1,2.0.1,1.6", ["ocpp1.6", "ocpp2.0.1", "ocpp2.1"], "ocpp2.1"),
        ("1.6,2.0.1", ["ocpp2.0.1", "ocpp1.6"], "ocpp1.6"),  # the server's preference wins
        ("2.0.1", ["ocpp1.6", "ocpp2.0.1"], "ocpp2.0.1"),
    ],
)
async def test_negotiation_follows_the_servers_preference(versions, offered, chosen, record):
    async with rpc_server() as (_, port, _), gateway(port, ocpp_versions=versions) as node:
        async with raw(node, "CP-N", subprotocols=offered) as ws:
            assert ws.subprotocol == chosen
            reply = await exchange(ws, call("Heartbeat", {}, "h1"))
        admitted = node.metrics.registry.get_sample_value(
            "ocpp_cable_gateway_stations_admitted_total",
            {"ocpp_version": chosen.removeprefix("ocpp")},
        )
        assert admitted == 1
    assert reply[:2] == [3, "h1"]
    assert record("subscribed")[0]["params"]["ocpp_version"] == chosen.removeprefix("ocpp")


async def test_a_version_not_enabled_is_refused_before_the_upgrade(record):
    async with rpc_server() as (_, port, _), gateway(port, ocpp_versions="1.6") as node:
        with pytest.raises(InvalidStatus) as refused:
            async with raw(node, "CP-X", subprotocols=["ocpp2.0.1", "ocpp2.1"]):
                pass
    assert refused.value.response.status_code == 400
    assert refused.value.response.body == b"no OCPP subprotocol we serve offered: ocpp1.6\n"
    assert record("connect") == []


async def test_the_version_reaches_the_application_in_identifier_and_env(record):
    # Even a station's own Sec-WebSocket-Protocol, passed on by --headers, cannot tell
    # the application another version than the one agreed.
    async with (
        rpc_server() as (_, port, _),
        gateway(port, version_channels=V2_CHANNELS, headers="sec-websocket-protocol") as node,
    ):
        async with raw(node, "CP-V", subprotocols=["ocpp1.6", "ocpp2.0.1"]) as ws:
            await eventually(lambda: subscribed(node, "CP-V"))
        async with raw(node, "CP-W", subprotocols=["ocpp1.6"]) as ws:
            await eventually(lambda: subscribed(node, "CP-W"))
            assert ws.subprotocol == "ocpp1.6"
    v2, v16 = record("subscribed", "CP-V")[0], record("subscribed", "CP-W")[0]
    assert v2["params"] == {"station_id": "CP-V", "ocpp_version": "2.0.1"}
    assert v16["params"] == {"station_id": "CP-W", "ocpp_version": "1.6"}
    headers = record("connect", "CP-V")[0]["headers"]
    assert headers["sec-websocket-protocol"] == "ocpp2.0.1"
    assert record("connect", "CP-W")[0]["headers"]["sec-websocket-protocol"] == "ocpp1.6"


async def test_heartbeat_and_default_boot_answered_in_2x(node, record):
    async with raw(node) as ws:
        heartbeat = await exchange(ws, call("Heartbeat", {}, "h1"))
        boot = await exchange(ws, call("BootNotification", BOOT, "b1"))
        status = await exchange(
            ws,
            call(
                "StatusNotification",
                {
                    "timestamp": "2026-11-30T10:00:00Z",
                    "connectorStatus": "Available",
                    "evseId": 1,
                    "connectorId": 1,
                },
                "s1",
            ),
        )
    assert heartbeat[:2] == [3, "h1"] and set(heartbeat[2]) == {"currentTime"}
    assert boot[:2] == [3, "b1"] and boot[2]["status"] == "Accepted"
    assert set(boot[2]) == {"status", "currentTime", "interval"}
    assert status == [3, "s1", {}]  # StatusNotificationResponse needs no decision
    assert record("heartbeat") == []  # answered at the gateway


async def test_pending_boot_refuses_other_calls_until_accepted_in_2x(node):
    async with raw(node) as ws:
        pending = {"reason": "PowerUp", "chargingStation": {"model": "M", "vendorName": "Custom"}}
        assert (await exchange(ws, call("BootNotification", pending, "b1")))[2][
            "status"
        ] == "Pending"
        refused = await exchange(ws, call("Authorize", {"idToken": TOKEN}, "a1"))
        assert refused[:3] == [4, "a1", "SecurityError"]
        assert (await exchange(ws, call("BootNotification", BOOT, "b2")))[2]["status"] == "Accepted"
        answer = await exchange(ws, call("Authorize", {"idToken": TOKEN}, "a2"))
    assert answer == [3, "a2", {"idTokenInfo": {"status": "Accepted"}}]


async def test_an_application_error_code_is_spelled_as_the_station_spells_it(node):
    async with raw(node) as ws:
        reply = await exchange(ws, call("DataTransfer", {"vendorId": "spelling"}, "d1"))
    assert reply[:3] == [4, "d1", "FormatViolation"]


async def test_21_send_reaches_the_channel_and_is_never_answered(node, record):
    stream = {
        "id": 1,
        "pending": 0,
        "basetime": "2026-11-30T10:00:00Z",
        "data": [{"t": 1, "v": "7"}],
    }
    async with raw(node, subprotocol="ocpp2.1") as ws:
        await ws.send(orjson.dumps([6, "s1", "NotifyPeriodicEventStream", stream]).decode())
        # Neither a SEND the version does not allow nor an invalid one is answered.
        await ws.send(orjson.dumps([6, "s2", "Heartbeat", {}]).decode())
        await ws.send(orjson.dumps([6, "s3", "NotifyPeriodicEventStream", {"id": 1}]).decode())
        await ws.send('[6,"s4","NotifyPeriodicEventStream"]')
        reply = await exchange(ws, call("Heartbeat", {}, "h1"))
        await eventually(lambda: record("notify_periodic_event_stream"))
    assert reply[:2] == [3, "h1"]  # the first frame back is the Heartbeat's answer
    sent = record("notify_periodic_event_stream")
    assert [d["id"] for d in sent] == ["s1"] and sent[0]["payload"] == stream


async def test_21_callresulterror_from_the_station_is_taken_calmly(node):
    async with raw(node, subprotocol="ocpp2.1") as ws:
        await ws.send('[5,"r1","FormatViolation","your CALLRESULT",{}]')
        reply = await exchange(ws, call("Heartbeat", {}, "h1"))
    assert reply[:2] == [3, "h1"]


@pytest.mark.parametrize("subprotocol", ["ocpp2.0.1", "ocpp2.1"])
async def test_invalid_callresult_is_an_error_and_in_21_a_callresulterror(
    node, record, subprotocol
):
    async with raw(node, subprotocol=subprotocol) as ws:
        await ws.send(call("DataTransfer", {"vendorId": "call"}, "d1"))
        frames = [orjson.loads(await asyncio.wait_for(ws.recv(), 5)) for _ in range(2)]
        command = next(f for f in frames if f[0] == 2)
        assert command[1:3] == ["gv-1", "GetVariables"]
        await ws.send(orjson.dumps([3, "gv-1", {"getVariableResult": "nope"}]).decode())
        if subprotocol == "ocpp2.1":
            refusal = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
            assert refusal[:3] == [5, "gv-1", "TypeConstraintViolation"]
        reply = await exchange(ws, call("Heartbeat", {}, "h1"))
        assert reply[:2] == [3, "h1"]  # 2.0.1: nothing came before the Heartbeat's answer
        await eventually(lambda: record("error"))
    [error] = record("error")
    assert error["command"] == "GetVariables" and error["code"] == "TypeConstraintViolation"


async def test_ocpp_package_v201_charge_point_end_to_end(node, record):
    async with charger(node, "CP-201", Charger201, "ocpp2.0.1") as cp:
        boot = await cp.call(
            call201.BootNotification(
                charging_station={"model": "M", "vendor_name": "V"}, reason="PowerUp"
            )
        )
        assert boot.status == "Accepted" and boot.interval > 0
        heartbeat = await cp.call(call201.Heartbeat())
        assert heartbeat.current_time
        auth = await cp.call(call201.Authorize(id_token={"id_token": "T", "type": "ISO14443"}))
        assert auth.id_token_info["status"] == "Accepted"
        event = await cp.call(
            call201.TransactionEvent(
                event_type="Started",
                timestamp="2026-11-30T10:00:00Z",
                trigger_reason="Authorized",
                seq_no=0,
                transaction_info={"transaction_id": "tx-1"},
                evse={"id": 1, "connector_id": 1},
                meter_value=[
                    {
                        "timestamp": "2026-11-30T10:00:00Z",
                        "sampled_value": [{"value": 12.5}],
                    }
                ],
            )
        )
        assert event.id_token_info is None
        transfer = await cp.call(call201.DataTransfer(vendor_id="call"))
        assert transfer.status == "Accepted"
        await eventually(lambda: record("ack"))
    [ack] = record("ack")
    assert ack["command"] == "GetVariables"
    assert ack["payload"]["getVariableResult"][0]["attributeValue"] == "300"
    [event_data] = record("transaction_event")
    # What the station sent reaches the channel exactly as sent.
    assert event_data["payload"]["meterValue"][0]["sampledValue"] == [{"value": 12.5}]


async def test_ocpp_package_v21_charge_point_boots(node, record):
    async with charger(node, "CP-21", ChargePoint21, "ocpp2.1") as cp:
        boot = await cp.call(
            call21.BootNotification(
                charging_station={"model": "M", "vendor_name": "V"}, reason="PowerUp"
            )
        )
        assert boot.status == "Accepted"
    assert record("subscribed", "CP-21")[0]["params"]["ocpp_version"] == "2.1"
