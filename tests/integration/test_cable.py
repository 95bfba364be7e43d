"""Browsers at /cable: the Action Cable protocol through the same RPC contract, over real
sockets, a real gateway and a real rpc_app."""

from __future__ import annotations

import asyncio
import contextlib
import os

import orjson
import pytest
import websockets

from ocpp_cable.gateway.node import GatewayNode
from ocpp_cable.rpc_app import broadcasting
from ocpp_cable.rpc_app.application import Application
from ocpp_cable.rpc_app.broadcasting import HTTPBroadcaster
from tests.support import cable_app
from tests.support.node_client import events_until, node_client_ready, run_node_client
from tests.support.servers import BROADCAST_KEY, eventually, gateway, gateway_settings, rpc_server

ROOM = orjson.dumps({"channel": "ChatChannel", "room": "lobby"}).decode()


def browser_app() -> Application:
    return Application.of([cable_app.ChatChannel], cable_app.BrowserConnection)


@contextlib.asynccontextmanager
async def served(**overrides):
    async with rpc_server(app=browser_app()) as (_, port, _), gateway(port, **overrides) as node:
        yield node


def cable_url(node, token: str = "t-ada") -> str:
    return f"ws://127.0.0.1:{node.port}/cable?token={token}"


async def next_message(ws, skip_pings: bool = True) -> dict:
    while True:
        message = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
        if not (skip_pings and message.get("type") == "ping"):
            return message


async def test_welcome_subscribe_perform_broadcast_unsubscribe():
    async with served() as node:
        async with websockets.connect(
            cable_url(node), subprotocols=["actioncable-v1-json", "actioncable-unsupported"]
        ) as ws:
            assert ws.subprotocol == "actioncable-v1-json"
            assert await next_message(ws) == {"type": "welcome"}
            await ws.send(orjson.dumps({"command": "subscribe", "identifier": ROOM}).decode())
            assert await next_message(ws) == {"identifier": ROOM, "type": "confirm_subscription"}
            speak = orjson.dumps({"action": "speak", "text": "hi"}).decode()
            await ws.send(
                orjson.dumps({"command": "message", "identifier": ROOM, "data": speak}).decode()
            )
            assert await next_message(ws) == {
                "identifier": ROOM,
                "message": {"echo": "hi", "user": "ada"},
            }
            delivered = node.broadcast("chat:lobby", '{"text":"to all"}')
            assert delivered == 1
            assert await next_message(ws) == {"identifier": ROOM, "message": {"text": "to all"}}
            await ws.send(orjson.dumps({"command": "unsubscribe", "identifier": ROOM}).decode())
            await eventually(lambda: node.broadcast("chat:lobby", "{}") == 0)
            assert len(node.browsers) == 1 and len(node.stations) == 0
        await eventually(lambda: len(node.browsers) == 0)


async def test_a_refused_browser_is_told_unauthorized_and_closed():
    async with served() as node:
        async with websockets.connect(cable_url(node, "forged")) as ws:
            assert await next_message(ws) == {
                "type": "disconnect",
                "reason": "unauthorized",
                "reconnect": False,
            }
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 5)
        assert len(node.browsers) == 0


async def test_rejected_subscription_and_messages_for_no_subscription():
    async with served() as node, websockets.connect(cable_url(node)) as ws:
        await next_message(ws)  # welcome
        secret = orjson.dumps({"channel": "ChatChannel", "room": "secret"}).decode()
        await ws.send(orjson.dumps({"command": "subscribe", "identifier": secret}).decode())
        assert await next_message(ws) == {"identifier": secret, "type": "reject_subscription"}
        # Neither a rejected nor an unknown subscription may perform: nothing comes back.
        for identifier in (secret, ROOM):
            data = orjson.dumps({"action": "speak", "text": "x"}).decode()
            command = {"command": "message", "identifier": identifier, "data": data}
            await ws.send(orjson.dumps(command).decode())
        await ws.send(b"not json")
        await ws.send(orjson.dumps({"command": "subscribe", "identifier": ROOM}).decode())
        assert await next_message(ws) == {"identifier": ROOM, "type": "confirm_subscription"}


