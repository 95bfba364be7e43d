"""The fault campaigns: processes killed under load, and a fuzzed protocol line.

`kill_campaign`: chargers run charging sessions against `ocpp-cable rpc` and
`ocpp-cable gateway` while one or the other is killed with SIGKILL and started
again; the chargers re-send what was not acked. At the end every acked message
must be stored, once: acked = stored, on SQLite and on PostgreSQL.

`fuzz_campaign`: connections send a mix of schema-valid CALLs and broken frames.
Every schema-valid CALL must get a definitive answer (never InternalError), every
reply must be well formed, and the gateway must still serve, with its memory and
its /metrics bounded and no traceback in any log. Half the 1.6 MeterValues and
StopTransactions name a transaction another connection's station started: none may
be counted into it.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import websockets
from sqlalchemy import func, select

from faults.charger import Ledger, RetryingCharger
from faults.payloads import bent_call, broken_frame, valid_call
from faults.system import System, database
from ocpp_cable.channels.domain.stations import add_station, set_tolerated_rules
from ocpp_cable.channels.handlers.ocpp_channel import OCPPChannel
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import MeterValue, Transaction
from ocpp_cable.contract.naming import action_method_name
from ocpp_cable.ocppj import leniency, versions
from ocpp_cable.ocppj.versions import Version
from ocpp_cable.rpc_app.channel import action_methods


@dataclass
class KillReport:
    database: str
    chargers: int
    seconds: float
    kills: dict[str, int]
    ledger: Ledger
    stored_readings: int = 0
    lost: list[tuple[str, str]] = field(default_factory=list)  # acked, not stored
    duplicated: list[tuple[str, str]] = field(default_factory=list)  # stored twice
    unexpected: list[tuple[str, str]] = field(default_factory=list)  # stored, never sent
    transactions: int = 0
    transaction_problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (
            self.lost
            or self.duplicated
            or self.unexpected
            or self.transaction_problems
            or self.ledger.refused
        )


async def kill_campaign(
    kind: str, tmp: Path, chargers: int = 20, kills: int = 2, every: float = 2.0
) -> KillReport:
    """Kill rpc_app and the gateway in turn (`kills` in all, one each `every` seconds)
    under load, and start each again; the load goes on `every` seconds past the last."""
    with database(kind, tmp) as url:
        system = System(url, tmp)
        system.start()
        ledger = Ledger()
        fleet = [RetryingCharger(system.url, f"K-{n:03}", ledger) for n in range(chargers)]
        started = time.monotonic()
        stop = asyncio.Event()
        try:
            load = asyncio.gather(*(c.run(stop) for c in fleet))
            for n in range(kills):
                await asyncio.sleep(every)
                victim = ("rpc", "gateway")[n % 2]
                system.kill(victim)
                await asyncio.sleep(0.5)  # the chargers see the outage
                await asyncio.to_thread(getattr(system, f"start_{victim}"))
            await asyncio.sleep(every)  # the load goes on past the last restart
            stop.set()
            await asyncio.wait_for(load, timeout=120)
        finally:
            system.stop()
        seconds = time.monotonic() - started
        report = KillReport(kind, chargers, seconds, dict(system.kills), ledger)
        _account(url, report)
        return report


def _account(url: str, report: KillReport) -> None:
    ledger = report.ledger
    with db.session_scope(url) as session:
        rows = session.execute(
            select(MeterValue.station_id, MeterValue.value, func.count()).group_by(
                MeterValue.station_id, MeterValue.value
            )
        ).all()
        stored = {(station, value): count for station, value, count in rows}
        transactions = session.scalars(select(Transaction)).all()
    report.stored_readings = sum(stored.values())
    report.lost = sorted(ledger.readings - stored.keys())
    report.duplicated = sorted(k for k, n in stored.items() if n > 1)
    report.unexpected = sorted(stored.keys() - ledger.readings)
    report.transactions = len(transactions)
    by_id = {t.id: t for t in transactions}
    if len(transactions) != len(ledger.starts):
        report.transaction_problems.append(
            f"{len(ledger.starts)} starts acked, {len(transactions)} transactions stored"
        )
    for (station, _), tx in ledger.starts.items():
        if tx not in by_id or by_id[tx].station_id != station:
            report.transaction_problems.append(f"start of {station} acked as {tx}, not stored")
    for station, tx in ledger.stops:
        if tx not in by_id or by_id[tx].stop_time is None:
            report.transaction_problems.append(f"stop of {station} tx {tx} acked, not stored")


@dataclass
class FuzzReport:
    frames: int = 0
    valid_calls: int = 0
    broken_frames: int = 0
    # What the schema-valid CALLs got: "CALLRESULT", an error code, or "closed" (sent into
    # a connection the gateway was closing after a broken frame).
    valid_answers: Counter = field(default_factory=Counter)
    bent_calls: int = 0  # a lenient run's bent CALLs, and what they got
    bent_answers: Counter = field(default_factory=Counter)
    replies: Counter = field(default_factory=Counter)  # every frame read: CALLRESULT or code
    closes: Counter = field(default_factory=Counter)  # close codes the gateway chose
    violations: list[str] = field(default_factory=list)
    gateway_rss_growth_kb: int = 0
    metrics_bytes: int = 0
    tracebacks: int = 0
    # Transactions started, by id: their stations. Stops sent, as (station, transaction).
    started: dict[int, str] = field(default_factory=dict)
    stops_sent: set[tuple[str, int]] = field(default_factory=set)
    cross_station_writes: int = 0  # valid CALLs naming another station's transaction

    @property
    def ok(self) -> bool:
        return not self.violations and self.tracebacks == 0


async def fuzz_campaign(
    tmp: Path,
    frames: int = 20_000,
    connections: int = 8,
    seed: int = 1,
    valid: float = 0.25,
    version: Version = versions.OCPP16,
    actions: list[str] | None = None,
    lenient: bool = False,
) -> FuzzReport:
    """`frames` frames over `connections` connections of OCPP `version`, a share `valid`
    of them schema-valid CALLs of `actions` (default: all the version's; each answered
    before the next frame), the rest broken. `lenient`: the stations may break every
    rule ocppj.leniency repairs, so broken payloads reach the application repaired."""
    report = FuzzReport()
    fuzz = Fuzz(version, actions or sorted(version.charger_actions), seed, valid, lenient)
    with database("sqlite", tmp) as url:
        if lenient:
            _register_lenient(url, [f"FZ-{n:02}" for n in range(connections)])
        system = System(url, tmp)
        system.start()
        try:
            await asyncio.sleep(1)
            rss_before = system.gateway_rss_kb()
            per_connection = frames // connections
            await asyncio.gather(
                *(
                    _fuzz_connection(system.url, n, per_connection, fuzz, report)
                    for n in range(connections)
                )
            )
            await asyncio.sleep(1)
            report.gateway_rss_growth_kb = system.gateway_rss_kb() - rss_before
            await _check_still_serving(system, report, version)
        finally:
            system.stop()
        _check_ownership(url, report)
        report.tracebacks = sum(
            1
            for line in system.logs().splitlines()
            if '"exception"' in line or "Traceback" in line or "never retrieved" in line
        )
    return report


def _register_lenient(url: str, station_ids: list[str]) -> None:
    with db.session_scope(url) as session:
        for station_id in station_ids:
            add_station(session, station_id)
        session.flush()
        for station_id in station_ids:
            set_tolerated_rules(session, station_id, list(leniency.RULES))


def reference_actions(version: Version) -> list[str]:
    """The charger actions of `version` the reference central system has a method for:
    a valid CALL of any of them must get a CALLRESULT (the others get NotSupported)."""
    methods = action_methods(OCPPChannel)
    return sorted(a for a in version.charger_actions if action_method_name(a) in methods)


@dataclass(frozen=True)
class Fuzz:
    """What one campaign sends: its version, the valid CALLs' actions, seed and share."""

    version: Version
    actions: list[str]
    seed: int
    valid: float
    lenient: bool = False  # half the broken frames are bent CALLs, each answered


