"""Browsers on the reference system, as people watch a network: viewers subscribed at
/cable with the Action Cable protocol, the way `@anycable/core` speaks it.

Three measures (issue #13): one broadcast to 5,000 subscribers of one stream;
how soon a charger's meter value reaches a browser watching that station; and
what 1,000 browsers watching the network view cost the chargers.
"""

from __future__ import annotations

import asyncio
import base64
import os
import time
import urllib.request
from urllib.parse import urlsplit

import orjson
import websockets

from bench import scenarios
from bench.systems import System
from ocpp_cable.simulator import SimCharger, Stats, percentile

NETWORK = orjson.dumps({"channel": "StationsChannel"}).decode()


def station(station_id: str) -> str:
    return orjson.dumps({"channel": "StationChannel", "station_id": station_id}).decode()


def viewer_token(database_url: str) -> str:
    from ocpp_cable.channels.domain import viewers
    from ocpp_cable.channels.storage import db

    with db.session_scope(database_url) as session:
        return viewers.add_viewer(session, "bench")


class Browser:
    """One browser: connected, subscribed, timing what it receives."""

    def __init__(self, url: str, identifier: str) -> None:
        self.url, self.identifier = url, identifier
        self.ws: websockets.ClientConnection | None = None
        self.received: list[tuple[float, dict]] = []  # (monotonic time, message)
        self.rounds: dict[int, float] = {}  # fan-out round -> when it arrived
        self._reader: asyncio.Task[None] | None = None

    async def open(self) -> None:
        self.ws = await websockets.connect(
            self.url, subprotocols=["actioncable-v1-json"], compression=None, max_queue=None
        )
        welcome = orjson.loads(await self.ws.recv())
        assert welcome == {"type": "welcome"}, welcome
        await self.ws.send(
            orjson.dumps({"command": "subscribe", "identifier": self.identifier}).decode()
        )
        while True:
            answer = orjson.loads(await self.ws.recv())
            if answer.get("type") == "confirm_subscription":
                break
            assert answer.get("type") == "ping", answer
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with_time = self.received.append
        async for text in self.ws:
            at = time.monotonic()
            frame = orjson.loads(text)
            if "type" in frame:  # a ping (its "message" is a time), or a goodbye
                continue
            message = frame.get("message")
            if not isinstance(message, dict):
                continue
            if "round" in message:
                self.rounds[message["round"]] = at
            else:
                with_time((at, message))

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        if self.ws is not None:
            await self.ws.close()