async def test_an_over_long_identifier_is_rejected_naming_its_head():
    """A subscribe whose identifier is longer than the gateway takes gets its answer,
    `reject_subscription`, naming the identifier's first 1,024 characters only (what the
    client sent is never echoed unbounded); the connection goes on."""
    async with served() as node, websockets.connect(cable_url(node)) as ws:
        await next_message(ws)
        long = orjson.dumps({"channel": "ChatChannel", "room": "x" * 5000}).decode()
        await ws.send(orjson.dumps({"command": "subscribe", "identifier": long}).decode())
        answer = await asyncio.wait_for(next_message(ws), 5)  # pings come meanwhile
        assert answer == {"identifier": long[:1024], "type": "reject_subscription"}
        await ws.send(orjson.dumps({"command": "subscribe", "identifier": ROOM}).decode())
        assert await next_message(ws) == {"identifier": ROOM, "type": "confirm_subscription"}


async def test_subscriptions_per_connection_are_bounded():
    async with served(cable_max_subscriptions=2) as node, websockets.connect(cable_url(node)) as ws:
        await next_message(ws)
        rooms = [
            orjson.dumps({"channel": "ChatChannel", "room": f"r{n}"}).decode() for n in range(3)
        ]
        for room in rooms:
            await ws.send(orjson.dumps({"command": "subscribe", "identifier": room}).decode())
        answers = [await next_message(ws) for _ in rooms]
    assert [a["type"] for a in answers].count("confirm_subscription") == 2
    assert {"identifier": rooms[2], "type": "reject_subscription"} in answers


async def test_pings_keep_the_connection_alive():
    async with served() as node, websockets.connect(cable_url(node)) as ws:
        await next_message(ws)
        ping = await next_message(ws, skip_pings=False)
    assert ping["type"] == "ping" and isinstance(ping["message"], int)


async def test_disconnect_carries_every_subscriptions_state(record):
    """Disconnect names each subscription with its own channel state (AnyCable's shape)."""
    seen: list = []

    class Recording(cable_app.ChatChannel):
        def unsubscribed(self):
            seen.append((self.params["room"], dict(self.state)))

    Recording.__name__ = "ChatChannel"
    app = Application.of([Recording], cable_app.BrowserConnection)
    async with rpc_server(app=app) as (_, port, _), gateway(port) as node:
        async with websockets.connect(cable_url(node)) as ws:
            await next_message(ws)
            for room in ("a", "b"):
                identifier = orjson.dumps({"channel": "ChatChannel", "room": room}).decode()
                await ws.send(
                    orjson.dumps({"command": "subscribe", "identifier": identifier}).decode()
                )
                await next_message(ws)
        await eventually(lambda: len(seen) == 2)
    assert sorted(seen) == [("a", {"room": "a"}), ("b", {"room": "b"})]


async def test_a_browser_that_does_not_read_is_dropped_and_the_others_go_on():
    async with served(cable_send_queue=50) as node, websockets.connect(cable_url(node)) as fast:
        await next_message(fast)
        await fast.send(orjson.dumps({"command": "subscribe", "identifier": ROOM}).decode())
        await next_message(fast)

        read = 0

        async def read_until_after() -> int:
            nonlocal read
            while (message := await next_message(fast))["message"] != {"after": True}:
                assert message["message"]["blob"]  # the flood, in order, then the last one
                read += 1
            return read

        reading = asyncio.create_task(read_until_after())
        slow = await websockets.connect(cable_url(node, "t-bob"), max_queue=1)
        try:
            await next_message(slow)
            await slow.send(orjson.dumps({"command": "subscribe", "identifier": ROOM}).decode())
            await next_message(slow)
            big = orjson.dumps({"blob": "x" * 60_000}).decode()
            # The slow client stops reading: the gateway must not buffer for it without bound.
            for sent in range(2_000):
                node.broadcast("chat:lobby", big)
                await asyncio.sleep(0)
                if len(node.browsers) == 1:
                    break
                # The fast one keeps up, however busy the machine: only the slow one lags.
                if sent - read > 10:
                    await eventually(lambda n=sent: n - read <= 10 or reading.done(), within=10)
            await eventually(lambda: len(node.browsers) == 1, within=10)
        finally:
            slow.transport.abort()
        node.broadcast("chat:lobby", '{"after": true}')
        assert await reading > 0
    dropped = node.metrics.registry.get_sample_value("ocpp_cable_gateway_browsers_dropped_total")
    assert dropped == 1


