"""Simulated OCPP 1.6 chargers: a demo against `make run` and the benchmark's load driver.

Each charger is a lean asyncio client (websockets and ocppj's framing, no per-message
schema work) so that one process can drive thousands of them and the numbers
measure the server, not the driver.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import random
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import websockets

from ocppj import frames

Payload = dict[str, Any]

# When --duration ends, chargers stop their sessions at once (StopTransaction) and close;
# whatever is still under way END_GRACE later (an answer, a connection, a closing handshake)
# is cut off, so a run ends within END_GRACE of its duration.
END_GRACE = 1.0


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class CallFailed(Exception):
    """The central system answered a CALL with a CALLERROR, or not at all."""

    def __init__(self, code: str, description: str = "") -> None:
        super().__init__(f"{code}: {description}")
        self.code = code


@dataclass
class Stats:
    """What a run of simulated chargers saw."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    commands: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    sessions: int = 0
    connected: int = 0
    connect_failures: int = 0

    @property
    def messages(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    def record(self, action: str, seconds: float) -> None:
        self.latencies[action].append(seconds)

    def fail(self, what: str) -> None:
        self.errors[what] += 1


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# Canned answers to the central system's commands.
COMMAND_REPLIES: dict[str, Payload] = {
    "Reset": {"status": "Accepted"},
    "RemoteStartTransaction": {"status": "Accepted"},
    "RemoteStopTransaction": {"status": "Accepted"},
    "TriggerMessage": {"status": "Accepted"},
    "ChangeConfiguration": {"status": "Accepted"},
    "UnlockConnector": {"status": "Unlocked"},
    "ChangeAvailability": {"status": "Accepted"},
    "ClearCache": {"status": "Accepted"},
    "DataTransfer": {"status": "Accepted"},
}


class SimCharger:
    _ids = itertools.count(1)

    def __init__(
        self,
        url: str,
        station_id: str,
        stats: Stats,
        password: str | None = None,
        call_timeout: float = 30.0,
    ) -> None:
        self.url = f"{url.rstrip('/')}/{station_id}"
        self.station_id = station_id
        self.stats = stats
        self.password = password
        self.call_timeout = call_timeout
        self.ws: Any = None
        self.heartbeat_interval = 300
        self.meter_wh = random.randint(0, 50_000)
        self._pending: dict[str, tuple[asyncio.Future[Payload], str, float]] = {}
        self._reader: asyncio.Task[None] | None = None
        self.received_calls: asyncio.Queue[tuple[str, Payload]] = asyncio.Queue()

    async def connect(self) -> None:
        headers = {}
        if self.password:
            token = base64.b64encode(f"{self.station_id}:{self.password}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        self.ws = await websockets.connect(
            self.url,
            subprotocols=["ocpp1.6"],
            additional_headers=headers,
            open_timeout=60,
            ping_interval=None,
            compression=None,
            max_queue=None,
        )
        self.stats.connected += 1
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()

    def abort(self) -> None:
        """Drop the connection now, without a closing handshake."""
        if self.ws is not None:
            self.ws.transport.abort()

    def unanswered(self) -> list[str]:
        """The actions of the CALLs waiting for an answer."""
        return [action for _, action, _ in self._pending.values()]

    async def call(self, action: str, payload: Payload | None = None) -> Payload:
        unique_id = str(next(self._ids))
        future: asyncio.Future[Payload] = asyncio.get_running_loop().create_future()
        started = time.perf_counter()
        self._pending[unique_id] = (future, action, started)
        await self.ws.send(frames.encode_call(unique_id, action, payload or {}))
        try:
            return await asyncio.wait_for(future, self.call_timeout)
        except TimeoutError:
            self.stats.fail(f"{action}: timeout")
            raise CallFailed("Timeout", f"no answer to {action}") from None
        finally:
            self._pending.pop(unique_id, None)

    async def _read(self) -> None:
        try:
            async for message in self.ws:
                try:
                    frame = frames.parse(message)
                except frames.FrameError as exc:
                    self.stats.fail(f"unreadable frame: {exc}")
                    continue
                if isinstance(frame, frames.Call):
                    await self._answer(frame.unique_id, frame.action, frame.payload)
                    continue
                if frame is None:
                    continue  # an unknown message type: ignored, as OCPP-J says
                entry = self._pending.get(frame.unique_id)
                if entry is None:
                    continue
                future, action, started = entry
                if future.done():
                    continue
                if isinstance(frame, frames.CallResult):
                    self.stats.record(action, time.perf_counter() - started)
                    future.set_result(frame.payload)
                else:
                    self.stats.fail(f"{action}: {frame.code}")
                    future.set_exception(CallFailed(frame.code, frame.description))
        except websockets.ConnectionClosed:
            pass
        finally:
            for future, _, _ in self._pending.values():
                if not future.done():
                    future.set_exception(CallFailed("Disconnected"))

    async def _answer(self, unique_id: str, action: str, payload: Payload) -> None:
        self.stats.commands[action] += 1
        self.received_calls.put_nowait((action, payload))
        if action == "GetConfiguration":
            reply: Payload = {
                "configurationKey": [
                    {"key": "HeartbeatInterval", "readonly": False,
                     "value": str(self.heartbeat_interval)},
                ]
            }  # fmt: skip
        elif action in COMMAND_REPLIES:
            reply = COMMAND_REPLIES[action]
        else:
            error = frames.encode_error(unique_id, "NotImplemented", f"{action} is not simulated")
            await self.ws.send(error)
            return
        await self.ws.send(frames.encode_result(unique_id, reply))

    # --- what a charger does -------------------------------------------------------------

    async def boot(self) -> Payload:
        reply = await self.call(
            "BootNotification",
            {
                "chargePointVendor": "ocpp-cable",
                "chargePointModel": "Simulator",
                "chargePointSerialNumber": self.station_id[-25:],
                "firmwareVersion": "1.0",
            },
        )
        self.heartbeat_interval = reply.get("interval") or self.heartbeat_interval
        await self.call(
            "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available"}
        )
        return reply

    def meter_values(self, transaction_id: int | None, context: str = "Sample.Periodic") -> Payload:
        sample = {
            "value": str(self.meter_wh),
            "measurand": "Energy.Active.Import.Register",
            "unit": "Wh",
            "context": context,
        }
        payload: Payload = {
            "connectorId": 1,
            "meterValue": [
                {
                    "timestamp": utc_now(),
                    "sampledValue": [
                        sample,
                        {"value": "7200", "measurand": "Power.Active.Import", "unit": "W"},
                    ],
                }
            ],
        }
        if transaction_id is not None:
            payload["transactionId"] = transaction_id
        return payload

    async def charge(
        self, meter_interval: float, samples: int, id_tag: str = "SIM", until: float | None = None
    ) -> None:
        """One session: authorize, start, periodic meter values with rising energy, stop.

        At `until` (time.monotonic()) the session stops early, with reason Local.
        """
        await self.call("Authorize", {"idTag": id_tag})
        await self.call(
            "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Preparing"}
        )
        start = await self.call(
            "StartTransaction",
            {
                "connectorId": 1,
                "idTag": id_tag,
                "meterStart": self.meter_wh,
                "timestamp": utc_now(),
            },
        )
        transaction_id = start["transactionId"]
        reason = "EVDisconnected"
        for _ in range(samples):
            if not await pause(meter_interval, until):
                reason = "Local"
                break
            self.meter_wh += random.randint(100, 400)
            await self.call("MeterValues", self.meter_values(transaction_id))
        await self.call(
            "StopTransaction",
            {
                "transactionId": transaction_id,
                "meterStop": self.meter_wh,
                "timestamp": utc_now(),
                "idTag": id_tag,
                "reason": reason,
            },
        )
        await self.call(
            "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available"}
        )
        self.stats.sessions += 1


