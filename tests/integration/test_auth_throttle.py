"""Failed authentications are throttled at the gateway, before Connect, per (station id,
address), per address and per node: a client guessing passwords gets 429 with Retry-After,
while a station that has not failed itself (over real sockets, real gRPC, the reference
system on SQLite and PostgreSQL) connects whoever floods its id, an address or the node,
also on a gateway just restarted."""

from __future__ import annotations

import asyncio
import time

import structlog
import websockets
from websockets.exceptions import InvalidStatus

from ocpp_cable.channels.domain import stations
from ocpp_cable.channels.storage import db
from ocpp_cable.rpc_app import Connection
from ocpp_cable.rpc_app.application import Application
from tests.support import apps
from tests.support.central import (
    PASSWORD,
    CentralCharger,
    basic,
    central_rpc,
    central_system,
    seed,
)
from tests.support.servers import (
    charger,
    eventually,
    gateway,
    publish_to,
    rpc_server,
    station_url,
    subscribed,
)

ATTACKER, STATION, ELSEWHERE = "127.0.0.2", "127.0.0.1", "127.0.0.3"


async def handshake(node, station_id: str, password: str | None, source: str):
    """(HTTP status, Retry-After) of a refused handshake from `source`; (101, None) if it
    was upgraded."""
    headers = basic(station_id, password) if password is not None else {}
    try:
        ws = await websockets.connect(
            station_url(node, station_id),
            subprotocols=["ocpp1.6"],
            additional_headers=headers,
            local_addr=(source, 0),
        )
    except InvalidStatus as exc:
        return exc.response.status_code, exc.response.headers.get("Retry-After")
    await ws.close()
    return 101, None


def held(answer: tuple[int, str | None], most: int) -> bool:
    """A 429 whose Retry-After is a minute's share of the limit, less the time gone by."""
    status, retry_after = answer
    return status == 429 and retry_after is not None and 0 < int(retry_after) <= most


def station(node, station_id: str = "CP-1", source: str = STATION):
    """A charger (the `ocpp` package's) that authenticates with its password from `source`."""
    return charger(
        node,
        station_id,
        cls=CentralCharger,
        additional_headers=basic(station_id, PASSWORD),
        local_addr=(source, 0),
    )


def sample(node, name: str, **labels) -> float:
    value = node.metrics.registry.get_sample_value(f"ocpp_cable_gateway_{name}", labels)
    return value or 0.0


def connects(node) -> float:
    return sum(
        sample(node, "rpc_calls_total", method="Connect", status=status)
        for status in ("SUCCESS", "FAILURE", "ERROR")
    )


async def test_an_address_that_keeps_failing_gets_429_without_connect(database_url):
    seed(database_url)
    async with central_system(database_url, auth_failures_per_address=5) as (node, _):
        for n in range(5):  # unknown ids, with credentials: refused by the application
            assert await handshake(node, f"GUESS-{n}", "wrong", ATTACKER) == (401, None)
        asked = connects(node)
        started = time.monotonic()
        assert held(await handshake(node, "GUESS-5", "wrong", ATTACKER), 12)  # 5 a minute
        assert held(await handshake(node, "CP-1", PASSWORD, ATTACKER), 12)
        assert time.monotonic() - started < 1  # answered at once, not delayed
        assert connects(node) == asked  # the application was not asked
        # Another address is not held back: a station with its password connects from it.
        async with station(node, "CP-1", ELSEWHERE):
            await eventually(lambda: subscribed(node, "CP-1"))
        assert sample(node, "handshakes_throttled_total", limit="address") == 2
        assert sample(node, "connect_rejections_total", status="429") == 2


async def test_a_station_flooded_by_guesses_connects_from_any_address_that_did_not_fail(
    database_url,
):
    seed(database_url)
    async with central_system(
        database_url, auth_failures_per_station=3, auth_failures_per_address=0
    ) as (node, _):
        async with station(node):  # authenticated from its address once
            await eventually(lambda: subscribed(node, "CP-1"))
        for _ in range(3):
            assert await handshake(node, "CP-1", "wrong", ATTACKER) == (401, None)
        assert held(await handshake(node, "CP-1", "wrong", ATTACKER), 20)
        # The station id is held back from the address that failed for it, and only there:
        # its password from a new address reaches Connect, and from where it
        # authenticated before it connects, again and again.
        assert await handshake(node, "CP-1", PASSWORD, ELSEWHERE) == (101, None)
        for _ in range(3):
            async with station(node):
                await eventually(lambda: subscribed(node, "CP-1"))
        assert sample(node, "handshakes_throttled_total", limit="station") == 1


async def test_a_restarted_gateway_flooded_with_guesses_for_a_station_still_admits_it(
    database_url,
):
    """A gateway restarted (a new node, which knows no station) while an attacker keeps
    guessing CP-1's password: CP-1, from its own address, is admitted."""
    seed(database_url)
    limits = {"auth_failures_per_station": 3, "auth_failures_per_address": 30}
    async with central_rpc(database_url, **limits) as (port, _):
        async with gateway(port, **limits) as node:
            publish_to(node)
            async with station(node):
                await eventually(lambda: subscribed(node, "CP-1"))
        async with gateway(port, **limits) as node:  # the restart
            publish_to(node)
            answers = [await handshake(node, "CP-1", f"guess-{n}", ATTACKER) for n in range(6)]
            assert answers[:3] == [(401, None)] * 3
            assert all(held(answer, 20) for answer in answers[3:])
            async with station(node):
                await eventually(lambda: subscribed(node, "CP-1"))
            assert held(await handshake(node, "CP-1", "guess-6", ATTACKER), 20)


