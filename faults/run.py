"""The fault campaign, the full form of what CI runs bounded (tests/faults/test_faults.py).

    python -m faults.run [--frames 100000] [--valid 0.1] [--chargers 50] [--kills 8]
                         [--posts 100] [--ocpp-versions 1.6 2.0.1 2.1] [--quick]

SIGKILL of rpc_app and of the gateway, in turn, under load from chargers that
re-send what was not acked, on SQLite and on PostgreSQL: every acked message
must be stored, once. SIGKILL of rpc_app, and of the API, with `?wait=30` command
requests in flight: every command must end final, within the documented bound.
Then a fuzz run per OCPP version of schema-valid and broken frames: a
definitive answer for every valid CALL, well-formed replies, the gateway alive
with bounded memory and metrics, no traceback. Prints a table and writes it to
faults/results.md and the docs' Reliability page (docs/reliability.md). Exit 1 on any violation.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench.run import machine
from faults.campaign import (
    FuzzReport,
    KillReport,
    fuzz_campaign,
    kill_campaign,
    reference_actions,
)
from faults.waiting import Timings, WaitRound, wait_campaign
from ocpp_cable.ocppj import versions

RESULTS = Path(__file__).resolve().parent / "results.md"


def report(
    kills: list[KillReport],
    waits: list[WaitRound],
    fuzzes: dict[str, FuzzReport],
    args: argparse.Namespace,
) -> str:
    lines = [
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}.",
        "",
        "| processes killed with SIGKILL under load | database | chargers | kills (rpc_app, "
        "gateway) | messages sent | acked | stored readings | acked, not stored | stored twice |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for k in kills:
        lines.append(
            f"| {k.seconds:.0f} s of charging sessions | {k.database} | {k.chargers} | "
            f"{k.kills['rpc']}, {k.kills['gateway']} | {k.ledger.sent:,} | {k.ledger.acked:,} | "
            f"{k.stored_readings:,} of {len(k.ledger.readings):,} acked | {len(k.lost)} | "
            f"{len(k.duplicated)} |"
        )
    lines += wait_lines(waits)
    for version, fuzz in fuzzes.items():
        lines += fuzz_lines(version, fuzz)
    return "\n".join(lines)


VICTIMS = {"rpc": "rpc_app", "api": "the API"}


def wait_lines(waits: list[WaitRound]) -> list[str]:
    if not waits:
        return []
    t = WAIT_TIMINGS
    lines = [
        "",
        f"| killed with SIGKILL, `?wait={t.wait:g}` requests in flight (stations answer "
        f"after {t.delay:g} s; --call-timeout {t.call_timeout:g}, --reply-retry-time "
        f"{t.reply_retry_time:g}) | database | stations | commands posted | recorded | final "
        "| left open | last final after the kill (bound) | the `?wait` clients got |",
        "|---|---|---:|---:|---:|---|---:|---:|---|",
    ]
    for w in waits:
        back = f" (started again {t.rpc_down:g} s later)" if w.victim == "rpc" else ""
        victim = VICTIMS[w.victim] + back
        outcomes = ", ".join(f"{name} {n:,}" for name, n in w.outcomes.most_common()) or "none"
        clients = ", ".join(f"{name} {n:,}" for name, n in w.clients.most_common())
        lines.append(
            f"| {victim} | {w.database} | {w.stations} | {w.posted:,} | {w.recorded:,} | "
            f"{outcomes} | {len(w.left_open)} | {w.settled_in:.1f} s ({w.bound:.0f} s) | "
            f"{clients} |"
        )
    return lines


# The crash-during-?wait rounds: stations slow to answer, a short call timeout so that the
# bound (and the run) stays short, the default retry time for replies (rpc_app must be back
# within it: a loaded machine takes up to half a minute to start it).
WAIT_TIMINGS = Timings(
    delay=3.0, wait=30.0, call_timeout=10.0, reply_retry_time=60.0, rpc_timeout=5.0, rpc_down=5.0
)


def fuzz_lines(version: str, fuzz: FuzzReport) -> list[str]:
    closes = ", ".join(f"{code}: {n:,}" for code, n in sorted(fuzz.closes.items(), key=str))
    errors = ", ".join(
        f"{code} {n:,}" for code, n in fuzz.replies.most_common() if code != "CALLRESULT"
    )
    valid = fuzz.valid_answers
    refused = ", ".join(
        f"{code} {n:,}" for code, n in valid.most_common() if code not in ("CALLRESULT", "closed")
    )
    return [
        "",
        f"| fuzzed protocol line, OCPP {version} | result |",
        "|---|---|",
        f"| frames sent | {fuzz.frames:,} ({fuzz.valid_calls:,} schema-valid CALLs, "
        f"{fuzz.broken_frames:,} broken frames) |",
        f"| answers to schema-valid CALLs | {valid['CALLRESULT']:,} CALLRESULT; CALLERROR: "
        f"{refused or 'none'}; {valid['closed']:,} sent into a connection the gateway was "
        "closing |",
        *(
            [
                f"| bent CALLs of lenient stations | {fuzz.bent_calls:,}: "
                + ", ".join(f"{code} {n:,}" for code, n in fuzz.bent_answers.most_common())
                + " |"
            ]
            if fuzz.bent_calls
            else []
        ),
        f"| CALLERRORs, all frames | {errors or 'none'} |",
        f"| connections the gateway closed | {closes or 'none'} |",
        *(
            [
                f"| valid CALLs naming another station's transaction (MeterValues, "
                f"StopTransaction) | {fuzz.cross_station_writes:,}; counted into it: none "
                "(a violation otherwise) |"
            ]
            if fuzz.cross_station_writes
            else []
        ),
        f"| violations (no answer, malformed reply, InternalError for valid input, a write "
        f"counted into another station's transaction) | {len(fuzz.violations)} |",
        f"| gateway memory growth over the run | {fuzz.gateway_rss_growth_kb:,} KB |",
        f"| /metrics after the run | {fuzz.metrics_bytes:,} bytes |",
        f"| tracebacks in the logs | {fuzz.tracebacks} |",
        "",
    ]


async def main(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="ocpp-cable-faults-") as tmp:
        kills = []
        for kind in args.databases:
            print(f"killing processes under load ({kind}) ...", file=sys.stderr, flush=True)
            where = Path(tmp) / kind
            where.mkdir()
            kills.append(await kill_campaign(kind, where, args.chargers, args.kills, args.every))
        waits = []
        for kind in args.databases:
            for victim in ("rpc", "api"):
                print(f"killing {victim} during ?wait= ({kind}) ...", file=sys.stderr, flush=True)
                where = Path(tmp) / f"wait-{victim}-{kind}"
                where.mkdir()
                waits.append(
                    await wait_campaign(
                        kind, where, victim, args.posts // 2, args.posts, WAIT_TIMINGS
                    )
                )
        fuzzes = {}
        for name in args.ocpp_versions:
            print(f"fuzzing OCPP {name} with {args.frames:,} frames ...", file=sys.stderr)
            where = Path(tmp) / f"fuzz-{name}"
            where.mkdir()
            version = versions.named(name)
            fuzzes[name] = await fuzz_campaign(
                where, args.frames, valid=args.valid, version=version,
                actions=reference_actions(version),
            )  # fmt: skip
        # Stations allowed every repair: their bent CALLs reach the application repaired.
        print("fuzzing lenient OCPP 1.6 stations ...", file=sys.stderr)
        where = Path(tmp) / "fuzz-lenient"
        where.mkdir()
        fuzzes["1.6, lenient stations"] = await fuzz_campaign(
            where, max(args.frames // 5, 1_000), valid=args.valid,
            actions=reference_actions(versions.OCPP16), lenient=True,
        )  # fmt: skip
    text = report(kills, waits, fuzzes, args)
    print(text)
    problems = [
        f"{k.database}: {k.lost[:3]} {k.duplicated[:3]} {k.unexpected[:3]} "
        f"{k.transaction_problems[:3]} {k.ledger.refused[:3]}"
        for k in kills
        if not k.ok
    ]
    problems += [
        f"{w.database}, {VICTIMS[w.victim]} killed: {len(w.left_open)} left open "
        f"{w.left_open[:3]}, last final after {w.settled_in:.1f} s (bound {w.bound:.0f} s), "
        f"{dict(w.outcomes)}, clients {dict(w.clients)}"
        for w in waits
        if not w.ok
    ]
    for name, fuzz in fuzzes.items():
        problems += [f"OCPP {name}: {violation}" for violation in fuzz.violations[:20]]
        if fuzz.tracebacks:
            problems.append(f"OCPP {name}: {fuzz.tracebacks} tracebacks in the logs")
    for problem in problems:
        print(f"VIOLATION: {problem}", file=sys.stderr)
    if not args.no_write and not problems:
        publish(text)
    return 1 if problems else 0


def publish(text: str) -> None:
    from devtools import docs

    docs.publish(RESULTS, "Fault campaign results (`make faults`)", "faults", text)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=100_000, help="frames to fuzz")
    parser.add_argument(
        "--valid", type=float, default=0.1, help="share of schema-valid CALLs among them"
    )
    parser.add_argument("--chargers", type=int, default=50, help="chargers under the kills")
    parser.add_argument("--kills", type=int, default=8, help="kills per database, in turn")
    parser.add_argument("--every", type=float, default=3.0, help="seconds between kills")
    parser.add_argument(
        "--posts", type=int, default=100, help="?wait= commands in flight at each kill"
    )
    parser.add_argument(
        "--databases", nargs="+", default=["sqlite", "postgresql"], help="where to store"
    )
    parser.add_argument(
        "--ocpp-versions",
        nargs="+",
        default=[v.name for v in reversed(versions.VERSIONS)],
        help="versions to fuzz",
    )
    parser.add_argument("--quick", action="store_true", help="small numbers, a smoke run")
    parser.add_argument("--no-write", action="store_true", help="do not write the results")
    args = parser.parse_args(argv)
    if args.quick:
        args.frames, args.chargers, args.kills, args.no_write = 4_000, 8, 2, True
        args.posts = 20
    return args


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
