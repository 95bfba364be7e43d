"""Where a stored MeterValues spends its CPU: `ocpp-cable up` (the reference system)
under MeterValues from simulated chargers, sampled by py-spy, summed by layer.

    python -m bench.profile [--database sqlite|postgresql] [--chargers 100] [--seconds 10]
                            [--raw FILE]

Each sample is put in the layer of the code it was running (its innermost Python
frame), and the table gives each layer's share and its CPU per call (the share of
the CPU per call measured from /proc over the same seconds). `--raw` keeps py-spy's
collapsed stacks, for a flame graph (e.g. `py-spy`'s or speedscope's).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bench import scenarios
from bench.systems import start_reference

# (layer, path fragments of the innermost frame's file), first match wins.
LAYERS = [
    # The drivers' C code runs under the Python frame that called it: an executemany shows
    # as the store's bulk insert, a commit as SQLAlchemy's.
    (
        "database: inserts and commits (driver, SQLAlchemy, the store's writer)",
        ("sqlalchemy/", "sqlite3/", "psycopg", "channels/storage/"),
    ),
    ("reference system: handlers, rows, audit", ("channels/",)),
    ("rpc_app: dispatch, channel, state", ("rpc_app/",)),
    ("RPC hop: client, transport, contract", ("gateway/rpc/", "grpc/", "contract/")),
    ("gateway: frames, station session, OCPP-J", ("websockets/", "gateway/", "ocppj/")),
    ("metrics and logs", ("prometheus_client/", "structlog/", "foundation/")),
    ("event loop, sockets, threads", ("asyncio/", "uvloop", "threading.py", "concurrent/")),
]
OTHER = "other"


def layer(frame: str) -> str:
    """The layer of one py-spy frame, `function (path/file.py:line)`."""
    where = frame.rpartition("(")[2]
    for name, fragments in LAYERS:
        if any(fragment in where for fragment in fragments):
            return name
    return OTHER


def shape(collapsed: list[str]) -> Counter[str]:
    """Samples per layer, from py-spy's raw (collapsed) output: `frame;frame;... count`."""
    layers: Counter[str] = Counter()
    for line in collapsed:
        stack, _, count = line.rstrip().rpartition(" ")
        if stack and count.isdigit():
            layers[layer(stack.rsplit(";", 1)[-1])] += int(count)
    return layers


def table(layers: Counter[str], cpu_us_per_call: float) -> str:
    total = sum(layers.values()) or 1
    lines = ["| layer | share | µs per call |", "|---|---:|---:|"]
    for name, samples in layers.most_common():
        share = samples / total
        lines.append(f"| {name} | {share:.0%} | {share * cpu_us_per_call:,.0f} |")
    lines.append(f"| all | 100% | {cpu_us_per_call:,.0f} |")
    return "\n".join(lines)


def read_lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def write_lines(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n")


async def profile(args: argparse.Namespace) -> str:
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    system = start_reference(args.database)
    try:
        await system.settle()
        # Warm: stations registered, caches full, the collector's first passes done.
        await scenarios.throughput(system.url, "WARM", scenarios.meter_values_loop, 100, 2)
        await system.settle()
        with tempfile.TemporaryDirectory() as tmp:
            raw = Path(tmp) / "profile.raw"
            sampler = await asyncio.create_subprocess_exec(
                spy, "record", "--pid", str(system.memory_pid), "--format", "raw",
                "--output", str(raw), "--rate", "250", "--nonblocking",
                "--duration", str(int(args.seconds + 2)),
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            await asyncio.sleep(1)  # py-spy attached
            result = await scenarios.throughput(
                system.url, "MV", scenarios.meter_values_loop, args.chargers, args.seconds,
                system.cpu_seconds,
            )  # fmt: skip
            await asyncio.wait_for(sampler.wait(), args.seconds + 30)
            collapsed = read_lines(raw)
    finally:
        system.stop()
    if not collapsed:
        raise SystemExit("py-spy took no samples (is ptrace allowed here?)")
    if args.raw:
        write_lines(Path(args.raw), collapsed)
    return (
        f"`up` on {args.database}, MeterValues from {args.chargers:,} chargers for "
        f"{args.seconds:g} s: {result['calls_per_s']:,.0f} calls/s, "
        f"{result['cpu_us_per_call']:,.0f} µs of CPU per call, {result['cores']:.2f} cores.\n\n"
        + table(shape(collapsed), result["cpu_us_per_call"])
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--chargers", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--raw", help="keep py-spy's collapsed stacks in this file")
    args = parser.parse_args(argv)
    import uvloop

    print(uvloop.run(profile(args)))


if __name__ == "__main__":
    main()
