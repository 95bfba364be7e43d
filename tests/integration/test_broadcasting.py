"""Remote commands by stream name: HTTP, Redis and NATS, across gateway nodes."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import time
import uuid

import aiohttp
import orjson
import pytest
import redis as redis_lib
import websockets

from ocpp_cable.rpc_app.broadcasting import NATSBroadcaster, RedisBroadcaster, message
from tests.support.processes import ROOT, free_port, wait_for_port
from tests.support.servers import (
    BROADCAST_KEY,
    eventually,
    gateway,
    rpc_server,
    station_url,
    subscribed,
)

CLEAR_CACHE = {"command": "ClearCache", "id": "c-1", "payload": {}}


# --- HTTP ----------------------------------------------------------------------------


async def post(node, body, key: str | None = BROADCAST_KEY) -> int:
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    async with aiohttp.ClientSession() as http:
        response = await http.post(
            f"http://127.0.0.1:{node.http_port}/_broadcast", data=body, headers=headers
        )
        return response.status


@pytest.mark.parametrize(
    ("key", "status"), [(None, 401), ("wrong", 401), ("", 401), (BROADCAST_KEY, 201)]
)
async def test_http_broadcast_key(key, status):
    body = orjson.dumps(message("ocpp:nobody", CLEAR_CACHE))
    async with rpc_server() as (_, port, _), gateway(port) as node:
        assert await post(node, body, key) == status


async def test_a_refused_broadcast_says_where_the_key_was_looked_for(tmp_path):
    """`broadcast` away from the key file: its 401 names the file it looked in, and a key
    file holding another key is named as that."""
    from ocpp_cable.foundation.settings import PublisherSettings, load_settings
    from ocpp_cable.rpc_app.broadcasting import BroadcastError, from_settings

    async with rpc_server() as (_, port, _), gateway(port) as node:
        url = f"http://127.0.0.1:{node.http_port}/_broadcast"
        said = []
        for holds in (None, "not-the-gateways"):
            key_file = tmp_path / "ocpp_cable.key"
            if holds is not None:
                key_file.write_text(holds)
            settings = load_settings(
                PublisherSettings, broadcast_url=url, broadcast_key_file=str(key_file)
            )
            with pytest.raises(BroadcastError) as refused:
                await asyncio.to_thread(from_settings(settings).publish, [message("s", {})])
            said.append(str(refused.value))
    assert said[0] == (
        f"{url} answered HTTP 401 (no broadcast key: {key_file} does not exist; run where "
        "`ocpp-cable up` runs, or give ocpp-cable --data-dir DIR / OCPP_CABLE_DATA_DIR, or "
        "--broadcast-key)"
    )
    assert (
        said[1]
        == f"{url} answered HTTP 401 (the key in {key_file}, which the gateway does not hold)"
    )


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'"just a string"',
        b'{"data": "{}"}',
        b'{"stream": "", "data": "{}"}',
        b'{"stream": "s", "data": 5}',
        b'[{"stream": "s", "data": "{}"}, 7]',
    ],
)
async def test_http_malformed_broadcast_400(body):
    async with rpc_server() as (_, port, _), gateway(port) as node:
        assert await post(node, body) == 400


async def test_http_broadcast_auth_can_be_turned_off_and_arrays_delivered():
    async with rpc_server() as (_, port, _), gateway(port, broadcast_auth=False) as node:
        ws = await websockets.connect(station_url(node, "CP-A"), subprotocols=["ocpp1.6"])
        try:
            await eventually(lambda: subscribed(node, "CP-A"))
            body = orjson.dumps(
                [message("ocpp:CP-A", CLEAR_CACHE), message("ocpp:nobody", CLEAR_CACHE)]
            )
            assert await post(node, body, key=None) == 201
            frame = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
        finally:
            await ws.close()
    assert frame == [2, "c-1", "ClearCache", {}]
    assert node.broadcasts_dropped == 1  # the stream no local station holds


async def test_channel_broadcast_to_reaches_station_over_http():
    from ocpp_cable.rpc_app import broadcasting
    from tests.support.apps import OCPPChannel

    async with rpc_server() as (_, port, _), gateway(port) as node:
        broadcasting.configure(
            broadcasting.HTTPBroadcaster(
                f"http://127.0.0.1:{node.http_port}/_broadcast", BROADCAST_KEY
            )
        )
        ws = await websockets.connect(station_url(node, "CP-H"), subprotocols=["ocpp1.6"])
        try:
            await eventually(lambda: subscribed(node, "CP-H"))
            await asyncio.to_thread(OCPPChannel.broadcast_to, "CP-H", CLEAR_CACHE)
            frame = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
        finally:
            await ws.close()
            broadcasting.configure(None)
    assert frame[:3] == [2, "c-1", "ClearCache"]


# --- many nodes over a broker ---------------------------------------------------------


def broker_settings(adapter: str, redis: str, nats: str, channel: str) -> dict:
    if adapter == "redis":
        return {"broadcast_adapter": "redis", "redis_url": redis, "redis_channel": channel}
    return {"broadcast_adapter": "nats", "nats_servers": nats, "nats_subject": channel}


def publisher(adapter: str, redis: str, nats: str, channel: str):
    if adapter == "redis":
        return RedisBroadcaster(redis, channel)
    return NATSBroadcaster(nats, channel)


@contextlib.asynccontextmanager
async def gateway_process(rpc_port: int, settings: dict):
    port, http_port = free_port(), free_port()
    flags = []
    for name, value in settings.items():
        flags += ["--" + name.replace("_", "-"), str(value)]
    process = subprocess.Popen(
        [
            sys.executable, "-m", "ocpp_cable.cli", "gateway",
            "--port", str(port), "--http-port", str(http_port),
            "--rpc-host", f"127.0.0.1:{rpc_port}", "--broadcast-auth", "false",
            "--log-format", "json", *flags,
        ],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_for_port(port, process)
        yield port
    finally:
        process.terminate()
        # Not blocking the loop: its rpc_app takes the gateway's last Disconnect calls.
        await asyncio.to_thread(process.wait, 15)


async def until_subscribed(record, count: int) -> None:
    await eventually(lambda: len(record("subscribed")) >= count, within=15)


@pytest.mark.parametrize("adapter", ["redis", "nats"])
async def test_two_gateway_processes_each_station_gets_its_command_once(
    adapter, redis_url, nats_url, record
):
    channel = f"__anycable__test_{uuid.uuid4().hex[:8]}"
    settings = broker_settings(adapter, redis_url, nats_url, channel)
    async with rpc_server() as (_, rpc_port, _):
        async with (
            gateway_process(rpc_port, settings) as a,
            gateway_process(rpc_port, settings) as b,
        ):
            sockets = {}
            for i in range(20):
                port = (a, b)[i % 2]
                sockets[f"S-{i:02}"] = await websockets.connect(
                    f"ws://127.0.0.1:{port}/ocpp/S-{i:02}", subprotocols=["ocpp1.6"]
                )
            try:
                await until_subscribed(record, 20)
                await asyncio.sleep(0.5)  # both nodes' broker subscriptions are live
                broker = publisher(adapter, redis_url, nats_url, channel)
                for station_id in sockets:
                    command = {"command": "ClearCache", "id": f"c-{station_id}", "payload": {}}
                    await asyncio.to_thread(
                        broker.publish, [message(f"ocpp:{station_id}", command)]
                    )
                received = {}
                for station_id, ws in sockets.items():
                    frame = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
                    received[station_id] = [frame]
                    await ws.send(orjson.dumps([3, frame[1], {"status": "Accepted"}]).decode())
                # Nothing more arrives: exactly once.
                await asyncio.sleep(0.5)
                for station_id, ws in sockets.items():
                    with contextlib.suppress(TimeoutError):
                        received[station_id].append(await asyncio.wait_for(ws.recv(), 0.01))
                await eventually(lambda: len(record("ack")) == 20)
            finally:
                for ws in sockets.values():
                    await ws.close()
    for station_id, frames in received.items():
        assert frames == [[2, f"c-{station_id}", "ClearCache", {}]], station_id
    assert sorted(a["id"] for a in record("ack")) == sorted(f"c-{s}" for s in sockets)


async def test_redis_connection_killed_broadcasts_flow_again_within_5s(redis_url):
    channel = f"__anycable__test_{uuid.uuid4().hex[:8]}"
    settings = broker_settings("redis", redis_url, "", channel)
    async with rpc_server() as (_, port, _), gateway(port, **settings) as node:
        ws = await websockets.connect(station_url(node, "CP-K"), subprotocols=["ocpp1.6"])
        try:
            await eventually(lambda: subscribed(node, "CP-K"))
            await eventually(lambda: node.subscribers[0].connected)
            admin = redis_lib.Redis.from_url(redis_url)
            killed = admin.client_kill_filter(_type="pubsub")
            assert killed >= 1
            broker = RedisBroadcaster(redis_url, channel)
            started = time.monotonic()
            frame = None
            while frame is None and time.monotonic() - started < 5:
                await asyncio.to_thread(broker.publish, [message("ocpp:CP-K", CLEAR_CACHE)])
                with contextlib.suppress(TimeoutError):
                    frame = orjson.loads(await asyncio.wait_for(ws.recv(), 0.2))
            elapsed = time.monotonic() - started
        finally:
            await ws.close()
    assert frame is not None and frame[2] == "ClearCache", "no broadcast within 5 s"
    assert elapsed < 5


@pytest.mark.parametrize("adapter", ["redis", "nats"])
async def test_duplicate_station_across_nodes_older_connection_closed(
    adapter, redis_url, nats_url, record
):
    channel = f"__anycable__test_{uuid.uuid4().hex[:8]}"
    settings = broker_settings(adapter, redis_url, nats_url, channel)
    async with (
        rpc_server() as (_, port, _),
        gateway(port, **settings) as node_a,
        gateway(port, **settings) as node_b,
    ):
        await eventually(
            lambda: node_a.subscribers[0].connected and node_b.subscribers[0].connected
        )
        await asyncio.sleep(0.3)
        old = await websockets.connect(station_url(node_a, "CP-X"), subprotocols=["ocpp1.6"])
        await eventually(lambda: record("subscribed", "CP-X"))
        new = await websockets.connect(station_url(node_b, "CP-X"), subprotocols=["ocpp1.6"])
        try:
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(old.recv(), 5)
            assert old.close_code == 1000
            await eventually(lambda: record("disconnect", "CP-X"))
            await eventually(lambda: "CP-X" not in node_a.stations)
            assert "CP-X" in node_b.stations
            await new.send('[2,"h","Heartbeat",{}]')
            assert orjson.loads(await asyncio.wait_for(new.recv(), 5))[0] == 3
        finally:
            await new.close()
