"""OCPP-J 1.6 correctness at the gateway, over a real socket: one row per rule."""

from __future__ import annotations

import asyncio
import base64
import os
import socket

import orjson
import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.support.servers import charger, eventually, gateway, rpc_server, station_url, subscribed

NOW = "2026-11-21T10:00:00Z"
ID37 = "x" * 37


def call(action: str, payload, unique_id: str = "m1") -> str:
    return orjson.dumps([2, unique_id, action, payload]).decode()


# (name, frame sent, expected CALLERROR id, expected error code)
ERROR_ROWS = [
    ("unknown action", call("FlyToTheMoon", {}), "m1", "NotImplemented"),
    ("central-system action from a station", call("Reset", {"type": "Soft"}), "m1", "NotSupported"),
    (
        "known action the application does not handle",
        call("DiagnosticsStatusNotification", {"status": "Idle"}),
        "m1",
        "NotSupported",
    ),
    ("missing required field", call("Authorize", {}), "m1", "OccurenceConstraintViolation"),
    (
        "empty array where one item is required",
        call("MeterValues", {"connectorId": 1, "meterValue": []}),
        "m1",
        "OccurenceConstraintViolation",
    ),
    ("wrong JSON type", call("Authorize", {"idTag": 7}), "m1", "TypeConstraintViolation"),
    (
        "value outside its enum",
        call("StatusNotification", {"connectorId": 1, "errorCode": "Oops", "status": "Available"}),
        "m1",
        "PropertyConstraintViolation",
    ),
    (
        "string too long",
        call("Authorize", {"idTag": "T" * 21}),
        "m1",
        "PropertyConstraintViolation",
    ),
    (
        "bad date-time format",
        call(
            "StartTransaction",
            {"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": "yesterday"},
        ),
        "m1",
        "PropertyConstraintViolation",
    ),
    ("unexpected property", call("Authorize", {"idTag": "T", "x": 1}), "m1", "FormationViolation"),
    ("payload not an object", '[2,"m1","Authorize",["T"]]', "m1", "FormationViolation"),
    ("invalid JSON, id readable", '[2,"m1","Authorize",{', "m1", "ProtocolError"),
    ("invalid JSON, id unreadable", '[2,"m1', "-1", "ProtocolError"),
    (
        "number beyond a double",
        call("Heartbeat", {}).replace("{}", '{"x":1e400}'),
        "m1",
        "FormationViolation",
    ),
    ("not an array", '{"id":"m1"}', "-1", "ProtocolError"),
    ("message type not a number", '["2","m1","Heartbeat",{}]', "-1", "ProtocolError"),
    ("message id not a string", '[2,17,"Heartbeat",{}]', "-1", "ProtocolError"),
    ("message id of 37 characters", call("Heartbeat", {}, ID37), ID37, "ProtocolError"),
    ("CALL with 3 elements, id readable", '[2,"m1","Heartbeat"]', "m1", "ProtocolError"),
]


@pytest.fixture
async def node():
    async with rpc_server() as (_, port, _), gateway(port) as node:
        yield node


async def raw(node, station_id="CP-1", **kw):
    return await websockets.connect(
        station_url(node, station_id), subprotocols=kw.pop("subprotocols", ["ocpp1.6"]), **kw
    )


async def exchange(ws, frame: str):
    await ws.send(frame)
    return orjson.loads(await asyncio.wait_for(ws.recv(), 5))


@pytest.mark.parametrize(
    ("name", "frame", "unique_id", "code"), ERROR_ROWS, ids=[r[0] for r in ERROR_ROWS]
)
async def test_error_rows(node, name, frame, unique_id, code):
    ws = await raw(node)
    try:
        reply = await exchange(ws, frame)
    finally:
        await ws.close()
    assert reply[0] == 4 and len(reply) == 5, reply
    assert reply[1] == unique_id
    assert reply[2] == code, reply
    assert isinstance(reply[3], str) and reply[3]
    assert reply[4] == {}  # errorDetails is always an object


async def test_unknown_message_type_is_ignored(node):
    ws = await raw(node)
    try:
        await ws.send('[5,"m0","Whatever",{}]')
        reply = await exchange(ws, call("Heartbeat", {}, "m1"))
    finally:
        await ws.close()
    assert reply[:2] == [3, "m1"]  # the first answer is the Heartbeat's