async def _fuzz_connection(url: str, n: int, count: int, fuzz: Fuzz, report: FuzzReport) -> None:
    rng = random.Random(fuzz.seed * 1000 + n)
    version, station = fuzz.version, f"FZ-{n:02}"
    ws = None
    for i in range(count):
        unique_id = f"z{n}-{i}"
        try:
            if ws is None:
                # Reads everything the gateway sends (no receive queue limit): the
                # half-dead peer has a test of its own.
                ws = await websockets.connect(
                    f"{url}/{station}",
                    subprotocols=[version.subprotocol],
                    max_size=None,
                    max_queue=None,
                )
            if rng.random() < fuzz.valid:
                action, frame = valid_call(rng, unique_id, version, fuzz.actions)
                if action in _NAMING_A_TRANSACTION and version is versions.OCPP16:
                    frame = _aimed(rng, frame, station, report)
                report.valid_calls += 1
                await ws.send(frame)
                try:
                    reply = await _answer(ws, unique_id, report, version)
                except websockets.ConnectionClosed:
                    report.valid_answers["closed"] += 1
                    raise
                report.valid_answers["CALLRESULT" if reply[0] == 3 else reply[2]] += 1
                if action == "StartTransaction" and reply[0] == 3:
                    report.started[reply[2]["transactionId"]] = station
                if reply[0] == 4 and reply[2] == "InternalError":
                    report.violations.append(f"InternalError for a valid {action}: {frame[:300]}")
            elif fuzz.lenient and rng.random() < 0.5:
                # Repaired or refused, never an InternalError: answered before the next.
                action, frame = bent_call(rng, unique_id, version, fuzz.actions)
                _note_stop(frame, station, report)  # a lenient station's stop closes too
                report.bent_calls += 1
                await ws.send(frame)
                reply = await _answer(ws, unique_id, report, version)
                report.bent_answers["CALLRESULT" if reply[0] == 3 else reply[2]] += 1
                if reply[0] == 4 and reply[2] == "InternalError":
                    report.violations.append(f"InternalError for a bent {action}: {frame[:300]}")
            else:
                # Not waited for: whatever it gets is read, and checked, on the next wait.
                report.broken_frames += 1
                broken = broken_frame(rng, unique_id, version)
                _note_stop(broken, station, report)
                await ws.send(broken)
            report.frames += 1
        except websockets.ConnectionClosed as exc:
            report.frames += 1
            report.closes[exc.rcvd.code if exc.rcvd else "none"] += 1
            ws = None
        except TimeoutError:
            report.violations.append(f"no answer to {unique_id} within 10 s")
            ws = None
    if ws is not None:
        await ws.close()


