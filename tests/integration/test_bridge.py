"""Charger -> gateway -> gRPC -> channel classes, over real sockets and a real gRPC server."""

from __future__ import annotations

import asyncio
import base64

import aiohttp
import orjson
import pytest
import websockets
from ocpp.exceptions import InternalError, NotSupportedError
from ocpp.v16 import call
from websockets.exceptions import InvalidStatus

from tests.support.servers import (
    BROADCAST_KEY,
    charger,
    eventually,
    gateway,
    rpc_server,
    station_url,
)

BOOT = call.BootNotification(charge_point_model="Model", charge_point_vendor="Vendor")
NOW = "2026-11-21T10:00:00Z"


async def test_default_boot_response_and_channel_reached(record):
    async with rpc_server() as (_, port, _), gateway(port, heartbeat_interval=77) as node:
        async with charger(node) as cp:
            response = await cp.call(BOOT)
    assert response.status == "Accepted"
    assert response.interval == 77
    assert response.current_time.endswith("Z")
    (boot,) = record("boot_notification")
    assert boot["action"] == "boot_notification"
    assert boot["command"] == "BootNotification"
    assert boot["payload"] == {"chargePointModel": "Model", "chargePointVendor": "Vendor"}
    assert isinstance(boot["id"], str)


async def test_channel_provided_boot_response_wins():
    async with rpc_server() as (_, port, _), gateway(port) as node, charger(node) as cp:
        response = await cp.call(
            call.BootNotification(charge_point_model="M", charge_point_vendor="Custom")
        )
    assert response.status == "Pending"
    assert response.interval == 42  # the channel's, not the default 300


async def test_heartbeat_answered_without_rpc(record):
    async with rpc_server() as (_, port, counter), gateway(port) as node, charger(node) as cp:
        await cp.call(BOOT)
        before = counter.served()
        response = await cp.call(call.Heartbeat())
        after = counter.served()
    assert response.current_time.endswith("Z")
    assert before == after, "a Heartbeat must not make an RPC"
    assert record("heartbeat") == []


async def test_heartbeat_forwarded_when_configured(record):
    async with rpc_server() as (_, port, _), gateway(port, forward_heartbeat=True) as node:
        async with charger(node) as cp:
            response = await cp.call(call.Heartbeat())
            await eventually(lambda: record("heartbeat"))
    assert response.current_time


async def test_charging_actions_reach_channel_and_answers_reach_charger(record):
    async with rpc_server() as (_, port, _), gateway(port) as node, charger(node) as cp:
        await cp.call(BOOT)
        status = await cp.call(
            call.StatusNotification(connector_id=1, error_code="NoError", status="Preparing")
        )
        auth = await cp.call(call.Authorize(id_tag="TAG"))
        blocked = await cp.call(call.Authorize(id_tag="BLOCKED"))
        start = await cp.call(
            call.StartTransaction(connector_id=1, id_tag="TAG", meter_start=100, timestamp=NOW)
        )
        meter = await cp.call(
            call.MeterValues(
                connector_id=1,
                transaction_id=42,
                meter_value=[{"timestamp": NOW, "sampledValue": [{"value": "150", "unit": "Wh"}]}],
            )
        )
        stop = await cp.call(call.StopTransaction(meter_stop=500, timestamp=NOW, transaction_id=42))
    assert status is not None and auth.id_tag_info == {"status": "Accepted"}
    assert blocked.id_tag_info == {"status": "Blocked"}
    assert start.transaction_id == 42
    assert meter is not None and stop is not None  # default empty confirmations
    assert record("status_notification")[0]["payload"]["status"] == "Preparing"
    assert record("meter_values")[0]["payload"]["meterValue"][0]["sampledValue"] == [
        {"value": "150", "unit": "Wh"}
    ]
    assert record("start_transaction")[0]["payload"]["meterStart"] == 100
    assert record("stop_transaction")[0]["payload"]["meterStop"] == 500


