"""ocpp-cable against a typical Python central system, same machine, same load, one run.

    python -m bench.run [--storm 10000] [--chargers 50] [--seconds 8] [--quick]

Starts ocpp-cable (gateway and rpc_app as two processes, with the minimal acking
channel in bench/minimal_channels.py) and the comparison (bench/comparison.py),
drives each with simulated chargers from ocpp_cable.simulator, and prints a
table: calls/s and latency on the heartbeat and perform paths, a reboot storm,
gateway memory per idle booted charger, and broadcast fan-out latency. The
table is also written to bench/results.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import platform
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from ocpp_cable.simulator import CallFailed, SimCharger, Stats, percentile

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.md"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    raise RuntimeError(f"port {port} not open after {timeout} s")


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


@dataclass
class System:
    name: str
    url: str
    memory_pid: int  # the process whose memory holds the chargers (the gateway)
    broadcast: Callable[[], Awaitable[None]]
    processes: list[subprocess.Popen] = field(default_factory=list)

    def stop(self) -> None:
        for process in self.processes:
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def spawn(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, *args], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


async def post(url: str) -> None:
    async with aiohttp.ClientSession() as http, http.post(url, data=b"") as response:
        response.raise_for_status()


def start_ocpp_cable() -> System:
    port, http_port, rpc_port = free_port(), free_port(), free_port()
    common = ["--log-level", "warning", "--log-format", "json"]
    rpc = spawn(
        "-m", "ocpp_cable.cli", "rpc", "--channels-module", "bench.minimal_channels",
        "--rpc-host", f"127.0.0.1:{rpc_port}", "--rpc-metrics-port", str(free_port()), *common,
    )  # fmt: skip
    wait_for_port(rpc_port, rpc)
    gateway = spawn(
        "-m", "ocpp_cable.cli", "gateway", "--port", str(port), "--http-port", str(http_port),
        "--rpc-host", f"127.0.0.1:{rpc_port}", "--broadcast-auth", "false", *common,
    )  # fmt: skip
    wait_for_port(port, gateway)
    body = b'{"stream":"bench:all","data":"{\\"command\\":\\"ClearCache\\",\\"payload\\":{}}"}'

    async def broadcast() -> None:
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"http://127.0.0.1:{http_port}/_broadcast", data=body) as response,
        ):
            response.raise_for_status()

    return System(
        "ocpp-cable", f"ws://127.0.0.1:{port}/ocpp", gateway.pid, broadcast, [gateway, rpc]
    )


def start_comparison() -> System:
    port, control = free_port(), free_port()
    process = spawn("-m", "bench.comparison", "--port", str(port), "--control-port", str(control))
    wait_for_port(port, process)
    wait_for_port(control, process)
    return System(
        "comparison",
        f"ws://127.0.0.1:{port}/ocpp",
        process.pid,
        lambda: post(f"http://127.0.0.1:{control}/broadcast"),
        [process],
    )


# --- scenarios ---------------------------------------------------------------------------


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
            except (OSError, CallFailed, TimeoutError, Exception) as exc:
                stats.connect_failures += 1
                stats.fail(f"connect/boot: {type(exc).__name__}")

    await asyncio.gather(*(one(c) for c in chargers))
    return chargers


async def close_all(chargers: list[SimCharger]) -> None:
    await asyncio.gather(*(c.close() for c in chargers), return_exceptions=True)


async def throughput(
    url: str, action: str, payload: Callable[[SimCharger], dict], chargers: int, seconds: float
) -> dict[str, float]:
    stats = Stats()
    fleet = await connect_all(url, [f"TP-{i:05d}" for i in range(chargers)], stats, 100)
    fleet = [c for c in fleet if c.ws is not None]
    measured = Stats()
    for charger in fleet:
        charger.stats = measured
    deadline = time.monotonic() + seconds

    async def loop(charger: SimCharger) -> None:
        while time.monotonic() < deadline:
            try:
                await charger.call(action, payload(charger))
            except CallFailed:
                return

    started = time.monotonic()
    await asyncio.gather(*(loop(c) for c in fleet))
    elapsed = time.monotonic() - started
    await close_all(fleet)
    values = measured.latencies[action]
    return {
        "calls_per_s": len(values) / elapsed,
        "p50_ms": percentile(values, 0.5) * 1e3,
        "p99_ms": percentile(values, 0.99) * 1e3,
        "errors": sum(measured.errors.values()),
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
    live = [c for c in fleet if c.ws is not None]
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
    await close_all(fleet)
    gc.collect()
    return {
        "storm_s": storm_s,
        "storm_booted": booted,
        "storm_failures": stats.connect_failures,
        "kb_per_charger": (loaded - baseline) / max(booted, 1),
        "broadcast_reached": len(latencies),
        "broadcast_p50_ms": percentile(latencies, 0.5) * 1e3,
        "broadcast_all_ms": (latencies[-1] * 1e3) if latencies else float("nan"),
    }


def meter_values(charger: SimCharger) -> dict:
    charger.meter_wh += 10
    return charger.meter_values(1)


async def measure(system: System, args: argparse.Namespace) -> dict[str, float]:
    result: dict[str, float] = {}
    heartbeat = await throughput(system.url, "Heartbeat", lambda c: {}, args.chargers, args.seconds)
    result.update({f"heartbeat_{k}": v for k, v in heartbeat.items()})
    perform = await throughput(system.url, "MeterValues", meter_values, args.chargers, args.seconds)
    result.update({f"perform_{k}": v for k, v in perform.items()})
    result.update(await storm_memory_broadcast(system, args.storm))
    return result


# --- report ------------------------------------------------------------------------------


def machine() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, Linux {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def table(ours: dict[str, float], theirs: dict[str, float], args: argparse.Namespace) -> str:
    def ratio(key: str, higher_is_better: bool = True) -> str:
        a, b = ours[key], theirs[key]
        if not b or not a:
            return "—"
        if higher_is_better:
            return f"{a / b:.2f}×"
        return f"{b / a:.2f}× less" if a <= b else f"{a / b:.2f}× more"

    rows = [
        ("heartbeat path: calls/s", "heartbeat_calls_per_s", "{:,.0f}", ratio("heartbeat_calls_per_s"), "≥ 3×"),
        ("heartbeat path: p50 ms", "heartbeat_p50_ms", "{:.2f}", "", ""),
        ("heartbeat path: p99 ms", "heartbeat_p99_ms", "{:.2f}", "", ""),
        ("perform path (MeterValues): calls/s", "perform_calls_per_s", "{:,.0f}", ratio("perform_calls_per_s"), "≥ 1.0×"),
        ("perform path: p50 ms", "perform_p50_ms", "{:.2f}", "", ""),
        ("perform path: p99 ms", "perform_p99_ms", "{:.2f}", "", ""),
        (f"reboot storm: {args.storm:,} connect + boot, s", "storm_s", "{:.1f}", ratio("storm_s", False), "≤ 20 s"),
        ("reboot storm: failures", "storm_failures", "{:.0f}", "", "0"),
        ("gateway memory per idle booted charger, KB", "kb_per_charger", "{:.1f}", ratio("kb_per_charger", False), "≤ 35 KB"),
        (f"one broadcast to {args.storm:,} stations: p50 ms", "broadcast_p50_ms", "{:.0f}", "", ""),
        (f"one broadcast to {args.storm:,} stations: all reached, ms", "broadcast_all_ms", "{:.0f}", ratio("broadcast_all_ms", False), ""),
        ("broadcast: stations reached", "broadcast_reached", "{:.0f}", "", f"{args.storm:,}"),
    ]  # fmt: skip
    lines = [
        "| measure | ocpp-cable | comparison | ratio | target |",
        "|---|---:|---:|---:|---|",
    ]
    for label, key, fmt, rel, target in rows:
        lines.append(
            f"| {label} | {fmt.format(ours[key])} | {fmt.format(theirs[key])} | {rel} | {target} |"
        )
    return "\n".join(lines)


async def main(args: argparse.Namespace) -> int:
    results = {}
    for name, start in (("ocpp-cable", start_ocpp_cable), ("comparison", start_comparison)):
        print(f"measuring {name} ...", file=sys.stderr, flush=True)
        system = start()
        try:
            results[name] = await measure(system, args)
        finally:
            system.stop()
    report = "\n".join(
        [
            f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}.",
            f"Load: {args.chargers} chargers in closed loop for {args.seconds:g} s per path; "
            f"a storm of {args.storm:,} chargers (at most 1,000 handshakes at once); "
            "driver, gateway, rpc_app and comparison all on this machine.",
            "",
            table(results["ocpp-cable"], results["comparison"], args),
            "",
        ]
    )
    print(report)
    if not args.no_write:
        publish(report)
    return 0


def publish(report: str) -> None:
    """bench/results.md, and the same table in the README's Performance section."""
    from ocpp_cable import docs

    docs.publish(RESULTS, "Benchmark results (`make bench`)", "bench", report)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storm", type=int, default=10_000, help="chargers in the reboot storm")
    parser.add_argument("--chargers", type=int, default=50, help="chargers on the call paths")
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds per call path")
    parser.add_argument("--quick", action="store_true", help="small numbers, a smoke run")
    parser.add_argument("--no-write", action="store_true", help="do not write bench/results.md")
    args = parser.parse_args(argv)
    if args.quick:
        args.storm, args.chargers, args.seconds, args.no_write = 200, 10, 1.0, True
    return args


if __name__ == "__main__":
    import uvloop

    # The driver runs on uvloop for both systems alike: it should measure them, not itself.
    sys.exit(uvloop.run(main(parse_args())))
