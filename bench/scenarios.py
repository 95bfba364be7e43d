"""What the benchmark asks of each system: closed-loop call paths, a reboot storm,
memory per idle charger, a broadcast to every station, a storm of every charger at once."""

from __future__ import annotations

import asyncio
import gc
import itertools
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import websockets

from bench.systems import System, rss_kb
from ocpp_cable.simulator import CallFailed, SimCharger, Stats, percentile

Script = Callable[[SimCharger], Awaitable[None]]
_counter = itertools.count()


def stamp() -> str:
    # Milliseconds, and a value that always rises: two readings are never the same
    # reading, so every one must be stored (a repeat would count as a retry).
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def meter_values(charger: SimCharger, transaction_id: int | None = None) -> dict:
    charger.meter_wh += 10
    payload = {
        "connectorId": 1,
        "meterValue": [
            {
                "timestamp": stamp(),
                "sampledValue": [
                    {
                        "value": str(round(charger.meter_wh)),
                        "measurand": "Energy.Active.Import.Register",
                        "unit": "Wh",
                        "context": "Sample.Periodic",
                    },
                    {"value": str(7000 + next(_counter) % 500), "measurand": "Power.Active.Import",
                     "unit": "W"},
                ],
            }
        ],
    }  # fmt: skip
    if transaction_id is not None:
        payload["transactionId"] = transaction_id
    return payload


SAMPLES_PER_METER_VALUES = 2


async def meter_values_loop(charger: SimCharger) -> None:
    await charger.call("MeterValues", meter_values(charger))


async def heartbeat_loop(charger: SimCharger) -> None:
    await charger.call("Heartbeat", {})


def status(state: str) -> dict:
    return {"connectorId": 1, "errorCode": "NoError", "status": state, "timestamp": stamp()}


async def session_loop(charger: SimCharger) -> None:
    """A charging session as a charger sends it: 12 calls, half of them meter values."""
    await charger.call("StatusNotification", status("Preparing"))
    start = await charger.call(
        "StartTransaction",
        {
            "connectorId": 1,
            "idTag": "BENCH",
            "meterStart": round(charger.meter_wh),
            "timestamp": stamp(),
        },
    )
    transaction_id = start["transactionId"]
    await charger.call("StatusNotification", status("Charging"))
    for _ in range(6):
        await charger.call("MeterValues", meter_values(charger, transaction_id))
    await charger.call("Heartbeat", {})
    stop = {
        "transactionId": transaction_id,
        "meterStop": round(charger.meter_wh),
        "timestamp": stamp(),
    }
    await charger.call("StopTransaction", stop)
    await charger.call("StatusNotification", status("Available"))


async def connect_all(url: str, ids: list[str], stats: Stats, limit: int) -> list[SimCharger]:
    """Connect and boot every charger, at most `limit` handshakes at once."""
    gate = asyncio.Semaphore(limit)
    chargers = [SimCharger(url, station_id, stats, call_timeout=60) for station_id in ids]

    async def one(charger: SimCharger) -> None:
        async with gate:
            try:
                await charger.connect()
                await charger.call(
                    "BootNotification",
                    {"chargePointVendor": "bench", "chargePointModel": "sim"},
                )
            except Exception as exc:
                stats.connect_failures += 1
                stats.fail(f"connect/boot: {type(exc).__name__}")

    await asyncio.gather(*(one(c) for c in chargers))
    return chargers


async def close_all(chargers: list[SimCharger]) -> None:
    await asyncio.gather(*(c.close() for c in chargers), return_exceptions=True)


async def throughput(
    url: str,
    prefix: str,
    script: Script,
    chargers: int,
    seconds: float,
    cpu_seconds: Callable[[], float] | None = None,
) -> dict[str, float]:
    """Every charger runs `script` back to back (one CALL outstanding) for `seconds`.

    A failed call counts as an error and the charger goes on, as a charger retries.
    `cpu_seconds`: the system's CPU time so far; read around the loop, it gives the CPU
    each call cost the system (connecting and closing the fleet not counted).
    """
    stats = Stats()
    fleet = await connect_all(url, [f"{prefix}-{i:05d}" for i in range(chargers)], stats, 200)
    fleet = [c for c in fleet if c.ws is not None]
    measured = Stats()
    for charger in fleet:
        charger.stats = measured
    deadline = time.monotonic() + seconds

    async def loop(charger: SimCharger) -> None:
        while time.monotonic() < deadline:
            try:
                await script(charger)
            except CallFailed as exc:
                if exc.code == "Disconnected":
                    return
                await asyncio.sleep(0.05)

    cpu_before = cpu_seconds() if cpu_seconds else float("nan")
    started = time.monotonic()
    await asyncio.gather(*(loop(c) for c in fleet))
    elapsed = time.monotonic() - started
    cpu_used = (cpu_seconds() if cpu_seconds else float("nan")) - cpu_before
    await close_all(fleet)
    values = [v for series in measured.latencies.values() for v in series]
    return {
        "cpu_us_per_call": cpu_used / max(len(values), 1) * 1e6,
        "cores": cpu_used / elapsed,
        "calls_per_s": len(values) / elapsed,
        "p50_ms": percentile(values, 0.5) * 1e3,
        "p99_ms": percentile(values, 0.99) * 1e3,
        "errors": sum(measured.errors.values()) + stats.connect_failures,
        "acked_meter_values": len(measured.latencies["MeterValues"]),
        # What the application saw and acked: the boots and every CALL but Heartbeat,
        # which the gateway answers itself.
        "acked_forwarded": len(values) - len(measured.latencies["Heartbeat"]) + len(fleet),
    }


