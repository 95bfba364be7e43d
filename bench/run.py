"""ocpp-cable beside its peers, same machine, same load, one run.

    python -m bench.run [--storm 10000] [--at-once 10000] [--chargers 100] [--many 1000]
                        [--seconds 6] [--quick]

Starts each system as its users run it (bench/systems.py): ocpp-cable with the
minimal channel (the bridge alone), the reference central system as `ocpp-cable up`
runs it on SQLite and on PostgreSQL (every message stored), and two peers that store
nothing — a
central system on the `ocpp` package and one on Node's `ocpp-rpc`. Each is
driven by the same simulated chargers (bench/scenarios.py); for the reference
system, what was acked is then counted in its database. The table goes to
bench/results.md and the docs' Performance page (docs/performance.md).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bench import scenarios
from bench.systems import ROOT, System, start_bridge, start_comparison, start_reference

RESULTS = ROOT / "bench" / "results.md"
Result = dict[str, float]


def systems(args: argparse.Namespace) -> list[tuple[str, Callable[[], System]]]:
    chosen = [
        ("bridge", start_bridge),
        ("sqlite", lambda: start_reference("sqlite")),
        ("postgresql", lambda: start_reference("postgresql")),
        ("ocpp", start_comparison),
    ]
    if "node" in args.systems:
        from bench.peers import node_available, start_node_peer

        if node_available():
            chosen.append(("node", start_node_peer))
        else:
            print("node/npm not installed: the ocpp-rpc peer is left out", file=sys.stderr)
    return [(key, start) for key, start in chosen if key in args.systems]


def stored(database_url: str, prefix: str) -> tuple[int, int]:
    """(meter value rows, incoming CALLs in the audit log) of the stations named prefix-*."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            like = {"like": f"{prefix}-%"}
            readings = connection.execute(
                text("SELECT count(*) FROM meter_values WHERE station_id LIKE :like"), like
            ).scalar_one()
            audited = connection.execute(
                text(
                    "SELECT count(*) FROM message_log WHERE station_id LIKE :like"
                    " AND direction = 'in' AND message_type = 'CALL'"
                ),
                like,
            ).scalar_one()
    finally:
        engine.dispose()
    return readings, audited


async def path(
    system: System, key: str, script: scenarios.Script, chargers: int, args: argparse.Namespace
) -> Result:
    prefix = f"{key.upper()}{chargers}"
    await system.settle()
    result = await scenarios.throughput(
        system.url, prefix, script, chargers, args.seconds, system.cpu_seconds
    )
    if system.database_url is not None:
        readings, audited = stored(system.database_url, prefix)
        result["readings_stored"] = readings
        result["readings_acked"] = result["acked_meter_values"] * scenarios.SAMPLES_PER_METER_VALUES
        result["calls_audited"] = audited
    return {f"{key}_{name}": value for name, value in result.items()}


async def measure_browsers(system: System, args: argparse.Namespace) -> Result:
    """Browsers at /cable, on the reference system on SQLite (what `make run` runs)."""
    from bench import browsers

    await system.settle()
    return await browsers.measure(
        system, args.browsers, args.watchers, args.chargers, args.seconds, args.samples
    )


def register_stations(database_url: str, station_ids: list[str]) -> None:
    """Add the stations to the reference system's database, as `stations add` would
    (accepted, no password), before they ever connect."""
    from sqlalchemy import create_engine

    from ocpp_cable.channels.domain import stations

    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            stations.register(connection, dict.fromkeys(station_ids, "accepted"))
    finally:
        engine.dispose()


async def measure_storm_at_once(system: System, args: argparse.Namespace) -> Result:
    """Every charger at once, no pacing (a power cut's end): stations the system has never
    seen (auto-registered by their Connect), then as many registered beforehand."""
    result: Result = {}
    for key, prefix in (("auto", "AUTO"), ("pre", "PRE")):
        ids = [f"{prefix}-{i:05d}" for i in range(args.at_once)]
        if key == "pre":
            register_stations(system.database_url, ids)
        await system.settle()
        storm = await scenarios.storm_at_once(system.url, ids)
        result |= {f"at_once_{key}_{name}": value for name, value in storm.items()}
    return result


