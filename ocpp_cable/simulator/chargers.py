"""Simulated OCPP chargers: a demo against `make run` and the benchmark's load driver.

Each charger is a lean asyncio client (websockets and ocppj's framing, no per-message
schema work) so that one process can drive thousands of them and the numbers
measure the server, not the driver. It speaks OCPP 1.6, 2.0.1 or 2.1: the steps are
the same, its version's dialect (`ocpp16`, `ocpp2`) words each message.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import random
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import websockets

from ocpp_cable.ocppj import frames, versions
from ocpp_cable.simulator import ocpp2, ocpp16
from ocpp_cable.simulator.dialects import Dialect, Message, Payload, Session, StopReason

# The versions the simulator speaks, by name, and the dialect of each.
DIALECTS: dict[str, Dialect] = {"1.6": ocpp16, "2.0.1": ocpp2, "2.1": ocpp2}

# When --duration ends, chargers stop their sessions at once (StopTransaction) and close;
# whatever is still under way END_GRACE later (an answer, a connection, a closing handshake)
# is cut off, so a run ends within END_GRACE of its duration.
END_GRACE = 1.0


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


class SimCharger:
    """One charger with one connector: sessions one after another, started by the
    simulation (`charge`) or by the central system (a remote start)."""

    _ids = itertools.count(1)

    def __init__(
        self,
        url: str,
        station_id: str,
        stats: Stats,
        password: str | None = None,
        call_timeout: float = 30.0,
        *,
        ocpp_version: str = "1.6",
        meter_interval: float = 5.0,
        samples: int = 6,
        until: float | None = None,
    ) -> None:
        self.url = f"{url.rstrip('/')}/{station_id}"
        self.station_id = station_id
        self.stats = stats
        self.password = password
        self.call_timeout = call_timeout
        self.version = versions.named(ocpp_version)
        self.dialect = DIALECTS[ocpp_version]
        # Every session's shape: MeterValues every `meter_interval` s, `samples` of them,
        # stopped early at `until` (time.monotonic()).
        self.meter_interval = meter_interval
        self.samples = samples
        self.until = until
        self.ws: Any = None
        self.heartbeat_interval = 300
        self.meter_wh = random.randint(0, 50_000)
        self.session: Session | None = None
        self._free = asyncio.Event()  # set while no session holds the connector
        self._free.set()
        self._stop = asyncio.Event()  # the central system asked to stop the session
        self._remote: asyncio.Task[None] | None = None  # a session the central system started
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
            subprotocols=[self.version.subprotocol],
            additional_headers=headers,
            open_timeout=60,
            ping_interval=None,
            compression=None,
            max_queue=None,
        )
        if self.ws.subprotocol != self.version.subprotocol:
            # A server that speaks none of what we offered may still accept the upgrade.
            await self.ws.close()
            offered = self.version.subprotocol
            raise websockets.NegotiationError(f"the server did not accept {offered}")
        self.stats.connected += 1
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        if self._remote is not None:
            self._remote.cancel()
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

    async def request(self, message: Message) -> Payload:
        """CALL a dialect's message."""
        return await self.call(*message)

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
                    frame = frames.parse(message, self.version.codes, self.version.message_types)
                except frames.FrameError as exc:
                    self.stats.fail(f"unreadable frame: {exc}")
                    continue
                if isinstance(frame, frames.Call):
                    await self._answer(frame.unique_id, frame.action, frame.payload)
                    continue
                if frame is None or isinstance(frame, frames.SendMessage):
                    continue  # 1.6: an unknown message type; 2.1: a SEND, never answered
                if isinstance(frame, frames.CallResultError):
                    self.stats.fail(f"our answer refused: {frame.code}")
                    continue
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
        try:
            answer = self.dialect.answer(action, payload, self)
        except (KeyError, TypeError) as exc:
            code, description = self.version.codes.format_violation, f"{action}: no {exc}"
            await self.ws.send(frames.encode_error(unique_id, code, description))
            return
        if answer is None:
            error = frames.encode_error(unique_id, "NotImplemented", f"{action} is not simulated")
            await self.ws.send(error)
            return
        if answer.start is not None:
            self._occupy(answer.start)  # now: a second remote start must find it taken
        if answer.stop:
            self._stop.set()
        await self.ws.send(frames.encode_result(unique_id, answer.payload))
        if answer.start is not None:  # after the answer: the session's CALLs come second
            self._remote = asyncio.create_task(self._remote_session(answer.start))

    # --- what a charger does -------------------------------------------------------------

    async def boot(self) -> Payload:
        reply = await self.request(self.dialect.boot(self.station_id))
        self.heartbeat_interval = reply.get("interval") or self.heartbeat_interval
        await self.request(self.dialect.status(occupied=False))
        return reply

    async def charge(self, id_tag: str = "SIM") -> None:
        """One session: authorize, start, periodic meter values with rising energy, stop.

        Waits while a session the central system started holds the connector. At
        `until` the session stops early, with reason Local.
        """
        while self.session is not None:
            await self._free.wait()
        session = Session(id_tag)
        self._occupy(session)
        await self._run(session)

    async def idle(self) -> None:
        """Wait for a session the central system started to end (by `until` at the latest)."""
        if self._remote is not None:
            await self._remote

    def _occupy(self, session: Session) -> None:
        self.session = session
        self._free.clear()
        self._stop.clear()

    async def _remote_session(self, session: Session) -> None:
        with contextlib.suppress(CallFailed):  # counted in stats; the connection is gone
            await self._run(session)

    async def _run(self, session: Session) -> None:
        try:
            if not session.remote:  # a remote start's idTag is the central system's own
                await self.request(self.dialect.authorize(session.id_tag))
            await self.request(self.dialect.status(occupied=True))
            reply = await self.request(self.dialect.start(session, self.meter_wh))
            self.dialect.started(session, reply)
            reason: StopReason = "EVDisconnected"
            for _ in range(self.samples):
                if not await pause(self.meter_interval, self.until, self._stop):
                    reason = "Remote" if self._stop.is_set() else "Local"
                    break
                self.meter_wh += random.randint(100, 400)
                await self.request(self.dialect.meter(session, self.meter_wh))
            await self.request(self.dialect.stop(session, self.meter_wh, reason))
            await self.request(self.dialect.status(occupied=False))
            self.stats.sessions += 1
        finally:
            self.session = None
            self._free.set()


async def pause(
    seconds: float, until: float | None = None, interrupt: asyncio.Event | None = None
) -> bool:
    """Sleep `seconds`, but not past `until` (time.monotonic()) nor `interrupt` being set;
    False if one of them came first."""
    remaining = float("inf") if until is None else until - time.monotonic()
    delay = max(min(seconds, remaining), 0)
    if interrupt is None:
        await asyncio.sleep(delay)
    else:
        try:
            await asyncio.wait_for(interrupt.wait(), delay)
            return False
        except TimeoutError:
            pass
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
    ocpp_version: str = "1.6"  # a key of DIALECTS


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
            await charger.charge(options.id_tag)
            if time.monotonic() < deadline:
                await charger.call("Heartbeat")
                await pause(random.uniform(0.5, 2.0), deadline)
        await charger.idle()
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
                options.url,
                f"{options.id_prefix}{i:05d}",
                stats,
                options.password,
                ocpp_version=options.ocpp_version,
                meter_interval=options.meter_interval,
                samples=options.samples,
                until=deadline,
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