_NAMING_A_TRANSACTION = frozenset({"MeterValues", "StopTransaction"})


def _aimed(rng: random.Random, frame: str, station: str, report: FuzzReport) -> str:
    """Half the time, the CALL names a transaction another station started instead."""
    message = orjson.loads(frame)
    payload = message[3]
    theirs = [tx for tx, owner in report.started.items() if owner != station]
    if theirs and rng.random() < 0.5:
        payload["transactionId"] = rng.choice(theirs)
        report.cross_station_writes += 1
    frame = orjson.dumps(message).decode()
    _note_stop(frame, station, report)
    return frame


def _note_stop(frame: str | bytes, station: str, report: FuzzReport) -> None:
    """A StopTransaction the station sent, whatever its shape: a repaired one closes too."""
    try:
        message = orjson.loads(frame)
        if message[2] == "StopTransaction":
            report.stops_sent.add((station, int(float(message[3]["transactionId"]))))
    except (orjson.JSONDecodeError, TypeError, KeyError, IndexError, ValueError):
        pass  # no transaction a station could close


def _check_ownership(url: str, report: FuzzReport) -> None:
    """No reading counted into a transaction another station started, and no transaction
    closed but by a StopTransaction its own station sent (the fuzz has no operator)."""
    t, m = Transaction.__table__, MeterValue.__table__
    with db.session_scope(url) as session:
        foreign = session.execute(
            select(m.c.station_id, t.c.station_id, t.c.id)
            .join(t, t.c.id == m.c.transaction_id)
            .where(m.c.station_id != t.c.station_id)
            .limit(5)
        ).all()
        closed = session.execute(
            select(t.c.station_id, t.c.id).where(
                t.c.stop_time.is_not(None), t.c.station_transaction_id.is_(None)
            )
        ).all()
    for sender, owner, transaction_id in foreign:
        report.violations.append(f"{sender}'s reading counted into {owner}'s {transaction_id}")
    for owner, transaction_id in closed:
        if (owner, transaction_id) not in report.stops_sent:
            report.violations.append(f"{owner}'s transaction {transaction_id} closed by another")


async def _answer(
    ws, unique_id: str, report: FuzzReport, version: Version, wait: float = 10.0
) -> list[Any]:
    """The reply to `unique_id`; every frame read on the way is checked."""
    async with asyncio.timeout(wait):
        while True:
            text = await ws.recv()
            frame = orjson.loads(text)
            _check_reply(frame, report, version)
            if frame[1] == unique_id:
                return frame


def _check_reply(frame: Any, report: FuzzReport, version: Version) -> None:
    if not isinstance(frame, list) or not frame or not isinstance(frame[1], str):
        report.violations.append(f"malformed reply {frame!r:.200}")
    elif frame[0] == 3 and len(frame) == 3 and isinstance(frame[2], dict):
        report.replies["CALLRESULT"] += 1
    elif (
        frame[0] == 4
        and len(frame) == 5
        and frame[2] in version.codes.all
        and isinstance(frame[3], str)
        and isinstance(frame[4], dict)
    ):
        report.replies[frame[2]] += 1
    else:
        report.violations.append(f"unexpected frame {frame!r:.200}")


async def _check_still_serving(system: System, report: FuzzReport, version: Version) -> None:
    if not system.alive():
        report.violations.append("a process died")
        return
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{system.port}/health") as response:
            if response.status != 200:
                report.violations.append(f"/health answered {response.status}")
        async with http.get(f"http://127.0.0.1:{system.http_port}/metrics") as response:
            report.metrics_bytes = len(await response.read())
    async with websockets.connect(
        f"{system.url}/FZ-LAST", subprotocols=[version.subprotocol]
    ) as ws:
        await ws.send('[2,"last","Heartbeat",{}]')
        if orjson.loads(await ws.recv())[:2] != [3, "last"]:
            report.violations.append("a new station is not served after the run")