async def measure(system: System, args: argparse.Namespace) -> Result:
    # The storm first, on the fresh process: memory per charger is then measured
    # from a heap that no earlier load has grown.
    result: Result = await scenarios.storm_memory_broadcast(system, args.storm)
    result |= await path(system, "mv", scenarios.meter_values_loop, args.chargers, args)
    result |= await path(system, "mvmany", scenarios.meter_values_loop, args.many, args)
    result |= await path(system, "mixed", scenarios.session_loop, args.chargers, args)
    result |= await path(system, "hb", scenarios.heartbeat_loop, args.chargers, args)
    if system.name == "reference, SQLite" and args.browsers:
        result |= await measure_browsers(system, args)
    if system.database_url is not None:
        from bench import api

        await system.settle()
        result |= await api.measure(system, args.seconds, args.chargers)
    if system.database_url is not None and args.at_once:
        result |= await measure_storm_at_once(system, args)
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


def cell(value: float | None, fmt: str) -> str:
    if value is None or value != value:  # missing, or NaN
        return "—"
    return fmt.format(value)


def stored_cell(result: Result) -> str:
    keys = [k.removesuffix("_readings_acked") for k in result if k.endswith("_readings_acked")]
    if not keys:
        return "nothing stored"
    acked = sum(result[f"{k}_readings_acked"] for k in keys)
    kept = sum(result[f"{k}_readings_stored"] for k in keys)
    calls = sum(result[f"{k}_acked_forwarded"] for k in keys)
    audited = sum(result[f"{k}_calls_audited"] for k in keys)
    return f"{kept:,.0f} of {acked:,.0f} readings, {audited:,.0f} of {calls:,.0f} CALLs in the audit log"


def table(results: dict[str, Result], names: dict[str, str], args: argparse.Namespace) -> str:
    rows = [
        (f"MeterValues, {args.chargers:,} chargers: calls/s", "mv_calls_per_s", "{:,.0f}"),
        ("… p99 ms", "mv_p99_ms", "{:,.0f}"),
        ("… errors", "mv_errors", "{:,.0f}"),
        ("… CPU per call, µs", "mv_cpu_us_per_call", "{:,.0f}"),
        ("… cores used", "mv_cores", "{:.2f}"),
        (f"MeterValues, {args.many:,} chargers: calls/s", "mvmany_calls_per_s", "{:,.0f}"),
        ("… p99 ms", "mvmany_p99_ms", "{:,.0f}"),
        ("… errors", "mvmany_errors", "{:,.0f}"),
        ("… CPU per call, µs", "mvmany_cpu_us_per_call", "{:,.0f}"),
        (f"charging sessions (mixed), {args.chargers:,} chargers: calls/s", "mixed_calls_per_s", "{:,.0f}"),
        ("… p99 ms", "mixed_p99_ms", "{:,.0f}"),
        ("… errors", "mixed_errors", "{:,.0f}"),
        (f"Heartbeat, {args.chargers:,} chargers: calls/s", "hb_calls_per_s", "{:,.0f}"),
        (f"reboot storm, {args.storm:,} chargers connect + boot: s", "storm_s", "{:.1f}"),
        ("… failures", "storm_failures", "{:,.0f}"),
        ("gateway memory per idle booted charger, KB", "kb_per_charger", "{:.1f}"),
        (f"one command to all {args.storm:,} stations: all reached, ms", "broadcast_all_ms", "{:,.0f}"),
        (f"browsers: one broadcast to {args.browsers:,} subscribers, p99 ms", "fanout_p99_ms", "{:,.0f}"),
        ("… p50 ms", "fanout_p50_ms", "{:,.0f}"),
        ("… not delivered", "fanout_missed", "{:,.0f}"),
        ("browsers: a meter value from a charger to its watcher, p50 ms", "meter_to_browser_p50_ms", "{:,.0f}"),
        (f"browsers: charging sessions with {args.watchers:,} watching / without", "watched_ratio", "{:.2f}"),
        ("HTTP API: pages of 50 stations / transactions, 16 clients: requests/s", "api_reads_per_s", "{:,.0f}"),
        ("… p99 ms", "api_reads_p99_ms", "{:,.0f}"),
        (f"HTTP API: commands to {args.chargers:,} chargers, answer awaited, 16 clients: per s", "api_commands_per_s", "{:,.0f}"),
        ("… p50 ms", "api_command_p50_ms", "{:,.0f}"),
        ("… p99 ms", "api_command_p99_ms", "{:,.0f}"),
        ("… failed", "api_commands_failed", "{:,.0f}"),
        (f"storm of {args.at_once:,} at once, auto-registered: booted", "at_once_auto_booted", "{:,.0f}"),
        ("… refused", "at_once_auto_refused", "{:,.0f}"),
        ("… s", "at_once_auto_s", "{:.1f}"),
        (f"storm of {args.at_once:,} at once, pre-registered: booted", "at_once_pre_booted", "{:,.0f}"),
        ("… refused", "at_once_pre_refused", "{:,.0f}"),
        ("… s", "at_once_pre_s", "{:.1f}"),
    ]  # fmt: skip
    keys = list(results)
    lines = [
        "| measure | " + " | ".join(names[k] for k in keys) + " |",
        "|---|" + "---:|" * len(keys),
    ]
    for label, key, fmt in rows:
        cells = [cell(results[k].get(key), fmt) for k in keys]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("| stored | " + " | ".join(stored_cell(results[k]) for k in keys) + " |")
    return "\n".join(lines)


