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
import functools
import itertools
import random
import signal
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import websockets
from websockets.asyncio.client import connect as websocket_connect
from websockets.proxy import get_proxy
from websockets.uri import parse_uri

from ocpp_cable.ocppj import frames, versions
from ocpp_cable.simulator import ocpp2, ocpp16, transfers
from ocpp_cable.simulator.dialects import (
    ConnectorState,
    Dialect,
    Message,
    Payload,
    Session,
    StopReason,
)
from ocpp_cable.simulator.state import (
    Reservation,
    SessionRecord,
    StationState,
    energy_wh,
    jitter,
    power_curve,
)

# The versions the simulator speaks, by name, and the dialect of each.
DIALECTS: dict[str, Dialect] = {"1.6": ocpp16, "2.0.1": ocpp2, "2.1": ocpp2}

# When --duration ends (or Ctrl-C), chargers stop their sessions at once (StopTransaction)
# and close; whatever is still under way END_GRACE later (an answer, a connection, a
# closing handshake) is cut off, so a run ends within END_GRACE of its duration.
END_GRACE = 1.0


class CallFailed(Exception):
    """The central system answered a CALL with a CALLERROR, or not at all."""

    def __init__(self, code: str, description: str = "") -> None:
        super().__init__(f"{code}: {description}")
        self.code = code


def proxy_for(url: str) -> str | None:
    """The proxy the environment names for `url` (None: none), looked up once per
    server: a fleet connecting at once would otherwise read the environment twice for
    each charger, and that was most of what a connect cost the driver."""
    uri = parse_uri(url)
    return _proxy_for_server(uri.host, uri.port, uri.secure)


@functools.lru_cache(maxsize=64)
def _proxy_for_server(host: str, port: int, secure: bool) -> str | None:
    scheme = "wss" if secure else "ws"
    return get_proxy(parse_uri(f"{scheme}://{host}:{port}/"))


