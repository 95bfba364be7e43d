"""Commands in flight when a process is killed: every one must end final.

`wait_campaign`: stations that answer each CALL after a delay, `ocpp-cable api` with
many `POST /api/v1/stations/{id}/commands?wait=30` in flight to them, and one
process killed with SIGKILL meanwhile: first rpc_app while the stations hold
their answers (started again a few seconds later), then the API while it takes
the requests. Afterwards every command the API recorded must be final: answered
by its station, or ended by rpc_app's sweep within the bound the docs give
(docs/operators.md, "Commands with results"); with rpc_app killed, every client
waiting gets its station's answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from sqlalchemy import select

from faults.charger import AnsweringCharger
from faults.system import System, database
from ocpp_cable.channels.domain import commands, presence, viewers
from ocpp_cable.channels.settings import Settings
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import ChargePoint, Command


@dataclass(frozen=True)
class Timings:
    """How the system runs and the stations answer (seconds)."""

    delay: float = 3.0  # a station's time to answer
    wait: float = 30.0  # the clients' ?wait=
    call_timeout: float = 10.0
    reply_retry_time: float = 60.0
    rpc_timeout: float = 5.0
    rpc_down: float = 5.0  # rpc_app killed, then started again after this

    def flags(self) -> tuple[str, ...]:
        """The flags of rpc_app, the gateway and the API alike: the API's waits end where
        rpc_app's sweep ends a command."""
        return (
            "--call-timeout", str(self.call_timeout),
            "--rpc-timeout", str(self.rpc_timeout),
            "--reply-retry-time", str(self.reply_retry_time),
        )  # fmt: skip

    def bound(self, per_station: int) -> float:
        """Seconds after it was sent by which a command is final at the latest (docs/operators.md,
        "Commands with results"): its station's queue of `per_station` commands answered
        in time, then the grace, then the sweep that ends it."""
        settings = Settings(
            call_timeout=self.call_timeout,
            reply_retry_time=self.reply_retry_time,
            rpc_timeout=self.rpc_timeout,
        )
        patience = commands.patience(settings)
        return per_station * patience.per_call + patience.grace + commands.SWEEP_LATENESS


@dataclass
class WaitRound:
    victim: str  # the process killed: "rpc" or "api"
    database: str
    stations: int
    posted: int
    clients: Counter = field(default_factory=Counter)  # what the ?wait requests got
    recorded: int = 0  # commands the API recorded
    outcomes: Counter = field(default_factory=Counter)  # "accepted", "error NotSent", ...
    left_open: list[str] = field(default_factory=list)
    settled_in: float = 0.0  # seconds from the kill to the last command's final state
    bound: float = 0.0  # seconds from the kill the last one may take at most

    @property
    def ok(self) -> bool:
        """Every command final within the bound; with rpc_app killed (and back well within
        --reply-retry-time), each with its station's answer, told to its waiting client."""
        if self.left_open or self.settled_in > self.bound:
            return False
        if self.victim == "rpc":
            return self.outcomes == Counter(accepted=self.posted) == self.clients
        return True


async def wait_campaign(
    kind: str,
    tmp: Path,
    victim: str,
    stations: int = 50,
    posts: int = 100,
    timings: Timings = Timings(),
) -> WaitRound:
    """Kill `victim` ("rpc" or "api") with `posts` commands in flight to `stations`."""
    with database(kind, tmp, prefix=f"ocpp_cable_waits_{victim}") as url:
        flags = dict.fromkeys(("rpc", "gateway", "api"), timings.flags())
        system = System(url, tmp, flags=flags)
        ids = [f"W-{n:03}" for n in range(stations)]
        fleet = [AnsweringCharger(system.url, station_id, timings.delay) for station_id in ids]
        stop = asyncio.Event()
        running = None
        try:
            await asyncio.to_thread(system.start)
            await asyncio.to_thread(system.start_api)
            with db.session_scope(url) as session:
                token = viewers.add_viewer(session, "faults", viewers.WRITE)
            running = asyncio.gather(*(c.run(stop) for c in fleet))
            await _until(lambda: _present(url, ids), within=60)
            return await _Round(system, url, token, ids, fleet, posts, timings).play(kind, victim)
        finally:
            stop.set()
            if running is not None:
                await asyncio.wait_for(running, timeout=30)
            await asyncio.to_thread(system.stop)


