"""A legitimate station's handshake latency while another client floods wrong passwords.

    python -m bench.auth_flood [--rate 30] [--seconds 15] [--target other|same] [--restart]

Runs the reference central system as it is deployed (`ocpp-cable rpc` and `ocpp-cable
gateway` on SQLite, faults/system.py) with two stations that need a password. A
legitimate station (CP-LEGIT, from 127.0.0.1) connects, is closed and connects again
every 200 ms; the time from its TCP connect to the open WebSocket is its handshake
latency. First alone, then while an attacker (from 127.0.0.2) sends `--rate`
wrong-password handshakes a second for CP-VICTIM (`--target other`) or for CP-LEGIT
itself (`--target same`). With `--restart`, the gateway is restarted (SIGTERM, then a
new node, which knows no station) a second into the attack, and the legitimate station
comes back 2 s later. The run fails if the legitimate station, which never fails, is
held back (429) or never admitted while attacked. The gateway's settings come from the
environment (OCPP_CABLE_AUTH_FAILURES_PER_ADDRESS=0 and the like).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import websockets
from websockets.exceptions import InvalidStatus

from faults.system import System, database
from ocpp_cable.channels.domain import stations
from ocpp_cable.channels.storage import db

PASSWORD = "right-password-1"
LEGIT, VICTIM = "CP-LEGIT", "CP-VICTIM"


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


async def handshake(url: str, user: str, password: str, source: str) -> tuple[float, str]:
    """(seconds to the open WebSocket or the refusal, the outcome: 101 or the status)."""
    started = time.perf_counter()
    try:
        ws = await websockets.connect(
            url, subprotocols=["ocpp1.6"], additional_headers=basic(user, password),
            local_addr=(source, 0), open_timeout=10,
        )  # fmt: skip
    except InvalidStatus as exc:
        return time.perf_counter() - started, str(exc.response.status_code)
    except (OSError, TimeoutError):  # the gateway is down (restarting) or too slow
        return time.perf_counter() - started, "no answer"
    took = time.perf_counter() - started
    await ws.close()
    return took, "101"


async def legitimate(base: str, seconds: float) -> tuple[list[float], Counter]:
    """The legitimate station's handshake latencies, and how often it was refused."""
    took: list[float] = []
    refused: Counter = Counter()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        latency, outcome = await handshake(f"{base}/{LEGIT}", LEGIT, PASSWORD, "127.0.0.1")
        if outcome == "101":
            took.append(latency)
        else:
            refused[outcome] += 1
        await asyncio.sleep(0.2)
    return took, refused


async def attack(base: str, target: str, rate: float, stop: asyncio.Event) -> Counter:
    outcomes: Counter = Counter()
    tasks: set[asyncio.Task] = set()

    async def one(n: int) -> None:
        _, outcome = await handshake(f"{base}/{target}", target, f"guess-{n}", "127.0.0.2")
        outcomes[outcome] += 1

    n = 0
    next_at = time.monotonic()
    while not stop.is_set():
        n += 1
        task = asyncio.create_task(one(n))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        next_at += 1 / rate
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
    await asyncio.gather(*tasks, return_exceptions=True)
    outcomes["sent"] = n
    return outcomes


def summary(label: str, measured: tuple[list[float], Counter]) -> str:
    took, refused = measured
    if not took:
        return f"{label:>28}: never admitted, refused {dict(refused)}"
    ms = sorted(t * 1000 for t in took)
    p90 = ms[max(0, int(len(ms) * 0.9) - 1)]
    return (
        f"{label:>28}: median {statistics.median(ms):5.1f} ms, p90 {p90:5.1f} ms, "
        f"max {ms[-1]:6.1f} ms ({len(ms)} handshakes"
        + (f", refused {dict(refused)})" if refused else ")")
    )


async def warm_up(base: str, within: float = 60) -> None:
    """Until the legitimate station is admitted (rpc_app's imports, pools, first scrypt)."""
    deadline = time.monotonic() + within
    while True:
        _, outcome = await handshake(f"{base}/{LEGIT}", LEGIT, PASSWORD, "127.0.0.1")
        if outcome == "101":
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"the legitimate station is still refused: {outcome}")
        await asyncio.sleep(0.5)


def restart_gateway(system: System) -> None:
    """A deploy: the gateway drains on SIGTERM, and a new one (a new node) starts."""
    assert system.gateway is not None
    system.gateway.send_signal(signal.SIGTERM)
    system.gateway.wait(timeout=30)
    system.start_gateway()


async def measure(system: System, args: argparse.Namespace) -> bool:
    """Prints the latencies; False if the legitimate station was held back (429) or never
    admitted while attacked."""
    base = f"ws://127.0.0.1:{system.port}/ocpp"
    await warm_up(base)
    await legitimate(base, 2)  # pools and caches warm; the station known to this node
    alone = await legitimate(base, args.seconds)
    stop = asyncio.Event()
    target = VICTIM if args.target == "other" else LEGIT
    attacker = asyncio.create_task(attack(base, target, args.rate, stop))
    await asyncio.sleep(1)  # the flood under way
    if args.restart:
        await asyncio.to_thread(restart_gateway, system)
        # Stations come back after a backoff; the attacker does not wait: it has spent
        # whatever the new node allows it by the time the station tries.
        await asyncio.sleep(2)
    under_attack = await legitimate(base, args.seconds)
    stop.set()
    outcomes = await attacker
    print(summary("alone", alone))
    label = f"attacked ({args.rate:g}/s)" + (", restarted" if args.restart else "")
    print(summary(label, under_attack))
    sent = outcomes.pop("sent")
    print(f"{'attacker':>28}: {sent} wrong-password handshakes for {target}: {dict(outcomes)}")
    took, refused = under_attack
    return bool(took) and not refused["429"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--target", choices=("other", "same"), default="other")
    parser.add_argument("--restart", action="store_true", help="restart the gateway")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="ocpp-cable-auth-") as tmp,
        database("sqlite", Path(tmp), prefix="auth_flood") as url,
    ):
        with db.session_scope(url) as session:
            for station_id in (LEGIT, VICTIM):
                stations.add_station(session, station_id, password=PASSWORD)
        system = System(url, Path(tmp), presence_ttl=30)
        system.start()
        try:
            admitted = asyncio.run(measure(system, args))
        finally:
            system.stop()
    if not admitted:
        sys.exit("the legitimate station was held back or never admitted while attacked")


if __name__ == "__main__":
    main()