async def pause(seconds: float, until: float | None = None) -> bool:
    """Sleep `seconds`, but not past `until` (time.monotonic()); False if `until` came first."""
    if until is None:
        await asyncio.sleep(seconds)
        return True
    remaining = until - time.monotonic()
    await asyncio.sleep(max(min(seconds, remaining), 0))
    return seconds < remaining


@dataclass
class SimulationOptions:
    url: str
    count: int = 10
    ramp_up: float = 1.0
    meter_interval: float = 5.0
    samples: int = 6
    duration: float = 60.0  # the run ends then, within END_GRACE
    password: str | None = None
    id_prefix: str = "SIM-"
    id_tag: str = "SIM"


async def _drive(charger: SimCharger, options: SimulationOptions, deadline: float) -> None:
    try:
        await charger.connect()
    except (OSError, websockets.InvalidHandshake, TimeoutError) as exc:
        charger.stats.connect_failures += 1
        charger.stats.fail(f"connect: {type(exc).__name__}")
        return
    try:
        await charger.boot()
        while time.monotonic() < deadline:
            await charger.charge(options.meter_interval, options.samples, options.id_tag, deadline)
            if time.monotonic() < deadline:
                await charger.call("Heartbeat")
                await pause(random.uniform(0.5, 2.0), deadline)
    except CallFailed:
        pass  # counted in stats; this charger stops here
    finally:
        await charger.close()