async def test_reconnect_without_boot_is_served(record):
    async with rpc_server() as (_, port, _), gateway(port) as node:
        async with charger(node, "CP-R") as cp:
            await cp.call(BOOT)
        await eventually(lambda: record("disconnect", "CP-R"))
        async with charger(node, "CP-R") as cp:
            auth = await cp.call(call.Authorize(id_tag="TAG"))
            status = await cp.call(
                call.StatusNotification(connector_id=0, error_code="NoError", status="Available")
            )
    assert auth.id_tag_info == {"status": "Accepted"}
    assert status is not None
    assert len(record("subscribed", "CP-R")) == 2


async def test_exception_in_channel_gives_internal_error_and_server_keeps_serving():
    async with rpc_server() as (_, port, _), gateway(port) as node, charger(node) as cp:
        with pytest.raises(InternalError):
            await cp.call(call.DataTransfer(vendor_id="crash"), suppress=False)
        ok = await cp.call(call.DataTransfer(vendor_id="fine"))
    assert ok.status == "Accepted"


async def test_no_answer_where_one_is_needed_gives_callerror():
    async with rpc_server() as (_, port, _), gateway(port) as node, charger(node) as cp:
        with pytest.raises(InternalError):
            await cp.call(call.DataTransfer(vendor_id="silent"), suppress=False)


async def test_undefined_action_gives_not_supported():
    async with rpc_server() as (_, port, _), gateway(port) as node, charger(node) as cp:
        with pytest.raises(NotSupportedError):
            await cp.call(call.DiagnosticsStatusNotification(status="Uploaded"), suppress=False)


async def test_rpc_app_down_gives_internal_error_never_ack_and_service_resumes(
    unused_tcp_port, record
):
    port = unused_tcp_port
    async with gateway(port) as node, rpc_server(port) as (server, _, _), charger(node) as cp:
        await cp.call(BOOT)
        await server.stop(grace=None)
        for _ in range(3):  # StopTransaction has a valid empty ack: it must not get one
            with pytest.raises(InternalError):
                await cp.call(
                    call.StopTransaction(meter_stop=1, timestamp=NOW, transaction_id=42),
                    suppress=False,
                )
        async with rpc_server(port):

            async def stopped_ok():
                try:
                    return await cp.call(
                        call.StopTransaction(meter_stop=1, timestamp=NOW, transaction_id=42),
                        suppress=False,
                    )
                except InternalError:
                    return None

            result = None
            for _ in range(100):
                result = await stopped_ok()
                if result is not None:
                    break
                await asyncio.sleep(0.1)
            assert result is not None, "service did not resume after rpc_app came back"
    assert len(record("stop_transaction")) == 1