async def test_pending_boot_refuses_other_calls_until_accepted(node):
    ws = await raw(node)
    try:
        boot = {"chargePointModel": "M", "chargePointVendor": "Custom"}  # the app says Pending
        assert (await exchange(ws, call("BootNotification", boot, "b1")))[2]["status"] == "Pending"
        refused = await exchange(ws, call("Authorize", {"idTag": "T"}, "a1"))
        assert refused[:3] == [4, "a1", "SecurityError"]
        heartbeat = await exchange(ws, call("Heartbeat", {}, "h1"))
        assert heartbeat[:3] == [4, "h1", "SecurityError"]
        boot["chargePointVendor"] = "Vendor"  # now the default Accepted
        assert (await exchange(ws, call("BootNotification", boot, "b2")))[2]["status"] == "Accepted"
        assert (await exchange(ws, call("Authorize", {"idTag": "T"}, "a2")))[0] == 3
    finally:
        await ws.close()


async def test_frame_over_the_limit_closes_1009(record):
    async with rpc_server() as (_, port, _), gateway(port, max_frame_size=2048) as node:
        ws = await raw(node)
        await ws.send(call("DataTransfer", {"vendorId": "v", "data": "x" * 4096}))
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
        assert ws.close_code == 1009
        await eventually(lambda: record("disconnect", "CP-1"))


async def test_malformed_budget_closes_1002():
    async with rpc_server() as (_, port, _), gateway(port, malformed_frame_budget=2) as node:
        ws = await raw(node)
        replies = []
        with pytest.raises(ConnectionClosed):
            for _ in range(5):
                await ws.send("garbage")
                replies.append(orjson.loads(await asyncio.wait_for(ws.recv(), 5)))
        assert len(replies) == 3  # two within budget, the third answered then closed
        assert ws.close_code == 1002


async def test_good_frame_resets_the_malformed_budget():
    async with rpc_server() as (_, port, _), gateway(port, malformed_frame_budget=1) as node:
        ws = await raw(node)
        try:
            for _ in range(3):
                assert (await exchange(ws, "garbage"))[2] == "ProtocolError"
                assert (await exchange(ws, call("Heartbeat", {})))[0] == 3
        finally:
            await ws.close()


@pytest.mark.parametrize(
    ("path_id", "status"),
    [
        ("x" * 49, 400),
        ("a%3Ab", 400),  # ':' after percent-decoding
        ("a%2Fb", 400),  # '/' after percent-decoding
        ("a%0Ab", 400),  # a control character
        ("", 400),
    ],
)
async def test_bad_station_ids_get_http_400(node, path_id, status, record):
    with pytest.raises(InvalidStatus) as refused:
        await raw(node, path_id)
    assert refused.value.response.status_code == status
    assert record("connect") == []


async def test_48_characters_and_percent_decoding_accepted(node, record):
    station_id = "é" + "x" * 47
    from urllib.parse import quote

    async with charger(node, quote(station_id)):
        (subscribed,) = await eventually(lambda: record("subscribed"))
    assert subscribed["params"]["station_id"] == station_id


async def test_second_connection_replaces_the_first(node, record):
    first = await raw(node, "CP-D")
    await eventually(lambda: record("subscribed", "CP-D"))
    second = await raw(node, "CP-D")
    try:
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(first.recv(), 5)
        assert first.close_code == 1000
        await eventually(lambda: len(record("subscribed", "CP-D")) == 2)
        # The old connection's Disconnect was delivered before the new one subscribed.
        order = [a for s, a, _ in record.entries if s == "CP-D" and a != "connect"]
        assert order == ["subscribed", "unsubscribed", "disconnect", "subscribed"]
        assert (await exchange(second, call("Heartbeat", {})))[0] == 3
    finally:
        await second.close()


@pytest.mark.parametrize("offered", [["ocpp1.5", "ocpp2.0"], None])
async def test_no_ocpp_subprotocol_we_serve_is_refused_before_the_upgrade(node, record, offered):
    with pytest.raises(InvalidStatus) as refused:
        await raw(node, subprotocols=offered)
    response = refused.value.response
    assert response.status_code == 400
    assert b"ocpp1.6" in response.body  # the refusal names what is served
    assert record("connect") == []  # never reached the application


async def test_setting_accepts_chargers_without_subprotocol():
    async with rpc_server() as (_, port, _), gateway(port, accept_missing_subprotocol=True) as node:
        ws = await websockets.connect(station_url(node, "CP-N"))
        try:
            reply = await exchange(ws, call("Authorize", {"idTag": "T"}))
        finally:
            await ws.close()
    assert reply[0] == 3 and reply[2] == {"idTagInfo": {"status": "Accepted"}}


def silent_websocket(port: int, path: str) -> socket.socket:
    """A WebSocket client that completes the handshake and then never reads or answers a ping."""
    sock = socket.create_connection(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ocpp1.6\r\n\r\n"
        ).encode()
    )
    response = sock.recv(4096)
    assert response.startswith(b"HTTP/1.1 101"), response
    return sock


