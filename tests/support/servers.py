"""Running real gateways, rpc servers and chargers inside a test."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable

import grpc
import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.enums import Action
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call_result as call_result201
from ocpp.v201.enums import Action as Action201

from ocpp_cable.channels.settings import Settings
from ocpp_cable.gateway.node import GatewayNode
from ocpp_cable.rpc_app import broadcasting
from ocpp_cable.rpc_app.application import Application
from ocpp_cable.rpc_app.metrics import RPCMetrics
from ocpp_cable.rpc_app.server import start_rpc_server
from tests.support import apps

BROADCAST_KEY = "test-key"


class RPCCounter(grpc.aio.ServerInterceptor):
    """What the RPC server served: `served()` counts Connect/Command/Disconnect however they
    arrived (unary or in a batch); `methods` lists the gRPC methods called on the wire."""

    def __init__(self) -> None:
        self.methods: list[str] = []
        self.metrics = RPCMetrics()

    async def intercept_service(self, continuation, handler_call_details):
        self.methods.append(handler_call_details.method.rsplit("/", 1)[-1])
        return await continuation(handler_call_details)

    def served(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for family in self.metrics.registry.collect():
            for sample in family.samples:
                if sample.name == "ocpp_cable_rpc_requests_total" and sample.value:
                    method = sample.labels["method"]
                    counts[method] = counts.get(method, 0) + int(sample.value)
        return counts


def test_app() -> Application:
    return Application.of(
        [apps.OCPPChannel, apps.ReceiveChannel, apps.V2Channel], apps.TestConnection
    )


@contextlib.asynccontextmanager
async def rpc_server(
    port: int = 0, app: Application | None = None, **options
) -> AsyncIterator[tuple]:
    counter = RPCCounter()
    options.setdefault("metrics", counter.metrics)
    rpc = await start_rpc_server(
        app or test_app(), f"127.0.0.1:{port}", workers=4, interceptors=[counter], **options
    )
    try:
        yield rpc.server, rpc.port, counter
    finally:
        await rpc.stop(grace=None)


def gateway_settings(rpc_port: int, **overrides) -> Settings:
    values = {
        "port": 0,
        "http_port": 0,
        "rpc_host": f"127.0.0.1:{rpc_port}",
        "broadcast_key": BROADCAST_KEY,
        "rpc_timeout": 3.0,
        # A test that stopped rpc_app must not wait 10 s for Disconnects it cannot deliver.
        "shutdown_timeout": 3.0,
        **overrides,
    }
    return Settings(**values)


@contextlib.asynccontextmanager
async def gateway(rpc_port: int, **overrides) -> AsyncIterator[GatewayNode]:
    node = GatewayNode(gateway_settings(rpc_port, **overrides))
    await node.start()
    try:
        yield node
    finally:
        await node.stop()


def publish_to(node: GatewayNode) -> None:
    """What this process publishes (channels' broadcasts, the API's commands, live events)
    goes to `node`'s gateway, and goes on going there once the test is over: a live event
    still gathering then (the network view waits a second) fails on the stopped
    gateway's port instead of reaching the default 127.0.0.1:9001, which a real gateway
    on this machine may be serving."""
    url = f"http://127.0.0.1:{node.http_port}/_broadcast"
    broadcasting.configure(broadcasting.HTTPBroadcaster(url, BROADCAST_KEY))


class Charger(ChargePoint):
    """An `ocpp` package ChargePoint that answers the commands the tests send."""

    @on(Action.get_configuration)
    def on_get_configuration(self, key=None, **_):
        return call_result.GetConfiguration(
            configuration_key=[{"key": "HeartbeatInterval", "readonly": False, "value": "300"}]
        )

    @on(Action.reset)
    def on_reset(self, type, **_):
        return call_result.Reset(status="Accepted")

    @on(Action.trigger_message)
    def on_trigger_message(self, requested_message, **_):
        return call_result.TriggerMessage(status="Accepted")


class Charger201(ChargePoint201):
    """An `ocpp` package 2.0.1 ChargePoint that answers the commands the tests send."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.remote_starts: list[tuple[dict, int]] = []

    @on(Action201.request_start_transaction)
    def on_request_start(self, id_token, remote_start_id, **_):
        self.remote_starts.append((id_token, remote_start_id))
        return call_result201.RequestStartTransaction(status="Accepted")

    @on(Action201.request_stop_transaction)
    def on_request_stop(self, transaction_id, **_):
        return call_result201.RequestStopTransaction(status="Accepted")

    @on(Action201.get_variables)
    def on_get_variables(self, get_variable_data, **_):
        return call_result201.GetVariables(
            get_variable_result=[
                {
                    "attribute_status": "Accepted",
                    "attribute_value": "300",
                    "component": data["component"],
                    "variable": data["variable"],
                }
                for data in get_variable_data
            ]
        )


def station_url(node: GatewayNode, station_id: str) -> str:
    return f"ws://127.0.0.1:{node.port}{node.settings.path_prefix}/{station_id}"


@contextlib.asynccontextmanager
async def charger(
    node: GatewayNode,
    station_id: str = "CP-1",
    cls: type = Charger,
    subprotocol: str = "ocpp1.6",
    **connect_kwargs,
) -> AsyncIterator[Charger]:
    ws = await websockets.connect(
        station_url(node, station_id), subprotocols=[subprotocol], **connect_kwargs
    )
    assert ws.subprotocol == subprotocol
    cp = cls(station_id, ws, response_timeout=5)
    task = asyncio.create_task(cp.start())
    try:
        yield cp
    finally:
        task.cancel()
        await ws.close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


async def eventually(check: Callable[[], object], within: float = 5.0) -> object:
    """Wait until check() is truthy; returns its value."""
    deadline = time.monotonic() + within
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within} s")
        await asyncio.sleep(0.02)


def subscribed(node: GatewayNode, station_id: str) -> bool:
    """Has the gateway subscribed the station (its streams now reach it)? The channel's
    own record of `subscribed` comes earlier, before the answer reached the gateway."""
    station = node.stations.get(station_id)
    return station is not None and station.subscribed
