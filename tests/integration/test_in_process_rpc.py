"""`ocpp-cable up`'s gateway and rpc_app in one process: AnyCable's calls are awaited on
the servicer, over real sockets for the stations, and no Connect or Command crosses
gRPC; failures still reach the station as CALLERRORs. Broadcasts go to the gateway
directly, not over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from ocpp.exceptions import InternalError
from ocpp.v16 import call

from ocpp_cable.gateway.node import GatewayNode
from ocpp_cable.rpc_app import broadcasting
from ocpp_cable.rpc_app.application import Application
from ocpp_cable.rpc_app.server import start_rpc_server
from tests.support import servers, slow_app
from tests.support.servers import RPCCounter, charger, eventually, gateway_settings, subscribed


@contextlib.asynccontextmanager
async def embedded(app: Application | None = None, **overrides) -> AsyncIterator[tuple]:
    """rpc_app and a gateway in this process, as `up` runs them."""
    counter = RPCCounter()
    rpc = await start_rpc_server(
        app or servers.test_app(), "127.0.0.1:0", workers=4, interceptors=[counter],
        metrics=counter.metrics,
    )  # fmt: skip
    node = GatewayNode(gateway_settings(rpc.port, **overrides), local_rpc=rpc.service)
    await node.start()
    try:
        yield node, counter
    finally:
        await node.stop()
        await rpc.stop(grace=None)


async def test_a_stations_calls_reach_the_channel_without_crossing_grpc(record):
    async with embedded() as (node, counter), charger(node, "CP-L") as cp:
        assert node.rpc.in_process
        await cp.call(call.BootNotification(charge_point_model="M", charge_point_vendor="V"))
        accepted = await cp.call(call.Authorize(id_tag="T"))
        blocked = await cp.call(call.Authorize(id_tag="BLOCKED"))
    assert accepted.id_tag_info["status"] == "Accepted"
    assert blocked.id_tag_info["status"] == "Blocked"
    assert [d["payload"]["idTag"] for d in record("authorize", "CP-L")] == ["T", "BLOCKED"]
    assert record("boot_notification", "CP-L")
    served = counter.served()
    assert served["Connect"] == 1 and served["Command"] >= 4  # subscribe, boot, 2 Authorize
    on_the_wire = {"Connect", "Command", "Disconnect", "Calls"} & set(counter.methods)
    assert on_the_wire == set(), counter.methods


async def test_a_failing_channel_gets_the_station_a_callerror_not_an_ack(record):
    async with embedded() as (node, _), charger(node, "CP-F") as cp:
        with pytest.raises(InternalError):
            await cp.call(call.DataTransfer(vendor_id="crash"), suppress=False)
        answered = await cp.call(call.DataTransfer(vendor_id="fine"))
    assert answered.status == "Accepted"


async def test_a_channel_slower_than_the_rpc_deadline_gets_a_callerror():
    app = Application.of([slow_app.OCPPChannel], servers.test_app().connection_class)
    async with embedded(app, rpc_timeout=0.5) as (node, _), charger(node, "CP-S") as cp:
        with pytest.raises(InternalError):
            await cp.call(call.DataTransfer(vendor_id="v", data="3"), suppress=False)
        answered = await cp.call(call.DataTransfer(vendor_id="v", data="0"))
    assert answered.status == "Accepted"


async def test_a_broadcast_reaches_the_station_through_the_gateway_in_this_process(record):
    async with embedded() as (node, _), charger(node, "CP-B"):
        await eventually(lambda: subscribed(node, "CP-B"))
        broadcasting.configure(
            broadcasting.InProcessBroadcaster(
                asyncio.get_running_loop(), node.broadcasts.on_message
            )
        )
        try:
            await broadcasting.abroadcast(
                "ocpp:CP-B", {"command": "Reset", "payload": {"type": "Soft"}}
            )
            [ack] = await eventually(lambda: record("ack", "CP-B"))
        finally:
            broadcasting.configure(None)
    assert (ack["command"], ack["payload"]) == ("Reset", {"status": "Accepted"})
    assert (
        node.metrics.registry.get_sample_value("ocpp_cable_gateway_broadcasts_received_total") == 1
    )