async def test_peer_that_stops_answering_pings_is_closed_and_disconnected(record):
    async with (
        rpc_server() as (_, port, _),
        gateway(port, ping_interval=0.3, ping_timeout=0.5) as node,
    ):
        sock = await asyncio.to_thread(silent_websocket, node.port, "/ocpp/CP-P")
        try:
            await eventually(lambda: record("subscribed", "CP-P"))
            await eventually(lambda: record("disconnect", "CP-P"), within=10)
            # The node forgets the station right after its Disconnect was delivered.
            await eventually(lambda: "CP-P" not in node.stations)
        finally:
            sock.close()


async def test_commands_reach_a_station_one_after_the_other(record):
    """The second CALL goes out only after the first was answered."""
    async with rpc_server() as (_, port, _), gateway(port) as node:
        ws = await raw(node, "CP-O")
        try:
            await eventually(lambda: subscribed(node, "CP-O"))
            node.broadcast(
                "ocpp:CP-O", orjson.dumps({"command": "ClearCache", "id": "c1"}).decode()
            )
            node.broadcast(
                "ocpp:CP-O",
                orjson.dumps(
                    {"command": "Reset", "id": "c2", "payload": {"type": "Soft"}}
                ).decode(),
            )
            first = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
            assert first[:3] == [2, "c1", "ClearCache"]
            with pytest.raises(TimeoutError):  # nothing more while c1 is open
                await asyncio.wait_for(ws.recv(), 0.5)
            await ws.send(orjson.dumps([3, "c1", {"status": "Accepted"}]).decode())
            second = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
            assert second[:3] == [2, "c2", "Reset"]
            await ws.send(orjson.dumps([3, "c2", {"status": "Accepted"}]).decode())
            acks = await eventually(
                lambda: len(record("ack", "CP-O")) == 2 and record("ack", "CP-O")
            )
        finally:
            await ws.close()
    assert [a["id"] for a in acks] == ["c1", "c2"]


async def test_second_command_goes_out_after_the_first_timed_out(record):
    async with rpc_server() as (_, port, _), gateway(port, call_timeout=0.5) as node:
        ws = await raw(node, "CP-T")
        try:
            await eventually(lambda: subscribed(node, "CP-T"))
            node.broadcast(
                "ocpp:CP-T", orjson.dumps({"command": "ClearCache", "id": "c1"}).decode()
            )
            node.broadcast(
                "ocpp:CP-T", orjson.dumps({"command": "ClearCache", "id": "c2"}).decode()
            )
            assert orjson.loads(await asyncio.wait_for(ws.recv(), 5))[1] == "c1"
            assert orjson.loads(await asyncio.wait_for(ws.recv(), 5))[1] == "c2"  # after 0.5 s
            (error,) = await eventually(lambda: record("error", "CP-T"))
        finally:
            await ws.close()
    assert error["id"] == "c1" and error["code"] == "Timeout" and error["command"] == "ClearCache"


async def test_invalid_callresult_performs_error_and_invalid_call_is_not_sent(record):
    async with rpc_server() as (_, port, _), gateway(port) as node:
        ws = await raw(node, "CP-V")
        try:
            await eventually(lambda: subscribed(node, "CP-V"))
            node.broadcast(
                "ocpp:CP-V",
                orjson.dumps(
                    {"command": "Reset", "id": "bad", "payload": {"type": "Hard-ish"}}
                ).decode(),
            )
            node.broadcast(
                "ocpp:CP-V", orjson.dumps({"command": "ClearCache", "id": "c1"}).decode()
            )
            sent = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
            assert sent[1] == "c1"  # "bad" never went out
            await ws.send(orjson.dumps([3, "c1", {"status": "Maybe"}]).decode())
            errors = await eventually(
                lambda: len(record("error", "CP-V")) == 2 and record("error", "CP-V")
            )
        finally:
            await ws.close()
    by_id = {e["id"]: e for e in errors}
    assert by_id["bad"]["code"] == "PropertyConstraintViolation"
    assert by_id["c1"]["code"] == "PropertyConstraintViolation"
    assert record("ack", "CP-V") == []


async def test_unmatched_reply_is_dropped_and_connection_stays(node, record):
    ws = await raw(node)
    try:
        await ws.send(orjson.dumps([3, "nobody", {}]).decode())
        await ws.send(orjson.dumps([4, "nobody", "GenericError", "", {}]).decode())
        assert (await exchange(ws, call("Heartbeat", {})))[0] == 3
    finally:
        await ws.close()
    assert record("ack") == [] and record("error") == []
