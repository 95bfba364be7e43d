"""Which node holds a station: announcements between gateway nodes over the brokers.

A station that connects here is announced to the other nodes, and a node holding
an older connection of it closes that one. An announcement stays pending until a
broker took it, so a broker restart loses none; and after (re)subscribing, a node
announces every station it holds, so one that missed messages while cut off still
meets every duplicate. When two connections of a station meet, the older one goes,
whichever node hears of it first: the newer one's node answers by announcing it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import orjson
import structlog

from ocpp_cable.foundation.throttle import LogThrottle
from ocpp_cable.gateway.pubsub import BrokerSubscriber

log = structlog.get_logger("gateway.control")

EVENT = "stations_connected"
CHUNK = 500  # stations per message: a node re-announcing 10,000 sends 20
FIRST_BACKOFF, MAX_BACKOFF = 0.1, 2.0


class Held(Protocol):
    """A station connection as this module needs it."""

    station_id: str
    sid: str
    connected_at: float


class ControlChannel:
    """Announces the stations this node holds to the other nodes, and closes a station
    here when another node announces a newer connection of it.

    Announcements wait per broker until published (latest connection per station), and
    all are sent again when a broker subscription comes back.
    """

    def __init__(
        self,
        node_id: str,
        subscribers: list[BrokerSubscriber],
        held: Callable[[], Mapping[str, Held]],
        close: Callable[[Held], Any],
    ) -> None:
        self.node_id = node_id
        self.subscribers = subscribers
        self._held = held
        self._close = close
        # Per subscriber: what it has still to publish (latest connection per station).
        self._pending: dict[int, dict[str, Held]] = {id(s): {} for s in subscribers}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._throttle = LogThrottle()

    def start(self) -> None:
        if self.subscribers:
            self._task = asyncio.create_task(self._publish_loop(), name="node-control")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    # --- what we tell -----------------------------------------------------------------

    def announce(self, station: Held) -> None:
        for pending in self._pending.values():
            pending[station.station_id] = station
        self._wake.set()

    def announce_all(self, subscriber: BrokerSubscriber) -> None:
        """The subscriber (re)connected: whatever was said meanwhile may be lost."""
        pending = self._pending.get(id(subscriber))
        if pending is not None:
            pending.update(self._held())
            self._wake.set()

    async def _publish_loop(self) -> None:
        backoff = FIRST_BACKOFF
        while True:
            await self._wake.wait()
            self._wake.clear()
            failed = False
            for subscriber in self.subscribers:
                failed |= not await self._publish_pending(subscriber)
            if failed:
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                self._wake.set()
            else:
                backoff = FIRST_BACKOFF

    async def _publish_pending(self, subscriber: BrokerSubscriber) -> bool:
        pending = self._pending[id(subscriber)]
        held = self._held()
        # A station that left or reconnected meanwhile is not announced (its newer one is).
        current = [s for s in pending.values() if held.get(s.station_id) is s]
        for start in range(0, len(current), CHUNK):
            chunk = current[start : start + CHUNK]
            try:
                await subscriber.publish_control(self._message(chunk))
            except Exception as exc:  # any broker failure: kept, retried
                held_back = self._throttle.allow(subscriber.name)
                if held_back is not None:
                    log.warning(
                        "control message not published, will retry",
                        broker=subscriber.name,
                        error=str(exc) or type(exc).__name__,
                        since_last=held_back,
                    )
                return False
            for station in chunk:
                if pending.get(station.station_id) is station:
                    del pending[station.station_id]
        for station_id in [k for k, s in pending.items() if held.get(k) is not s]:
            del pending[station_id]
        return True

    def _message(self, stations: list[Held]) -> bytes:
        return orjson.dumps(
            {
                "event": EVENT,
                "node": self.node_id,
                "stations": [[s.station_id, s.sid, s.connected_at] for s in stations],
            }
        )

    # --- what we hear -----------------------------------------------------------------

    def on_message(self, data: bytes) -> None:
        try:
            message = orjson.loads(data)
            event, node, announced = message["event"], message["node"], message["stations"]
            entries = [(str(i), str(sid), float(at)) for i, sid, at in announced]
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            log.warning("malformed control message dropped")
            return
        if event != EVENT or node == self.node_id:
            return
        held = self._held()
        for station_id, sid, at in entries:
            local = held.get(station_id)
            if local is None or local.sid == sid:
                continue
            if (local.connected_at, local.sid) < (at, sid):
                log.info("station connected to another node", station_id=station_id, node=node)
                self._close(local)
            else:
                self.announce(local)  # ours is newer: the other node closes its own
