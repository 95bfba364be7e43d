"""The presence rules without sockets: lease reconciliation on a real database, and
which connection goes when a station is held by two nodes."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from types import SimpleNamespace

import orjson
from sqlalchemy import update

from ocpp_cable.channels.domain import commands, presence, stations
from ocpp_cable.channels.domain.timeutil import now
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import ChargePoint, Command
from ocpp_cable.gateway.node_control import ControlChannel


def connect(url: str, station_id: str, node: str, seen_ago: float = 60) -> None:
    with db.session_scope(url) as session:
        if session.get(ChargePoint, station_id) is None:
            stations.add_station(session, station_id)
        stations.mark_connected(session, station_id, f"c-{station_id}", node)
        session.flush()
        session.execute(
            update(ChargePoint)
            .where(ChargePoint.id == station_id)
            .values(last_seen=now() - timedelta(seconds=seen_ago))
        )


def connected(url: str) -> set[str]:
    with db.session_scope(url) as session:
        return {s.id for s in session.query(ChargePoint) if s.connected}


def renew(url: str, node: str, ttl: float, held) -> None:
    with db.session_scope(url) as session:
        presence.renew(session, node, ttl, held)


def test_a_renewal_sets_the_nodes_rows_right(database_url):
    for station_id in ("A1", "A2", "A3"):
        connect(database_url, station_id, "node-a")
    connect(database_url, "B1", "node-b")
    connect(database_url, "A4", "node-a", seen_ago=0)  # connected after A counted
    with db.session_scope(database_url) as session:
        commands.record_command(session, "c1", "A2", "ClearCache", {})
    renew(database_url, "node-a", 30, ["A1", "A3"])  # A2's Disconnect was lost
    assert connected(database_url) == {"A1", "A3", "A4", "B1"}
    with db.session_scope(database_url) as session:
        assert session.get(Command, "c1").status == "error"


def test_an_outage_of_ours_heals_at_the_next_renewals(database_url):
    connect(database_url, "A1", "node-a")
    connect(database_url, "B1", "node-b")
    renew(database_url, "node-a", 0.01, ["A1"])
    renew(database_url, "node-b", 0.01, ["B1"])
    # rpc_app was away longer than the leases; A comes first and sweeps B's stations...
    asyncio.run(asyncio.sleep(0.05))
    renew(database_url, "node-a", 30, ["A1"])
    assert connected(database_url) == {"A1"}
    # ...and B's next renewal brings its stations back.
    renew(database_url, "node-b", 30, ["B1"])
    assert connected(database_url) == {"A1", "B1"}


def test_a_station_that_moved_is_not_taken_back(database_url):
    connect(database_url, "S1", "node-b")  # moved from A to B
    renew(database_url, "node-a", 30, ["S1"])  # A counted it before it noticed
    with db.session_scope(database_url) as session:
        assert session.get(ChargePoint, "S1").node_id == "node-b"
    assert connected(database_url) == {"S1"}


def test_a_leaving_node_takes_its_stations_along(database_url):
    connect(database_url, "A1", "node-a")
    connect(database_url, "B1", "node-b")
    renew(database_url, "node-b", 30, ["B1"])
    renew(database_url, "node-a", 30, ["A1"])
    renew(database_url, "node-a", 0, [])
    assert connected(database_url) == {"B1"}


# --- two nodes, one station -------------------------------------------------------------


def held(station_id: str, sid: str, at: float):
    return SimpleNamespace(station_id=station_id, sid=sid, connected_at=at)


class Broker:
    def __init__(self, up: bool = True) -> None:
        self.name, self.up, self.sent = "redis", up, []

    async def publish_control(self, data: bytes) -> None:
        if not self.up:
            raise ConnectionError("broker down")
        self.sent.append(orjson.loads(data))


def channel(stations: dict, closed: list, broker: Broker | None = None) -> ControlChannel:
    return ControlChannel("me", [broker or Broker()], lambda: stations, closed.append)


def message(node: str, *entries) -> bytes:
    return orjson.dumps({"event": "stations_connected", "node": node, "stations": list(entries)})


def test_the_older_connection_goes_the_newer_answers():
    older, newer, closed = held("CP-1", "s1", 100.0), held("CP-2", "s2", 300.0), []
    control = channel({"CP-1": older, "CP-2": newer}, closed)
    control.on_message(message("other", ["CP-1", "x1", 200.0], ["CP-2", "x2", 200.0]))
    assert closed == [older]
    (pending,) = control._pending.values()
    assert pending == {"CP-2": newer}  # told to the other node


def test_own_and_same_connection_messages_change_nothing():
    station, closed = held("CP-1", "s1", 100.0), []
    control = channel({"CP-1": station}, closed)
    control.on_message(message("me", ["CP-1", "x", 200.0]))
    control.on_message(message("other", ["CP-1", "s1", 100.0]))
    control.on_message(b"not json")
    assert closed == []


async def test_announcements_wait_for_the_broker_and_skip_stations_gone():
    broker, closed = Broker(up=False), []
    stations_here = {"CP-1": held("CP-1", "s1", 1.0), "CP-2": held("CP-2", "s2", 1.0)}
    control = channel(stations_here, closed, broker)
    control.start()
    for station in list(stations_here.values()):
        control.announce(station)
    await asyncio.sleep(0.3)
    del stations_here["CP-2"]  # left meanwhile: not announced any more
    broker.up = True
    for _ in range(100):
        if broker.sent:
            break
        await asyncio.sleep(0.05)
    await control.close()
    assert [m["stations"] for m in broker.sent] == [[["CP-1", "s1", 1.0]]]


async def test_a_resubscribed_node_announces_everything_it_holds():
    broker, closed = Broker(), []
    stations_here = {f"CP-{n}": held(f"CP-{n}", f"s{n}", 1.0) for n in range(1200)}
    control = channel(stations_here, closed, broker)
    control.start()
    control.announce_all(control.subscribers[0])
    for _ in range(100):
        if sum(len(m["stations"]) for m in broker.sent) == 1200:
            break
        await asyncio.sleep(0.05)
    await control.close()
    assert [len(m["stations"]) for m in broker.sent] == [500, 500, 200]