@pytest.mark.parametrize(
    ("credentials", "status"),
    [(None, 401), (("reject-1", "secret"), 401)],
)
async def test_rejected_connect_gives_http_status_and_no_upgrade(credentials, status):
    async with rpc_server() as (_, port, counter), gateway(port) as node:
        headers = {}
        if credentials:
            token = base64.b64encode(":".join(credentials).encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        with pytest.raises(InvalidStatus) as refused:
            await websockets.connect(
                station_url(node, "reject-1"),
                subprotocols=["ocpp1.6"],
                additional_headers=headers,
            )
    assert refused.value.response.status_code == status
    assert counter.served() == {"Connect": 1}, "nothing but Connect for a refused station"


async def test_connect_sees_headers_and_remote_address(record):
    async with rpc_server() as (_, port, _), gateway(port) as node:
        token = base64.b64encode(b"CP-H:pw").decode()
        async with charger(node, "CP-H", additional_headers={"Authorization": f"Basic {token}"}):
            await eventually(lambda: record("subscribed", "CP-H"))
    (connect,) = record("connect", "CP-H")
    assert connect["headers"]["authorization"] == f"Basic {token}"
    assert connect["headers"]["REMOTE_ADDR"] == "127.0.0.1"


async def test_call_from_channel_reaches_charger_and_reply_comes_back_to_ack(record):
    async with rpc_server() as (_, port, _), gateway(port) as node, charger(node) as cp:
        await cp.call(call.DataTransfer(vendor_id="call"))
        (ack,) = await eventually(lambda: record("ack"))
    assert ack["action"] == "ack"
    assert ack["id"] == "cfg-1"
    assert ack["command"] == "GetConfiguration"
    assert ack["payload"]["configurationKey"][0]["key"] == "HeartbeatInterval"


async def test_broadcast_over_http_reaches_charger_and_reply_comes_back(record):
    async with rpc_server() as (_, port, _), gateway(port) as node, charger(node, "CP-B") as cp:
        await cp.call(BOOT)
        transmission = {"command": "Reset", "id": "r-1", "payload": {"type": "Soft"}}
        async with aiohttp.ClientSession() as http:
            response = await http.post(
                f"http://127.0.0.1:{node.http_port}/_broadcast",
                data=orjson.dumps(
                    {"stream": "ocpp:CP-B", "data": orjson.dumps(transmission).decode()}
                ),
                headers={"Authorization": f"Bearer {BROADCAST_KEY}"},
            )
            assert response.status == 201
        (ack,) = await eventually(lambda: record("ack", "CP-B"))
    assert ack == {
        "action": "ack",
        "id": "r-1",
        "command": "Reset",
        "payload": {"status": "Accepted"},
    }


async def test_single_action_mode_reaches_receive(record):
    async with (
        rpc_server() as (_, port, _),
        gateway(port, granular_actions=False, channel="ReceiveChannel") as node,
        charger(node) as cp,
    ):
        boot = await cp.call(BOOT)
        auth = await cp.call(call.Authorize(id_tag="T"))
    assert boot.status == "Accepted"
    assert auth.id_tag_info == {"status": "Accepted"}
    received = record("receive")
    assert [(d["action"], d["command"]) for d in received] == [
        ("receive", "BootNotification"),
        ("receive", "Authorize"),
    ]


async def test_state_survives_between_commands_and_reaches_disconnect(record):
    async with rpc_server() as (_, port, _), gateway(port) as node:
        async with charger(node, "CP-S") as cp:
            first = await cp.call(call.DataTransfer(vendor_id="state"))
            second = await cp.call(call.DataTransfer(vendor_id="state"))
        (gone,) = await eventually(lambda: record("disconnect", "CP-S"))
    assert (first.data, second.data) == ("1", "2")
    (unsubscribed,) = record("unsubscribed", "CP-S")
    assert unsubscribed["istate"] == {"count": 2}
    assert gone["cstate"] == {"remote": "127.0.0.1", "last": 2}


async def test_calls_go_over_the_batch_stream_when_offered():
    async with rpc_server() as (_, port, counter), gateway(port) as node:
        async with charger(node) as cp:
            for _ in range(3):
                await cp.call(call.Authorize(id_tag="T"))
        await eventually(lambda: counter.served().get("Disconnect") == 1)
    assert counter.served() == {"Connect": 1, "Command": 4, "Disconnect": 1}
    # AnyCable's calls went over the stream; beside them only the extensions and health.
    assert set(counter.methods) - {"Check", "Renew"} == {"Calls"}


async def test_unary_calls_without_the_batch_service():
    """A plain AnyCable RPC server (no Batch service): the gateway falls back to unary calls."""
    import grpc

    from ocpp_cable.contract.pb import rpc_pb2_grpc
    from ocpp_cable.rpc_app.server import RPCService
    from tests.support.servers import RPCCounter, test_app

    counter = RPCCounter()
    server = grpc.aio.server(interceptors=[counter])
    rpc_pb2_grpc.add_RPCServicer_to_server(RPCService(test_app(), metrics=counter.metrics), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with gateway(port) as node, charger(node) as cp:
            reply = await cp.call(call.Authorize(id_tag="T"))
            assert not node.rpc.batching
    finally:
        await server.stop(None)
    assert reply.id_tag_info == {"status": "Accepted"}
    assert {"Connect", "Command"} <= set(counter.methods)


async def test_batching_can_be_turned_off():
    async with rpc_server() as (_, port, counter), gateway(port, rpc_batch=False) as node:
        async with charger(node) as cp:
            await cp.call(call.Authorize(id_tag="T"))
    assert "Calls" not in counter.methods and "Command" in counter.methods