async def storm_memory_broadcast(system: System, count: int) -> dict[str, float]:
    """N chargers connect and boot at once; then memory per idle charger and a broadcast."""
    await asyncio.sleep(1)
    baseline = rss_kb(system.memory_pid)
    stats = Stats()
    started = time.monotonic()
    fleet = await connect_all(system.url, [f"ST-{i:05d}" for i in range(count)], stats, 1000)
    storm_s = time.monotonic() - started
    booted = sum(1 for c in fleet if c.ws is not None) - stats.connect_failures
    await asyncio.sleep(3)  # idle: let buffers and garbage settle
    loaded = rss_kb(system.memory_pid)
    result = {
        "storm_s": storm_s,
        "storm_booted": booted,
        "storm_failures": stats.connect_failures,
        "kb_per_charger": (loaded - baseline) / max(booted, 1),
    }
    if system.broadcast_all:
        result.update(await broadcast_to_all(system, [c for c in fleet if c.ws is not None]))
    await close_all(fleet)
    gc.collect()
    return result


async def broadcast_to_all(system: System, live: list[SimCharger]) -> dict[str, float]:
    received_at: list[float] = []

    async def first_call(charger: SimCharger) -> None:
        await charger.received_calls.get()
        received_at.append(time.perf_counter())

    waiters = [asyncio.create_task(first_call(c)) for c in live]
    sent = time.perf_counter()
    await system.broadcast()
    _, pending = await asyncio.wait(waiters, timeout=60)
    for task in pending:
        task.cancel()
    latencies = sorted(t - sent for t in received_at)
    return {
        "broadcast_reached": len(latencies),
        "broadcast_p50_ms": percentile(latencies, 0.5) * 1e3,
        "broadcast_all_ms": (latencies[-1] * 1e3) if latencies else float("nan"),
    }


# Chargers the storm driver starts before it lets its loop serve the connections it
# started: started all in one turn, no request would leave before the last charger's
# connect was set up (seconds for 10,000), and the storm would wait for the driver.
STARTED_PER_TURN = 50


async def storm_at_once(url: str, ids: list[str]) -> dict[str, float]:
    """Every charger connects and boots at once, as after a power cut: no limit on
    handshakes under way, each charger waiting up to 60 s for its handshake (SimCharger's)
    and 60 s for its boot's answer. What became of them (refused: an HTTP status at the
    handshake; failed: anything else), and the seconds from the first start to the last
    boot."""
    stats = Stats()
    refused: Counter[int] = Counter()
    failed: Counter[str] = Counter()
    boots: list[float] = []

    async def one(charger: SimCharger) -> None:
        try:
            await charger.connect()
        except websockets.InvalidStatus as exc:
            refused[exc.response.status_code] += 1
            return
        except (OSError, websockets.WebSocketException, TimeoutError) as exc:
            failed[f"connect: {type(exc).__name__}"] += 1
            return
        boot = {"chargePointVendor": "bench", "chargePointModel": "sim"}
        try:
            await charger.call("BootNotification", boot)
            boots.append(time.monotonic())
        except CallFailed as exc:
            failed[f"boot: {exc.code}"] += 1

    chargers = [SimCharger(url, station_id, stats, call_timeout=60) for station_id in ids]
    started = time.monotonic()
    tasks = []
    for n, charger in enumerate(chargers, 1):
        tasks.append(asyncio.ensure_future(one(charger)))
        if n % STARTED_PER_TURN == 0:
            await asyncio.sleep(0)
    await asyncio.gather(*tasks)
    result = {
        "booted": len(boots),
        "refused": sum(refused.values()),
        "failed": sum(failed.values()),
        "s": (max(boots) - started) if boots else float("nan"),
    }
    await close_all(chargers)
    if refused or failed:
        print(f"storm at once: refused {dict(refused)}, failed {dict(failed)}", file=sys.stderr)
    return result
