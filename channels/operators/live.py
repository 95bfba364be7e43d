"""The network live, for people: events on streams that browsers subscribe to at /cable.

Streams (docs/app-developers.md, "Watching the network live"):

- `live:station:<station_id>`: everything one station does, within 10 ms, as
  `{"events": [...]}`, each event `{"event", "station_id", "at", ...}`:
  `online`, `offline`, `boot`, `status`, `transaction_started`,
  `transaction_stopped`, `meter_values` (at most one a second per station),
  `command_result`; a 2.x station's events name its EVSE where 1.6 names the connector
  (`connector_id`, with `evse_id` beside it), and its transactions' own id
  (`station_transaction_id`);
- `live:stations`: the network view, what changed per station in the last
  second as `{"stations": {"<id>": {"online", "connectors": {"<n>": status},
  "started": [ids], "stopped": [ids], "seen": time}}}` (only the keys that changed;
  `seen`: when it last said something): a busy network sends each viewer one small
  message a second.

An event is published once the message it tells of is stored.

Publishing never holds up a station: events wait in bounded queues that one
thread sends (every stream's gathered events in one broker message); when they
are full, new events are dropped and counted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import orjson
import structlog

from ocpp_cable.channels.handlers.connection import viewer_of
from ocpp_cable.contract.timestamps import utc_text
from ocpp_cable.rpc_app import Channel, broadcasting

ALL_STATIONS = "live:stations"
QUEUE_LIMIT = 10_000  # events waiting, all streams
MAX_LISTED = 20  # transactions per station and window in the network view
STATION_WINDOW = 0.01  # seconds a station's events gather before they go out
NETWORK_WINDOW = 1.0  # seconds the network view's events gather
METER_INTERVAL = 1.0  # seconds between a station's meter_values events
WARN_INTERVAL = 10.0  # seconds between two warnings that the broker is down

log = structlog.get_logger("channels.live")


def station_stream(station_id: str) -> str:
    return f"live:station:{station_id}"


class LiveEvents:
    """The queues of events and the thread that publishes them."""

    def __init__(self, publish: Callable[[list[dict[str, str]]], None] | None = None) -> None:
        self._publish = publish
        self._stations: dict[str, list[dict[str, Any]]] = {}
        self._network: dict[str, dict[str, Any]] = {}  # station -> what changed
        self._waiting = 0
        self._network_due = 0.0  # monotonic time the network view's next message may go
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_meter: dict[str, float] = {}
        self._warned_at = -WARN_INTERVAL
        self.dropped = 0
        self.failed = 0  # messages the broker did not take

    def publish(self, station_id: str, event: str, **fields: Any) -> None:
        """Queue `event` of `station_id` for its streams; never blocks."""
        now = time.monotonic()
        if event == "meter_values":
            # One entry per connected station: bounded as they are, let go when it leaves.
            if now - self._last_meter.get(station_id, -METER_INTERVAL) < METER_INTERVAL:
                return
            self._last_meter[station_id] = now
        elif event == "offline":
            self._last_meter.pop(station_id, None)
        told = {"event": event, "station_id": station_id, "at": utc_text(), **fields}
        with self._lock:
            if self._waiting + 1 > QUEUE_LIMIT:
                self.dropped += 1
                return
            self._stations.setdefault(station_id, []).append(told)
            self._waiting += 1
            self._note_change(station_id, event, fields, told["at"])
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="live-events", daemon=True)
                self._thread.start()
        self._wake.set()

    def _note_change(self, station_id: str, event: str, fields: dict[str, Any], at: str) -> None:
        """Fold the event into the network view's entry for the station (under the lock)."""
        changed = self._network.setdefault(station_id, {})
        if event in ("online", "offline"):
            changed["online"] = event == "online"
        elif event == "status":
            connector = str(fields.get("connector_id"))
            changed.setdefault("connectors", {})[connector] = fields.get("status")
        elif event in ("transaction_started", "transaction_stopped"):
            listed = changed.setdefault(event.removeprefix("transaction_"), [])
            if len(listed) < MAX_LISTED:
                listed.append(fields.get("transaction_id"))
        elif event == "boot":
            changed["model"] = f"{fields.get('vendor')} {fields.get('model')}"
        if event != "offline":  # the station spoke: the network view's "last seen"
            changed["seen"] = at

    def _run(self) -> None:
        while True:
            with self._lock:
                idle = not self._stations
                until_network = self._network_due - time.monotonic() if self._network else None
            if idle:
                # Nothing for a station's stream: wait for an event, or for the network
                # view's message to fall due.
                self._wake.wait(None if until_network is None else max(until_network, 0))
            time.sleep(STATION_WINDOW)  # let a station's events gather
            self._wake.clear()
            self._flush()

    def _flush(self) -> None:
        now = time.monotonic()
        with self._lock:
            stations, self._stations = self._stations, {}
            network: dict[str, dict[str, Any]] = {}
            if self._network and now >= self._network_due:
                network, self._network = self._network, {}
                self._network_due = now + NETWORK_WINDOW
            self._waiting -= sum(map(len, stations.values()))
        messages = [
            {"stream": station_stream(sid), "data": orjson.dumps({"events": told}).decode()}
            for sid, told in stations.items()
        ]
        if network:
            data = orjson.dumps({"stations": network, "at": utc_text()}).decode()
            messages.append({"stream": ALL_STATIONS, "data": data})
        if not messages:
            return
        try:
            (self._publish or broadcasting.current().publish)(messages)
        except Exception as exc:  # the broker is down: live views miss these, no more
            self.failed += len(messages)
            if now - self._warned_at >= WARN_INTERVAL:  # one line per interval, not per flush
                self._warned_at = now
                log.warning("live events not published", failed=self.failed, error=str(exc))


events = LiveEvents()


async def require_viewer(channel: Channel) -> None:
    """Channels for people: only a connection admitted with a viewer token subscribes, and
    only while the token is in force. A connection whose token was revoked (and that no
    node closed: the disconnect was lost) is refused and closed at its next subscribe."""
    name = channel.connection.identifiers.get("viewer")
    if not name:
        channel.logger.warning("live view refused: no viewer token")
        channel.reject()
    if await viewer_of(channel.connection.env) != name:
        channel.logger.info("live view refused: the token is revoked", viewer=name)
        channel.disconnect()
        channel.reject()


class StationsChannel(Channel):
    """Every station's live events (stream `live:stations`)."""

    async def subscribed(self):
        await require_viewer(self)
        self.stream_from(ALL_STATIONS)


class StationChannel(Channel):
    """One station's live events (stream `live:station:<station_id>`); params: station_id."""

    async def subscribed(self):
        await require_viewer(self)
        station_id = self.params.get("station_id")
        if not isinstance(station_id, str) or not station_id:
            self.reject()
        self.stream_from(station_stream(station_id))