def at_once_goals(ours: Result, name: str, args: argparse.Namespace) -> list[str]:
    """Issue #31's bar for the unpaced storm: every charger booted within 30 s, none refused."""
    lines = []
    for key, what in (("auto", "auto-registered"), ("pre", "pre-registered")):
        if f"at_once_{key}_booted" not in ours:
            continue
        booted, refused = ours[f"at_once_{key}_booted"], ours[f"at_once_{key}_refused"]
        seconds = ours[f"at_once_{key}_s"]
        met = booted == args.at_once and refused == 0 and seconds <= 30
        lines.append(
            f"| `up` on {name}, {args.at_once:,} at once, {what}: all booted ≤ 30 s, "
            f"none refused | {booted:,.0f} booted, {refused:,.0f} refused, {seconds:.1f} s "
            f"| {'yes' if met else 'no'} |"
        )
    return lines


def goals(results: dict[str, Result], args: argparse.Namespace) -> str:
    """The reference system against the bars issue #31 sets, beside the Node peer."""
    node = results.get("node")
    lines = ["| goal | measured | met |", "|---|---|---|"]

    def goal(text: str, measured: str, met: bool) -> None:
        lines.append(f"| {text} | {measured} | {'yes' if met else 'no'} |")

    for key in ("sqlite", "postgresql"):
        ours = results.get(key)
        if ours is None:
            continue
        name = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[key]
        cpu = ours["mv_cpu_us_per_call"]
        goal(
            f"`up` on {name}: ≤ 300 µs of CPU per stored MeterValues", f"{cpu:,.0f} µs", cpu <= 300
        )
        for path, chargers in (("mv", args.chargers), ("mvmany", args.many)):
            if node is None:
                break
            ratio = ours[f"{path}_calls_per_s"] / max(node[f"{path}_calls_per_s"], 1e-9)
            goal(
                f"`up` on {name}, MeterValues at {chargers:,}: ≥ 0.5× the Node peer",
                f"{ratio:.2f}×",
                ratio >= 0.5,
            )
        p99, errors = ours["mvmany_p99_ms"], ours["mvmany_errors"]
        goal(
            f"`up` on {name}, {args.many:,} chargers: 0 errors, p99 ≤ 1 s",
            f"{errors:,.0f} errors, p99 {p99:,.0f} ms",
            p99 <= 1000 and errors == 0,
        )
        kb = ours["kb_per_charger"]
        goal(f"`up` on {name}: ≤ 10 KB per idle booted charger", f"{kb:.1f} KB", kb <= 10)
        lines += at_once_goals(ours, name, args)
    browsers = results.get("sqlite", {})
    if "fanout_p99_ms" in browsers:
        goal(
            f"browsers: {args.browsers:,} subscribers get a broadcast, p99 ≤ 200 ms",
            f"{browsers['fanout_p99_ms']:,.0f} ms, {browsers['fanout_missed']:,.0f} missed",
            browsers["fanout_p99_ms"] <= 200 and browsers["fanout_missed"] == 0,
        )
        goal(
            "browsers: a meter value reaches a subscribed browser, p50 ≤ 50 ms",
            f"{browsers['meter_to_browser_p50_ms']:,.0f} ms",
            browsers["meter_to_browser_p50_ms"] <= 50,
        )
        goal(
            f"browsers: chargers' throughput with {args.watchers:,} watching ≥ 0.90× without",
            f"{browsers['watched_ratio']:.2f}×",
            browsers["watched_ratio"] >= 0.9,
        )
    return "\n".join(lines)