async def simulate(options: SimulationOptions, progress: bool = True) -> Stats:
    stats = Stats()
    started = time.monotonic()
    deadline = started + options.duration
    tasks: dict[asyncio.Task[None], SimCharger] = {}
    gap = options.ramp_up / max(options.count, 1)
    reporter = asyncio.create_task(_report(stats, started, deadline)) if progress else None
    try:
        for i in range(options.count):
            if time.monotonic() >= deadline:
                break  # a ramp-up longer than the run: the rest never start
            charger = SimCharger(
                options.url, f"{options.id_prefix}{i:05d}", stats, options.password
            )
            tasks[asyncio.create_task(_drive(charger, options, deadline))] = charger
            if gap:
                await pause(gap, deadline)
        if tasks:
            _, late = await asyncio.wait(
                tasks, timeout=max(deadline + END_GRACE - time.monotonic(), 0)
            )
            for task in late:
                charger = tasks[task]
                if charger.ws is None:
                    stats.connect_failures += 1
                    stats.fail("connect: unfinished at the end")
                for action in charger.unanswered():
                    stats.fail(f"{action}: unanswered at the end")
                charger.abort()
                task.cancel()
            if late:
                await asyncio.wait(late)  # quick: their connections are gone
            for task in tasks:
                if not task.cancelled():
                    task.result()  # a charger's unexpected failure is not swallowed
    finally:
        if reporter is not None:
            reporter.cancel()
            print(file=sys.stderr)
    return stats


async def _report(stats: Stats, started: float, deadline: float) -> None:
    end = "\r" if sys.stderr.isatty() else "\n"
    while True:
        await asyncio.sleep(1)
        elapsed = time.monotonic() - started
        print(
            f"{elapsed:5.0f}s  connected {stats.connected}  sessions {stats.sessions}  "
            f"messages {stats.messages}  errors {sum(stats.errors.values())}  "
            f"remaining {max(deadline - time.monotonic(), 0):.0f}s",
            end=end,
            file=sys.stderr,
            flush=True,
        )


def summary(stats: Stats, elapsed: float) -> str:
    lines = [
        f"chargers connected {stats.connected}, connect failures {stats.connect_failures}, "
        f"sessions {stats.sessions}, messages {stats.messages} "
        f"({stats.messages / max(elapsed, 1e-9):.0f}/s), errors {sum(stats.errors.values())}",
        "",
        f"{'action':28} {'count':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}",
    ]
    for action in sorted(stats.latencies):
        values = stats.latencies[action]
        lines.append(
            f"{action:28} {len(values):8d} {percentile(values, 0.5) * 1e3:8.2f} "
            f"{percentile(values, 0.95) * 1e3:8.2f} {percentile(values, 0.99) * 1e3:8.2f}"
        )
    if stats.errors:
        lines += ["", "errors:"] + [f"  {k}: {v}" for k, v in sorted(stats.errors.items())]
    if stats.commands:
        lines += ["", "commands answered:"]
        lines += [f"  {k}: {v}" for k, v in sorted(stats.commands.items())]
    return "\n".join(lines)


def run_cli(options: SimulationOptions) -> int:
    import uvloop

    started = time.monotonic()
    try:
        stats = uvloop.run(simulate(options))
    except KeyboardInterrupt:
        return 130
    print(summary(stats, time.monotonic() - started))
    return 0 if not stats.errors else 1