async def test_the_node_limit_holds_back_addresses_that_failed_never_a_fresh_station(
    database_url,
):
    seed(database_url)
    with db.session_scope(database_url) as session:
        stations.add_station(session, "CP-2", password=PASSWORD)
    async with central_system(database_url, auth_failures_per_node=4) as (node, _):
        async with station(node):
            await eventually(lambda: subscribed(node, "CP-1"))
        for n in range(4):  # the node's failures spent, from four addresses
            assert await handshake(node, f"GUESS-{n}", "x", f"127.0.1.{n}") == (401, None)
        # Under attack: an address that failed in the last minute waits from its next
        # failure on (its 2nd of 30), for any station...
        assert held(await handshake(node, "GUESS-9", "x", "127.0.1.0"), 15)
        assert held(await handshake(node, "CP-2", PASSWORD, "127.0.1.1"), 15)
        # ...an address that never failed does not: a guess reaches Connect, and a station
        # this node never saw is admitted (as after a gateway restart).
        assert await handshake(node, "GUESS-9", "x", "127.0.1.9") == (401, None)
        assert await handshake(node, "CP-2", PASSWORD, "127.0.2.1") == (101, None)
        async with station(node):  # and one it knows from its address, of course
            await eventually(lambda: subscribed(node, "CP-1"))
        assert sample(node, "handshakes_throttled_total", limit="node") == 2


async def test_refusals_without_credentials_are_not_counted(database_url):
    seed(database_url)
    async with central_system(database_url, auth_failures_per_address=2) as (node, _):
        for n in range(5):  # unknown stations, no credentials: 401, nothing guessed
            assert await handshake(node, f"NOBODY-{n}", None, ATTACKER) == (401, None)
        assert await handshake(node, "CP-1", PASSWORD, ATTACKER) == (101, None)


async def test_limits_of_zero_throttle_nothing(database_url):
    seed(database_url)
    off = {"auth_failures_per_station": 0, "auth_failures_per_address": 0}
    async with central_system(database_url, **off, auth_failures_per_node=0) as (node, _):
        for _ in range(12):
            assert await handshake(node, "CP-1", "wrong", ATTACKER) == (401, None)
        assert await handshake(node, "CP-1", PASSWORD, ATTACKER) == (101, None)


async def test_a_burst_of_throttled_handshakes_is_logged_once(database_url):
    seed(database_url)
    with structlog.testing.capture_logs() as logs:
        async with central_system(database_url, auth_failures_per_address=1) as (node, _):
            assert await handshake(node, "GUESS", "wrong", ATTACKER) == (401, None)
            for _ in range(6):
                assert (await handshake(node, "GUESS", "wrong", ATTACKER))[0] == 429
    lines = [e for e in logs if e["event"].startswith("handshake throttled")]
    assert len(lines) == 1
    assert lines[0]["limit"] == "address" and lines[0]["address"] == ATTACKER
    assert lines[0]["log_level"] == "warning" and "wrong" not in str(lines[0])


class OverloadedConnection(Connection):
    """An application that takes 0.5 s to check a password: guesses pile up under way."""

    async def connect(self):
        await asyncio.sleep(0.5)
        if self.env.basic_auth() != (self.env.station_id, PASSWORD):
            self.reject("authentication failed")
        self.identifiers["station_id"] = self.env.station_id


async def test_guesses_faster_than_connect_answers_are_held_back_while_under_way():
    app = Application.of([apps.OCPPChannel], OverloadedConnection)
    async with (
        rpc_server(app=app) as (_, port, counter),
        gateway(port, auth_failures_per_station=3) as node,
    ):
        guesses = [handshake(node, "CP-1", f"guess-{n}", ATTACKER) for n in range(10)]
        answers = await asyncio.gather(*guesses)
        assert sum(answer == (401, None) for answer in answers) == 3
        assert sum(held(answer, 20) for answer in answers) == 7
        assert counter.served()["Connect"] == 3  # the other seven never reached it


async def test_a_burst_from_a_known_stations_address_meets_the_limits_past_one_guess():
    """An attacker behind the station's NAT address sends many handshakes at once: one is
    the pair's exempt handshake, three more fill its bucket, the rest wait."""
    app = Application.of([apps.OCPPChannel], OverloadedConnection)
    async with (
        rpc_server(app=app) as (_, port, counter),
        gateway(port, auth_failures_per_station=3) as node,
    ):
        assert await handshake(node, "CP-1", PASSWORD, ATTACKER) == (101, None)  # known
        guesses = [handshake(node, "CP-1", f"guess-{n}", ATTACKER) for n in range(10)]
        answers = await asyncio.gather(*guesses)
        assert sum(answer == (401, None) for answer in answers) == 1 + 3
        assert sum(held(answer, 20) for answer in answers) == 6
        assert counter.served()["Connect"] == 1 + 1 + 3
