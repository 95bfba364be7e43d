"""Watching the network live: viewer tokens at /cable, and the reference system's events
on `live:stations` and `live:station:<id>`, end to end with a charger from the `ocpp`
package and a browser's WebSocket."""

from __future__ import annotations

import asyncio
import contextlib

import orjson
import structlog
import websockets
from ocpp.v16 import call

from channels import db, viewers
from rpc_app import broadcasting
from tests.support.central import central_system, connected, seed
from tests.support.servers import BROADCAST_KEY, eventually

ALL = orjson.dumps({"channel": "StationsChannel"}).decode()


def station(station_id: str) -> str:
    return orjson.dumps({"channel": "StationChannel", "station_id": station_id}).decode()


def viewer_token(url: str, name: str = "ada") -> str:
    with db.session_scope(url) as session:
        return viewers.add_viewer(session, name)


@contextlib.asynccontextmanager
async def live_system(database_url):
    async with central_system(database_url) as (node, _):
        broadcasting.configure(
            broadcasting.HTTPBroadcaster(
                f"http://127.0.0.1:{node.http_port}/_broadcast", BROADCAST_KEY
            )
        )
        try:
            yield node
        finally:
            broadcasting.configure(None)


async def next_event(ws) -> dict:
    while True:
        message = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
        if message.get("type") != "ping":
            return message


async def subscribe(ws, identifier: str) -> dict:
    await ws.send(orjson.dumps({"command": "subscribe", "identifier": identifier}).decode())
    return await next_event(ws)


async def test_a_viewer_sees_a_charging_session_live(database_url):
    seed(database_url, "CP-LIVE")
    token = viewer_token(database_url)
    async with live_system(database_url) as node:
        url = f"ws://127.0.0.1:{node.port}/cable?token={token}"
        async with websockets.connect(url) as browser:
            assert await next_event(browser) == {"type": "welcome"}
            assert (await subscribe(browser, ALL))["type"] == "confirm_subscription"
            assert (await subscribe(browser, station("CP-LIVE")))["type"] == (
                "confirm_subscription"
            )
            async with connected(node, "CP-LIVE") as cp:
                await cp.call(
                    call.BootNotification(charge_point_model="M", charge_point_vendor="V")
                )
                await cp.call(
                    call.StatusNotification(connector_id=1, error_code="NoError", status="Charging")
                )
                start = await cp.call(
                    call.StartTransaction(
                        connector_id=1,
                        id_tag="TAG-1",
                        meter_start=10,
                        timestamp="2026-11-30T10:00:00Z",
                    )
                )
                await cp.call(
                    call.MeterValues(
                        connector_id=1,
                        transaction_id=start.transaction_id,
                        meter_value=[
                            {"timestamp": "2026-11-30T10:01:00Z", "sampledValue": [{"value": "99"}]}
                        ],
                    )
                )
                await cp.call(
                    call.StopTransaction(
                        meter_stop=120,
                        timestamp="2026-11-30T10:02:00Z",
                        transaction_id=start.transaction_id,
                    )
                )
                told: list[dict] = []
                network: dict[str, dict] = {}
                # Everything reaches the station's stream; the network view says what
                # changed, within a second.
                while len(told) < 6 or network.get("started") is None or "online" not in network:
                    message = await next_event(browser)
                    if message["identifier"] == ALL:
                        # (the process's live events may still hold an earlier test's)
                        changed = message["message"]["stations"].get("CP-LIVE", {})
                        for key, value in changed.items():
                            network[key] = value
                    else:
                        told += message["message"]["events"]
    assert [e["event"] for e in told] == [
        "online", "boot", "status", "transaction_started", "meter_values", "transaction_stopped",
    ]  # fmt: skip
    started = told[3]
    assert started["transaction_id"] == start.transaction_id
    assert started["station_id"] == "CP-LIVE" and started["at"].endswith("Z")
    assert network["online"] is True and network["connectors"] == {"1": "Charging"}
    assert network["started"] == [start.transaction_id]


async def test_nothing_is_visible_without_a_valid_viewer_token(database_url):
    token = viewer_token(database_url)
    with db.session_scope(database_url) as session:
        viewers.revoke_viewer(session, "ada")
    async with live_system(database_url) as node:
        for query in ("", "?token=", f"?token={token}", "?token=ocv_forged"):
            async with websockets.connect(f"ws://127.0.0.1:{node.port}/cable{query}") as ws:
                assert await next_event(ws) == {
                    "type": "disconnect",
                    "reason": "unauthorized",
                    "reconnect": False,
                }
        fresh = viewer_token(database_url, "bob")
        async with websockets.connect(
            f"ws://127.0.0.1:{node.port}/cable",
            additional_headers={"Authorization": f"Bearer {fresh}"},
        ) as ws:
            assert await next_event(ws) == {"type": "welcome"}
            # A viewer is no station: OCPPChannel refuses it whatever it names.
            forged = orjson.dumps({"channel": "OCPPChannel", "station_id": "CP-1"}).decode()
            assert (await subscribe(ws, forged))["type"] == "reject_subscription"
        await eventually(lambda: len(node.browsers) == 0)


async def test_a_burst_of_refused_browsers_logs_one_line_per_process(database_url):
    """Refused /cable connects are counted, not logged one by one: the gateway and rpc_app
    each log the first of a burst (the next line says how many were held back)."""
    unauthorized = {"type": "disconnect", "reason": "unauthorized", "reconnect": False}
    async with live_system(database_url) as node:
        with structlog.testing.capture_logs() as logs:
            for _ in range(30):
                async with websockets.connect(
                    f"ws://127.0.0.1:{node.port}/cable?token=ocv_forged"
                ) as ws:
                    assert await next_event(ws) == unauthorized
    lines = [(e["event"], e.get("since_last")) for e in logs if e["log_level"] != "debug"]
    assert sorted(lines) == [("browser refused", 0), ("connection rejected", 0)]