async def test_hundreds_of_browsers_get_each_broadcast_once_in_order_past_a_stuck_one():
    """300 browsers on one stream (more than a slice of the hub's fan-out) get every
    broadcast exactly once and in order, while one of them stops reading: it is dropped
    once its outbox is full, and the others never wait for it."""
    count, flood = 300, orjson.dumps({"channel": "ChatChannel", "room": "flood"}).decode()

    async def subscribe(ws, *identifiers: str) -> None:
        await next_message(ws)
        for identifier in identifiers:
            await ws.send(orjson.dumps({"command": "subscribe", "identifier": identifier}).decode())
            await next_message(ws)

    async def read(ws) -> list[int]:
        got = []
        while "last" not in (message := (await next_message(ws))["message"]):
            got.append(message["n"])
        return got

    async with served(cable_send_queue=50) as node:
        browsers = [await websockets.connect(cable_url(node)) for _ in range(count)]
        stuck = await websockets.connect(cable_url(node, "t-bob"), max_queue=1)
        try:
            await asyncio.gather(*(subscribe(ws, ROOM) for ws in browsers))
            await subscribe(stuck, ROOM, flood)
            reading = [asyncio.create_task(read(ws)) for ws in browsers]
            big = orjson.dumps({"blob": "x" * 60_000}).decode()
            sent = 0
            async with asyncio.timeout(60):
                while len(node.browsers) > count:  # until the stuck one is dropped
                    assert node.broadcast("chat:lobby", f'{{"n":{sent}}}') >= count
                    node.broadcast("chat:flood", big)
                    sent += 1
                    await asyncio.sleep(0.005)
                node.broadcast("chat:lobby", '{"last":true}')
                got = await asyncio.gather(*reading)
        finally:
            stuck.transport.abort()
            for ws in browsers:
                ws.transport.abort()
    assert all(one == list(range(sent)) for one in got), [len(one) for one in got]
    dropped = node.metrics.registry.get_sample_value("ocpp_cable_gateway_browsers_dropped_total")
    assert dropped == 1


async def test_broadcasts_written_at_once_interleave_with_pings_replies_and_the_close():
    """Broadcast frames go straight to the connection's transport: websockets' own pings
    (every 20 ms here), the replies to the browser's commands and the closing handshake
    still go out whole, in order, and nothing follows the close."""
    from ocpp_cable.gateway.broadcasts import RemoteDisconnect

    async with served(ping_interval=0.02, ping_timeout=5) as node:
        async with websockets.connect(cable_url(node), max_queue=None) as ws:
            await next_message(ws)
            await ws.send(orjson.dumps({"command": "subscribe", "identifier": ROOM}).decode())
            await next_message(ws)
            received: list[dict] = []

            async def read() -> None:
                with contextlib.suppress(websockets.ConnectionClosedOK):
                    async for text in ws:
                        received.append(orjson.loads(text))

            reading = asyncio.create_task(read())
            for n in range(300):
                node.broadcast("chat:lobby", f'{{"n":{n}}}')
                if n % 10 == 0:
                    speak = orjson.dumps({"action": "speak", "text": str(n)}).decode()
                    command = {"command": "message", "identifier": ROOM, "data": speak}
                    await ws.send(orjson.dumps(command).decode())
                await asyncio.sleep(0.002)
            (browser,) = node.browsers
            node.browsers.disconnect(RemoteDisconnect(browser.identifiers, reason="bye"))
            for n in range(300, 400):  # the close is under way: none of these go out
                node.broadcast("chat:lobby", f'{{"n":{n}}}')
                await asyncio.sleep(0)
            await asyncio.wait_for(reading, 10)
        assert ws.close_code == 1000
    messages = [m for m in received if m.get("type") != "ping"]
    assert messages[-1] == {"type": "disconnect", "reason": "bye", "reconnect": False}
    numbers = [m["message"]["n"] for m in messages if "n" in m.get("message", {})]
    assert numbers == list(range(len(numbers))) and 300 <= len(numbers) <= 400
    echoes = [m["message"]["echo"] for m in messages if "echo" in m.get("message", {})]
    assert echoes == [str(n) for n in range(0, 300, 10)]
    assert browser.ws.latency > 0  # websockets' pings were answered meanwhile