class Watcher(asyncio.Protocol):
    """A browser that subscribes, then only counts the bytes it is sent: remote browsers
    cost the machine under test nothing, so 1,000 of them must not cost the driver (which
    shares its cores) either. The subscription is checked before counting starts."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.confirmed = asyncio.get_running_loop().create_future()
        self.received = 0

    @staticmethod
    async def open(host: str, port: int, path: str, identifier: str) -> Watcher:
        loop = asyncio.get_running_loop()
        _, watcher = await loop.create_connection(Watcher, host, port)
        key = base64.b64encode(os.urandom(16)).decode()
        watcher.transport.write(
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Protocol: actioncable-v1-json\r\n\r\n".encode()
        )
        command = orjson.dumps({"command": "subscribe", "identifier": identifier})
        watcher.transport.write(masked_text_frame(command))
        await asyncio.wait_for(watcher.confirmed, 30)
        return watcher

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self.confirmed.done():
            self.received += len(data)
            return
        self.buffer += data
        if b"confirm_subscription" in self.buffer:
            self.confirmed.set_result(None)
        elif b"reject_subscription" in self.buffer or b"unauthorized" in self.buffer:
            self.confirmed.set_exception(RuntimeError("watcher refused"))

    def close(self) -> None:
        if self.transport is not None:
            self.transport.abort()


def masked_text_frame(payload: bytes) -> bytes:
    """One client text frame (RFC 6455 5.2: a client masks what it sends)."""
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    length = len(payload)
    if length < 126:
        head = bytes([0x81, 0x80 | length])
    else:
        head = bytes([0x81, 0x80 | 126]) + length.to_bytes(2, "big")
    return head + mask + masked


async def open_all(browsers: list[Browser], limit: int = 200) -> None:
    gate = asyncio.Semaphore(limit)

    async def one(browser: Browser) -> None:
        async with gate:
            await browser.open()

    await asyncio.gather(*(one(b) for b in browsers))


def post(url: str, body: bytes) -> None:
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


async def fan_out(system: System, token: str, count: int, rounds: int) -> dict[str, float]:
    """`count` browsers on one stream; `rounds` broadcasts to it, each timed to every browser."""
    url = system.url.replace("/ocpp", f"/cable?token={token}")
    browsers = [Browser(url, NETWORK) for _ in range(count)]
    await open_all(browsers)
    latencies: list[float] = []
    try:
        for n in range(rounds):
            body = orjson.dumps(
                {"stream": "live:stations", "data": orjson.dumps({"round": n}).decode()}
            )
            sent = time.monotonic()
            await asyncio.to_thread(post, f"{system.http_url}/_broadcast", body)
            for _ in range(1_000):  # 10 s at most
                if all(n in b.rounds for b in browsers):
                    break
                await asyncio.sleep(0.01)
            latencies += [b.rounds[n] - sent for b in browsers if n in b.rounds]
            await asyncio.sleep(0.2)
    finally:
        await asyncio.gather(*(b.close() for b in browsers), return_exceptions=True)
    expected = count * rounds
    return {
        "fanout_p99_ms": percentile(latencies, 0.99) * 1e3,
        "fanout_p50_ms": percentile(latencies, 0.5) * 1e3,
        "fanout_missed": expected - len(latencies),
    }


async def meter_value_to_browser(system: System, token: str, samples: int = 20) -> dict:
    """A charger's MeterValues, one a little over a second apart (the live view shows one
    a second per station), each timed from the charger's send to the browser's receipt."""
    stats = Stats()
    charger = SimCharger(system.url, "LIVE-00001", stats, call_timeout=30)
    await charger.connect()
    await charger.call("BootNotification", {"chargePointVendor": "bench", "chargePointModel": "s"})
    url = system.url.replace("/ocpp", f"/cable?token={token}")
    browser = Browser(url, station("LIVE-00001"))
    await browser.open()
    latencies = []
    try:
        await asyncio.sleep(1.2)
        for _ in range(samples):
            seen = len(browser.received)
            sent = time.monotonic()
            await charger.call("MeterValues", scenarios.meter_values(charger))
            arrived = None
            for _ in range(5_000):  # 5 s at most
                arrived = next(
                    (
                        at
                        for at, message in browser.received[seen:]
                        if any(e["event"] == "meter_values" for e in message.get("events", ()))
                    ),
                    None,
                )
                if arrived is not None:
                    break
                await asyncio.sleep(0.001)
            if arrived is not None:
                latencies.append(arrived - sent)
            await asyncio.sleep(max(0.0, 1.05 - (time.monotonic() - sent)))
    finally:
        await browser.close()
        await charger.close()
    return {
        "meter_to_browser_p50_ms": percentile(latencies, 0.5) * 1e3,
        "meter_to_browser_missed": samples - len(latencies),
    }


async def chargers_with_browsers(
    system: System, token: str, browsers: int, chargers: int, seconds: float
) -> dict[str, float]:
    """Charging sessions from `chargers` with no browser, with `browsers` watching the
    network view, and with none again: what watching costs the chargers, against the
    mean of the runs before and after (the database grows from run to run)."""
    await system.settle()
    before = await scenarios.throughput(
        system.url, "ALONE", scenarios.session_loop, chargers, seconds
    )
    host, port = urlsplit(system.url).hostname, urlsplit(system.url).port
    gate = asyncio.Semaphore(200)

    async def watcher() -> Watcher:
        async with gate:
            return await Watcher.open(host, port, f"/cable?token={token}", NETWORK)

    watching = await asyncio.gather(*(watcher() for _ in range(browsers)))
    try:
        await system.settle()
        watched = await scenarios.throughput(
            system.url, "WATCHED", scenarios.session_loop, chargers, seconds
        )
        await asyncio.sleep(1.5)  # the network view's last message of the run
    finally:
        for one in watching:
            one.close()
    await system.settle()
    after = await scenarios.throughput(
        system.url, "AGAIN", scenarios.session_loop, chargers, seconds
    )
    alone = (before["calls_per_s"] + after["calls_per_s"]) / 2
    return {
        "alone_calls_per_s": alone,
        "watched_calls_per_s": watched["calls_per_s"],
        "watched_ratio": watched["calls_per_s"] / max(alone, 1e-9),
        "watched_kb_per_browser": sum(w.received for w in watching) / max(browsers, 1) / 1024,
    }


async def measure(
    system: System, fanout: int, watchers: int, chargers: int, seconds: float, samples: int
):
    """All three; `samples` broadcasts and meter values are timed."""
    token = viewer_token(system.database_url)
    result = await fan_out(system, token, fanout, samples)
    result |= await meter_value_to_browser(system, token, samples)
    result |= await chargers_with_browsers(system, token, watchers, chargers, seconds)
    return result
