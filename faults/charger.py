"""Chargers of the fault campaigns: one that keeps every transaction message until it is
acked, with a ledger of them; one that answers our commands after a delay.

As OCPP 1.6 (4.7) asks of a real charger, a StartTransaction, MeterValues or
StopTransaction that got no CALLRESULT (InternalError, a timeout, a dropped
connection) is sent again, unchanged, until it is acked; the charger reconnects
on its own. The ledger records what was sent and what was acked, so a run ends
with one question: is everything acked stored, once?
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import orjson
import websockets

REPLY_TIMEOUT = 10.0


@dataclass
class Ledger:
    """What the chargers sent and what the central system acked."""

    sent: int = 0  # messages (each counted once, however often it was re-sent)
    attempts: int = 0
    acked: int = 0
    refused: list[str] = field(default_factory=list)  # CALLERRORs other than InternalError
    reconnects: int = 0
    # (station_id, value) of every acked MeterValues sample; (station_id, tx) per start/stop.
    readings: set[tuple[str, str]] = field(default_factory=set)
    starts: dict[tuple[str, int], int] = field(default_factory=dict)
    stops: set[tuple[str, int]] = field(default_factory=set)


class RetryingCharger:
    _ids = itertools.count(1)

    def __init__(self, url: str, station_id: str, ledger: Ledger) -> None:
        self.url = f"{url.rstrip('/')}/{station_id}"
        self.station_id = station_id
        self.ledger = ledger
        self.ws: Any = None
        self.meter = 0
        self.sessions = 0

    async def run(self, stop: asyncio.Event, samples: int = 3) -> None:
        """Charging sessions until `stop` is set; the one under way is finished."""
        while not stop.is_set():
            await self.session(samples)
        await self.close()

    async def session(self, samples: int) -> None:
        self.sessions += 1
        start = {
            "connectorId": 1,
            "idTag": "FAULTS",
            "meterStart": self.meter,
            "timestamp": _now(),
        }
        reply = await self.send_until_acked("StartTransaction", start)
        tx = reply["transactionId"]
        self.ledger.starts[(self.station_id, self.sessions)] = tx
        for _ in range(samples):
            self.meter += 7
            reading = {"value": str(self.meter), "measurand": "Energy.Active.Import.Register"}
            values = {
                "connectorId": 1,
                "transactionId": tx,
                "meterValue": [{"timestamp": _now(), "sampledValue": [reading]}],
            }
            await self.send_until_acked("MeterValues", values)
            self.ledger.readings.add((self.station_id, reading["value"]))
        stop = {"transactionId": tx, "meterStop": self.meter, "timestamp": _now()}
        await self.send_until_acked("StopTransaction", stop)
        self.ledger.stops.add((self.station_id, tx))

    async def send_until_acked(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        self.ledger.sent += 1
        backoff = 0.1
        while True:
            self.ledger.attempts += 1
            try:
                if self.ws is None:
                    await self._connect()
                unique_id = str(next(self._ids))
                await self.ws.send(orjson.dumps([2, unique_id, action, payload]).decode())
                reply = await self._reply(unique_id)
            except (OSError, TimeoutError, websockets.WebSocketException):
                await self._drop()
            else:
                if reply[0] == 3:
                    self.ledger.acked += 1
                    return reply[2]
                if reply[2] != "InternalError":  # a refusal is definitive: not retried
                    self.ledger.refused.append(f"{action}: {reply[2]} {reply[3]}")
                    raise RuntimeError(f"{self.station_id} {action} refused: {reply[2:4]}")
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 1.0)

    async def _reply(self, unique_id: str) -> list[Any]:
        async with asyncio.timeout(REPLY_TIMEOUT):
            while True:
                frame = orjson.loads(await self.ws.recv())
                if frame[0] in (3, 4) and frame[1] == unique_id:
                    return frame
                if frame[0] == 2:  # a command for us: accepted, whatever it is
                    await self.ws.send(orjson.dumps([3, frame[1], {}]).decode())

    async def _connect(self) -> None:
        self.ws = await websockets.connect(
            self.url, subprotocols=["ocpp1.6"], open_timeout=5, ping_interval=None
        )
        self.ledger.reconnects += 1

    async def _drop(self) -> None:
        ws, self.ws = self.ws, None
        if ws is not None:
            ws.transport.abort()

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            self.ws = None


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class AnsweringCharger:
    """A station that answers every CALL `{"status": "Accepted"}` after `delay` seconds, one
    at a time as the gateway sends them; it connects again when its connection drops."""

    def __init__(self, url: str, station_id: str, delay: float) -> None:
        self.url = f"{url.rstrip('/')}/{station_id}"
        self.station_id = station_id
        self.delay = delay
        self.received = 0  # CALLs taken
        self.answered = 0  # CALLs answered

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                async with websockets.connect(
                    self.url, subprotocols=["ocpp1.6"], open_timeout=5, ping_interval=None
                ) as ws:
                    await self._serve(ws, stop)
            except (OSError, TimeoutError, websockets.WebSocketException):
                await asyncio.sleep(0.5)

    async def _serve(self, ws: Any, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                text = await asyncio.wait_for(ws.recv(), 0.5)
            except TimeoutError:
                continue
            frame = orjson.loads(text)
            if frame[0] != 2:
                continue
            self.received += 1
            await asyncio.sleep(self.delay)
            await ws.send(orjson.dumps([3, frame[1], {"status": "Accepted"}]).decode())
            self.answered += 1
