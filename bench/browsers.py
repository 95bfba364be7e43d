"""Browsers on the reference system, as people watch a network: viewers subscribed at
/cable with the Action Cable protocol, the way `@anycable/core` speaks it.

Three measures (issue #13): one broadcast to 5,000 subscribers of one stream;
how soon a charger's meter value reaches a browser watching that station; and
what 1,000 browsers watching the network view cost the chargers.
"""

from __future__ import annotations

import asyncio
import base64
import multiprocessing
import os
import time
import urllib.request
from collections import Counter
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
    return masked_frame(0x1, payload)


def masked_frame(opcode: int, payload: bytes) -> bytes:
    """One client frame of `opcode` (under 64 KiB of payload)."""
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    length = len(payload)
    if length < 126:
        head = bytes([0x80 | opcode, 0x80 | length])
    else:
        head = bytes([0x80 | opcode, 0x80 | 126]) + length.to_bytes(2, "big")
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


class Viewer(asyncio.Protocol):
    """A browser of the fan-out: subscribes as `@anycable/core` does, then reads frames
    with a minimal WebSocket parser (server frames are never masked nor, from this
    gateway, fragmented) and notes when each round arrived. It answers WebSocket pings.
    It costs the driver a few µs a frame, so the driver's time is not what is measured."""

    def __init__(self, arrived: Counter[int]) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.upgraded = False
        self.confirmed = asyncio.get_running_loop().create_future()
        self.rounds: dict[int, float] = {}  # fan-out round -> when it arrived (monotonic)
        self.arrived = arrived  # round -> how many viewers of this process have it

    @staticmethod
    async def open(
        host: str, port: int, path: str, identifier: str, arrived: Counter[int]
    ) -> Viewer:
        loop = asyncio.get_running_loop()
        _, viewer = await loop.create_connection(lambda: Viewer(arrived), host, port)
        key = base64.b64encode(os.urandom(16)).decode()
        viewer.transport.write(
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Protocol: actioncable-v1-json\r\n\r\n".encode()
        )
        command = orjson.dumps({"command": "subscribe", "identifier": identifier})
        viewer.transport.write(masked_text_frame(command))
        await asyncio.wait_for(viewer.confirmed, 60)
        return viewer

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        at = time.monotonic()
        buffer = self.buffer
        buffer += data
        if not self.upgraded:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if not buffer.startswith(b"HTTP/1.1 101"):
                self.confirmed.set_exception(RuntimeError(bytes(buffer[:end]).decode()))
                return
            del buffer[: end + 4]
            self.upgraded = True
        while len(buffer) >= 2:
            opcode, length, start = buffer[0] & 0x0F, buffer[1] & 0x7F, 2
            if length == 126:
                length, start = int.from_bytes(buffer[2:4], "big"), 4
            elif length == 127:
                length, start = int.from_bytes(buffer[2:10], "big"), 10
            if len(buffer) < start + length:
                return
            payload = bytes(buffer[start : start + length])
            del buffer[: start + length]
            if opcode == 0x1:
                self._text(payload, at)
            elif opcode == 0x9:  # a ping: pong with its payload
                self.transport.write(masked_frame(0xA, payload))

    def _text(self, payload: bytes, at: float) -> None:
        if self.confirmed.done():
            if b'"round"' in payload:
                message = orjson.loads(payload).get("message")
                if isinstance(message, dict) and "round" in message:
                    self.rounds[message["round"]] = at
                    self.arrived[message["round"]] += 1
        elif b"confirm_subscription" in payload:
            self.confirmed.set_result(None)
        elif b"reject_subscription" in payload or b"unauthorized" in payload:
            self.confirmed.set_exception(RuntimeError("viewer refused"))

    def close(self) -> None:
        if self.transport is not None:
            self.transport.abort()


async def open_viewers(
    url: str, count: int, arrived: Counter[int], limit: int = 200
) -> list[Viewer]:
    parts = urlsplit(url)
    path = f"{parts.path}?{parts.query}"
    gate = asyncio.Semaphore(limit)

    async def one() -> Viewer:
        async with gate:
            return await Viewer.open(parts.hostname, parts.port, path, NETWORK, arrived)

    return await asyncio.gather(*(one() for _ in range(count)))


async def _drive_viewers(url: str, count: int, rounds: int, conn) -> None:
    """One driver process's viewers: opened, then each round reported once all of them
    have it (or when told to stop waiting), and at the end every arrival time."""
    loop = asyncio.get_running_loop()
    arrived: Counter[int] = Counter()
    viewers = await open_viewers(url, count, arrived)
    conn.send("ready")
    try:
        for n in range(rounds):
            while arrived[n] < count:
                if conn.poll():
                    conn.recv()  # "next": the conductor waited long enough for this round
                    break
                await asyncio.sleep(0.002)
            conn.send(("round", n))
        await loop.run_in_executor(None, conn.recv)  # "report"
        conn.send([v.rounds for v in viewers])
    finally:
        for viewer in viewers:
            viewer.close()


def _viewer_process(url: str, count: int, rounds: int, conn) -> None:
    asyncio.run(_drive_viewers(url, count, rounds, conn))


# Driver processes the fan-out's browsers are spread over: one Python process reading
# 5,000 sockets would itself take a good part of the time measured.
DRIVERS = 2


async def fan_out(
    system: System, token: str, count: int, rounds: int, drivers: int = DRIVERS
) -> dict[str, float]:
    """`count` browsers on one stream, spread over `drivers` processes; `rounds`
    broadcasts to it, each timed from before its POST to every browser's receipt
    (CLOCK_MONOTONIC is one clock for all processes on Linux)."""
    url = system.url.replace("/ocpp", f"/cable?token={token}")
    context = multiprocessing.get_context("spawn")
    shares = [count // drivers + (1 if i < count % drivers else 0) for i in range(drivers)]
    pipes, processes = [], []
    for share in shares:
        mine, theirs = context.Pipe()
        process = context.Process(target=_viewer_process, args=(url, share, rounds, theirs))
        process.start()
        pipes.append(mine)
        processes.append(process)

    async def recv(conn, within: float):
        ready = await asyncio.to_thread(conn.poll, within)
        return conn.recv() if ready else None

    sent: list[float] = []
    try:
        for conn in pipes:
            assert await recv(conn, 300) == "ready"
        for n in range(rounds):
            body = orjson.dumps(
                {"stream": "live:stations", "data": orjson.dumps({"round": n}).decode()}
            )
            sent.append(time.monotonic())
            await asyncio.to_thread(post, f"{system.http_url}/_broadcast", body)
            waited = await asyncio.gather(*(recv(conn, 10) for conn in pipes))
            for conn, answer in zip(pipes, waited, strict=True):
                if answer is None:
                    conn.send("next")  # 10 s at most a round
                    await recv(conn, 10)
            await asyncio.sleep(0.2)
        for conn in pipes:
            conn.send("report")
        reports = [await recv(conn, 60) for conn in pipes]
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
    latencies = [
        at - sent[n]
        for report in reports
        for arrivals in report
        for n, at in arrivals.items()
        if at - sent[n] <= 10
    ]
    return {
        "fanout_p99_ms": percentile(latencies, 0.99) * 1e3,
        "fanout_p50_ms": percentile(latencies, 0.5) * 1e3,
        "fanout_missed": count * rounds - len(latencies),
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