async def test_shutdown_tells_browsers_to_come_back():
    async with rpc_server(app=browser_app()) as (_, port, _):
        node = GatewayNode(gateway_settings(port))
        await node.start()
        try:
            ws = await websockets.connect(cable_url(node))
            await next_message(ws)
        finally:
            stopping = asyncio.create_task(node.stop())
        goodbye = await next_message(ws)
        await stopping
    assert goodbye == {"type": "disconnect", "reason": "server_restart", "reconnect": True}
    assert ws.close_code == 1001


# --- an independent client: @anycable/core, as browsers run it -------------------------


async def test_the_official_anycable_client_subscribes_performs_and_receives():
    node_client_ready()
    async with served() as node:
        client = await run_node_client(cable_url(node), "ChatChannel", {"room": "lobby"})
        try:
            events = await events_until(client, "subscribed")
            echo = await events_until(client, "message")
            node.broadcast("chat:lobby", '{"text":"bye"}')
            bye = await events_until(client, "message")
            assert await asyncio.wait_for(client.wait(), 15) == 0
        finally:
            if client.returncode is None:
                client.kill()
    assert [e["event"] for e in events] == ["connect", "subscribed"]
    assert orjson.loads(events[1]["identifier"]) == {"channel": "ChatChannel", "room": "lobby"}
    assert echo[-1]["message"] == {"echo": "hello from node", "user": "ada"}
    assert bye[-1]["message"] == {"text": "bye"}


async def test_the_official_anycable_client_hears_unauthorized_and_rejected():
    node_client_ready()
    async with served() as node:
        refused = await run_node_client(cable_url(node, "forged"), "ChatChannel", {"room": "x"})
        rejected = await run_node_client(cable_url(node), "ChatChannel", {"room": "secret"})
        try:
            refused_events = await events_until(refused, "disconnect")
            rejected_events = await events_until(rejected, "rejected")
        finally:
            for process in (refused, rejected):
                if process.returncode is None:
                    process.kill()
    assert refused_events[-1]["reason"] == "unauthorized"
    assert rejected_events[-1]["error"] == "SubscriptionRejectedError"


@pytest.mark.parametrize("adapter", ["redis", "nats"])
async def test_a_broker_broadcast_reaches_browsers_on_every_node(adapter, redis_url, nats_url):
    """Streams are shared: one broadcast through Redis or NATS reaches the browsers on
    both nodes, each as a message of its own subscription."""
    from ocpp_cable.rpc_app.broadcasting import NATSBroadcaster, RedisBroadcaster

    channel = f"__anycable__cable_{adapter}_{os.getpid()}"
    if adapter == "redis":
        settings = {"broadcast_adapter": "redis", "redis_url": redis_url, "redis_channel": channel}
        broker = RedisBroadcaster(redis_url, channel)
    else:
        settings = {"broadcast_adapter": "nats", "nats_servers": nats_url, "nats_subject": channel}
        broker = NATSBroadcaster(nats_url, channel)
    async with (
        rpc_server(app=browser_app()) as (_, port, _),
        gateway(port, **settings) as a,
        gateway(port, **settings) as b,
    ):
        await eventually(lambda: all(s.connected for s in a.subscribers + b.subscribers))
        browsers = [await websockets.connect(cable_url(node)) for node in (a, b)]
        try:
            for ws in browsers:
                await next_message(ws)
                await ws.send(orjson.dumps({"command": "subscribe", "identifier": ROOM}).decode())
                await next_message(ws)
            await asyncio.to_thread(
                broker.publish, [{"stream": "chat:lobby", "data": '{"text":"everyone"}'}]
            )
            got = [await next_message(ws) for ws in browsers]
        finally:
            for ws in browsers:
                await ws.close()
    assert got == [{"identifier": ROOM, "message": {"text": "everyone"}}] * 2


