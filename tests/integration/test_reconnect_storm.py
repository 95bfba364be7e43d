"""A reconnect storm with few RPC slots: handshakes past the in-flight limit wait in the
gateway's bounded queue, within their handshake's deadline, instead of failing; only
those past the queue's bound get 503, with Retry-After; a connected station's calls
keep their own slots meanwhile."""

from __future__ import annotations

import asyncio
import collections
import time

import pytest
import websockets

from ocpp_cable.gateway import connections
from ocpp_cable.rpc_app.application import Application
from ocpp_cable.simulator import CallFailed, SimCharger, Stats
from tests.support import slow_connect_app
from tests.support.servers import gateway, rpc_server

BOOT = {"chargePointVendor": "storm", "chargePointModel": "sim"}
READING = {
    "connectorId": 1,
    "meterValue": [{"timestamp": "2026-01-01T00:00:00Z", "sampledValue": [{"value": "1"}]}],
}


@pytest.fixture
def slow_connect():
    slow_connect_app.CONNECT_DELAY["seconds"] = 0.02
    return Application.of([slow_connect_app.OCPPChannel], slow_connect_app.SlowConnection)


async def storm(url: str, ids: list[str]) -> tuple[collections.Counter, list[str]]:
    """Every charger at once: connect, then boot. What became of them, and the
    Retry-After of each refusal."""
    outcome: collections.Counter = collections.Counter()
    retry_after: list[str] = []
    stats = Stats()

    async def one(station_id: str) -> None:
        charger = SimCharger(url, station_id, stats, call_timeout=30)
        try:
            await charger.connect()
        except websockets.InvalidStatus as exc:
            outcome[f"refused {exc.response.status_code}"] += 1
            retry_after.append(exc.response.headers.get("Retry-After", ""))
            return
        try:
            await charger.call("BootNotification", BOOT)
            outcome["booted"] += 1
        except CallFailed as exc:
            outcome[f"boot failed: {exc.code}"] += 1
        finally:
            await charger.close()

    await asyncio.gather(*(one(station_id) for station_id in ids))
    return outcome, retry_after


def url_of(node) -> str:
    return f"ws://127.0.0.1:{node.port}/ocpp"


async def test_a_storm_past_the_in_flight_limit_is_queued_and_every_station_boots(
    slow_connect,
):
    async with (
        rpc_server(app=slow_connect) as (_, port, _),
        gateway(port, rpc_concurrency=2, rpc_timeout=1.0) as node,
    ):
        outcome, _ = await storm(url_of(node), [f"CP-{i:03d}" for i in range(200)])
        rejections = node.metrics.registry.get_sample_value(
            "ocpp_cable_gateway_connect_rejections_total", {"status": "503"}
        )
    assert outcome == {"booted": 200}
    assert not rejections


async def test_handshakes_past_the_queue_bound_get_503_with_retry_after(slow_connect):
    slow_connect_app.CONNECT_DELAY["seconds"] = 0.05
    async with (
        rpc_server(app=slow_connect) as (_, port, _),
        gateway(port, rpc_concurrency=2, rpc_timeout=5.0, handshake_queue=20) as node,
    ):
        outcome, retry_after = await storm(url_of(node), [f"CP-{i:03d}" for i in range(200)])
        queued = node.metrics.registry.get_sample_value("ocpp_cable_gateway_handshakes_queued")
    assert set(outcome) == {"booted", "refused 503"}
    # Those the queue held boot; how many depends on how fast the 200 arrive and on the
    # admitted stations' subscribes, which wait in the same queue before any Connect.
    assert outcome["booted"] >= 1 and outcome["refused 503"] >= 100
    assert outcome["booted"] + outcome["refused 503"] == 200
    assert len(retry_after) == outcome["refused 503"]
    assert all(1 <= int(seconds) <= 60 for seconds in retry_after)
    assert queued == 0


async def test_a_handshake_queued_as_long_as_its_deadline_allows_gets_503_with_retry_after(
    slow_connect,
):
    """--handshake-timeout 2.5 s, less the RPC timeout and the request's second: a Connect
    waits half a second for its slot, then its charger is told when to come back."""
    slow_connect_app.CONNECT_DELAY["seconds"] = 0.2
    async with (
        rpc_server(app=slow_connect) as (_, port, _),
        gateway(port, rpc_concurrency=2, rpc_timeout=1.0, handshake_timeout=2.5) as node,
    ):
        outcome, retry_after = await storm(url_of(node), [f"CP-{i:03d}" for i in range(30)])
        waited = node.metrics.registry.get_sample_value(
            "ocpp_cable_gateway_rpc_errors_total", {"method": "Connect", "code": "QUEUED_TOO_LONG"}
        )
    assert set(outcome) == {"booted", "refused 503"}
    assert outcome["refused 503"] == waited >= 20
    assert all(1 <= int(seconds) <= 60 for seconds in retry_after)


async def test_a_connected_stations_calls_are_answered_during_a_storm(slow_connect):
    slow_connect_app.CONNECT_DELAY["seconds"] = 0.05
    stats = Stats()
    async with (
        rpc_server(app=slow_connect) as (_, port, _),
        gateway(port, rpc_concurrency=2, rpc_timeout=1.0) as node,
    ):
        booted = SimCharger(url_of(node), "BOOTED", stats, call_timeout=10)
        await booted.connect()
        await booted.call("BootNotification", BOOT)
        stormed = asyncio.create_task(storm(url_of(node), [f"CP-{i:03d}" for i in range(60)]))
        await asyncio.sleep(0.5)  # the storm's Connects hold the queue
        latencies = []
        for _ in range(5):
            started = time.monotonic()
            await booted.call("MeterValues", READING)
            latencies.append(time.monotonic() - started)
        measured_during_the_storm = not stormed.done()
        outcome, _ = await stormed
        await booted.close()
    assert outcome == {"booted": 60}
    assert measured_during_the_storm
    assert max(latencies) < 0.5


async def test_a_client_that_sends_no_request_is_dropped_at_the_request_deadline(
    slow_connect, monkeypatch
):
    """The handshake may wait long for its Connect, not for a request that never comes."""
    monkeypatch.setattr(connections, "REQUEST_TIMEOUT", 0.3)
    async with (
        rpc_server(app=slow_connect) as (_, port, _),
        gateway(port, handshake_timeout=60) as node,
    ):
        reader, writer = await asyncio.open_connection("127.0.0.1", node.port)
        started = time.monotonic()
        assert await asyncio.wait_for(reader.read(), 5) == b""  # dropped, nothing said
        writer.close()
    assert time.monotonic() - started < 2
