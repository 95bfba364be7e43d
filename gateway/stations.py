"""The stations this node holds: one connection per station, here and across nodes.

A station that connects again replaces its older connection, on this node at
once, on another node through the control channel (node_control.py): the newer
connection wins everywhere, and the older one's Disconnect is delivered first.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

import structlog

from ocpp_cable.gateway.node_control import ControlChannel
from ocpp_cable.gateway.pubsub import BrokerSubscriber
from ocpp_cable.gateway.tasks import TaskSet

if TYPE_CHECKING:
    from ocpp_cable.gateway.station import StationSocket

CLOSE_NORMAL = 1000
# Seconds a replaced connection gets to finish its closing handshake before it is dropped.
REPLACED_GRACE = 1.0

log = structlog.get_logger("gateway")


class StationRegistry(Mapping[str, "StationSocket"]):
    """Station id -> its connection on this node; a read-only mapping to everyone else.

    Args:
        node_id: this node's id in control messages.
        subscribers: the brokers control messages travel over (none: a single node).
    """

    def __init__(self, node_id: str, subscribers: list[BrokerSubscriber]) -> None:
        self._by_id: dict[str, StationSocket] = {}
        # AnyCable compatibility: serial number -> the stations subscribed by it (not
        # their own ids), so that a station connecting takes its id back.
        self._claims: dict[str, set[StationSocket]] = {}
        self.control = ControlChannel(node_id, subscribers, lambda: self._by_id, self._replaced)
        self._background = TaskSet(log)

    def __getitem__(self, station_id: str) -> StationSocket:
        return self._by_id[station_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)

    async def hold(self, station: StationSocket) -> None:
        """Hold `station`, closing an older connection of it here (waiting for its
        Disconnect) and, by an announcement, on any other node."""
        previous = self._by_id.get(station.station_id)
        if previous is not None:
            previous.log.info("replaced by a new connection")
            await previous.close(CLOSE_NORMAL, "replaced by a new connection", REPLACED_GRACE)
        self._by_id[station.station_id] = station
        self.control.announce(station)
        for claimer in list(self._claims.get(station.station_id, ())):
            self._background.spawn(claimer.give_back_claim())

    def forget(self, station: StationSocket) -> None:
        """Let `station` go, unless a newer connection of it has taken its place."""
        self.claim(station, None)
        if self._by_id.get(station.station_id) is station:
            del self._by_id[station.station_id]

    def claim(self, station: StationSocket, sn: str | None) -> None:
        """AnyCable compatibility: `station` is subscribed by serial number `sn` (None: by
        its own id)."""
        if station.claimed_sn is not None:
            claimers = self._claims.get(station.claimed_sn, set())
            claimers.discard(station)
            if not claimers:
                self._claims.pop(station.claimed_sn, None)
        if station.leaving:  # (a resubscription that ended after its station had gone)
            sn = None
        station.claimed_sn = sn
        if sn is not None:
            self._claims.setdefault(sn, set()).add(station)

    def held_ids(self) -> list[str]:
        """Ids of the stations held and not leaving: what a lease renewal names."""
        return [sid for sid, station in self._by_id.items() if not station.leaving]

    def queued(self) -> int:
        """CALLs waiting in every station's queue."""
        return sum(station.session.queued for station in self._by_id.values())

    def _replaced(self, station: StationSocket) -> None:
        # Another node holds a newer connection of it.
        self._background.spawn(
            station.close(CLOSE_NORMAL, "connected to another node", REPLACED_GRACE)
        )