async def test_a_remote_disconnect_closes_the_browsers_it_names_only():
    """AnyCable's remote disconnect as its publishers send it (no reason), over HTTP: each
    browser Connect identified so hears `disconnect` (`remote`) and is closed; others stay."""
    async with served() as node:
        ada = [await websockets.connect(cable_url(node)) for _ in range(2)]
        bob = await websockets.connect(cable_url(node, "t-bob"))
        for ws in (*ada, bob):
            await next_message(ws)
        endpoint = f"http://127.0.0.1:{node.http_port}/_broadcast"
        message = broadcasting.remote_disconnect({"user": "ada"})
        assert message == {
            "command": "disconnect",
            "payload": {"identifier": '{"user":"ada"}', "reconnect": False},
        }
        await asyncio.to_thread(HTTPBroadcaster(endpoint, BROADCAST_KEY).publish, [message])
        for ws in ada:
            goodbye = await asyncio.wait_for(next_message(ws), 5)
            assert goodbye == {"type": "disconnect", "reason": "remote", "reconnect": False}
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 5)
            assert ws.close_code == 1000
        await bob.send(orjson.dumps({"command": "subscribe", "identifier": ROOM}).decode())
        assert await next_message(bob) == {"identifier": ROOM, "type": "confirm_subscription"}
        await eventually(lambda: len(node.browsers) == 1)
        await bob.close()


async def test_an_oversized_frame_closes_that_browser_only():
    async with served(max_frame_size=4096) as node:
        async with (
            websockets.connect(cable_url(node)) as big,
            websockets.connect(cable_url(node, "t-bob")) as other,
        ):
            await next_message(big)
            await next_message(other)
            await big.send(
                orjson.dumps({"command": "subscribe", "identifier": "x" * 8192}).decode()
            )
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(big.recv(), 5)
            assert big.close_code == 1009
            await other.send(orjson.dumps({"command": "subscribe", "identifier": ROOM}).decode())
            assert await next_message(other) == {"identifier": ROOM, "type": "confirm_subscription"}


class Crashing(cable_app.BrowserConnection):
    def connect(self):
        raise RuntimeError("the database is down")


async def test_an_application_failure_is_a_503_to_retry_not_unauthorized():
    app = Application.of([cable_app.ChatChannel], Crashing)
    async with rpc_server(app=app) as (_, port, _), gateway(port) as node:
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(cable_url(node))
    assert refused.value.response.status_code == 503


async def test_only_the_gateway_says_a_client_is_a_browser(record):
    """The gateway marks a browser's Connect (`ocpp-cable-client: actioncable`) and drops a
    client's own copy of the header, so a station cannot pass for a browser or the reverse."""
    forged = {"ocpp-cable-client": "actioncable"}
    async with rpc_server() as (_, port, _), gateway(port, headers="ocpp-cable-client") as node:
        async with websockets.connect(
            f"ws://127.0.0.1:{node.port}/ocpp/CP-F",
            subprotocols=["ocpp1.6"],
            additional_headers=forged,
        ):
            await eventually(lambda: record("connect", "CP-F"))
        async with websockets.connect(
            cable_url(node), additional_headers={"ocpp-cable-client": "ocpp"}
        ) as ws:
            await next_message(ws)
    (station,) = record("connect", "CP-F")
    (browser,) = record("connect", "cable")
    assert "ocpp-cable-client" not in station["headers"]
    assert browser["headers"]["ocpp-cable-client"] == "actioncable"
