"""The network live, for people: events on streams that browsers subscribe to at /cable.

Streams (README, "Watching the network live"):

- `live:stations`: every station's events;
- `live:station:<station_id>`: one station's.

Each event is `{"event", "station_id", "at", ...}`: `online`, `offline`, `boot`,
`status`, `transaction_started`, `transaction_stopped`, `meter_values` (at most
one a second per station), `command_result`. They are published only once the
message they tell of is stored and acked.

Publishing never holds up a station: events wait in a bounded queue that one
thread sends in batches (one broker message for everything gathered); when the
queue is full the newest events are dropped and counted.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import orjson
import structlog

from contract.timestamps import utc_text
from rpc_app import Channel, broadcasting

ALL_STATIONS = "live:stations"
QUEUE_LIMIT = 10_000
FLUSH_INTERVAL = 0.05  # seconds: what gathers meanwhile goes out as one message
METER_INTERVAL = 1.0  # seconds between a station's meter_values events

log = structlog.get_logger("channels.live")


def station_stream(station_id: str) -> str:
    return f"live:station:{station_id}"


class LiveEvents:
    """The queue of events and the thread that publishes them."""

    def __init__(self, publish: Callable[[list[dict[str, str]]], None] | None = None) -> None:
        self._publish = publish
        self._queue: deque[dict[str, str]] = deque()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_meter: dict[str, float] = {}
        self.dropped = 0

    def publish(self, station_id: str, event: str, **fields: Any) -> None:
        """Queue `event` of `station_id` for both its streams; never blocks."""
        if event == "meter_values":
            now = time.monotonic()
            # One entry per station the network has: bounded as the stations are.
            if now - self._last_meter.get(station_id, -METER_INTERVAL) < METER_INTERVAL:
                return
            self._last_meter[station_id] = now
        data = orjson.dumps(
            {"event": event, "station_id": station_id, "at": utc_text(), **fields}
        ).decode()
        with self._lock:
            if len(self._queue) + 2 > QUEUE_LIMIT:
                self.dropped += 1
                return
            self._queue.append({"stream": ALL_STATIONS, "data": data})
            self._queue.append({"stream": station_stream(station_id), "data": data})
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="live-events", daemon=True)
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            time.sleep(FLUSH_INTERVAL)  # let a batch gather
            self._wake.clear()
            with self._lock:
                batch, self._queue = list(self._queue), deque()
            if not batch:
                continue
            try:
                (self._publish or broadcasting.current().publish)(batch)
            except Exception as exc:  # the broker is down: live views miss these, no more
                log.warning("live events not published", events=len(batch), error=str(exc))


events = LiveEvents()


def require_viewer(channel: Channel) -> None:
    """Channels for people: only a connection admitted with a viewer token subscribes."""
    if not channel.connection.identifiers.get("viewer"):
        channel.logger.warning("live view refused: no viewer token")
        channel.reject()


class StationsChannel(Channel):
    """Every station's live events (stream `live:stations`)."""

    def subscribed(self):
        require_viewer(self)
        self.stream_from(ALL_STATIONS)


class StationChannel(Channel):
    """One station's live events (stream `live:station:<station_id>`); params: station_id."""

    def subscribed(self):
        require_viewer(self)
        station_id = self.params.get("station_id")
        if not isinstance(station_id, str) or not station_id:
            self.reject()
        self.stream_from(station_stream(station_id))
