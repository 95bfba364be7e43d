"""Presence: "connected" is true. Stations that leave are disconnected, every Disconnect is
delivered, a crashed node's stations are seen as gone, and a station is held by one node."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import time

import pytest
import websockets

from ocpp_cable import channels
from ocpp_cable.channels.domain import commands, stations
from ocpp_cable.channels.operators.admin.command_records import publish_recorded
from ocpp_cable.channels.operators.admin.publishing import CommandFailed, build_call
from ocpp_cable.channels.settings import Settings
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import ChargePoint, Command
from ocpp_cable.rpc_app import Channel
from ocpp_cable.rpc_app.application import Application, load_application
from ocpp_cable.rpc_app.broadcasting import BroadcastError
from tests.support import apps
from tests.support.central import PASSWORD, basic
from tests.support.processes import CLI, ROOT, free_port, wait_for_port
from tests.support.servers import eventually, gateway, rpc_server


async def open_stations(port: int, ids, headers=None) -> list:
    async def one(station_id):
        return await websockets.connect(
            f"ws://127.0.0.1:{port}/ocpp/{station_id}",
            subprotocols=["ocpp1.6"],
            additional_headers=headers(station_id) if headers else None,
            open_timeout=30,
        )

    sockets = []
    for chunk in range(0, len(ids), 100):
        sockets += await asyncio.gather(*(one(i) for i in ids[chunk : chunk + 100]))
    return sockets


# --- every Disconnect is delivered ------------------------------------------------------


class SlowToLeave(Channel):
    """Leaving takes 100 ms (a database write under load)."""

    def subscribed(self):
        self.stream_for(self.params["station_id"])

    async def unsubscribed(self):
        await asyncio.sleep(0.1)
        apps.record(self.params["station_id"], "unsubscribed", {})


async def test_every_disconnect_is_delivered_when_many_stations_leave_at_once(record):
    # 8 RPC slots and 100 ms per Disconnect: the last of 200 would wait 2.5 s for a slot.
    count = 200
    app = Application.of([SlowToLeave], apps.TestConnection)
    app = Application(app.connection_class, {"OCPPChannel": SlowToLeave}, app.actions)
    async with rpc_server(app=app) as (_, port, _):
        node = await _started_gateway(port, rpc_concurrency=8, rpc_timeout=2)
        ids = [f"CP-{n:04}" for n in range(count)]
        sockets = await open_stations(node.port, ids)
        await eventually(lambda: len(node.stations) == count, within=30)
        started = time.monotonic()
        await node.stop()  # SIGTERM's path: 1001 to all, then their Disconnects
        took = time.monotonic() - started
        for ws in sockets:
            await ws.close()
    assert len(record("unsubscribed")) == count
    assert len(record("disconnect")) == count
    assert took < node.settings.shutdown_timeout


async def _started_gateway(rpc_port: int, **overrides):
    from ocpp_cable.gateway.node import GatewayNode
    from tests.support.servers import gateway_settings

    node = GatewayNode(gateway_settings(rpc_port, shutdown_timeout=20, **overrides))
    await node.start()
    return node


# --- a crashed node's stations are seen as gone ------------------------------------------


@contextlib.asynccontextmanager
async def reference_rpc(database_url: str):
    settings = Settings(database_url=database_url, broadcast_auth=False)
    channels.setup(settings)
    try:
        async with rpc_server(app=load_application("ocpp_cable.channels")) as (_, port, _):
            yield port, settings
    finally:
        channels.config.configure(None)


def gateway_process(rpc_port: int, ttl: float) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen(
        [*CLI, "gateway", "--port", str(port), "--http-port", str(free_port()),
         "--rpc-host", f"127.0.0.1:{rpc_port}", "--presence-ttl", str(ttl),
         "--broadcast-auth", "false", "--log-format", "json"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    wait_for_port(port, process)
    return process, port


def connected_ids(url: str) -> set[str]:
    with db.session_scope(url) as session:
        return {s.id for s in session.query(ChargePoint) if s.connected}


def command_status(url: str, command_id: str) -> str:
    with db.session_scope(url) as session:
        return session.get(Command, command_id).status


async def test_a_killed_gateways_stations_are_seen_as_gone(database_url):
    ids = ["CP-1", "CP-2", "CP-3"]
    with db.session_scope(database_url) as session:
        for station_id in ids:
            stations.add_station(session, station_id, password=PASSWORD)
    async with reference_rpc(database_url) as (rpc_port, settings):
        process, port = gateway_process(rpc_port, ttl=1.0)
        try:
            sockets = await open_stations(port, ids, lambda i: basic(i, PASSWORD))
            await eventually(lambda: connected_ids(database_url) == set(ids))
            # A command whose broadcast went to a node that is about to die.
            with db.session_scope(database_url) as session:
                commands.record_command(session, "lost-1", "CP-1", "ClearCache", {})
                commands.mark_sent(session, "lost-1")
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=5)
            killed_at = time.monotonic()
            # Within the lease's time `send` knows, though no node is left to say so.
            failed = None
            while failed is None and time.monotonic() - killed_at < 5:
                try:
                    await asyncio.to_thread(
                        publish_recorded,
                        settings,
                        "CP-2",
                        build_call("ClearCache", {}),
                        "ocpp:CP-2",
                    )
                except CommandFailed as exc:
                    failed = str(exc)
                except BroadcastError:
                    pass  # the lease still held: recorded, then no node took the broadcast
                await asyncio.sleep(0.2)
            assert failed is not None and "gone" in failed, failed
            listed = subprocess.run(
                [*CLI, "stations", "list", "--json"], cwd=ROOT, capture_output=True, text=True,
                env={**os.environ, "OCPP_CABLE_DATABASE_URL": database_url}, timeout=30,
            )  # fmt: skip
            assert {s["id"]: s["connected"] for s in json.loads(listed.stdout)} == dict.fromkeys(
                ids, False
            )
            # The next node that renews its lease clears what the dead one left.
            async with gateway(rpc_port, presence_ttl=1.0):
                await eventually(lambda: not connected_ids(database_url), within=5)
                await eventually(lambda: command_status(database_url, "lost-1") == "error")
            for ws in sockets:
                await ws.close()
        finally:
            if process.poll() is None:
                process.kill()


async def test_a_draining_gateway_leaves_no_station_connected(database_url):
    ids = [f"CP-{n}" for n in range(20)]
    with db.session_scope(database_url) as session:
        for station_id in ids:
            stations.add_station(session, station_id)
    async with reference_rpc(database_url) as (rpc_port, _):
        node = await _started_gateway(rpc_port, presence_ttl=30)
        sockets = await open_stations(node.port, ids)
        await eventually(lambda: connected_ids(database_url) == set(ids))
        await node.stop()
        for ws in sockets:
            await ws.close()
    assert connected_ids(database_url) == set()


async def test_commands_left_open_end_failed_when_the_station_leaves(database_url):
    with db.session_scope(database_url) as session:
        stations.add_station(session, "CP-1")
    async with reference_rpc(database_url) as (rpc_port, _), gateway(rpc_port) as node:
        (ws,) = await open_stations(node.port, ["CP-1"])
        await eventually(lambda: connected_ids(database_url) == {"CP-1"})
        with db.session_scope(database_url) as session:
            commands.record_command(session, "dropped-1", "CP-1", "ClearCache", {})
            commands.mark_sent(session, "dropped-1")  # its broadcast reached no node
        await ws.close()
        await eventually(lambda: command_status(database_url, "dropped-1") == "error")
    with db.session_scope(database_url) as session:
        assert session.get(Command, "dropped-1").error_code == "NotConnected"


# --- one node holds a station, also across a broker restart -----------------------------


@contextlib.contextmanager
def private_redis():
    """A redis-server of this test's own, on a free port: restarted at will."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("redis-server is not installed (CI must have it)")
        pytest.skip("redis-server is not installed")
    port = free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]

    class Server:
        url = f"redis://127.0.0.1:{port}/0"
        process: subprocess.Popen | None = None

        def start(self):
            self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL)
            wait_for_port(port, self.process)

        def stop(self):
            self.process.terminate()
            self.process.wait(timeout=5)

    server = Server()
    server.start()
    try:
        yield server
    finally:
        if server.process.poll() is None:
            server.stop()


@pytest.mark.parametrize("when", ["after the restart", "while the broker is down"])
async def test_one_node_holds_a_station_across_a_broker_restart(when):
    with private_redis() as redis:
        options = {"broadcast_adapter": "redis", "redis_url": redis.url}
        async with rpc_server() as (_, port, _):
            async with gateway(port, **options) as a, gateway(port, **options) as b:
                await eventually(lambda: all(s.connected for s in a.subscribers + b.subscribers))
                (on_a,) = await open_stations(a.port, ["CP-1"])
                await eventually(lambda: "CP-1" in a.stations)
                redis.stop()
                if when == "after the restart":
                    redis.start()
                    await eventually(
                        lambda: all(s.connected for s in a.subscribers + b.subscribers),
                        within=10,
                    )
                (on_b,) = await open_stations(b.port, ["CP-1"])
                await eventually(lambda: "CP-1" in b.stations)
                if when == "while the broker is down":
                    redis.start()
                await eventually(lambda: "CP-1" not in a.stations, within=10)
                assert "CP-1" in b.stations
                with pytest.raises(websockets.ConnectionClosed):
                    await asyncio.wait_for(on_a.recv(), 5)
                await on_b.close()
