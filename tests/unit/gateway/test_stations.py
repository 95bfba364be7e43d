"""gateway/stations.py: AnyCable compatibility's serial numbers that name other stations'
ids, as the registry keeps them (no sockets: stand-ins for the station connections)."""

from __future__ import annotations

import asyncio

from ocpp_cable.gateway.stations import StationRegistry


class Station:
    """What the registry needs of a station connection."""

    def __init__(self, station_id: str) -> None:
        self.station_id = station_id
        self.sid = f"sid-{station_id}"
        self.connected_at = 0.0
        self.leaving = False
        self.claimed_sn: str | None = None
        self.gave_back = asyncio.Event()

    async def give_back_claim(self) -> None:
        self.gave_back.set()


async def test_a_station_that_connects_takes_its_id_back():
    registry = StationRegistry("node", [])
    a, b = Station("CP-A"), Station("CP-B")
    await registry.hold(a)
    registry.claim(a, "CP-C")  # CP-A goes by CP-C, which is not here
    await registry.hold(b)
    assert len(registry._background) == 0  # CP-B is not claimed by anyone
    await registry.hold(Station("CP-C"))
    await asyncio.wait_for(a.gave_back.wait(), 1)


async def test_a_claim_ends_with_its_station_or_its_next_subscription():
    registry = StationRegistry("node", [])
    a, b = Station("CP-A"), Station("CP-B")
    for station in (a, b):
        await registry.hold(station)
    registry.claim(a, "CP-C")
    registry.claim(b, "CP-D")
    registry.claim(a, None)  # subscribed by its own id again
    registry.forget(b)  # gone
    assert (a.claimed_sn, b.claimed_sn) == (None, None)
    for station_id in ("CP-C", "CP-D"):
        await registry.hold(Station(station_id))
    assert len(registry._background) == 0 and not registry._claims


async def test_a_resubscription_that_ends_after_its_station_left_claims_nothing():
    registry = StationRegistry("node", [])
    a = Station("CP-A")
    await registry.hold(a)
    a.leaving = True
    registry.forget(a)
    registry.claim(a, "CP-C")  # its subscription's answer came back late
    assert a.claimed_sn is None and not registry._claims