async def main(args: argparse.Namespace) -> int:
    results: dict[str, Result] = {}
    names: dict[str, str] = {}
    for key, start in systems(args):
        system = start()
        names[key] = system.name
        print(f"measuring {system.name} ...", file=sys.stderr, flush=True)
        try:
            results[key] = await measure(system, args)
        finally:
            system.stop()
    report = "\n".join(
        [
            f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}.",
            f"Load: chargers in closed loop (one CALL outstanding each) for {args.seconds:g} s "
            f"per path; a storm of {args.storm:,} chargers (at most 1,000 handshakes at once); "
            "driver and system on this machine, one system at a time. The reference system "
            "runs as `ocpp-cable up` with its defaults (audit log on, info logs); the peers "
            "store nothing. CPU per call: user + system time of the system's processes "
            "(not the driver's, not PostgreSQL's server) over the calls of the path.",
            "",
            table(results, names, args),
            "",
            goals(results, args),
            "",
        ]
    )
    print(report)
    if not args.no_write:
        publish(report)
    return 0


def publish(report: str) -> None:
    """bench/results.md, and the same table in the docs' Performance page."""
    from devtools import docs

    docs.publish(RESULTS, "Benchmark results (`make bench`)", "bench", report)


SYSTEMS = ("bridge", "sqlite", "postgresql", "ocpp", "node")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storm", type=int, default=10_000, help="chargers in the reboot storm")
    parser.add_argument("--chargers", type=int, default=100, help="chargers on the call paths")
    parser.add_argument("--many", type=int, default=1_000, help="chargers on the large path")
    parser.add_argument("--seconds", type=float, default=6.0, help="seconds per call path")
    parser.add_argument(
        "--at-once", type=int, default=10_000, help="chargers in the unpaced storm (0: none)"
    )
    parser.add_argument(
        "--browsers", type=int, default=5_000, help="browsers for the broadcast (0: none)"
    )
    parser.add_argument(
        "--watchers", type=int, default=1_000, help="browsers watching during the sessions"
    )
    parser.add_argument(
        "--samples", type=int, default=20, help="broadcasts and meter values timed to browsers"
    )
    parser.add_argument(
        "--systems", nargs="+", choices=SYSTEMS, default=list(SYSTEMS), help="what to measure"
    )
    parser.add_argument("--quick", action="store_true", help="small numbers, a smoke run")
    parser.add_argument("--no-write", action="store_true", help="do not write bench/results.md")
    args = parser.parse_args(argv)
    if args.quick:
        args.storm, args.chargers, args.many, args.seconds = 200, 10, 20, 1.0
        args.at_once = 200
        args.browsers, args.watchers, args.samples = 50, 20, 3
        args.no_write = True
    return args


if __name__ == "__main__":
    import uvloop

    # The driver runs on uvloop for every system alike: it should measure them, not itself.
    sys.exit(uvloop.run(main(parse_args())))
