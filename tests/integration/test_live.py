"""Watching the network live: viewer tokens at /cable, and the reference system's events
on `live:stations` and `live:station:<id>`, end to end with a charger from the `ocpp`
package and a browser's WebSocket."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time

import orjson
import pytest
import structlog
import websockets
from ocpp.v16 import call

from ocpp_cable.channels.domain import viewers
from ocpp_cable.channels.storage import db
from ocpp_cable.rpc_app import broadcasting
from tests.support.central import central_system, command_line, connected, operator, seed
from tests.support.node_client import events_until, node_client_ready, run_node_client
from tests.support.servers import eventually, gateway, publish_to

ALL = orjson.dumps({"channel": "StationsChannel"}).decode()


def station(station_id: str) -> str:
    return orjson.dumps({"channel": "StationChannel", "station_id": station_id}).decode()


def viewer_token(url: str, name: str = "ada") -> str:
    with db.session_scope(url) as session:
        return viewers.add_viewer(session, name)


@contextlib.asynccontextmanager
async def live_system(database_url):
    async with central_system(database_url) as (node, _):  # publishing to its gateway
        yield node


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


# --- revoking a token ends its live connections ------------------------------------------

UNAUTHORIZED = {"type": "disconnect", "reason": "unauthorized", "reconnect": False}


def cable_url(node, token: str) -> str:
    return f"ws://127.0.0.1:{node.port}/cable?token={token}"


async def watching(node, token: str):
    """A browser of `token` at `node`, subscribed to the network view."""
    ws = await websockets.connect(cable_url(node, token))
    assert await next_event(ws) == {"type": "welcome"}
    assert (await subscribe(ws, ALL))["type"] == "confirm_subscription"
    return ws


async def answer_to_subscribe(ws, identifier: str) -> str:
    """Subscribe `ws` (watching already) to `identifier`: the answer's type."""
    await ws.send(orjson.dumps({"command": "subscribe", "identifier": identifier}).decode())
    while (answer := await next_event(ws)).get("type") is None:
        pass  # the live events of the subscriptions it holds meanwhile
    assert answer["identifier"] == identifier
    return answer["type"]


async def goodbye(ws) -> dict:
    """The `disconnect` the browser hears (what its subscriptions got before is passed over:
    the process's live events may still hold an earlier test's)."""
    while (message := await next_event(ws)).get("type") != "disconnect":
        pass
    return message


async def closed(ws) -> bool:
    with contextlib.suppress(websockets.ConnectionClosed):
        while True:
            await asyncio.wait_for(ws.recv(), 5)
    return True


@contextlib.asynccontextmanager
async def two_nodes(database_url, adapter, redis_url, nats_url):
    """The reference system behind two gateway nodes joined by `adapter`, which rpc_app and
    the CLI publish through: the nodes, and the CLI's flags for it."""
    name = f"__anycable__revoke_{adapter}_{os.getpid()}"
    if adapter == "redis":
        broker = {"redis_url": redis_url, "redis_channel": name}
    else:
        broker = {"nats_servers": nats_url, "nats_subject": name}
    publishing = {"broadcaster": adapter, **broker}
    settings = {"broadcast_adapter": adapter, **publishing}
    flags = [f"--{key.replace('_', '-')}={value}" for key, value in publishing.items()]
    async with central_system(database_url, **settings) as (a, central):
        broadcasting.configure(broadcasting.from_settings(central))
        try:
            rpc_port = int(a.settings.rpc_host.rsplit(":", 1)[1])
            async with gateway(rpc_port, **settings) as b:
                await eventually(lambda: all(s.connected for s in a.subscribers + b.subscribers))
                yield (a, b), ["--database-url", database_url, *flags]
        finally:
            publish_to(a)  # what is still gathering goes nowhere else after the test


@pytest.mark.parametrize("adapter", ["redis", "nats"])
async def test_revoking_a_token_ends_its_live_connections_on_every_node(
    database_url, adapter, redis_url, nats_url, capsys
):
    """`tokens revoke` tells every node (AnyCable's remote disconnect through the broker):
    the viewer's browsers hear `unauthorized` and are closed at once (under 2 s, the command
    included), the official client does not come back, a reconnect is refused; another
    viewer watches on."""
    node_client_ready()
    token, other = viewer_token(database_url), viewer_token(database_url, "bob")
    async with two_nodes(database_url, adapter, redis_url, nats_url) as ((a, b), flags):
        ada, bob = await watching(a, token), await watching(a, other)
        official = await run_node_client(cable_url(b, token), "StationsChannel", {})
        try:
            await events_until(official, "subscribed")
            revoking = time.monotonic()
            code, out, err = await command_line(capsys, "tokens", "revoke", "ada", *flags)
            assert (code, out, err) == (0, "revoked token ada\n", "")
            assert await goodbye(ada) == UNAUTHORIZED
            assert await closed(ada)
            assert (await events_until(official, "disconnect"))[-1]["reason"] == "unauthorized"
            assert await asyncio.wait_for(official.wait(), 10) == 0
            assert time.monotonic() - revoking < 2
        finally:
            if official.returncode is None:
                official.kill()
        await eventually(lambda: (len(a.browsers), len(b.browsers)) == (1, 0))
        assert await answer_to_subscribe(bob, station("CP-1")) == "confirm_subscription"
        for node in (a, b):
            async with websockets.connect(cable_url(node, token)) as again:
                assert await next_event(again) == UNAUTHORIZED
        await bob.close()


async def test_a_replaced_token_ends_like_a_revoked_one(database_url, capsys, tmp_path):
    """`tokens add` for a name that has a token makes a new one: the old one's browsers
    are told `unauthorized` and closed, the new one connects."""
    old, path = viewer_token(database_url), tmp_path / "ada.token"
    async with live_system(database_url) as node:
        ws = await watching(node, old)
        code, _, err = await operator(capsys, node, database_url, "tokens", "add", "ada",
                                      "--token-file", str(path))  # fmt: skip
        assert code == 0, err
        assert await goodbye(ws) == UNAUTHORIZED
        assert await closed(ws)
        await (await watching(node, path.read_text().strip())).close()


async def test_a_viewer_revoked_unheard_is_refused_at_its_next_subscribe(database_url):
    """A node that missed the disconnect (its broker link was down) still holds the
    connection: rpc_app checks the token again at each subscribe, refuses it and has the
    connection closed."""
    token = viewer_token(database_url)
    async with live_system(database_url) as node:
        ws = await watching(node, token)
        with db.session_scope(database_url) as session:
            viewers.revoke_viewer(session, "ada")  # in the database only: no node is told
        assert await answer_to_subscribe(ws, station("CP-1")) == "reject_subscription"
        assert await goodbye(ws) == {"type": "disconnect", "reason": "remote", "reconnect": False}
        assert await closed(ws)
        await eventually(lambda: len(node.browsers) == 0)


async def test_a_burst_of_refused_browsers_logs_one_line_per_process(database_url):
    """Refused /cable connects are counted, not logged one by one: the gateway and rpc_app
    each log the first of a burst (the next line says how many were held back)."""
    async with live_system(database_url) as node:
        with structlog.testing.capture_logs() as logs:
            for _ in range(30):
                async with websockets.connect(cable_url(node, "ocv_forged")) as ws:
                    assert await next_event(ws) == UNAUTHORIZED
    lines = [(e["event"], e.get("since_last")) for e in logs if e["log_level"] != "debug"]
    assert sorted(lines) == [("browser refused", 0), ("connection rejected", 0)]