@dataclass
class Stats:
    """What a run of simulated chargers saw."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    commands: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    # Attempts the central system refused ("StartTransaction ConcurrentTx": n): no energy.
    refusals: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    sessions: int = 0  # sessions charged to their end
    connected: int = 0  # chargers that connected (once each, however often they reconnect)
    connect_failures: int = 0

    @property
    def messages(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    @property
    def refused(self) -> int:
        return sum(self.refusals.values())

    def record(self, action: str, seconds: float) -> None:
        self.latencies[action].append(seconds)

    def fail(self, what: str) -> None:
        self.errors[what] += 1

    def refuse(self, what: str) -> None:
        self.refusals[what] += 1


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# Seconds a reset charger is away before it connects and boots again.
REBOOT_SECONDS = 1.0
# The most an EV draws when not told otherwise (W): a 32 A single-phase or 11 kW wallbox.
MAX_POWER_W = 7400.0


class SimCharger:
    """One charger with one connector: sessions one after another, started by the
    simulation (`charge`) or by the central system (a remote start), and the answers
    to the central system's commands, kept in its `state`."""

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
        id_tag: str = "SIM",
        max_power_w: float = MAX_POWER_W,
        ending: asyncio.Event | None = None,
    ) -> None:
        self.url = f"{url.rstrip('/')}/{station_id}"
        self.station_id = station_id
        self.stats = stats
        self.password = password
        self.call_timeout = call_timeout
        self.version = versions.named(ocpp_version)
        self.dialect = DIALECTS[ocpp_version]
        # Every session's shape: MeterValues every `meter_interval` s, `samples` of them,
        # stopped early at `until` (time.monotonic()) or once `ending` is set.
        self.meter_interval = meter_interval
        self.samples = samples
        self.until = until
        self.ending = ending if ending is not None else asyncio.Event()
        self.id_tag = id_tag
        self.max_power_w = max_power_w
        self.state = StationState()
        self.state.security_profile = 2 if self.url.startswith("wss://") else 1
        self.ws: Any = None
        self.meter_wh = float(random.randint(0, 50_000))
        self.power_w = 0.0
        self.connector: ConnectorState | None = None  # the state last reported
        self.session: Session | None = None
        self.reset_reason: StopReason | None = None  # a reset asked for (None: none)
        self.resetting = False  # a reset is under way: the charger reconnects, boots again
        self._counted = False
        self._free = asyncio.Event()  # set while no session holds the connector
        self._free.set()
        self._stop = asyncio.Event()  # the central system asked to stop the session
        self._stop_reason: StopReason = "Remote"
        self._wake = asyncio.Event()  # a reset or a lost connection ends the idle wait
        self._remote: asyncio.Task[None] | None = None  # a session the central system started
        self._tasks: set[asyncio.Task[None]] = set()  # what the charger does after answering
        self._heartbeat: asyncio.Task[None] | None = None
        self._pending: dict[str, tuple[asyncio.Future[Payload], str, float]] = {}
        self._reader: asyncio.Task[None] | None = None
        self.received_calls: asyncio.Queue[tuple[str, Payload]] = asyncio.Queue()

    @property
    def heartbeat_interval(self) -> int:
        return self.state.heartbeat_interval

    @property
    def ocpp_version(self) -> str:
        return self.version.name

    @property
    def connected(self) -> bool:
        return self.ws is not None and self._reader is not None and not self._reader.done()

    async def connect(self) -> None:
        headers = {}
        if self.password:
            token = base64.b64encode(f"{self.station_id}:{self.password}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        self.ws = await websocket_connect(
            self.url,
            proxy=proxy_for(self.url),
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
        if not self._counted:
            self.stats.connected += 1
            self._counted = True
        self._wake.clear()
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        if self._remote is not None:
            self._remote.cancel()
        for task in (self._heartbeat, *self._tasks):
            if task is not None and task is not asyncio.current_task():
                task.cancel()
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
        try:
            await self.ws.send(frames.encode_call(unique_id, action, payload or {}))
        except websockets.ConnectionClosed:
            self._pending.pop(unique_id, None)
            raise CallFailed("Disconnected", f"{action} not sent") from None
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
            self._wake.set()
            for future, _, _ in self._pending.values():
                if not future.done():
                    future.set_exception(CallFailed("Disconnected"))

    async def _answer(self, unique_id: str, action: str, payload: Payload) -> None:
        self.stats.commands[action] += 1
        self.received_calls.put_nowait((action, payload))
        try:
            answer = self.dialect.answer(action, payload, self)
        except (KeyError, TypeError, ValueError) as exc:
            code, description = self.version.codes.format_violation, f"{action}: no {exc}"
            await self.ws.send(frames.encode_error(unique_id, code, description))
            return
        if answer is None:
            error = frames.encode_error(unique_id, "NotImplemented", f"{action} is not simulated")
            await self.ws.send(error)
            return
        if answer.start is not None:
            self._occupy(answer.start)  # now: a second remote start must find it taken
        if answer.stop is not None and self.session is not None:
            self._stop_reason = answer.stop
            self._stop.set()
        await self.ws.send(frames.encode_result(unique_id, answer.payload))
        if answer.start is not None:  # after the answer: the session's CALLs come second
            self._remote = asyncio.create_task(self._remote_session(answer.start))
        if answer.then is not None:
            self._later(self._after(*answer.then))

    def _later(self, work: Any) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _after(self, what: str, detail: Any) -> None:
        """What a command's answer promised, done once it is sent."""
        with contextlib.suppress(CallFailed):
            if what in ("status", "reserved"):
                if self.session is None:
                    await self.report(self.state.idle_state(time.time()))
                if what == "reserved":
                    self._later(self._expire(detail))
                else:
                    for message in detail or ():
                        await self.request(message)
            elif what == "send":
                for message in detail:
                    await self.request(message)
            elif what == "reset":
                await self.reset(detail)
            elif what == "password":
                await self.reconnect_with(detail)
            elif what == "trigger":
                await self.trigger(detail)
            elif what == "firmware":
                await transfers.update_firmware(self, detail)
            elif what == "diagnostics":
                await transfers.upload_diagnostics(self, *detail)

    async def _expire(self, reservation: Reservation) -> None:
        """At its expiry a reservation still held ends: the charger says so (2.x
        ReservationStatusUpdate Expired) and reports the connector free again."""
        await asyncio.sleep(max(reservation.expires - time.time(), 0))
        if self.state.reservation is not reservation:
            return  # used, cancelled or replaced
        self.state.reservation = None
        with contextlib.suppress(CallFailed):
            message = self.dialect.reservation_update(reservation.reservation_id, "Expired")
            if message is not None:
                await self.request(message)
            if self.session is None and self.connected:
                await self.report(self.state.idle_state(time.time()))

    # --- what a charger does -------------------------------------------------------------

    async def boot(self, reason: str = "PowerUp") -> Payload:
        """BootNotification until accepted (Pending or Rejected: again after the interval
        it is told), then the connector's state and heartbeats."""
        while True:
            reply = await self.request(
                self.dialect.boot(self.station_id, reason, self.state.firmware_version)
            )
            self.state.heartbeat_interval = reply.get("interval") or self.heartbeat_interval
            if reply.get("status", "Accepted") == "Accepted":
                break
            if not await pause(reply.get("interval") or 10, self.until, self.ending, self._wake):
                raise CallFailed("NotAccepted", f"BootNotification {reply.get('status')}")
        self.connector = None
        await self.report(self.state.idle_state(time.time()))
        if self._heartbeat is None or self._heartbeat.done():
            self._heartbeat = asyncio.create_task(self._heartbeats())
        return reply

    async def _heartbeats(self) -> None:
        with contextlib.suppress(CallFailed):
            while await pause(max(self.heartbeat_interval, 1), None, self._wake):
                await self.request(self.dialect.heartbeat())

    async def report(self, state: ConnectorState) -> None:
        """Tell the central system the connector's state, if its version has a word for it."""
        message = self.dialect.status(state)
        self.connector = state
        if message is not None:
            await self.request(message)

    async def trigger(self, message: str) -> None:
        """Send the message a TriggerMessage asked for."""
        if message == "BootNotification":
            await self.request(
                self.dialect.boot(self.station_id, "Triggered", self.state.firmware_version)
            )
        elif message == "Heartbeat":
            await self.request(self.dialect.heartbeat())
        elif message == "StatusNotification":
            state = self.connector or self.state.idle_state(time.time())
            await self.request(self.dialect.status(state) or self.dialect.status("Preparing"))
        elif message in ("MeterValues", "TransactionEvent"):
            await self.request(self.dialect.triggered_meter(self.session, round(self.meter_wh)))
        elif message in ("FirmwareStatusNotification",):
            await self.request(self.dialect.firmware_status(transfers.IDLE, None))
        elif message in ("DiagnosticsStatusNotification", "LogStatusNotification"):
            await self.request(self.dialect.upload_status(transfers.IDLE, None))

    async def reset(self, reason: StopReason | None) -> None:
        """Stop the session (reason given) or wait for it to end (None: 2.x OnIdle), then
        disconnect: the driver connects again and boots."""
        if self.session is not None:
            if reason is not None:
                self._stop_reason = reason
                self._stop.set()
            await self._free.wait()
            if self._remote is not None:
                with contextlib.suppress(asyncio.CancelledError, CallFailed):
                    await self._remote
        self.resetting = True
        self._wake.set()
        await self.ws.close()

    async def reconnect_with(self, password: str) -> None:
        """A new password accepted: leave and connect again presenting it (OCPP 2.0.1
        A01, the 1.6 security whitepaper's AuthorizationKey)."""
        self.password = password
        self._wake.set()
        await self.ws.close()

    async def charge(self, id_tag: str | None = None) -> bool:
        """One session: authorize, start, periodic meter values with the power an EV
        draws, stop. False if the connector was not free for `id_tag` (unavailable, or
        reserved for another) or the central system refused it.

        Waits while a session the central system started holds the connector. At
        `until` the session stops early, with reason Local.
        """
        while self.session is not None:
            await self._free.wait()
        id_tag = id_tag or self.id_tag
        if not self.state.may_start(id_tag, time.time()):
            return False
        session = Session(id_tag)
        self._occupy(session)
        return await self._run(session)

    async def idle(self) -> None:
        """Wait for a session the central system started to end (by `until` at the latest)."""
        if self._remote is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._remote

    def _occupy(self, session: Session) -> None:
        now = time.time()
        reservation = self.state.reservation_holds(now)
        if reservation is not None and self.state.holds_for(session.id_tag, now, session.group):
            session.reservation_id = reservation.reservation_id
        self.session = session
        self._free.clear()
        self._stop.clear()

    async def _remote_session(self, session: Session) -> None:
        with contextlib.suppress(CallFailed):  # counted in stats; the connection is gone
            await self._run(session)

    def power(self, sample: int) -> float:
        """The power the EV draws at `sample` (1..samples), within the limit in force."""
        session = self.session
        power = power_curve((sample - 0.5) / max(self.samples, 1), self.max_power_w)
        started = session.started_at if session is not None else None
        limit = self.state.limits.limit(time.time(), started)
        return power if limit is None else min(power, limit)

    async def _run(self, session: Session) -> bool:
        charged = False
        try:
            charged = await self._session(session)
        finally:
            self.session = None
            self.power_w = 0.0
            self.state.limits.clear_transaction()
            if self.state.available_after_session is not None:
                self.state.available = self.state.available_after_session
                self.state.available_after_session = None
            self._free.set()
        if self.connected and not self.resetting:
            await self.report(self.state.idle_state(time.time()))
        return charged

    async def _session(self, session: Session) -> bool:
        if not session.remote:  # a remote start's idTag is the central system's own
            status = self.dialect.authorized(
                await self.request(self.dialect.authorize(session.id_tag))
            )
            if status != "Accepted":
                self.stats.refuse(f"Authorize {status}")
                return False  # refused before the cable: nothing starts
        await self.report("Preparing")
        start = self.dialect.start(session, round(self.meter_wh))
        status = self.dialect.started(session, await self.request(start))
        if status != "Accepted":
            # The transaction exists (1.6 4.8; 2.x E05): it ends at once, nothing charged.
            self.stats.refuse(f"{start[0]} {status}")
            await self.request(self.dialect.stop(session, round(self.meter_wh), "DeAuthorized"))
            await self.report("Finishing")
            return False
        session.started_at = time.time()
        meter_start = round(self.meter_wh)
        if session.reservation_id is not None:
            self.state.reservation = None  # used
        await self.report("Charging")
        reason: StopReason = "EVDisconnected"
        last = time.monotonic()
        for sample in range(1, self.samples + 1):
            if not await pause(self.meter_interval, self.until, self._stop, self.ending):
                reason = self._stop_reason if self._stop.is_set() else "Local"
                break
            now = time.monotonic()
            self.power_w = self.power(sample)
            self.meter_wh += energy_wh(self.power_w, now - last)
            last = now
            await self.request(self.dialect.meter(session, round(self.meter_wh), self.power_w))
        self.power_w = 0.0
        await self.request(self.dialect.stop(session, round(self.meter_wh), reason))
        charged = round(self.meter_wh) - meter_start
        started, ended = session.started_at, time.time()
        self.state.session_ended(
            SessionRecord(session.id_tag, session.transaction_id, started, ended, charged)
        )
        await self.report("Finishing")
        self.stats.sessions += 1
        return True

    async def serve(self, idle: float, reason: str = "PowerUp") -> None:
        """Boot, then sessions with `idle` seconds (jittered) between them, until the run
        ends, a reset or the connection is lost."""
        self.resetting = False
        await self.boot(reason)
        if reason != "PowerUp":  # back from a reset: no EV is waiting at once
            await pause(jitter(idle), self.until, self.ending, self._wake)
        while not self._over():
            await self.charge()
            if self._over():
                break
            await pause(jitter(idle), self.until, self.ending, self._wake)
        if not self.resetting:
            await self.idle()

    def _over(self) -> bool:
        ended = self.ending.is_set() or self._wake.is_set() or not self.connected
        return ended or (self.until is not None and time.monotonic() >= self.until)


async def pause(seconds: float, until: float | None = None, *interrupts: asyncio.Event) -> bool:
    """Sleep `seconds`, but not past `until` (time.monotonic()) nor one of `interrupts`
    being set; False if one of them came first."""
    remaining = float("inf") if until is None else until - time.monotonic()
    delay = max(min(seconds, remaining), 0)
    events = [event for event in interrupts if event is not None]
    if any(event.is_set() for event in events):
        return False
    if not events:
        await asyncio.sleep(delay)
    else:
        waits = [asyncio.create_task(event.wait()) for event in events]
        try:
            done, _ = await asyncio.wait(waits, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()
        if done:
            return False
    return seconds < remaining


@dataclass
class SimulationOptions:
    url: str
    count: int = 10
    ramp_up: float = 1.0
    meter_interval: float = 5.0
    samples: int = 6
    duration: float = 60.0  # the run ends then, within END_GRACE; 0: at Ctrl-C
    password: str | None = None
    id_prefix: str = "SIM-"
    id_tag: str | None = None  # every charger presents this one; None: each its own
    id_tags: list[str] = field(default_factory=list)  # charger n presents the n-th (cycled)
    ids: list[str] = field(default_factory=list)  # the station ids, exactly (else prefixed)
    idle: float = 30.0  # seconds between sessions, give or take half
    ocpp_version: str = "1.6"  # a key of DIALECTS

    def station_ids(self) -> list[str]:
        return list(self.ids) or [f"{self.id_prefix}{i:05d}" for i in range(self.count)]

    def tag_of(self, n: int) -> str:
        """The idTag charger `n` presents."""
        if self.id_tag is not None:
            return self.id_tag
        if self.id_tags:
            return self.id_tags[n % len(self.id_tags)]
        return f"TAG-{n:05d}"


async def _drive(charger: SimCharger, options: SimulationOptions) -> None:
    """Keep the charger connected and charging until the run ends: a lost connection is
    connected again (backing off), a reset charger boots again."""
    backoff, reason = 1.0, "PowerUp"
    while not (charger.ending.is_set() or _past(charger.until)):
        try:
            await charger.connect()
        except (OSError, websockets.InvalidHandshake, TimeoutError) as exc:
            charger.stats.connect_failures += 1
            charger.stats.fail(f"connect: {type(exc).__name__}")
            if not await pause(backoff, charger.until, charger.ending):
                return
            backoff = min(backoff * 2, 30.0)
            continue
        backoff = 1.0
        try:
            await charger.serve(options.idle, reason)
        except CallFailed:
            pass  # counted in stats; the charger connects again
        finally:
            await charger.close()
        if charger.resetting:
            reason = "RemoteReset"
            await pause(REBOOT_SECONDS, charger.until, charger.ending)
        else:
            reason = "PowerUp"
            await pause(backoff, charger.until, charger.ending)


def _past(until: float | None) -> bool:
    return until is not None and time.monotonic() >= until


async def simulate(
    options: SimulationOptions,
    progress: bool = True,
    ending: asyncio.Event | None = None,
    stats: Stats | None = None,
) -> Stats:
    """Run the chargers until --duration ends (0: until `ending` is set, e.g. Ctrl-C),
    counting in `stats` (a new one when not given)."""
    stats = stats if stats is not None else Stats()
    ending = ending if ending is not None else asyncio.Event()
    started = time.monotonic()
    forever = options.duration <= 0
    deadline = float("inf") if forever else started + options.duration
    until = None if forever else deadline
    tasks: dict[asyncio.Task[None], SimCharger] = {}
    ids = options.station_ids()
    gap = options.ramp_up / max(len(ids), 1)
    reporter = asyncio.create_task(_report(stats, started, deadline)) if progress else None
    try:
        for i, station_id in enumerate(ids):
            if time.monotonic() >= deadline or ending.is_set():
                break  # a ramp-up longer than the run: the rest never start
            charger = SimCharger(
                options.url,
                station_id,
                stats,
                options.password,
                ocpp_version=options.ocpp_version,
                meter_interval=options.meter_interval,
                samples=options.samples,
                until=until,
                id_tag=options.tag_of(i),
                ending=ending,
            )
            tasks[asyncio.create_task(_drive(charger, options))] = charger
            if gap:
                await pause(gap, until, ending)
        if tasks:
            end = asyncio.create_task(ending.wait())
            remaining = None if forever else max(deadline - time.monotonic(), 0)
            await asyncio.wait(
                [*tasks, end], timeout=remaining, return_when=asyncio.FIRST_COMPLETED
            )
            ending.set()  # the deadline, or Ctrl-C: every charger stops its session now
            end.cancel()
            _, late = await asyncio.wait(tasks, timeout=END_GRACE)
            for task in late:
                charger = tasks[task]
                if charger.ws is None:
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
            _print_progress(stats, started, deadline, "\n")  # the last word agrees with the summary
    return stats


async def _report(stats: Stats, started: float, deadline: float) -> None:
    end = "\r" if sys.stderr.isatty() else "\n"
    while True:
        await asyncio.sleep(1)
        _print_progress(stats, started, deadline, end)


def _print_progress(stats: Stats, started: float, deadline: float, end: str) -> None:
    elapsed = time.monotonic() - started
    left = deadline - time.monotonic()
    remaining = "until Ctrl-C" if left == float("inf") else f"remaining {max(left, 0):.0f}s"
    print(
        f"{elapsed:5.0f}s  connected {stats.connected}  sessions {stats.sessions}  "
        f"refused {stats.refused}  messages {stats.messages}  "
        f"errors {sum(stats.errors.values())}  {remaining}",
        end=end,
        file=sys.stderr,
        flush=True,
    )


def summary(stats: Stats, elapsed: float) -> str:
    lines = [
        f"chargers connected {stats.connected}, connect failures {stats.connect_failures}, "
        f"sessions {stats.sessions}, refused {stats.refused}, messages {stats.messages} "
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
    if stats.refusals:
        lines += ["", "refused (nothing charged):"]
        lines += [f"  {k}: {v}" for k, v in sorted(stats.refusals.items())]
    if stats.commands:
        lines += ["", "commands answered:"]
        lines += [f"  {k}: {v}" for k, v in sorted(stats.commands.items())]
    return "\n".join(lines)


def run_cli(options: SimulationOptions) -> int:
    """Run, print the summary: exit 1 on errors, or when every attempt was refused."""
    import uvloop

    started = time.monotonic()
    stats = uvloop.run(_until_interrupted(options))
    print(summary(stats, time.monotonic() - started))
    refused_only = stats.refused and not stats.sessions
    return 0 if not stats.errors and not refused_only else 1


async def _until_interrupted(options: SimulationOptions) -> Stats:
    """simulate(), ended early by Ctrl-C (SIGINT) or SIGTERM: the chargers stop their
    sessions and close as at the end of --duration. A second Ctrl-C interrupts at once."""
    loop = asyncio.get_running_loop()
    ending = asyncio.Event()

    def interrupted(signum: int) -> None:
        ending.set()
        loop.remove_signal_handler(signum)

    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signum, interrupted, signum)
    return await simulate(options, ending=ending)
