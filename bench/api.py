"""The operators' HTTP API under load, on the reference system as it serves it (`up`'s
own), or as `ocpp-cable api` runs it beside a deployed gateway and rpc_app (after the
storm: thousands of stations in the database).

- reads: clients in closed loop page through `GET /api/v1/stations` (presence and
  connectors of 50 stations a page) and `GET /api/v1/transactions`;
- commands: clients in closed loop `POST /api/v1/stations/{id}/commands?wait=10` to
  connected simulated chargers, each request held until the charger's answer is
  recorded: the round trip an operator's script or the dashboard sees.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time

import aiohttp

from bench.systems import System, free_port, spawn, wait_for_port
from ocpp_cable.channels.domain import viewers
from ocpp_cable.channels.storage import db
from ocpp_cable.simulator import SimCharger, Stats, percentile

CLIENTS = 16  # concurrent API clients: a team of operators' scripts and dashboards


def _start_api(system: System) -> tuple[object, int]:
    port = free_port()
    process = spawn(
        "-m", "ocpp_cable.cli", "api", "--api-port", str(port),
        "--database-url", system.database_url or "", "--auto-migrate", "false",
        "--broadcast-url", f"{system.http_url}/_broadcast",
        "--log-level", "warning", "--log-format", "json",
    )  # fmt: skip
    wait_for_port(port, process)
    return process, port


async def _closed_loop(
    seconds: float, request: object, clients: int = CLIENTS
) -> tuple[int, int, list[float]]:
    """(answered, failed, latencies) of `clients` loops calling `request()` for `seconds`."""
    latencies: list[float] = []
    failed = 0
    deadline = time.monotonic() + seconds

    async def loop() -> None:
        nonlocal failed
        while time.monotonic() < deadline:
            started = time.perf_counter()
            if await request():
                latencies.append(time.perf_counter() - started)
            else:
                failed += 1

    await asyncio.gather(*(loop() for _ in range(clients)))
    return len(latencies), failed, latencies


async def measure(system: System, seconds: float, chargers: int) -> dict[str, float]:
    assert system.database_url is not None and system.http_url is not None
    with db.session_scope(system.database_url) as session:
        token = viewers.add_viewer(session, "bench", viewers.WRITE)
    process = None
    if system.api_url is not None:
        base = f"{system.api_url}/api/v1"
    else:
        process, port = _start_api(system)
        base = f"http://127.0.0.1:{port}/api/v1"
    headers = {"Authorization": f"Bearer {token}"}
    result: dict[str, float] = {}
    stats = Stats()
    fleet = [SimCharger(system.url, f"API-{i:04d}", stats) for i in range(chargers)]
    try:
        async with aiohttp.ClientSession(headers=headers) as http:
            async with http.get(f"{base}/stations?limit=1") as response:
                total = (await response.json())["total"]
            pages = itertools.count()

            async def read() -> bool:
                page = next(pages)
                path = "stations" if page % 2 else "transactions"
                offset = random.randrange(0, max(total - 50, 1))
                url = f"{base}/{path}?limit=50&offset={offset if path == 'stations' else 0}"
                async with http.get(url) as response:
                    await response.read()
                    return response.status == 200

            answered, failed, latencies = await _closed_loop(seconds, read)
            result |= {
                "api_reads_per_s": answered / seconds,
                "api_reads_p99_ms": percentile(latencies, 0.99) * 1e3,
                "api_reads_failed": failed,
                "api_stations": total,
            }

            for charger in fleet:
                await charger.connect()
                await charger.boot()
            await asyncio.sleep(1)  # subscribed at the gateway
            targets = itertools.cycle(c.station_id for c in fleet)

            async def command() -> bool:
                url = f"{base}/stations/{next(targets)}/commands?wait=10"
                async with http.post(url, json={"action": "ClearCache"}) as response:
                    body = await response.json()
                    return response.status == 201 and body["status"] == "accepted"

            answered, failed, latencies = await _closed_loop(seconds, command)
            result |= {
                "api_commands_per_s": answered / seconds,
                "api_command_p50_ms": percentile(latencies, 0.5) * 1e3,
                "api_command_p99_ms": percentile(latencies, 0.99) * 1e3,
                "api_commands_failed": failed,
            }
    finally:
        await asyncio.gather(*(c.close() for c in fleet), return_exceptions=True)
        if process is not None:
            process.terminate()
            process.wait(30)
    return result


if __name__ == "__main__":  # a quick look: python -m bench.api
    import uvloop

    from bench.systems import start_reference

    async def main() -> None:
        system = start_reference("sqlite")
        try:
            print(await measure(system, 3.0, 20))
        finally:
            system.stop()

    uvloop.run(main())