class _Round:
    def __init__(self, system, url, token, ids, fleet, posts, timings) -> None:
        self.system, self.url, self.token = system, url, token
        self.ids, self.fleet, self.posts, self.timings = ids, fleet, posts, timings

    async def play(self, kind: str, victim: str) -> WaitRound:
        timings = self.timings
        per_station = math.ceil(self.posts / len(self.ids))
        report = WaitRound(victim, kind, len(self.ids), self.posts)
        report.bound = timings.bound(per_station)
        before = _command_ids(self.url)
        taken = [c.received for c in self.fleet]
        headers = {"Authorization": f"Bearer {self.token}"}
        limit = aiohttp.ClientTimeout(total=timings.wait + 30)
        async with aiohttp.ClientSession(headers=headers, timeout=limit) as http:
            requests = [
                asyncio.create_task(self._post(http, self.ids[n % len(self.ids)]))
                for n in range(self.posts)
            ]
            if victim == "rpc":
                # Every station holds an answer to give when rpc_app goes.
                await _until(
                    lambda: all(c.received > t for c, t in zip(self.fleet, taken, strict=True))
                )
            else:
                # The API has taken about half the requests.
                await _until(lambda: len(_command_ids(self.url) - before) >= self.posts // 2)
            self.system.kill(victim)
            killed = datetime.now(UTC)
            if victim == "rpc":
                await asyncio.sleep(timings.rpc_down)
                await asyncio.to_thread(self.system.start_rpc)
            report.clients.update(await asyncio.gather(*requests))
        ours = sorted(_command_ids(self.url) - before)
        report.recorded = len(ours)
        with contextlib.suppress(TimeoutError):  # what is still open then is counted below
            await _until(lambda: _all_final(self.url, ours), within=report.bound + 10)
        last = killed
        for command_id, (status, code, answered_at) in _states(self.url, ours).items():
            if status in commands.OPEN:
                report.left_open.append(command_id)
                continue
            report.outcomes[f"{status} {code}" if code else status] += 1
            last = max(last, answered_at)
        report.settled_in = (last - killed).total_seconds()
        return report

    async def _post(self, http: aiohttp.ClientSession, station_id: str) -> str:
        """What one client waiting for its command got: its status, or how it failed."""
        url = f"{self.system.api_url}/stations/{station_id}/commands?wait={self.timings.wait:g}"
        try:
            async with http.post(url, json={"action": "ClearCache", "payload": {}}) as response:
                if response.status != 201:
                    return f"HTTP {response.status}"
                return (await response.json())["status"]
        except (aiohttp.ClientError, TimeoutError):
            return "connection lost"


def _command_ids(url: str) -> set[str]:
    with db.session_scope(url) as session:
        return set(session.scalars(select(Command.id)))


def _states(url: str, ids: list[str]) -> dict[str, tuple[str, str | None, datetime | None]]:
    with db.session_scope(url) as session:
        rows = session.execute(
            select(Command.id, Command.status, Command.error_code, Command.answered_at).where(
                Command.id.in_(ids)
            )
        ).all()
    return {command_id: (status, code, at) for command_id, status, code, at in rows}


def _all_final(url: str, ids: list[str]) -> bool:
    return all(status not in commands.OPEN for status, _, _ in _states(url, ids).values())


def _present(url: str, ids: list[str]) -> bool:
    with db.session_scope(url) as session:
        found = session.scalars(select(ChargePoint).where(ChargePoint.id.in_(ids))).all()
        return len(found) == len(ids) and all(presence.presence(session, found).values())


async def _until(check, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while not await asyncio.to_thread(check):
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {within} s")
        await asyncio.sleep(0.01)
